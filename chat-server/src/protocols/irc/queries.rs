//! What IRC clients ask about users: `WHOIS`, `WHOWAS`, `USERHOST`, `ISON`, `AWAY`, and
//! `CHATHISTORY` for the room's history. (`WHO` is in `who`.)

use chat_core::irc::Line;
use chat_core::protocol::Presence;
use chat_core::validate;

use super::caps::Caps;
use super::render::{self, MsgId, Text, channel, server};
use super::session::IrcSession;
use crate::service::talk;

pub(super) fn whois(s: &mut IrcSession, line: &Line) {
    let target = line.params.last().map_or("", String::as_str);
    let key = validate::login_key(target);
    let person = validate::login(target)
        .ok()
        .and_then(|()| s.shared.person(&key));
    let mut out = String::new();
    match person {
        None => render::push(
            &mut out,
            &render::numeric("401", &s.nick, &[target, "No such nick"]),
        ),
        Some(person) => {
            let real = format!("{} {}", person.first_names, person.last_names);
            let real = real.trim();
            let login = person.login;
            let user_name = s.user_name_of(&key, &login);
            render::push(
                &mut out,
                &render::numeric("311", &s.nick, &[&login, &user_name, server(), "*", real]),
            );
            let account = if person.guest {
                render::numeric("320", &s.nick, &[&login, "is a guest"])
            } else {
                render::numeric("330", &s.nick, &[&login, &login, "is logged in as"])
            };
            match s.shared.hub.online_user(&key) {
                Some(user) => {
                    let prefix = if s.shared.hub.keeps_order_in(&key, &user.room) {
                        "@"
                    } else {
                        ""
                    };
                    let chan = format!("{prefix}{}", channel(&user.room));
                    render::push(&mut out, &render::numeric("319", &s.nick, &[&login, &chan]));
                    render::push(
                        &mut out,
                        &render::numeric("312", &s.nick, &[&login, server(), "chat"]),
                    );
                    render::push(&mut out, &account);
                    if user.presence == Presence::Away {
                        let why = user.away_text.unwrap_or_else(|| "Away".into());
                        render::push(&mut out, &render::numeric("301", &s.nick, &[&login, &why]));
                    }
                }
                None => render::push(
                    &mut out,
                    &render::numeric("320", &s.nick, &[&login, "is offline; messages are kept"]),
                ),
            }
        }
    }
    render::push(
        &mut out,
        &render::numeric("318", &s.nick, &[target, "End of /WHOIS list"]),
    );
    s.send_text(out);
}

/// `AWAY :message` marks you away (`306`), `AWAY` back (`305`).
pub(super) fn away(s: &mut IrcSession, line: &Line) {
    let text = line.param(0).trim();
    if text.is_empty() {
        let _ = talk::back(s);
        s.numeric("305", &["You are no longer marked as being away"]);
        return;
    }
    match talk::away(s, Some(text.to_owned())) {
        Ok(_) => s.numeric("306", &["You have been marked as being away"]),
        Err(refusal) => s.notice(&format!("Away message refused: {}", refusal.message)),
    }
}

/// `WHOWAS nick [count]`: the newest departures of that user (all of them with no count, or
/// one not above zero), each as `314` and `312` (when it left), then `369`; `406` if none.
pub(super) fn whowas(s: &mut IrcSession, line: &Line) {
    let nick = line.param(0);
    if nick.is_empty() {
        s.numeric("461", &["WHOWAS", "Not enough parameters"]);
        return;
    }
    let count = match line.param(1).parse::<i64>() {
        Ok(n) if n > 0 => usize::try_from(n).unwrap_or(usize::MAX),
        _ => usize::MAX,
    };
    let mut out = String::new();
    let found = s.shared.departures.of(&validate::login_key(nick), count);
    if found.is_empty() {
        render::push(
            &mut out,
            &render::numeric("406", &s.nick, &[nick, "There was no such nickname"]),
        );
    }
    for gone in &found {
        render::push(
            &mut out,
            &render::numeric(
                "314",
                &s.nick,
                &[&gone.login, &gone.user_name, server(), "*", &gone.real_name],
            ),
        );
        let when = render::server_time(gone.left_ms);
        render::push(
            &mut out,
            &render::numeric(
                "312",
                &s.nick,
                &[&gone.login, server(), &format!("left at {when}")],
            ),
        );
    }
    render::push(
        &mut out,
        &render::numeric("369", &s.nick, &[nick, "End of WHOWAS"]),
    );
    s.send_text(out);
}

