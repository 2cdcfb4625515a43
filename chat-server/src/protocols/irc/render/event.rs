//! The hub's events as IRC lines: a room line is a `PRIVMSG` to its channel, a join a `JOIN`,
//! entering a room `JOIN` with its topic and names, a closed room a `PART` with the reason; what
//! is done to lines and to keep order is `actions`'. [`IrcRender`] writes an event once per way
//! of writing it when its lines do not depend on who receives them.

use chat_core::irc::{self, Line};
use chat_core::protocol::{
    CloseReason, Presence, RoomClosedReason, RoomTopic, ServerMessage, Target,
};

use super::actions;
use super::files::{self, Reader};
use super::lines::{channel, closing, line, mask, numeric, push, server, server_time};
use super::message::{MsgId, Text, privmsg, privmsg_replying};
use crate::delivery::event::{Event, Reacted};
use crate::delivery::outbox::Frame;
use crate::delivery::peer::{Peer, Render};
use crate::protocols::irc::caps::Caps;
use crate::protocols::ways;

/// Bytes of names one `353` line lists: the line's 512 less the longest rest of it (the
/// server's name, the numeric, a 32-byte nick, a channel of 32 characters of up to 4 bytes, the
/// separators and CR LF).
const NAMES_PER_LINE: usize = 290;

/// Whether an event's IRC lines depend on who receives them (they name the recipient, or
/// depend on its capabilities beyond tags: someone away joining is followed by an `AWAY` for
/// clients with `away-notify`, a deletion is a `REDACT` for clients with
/// `draft/message-redaction`), so they cannot be shared between recipients.
pub fn names_recipient(message: &ServerMessage) -> bool {
    !matches!(
        message,
        // A line's files are linked for each reader.
        ServerMessage::Message { attachments, .. } if attachments.is_empty())
        && !matches!(
            message,
            ServerMessage::Joined {
                presence: Presence::Online,
                ..
            } | ServerMessage::Left { .. }
                | ServerMessage::Rooms { .. }
                | ServerMessage::Reactions {
                    target: Target::Room(_),
                    ..
                }
                | ServerMessage::Edited {
                    target: Target::Room(_),
                    ..
                }
                | ServerMessage::Moderated { .. }
                | ServerMessage::Topic { .. }
        )
}

/// How an event shows on IRC beyond its message.
#[derive(Debug, Clone, Copy, Default)]
pub struct Style<'a> {
    /// Messages as `NOTICE`.
    pub notice: bool,
    /// Why: a `left` that is the user disconnecting is a `QUIT` with this message; the reason
    /// of a `KICK` or a `REDACT`.
    pub why: Option<&'a str>,
    /// A `joined` of a user who is away: its away message.
    pub away: Option<&'a str>,
    /// A `joined` of someone who keeps order in the room: a channel operator.
    pub operator: bool,
    /// A `joined` of someone voiced in the room.
    pub voiced: bool,
    /// An `edited` line's author.
    pub author: Option<&'a str>,
    /// A `reactions`: each reaction put on or taken off since the last.
    pub reacted: &'a [Reacted],
    /// A `moderated` removal of a member who was in the room: a `KICK`.
    pub in_room: bool,
    /// Who reads the links to the files a message carries.
    pub reader: Option<Reader<'a>>,
}

impl<'a> Style<'a> {
    /// What `event` shows beyond its message.
    pub fn of(event: &'a Event) -> Self {
        Style {
            notice: event.is_notice(),
            why: event.why(),
            away: None,
            operator: event.is_operator(),
            voiced: event.is_voiced(),
            author: event.author(),
            reacted: event.reactions_changed(),
            in_room: event.was_in_room(),
            reader: None,
        }
    }
}

