//! The files a message carries, for IRC clients: after the message's text, one line per file
//! with its name, its media type, its size and a link the reader can open (an IRC client cannot fetch a file
//! with a session token; see `links`). Each file's line is another line of the same message:
//! the same sender, target, `msgid` and reply tags, so a client that deletes or answers the
//! message by its `msgid` takes its files with it.

use chat_core::protocol::Attachment;

use super::message::{MsgId, Text, privmsg, privmsg_replying};
use crate::links::ReaderLinks;
use crate::protocols::irc::caps::Caps;

/// Bytes of a file's name a line shows, and of its media type: the rest of the line is its size
/// and link, which must not be split (a split link opens nothing).
const NAME_SHOWN_BYTES: usize = 120;
const TYPE_SHOWN_BYTES: usize = 60;

/// Who reads the links, and how they are made.
#[derive(Debug, Clone, Copy)]
pub struct Reader<'a> {
    pub links: &'a ReaderLinks,
    /// The reader's login key.
    pub key: &'a str,
}

/// A message's lines: its text (when it has any), then a line per file it carries. Without a
/// reader, files are named and sized, with no link.
pub fn message(
    out: &mut String,
    t: &Text<'_>,
    caps: Caps,
    reply: Option<MsgId>,
    files: &[Attachment],
    reader: Option<Reader<'_>>,
) {
    if !t.text.is_empty() || files.is_empty() {
        match reply {
            None => privmsg(out, t, caps),
            Some(to) => privmsg_replying(out, t, caps, to),
        }
    }
    file_lines(out, t, caps, reply, files, reader, None);
}

/// A line per file of a message (`t` its text's), the first led by `lead` when given (a kept
/// message of files alone: its time, for a client without tags).
pub fn file_lines(
    out: &mut String,
    t: &Text<'_>,
    caps: Caps,
    reply: Option<MsgId>,
    files: &[Attachment],
    reader: Option<Reader<'_>>,
    lead: Option<&str>,
) {
    for (n, file) in files.iter().enumerate() {
        let line = file_line(file, reader);
        let text = match lead {
            Some(lead) if n == 0 => format!("{lead} {line}"),
            _ => line,
        };
        let t = Text { text: &text, ..*t };
        match reply {
            None => privmsg(out, &t, caps),
            Some(to) => privmsg_replying(out, &t, caps, to),
        }
    }
}

/// `[file] name (type, size) link`.
pub fn file_line(file: &Attachment, reader: Option<Reader<'_>>) -> String {
    let name = shown(&file.name, NAME_SHOWN_BYTES);
    let mime = shown(&file.mime, TYPE_SHOWN_BYTES);
    let size = size_text(file.size);
    match reader {
        Some(r) => format!(
            "[file] {name} ({mime}, {size}) {}",
            r.links.link(&file.id, r.key)
        ),
        None => format!("[file] {name} ({mime}, {size})"),
    }
}

/// `text`, cut to at most `max` bytes where a character ends, with `…` when cut.
fn shown(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// A size as people read it: bytes, KiB, MiB or GiB, with one decimal below ten.
pub fn size_text(bytes: u64) -> String {
    const UNITS: [&str; 3] = ["KiB", "MiB", "GiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    // Sizes are at most the server's file limit: f64 holds them exactly enough.
    #[allow(clippy::cast_precision_loss)]
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if value < 10.0 {
        format!("{value:.1} {}", UNITS[unit])
    } else {
        format!("{value:.0} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, size: u64) -> Attachment {
        Attachment {
            id: "0123456789abcdef0123456789abcdef".into(),
            name: name.into(),
            size,
            mime: "application/pdf".into(),
            width: None,
            height: None,
            preview: false,
        }
    }

    #[test]
    fn sizes_read_as_people_read_them() {
        assert_eq!(size_text(0), "0 B");
        assert_eq!(size_text(1023), "1023 B");
        assert_eq!(size_text(1024), "1.0 KiB");
        assert_eq!(size_text(1536), "1.5 KiB");
        assert_eq!(size_text(20 * 1024), "20 KiB");
        assert_eq!(size_text(25 * 1024 * 1024), "25 MiB");
        assert_eq!(size_text(3 * 1024 * 1024 * 1024), "3.0 GiB");
    }

    #[test]
    fn a_long_name_is_cut_where_a_character_ends_and_the_link_stays_whole() {
        let name = "ñ".repeat(100);
        let line = file_line(&file(&name, 10), None);
        assert!(line.starts_with("[file] ñ"));
        assert!(line.ends_with("… (application/pdf, 10 B)"), "{line}");
        assert!(line.len() < 200);
    }

    #[test]
    fn files_follow_the_text_as_lines_of_the_same_message() {
        let mut out = String::new();
        let t = Text {
            from: "ana",
            target: "#lobby",
            text: "the notes",
            time: 0,
            id: Some(MsgId::Room(7)),
            notice: false,
            batch: None,
        };
        let files = [file("a.pdf", 2048), file("b.txt", 5)];
        message(&mut out, &t, Caps::MESSAGE_TAGS, None, &files, None);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 3, "{out}");
        assert!(lines[0].ends_with("PRIVMSG #lobby :the notes"));
        assert!(lines[1].ends_with("PRIVMSG #lobby :[file] a.pdf (application/pdf, 2.0 KiB)"));
        assert!(lines[2].ends_with("PRIVMSG #lobby :[file] b.txt (application/pdf, 5 B)"));
        assert!(lines.iter().all(|l| l.starts_with("@msgid=7")), "{out}");

        // A message of files alone shows no empty line.
        let mut out = String::new();
        let t = Text { text: "", ..t };
        message(&mut out, &t, Caps::NONE, None, &files[..1], None);
        assert_eq!(out.lines().count(), 1, "{out}");
    }
}
