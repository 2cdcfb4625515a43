//! The IRC side of the generator (`fanout --irc`): lines split out of each chunk read, the text of
//! every channel `PRIVMSG` found in place, and the few lines a member sends.
//!
//! It is `inbox`'s counterpart for a connection to an IRC port, and follows the same rule: a
//! member of an IRC fan-out receives millions of `PRIVMSG` lines, so a line that lies whole in the
//! chunk just read is used where it lies (only one that straddles two reads is copied), and a
//! channel `PRIVMSG`'s text is found by looking at the line's fixed shape, without building a
//! [`Line`]. Every other line is parsed in full with `chat_core::irc::parse`. What the lines mean
//! (registration, the channel, PING) is the fan-out's business, not this module's.

use std::ops::Range;

use chat_core::irc::{self, Line, LineError, MAX_LINE_BYTES, MAX_TAGS_BYTES};

use crate::inbox::{Inbox, Incoming, TextAt};

/// Most bytes of text one benchmark `PRIVMSG` may carry. An IRC line is at most 512 bytes, CR LF
/// included, and the line a member receives also carries the sender's `nick!user@host`. With 290
/// bytes, the relayed line fits in 512 with a source of up to about 190 bytes on any server, so
/// no server splits or cuts it (chat-server relays what a client's line carries as one line).
pub const TEXT_MAX_BYTES: usize = 290;

/// Most bytes of a line kept while waiting for its end: the most a line may have, tags included.
const MAX_WHOLE_LINE_BYTES: usize = MAX_TAGS_BYTES + MAX_LINE_BYTES;

/// Splits a stream's chunks into lines, keeping the start of a line that a chunk cuts until the
/// next chunk completes it.
#[derive(Debug, Default)]
pub struct Lines {
    /// A line begun, not yet ended; at most [`MAX_WHOLE_LINE_BYTES`].
    partial: Vec<u8>,
}

impl Lines {
    /// Appends to `inbox` every line `chunk` completes: a channel `PRIVMSG` as its text
    /// ([`Incoming::Message`]), any other line parsed ([`Incoming::Line`]); empty lines are
    /// skipped. A line longer than IRC allows, or one that does not parse, is an error.
    pub fn split(&mut self, chunk: &[u8], inbox: &mut Inbox) -> Result<(), String> {
        let mut pos = 0;
        if !self.partial.is_empty() {
            let Some(end) = find_byte(chunk, b'\n') else {
                return self.keep(chunk);
            };
            self.keep(&chunk[..end])?;
            let line = std::mem::take(&mut self.partial);
            push_copied(without_cr(&line), inbox)?;
            self.partial = line;
            self.partial.clear();
            pos = end + 1;
        }
        while let Some(len) = find_byte(&chunk[pos..], b'\n') {
            let end = pos + len;
            let line = pos..if end > pos && chunk[end - 1] == b'\r' {
                end - 1
            } else {
                end
            };
            push_in_chunk(chunk, line, inbox)?;
            pos = end + 1;
        }
        self.keep(&chunk[pos..])
    }

    /// Keeps the start of a line, within [`MAX_WHOLE_LINE_BYTES`].
    fn keep(&mut self, bytes: &[u8]) -> Result<(), String> {
        if self.partial.len() + bytes.len() > MAX_WHOLE_LINE_BYTES {
            return Err(format!(
                "an IRC line longer than {MAX_WHOLE_LINE_BYTES} bytes"
            ));
        }
        self.partial.extend_from_slice(bytes);
        Ok(())
    }
}

fn without_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// A line lying whole in `chunk`, at `line` (without its line ending).
fn push_in_chunk(chunk: &[u8], line: Range<usize>, inbox: &mut Inbox) -> Result<(), String> {
    let bytes = &chunk[line.clone()];
    match privmsg_text(bytes) {
        Some(text) => inbox.items.push(Incoming::Message(TextAt::Chunk(
            line.start + text.start..line.start + text.end,
        ))),
        None => push_parsed(bytes, inbox)?,
    }
    Ok(())
}

/// A line put together from two reads or more.
fn push_copied(line: &[u8], inbox: &mut Inbox) -> Result<(), String> {
    match privmsg_text(line) {
        Some(text) => {
            let start = inbox.copied.len();
            inbox.copied.extend_from_slice(&line[text]);
            let at = TextAt::Copied(start..inbox.copied.len());
            inbox.items.push(Incoming::Message(at));
        }
        None => push_parsed(line, inbox)?,
    }
    Ok(())
}