/// `USERHOST nick…` (five at most): `302` with `nick=+user@host` for each online one (`-`
/// when away).
pub(super) fn userhost(s: &mut IrcSession, line: &Line) {
    if line.params.is_empty() {
        s.numeric("461", &["USERHOST", "Not enough parameters"]);
        return;
    }
    let replies: Vec<String> = line
        .params
        .iter()
        .flat_map(|p| p.split_whitespace())
        .take(5)
        .filter_map(|nick| {
            let key = validate::login_key(nick);
            let online = s.shared.hub.online_user(&key)?;
            let login = s
                .shared
                .person(&key)
                .map_or_else(|| nick.to_owned(), |p| p.login);
            let user_name = s.user_name_of(&key, &login);
            let here = if online.presence == Presence::Away {
                '-'
            } else {
                '+'
            };
            Some(format!("{login}={here}{user_name}@{}", server()))
        })
        .collect();
    s.numeric("302", &[&replies.join(" ")]);
}

pub(super) fn ison(s: &mut IrcSession, line: &Line) {
    let online: Vec<String> = line
        .params
        .iter()
        .flat_map(|p| p.split_whitespace())
        .filter_map(|nick| {
            let key = validate::login_key(nick);
            s.shared.hub.online_user(&key)?;
            s.shared.person(&key).map(|p| p.login)
        })
        .collect();
    s.numeric("303", &[&online.join(" ")]);
}

/// `CHATHISTORY LATEST|BEFORE #room <*|timestamp=…|msgid=…> <limit>` for the room you are in:
/// its lines as `PRIVMSG`s with their times, in a `chathistory` batch when the client takes
/// batches.
pub(super) fn history(s: &mut IrcSession, line: &Line) {
    let (sub, target, point, limit) = (
        line.param(0).to_ascii_uppercase(),
        line.param(1),
        line.param(2),
        line.param(3).parse::<usize>().unwrap_or(50),
    );
    let fail = |s: &IrcSession, code: &str, why: &str| {
        s.send_line(&render::line(
            None,
            "FAIL",
            &["CHATHISTORY", code, target, why],
        ));
    };
    if !matches!(sub.as_str(), "LATEST" | "BEFORE") {
        fail(s, "INVALID_PARAMS", "LATEST and BEFORE are supported");
        return;
    }
    let Some(room) = target.strip_prefix('#') else {
        fail(s, "INVALID_TARGET", "only rooms keep a history here");
        return;
    };
    let before = match point.strip_prefix("msgid=") {
        Some(id) => id.parse::<u64>().ok(),
        None => None,
    };
    // A deleted line is no message to play back (a tagged client heard its REDACT): left out
    // before the limit is counted.
    let history: Vec<_> = match talk::room_history(s, room, before) {
        Ok(page) => page.lines.into_iter().filter(|l| !l.deleted).collect(),
        Err(refusal) => {
            fail(s, "INVALID_TARGET", &refusal.message);
            return;
        }
    };
    let take = history
        .len()
        .min(limit.clamp(1, chat_core::limits::MAX_LISTED));
    let mut out = String::new();
    let batched = s.caps.contains(Caps::BATCH);
    if batched {
        render::push(
            &mut out,
            &render::line(None, "BATCH", &["+history", "chathistory", &channel(room)]),
        );
    }
    // History lines always carry their time, and their number with message tags or a batch.
    let caps = if batched {
        s.caps.with(Caps::SERVER_TIME).with(Caps::MESSAGE_TAGS)
    } else {
        s.caps.with(Caps::SERVER_TIME)
    };
    let reader = s
        .peer
        .file_links()
        .zip(s.peer.login())
        .map(|(links, login)| render::Reader {
            links,
            key: &login.key,
        });
    for said in &history[history.len() - take..] {
        render::message_with_files(
            &mut out,
            &Text {
                from: &said.from,
                target: &channel(&said.room),
                text: &said.text,
                time: said.time,
                id: Some(MsgId::Room(said.id)),
                notice: false,
                batch: batched.then_some("history"),
            },
            caps,
            said.reply_to.as_ref().map(|q| MsgId::Room(q.line)),
            &said.attachments,
            reader,
        );
    }
    if batched {
        render::push(&mut out, &render::line(None, "BATCH", &["-history"]));
    }
    s.send_text(out);
}
