//! Saying things over IRC: `PRIVMSG` and `NOTICE` to your room or to a user (answering a line
//! with `+reply` or `+draft/reply`), and `TAGMSG` with `+typing` (or a reaction: `actions`), on
//! the talk service.

use std::sync::Arc;

use chat_core::irc::Line;
use chat_core::protocol::{ErrorCode, Presence};
use chat_core::validate;

use super::actions;
use super::caps::Caps;
use super::render::{self, MsgId, Text};
use super::session::{IrcSession, notice_to};
use crate::service::refusal::Refusal;
use crate::service::talk::{self, Private};

/// The text of an IRC message as a chat line: IRC formatting codes removed, a CTCP `ACTION`
/// (`/me waves`) written as `* waves`, other CTCP requests not chat at all (`None`).
fn chat_text(text: &str) -> Option<String> {
    let text = match text.strip_prefix('\u{1}') {
        Some(ctcp) => {
            let ctcp = ctcp.strip_suffix('\u{1}').unwrap_or(ctcp);
            format!("* {}", ctcp.strip_prefix("ACTION ")?)
        }
        None => text.to_owned(),
    };
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{2}' | '\u{f}' | '\u{16}' | '\u{1d}' | '\u{1e}' | '\u{1f}' | '\u{11}' => {}
            '\u{3}' => {
                // Colour: up to two digits, optionally a comma and two more.
                for _ in 0..2 {
                    if chars.peek().is_some_and(char::is_ascii_digit) {
                        chars.next();
                    }
                }
                if chars.peek() == Some(&',') {
                    chars.next();
                    for _ in 0..2 {
                        if chars.peek().is_some_and(char::is_ascii_digit) {
                            chars.next();
                        }
                    }
                }
            }
            c => out.push(c),
        }
    }
    Some(out)
}

/// `PRIVMSG`/`NOTICE` to your room or to a user. `NOTICE` never draws an automatic reply.
pub(super) fn say(s: &mut IrcSession, line: &Line) {
    let notice = line.command == "NOTICE";
    let (target, text) = (line.param(0), line.param(1));
    if target.is_empty() {
        if !notice {
            s.numeric("411", &["No recipient given (PRIVMSG)"]);
        }
        return;
    }
    let Some(text) = chat_text(text) else {
        return;
    };
    if text.trim().is_empty() {
        if !notice {
            s.numeric("412", &["No text to send"]);
        }
        return;
    }
    if let Some(room) = target.strip_prefix('#') {
        let here = s.shared.hub.room_of(&s.peer);
        if here.as_deref().map(validate::room_key) != Some(validate::room_key(room)) {
            if !notice {
                let code = if s.shared.hub.room_view(room).is_some() {
                    "404"
                } else {
                    "403"
                };
                s.numeric(code, &[target, "You are not in that room: JOIN it first"]);
            }
            return;
        }
        let reply_to = match actions::replied_to(line) {
            Some(MsgId::Room(id)) => Some(id),
            _ => None,
        };
        let said = match talk::say(
            s,
            text.clone(),
            notice,
            reply_to,
            &[],
            refused_later(s, notice),
        ) {
            // A line the room no longer keeps: the message goes, answering nothing.
            Err(refusal) if refusal.code == ErrorCode::MessageNotFound => {
                talk::say(s, text, notice, None, &[], refused_later(s, notice))
            }
            said => said,
        };
        if let Err(refusal) = said
            && !notice
        {
            match refusal.code {
                ErrorCode::Muted | ErrorCode::SlowMode => s.numeric(
                    "404",
                    &[
                        target,
                        &format!("Cannot send to channel: {}", refusal.message),
                    ],
                ),
                _ => s.notice(&format!("Not sent: {}", refusal.message)),
            }
        }
        return;
    }
    let reply_to = match actions::replied_to(line) {
        Some(MsgId::Private(id)) => Some(id),
        _ => None,
    };
    private(s, target, text, notice, reply_to);
}

