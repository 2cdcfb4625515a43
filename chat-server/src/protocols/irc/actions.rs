//! What IRC clients do to lines once said, on the lines service: a reaction is a `TAGMSG` with
//! `+draft/react=<emoji>` (`+draft/unreact` takes it off) naming the line with `+reply` or
//! `+draft/reply`; `REDACT target msgid [:reason]` deletes a line (`draft/message-redaction`).
//! Lines are named by the `msgid`s the server gives them (`render::MsgId`): `7` in a room, `p7`
//! in a conversation.

use chat_core::irc::Line;
use chat_core::protocol::{ErrorCode, Target};
use chat_core::validate;

use super::render::{self, MsgId};
use super::session::IrcSession;
use crate::service::lines;

/// The line a client's message names with `+reply` (the ratified tag) or `+draft/reply`.
pub(super) fn replied_to(line: &Line) -> Option<MsgId> {
    line.tag("+reply")
        .or_else(|| line.tag("+draft/reply"))
        .and_then(MsgId::parse)
}

/// `TAGMSG target` with `+draft/react` or `+draft/unreact`: puts the emoji on the line the
/// reply tag names, or takes it off. Returns whether the line was a reaction. Nothing is
/// answered on success (the gathered reactions come back as `TAGMSG`s); a refusal is a
/// `FAIL TAGMSG`.
pub(super) fn react(s: &IrcSession, line: &Line) -> bool {
    let (emoji, on) = match (line.tag("+draft/react"), line.tag("+draft/unreact")) {
        (Some(emoji), _) => (emoji, true),
        (None, Some(emoji)) => (emoji, false),
        (None, None) => return false,
    };
    let target = line.param(0);
    let Some((place, id)) = place(s, target, replied_to(line)) else {
        let why = "A reaction names the line it is for with +reply (or +draft/reply)";
        s.send_line(&render::line(
            None,
            "FAIL",
            &["TAGMSG", "INVALID_REPLY", target, why],
        ));
        return true;
    };
    if let Err(refusal) = lines::react(s, &place, id, emoji, on) {
        s.send_line(&render::line(
            None,
            "FAIL",
            &["TAGMSG", "CANNOT_REACT", target, &refusal.message],
        ));
    }
    true
}

/// `REDACT target msgid [:reason]`: deletes the line (your own; any line of a room whose
/// operator you are). Everyone with `draft/message-redaction` who can see it gets the
/// `REDACT`, you included; refusals are `FAIL REDACT` as the specification names them.
pub(super) fn redact(s: &IrcSession, line: &Line) {
    let (target, msgid) = (line.param(0), line.param(1));
    if msgid.is_empty() {
        s.numeric("461", &["REDACT", "Not enough parameters"]);
        return;
    }
    let fail = |code: &str, why: &str| {
        let params: Vec<&str> = if code == "INVALID_TARGET" {
            vec!["REDACT", code, target, why]
        } else {
            vec!["REDACT", code, target, msgid, why]
        };
        s.send_line(&render::line(None, "FAIL", &params));
    };
    if let Some(room) = target.strip_prefix('#') {
        let here = s.shared.hub.room_of(&s.peer);
        if here.as_deref().map(validate::room_key) != Some(validate::room_key(room)) {
            fail("INVALID_TARGET", "You are not in that channel");
            return;
        }
    } else if validate::login(target).is_err()
        || s.shared.person(&validate::login_key(target)).is_none()
    {
        s.numeric("401", &[target, "No such nick"]);
        return;
    }
    let Some((place, id)) = place(s, target, MsgId::parse(msgid)) else {
        fail("UNKNOWN_MSGID", "This message does not exist or is too old");
        return;
    };
    let why = Some(line.param(2))
        .filter(|w| !w.is_empty())
        .map(str::to_owned);
    match lines::delete(s, &place, id, why.clone()) {
        Ok(deleted) => {
            // In a room the members, you among them, were told; in a conversation the other
            // user was, and you are told here.
            if matches!(place, Target::With(_)) {
                let style = render::Style {
                    why: why.as_deref(),
                    ..render::Style::default()
                };
                s.show(&deleted, style);
            }
        }
        Err(refusal) if refusal.code == ErrorCode::NotAllowed => {
            fail("REDACT_FORBIDDEN", "You may delete your own messages only");
        }
        Err(refusal) if refusal.code == ErrorCode::MessageNotFound => {
            fail("UNKNOWN_MSGID", "This message does not exist or is too old");
        }
        Err(refusal) => fail("REDACT_FORBIDDEN", &refusal.message),
    }
}

/// The line `msgid` names where `target` (a channel, or a nick: your conversation with it)
/// is; `None` when the kinds do not match (a room's line in a conversation).
fn place(s: &IrcSession, target: &str, msgid: Option<MsgId>) -> Option<(Target, u64)> {
    match (target.strip_prefix('#'), msgid?) {
        (Some(room), MsgId::Room(id)) => {
            let room = s
                .shared
                .hub
                .room_view(room)
                .map_or_else(|| room.to_owned(), |v| v.name);
            Some((Target::Room(room), id))
        }
        (None, MsgId::Private(id)) if !target.is_empty() => {
            Some((Target::With(target.to_owned()), id))
        }
        _ => None,
    }
}
