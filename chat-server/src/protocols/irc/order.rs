//! Keeping order over IRC. A room's creator and the server's administrators are its channel
//! operators (`@`); nobody else is, and nobody can be made one. `KICK` removes a member (who
//! may not come back while the room lives: a kick here is a ban too, so the ban shows); `MODE
//! +b`/`-b` removes and readmits; `+q`/`-q` mutes (quiets) and unmutes; `+m`/`-m` is slow mode,
//! which voiced members (`+v`) are spared. `MODE #room` answers the room's modes, `MODE #room
//! b` (or `+b`, `q`) its lists.

use chat_core::irc::Line;
use chat_core::limits::MODERATION_MAX_SECONDS;
use chat_core::protocol::{ErrorCode, ModAction};
use chat_core::validate;

use super::render::{self, ban_mask, channel};
use super::session::IrcSession;
use crate::chat::hub::{Named, OrderView, RoomView};
use crate::service::order;
use crate::service::refusal::Refusal;

/// Slow mode's pace when an IRC client sets `+m`: one line per member every this many seconds.
pub const SLOW_MODE_SECONDS: u32 = 30;

/// The channel modes, as `005`'s `CHANMODES` lists them: lists (`b` removed, `q` muted), then
/// none with a parameter, then the flags (`m` slow mode; `n` and `t` always on).
pub const CHANMODES: &str = "bq,,,mnt";

/// `KICK #room nick [:reason]`: removes the member (the room's creator or an administrator
/// only). One channel and one nick (`TARGMAX=KICK:1`); the default reason is the kicker's nick.
pub(super) fn kick(s: &mut IrcSession, line: &Line) {
    let (chan, nick) = (first(line.param(0)), first(line.param(1)));
    if chan.is_empty() || nick.is_empty() {
        s.numeric("461", &["KICK", "Not enough parameters"]);
        return;
    }
    let Some(view) = room(s, chan) else {
        s.numeric("403", &[chan, "No such channel"]);
        return;
    };
    let chan = channel(&view.name);
    if !operator(s, &view) {
        s.numeric("482", &[&chan, NOT_OPERATOR]);
        return;
    }
    let key = validate::login_key(nick);
    let Some(user) = s.shared.hub.online_user(&key) else {
        s.numeric("401", &[nick, "No such nick"]);
        return;
    };
    if validate::room_key(&user.room) != validate::room_key(&view.name) {
        s.numeric("441", &[nick, &chan, "They aren't on that channel"]);
        return;
    }
    let why = Some(line.param(2)).filter(|w| !w.is_empty());
    let done = order::moderate(
        s,
        &view.name,
        ModAction::Remove,
        Some(nick),
        None,
        why.map(str::to_owned),
    );
    match done {
        Ok(done) if !present(s, &view) => {
            // The room's members saw it; so does a creator who is elsewhere.
            let style = render::Style {
                in_room: true,
                why,
                ..render::Style::default()
            };
            s.show(&done, style);
        }
        Ok(_) => {}
        Err(refusal) => refused(s, &chan, &refusal),
    }
}

/// `MODE #room [changes [params…]]`.
pub(super) fn channel_mode(s: &mut IrcSession, line: &Line) {
    let target = line.param(0);
    let Some(view) = room(s, target) else {
        s.numeric("403", &[target, "No such channel"]);
        return;
    };
    let chan = channel(&view.name);
    let state = s.shared.hub.order_of(&view.name).unwrap_or_default();
    if line.params.len() == 1 {
        let modes = if state.slow_seconds > 0 {
            "+mnt"
        } else {
            "+nt"
        };
        s.numeric("324", &[&chan, modes]);
        return;
    }
    let changes = changes(&line.params[1..]);
    let lists_only = changes
        .iter()
        .all(|c| c.arg.is_none() && "bqeI".contains(c.mode));
    if lists_only {
        for change in &changes {
            list(s, &chan, change.mode, &state);
        }
        return;
    }
    if !operator(s, &view) {
        s.numeric("482", &[&chan, NOT_OPERATOR]);
        return;
    }
    let present = present(s, &view);
    for change in changes {
        apply(s, &view, &chan, &change, present);
    }
}

/// One mode change asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Change<'a> {
    plus: bool,
    mode: char,
    arg: Option<&'a str>,
}

