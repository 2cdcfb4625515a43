//! The commands of a registered IRC client, mapped onto the chat's rooms and users (`rooms`,
//! `talk`, `who`, `queries`) and the server's own answers (`about`): `JOIN`, `PART`,
//! `PRIVMSG`/`NOTICE`, `TAGMSG`, `LIST`, `NAMES`, `WHO`, `WHOIS`, `WHOWAS`, `USERHOST`, `ISON`,
//! `TOPIC`, `AWAY`, `MOTD`, `LUSERS`, `TIME`, `INFO`, `HELP`, `MODE`, `CAP`, `VERSION`, `PING`,
//! `QUIT`, `CHATHISTORY`, `KICK` and channel `MODE`s (`order`), and `REDACT` (`actions`);
//! server operators' commands get `481` (there are none), anything else `421`.

use chat_core::irc::Line;
use chat_core::protocol::CloseReason;

use chat_core::validate;

use super::session::IrcSession;
use super::{about, actions, order, queries, rooms, talk, who};
use crate::connection::Step;
use crate::service::account;

/// Dispatches one line of a registered client.
#[inline(never)]
pub(super) fn handle(s: &mut IrcSession, line: &Line) -> Step {
    match line.command.as_str() {
        "PING" => s.pong(line),
        "PONG" => {}
        "QUIT" => {
            s.peer.set_quit_message(match line.param(0) {
                "" => "Quit".to_owned(),
                why => format!("Quit: {why}"),
            });
            // Gone from the chat before the client sees its connection close.
            account::leave(&s.shared, &s.peer);
            s.peer.close(CloseReason::Exit, "client quit");
            return Step::Close("quit".into());
        }
        "PRIVMSG" | "NOTICE" => talk::say(s, line),
        "TAGMSG" => talk::tagmsg(s, line),
        "JOIN" => rooms::join(s, line),
        "PART" => rooms::part(s, line),
        "NAMES" => rooms::names(s, line),
        "LIST" => rooms::list(s, line),
        "TOPIC" => rooms::topic_cmd(s, line),
        "WHO" => who::who(s, line),
        "WHOIS" => queries::whois(s, line),
        "WHOWAS" => queries::whowas(s, line),
        "USERHOST" => queries::userhost(s, line),
        "AWAY" => queries::away(s, line),
        "MOTD" => s.motd(),
        "LUSERS" => about::lusers(s),
        "TIME" => about::time(s),
        "INFO" => about::info(s),
        "HELP" | "HELPOP" => about::help(s, line),
        "OPER" => about::oper(s, line),
        "KILL" | "WALLOPS" | "REHASH" | "RESTART" | "DIE" | "SQUIT" | "CONNECT" | "GLOBOPS"
        | "KLINE" | "UNKLINE" | "DLINE" | "UNDLINE" | "SAJOIN" | "SAPART" | "SANICK" => {
            about::operators_only(s);
        }
        "ISON" => queries::ison(s, line),
        "MODE" if line.param(0).starts_with('#') => order::channel_mode(s, line),
        "MODE" => rooms::mode(s, line),
        "KICK" => order::kick(s, line),
        "REDACT" => actions::redact(s, line),
        "CAP" => s.cap(line),
        "VERSION" => about::version(s),
        "CHATHISTORY" => queries::history(s, line),
        "NICK" => nick(s, line.param(0)),
        "USER" | "PASS" => s.numeric("462", &["You may not reregister"]),
        "AUTHENTICATE" if s.guest => s.numeric("462", &["You may not reregister"]),
        "AUTHENTICATE" => s.numeric("907", &["You have already authenticated"]),
        other => s.numeric("421", &[other, "Unknown command"]),
    }
    Step::Continue
}

/// `NICK`: a nick is a login and does not change; `433` when another user has the one asked
/// for, `432` otherwise, nothing when it is already yours.
fn nick(s: &IrcSession, nick: &str) {
    if nick.is_empty() {
        s.numeric("431", &["No nickname given"]);
        return;
    }
    if nick == s.nick {
        return;
    }
    let key = validate::login_key(nick);
    if key != validate::login_key(&s.nick) && s.shared.hub.online_user(&key).is_some() {
        s.numeric("433", &[nick, "Nickname is already in use"]);
    } else {
        s.numeric(
            "432",
            &[
                nick,
                "Erroneous nickname: your nick is your login and cannot change",
            ],
        );
    }
}
