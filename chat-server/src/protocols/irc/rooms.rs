//! Rooms over IRC: `JOIN` moves you (creating the room if it does not exist), `PART` takes you
//! back to the default room, `NAMES` (operators `@`, voiced `+`), `LIST`, `TOPIC` (set by the
//! room's operators), `MODE` of your own nick.

use chat_core::irc::Line;
use chat_core::validate;

use chat_core::protocol::ErrorCode;

use super::render::{self, Status, channel, no_topic};
use super::session::IrcSession;
use crate::chat::hub::{Entered, HubError};
use crate::delivery::event::Event;
use crate::service::order;

/// Moving: a `PART` of the room left (with a reason), then the `JOIN` lines of the room entered.
fn moved(s: &IrcSession, left: Option<String>, entered: Entered, why: &str) {
    let mut out = String::new();
    if let Some(left) = &left
        && validate::room_key(left) != validate::room_key(&entered.room)
    {
        render::push(
            &mut out,
            &render::line(Some(&s.mask()), "PART", &[&channel(left), why]),
        );
    }
    s.send_text(out);
    s.peer.event(&Event::new(entered.into()));
}

/// `JOIN #room`: enters it, creating it when it does not exist (you are its creator). One room
/// at a time: the first channel is joined, the others refused (`405`). `JOIN 0` leaves for the
/// default room.
pub(super) fn join(s: &mut IrcSession, line: &Line) {
    let targets = line.param(0);
    if targets.is_empty() {
        s.numeric("461", &["JOIN", "Not enough parameters"]);
        return;
    }
    if targets == "0" {
        let left = s.shared.hub.room_of(&s.peer);
        let _ = s.shared.hub.leave_room(&s.peer, |entered| {
            moved(s, left, entered, "left every room");
        });
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
    let why = format!("moved to {first}");
    // Told under the hub's lock (see `Hub::enter_room`); one of the three calls tells.
    let left = std::cell::Cell::new(left);
    let tell = |entered| moved(s, left.take(), entered, &why);
    let entered = match hub.enter_room(&s.peer, name, tell) {
        Err(HubError::RoomNotFound) => match hub.create_room(&s.peer, name, tell) {
            Err(HubError::RoomExists) => hub.enter_room(&s.peer, name, tell),
            other => other,
        },
        other => other,
    };
    match entered {
        Ok(()) => {}
        Err(e @ (HubError::TooManyRooms | HubError::TooManyRoomsForUser(_))) => {
            s.numeric("405", &[first, &e.to_string()]);
        }
        Err(HubError::RemovedFromRoom) => s.numeric(
            "474",
            &[
                first,
                "Cannot join channel (+b): you were removed from it while it lasts",
            ],
        ),
        Err(e) => s.numeric("403", &[first, &e.to_string()]),
    }
}

/// `PART #room`: back to the default room (the default room itself cannot be left).
pub(super) fn part(s: &mut IrcSession, line: &Line) {
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
    let _ = s
        .shared
        .hub
        .leave_room(&s.peer, |entered| moved(s, here, entered, reason));
}

pub(super) fn names(s: &mut IrcSession, line: &Line) {
    let target = match line.param(0) {
        "" => s.shared.hub.room_of(&s.peer).map(|r| channel(&r)),
        t => Some(t.split(',').next().unwrap_or_default().to_owned()),
    };
    let Some(target) = target else {
        return;
    };
    let mut out = String::new();
    let view = target
        .strip_prefix('#')
        .and_then(|name| s.shared.hub.room_view(name));
    let (members, room) = view.map(|v| (v.members, v.name)).unwrap_or_default();
    let hub = &s.shared.hub;
    let voiced = hub.order_of(&room).unwrap_or_default().voiced;
    let status = |m: &str| Status {
        operator: hub.keeps_order_in(&validate::login_key(m), &room),
        voiced: voiced.iter().any(|v| v.login.eq_ignore_ascii_case(m)),
    };
    render::names(&mut out, &s.nick, &target, &members, s.caps, status);
    s.send_text(out);
}

/// `LIST`, or `LIST #a,#b` for those rooms only.
pub(super) fn list(s: &mut IrcSession, line: &Line) {
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
                    &s.shared
                        .hub
                        .topic_of(&room.name)
                        .map(|t| t.text)
                        .unwrap_or_default(),
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

/// `TOPIC #room`: its topic (`332`, `333`), or `331` saying who created it; `TOPIC #room :text`
/// sets it (empty: clears it), for the room's creator and the administrators (`+t` is always
/// on); the members see `TOPIC`.
pub(super) fn topic_cmd(s: &mut IrcSession, line: &Line) {
    let target = line.param(0);
    if target.is_empty() {
        s.numeric("461", &["TOPIC", "Not enough parameters"]);
        return;
    }
    let Some(view) = target
        .strip_prefix('#')
        .and_then(|n| s.shared.hub.room_view(n))
    else {
        s.numeric("403", &[target, "No such channel"]);
        return;
    };
    let chan = channel(&view.name);
    if line.params.len() > 1 {
        match order::set_topic(s, &view.name, line.param(1)) {
            Ok(told) => {
                let here = s.shared.hub.room_of(&s.peer);
                if here.as_deref().map(validate::room_key) != Some(validate::room_key(&view.name)) {
                    s.show(&told, render::Style::default());
                }
            }
            Err(refusal) if refusal.code == ErrorCode::NotAllowed => s.numeric(
                "482",
                &[
                    &chan,
                    "You're not channel operator: a room's topic is set by its creator and the administrators",
                ],
            ),
            Err(refusal) => s.notice(&format!("Topic not set: {}", refusal.message)),
        }
        return;
    }
    match s.shared.hub.topic_of(&view.name) {
        Some(topic) => {
            let mut out = String::new();
            render::topic_lines(&mut out, &s.nick, &chan, &topic);
            s.send_text(out);
        }
        None => s.numeric("331", &[&chan, &no_topic(view.creator.as_deref())]),
    }
}

/// `MODE nick`: your own modes (a channel's are `order`'s).
pub(super) fn mode(s: &mut IrcSession, line: &Line) {
    let target = line.param(0);
    if validate::login_key(target) == validate::login_key(&s.nick) {
        // Clients ask for +i (invisible) or +w (wallops) as they connect: everyone is listed
        // here and there are no wallops, so nothing changes, and the answer says so.
        let flags = line.param(1);
        if line.params.len() == 1 || flags.chars().all(|c| matches!(c, '+' | '-' | 'i' | 'w')) {
            s.numeric("221", &["+"]);
        } else {
            s.numeric("501", &["Unknown MODE flag"]);
        }
    } else if s
        .shared
        .hub
        .online_user(&validate::login_key(target))
        .is_none()
    {
        s.numeric("401", &[target, "No such nick"]);
    } else {
        s.numeric("502", &["Can't change mode for other users"]);
    }
}
