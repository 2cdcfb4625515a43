//! The hub's events as IRC lines: a room line is a `PRIVMSG` to its channel, a join a `JOIN`,
//! entering a room `JOIN` with its topic and names, a closed room a `PART` with the reason.

use chat_core::irc::{self, Line};
use chat_core::protocol::{CloseReason, Presence, RoomClosedReason, ServerMessage};

use super::caps::Caps;
use crate::delivery::event::Event;
use crate::delivery::outbox::Frame;
use crate::delivery::peer::{Peer, Render};
use crate::protocols::ways;

/// The server's name in lines it sends (and the host part of every user's mask) unless
/// `irc_server_name` says otherwise.
pub const DEFAULT_SERVER_NAME: &str = "chat";

static SERVER_NAME: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Names the server on IRC, once per process (the first server started names it; the default
/// is [`DEFAULT_SERVER_NAME`]).
pub fn name_server(name: &str) {
    let _ = SERVER_NAME.set(name.to_owned());
}

/// The server's name on IRC.
pub fn server() -> &'static str {
    SERVER_NAME
        .get()
        .map_or(DEFAULT_SERVER_NAME, String::as_str)
}

/// Bytes of text one `PRIVMSG` carries: the most a client's own line can carry (512 bytes less
/// `PRIVMSG`, the shortest target, a separator and CR LF). So a message an IRC client wrote is
/// relayed as the one line it wrote, even where the sender's source (`login!login@host`) takes
/// the relayed line past 512 bytes, as Ergo relays them: cut, it would lose its end; split, it
/// would arrive as two messages. Longer text, which the chat's own clients may send (2,000
/// characters), is split over several lines.
pub const TEXT_PER_LINE: usize = 499;

/// Bytes of names one `353` line lists: the line's 512 less the longest rest of it (the
/// server's name, the numeric, a 32-byte nick, a channel of 32 characters of up to 4 bytes, the
/// separators and CR LF).
const NAMES_PER_LINE: usize = 290;

/// The channel of a room.
pub fn channel(room: &str) -> String {
    format!("#{room}")
}

/// A user's mask, `login!login@chat`.
pub fn mask(login: &str) -> String {
    format!("{login}!{login}@{}", server())
}

/// A line from `source` (a mask, or the server when `None`).
pub fn line(source: Option<&str>, command: &str, params: &[&str]) -> Line {
    let mut line = Line::new(command, params);
    line.source = Some(source.unwrap_or(server()).to_owned());
    line
}

/// A numeric reply to `nick` (`*` before registration).
pub fn numeric(code: &str, nick: &str, params: &[&str]) -> Line {
    let mut all = vec![if nick.is_empty() { "*" } else { nick }];
    all.extend_from_slice(params);
    line(None, code, &all)
}

/// Adds `line` (with CR LF) to `out`.
pub fn push(out: &mut String, line: &Line) {
    irc::write(line, out);
}

/// `time` (ms since the epoch) as IRCv3's `server-time`: `2026-12-02T07:00:00.000Z`.
pub fn server_time(ms: i64) -> String {
    let (days, day_ms) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
    // Days since 1970-01-01 to a civil date (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let (h, m, s, milli) = (
        day_ms / 3_600_000,
        day_ms / 60_000 % 60,
        day_ms / 1_000 % 60,
        day_ms % 1_000,
    );
    format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{milli:03}Z")
}

/// Whether an event's IRC lines depend on who receives them (they name the recipient, or
/// depend on its capabilities beyond tags: someone away joining is followed by an `AWAY` for
/// clients with `away-notify`), so they cannot be shared between recipients.
pub fn names_recipient(message: &ServerMessage) -> bool {
    !matches!(
        message,
        ServerMessage::Message { .. }
            | ServerMessage::Joined {
                presence: Presence::Online,
                ..
            }
            | ServerMessage::Left { .. }
            | ServerMessage::Rooms { .. }
    )
}

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
/// message is rendered once per IRC way for all members, and building a [`Line`] for it cost
/// about a tenth of the IRC port's fan-out.
pub fn privmsg(out: &mut String, t: &Text<'_>, caps: Caps) {
    let command = if t.notice { "NOTICE" } else { "PRIVMSG" };
    let msgid = t.id.filter(|_| caps.contains(Caps::MESSAGE_TAGS));
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

/// A line's tag section, written as tags are added.
struct Tags<'a> {
    out: &'a mut String,
    any: bool,
}