/// The lines of entering a room: the `JOIN`, its topic (`332` and `333`, when one was set) and
/// its names (the creator and administrators as operators, `@`; voiced members `+`).
pub fn entered(out: &mut String, nick: &str, room: &Entering<'_>, caps: Caps) {
    let chan = channel(room.room);
    push(out, &line(Some(&mask(nick)), "JOIN", &[&chan]));
    if let Some(topic) = room.topic {
        topic_lines(out, nick, &chan, topic);
    }
    let named = |list: &[String], member: &str| list.iter().any(|a| a.eq_ignore_ascii_case(member));
    let status = |member: &str| Status {
        operator: room.creator.is_some_and(|c| c.eq_ignore_ascii_case(member))
            || named(room.admins, member),
        voiced: named(room.voiced, member),
    };
    names(out, nick, &chan, room.members, caps, status);
}

/// `332` (the topic) and `333` (who set it, when).
pub fn topic_lines(out: &mut String, nick: &str, chan: &str, topic: &RoomTopic) {
    push(out, &numeric("332", nick, &[chan, &topic.text]));
    let when = (topic.time / 1_000).to_string();
    push(out, &numeric("333", nick, &[chan, &mask(&topic.by), &when]));
}

/// A room being entered, as `entered` writes it.
#[derive(Debug, Clone, Copy)]
pub struct Entering<'a> {
    pub room: &'a str,
    pub creator: Option<&'a str>,
    pub members: &'a [String],
    pub admins: &'a [String],
    pub voiced: &'a [String],
    pub topic: Option<&'a RoomTopic>,
}

/// What a room is without a topic, for `331`: who created it, and that it closes with them.
pub fn no_topic(creator: Option<&str>) -> String {
    match creator {
        Some(creator) => {
            format!("No topic is set; {creator} created the room, which closes when they leave")
        }
        None => "No topic is set; this is the default room, where everyone lands".into(),
    }
}

/// A member's standing in a room, as a channel's prefixes show it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Status {
    /// Keeps order (the creator, an administrator): `@`.
    pub operator: bool,
    /// Voiced (not slowed): `+`.
    pub voiced: bool,
}

impl Status {
    /// The prefixes: the highest alone, or every one with `multi-prefix`.
    pub fn prefixes(self, caps: Caps) -> &'static str {
        match (self.operator, self.voiced) {
            (true, true) if caps.contains(Caps::MULTI_PREFIX) => "@+",
            (true, _) => "@",
            (false, true) => "+",
            (false, false) => "",
        }
    }
}

/// `353` lines of names (as many as fit a line each), then `366`; masks with
/// `userhost-in-names`; each member's prefixes as `status` says.
pub fn names(
    out: &mut String,
    nick: &str,
    chan: &str,
    members: &[String],
    caps: Caps,
    status: impl Fn(&str) -> Status,
) {
    let mut batch = String::new();
    for member in members {
        let prefix = status(member).prefixes(caps);
        let shown = if caps.contains(Caps::USERHOST_IN_NAMES) {
            format!("{prefix}{}", mask(member))
        } else {
            format!("{prefix}{member}")
        };
        if batch.len() + shown.len() + 1 > NAMES_PER_LINE {
            push(out, &numeric("353", nick, &["=", chan, &batch]));
            batch.clear();
        }
        if !batch.is_empty() {
            batch.push(' ');
        }
        batch.push_str(&shown);
    }
    if !batch.is_empty() {
        push(out, &numeric("353", nick, &["=", chan, &batch]));
    }
    push(out, &numeric("366", nick, &[chan, "End of /NAMES list"]));
}

