//! What IRC clients ask about: `WHO`, `WHOIS`, `AWAY`, `LUSERS`, `ISON`, and `CHATHISTORY` for
//! the room's history.

use chat_core::irc::Line;
use chat_core::protocol::Presence;
use chat_core::validate;

use super::caps::Caps;
use super::render::{self, MsgId, Text, channel, server};
use super::session::IrcSession;
use crate::service::talk;

/// `352` for one user.
fn who_row(s: &IrcSession, out: &mut String, chan: &str, login: &str) {
    let key = validate::login_key(login);
    let away = s
        .shared
        .hub
        .online_user(&key)
        .is_some_and(|u| u.presence == Presence::Away);
    let real = s
        .shared
        .directory
        .get(&key)
        .map(|p| format!("{} {}", p.first_names, p.last_names))
        .unwrap_or_default();
    render::push(
        out,
        &render::numeric(
            "352",
            &s.nick,
            &[
                chan,
                login,
                server(),
                server(),
                login,
                if away { "G" } else { "H" },
                &format!("0 {real}"),
            ],
        ),
    );
}

pub(super) fn who(s: &mut IrcSession, line: &Line) {
    let target = line.param(0);
    let mut out = String::new();
    if let Some(name) = target.strip_prefix('#') {
        if let Some(view) = s.shared.hub.room_view(name) {
            let chan = channel(&view.name);
            for member in &view.members {
                who_row(s, &mut out, &chan, member);
            }
        }
    } else if let Some(user) = s.shared.hub.online_user(&validate::login_key(target)) {
        let login = s
            .shared
            .directory
            .get(&user.key)
            .map_or_else(|| target.to_owned(), |p| p.login);
        who_row(s, &mut out, &channel(&user.room), &login);
    }
    render::push(
        &mut out,
        &render::numeric(
            "315",
            &s.nick,
            &[
                if target.is_empty() { "*" } else { target },
                "End of /WHO list",
            ],
        ),
    );
    s.send_text(out);
}

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
            render::push(
                &mut out,
                &render::numeric("311", &s.nick, &[&login, &login, server(), "*", real]),
            );
            let account = if person.guest {
                render::numeric("320", &s.nick, &[&login, "is a guest"])
            } else {
                render::numeric("330", &s.nick, &[&login, &login, "is logged in as"])
            };
            match s.shared.hub.online_user(&key) {
                Some(user) => {
                    render::push(
                        &mut out,
                        &render::numeric("319", &s.nick, &[&login, &channel(&user.room)]),
                    );
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

pub(super) fn lusers(s: &mut IrcSession) {
    let online = s.shared.hub.online_count();
    let rooms = s.shared.hub.rooms().len();
    let mut out = String::new();
    render::push(
        &mut out,
        &render::numeric(
            "251",
            &s.nick,
            &[&format!(
                "There are {online} users and 0 invisible on 1 servers"
            )],
        ),
    );
    render::push(
        &mut out,
        &render::numeric("254", &s.nick, &[&rooms.to_string(), "channels formed"]),
    );
    render::push(
        &mut out,
        &render::numeric(
            "255",
            &s.nick,
            &[&format!("I have {online} clients and 0 servers")],
        ),
    );
    s.send_text(out);
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
    let history = match talk::room_history(s, room, before) {
        Ok(page) => page.lines,
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
    for said in &history[history.len() - take..] {
        render::privmsg(
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
        );
    }
    if batched {
        render::push(&mut out, &render::line(None, "BATCH", &["-history"]));
    }
    s.send_text(out);
}