/// Tells the client of a line the cluster did not take after it went on (a `NOTICE` never draws
/// an answer, so neither does its refusal).
fn refused_later(s: &IrcSession, notice: bool) -> impl FnOnce(Refusal) + Send + 'static {
    let (peer, nick) = (Arc::clone(&s.peer), s.nick.clone());
    move |refusal: Refusal| {
        if !notice {
            notice_to(&peer, &nick, &format!("Not sent: {}", refusal.message));
        }
    }
}

/// A private message: delivered, or kept for an offline user (told by `NOTICE`). Nothing is kept
/// for or from guests.
fn private(s: &mut IrcSession, target: &str, text: String, notice: bool, reply_to: Option<u64>) {
    let sent = match talk::private(s, target, text.clone(), notice, reply_to, &[]) {
        Ok(sent) => sent,
        // A message the conversation no longer keeps: the message goes, answering nothing.
        Err(refusal) if refusal.code == ErrorCode::MessageNotFound && reply_to.is_some() => {
            return private(s, target, text, notice, None);
        }
        Err(refusal) if refusal.code == ErrorCode::UserNotFound => {
            if !notice {
                s.numeric("401", &[target, "No such nick"]);
            }
            return;
        }
        Err(refusal) => {
            if !notice {
                s.notice(&format!("Not sent: {}", refusal.message));
            }
            return;
        }
    };
    if s.caps.contains(Caps::ECHO_MESSAGE) {
        echo(s, &sent.to, &text, sent.id, sent.time, notice, reply_to);
    }
    if sent.private == Private::Kept && !notice {
        s.notice(&format!(
            "{} is offline: the message is kept and delivered when they log in",
            sent.to
        ));
    }
    if sent.private == Private::Delivered && !notice {
        tell_if_away(s, &sent.to);
    }
    sent.pace();
}

/// `301` when the recipient of a private message is away, with its away message.
fn tell_if_away(s: &IrcSession, to: &str) {
    if let Some(user) = s.shared.hub.online_user(&validate::login_key(to))
        && user.presence == Presence::Away
    {
        let why = user.away_text.unwrap_or_else(|| "Away".into());
        s.numeric("301", &[to, &why]);
    }
}

/// A private message's copy for its sender (`echo-message`).
fn echo(
    s: &IrcSession,
    to: &str,
    text: &str,
    id: u64,
    time: i64,
    notice: bool,
    reply_to: Option<u64>,
) {
    let mut out = String::new();
    let t = Text {
        from: &s.nick,
        target: to,
        text,
        time,
        id: Some(MsgId::Private(id)),
        notice,
        batch: None,
    };
    match reply_to {
        None => render::privmsg(&mut out, &t, s.caps),
        Some(to) => render::privmsg_replying(&mut out, &t, s.caps, MsgId::Private(to)),
    }
    s.send_text(out);
}

/// `TAGMSG`: a reaction (`actions::react`), or to a nick with `+typing`, a typing notice.
pub(super) fn tagmsg(s: &mut IrcSession, line: &Line) {
    if actions::react(s, line) {
        return;
    }
    let target = line.param(0);
    if line.tag("+typing").is_some_and(|v| v == "active")
        && !target.starts_with('#')
        && validate::login(target).is_ok()
    {
        let _ = s.shared.hub.typing(
            &s.peer,
            &validate::login_key(target),
            s.shared.config.clock.now(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn irc_text_becomes_chat_text() {
        assert_eq!(chat_text("hola").as_deref(), Some("hola"));
        assert_eq!(
            chat_text("\u{2}bold\u{2} \u{3}04,12red\u{f}").as_deref(),
            Some("bold red")
        );
        assert_eq!(
            chat_text("\u{1}ACTION waves\u{1}").as_deref(),
            Some("* waves")
        );
        assert_eq!(chat_text("\u{1}VERSION\u{1}"), None);
    }
}