/// The changes of `+mb-q nick mask`: each mode with its sign, and its parameter for the modes
/// that take one (lists, operators, voice, key; a limit when set).
fn changes<'a>(params: &'a [String]) -> Vec<Change<'a>> {
    let mut args = params.iter().skip(1).map(String::as_str);
    let mut plus = true;
    let mut out = Vec::new();
    for c in params.first().map_or("", String::as_str).chars() {
        match c {
            '+' => plus = true,
            '-' => plus = false,
            mode => {
                let takes = matches!(mode, 'b' | 'q' | 'e' | 'I' | 'o' | 'v' | 'k')
                    || (mode == 'l' && plus);
                let arg = if takes { args.next() } else { None };
                out.push(Change { plus, mode, arg });
            }
        }
    }
    out
}

/// Does one change asked for by an operator of the room (`present`: in it).
fn apply(s: &mut IrcSession, view: &RoomView, chan: &str, change: &Change<'_>, present: bool) {
    let sign = if change.plus { '+' } else { '-' };
    let (action, seconds, login) = match (change.mode, change.arg) {
        ('b' | 'q', None) => {
            let state = s.shared.hub.order_of(&view.name).unwrap_or_default();
            list(s, chan, change.mode, &state);
            return;
        }
        ('b' | 'q', Some(mask)) => {
            let Some(login) = login_of(mask) else {
                let why = "a ban or a quiet here names one login: login!*@*";
                s.numeric("696", &[chan, &change.mode.to_string(), mask, why]);
                return;
            };
            let action = match (change.mode, change.plus) {
                ('b', true) => ModAction::Remove,
                ('b', false) => ModAction::Readmit,
                (_, true) => ModAction::Mute,
                (_, false) => ModAction::Unmute,
            };
            (action, Some(MODERATION_MAX_SECONDS), Some(login))
        }
        ('m', _) => {
            let pace = if change.plus { SLOW_MODE_SECONDS } else { 0 };
            (ModAction::Slow, Some(pace), None)
        }
        // Always on: messages only from members, the topic only from operators.
        ('n' | 't', _) if change.plus => return,
        ('o' | 'v', None) => {
            s.numeric("461", &["MODE", "Not enough parameters"]);
            return;
        }
        ('o' | 'v', Some(nick)) => {
            let Some(member) = member(s, view, chan, nick) else {
                return;
            };
            if change.mode == 'o' {
                let why = "cannot be given here: a room's operators are its creator and the administrators";
                s.numeric("472", &["o", why]);
                return;
            }
            let action = if change.plus {
                ModAction::Voice
            } else {
                ModAction::Devoice
            };
            (action, None, Some(member))
        }
        (mode, _) => {
            let why = format!("is not a mode that can be {sign}set here");
            s.numeric("472", &[&mode.to_string(), &why]);
            return;
        }
    };
    let in_room = login.is_some_and(|l| {
        s.shared
            .hub
            .online_user(&validate::login_key(l))
            .is_some_and(|u| validate::room_key(&u.room) == validate::room_key(&view.name))
    });
    match order::moderate(s, &view.name, action, login, seconds, None) {
        Ok(done) if !present => {
            let style = render::Style {
                in_room,
                ..render::Style::default()
            };
            s.show(&done, style);
        }
        Ok(_) => {}
        Err(refusal) => refused(s, chan, &refusal),
    }
}

/// The nick of a member of the room (`+o`, `+v`), or `None` when there is no such user (`401`)
/// or it is elsewhere (`441`).
fn member<'a>(s: &IrcSession, view: &RoomView, chan: &str, nick: &'a str) -> Option<&'a str> {
    let Some(user) = s.shared.hub.online_user(&validate::login_key(nick)) else {
        s.numeric("401", &[nick, "No such nick"]);
        return None;
    };
    if validate::room_key(&user.room) != validate::room_key(&view.name) {
        s.numeric("441", &[nick, chan, "They aren't on that channel"]);
        return None;
    }
    Some(nick)
}

