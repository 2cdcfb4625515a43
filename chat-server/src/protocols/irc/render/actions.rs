//! What is done to lines and to keep order, as IRC shows it. A reaction is a `TAGMSG` with
//! `+draft/react` (or `+draft/unreact`) naming the line, for clients with `message-tags`; an
//! edit, the new text as a `PRIVMSG` from its author marked as an edit (naming the line to
//! clients with tags); a deletion, a `REDACT` for clients with `draft/message-redaction`; order
//! kept, `KICK` and `MODE` lines from whoever kept it; a report, a `NOTICE` to an administrator.

use chat_core::irc::Line;
use chat_core::protocol::{ModAction, ServerMessage, Target};

use super::lines::{channel, line, mask, push, server_time};
use super::message::{MsgId, Text, privmsg_replying};
use crate::delivery::event::Reacted;
use crate::protocols::irc::caps::Caps;

/// What an edited line's new text starts with, so that clients that show it as a new message
/// show it as an edit.
pub const EDIT_MARK: &str = "[edit] ";

/// The line an action is about, and for whom it is written.
#[derive(Debug, Clone, Copy)]
pub struct About<'a> {
    /// Where the line is: a room, or (written for `nick`) the conversation with this user.
    pub target: &'a Target,
    /// The line's number.
    pub line: u64,
    /// When the action happened (ms since the epoch).
    pub time: i64,
    pub caps: Caps,
    /// The recipient's nick (empty where the lines are shared: a room's).
    pub nick: &'a str,
}

impl About<'_> {
    /// The line's `msgid`.
    fn msgid(&self) -> String {
        match self.target {
            Target::Room(_) => MsgId::Room(self.line),
            Target::With(_) => MsgId::Private(self.line),
        }
        .to_string()
    }

    /// Where a line from `source` about it goes: the channel, or in a conversation the other
    /// user of it (the recipient, unless `source` is the recipient itself).
    fn destination(&self, source: &str) -> String {
        match self.target {
            Target::Room(room) => channel(room),
            Target::With(with) if source.eq_ignore_ascii_case(self.nick) => with.clone(),
            Target::With(_) => self.nick.to_owned(),
        }
    }

    /// `line` with a `time` tag, for clients that take one.
    fn stamped(&self, line: Line) -> Line {
        stamped(line, self.time, self.caps)
    }
}

/// `line` with a `time` tag when `caps` take one.
fn stamped(mut line: Line, time: i64, caps: Caps) -> Line {
    if caps.tagged() {
        line.tags.push(("time".into(), Some(server_time(time))));
    }
    line
}

/// The mask a removal bans: the login, from anywhere (`login!*@*`).
pub fn ban_mask(login: &str) -> String {
    format!("{login}!*@*")
}

/// Reactions put on a line and taken off since the last: one `TAGMSG` each, from whoever
/// reacted, for clients with `message-tags` (others see nothing: a reaction is no message).
pub fn reactions(out: &mut String, about: &About<'_>, reacted: &[Reacted]) {
    if !about.caps.contains(Caps::MESSAGE_TAGS) {
        return;
    }
    let msgid = about.msgid();
    for r in reacted {
        let mut tagmsg = line(Some(&mask(&r.by)), "TAGMSG", &[&about.destination(&r.by)]);
        let key = if r.on {
            "+draft/react"
        } else {
            "+draft/unreact"
        };
        tagmsg.tags.push((key.into(), Some(r.emoji.clone())));
        tagmsg
            .tags
            .push(("+draft/reply".into(), Some(msgid.clone())));
        tagmsg.tags.push(("+reply".into(), Some(msgid.clone())));
        push(out, &about.stamped(tagmsg));
    }
}

/// An edited line: its new text, from its author, marked as an edit ([`EDIT_MARK`]); clients
/// with `message-tags` are told which line it replaces, as a reply to it. It carries no
/// `msgid`: it is not a line of its own.
pub fn edited(out: &mut String, about: &About<'_>, text: &str, author: Option<&str>) {
    let Some(author) = author else {
        return;
    };
    let marked = format!("{EDIT_MARK}{text}");
    let t = Text {
        from: author,
        target: &about.destination(author),
        text: &marked,
        time: about.time,
        id: None,
        notice: false,
        batch: None,
    };
    let line = match about.target {
        Target::Room(_) => MsgId::Room(about.line),
        Target::With(_) => MsgId::Private(about.line),
    };
    privmsg_replying(out, &t, about.caps, line);
}