impl<'a> Tags<'a> {
    fn new(out: &'a mut String) -> Self {
        Tags { out, any: false }
    }

    fn add(&mut self, key: &str, value: &str) {
        self.out.push(if self.any { ';' } else { '@' });
        self.out.push_str(key);
        self.out.push('=');
        irc::escape_tag(value, self.out);
        self.any = true;
    }

    /// The space that ends the section, when there is one.
    fn end(self) {
        if self.any {
            self.out.push(' ');
        }
    }
}

/// How an event shows on IRC beyond its message.
#[derive(Debug, Clone, Copy, Default)]
pub struct Style<'a> {
    /// Messages as `NOTICE`.
    pub notice: bool,
    /// A `left` that is the user disconnecting: a `QUIT` with this message.
    pub quit: Option<&'a str>,
    /// A `joined` of a user who is away: its away message.
    pub away: Option<&'a str>,
}

/// The lines of entering a room: the `JOIN`, its topic (who created it) and its names.
pub fn entered(
    out: &mut String,
    nick: &str,
    room: &str,
    creator: Option<&str>,
    members: &[String],
    caps: Caps,
) {
    let chan = channel(room);
    push(out, &line(Some(&mask(nick)), "JOIN", &[&chan]));
    push(out, &numeric("332", nick, &[&chan, &topic(creator)]));
    names(out, nick, &chan, members, caps);
}

/// A room's topic: who created it.
pub fn topic(creator: Option<&str>) -> String {
    match creator {
        Some(creator) => format!("created by {creator}; it closes when {creator} leaves"),
        None => "the default room: everyone lands here".into(),
    }
}

/// `353` lines of names (as many as fit a line each), then `366`; masks with
/// `userhost-in-names`.
pub fn names(out: &mut String, nick: &str, chan: &str, members: &[String], caps: Caps) {
    let mut batch = String::new();
    for member in members {
        let masked;
        let member = if caps.contains(Caps::USERHOST_IN_NAMES) {
            masked = mask(member);
            &masked
        } else {
            member
        };
        if batch.len() + member.len() + 1 > NAMES_PER_LINE {
            push(out, &numeric("353", nick, &["=", chan, &batch]));
            batch.clear();
        }
        if !batch.is_empty() {
            batch.push(' ');
        }
        batch.push_str(member);
    }
    if !batch.is_empty() {
        push(out, &numeric("353", nick, &["=", chan, &batch]));
    }
    push(out, &numeric("366", nick, &[chan, "End of /NAMES list"]));
}

/// Why a connection closes, for `ERROR`.
pub fn closing(reason: CloseReason, message: &str) -> String {
    let why = match reason {
        CloseReason::Exit => "Quit",
        CloseReason::TakenOver => "Logged in elsewhere",
        CloseReason::SlowConsumer => "SendQ exceeded",
        CloseReason::ServerShutdown => "Server shutting down",
        CloseReason::HandshakeTimeout => "Registration timeout",
        CloseReason::IdleTimeout => "Ping timeout",
        CloseReason::TooManyConnections => "Too many connections",
        CloseReason::Flood => "Excess flood",
        CloseReason::ProtocolError | CloseReason::Unknown => "Protocol error",
    };
    format!("Closing link: {why} ({message})")
}

