//! Which handler a request goes to, by the connection's phase, and what the connection's rules
//! make of each request (`traits`).

use chat_core::protocol::{CloseReason, ErrorCode, Request, ServerMessage};

use super::session::{Handled, Next, Phase, Session};
use super::{account, hello, history, lines, presence, rooms, talk, users};
use crate::connection::Traits;
use crate::service;
use crate::service::refusal::Refusal;

/// What the connection's rules make of a request: chat requests pay into flood control (the
/// handshake, keep-alives, `logout` and `exit` do not: logins and registrations have limits of
/// their own); anything but a keep-alive or a clock sample is the user's input; anything but
/// those and leaving settles a logged-in client in; before login everything but a password
/// check waits behind the first-steps gate (password checks wait for the password pool).
pub(crate) fn traits(request: &Request) -> Traits {
    let keep_alive = matches!(request, Request::Ping | Request::Clock);
    // Read markers follow what the user sees, not what it says: they cost no flood tokens.
    let reading = matches!(request, Request::MarkRead { .. } | Request::ReadMarkers);
    let leaving = matches!(request, Request::Exit | Request::Logout { .. });
    let account = matches!(
        request,
        Request::Hello { .. }
            | Request::Register(_)
            | Request::Login { .. }
            | Request::Resume { .. }
    );
    Traits {
        flood: !(keep_alive || leaving || account || reading),
        input: !keep_alive,
        settles: !(keep_alive || leaving),
        gated: !matches!(request, Request::Login { .. } | Request::Register(_)),
    }
}

/// Dispatches by phase.
#[inline(never)]
pub(crate) fn handle(s: &mut Session, id: u32, request: Request) -> Handled {
    match (s.phase, request) {
        (Phase::AwaitHello, Request::Hello { version, client }) => {
            hello::hello(s, id, version, &client)
        }
        (Phase::AwaitHello, _) => Err(Refusal::new(
            ErrorCode::HelloRequired,
            "say hello (with the protocol version) first",
        )),
        (_, Request::Hello { .. }) => {
            Err(Refusal::new(ErrorCode::Invalid, "hello was already said"))
        }
        (_, Request::Clock) => {
            let server_time_us = s.shared.hub.now_us();
            s.reply(id, ServerMessage::Clock { server_time_us });
            Ok(Next::Continue)
        }
        (_, Request::Ping) => {
            s.reply(id, ServerMessage::Pong);
            Ok(Next::Continue)
        }
        (_, Request::Exit) => {
            // Gone from the chat before the client sees its goodbye.
            service::account::leave(&s.shared, &s.peer);
            s.peer
                .close_replying(Some(id), CloseReason::Exit, "goodbye");
            Ok(Next::Close)
        }
        (Phase::AwaitLogin, Request::Register(r)) => account::register(s, id, r),
        (Phase::AwaitLogin, Request::Login { login, password }) => {
            account::login(s, id, &login, password)
        }
        (Phase::AwaitLogin, Request::Resume { token, seen }) => {
            account::resume(s, id, &token, seen)
        }
        (
            Phase::LoggedIn,
            Request::Register(_) | Request::Login { .. } | Request::Resume { .. },
        ) => Err(Refusal::new(
            ErrorCode::AlreadyLoggedIn,
            "this connection is already logged in",
        )),
        (Phase::AwaitLogin, _) => Err(Refusal::new(ErrorCode::LoginRequired, "log in first")),
        (Phase::LoggedIn, request) => logged_in(s, id, request),
    }
}

/// The requests of a logged-in connection.
#[inline(never)]
fn logged_in(s: &mut Session, id: u32, request: Request) -> Handled {
    match request {
        Request::Say {
            text,
            reply_to,
            attachments,
        } => talk::say(s, id, text, reply_to, &attachments),
        Request::Private {
            to,
            text,
            reply_to,
            attachments,
        } => talk::private(s, id, &to, text, reply_to, &attachments),
        Request::CreateRoom { room } => rooms::create(s, id, &room),
        Request::EnterRoom { room } => rooms::enter(s, id, &room),
        Request::LeaveRoom => rooms::leave(s, id),
        Request::ListRooms { offset } => rooms::list(s, id, offset),
        Request::DeleteRoom { room } => rooms::delete(s, id, &room),
        Request::ShowUsers { offset } => users::show(s, id, offset),
        Request::Logout { all } => account::logout(s, id, all),
        Request::History { room, before } => history::room(s, id, &room, before),
        Request::PrivateHistory { with, before } => history::conversation(s, id, &with, before),
        Request::Away { text } => presence::away(s, id, text),
        Request::Back => presence::back(s, id),
        Request::Typing { to } => presence::typing(s, &to),
        Request::React {
            target,
            line,
            emoji,
            on,
        } => lines::react(s, &target, line, &emoji, on),
        Request::Edit { target, line, text } => lines::edit(s, id, &target, line, text),
        Request::DeleteMessage { target, line } => lines::delete(s, id, &target, line),
        Request::MarkRead {
            target,
            line,
            receipt,
        } => lines::mark_read(s, &target, line, receipt),
        Request::ReadMarkers => lines::markers(s, id),
        Request::Moderate {
            room,
            action,
            login,
            seconds,
        } => lines::moderate(s, id, &room, action, login.as_deref(), seconds),
        Request::Report {
            target,
            line,
            reason,
        } => lines::report(s, id, &target, line, reason),
        Request::SetTopic { room, topic } => lines::set_topic(s, id, &room, &topic),
        Request::Hello { .. }
        | Request::Clock
        | Request::Register(_)
        | Request::Login { .. }
        | Request::Resume { .. }
        | Request::Ping
        | Request::Exit => Err(Refusal::new(ErrorCode::Internal, "request out of place")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_settles_in_with_its_first_request_beyond_keep_alives_and_leaving() {
        for quiet in [
            Request::Ping,
            Request::Clock,
            Request::Exit,
            Request::Logout { all: true },
        ] {
            assert!(!traits(&quiet).settles, "{quiet:?}");
        }
        assert!(
            traits(&Request::Say {
                attachments: Vec::new(),
                reply_to: None,
                text: "hi".into()
            })
            .settles
        );
        assert!(traits(&Request::LeaveRoom).settles);
    }

    #[test]
    fn password_checks_wait_for_the_pool_not_the_gate() {
        let login = Request::Login {
            login: "ana".into(),
            password: chat_core::protocol::Password("x".into()),
        };
        assert!(!traits(&login).gated);
        assert!(
            traits(&Request::Resume {
                token: "t".into(),
                seen: None
            })
            .gated
        );
        assert!(!traits(&Request::Ping).flood);
        assert!(
            traits(&Request::Say {
                attachments: Vec::new(),
                reply_to: None,
                text: "hi".into()
            })
            .flood
        );
    }
}