/// A deleted line: `REDACT target msgid [reason]` from whoever deleted it, for clients with
/// `draft/message-redaction`; others are told nothing (the line they saw stays on their screen,
/// as with any IRC client that has not heard of redaction).
pub fn deleted(out: &mut String, about: &About<'_>, by: &str, why: Option<&str>) {
    if !about.caps.contains(Caps::REDACTION) {
        return;
    }
    let destination = about.destination(by);
    let msgid = about.msgid();
    let mut params = vec![destination.as_str(), msgid.as_str()];
    params.extend(why);
    push(
        out,
        &about.stamped(line(Some(&mask(by)), "REDACT", &params)),
    );
}

/// Order kept in a room, as its members are told.
#[derive(Debug, Clone, Copy)]
pub struct Done<'a> {
    pub room: &'a str,
    pub action: ModAction,
    pub login: Option<&'a str>,
    pub by: &'a str,
    pub seconds: Option<u32>,
    /// A removal of a member who was in the room: a `KICK` too.
    pub in_room: bool,
    /// The reason given.
    pub why: Option<&'a str>,
}

/// Order kept, from whoever kept it: a removal is a `KICK` (when the member was in the room)
/// and a ban, `MODE +b login!*@*`; a readmission lifts the ban (`-b`); a mute is a quiet,
/// `MODE +q login!*@*` (`-q` unmutes); voice is `+v login` (`-v`); slow mode is `+m` (`-m` when
/// off).
pub fn moderated(out: &mut String, done: &Done<'_>, time: i64, caps: Caps) {
    let chan = channel(done.room);
    let source = mask(done.by);
    let mode = |out: &mut String, change: &str, login: Option<&str>| {
        // Lists take masks; voice takes the nick.
        let masked = login.map(|l| {
            if change.ends_with('v') {
                l.to_owned()
            } else {
                ban_mask(l)
            }
        });
        let mut params = vec![chan.as_str(), change];
        params.extend(masked.as_deref());
        push(
            out,
            &stamped(line(Some(&source), "MODE", &params), time, caps),
        );
    };
    match (done.action, done.login) {
        (ModAction::Remove, Some(login)) => {
            if done.in_room {
                let why = done.why.unwrap_or(done.by);
                let kick = line(Some(&source), "KICK", &[&chan, login, why]);
                push(out, &stamped(kick, time, caps));
            }
            mode(out, "+b", Some(login));
        }
        (ModAction::Readmit, Some(login)) => mode(out, "-b", Some(login)),
        (ModAction::Mute, Some(login)) => mode(out, "+q", Some(login)),
        (ModAction::Unmute, Some(login)) => mode(out, "-q", Some(login)),
        (ModAction::Voice, Some(login)) => mode(out, "+v", Some(login)),
        (ModAction::Devoice, Some(login)) => mode(out, "-v", Some(login)),
        (ModAction::Slow, _) => {
            let on = done.seconds.is_some_and(|s| s > 0);
            mode(out, if on { "+m" } else { "-m" }, None);
        }
        _ => {}
    }
}