/// An event as IRC lines for a client with `caps` whose nick is `nick` (empty for events that
/// name no recipient); `None` when IRC shows nothing of it.
pub fn event(
    message: &ServerMessage,
    time: i64,
    caps: Caps,
    nick: &str,
    style: Style<'_>,
) -> Option<Frame> {
    let mut out = String::with_capacity(128);
    match message {
        ServerMessage::Message {
            room,
            from,
            text,
            id,
            ..
        } => privmsg(
            &mut out,
            &Text {
                from,
                target: &channel(room),
                text,
                time,
                id: Some(MsgId::Room(*id)),
                notice: style.notice,
                batch: None,
            },
            caps,
        ),
        ServerMessage::Joined {
            room,
            login,
            presence,
        } => {
            push(
                &mut out,
                &line(Some(&mask(login)), "JOIN", &[&channel(room)]),
            );
            // away-notify: "when a user joins and has an away message set".
            if *presence == Presence::Away && caps.contains(Caps::AWAY_NOTIFY) && login != nick {
                let why = style.away.unwrap_or("Away");
                push(&mut out, &line(Some(&mask(login)), "AWAY", &[why]));
            }
        }
        ServerMessage::Left { room, login } => match style.quit {
            Some(why) => push(&mut out, &line(Some(&mask(login)), "QUIT", &[why])),
            None => push(
                &mut out,
                &line(Some(&mask(login)), "PART", &[&channel(room)]),
            ),
        },
        ServerMessage::Private {
            from,
            text,
            stored,
            id,
            ..
        } => {
            let text = if *stored && !caps.tagged() {
                format!("[{}] {text}", &server_time(time)[..16].replace('T', " "))
            } else {
                text.clone()
            };
            privmsg(
                &mut out,
                &Text {
                    from,
                    target: nick,
                    text: &text,
                    time,
                    id: Some(MsgId::Private(*id)),
                    notice: style.notice,
                    batch: None,
                },
                caps,
            );
        }
        ServerMessage::PrivateDropped { count } => {
            let text = format!(
                "{count} older private messages kept for you were dropped: the server keeps 1000"
            );
            push(&mut out, &line(None, "NOTICE", &[nick, &text]));
        }
        ServerMessage::Typing { from, .. } => {
            if !caps.contains(Caps::MESSAGE_TAGS) {
                return None;
            }
            let mut typing = line(Some(&mask(from)), "TAGMSG", &[nick]);
            typing.tags.push(("+typing".into(), Some("active".into())));
            push(&mut out, &typing);
        }
        ServerMessage::Presence {
            login,
            presence,
            text,
        } => {
            if !caps.contains(Caps::AWAY_NOTIFY) || login == nick {
                return None;
            }
            let params: Vec<&str> = match presence {
                Presence::Away => vec![text.as_deref().unwrap_or("Away")],
                Presence::Online => Vec::new(),
                Presence::Offline | Presence::Unknown => return None,
            };
            push(&mut out, &line(Some(&mask(login)), "AWAY", &params));
        }
        ServerMessage::RoomClosed { room, reason } => {
            let why = match reason {
                RoomClosedReason::Deleted => "the room was deleted by its creator",
                RoomClosedReason::CreatorLeft | RoomClosedReason::Unknown => {
                    "the room closed: its creator left"
                }
            };
            push(
                &mut out,
                &line(Some(&mask(nick)), "PART", &[&channel(room), why]),
            );
        }
        ServerMessage::Entered {
            room,
            creator,
            members,
            ..
        } => entered(&mut out, nick, room, creator.as_deref(), members, caps),
        ServerMessage::Ping => push(&mut out, &Line::new("PING", &[server()])),
        ServerMessage::Error { message, .. } => {
            push(&mut out, &line(None, "NOTICE", &[nick, message]));
        }
        ServerMessage::Goodbye { reason, message } => {
            push(&mut out, &Line::new("ERROR", &[&closing(*reason, message)]));
        }
        _ => return None,
    }
    Some(Frame::from(out.into_bytes()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// A message's lines as a [`Line`] would write them, which `privmsg` writes directly.
    fn privmsg_as_lines(t: &Text<'_>, caps: Caps) -> String {
        let mut out = String::new();
        let command = if t.notice { "NOTICE" } else { "PRIVMSG" };
        for piece in irc::split_text(t.text, TEXT_PER_LINE) {
            let mut line = line(Some(&mask(t.from)), command, &[t.target, piece]);
            if let Some(batch) = t.batch {
                line.tags.push(("batch".into(), Some(batch.to_owned())));
            }
            if let Some(id) = t.id.filter(|_| caps.contains(Caps::MESSAGE_TAGS)) {
                line.tags.push(("msgid".into(), Some(id.to_string())));
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
                    assert_eq!(direct, privmsg_as_lines(&t, caps), "{text:?} {caps:?}");
                }
            }
        }
    }

    #[test]
    fn times_are_written_as_server_time() {
        assert_eq!(server_time(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(server_time(1_796_191_408_838), "2026-12-02T06:03:28.838Z");
        assert_eq!(server_time(951_782_400_000), "2000-02-29T00:00:00.000Z");
    }

    /// The text of a `:source PRIVMSG target text` line, which may be longer than `parse` takes.
    fn privmsg_text(line: &str) -> &str {
        let rest = line.splitn(4, ' ').nth(3).unwrap();
        rest.strip_prefix(':').unwrap_or(rest)
    }

    #[test]
    fn a_message_a_client_line_can_carry_is_relayed_as_one_line() {
        let text = "a".repeat(TEXT_PER_LINE - 4) + "😃";
        let frame = event(
            &ServerMessage::Message {
                reply_to: None,
                room: "a".into(),
                from: "x".repeat(32),
                text: text.clone(),
                id: 1,
            },
            0,
            Caps::NONE,
            "",
            Style::default(),
        )
        .unwrap();
        let lines: Vec<&str> = std::str::from_utf8(&frame)
            .unwrap()
            .split_terminator("\r\n")
            .collect();
        assert_eq!(lines.len(), 1);
        assert_eq!(privmsg_text(lines[0]), text);
        // The longest text a client's 512-byte line carries: `PRIVMSG #a word` with CR LF.
        assert_eq!(
            "PRIVMSG #a ".len() + TEXT_PER_LINE + 2,
            chat_core::irc::MAX_LINE_BYTES
        );
    }

    #[test]
    fn a_long_room_line_becomes_several_privmsgs_of_at_most_a_client_line_of_text() {
        let text = "ñ".repeat(2000);
        let frame = event(
            &ServerMessage::Message {
                reply_to: None,
                room: "𠀀".repeat(32),
                from: "x".repeat(32),
                text: text.clone(),
                id: 1,
            },
            0,
            Caps::NONE,
            "",
            Style::default(),
        )
        .unwrap();
        let lines: Vec<&str> = std::str::from_utf8(&frame)
            .unwrap()
            .split_terminator("\r\n")
            .collect();
        assert!(lines.len() > 1);
        let pieces: Vec<&str> = lines.iter().map(|l| privmsg_text(l)).collect();
        assert!(pieces.iter().all(|p| p.len() <= TEXT_PER_LINE));
        let rebuilt: String = pieces.concat();
        assert_eq!(rebuilt, text);
    }
}

/// How the IRC port writes for its clients (see `peer::Render`).
#[derive(Debug)]
pub(crate) struct IrcRender;

impl Render for IrcRender {
    fn event(&self, event: &Event, peer: &Peer) -> Option<Frame> {
        if event.is_written_only() {
            return None;
        }
        let caps = Caps::from_bits(peer.options());
        if event.origin() == Some(peer.id) && !caps.contains(Caps::ECHO_MESSAGE) {
            return None;
        }
        let style = Style {
            notice: event.is_notice(),
            quit: event.quit(),
            away: None,
        };
        if names_recipient(event.message()) {
            // Only lines written for one recipient show an away message (a `joined` of someone
            // away); the shared ways of writing an event never do.
            let style = Style {
                away: event.away_message(),
                ..style
            };
            return self::event(event.message(), event.time(), caps, peer.name(), style);
        }
        let [plain, timed, tagged] = ways::IRC;
        let (way, shown) = if caps.contains(Caps::MESSAGE_TAGS) {
            (tagged, Caps::SERVER_TIME.with(Caps::MESSAGE_TAGS))
        } else if caps.tagged() {
            (timed, Caps::SERVER_TIME)
        } else {
            (plain, Caps::NONE)
        };
        event.written(way, || {
            self::event(event.message(), event.time(), shown, "", style)
        })
    }

    fn goodbye(&self, _re: Option<u32>, reason: CloseReason, message: &str) -> Option<Frame> {
        let line = Line::new("ERROR", &[&closing(reason, message)]);
        Some(Frame::from(irc::to_string(&line).into_bytes()))
    }
}
