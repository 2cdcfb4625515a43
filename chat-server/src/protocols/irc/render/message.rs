//! Messages as `PRIVMSG` (or `NOTICE`) lines, written straight into their bytes: the path of
//! every room line to every IRC member, once per way of writing it.

use chat_core::irc;

use super::lines::{Tags, server, server_time};
use crate::protocols::irc::caps::Caps;

/// Bytes of text one `PRIVMSG` carries: the most a client's own line can carry (512 bytes less
/// `PRIVMSG`, the shortest target, a separator and CR LF). So a message an IRC client wrote is
/// relayed as the one line it wrote, even where the sender's source (`login!login@host`) takes
/// the relayed line past 512 bytes, as Ergo relays them: cut, it would lose its end; split, it
/// would arrive as two messages. Longer text, which the chat's own clients may send (2,000
/// characters), is split over several lines.
pub const TEXT_PER_LINE: usize = 499;

/// One message to show as `PRIVMSG` (or `NOTICE`) lines.
#[derive(Debug, Clone, Copy)]
pub struct Text<'a> {
    /// Who said it.
    pub from: &'a str,
    /// The channel, or the nick it is for.
    pub target: &'a str,
    pub text: &'a str,
    /// When it was said (ms since the epoch).
    pub time: i64,
    /// Its `msgid` tag: a room line's number (`CHATHISTORY BEFORE msgid=…` takes it), or `p`
    /// and a private message's.
    pub id: Option<MsgId>,
    /// Sent as `NOTICE` (which clients and bots never answer automatically).
    pub notice: bool,
    /// The `batch` it is part of.
    pub batch: Option<&'a str>,
}

/// A message's number, as a `msgid` tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MsgId {
    /// A room line (numbered within its room).
    Room(u64),
    /// A private message.
    Private(u64),
}

impl MsgId {
    /// The message a `msgid` names (`7`, `p7`), if it names one.
    pub fn parse(msgid: &str) -> Option<MsgId> {
        let digits = |s: &str| {
            (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| s.parse().ok())
                .flatten()
        };
        match msgid.strip_prefix('p') {
            Some(private) => digits(private).map(MsgId::Private),
            None => digits(msgid).map(MsgId::Room),
        }
    }
}

impl std::fmt::Display for MsgId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MsgId::Room(id) => write!(f, "{id}"),
            MsgId::Private(id) => write!(f, "p{id}"),
        }
    }
}

/// A message as `PRIVMSG`s (several when the text is longer than a line holds). Written
/// straight into `out` (what `line` and `push` would write, without their allocations): a room
/// message is rendered once per IRC way for all members, and building a [`irc::Line`] for it
/// cost about a tenth of the IRC port's fan-out.
pub fn privmsg(out: &mut String, t: &Text<'_>, caps: Caps) {
    write(out, t, caps, None);
}

/// A message that answers message `to`: with `message-tags`, each line carries `+draft/reply`
/// (what clients written against the draft read) and `+reply` (the ratified name).
pub fn privmsg_replying(out: &mut String, t: &Text<'_>, caps: Caps, to: MsgId) {
    write(out, t, caps, Some(to));
}

/// Inlined into both callers, so a line that answers none pays nothing for those that do.
#[inline(always)]
fn write(out: &mut String, t: &Text<'_>, caps: Caps, reply: Option<MsgId>) {
    let command = if t.notice { "NOTICE" } else { "PRIVMSG" };
    let msgid = t.id.filter(|_| caps.contains(Caps::MESSAGE_TAGS));
    let reply = reply
        .filter(|_| caps.contains(Caps::MESSAGE_TAGS))
        .map(|r| r.to_string());
    let time = caps.tagged().then(|| server_time(t.time));
    let server = server();
    for piece in irc::split_text(t.text, TEXT_PER_LINE) {
        out.reserve(2 * t.from.len() + server.len() + t.target.len() + piece.len() + 64);
        let mut tags = Tags::new(out);
        if let Some(batch) = t.batch {
            tags.add("batch", batch);
        }
        if let Some(id) = msgid {
            tags.add("msgid", &id.to_string());
        }
        if let Some(reply) = &reply {
            tags.add("+draft/reply", reply);
            tags.add("+reply", reply);
        }
        if let Some(time) = &time {
            tags.add("time", time);
        }
        tags.end();
        for part in [
            ":", t.from, "!", t.from, "@", server, " ", command, " ", t.target,
        ] {
            out.push_str(part);
        }
        out.push_str(if irc::last_needs_colon(piece) {
            " :"
        } else {
            " "
        });
        out.push_str(piece);
        out.push_str("\r\n");
    }
}