/// A report, for an administrator: a `NOTICE` from the server saying who reported which line
/// of whom, its first words and why.
pub fn report(out: &mut String, message: &ServerMessage, nick: &str) {
    let ServerMessage::Report {
        from,
        target,
        line: id,
        author,
        excerpt,
        reason,
    } = message
    else {
        return;
    };
    let place = match target {
        Target::Room(room) => format!("line {id} of {}", channel(room)),
        Target::With(with) => format!("private message p{id} to {from} (with {with})"),
    };
    let why = reason
        .as_deref()
        .map(|r| format!(": {r}"))
        .unwrap_or_default();
    let text = format!("Report from {from}: {place}, by {author}: \"{excerpt}\"{why}");
    push(out, &line(None, "NOTICE", &[nick, &text]));
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn about<'a>(target: &'a Target, caps: Caps, nick: &'a str) -> About<'a> {
        About {
            target,
            line: 7,
            time: 0,
            caps,
            nick,
        }
    }

    #[test]
    fn reactions_are_tagmsgs_naming_the_line_for_clients_with_tags_only() {
        let room = Target::Room("r".into());
        let reacted = [
            Reacted {
                by: "ana".into(),
                emoji: "👍".into(),
                on: true,
            },
            Reacted {
                by: "bob".into(),
                emoji: "🎉".into(),
                on: false,
            },
        ];
        let mut out = String::new();
        reactions(&mut out, &about(&room, Caps::NONE, ""), &reacted);
        assert_eq!(out, "");
        let tags = Caps::MESSAGE_TAGS.with(Caps::SERVER_TIME);
        reactions(&mut out, &about(&room, tags, ""), &reacted);
        let lines: Vec<&str> = out.split_terminator("\r\n").collect();
        assert_eq!(lines.len(), 2);
        assert!(lines[0].starts_with("@+draft/react=👍;+draft/reply=7;+reply=7;time="));
        assert!(
            lines[0].ends_with(" :ana!ana@chat TAGMSG #r"),
            "{}",
            lines[0]
        );
        assert!(lines[1].starts_with("@+draft/unreact=🎉;"), "{}", lines[1]);
    }

    #[test]
    fn in_a_conversation_lines_go_to_the_other_user() {
        let with = Target::With("ana".into());
        let caps = Caps::MESSAGE_TAGS.with(Caps::REDACTION);
        let mut out = String::new();
        // bob's view of ana deleting her message to him: the REDACT names him, its target.
        deleted(&mut out, &about(&with, caps, "bob"), "ana", Some("oops"));
        let time = "@time=1970-01-01T00:00:00.000Z ";
        assert_eq!(out, format!("{time}:ana!ana@chat REDACT bob p7 oops\r\n"));
        // ana's own view (with bob): it names bob too.
        let with = Target::With("bob".into());
        let mut out = String::new();
        deleted(&mut out, &about(&with, caps, "ana"), "ana", None);
        assert_eq!(out, format!("{time}:ana!ana@chat REDACT bob p7\r\n"));
        let mut out = String::new();
        deleted(
            &mut out,
            &about(&with, Caps::MESSAGE_TAGS, "ana"),
            "ana",
            None,
        );
        assert_eq!(out, "", "no REDACT without draft/message-redaction");
    }

    #[test]
    fn an_edit_is_its_authors_line_marked_and_naming_the_one_it_replaces() {
        let room = Target::Room("r".into());
        let mut out = String::new();
        edited(&mut out, &about(&room, Caps::NONE, ""), "new", Some("ana"));
        assert_eq!(out, ":ana!ana@chat PRIVMSG #r :[edit] new\r\n");
        let mut out = String::new();
        edited(
            &mut out,
            &about(&room, Caps::MESSAGE_TAGS, ""),
            "new",
            Some("ana"),
        );
        assert!(
            out.starts_with(
                "@+draft/reply=7;+reply=7;time=1970-01-01T00:00:00.000Z :ana!ana@chat PRIVMSG #r :"
            ),
            "{out}"
        );
    }

    #[test]
    fn a_removal_is_a_kick_and_a_ban_and_slow_mode_is_moderated() {
        let done = Done {
            room: "r",
            action: ModAction::Remove,
            login: Some("bob"),
            by: "ana",
            seconds: None,
            in_room: true,
            why: None,
        };
        let mut out = String::new();
        moderated(&mut out, &done, 0, Caps::NONE);
        assert_eq!(
            out,
            ":ana!ana@chat KICK #r bob ana\r\n:ana!ana@chat MODE #r +b bob!*@*\r\n"
        );
        let mut out = String::new();
        let elsewhere = Done {
            in_room: false,
            ..done
        };
        moderated(&mut out, &elsewhere, 0, Caps::NONE);
        assert_eq!(
            out, ":ana!ana@chat MODE #r +b bob!*@*\r\n",
            "not in the room"
        );
        let slow = Done {
            action: ModAction::Slow,
            login: None,
            seconds: Some(0),
            ..done
        };
        let mut out = String::new();
        moderated(&mut out, &slow, 0, Caps::NONE);
        assert_eq!(out, ":ana!ana@chat MODE #r -m\r\n");
    }
}