/// An event as IRC lines for a client with `caps` whose nick is `nick` (empty for events that
/// name no recipient); `None` when IRC shows nothing of it.
pub fn write_event(
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
            reply_to,
            attachments,
        } => {
            let t = Text {
                from,
                target: &channel(room),
                text,
                time,
                id: Some(MsgId::Room(*id)),
                notice: style.notice,
                batch: None,
            };
            let reply = reply_to.as_ref().map(|to| MsgId::Room(to.line));
            match (reply, attachments.is_empty()) {
                (None, true) => privmsg(&mut out, &t, caps),
                (Some(to), true) => privmsg_replying(&mut out, &t, caps, to),
                (_, false) => files::message(&mut out, &t, caps, reply, attachments, style.reader),
            }
        }
        ServerMessage::Joined {
            room,
            login,
            presence,
        } => {
            let chan = channel(room);
            push(&mut out, &line(Some(&mask(login)), "JOIN", &[&chan]));
            // away-notify: "when a user joins and has an away message set".
            if *presence == Presence::Away && caps.contains(Caps::AWAY_NOTIFY) && login != nick {
                let why = style.away.unwrap_or("Away");
                push(&mut out, &line(Some(&mask(login)), "AWAY", &[why]));
            }
            if style.operator {
                push(&mut out, &line(None, "MODE", &[&chan, "+o", login]));
            }
            if style.voiced {
                push(&mut out, &line(None, "MODE", &[&chan, "+v", login]));
            }
        }
        ServerMessage::Left { room, login } => match style.why {
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
            reply_to,
            attachments,
        } => {
            // A kept message's time leads its text for clients without tags (a message of
            // files alone: its first file line).
            let stamp = (*stored && !caps.tagged())
                .then(|| format!("[{}]", &server_time(time)[..16].replace('T', " ")));
            let text = match &stamp {
                Some(stamp) if !text.is_empty() => format!("{stamp} {text}"),
                _ => text.clone(),
            };
            let t = Text {
                from,
                target: nick,
                text: &text,
                time,
                id: Some(MsgId::Private(*id)),
                notice: style.notice,
                batch: None,
            };
            let reply = reply_to.as_ref().map(|to| MsgId::Private(to.line));
            match stamp {
                Some(stamp) if text.is_empty() && !attachments.is_empty() => {
                    files::file_lines(
                        &mut out,
                        &t,
                        caps,
                        reply,
                        attachments,
                        style.reader,
                        Some(&stamp),
                    );
                }
                _ => files::message(&mut out, &t, caps, reply, attachments, style.reader),
            }
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
            admins,
            voiced,
            topic,
            ..
        } => {
            let room = Entering {
                room,
                creator: creator.as_deref(),
                members,
                admins,
                voiced,
                topic: topic.as_ref(),
            };
            entered(&mut out, nick, &room, caps);
        }
        ServerMessage::Reactions {
            target, line: id, ..
        } => {
            let about = actions::About {
                target,
                line: *id,
                time,
                caps,
                nick,
            };
            actions::reactions(&mut out, &about, style.reacted);
        }
        ServerMessage::Edited {
            target,
            line: id,
            text,
            ..
        } => {
            let about = actions::About {
                target,
                line: *id,
                time,
                caps,
                nick,
            };
            actions::edited(&mut out, &about, text, style.author);
        }
        ServerMessage::MessageDeleted {
            target,
            line: id,
            by,
        } => {
            let about = actions::About {
                target,
                line: *id,
                time,
                caps,
                nick,
            };
            actions::deleted(&mut out, &about, by, style.why);
        }
        ServerMessage::Moderated {
            room,
            action,
            login,
            by,
            seconds,
            ..
        } => {
            let done = actions::Done {
                room,
                action: *action,
                login: login.as_deref(),
                by,
                seconds: *seconds,
                in_room: style.in_room,
                why: style.why,
            };
            actions::moderated(&mut out, &done, time, caps);
        }
        ServerMessage::Report { .. } => actions::report(&mut out, message, nick),
        ServerMessage::Topic { room, topic, by } => push(
            &mut out,
            &line(Some(&mask(by)), "TOPIC", &[&channel(room), topic]),
        ),
        ServerMessage::Ping => push(&mut out, &Line::new("PING", &[server()])),
        ServerMessage::Error { message, .. } => {
            push(&mut out, &line(None, "NOTICE", &[nick, message]));
        }
        ServerMessage::Goodbye { reason, message } => {
            push(&mut out, &Line::new("ERROR", &[&closing(*reason, message)]));
        }
        _ => return None,
    }
    (!out.is_empty()).then(|| Frame::from(out.into_bytes()))
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
        if names_recipient(event.message()) {
            // Only lines written for one recipient show an away message (a `joined` of someone
            // away); the shared ways of writing an event never do.
            let reader = peer
                .file_links()
                .zip(peer.login())
                .map(|(links, login)| Reader {
                    links,
                    key: &login.key,
                });
            let style = Style {
                away: event.away_message(),
                reader,
                ..Style::of(event)
            };
            return write_event(event.message(), event.time(), caps, peer.name(), style);
        }
        let [plain, timed, tagged] = ways::IRC;
        let (way, shown) = if caps.contains(Caps::MESSAGE_TAGS) {
            (tagged, Caps::SERVER_TIME.with(Caps::MESSAGE_TAGS))
        } else if caps.tagged() {
            (timed, Caps::SERVER_TIME)
        } else {
            (plain, Caps::NONE)
        };
        // What shows beyond the message is read once per way, not once per member.
        event.written(way, || {
            write_event(event.message(), event.time(), shown, "", Style::of(event))
        })
    }

    fn goodbye(&self, _re: Option<u32>, reason: CloseReason, message: &str) -> Option<Frame> {
        let line = Line::new("ERROR", &[&closing(reason, message)]);
        Some(Frame::from(irc::to_string(&line).into_bytes()))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::message::TEXT_PER_LINE;
    use super::*;

    /// The text of a `:source PRIVMSG target text` line, which may be longer than `parse` takes.
    fn privmsg_text(line: &str) -> &str {
        let rest = line.splitn(4, ' ').nth(3).unwrap();
        rest.strip_prefix(':').unwrap_or(rest)
    }

    fn room_line(room: String, text: String) -> Vec<String> {
        let frame = write_event(
            &ServerMessage::Message {
                attachments: Vec::new(),
                reply_to: None,
                room,
                from: "x".repeat(32),
                text,
                id: 1,
            },
            0,
            Caps::NONE,
            "",
            Style::default(),
        )
        .unwrap();
        std::str::from_utf8(&frame)
            .unwrap()
            .split_terminator("\r\n")
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn a_message_a_client_line_can_carry_is_relayed_as_one_line() {
        let text = "a".repeat(TEXT_PER_LINE - 4) + "😃";
        let lines = room_line("a".into(), text.clone());
        assert_eq!(lines.len(), 1);
        assert_eq!(privmsg_text(&lines[0]), text);
        // The longest text a client's 512-byte line carries: `PRIVMSG #a word` with CR LF.
        assert_eq!(
            "PRIVMSG #a ".len() + TEXT_PER_LINE + 2,
            chat_core::irc::MAX_LINE_BYTES
        );
    }

    #[test]
    fn a_long_room_line_becomes_several_privmsgs_of_at_most_a_client_line_of_text() {
        let text = "ñ".repeat(2000);
        let lines = room_line("𠀀".repeat(32), text.clone());
        assert!(lines.len() > 1);
        let pieces: Vec<&str> = lines.iter().map(|l| privmsg_text(l)).collect();
        assert!(pieces.iter().all(|p| p.len() <= TEXT_PER_LINE));
        let rebuilt: String = pieces.concat();
        assert_eq!(rebuilt, text);
    }

    #[test]
    fn the_creator_and_administrators_are_operators_in_names() {
        let members: Vec<String> = ["ana", "bob", "eve"].map(String::from).into();
        let admins = vec!["Eve".to_owned()];
        let voiced = vec!["bob".to_owned(), "ana".to_owned()];
        let room = Entering {
            room: "r",
            creator: Some("ana"),
            members: &members,
            admins: &admins,
            voiced: &voiced,
            topic: None,
        };
        let mut out = String::new();
        entered(&mut out, "bob", &room, Caps::NONE);
        assert!(out.contains(" 353 bob = #r :@ana +bob @eve\r\n"), "{out}");
        assert!(!out.contains(" 332 "), "no topic, no 332: {out}");
        let mut out = String::new();
        entered(&mut out, "bob", &room, Caps::MULTI_PREFIX);
        assert!(out.contains(" 353 bob = #r :@+ana +bob @eve\r\n"), "{out}");
        let mut out = String::new();
        entered(&mut out, "bob", &room, Caps::USERHOST_IN_NAMES);
        assert!(out.contains(":@ana!ana@"), "{out}");
    }
}