#[cfg(test)]
mod tests {
    use super::super::lines::{line, mask, push};
    use super::*;

    /// A message's lines as a [`irc::Line`] would write them, which `privmsg` writes directly.
    fn privmsg_as_lines(t: &Text<'_>, caps: Caps, reply: Option<MsgId>) -> String {
        let mut out = String::new();
        let command = if t.notice { "NOTICE" } else { "PRIVMSG" };
        for piece in irc::split_text(t.text, TEXT_PER_LINE) {
            let mut line = line(Some(&mask(t.from)), command, &[t.target, piece]);
            if let Some(batch) = t.batch {
                line.tags.push(("batch".into(), Some(batch.to_owned())));
            }
            let tags = caps.contains(Caps::MESSAGE_TAGS);
            if let Some(id) = t.id.filter(|_| tags) {
                line.tags.push(("msgid".into(), Some(id.to_string())));
            }
            if let Some(to) = reply.filter(|_| tags) {
                line.tags
                    .push(("+draft/reply".into(), Some(to.to_string())));
                line.tags.push(("+reply".into(), Some(to.to_string())));
            }
            if caps.tagged() {
                line.tags.push(("time".into(), Some(server_time(t.time))));
            }
            push(&mut out, &line);
        }
        out
    }

    #[test]
    fn privmsg_writes_what_its_lines_would() {
        let long = "word ".repeat(150);
        let ways = [
            Caps::NONE,
            Caps::SERVER_TIME,
            Caps::SERVER_TIME.with(Caps::MESSAGE_TAGS),
        ];
        for text in ["hi", "two words", ":colon", "", "a;b\\c", long.as_str()] {
            for caps in ways {
                for (notice, batch, id) in [
                    (false, None, Some(MsgId::Room(7))),
                    (true, Some("h1"), Some(MsgId::Private(3))),
                    (false, Some("x;y z"), None),
                ] {
                    let t = Text {
                        from: "ana",
                        target: "#lobby",
                        text,
                        time: 1_796_191_408_838,
                        id,
                        notice,
                        batch,
                    };
                    let mut direct = String::new();
                    privmsg(&mut direct, &t, caps);
                    assert_eq!(
                        direct,
                        privmsg_as_lines(&t, caps, None),
                        "{text:?} {caps:?}"
                    );
                    let mut replying = String::new();
                    privmsg_replying(&mut replying, &t, caps, MsgId::Room(5));
                    assert_eq!(
                        replying,
                        privmsg_as_lines(&t, caps, Some(MsgId::Room(5))),
                        "{text:?} {caps:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn msgids_name_room_lines_and_private_messages() {
        assert_eq!(MsgId::parse("7"), Some(MsgId::Room(7)));
        assert_eq!(MsgId::parse("p12"), Some(MsgId::Private(12)));
        for bad in [
            "",
            "p",
            "x7",
            "7x",
            "-1",
            "p-1",
            "99999999999999999999",
            " 7",
        ] {
            assert_eq!(MsgId::parse(bad), None, "{bad:?}");
        }
        for id in [MsgId::Room(3), MsgId::Private(4)] {
            assert_eq!(MsgId::parse(&id.to_string()), Some(id));
        }
    }
}