/// Any line other than a channel `PRIVMSG`, parsed in full. Bytes that are not UTF-8 (IRC does
/// not promise any encoding) are read leniently; an empty line is skipped.
fn push_parsed(line: &[u8], inbox: &mut Inbox) -> Result<(), String> {
    let text = String::from_utf8_lossy(line);
    match irc::parse(text.as_bytes()) {
        Ok(parsed) => inbox.items.push(Incoming::Line(Box::new(parsed))),
        Err(LineError::NoCommand) if text.trim().is_empty() => {}
        Err(e) => return Err(format!("IRC line {text:?}: {e}")),
    }
    Ok(())
}

/// Where the text of a `PRIVMSG` to a channel lies in `line` (`[@tags ][:source ]PRIVMSG #chan
/// :text`, the text also accepted as a last middle parameter without its colon, as servers write
/// a text without spaces); `None` for every other line, and for one of an unusual shape, which
/// the full parser then reads.
pub fn privmsg_text(line: &[u8]) -> Option<Range<usize>> {
    let mut pos = 0;
    if line.first() == Some(&b'@') {
        pos = after_space(line, pos)?;
    }
    if line.get(pos) == Some(&b':') {
        pos = after_space(line, pos)?;
    }
    let rest = line.get(pos..)?;
    if !rest.starts_with(b"PRIVMSG #") {
        return None;
    }
    pos = after_space(line, pos + b"PRIVMSG ".len())?;
    let text = match line.get(pos)? {
        b':' => pos + 1..line.len(),
        b' ' => return None,
        _ if find_byte(&line[pos..], b' ').is_some() => return None,
        _ => pos..line.len(),
    };
    (!text.is_empty()).then_some(text)
}

/// The position after the space that ends the word starting at `pos`.
fn after_space(line: &[u8], pos: usize) -> Option<usize> {
    let space = find_byte(line.get(pos..)?, b' ')?;
    Some(pos + space + 1)
}

/// Where `needle` first occurs in `bytes`: a member scans every byte it receives for line ends
/// and spaces, and a byte at a time that scan took two thirds of the 110 ns a line cost (38 ns
/// with `memchr`).
fn find_byte(bytes: &[u8], needle: u8) -> Option<usize> {
    memchr::memchr(needle, bytes)
}

/// What a member sends to register: a nick (the member's login) and a user, no password.
pub fn register(nick: &str) -> String {
    let mut out = irc::to_string(&Line::new("NICK", &[nick]));
    irc::write(
        &Line::new("USER", &[nick, "0", "*", "chat-bench"]),
        &mut out,
    );
    out
}

/// `JOIN channel`.
pub fn join(channel: &str) -> String {
    irc::to_string(&Line::new("JOIN", &[channel]))
}

/// The answer to the server's `PING` with these parameters.
pub fn pong(ping: &Line) -> String {
    irc::to_string(&Line::new("PONG", &[ping.param(0)]))
}