/// `367`/`368` (removed), `728`/`729` (muted), or an empty list of exceptions or invitations.
fn list(s: &IrcSession, chan: &str, mode: char, state: &OrderView) {
    let mut out = String::new();
    let row = |out: &mut String, code: &str, named: &Named, q: bool| {
        let mask = ban_mask(&named.login);
        let setter = render::mask(&named.by);
        let at = (named.at / 1_000).to_string();
        let mut params = vec![chan];
        if q {
            params.push("q");
        }
        params.extend([mask.as_str(), setter.as_str(), at.as_str()]);
        render::push(out, &render::numeric(code, &s.nick, &params));
    };
    match mode {
        'b' => {
            for named in &state.removed {
                row(&mut out, "367", named, false);
            }
            let end = render::numeric("368", &s.nick, &[chan, "End of channel ban list"]);
            render::push(&mut out, &end);
        }
        'q' => {
            for named in &state.muted {
                row(&mut out, "728", named, true);
            }
            let end = render::numeric("729", &s.nick, &[chan, "q", "End of channel quiet list"]);
            render::push(&mut out, &end);
        }
        'e' => {
            let end = render::numeric("349", &s.nick, &[chan, "End of channel exception list"]);
            render::push(&mut out, &end);
        }
        _ => {
            let end = render::numeric("347", &s.nick, &[chan, "End of channel invite list"]);
            render::push(&mut out, &end);
        }
    }
    s.send_text(out);
}

/// The login a ban or quiet mask names: `login`, `login!*@*`, or the user's whole mask; `None`
/// for masks with wildcards in the nick (a removal names one account).
fn login_of(mask: &str) -> Option<&str> {
    let (nick, rest) = mask.split_once('!').unwrap_or((mask, "*@*"));
    let (user, host) = rest.split_once('@')?;
    let any = |part: &str| part == "*" || part.eq_ignore_ascii_case(nick);
    let ours = |part: &str| part == "*" || part.eq_ignore_ascii_case(render::server());
    (validate::login(nick).is_ok() && any(user) && ours(host)).then_some(nick)
}

/// A refusal of order kept, as IRC says it.
fn refused(s: &IrcSession, chan: &str, refusal: &Refusal) {
    match refusal.code {
        ErrorCode::NotAllowed => s.numeric(
            "482",
            &[
                chan,
                "Nobody keeps order over the room's creator or an administrator",
            ],
        ),
        ErrorCode::RoomNotFound => s.numeric("403", &[chan, "No such channel"]),
        _ => s.notice(&format!("Not done: {}", refusal.message)),
    }
}

const NOT_OPERATOR: &str =
    "You're not channel operator: a room's operators are its creator and the administrators";

/// The first of a comma-separated list.
fn first(list: &str) -> &str {
    list.split(',').next().unwrap_or_default()
}

/// The room a channel names.
fn room(s: &IrcSession, chan: &str) -> Option<RoomView> {
    chan.strip_prefix('#')
        .and_then(|name| s.shared.hub.room_view(name))
}

/// Whether the client keeps order in the room.
fn operator(s: &IrcSession, view: &RoomView) -> bool {
    s.peer
        .login()
        .is_some_and(|l| s.shared.hub.keeps_order_in(&l.key, &view.name))
}

/// Whether the client is in the room (and so sees what its members see).
fn present(s: &IrcSession, view: &RoomView) -> bool {
    s.shared
        .hub
        .room_of(&s.peer)
        .is_some_and(|r| validate::room_key(&r) == validate::room_key(&view.name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mode_strings_take_parameters_for_the_modes_that_have_them() {
        let params: Vec<String> = ["+mb-q", "ana!*@*", "bob"].map(String::from).into();
        let got = changes(&params);
        assert_eq!(
            got,
            [
                Change {
                    plus: true,
                    mode: 'm',
                    arg: None
                },
                Change {
                    plus: true,
                    mode: 'b',
                    arg: Some("ana!*@*")
                },
                Change {
                    plus: false,
                    mode: 'q',
                    arg: Some("bob")
                },
            ]
        );
        let bare: Vec<String> = vec!["b".into()];
        assert_eq!(changes(&bare)[0].arg, None);
    }

    #[test]
    fn a_ban_mask_names_one_login() {
        assert_eq!(login_of("bar!*@*"), Some("bar"));
        assert_eq!(login_of("bar"), Some("bar"));
        assert_eq!(login_of("BAR!*@*"), Some("BAR"));
        assert_eq!(login_of("bar!bar@chat"), Some("bar"));
        assert_eq!(login_of("ba*!*@*"), None);
        assert_eq!(login_of("bar!*@elsewhere.org"), None);
        assert_eq!(login_of("*!*@*"), None);
    }
}
