//! The commands of a registered IRC client, mapped onto the chat's rooms and users (`rooms`,
//! `talk`, `queries`): `JOIN`, `PART`, `PRIVMSG`/`NOTICE`, `TAGMSG`, `LIST`, `NAMES`, `WHO`,
//! `WHOIS`, `TOPIC`, `AWAY`, `MOTD`, `LUSERS`, `ISON`, `MODE`, `CAP`, `VERSION`, `PING`, `QUIT`,
//! and `CHATHISTORY`. Anything else gets `421`.

use chat_core::irc::Line;
use chat_core::protocol::CloseReason;

use super::render::server;
use super::session::IrcSession;
use super::{queries, rooms, talk};
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
        "WHO" => queries::who(s, line),
        "WHOIS" => queries::whois(s, line),
        "AWAY" => queries::away(s, line),
        "MOTD" => s.motd(),
        "LUSERS" => queries::lusers(s),
        "ISON" => queries::ison(s, line),
        "MODE" => rooms::mode(s, line),
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
        "CHATHISTORY" => queries::history(s, line),
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
    Step::Continue
}