/// A benchmark message: `PRIVMSG channel :text` (the text is a stamp, no CR or LF).
pub fn privmsg(channel: &str, text: &str) -> String {
    let mut out = String::with_capacity(channel.len() + text.len() + 13);
    out.push_str("PRIVMSG ");
    out.push_str(channel);
    out.push_str(" :");
    out.push_str(text);
    out.push_str("\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(inbox: &Inbox, chunk: &[u8]) -> Vec<String> {
        inbox
            .items
            .iter()
            .map(|item| match item {
                Incoming::Message(at) => {
                    String::from_utf8_lossy(Inbox::text(&inbox.copied, chunk, at)).into_owned()
                }
                Incoming::Line(line) => format!("{} {}", line.command, line.params.join("|")),
                Incoming::Frame(f) => format!("{:?}", f.message),
                Incoming::Reactions(r) => format!("{r:?}"),
            })
            .collect()
    }

    #[test]
    fn channel_privmsg_text_is_found_in_place_as_either_server_writes_it() {
        let text = |line: &[u8]| privmsg_text(line).map(|r| line[r].to_vec());
        // ngircd: the text always after a colon.
        assert_eq!(
            text(b":bench0!~bench0@127.0.0.1 PRIVMSG #bench :0123.x y"),
            Some(b"0123.x y".to_vec())
        );
        // chat-server: a text without spaces as a middle parameter, and with tags.
        assert_eq!(
            text(b":bench0!bench0@chat PRIVMSG #bench 0123.xx"),
            Some(b"0123.xx".to_vec())
        );
        assert_eq!(
            text(b"@time=2026-12-02T07:00:00.000Z :a!a@chat PRIVMSG #b ::)"),
            Some(b":)".to_vec())
        );
        assert_eq!(text(b"PRIVMSG #b :hi"), Some(b"hi".to_vec()));
    }

    #[test]
    fn a_byte_is_found_at_its_first_place_wherever_it_lies() {
        for len in 0..40 {
            for at in 0..len {
                for extra in [None, Some(at + 1), Some(len - 1)] {
                    let mut bytes = vec![b'a'; len];
                    bytes[at] = b'\n';
                    if let Some(e) = extra.filter(|&e| e < len) {
                        bytes[e] = b'\n';
                    }
                    // Bytes just above and below the needle must not be taken for it.
                    if at > 0 {
                        bytes[at - 1] = b'\n' + 1;
                    }
                    assert_eq!(find_byte(&bytes, b'\n'), Some(at), "{len} {at}");
                }
            }
            assert_eq!(find_byte(&vec![0x8a; len], b'\n'), None);
            assert_eq!(find_byte(&vec![b'\t'; len], b'\n'), None);
        }
    }

    #[test]
    fn other_lines_are_not_taken_for_channel_messages() {
        for line in [
            &b":a!a@chat PRIVMSG bench1 :private"[..],
            b":a!a@chat NOTICE #bench :notice",
            b":srv 366 bench1 #bench :End of NAMES list",
            b":a!a@chat PRIVMSG #bench",
            b":a!a@chat PRIVMSG #bench :",
            b":a!a@chat PRIVMSG #bench  :two spaces",
            b":a!a@chat PRIVMSG #bench one two",
            b":a!a@chat",
            b"@tags-only",
            b"",
        ] {
            assert_eq!(
                privmsg_text(line),
                None,
                "{}",
                String::from_utf8_lossy(line)
            );
        }
    }

    #[test]
    fn messages_are_found_in_place_and_other_lines_parse_in_full() {
        let chunk = b":srv PING :tok\r\n:a!a@chat PRIVMSG #bench :hi there\r\n\r\n:srv 001 bench0 :Welcome\n";
        let (mut lines, mut inbox) = (Lines::default(), Inbox::default());
        lines.split(chunk, &mut inbox).expect("valid");
        assert_eq!(
            items(&inbox, chunk),
            ["PING tok", "hi there", "001 bench0|Welcome"]
        );
        assert!(matches!(
            inbox.items[1],
            Incoming::Message(TextAt::Chunk(_))
        ));
        assert!(inbox.copied.is_empty());
        assert!(lines.partial.is_empty());
    }

    #[test]
    fn lines_cut_by_any_chunk_boundary_are_put_together() {
        let stream = b":a!a@chat PRIVMSG #bench :one\r\n:b!b@chat PRIVMSG #bench two\r\n\
                       :srv 366 bench0 #bench :End of NAMES list\r\n:c!c@chat PRIVMSG #bench :3\r\n";
        for size in 1..stream.len() {
            let (mut lines, mut got) = (Lines::default(), Vec::new());
            for chunk in stream.chunks(size) {
                let mut inbox = Inbox::default();
                lines.split(chunk, &mut inbox).expect("valid");
                got.extend(items(&inbox, chunk));
            }
            assert_eq!(
                got,
                ["one", "two", "366 bench0|#bench|End of NAMES list", "3"],
                "chunks of {size}"
            );
            assert!(lines.partial.is_empty());
        }
    }

    #[test]
    fn an_endless_line_is_an_error_and_is_never_kept_whole() {
        let mut lines = Lines::default();
        let chunk = vec![b'x'; 4096];
        let mut result = Ok(());
        for _ in 0..4 {
            result = result.and_then(|()| lines.split(&chunk, &mut Inbox::default()));
        }
        assert!(result.is_err());
        assert!(lines.partial.len() <= MAX_WHOLE_LINE_BYTES);
    }

    #[test]
    fn a_line_that_is_not_irc_is_an_error_and_bytes_not_utf8_are_read_leniently() {
        let many = format!(":srv X {}\r\n", "p ".repeat(20));
        assert!(
            Lines::default()
                .split(many.as_bytes(), &mut Inbox::default())
                .is_err()
        );
        let chunk = b":srv NOTICE * :caf\xe9\r\n";
        let mut inbox = Inbox::default();
        Lines::default().split(chunk, &mut inbox).expect("lenient");
        assert_eq!(items(&inbox, chunk), ["NOTICE *|caf\u{fffd}"]);
    }

    #[test]
    fn what_members_send_parses_back() {
        let sent = register("bench7") + &join("#bench") + &privmsg("#bench", "0.1.xx");
        let mut inbox = Inbox::default();
        Lines::default()
            .split(sent.as_bytes(), &mut inbox)
            .expect("valid");
        assert_eq!(
            items(&inbox, sent.as_bytes()),
            [
                "NICK bench7",
                "USER bench7|0|*|chat-bench",
                "JOIN #bench",
                "0.1.xx"
            ]
        );
        let ping = irc::parse(b"PING :srv.example").expect("valid");
        assert_eq!(pong(&ping), "PONG srv.example\r\n");
    }
}
