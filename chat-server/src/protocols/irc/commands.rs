//! IRC commands of a registered client, mapped onto the chat's rooms and users:
//! `JOIN` moves you (creating the room if it does not exist), `PART` takes you back to the
//! default room, `PRIVMSG`/`NOTICE` say things to your room or privately, `LIST`, `NAMES`, `WHO`,
//! `WHOIS`, `TOPIC` (who created the room), `AWAY`, `MOTD`, `LUSERS`, `PING`, `QUIT`, and
//! `CHATHISTORY` for the room's history. Anything else gets `421`.

use std::time::Instant;

use chat_core::irc::Line;
use chat_core::protocol::{CloseReason, Presence, PrivateSaid, ServerMessage};
use chat_core::validate;

use super::caps::Caps;
use super::render::{self, MsgId, Text, channel, server, topic};
use super::session::{Ended, IrcSession};
use crate::chat::hub::{Delivered, HubError};
use crate::delivery::event::Event;
use crate::protocols::native::talk;

/// Dispatches one line of a registered client.
#[inline(never)]
pub(crate) fn handle(s: &mut IrcSession, line: &Line) -> Option<Ended> {
    match line.command.as_str() {
        "PING" => ping(s, line),
        "PONG" => {}
        "QUIT" => {
            s.peer.set_quit_message(match line.param(0) {
                "" => "Quit".to_owned(),
                why => format!("Quit: {why}"),
            });
            // Gone from the chat before the client sees its connection close.
            super::session::leave(&s.shared, &s.peer, s.guest);
            s.peer.close(CloseReason::Exit, "client quit");
            return Some(Ended::Closed("quit".into()));
        }
        "PRIVMSG" | "NOTICE" => say(s, line),
        "TAGMSG" => tagmsg(s, line),
        "JOIN" => join(s, line),
        "PART" => part(s, line),
        "NAMES" => names(s, line),
        "LIST" => list(s, line),
        "TOPIC" => topic_cmd(s, line),
        "WHO" => who(s, line),
        "WHOIS" => whois(s, line),
        "AWAY" => away(s, line),
        "MOTD" => motd(s),
        "LUSERS" => lusers(s),
        "ISON" => ison(s, line),
        "MODE" => mode(s, line),
        "CAP" => s.cap(line),
        "VERSION" => {
            s.numeric(
                "351",
                &[
                    &format!("chat-server-{}", env!("CARGO_PKG_VERSION")),
                    server(),
                    "",
                ],
            );
            s.isupport();
        }
        "CHATHISTORY" => history(s, line),
        "NICK" => {
            let nick = line.param(0);
            if nick != s.nick {
                s.numeric(
                    "432",
                    &[
                        nick,
                        "Erroneous nickname: your nick is your login and cannot change",
                    ],
                );
            }
        }
        "USER" | "PASS" => s.numeric("462", &["You may not reregister"]),
        "AUTHENTICATE" if s.guest => s.numeric("462", &["You may not reregister"]),
        "AUTHENTICATE" => s.numeric("907", &["You have already authenticated"]),
        other => s.numeric("421", &[other, "Unknown command"]),
    }
    None
}

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
fn say(s: &mut IrcSession, line: &Line) {
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
    if let Err(e) = validate::text(&text) {
        if !notice {
            s.notice(&format!("Not sent: {e}"));
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
        match s.shared.hub.say(&s.peer, text, notice) {
            Ok(Some(spoken)) => {
                spoken.write.now();
                if spoken.in_default_room {
                    s.shared.archive.room_line(spoken.said);
                }
                if let Some(behind) = spoken.behind {
                    talk::yield_to(&behind);
                }
            }
            // Published to the cluster: delivered as it comes back.
            Ok(None) => {}
            Err(e) => s.notice(&e.to_string()),
        }
        return;
    }
    private(s, target, text, notice);
}

/// A private message: delivered, or kept for an offline user (told by `NOTICE`).
fn private(s: &mut IrcSession, target: &str, text: String, notice: bool) {
    let key = validate::login_key(target);
    let recipient = validate::login(target)
        .ok()
        .and_then(|()| s.shared.person(&key));
    let Some(recipient) = recipient else {
        if !notice {
            s.numeric("401", &[target, "No such nick"]);
        }
        return;
    };
    // Nothing is kept for guests: a conversation kept under a guest's name would be read by
    // whoever registers that name later.
    let keep = !s.guest && !recipient.guest;
    let id = s.shared.archive.next_private_id();
    let said = PrivateSaid {
        from: s.nick.clone(),
        to: recipient.login.clone(),
        text: text.clone(),
        time: chat_core::clock::system_now_ms(),
        id,
    };
    match s.shared.hub.private(&s.peer, &key, &text, id, notice) {
        Ok(Some(Delivered { to, behind })) => {
            if keep {
                s.shared.archive.private(said);
            }
            if s.caps.contains(Caps::ECHO_MESSAGE) {
                echo(s, &to, &text, id, notice);
            }
            if let Some(behind) = behind {
                talk::yield_to(&behind);
            }
        }
        Ok(None) if !keep => {
            if !notice {
                s.numeric("401", &[target, "No such nick"]);
            }
        }
        Ok(None) => match s.shared.keep_offline(said) {
            Ok(()) => {
                if s.caps.contains(Caps::ECHO_MESSAGE) {
                    echo(s, &recipient.login, &text, id, notice);
                }
                if !notice {
                    s.notice(&format!(
                        "{} is offline: the message is kept and delivered when they log in",
                        recipient.login
                    ));
                }
            }
            Err(e) => {
                tracing::error!("cannot keep a private message: {e}");
                s.notice("The message could not be kept; try again");
            }
        },
        Err(e) => s.notice(&e.to_string()),
    }
}

/// A private message's copy for its sender (`echo-message`).
fn echo(s: &IrcSession, to: &str, text: &str, id: u64, notice: bool) {
    let mut out = String::new();
    render::privmsg(
        &mut out,
        &Text {
            from: &s.nick,
            target: to,
            text,
            time: chat_core::clock::system_now_ms(),
            id: Some(MsgId::Private(id)),
            notice,
            batch: None,
        },
        s.caps,
    );
    s.send_text(out);
}

/// `TAGMSG nick` with `+typing`: a typing notice.
fn tagmsg(s: &mut IrcSession, line: &Line) {
    let target = line.param(0);
    if line.tag("+typing").is_some_and(|v| v == "active")
        && !target.starts_with('#')
        && validate::login(target).is_ok()
    {
        let _ = s
            .shared
            .hub
            .typing(&s.peer, &validate::login_key(target), Instant::now());
    }
}

/// Moving: a `PART` of the room left (with a reason), then the `JOIN` lines of the room entered.
fn moved(s: &IrcSession, left: Option<String>, entered: ServerMessage, why: &str) {
    let mut out = String::new();
    if let (Some(left), ServerMessage::Entered { room, .. }) = (&left, &entered)
        && validate::room_key(left) != validate::room_key(room)
    {
        render::push(
            &mut out,
            &render::line(Some(&s.mask()), "PART", &[&channel(left), why]),
        );
    }
    s.send_text(out);
    s.peer.event(&Event::new(entered));
}

/// `JOIN #room`: enters it, creating it when it does not exist (you are its creator). One room
/// at a time: the first channel is joined, the others refused (`405`). `JOIN 0` leaves for the
/// default room.
fn join(s: &mut IrcSession, line: &Line) {
    let targets = line.param(0);
    if targets.is_empty() {
        s.numeric("461", &["JOIN", "Not enough parameters"]);
        return;
    }
    if targets == "0" {
        let left = s.shared.hub.room_of(&s.peer);
        if let Ok(entered) = s.shared.hub.leave_room(&s.peer) {
            moved(s, left, entered, "left every room");
        }
        return;
    }
    let mut channels = targets.split(',');
    let first = channels.next().unwrap_or_default();
    for extra in channels {
        s.numeric(
            "405",
            &[extra, "You may be in one room at a time (CHANLIMIT=#:1)"],
        );
    }
    let Some(name) = first.strip_prefix('#') else {
        s.numeric("403", &[first, "No such channel: channels start with #"]);
        return;
    };
    if let Err(e) = validate::room(name) {
        s.numeric("479", &[first, &format!("Illegal channel name: {e}")]);
        return;
    }
    let left = s.shared.hub.room_of(&s.peer);
    if left.as_deref().map(validate::room_key) == Some(validate::room_key(name)) {
        return;
    }
    let hub = &s.shared.hub;
    let entered = match hub.enter_room(&s.peer, name) {
        Err(HubError::RoomNotFound) => match hub.create_room(&s.peer, name) {
            Err(HubError::RoomExists) => hub.enter_room(&s.peer, name),
            other => other,
        },
        other => other,
    };
    match entered {
        Ok(entered) => moved(s, left, entered, &format!("moved to {first}")),
        Err(e @ (HubError::TooManyRooms | HubError::TooManyRoomsForUser(_))) => {
            s.numeric("405", &[first, &e.to_string()]);
        }
        Err(e) => s.numeric("403", &[first, &e.to_string()]),
    }
}

/// `PART #room`: back to the default room (the default room itself cannot be left).
fn part(s: &mut IrcSession, line: &Line) {
    let target = line.param(0);
    let Some(name) = target.split(',').next().and_then(|t| t.strip_prefix('#')) else {
        s.numeric("461", &["PART", "Not enough parameters"]);
        return;
    };
    let here = s.shared.hub.room_of(&s.peer);
    if here.as_deref().map(validate::room_key) != Some(validate::room_key(name)) {
        let code = if s.shared.hub.room_view(name).is_some() {
            "442"
        } else {
            "403"
        };
        s.numeric(code, &[target, "You're not on that channel"]);
        return;
    }
    if s.shared.hub.room_view(name).is_some_and(|v| v.is_default) {
        s.notice("This is the default room: you are always in a room, and this one cannot be left");
        return;
    }
    let reason = if line.param(1).is_empty() {
        "left"
    } else {
        line.param(1)
    };
    if let Ok(entered) = s.shared.hub.leave_room(&s.peer) {
        moved(s, here, entered, reason);
    }
}

fn names(s: &mut IrcSession, line: &Line) {
    let target = match line.param(0) {
        "" => s.shared.hub.room_of(&s.peer).map(|r| channel(&r)),
        t => Some(t.split(',').next().unwrap_or_default().to_owned()),
    };
    let Some(target) = target else {
        return;
    };
    let mut out = String::new();
    let members = target
        .strip_prefix('#')
        .and_then(|name| s.shared.hub.room_view(name))
        .map(|v| v.members)
        .unwrap_or_default();
    render::names(&mut out, &s.nick, &target, &members, s.caps);
    s.send_text(out);
}

/// `PING token`: `PONG` with the token (`461` without one). Before registration too.
pub(crate) fn ping(s: &IrcSession, line: &Line) {
    if line.params.is_empty() {
        s.numeric("461", &["PING", "Not enough parameters"]);
    } else {
        s.send_line(&render::line(None, "PONG", &[server(), line.param(0)]));
    }
}

/// `LIST`, or `LIST #a,#b` for those rooms only.
fn list(s: &mut IrcSession, line: &Line) {
    let wanted: Vec<String> = line
        .param(0)
        .split(',')
        .filter_map(|c| c.strip_prefix('#'))
        .map(validate::room_key)
        .collect();
    let mut out = String::new();
    render::push(
        &mut out,
        &render::numeric("321", &s.nick, &["Channel", "Users  Name"]),
    );
    let rooms = s.shared.hub.rooms();
    let shown = rooms
        .iter()
        .filter(|r| line.params.is_empty() || wanted.contains(&validate::room_key(&r.name)));
    for room in shown {
        render::push(
            &mut out,
            &render::numeric(
                "322",
                &s.nick,
                &[
                    &channel(&room.name),
                    &room.members.to_string(),
                    &topic(room.creator.as_deref()),
                ],
            ),
        );
    }
    render::push(
        &mut out,
        &render::numeric("323", &s.nick, &["End of /LIST"]),
    );
    s.send_text(out);
}

fn topic_cmd(s: &mut IrcSession, line: &Line) {
    let target = line.param(0);
    let Some(view) = target
        .strip_prefix('#')
        .and_then(|n| s.shared.hub.room_view(n))
    else {
        s.numeric("403", &[target, "No such channel"]);
        return;
    };
    if line.params.len() > 1 {
        s.numeric(
            "482",
            &[
                target,
                "A room's topic says who created it and cannot be changed",
            ],
        );
        return;
    }
    s.numeric(
        "332",
        &[&channel(&view.name), &topic(view.creator.as_deref())],
    );
}

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

fn who(s: &mut IrcSession, line: &Line) {
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

fn whois(s: &mut IrcSession, line: &Line) {
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

fn away(s: &mut IrcSession, line: &Line) {
    let text = line.param(0).trim();
    if text.is_empty() {
        let _ = s.shared.hub.set_back(&s.peer, false);
        s.numeric("305", &["You are no longer marked as being away"]);
        return;
    }
    if let Err(e) = validate::text(text) {
        s.notice(&format!("Away message refused: {e}"));
        return;
    }
    let _ = s.shared.hub.set_away(&s.peer, Some(text.to_owned()), false);
    s.numeric("306", &["You have been marked as being away"]);
}

/// The message of the day: how the chat's rooms look from IRC.
pub(crate) fn motd(s: &IrcSession) {
    let mut out = String::new();
    let lines = [
        "Welcome to chat, where IRC and the chat's own clients share the rooms.",
        "Rooms are channels, and you are in one at a time: JOIN #room moves you there,",
        "creating the room (you are its creator) if it does not exist; PART takes you",
        "back to the default room. A room closes when its creator leaves.",
        "PRIVMSG a user in any room; users who are offline get it at their next login.",
        "LIST shows every room and how many are in it; WHOIS shows who someone is.",
    ];
    render::push(
        &mut out,
        &render::numeric(
            "375",
            &s.nick,
            &[&format!("- {} Message of the day -", server())],
        ),
    );
    for text in lines {
        render::push(
            &mut out,
            &render::numeric("372", &s.nick, &[&format!("- {text}")]),
        );
    }
    render::push(
        &mut out,
        &render::numeric("376", &s.nick, &["End of /MOTD command"]),
    );
    s.send_text(out);
}

fn lusers(s: &mut IrcSession) {
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

fn ison(s: &mut IrcSession, line: &Line) {
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

fn mode(s: &mut IrcSession, line: &Line) {
    let target = line.param(0);
    if let Some(name) = target.strip_prefix('#') {
        match s.shared.hub.room_view(name) {
            Some(view) if line.params.len() == 1 => {
                s.numeric("324", &[&channel(&view.name), "+nt"]);
            }
            Some(view) => s.numeric(
                "482",
                &[&channel(&view.name), "Rooms have no modes to change here"],
            ),
            None => s.numeric("403", &[target, "No such channel"]),
        }
    } else if validate::login_key(target) == validate::login_key(&s.nick) {
        if line.params.len() == 1 {
            s.numeric("221", &["+"]);
        } else {
            s.numeric("501", &["Unknown MODE flag"]);
        }
    } else {
        s.numeric("502", &["Can't change mode for other users"]);
    }
}

/// `CHATHISTORY LATEST|BEFORE #room <*|timestamp=…|msgid=…> <limit>` for the room you are in:
/// its lines as `PRIVMSG`s with their times, in a `chathistory` batch when the client takes
/// batches.
fn history(s: &mut IrcSession, line: &Line) {
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
    let history = match s.shared.hub.history(&s.peer, room, before) {
        Ok(ServerMessage::History { messages, .. }) => messages,
        Ok(_) => Vec::new(),
        Err(e) => {
            fail(s, "INVALID_TARGET", &e.to_string());
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
