//! What each request does, one module per family (mini-redis's `cmd/` shape): `hello`,
//! `account` (register, login, resume, logout), `rooms` (the course's room commands), `talk`
//! (room and private messages), `history` (earlier lines and messages), `presence` (away,
//! back, typing), `users` (`#show users`).
//!
//! A handler gets the [`Session`] and the request's fields, queues its reply (or returns a
//! [`Refusal`], which the reader sends as the `error` reply), and says whether the connection
//! goes on. Handlers are `#[inline(never)]`: inlined into the dispatcher, all their locals would
//! sit in the reader's stack on every request, a keep-alive `ping` included, and stack a reader
//! touches once stays resident for the life of its connection.

mod account;
mod hello;
mod history;
mod presence;
pub(crate) mod render;
mod rooms;
pub(crate) mod talk;
mod users;
pub(crate) mod wire;

use std::time::Duration;

use chat_core::Error as CoreError;
use chat_core::protocol::{CloseReason, ErrorCode, Field, Request, ServerMessage};

pub(crate) use account::{check_password, deliver_kept_to};
pub(crate) use rooms::rooms_frame;

use crate::accounts::passwords::PoolError;
use crate::chat::hub::HubError;
use crate::connection::{Phase, Session};

/// What the reader loop does after a request.
pub(crate) enum Next {
    Continue,
    Close,
}

/// A handler's failure: the `error` reply to the request.
#[derive(Debug)]
pub(crate) struct Refusal {
    pub code: ErrorCode,
    pub message: String,
    pub field: Option<Field>,
    /// When to try again, for `server_busy` and `rate_limited`.
    pub retry_after: Option<Duration>,
}

impl Refusal {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Refusal {
            code,
            message: message.into(),
            field: None,
            retry_after: None,
        }
    }

    /// A refusal to retry after `wait`; the message says so in whole seconds.
    pub fn retry(code: ErrorCode, what: &str, wait: Duration) -> Self {
        Refusal {
            code,
            message: format!("{what}; try again in {}", seconds(wait)),
            field: None,
            retry_after: Some(wait),
        }
    }

    pub fn into_message(self) -> ServerMessage {
        ServerMessage::Error {
            code: self.code,
            message: self.message,
            field: self.field,
            retry_after_ms: self
                .retry_after
                .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)),
        }
    }
}

impl From<CoreError> for Refusal {
    fn from(e: CoreError) -> Self {
        Refusal {
            code: e.code(),
            field: e.field(),
            message: e.to_string(),
            retry_after: None,
        }
    }
}

impl From<PoolError> for Refusal {
    fn from(e: PoolError) -> Self {
        match e {
            PoolError::Busy { retry_after } => Refusal::retry(
                ErrorCode::ServerBusy,
                "too many logins are being checked at once",
                retry_after,
            ),
            PoolError::Failed(e) => {
                tracing::error!("password job failed: {e}");
                Refusal::new(
                    ErrorCode::Internal,
                    "the server could not check the password",
                )
            }
        }
    }
}

impl From<HubError> for Refusal {
    fn from(e: HubError) -> Self {
        Refusal::new(e.code(), e.to_string())
    }
}

pub(crate) type Handled = Result<Next, Refusal>;

/// Chat requests pay into flood control; the handshake, keep-alives, `logout` and `exit` do not
/// (logins and registrations have limits of their own).
pub(crate) fn counts_as_flood(request: &Request) -> bool {
    !matches!(
        request,
        Request::Hello { .. }
            | Request::Clock
            | Request::Ping
            | Request::Exit
            | Request::Logout { .. }
            | Request::Register(_)
            | Request::Login { .. }
            | Request::Resume { .. }
    )
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
            s.shared.hub.logout(&s.peer);
            s.peer
                .close_replying(Some(id), CloseReason::Exit, "goodbye");
            Ok(Next::Close)
        }
        (Phase::AwaitLogin, Request::Register(r)) => account::register(s, id, r),
        (Phase::AwaitLogin, Request::Login { login, password }) => {
            account::login(s, id, &login, password)
        }
        (Phase::AwaitLogin, Request::Resume { token }) => account::resume(s, id, &token),
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
        Request::Say { text } => talk::say(s, text),
        Request::Private { to, text } => talk::private(s, id, &to, text),
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
        Request::Hello { .. }
        | Request::Clock
        | Request::Register(_)
        | Request::Login { .. }
        | Request::Resume { .. }
        | Request::Ping
        | Request::Exit => Err(Refusal::new(ErrorCode::Internal, "request out of place")),
    }
}

/// A wait in whole seconds, for people.
pub(crate) fn seconds(wait: Duration) -> String {
    match wait.as_secs_f64().ceil() as u64 {
        0 | 1 => "1 second".into(),
        n => format!("{n} seconds"),
    }
}

/// The server failed: logged, and the client told to retry.
pub(crate) fn internal(e: crate::error::ServerError) -> Refusal {
    if let crate::error::ServerError::Unavailable { what, .. } = &e {
        tracing::warn!("{e}");
        return Refusal::retry(
            ErrorCode::ServerBusy,
            &format!("{what} is unreachable for a moment"),
            UNAVAILABLE_RETRY,
        );
    }
    tracing::error!("{e}");
    Refusal::new(ErrorCode::Internal, "the server failed; try again")
}

/// How long a client is asked to wait when a database is unreachable.
const UNAVAILABLE_RETRY: std::time::Duration = std::time::Duration::from_secs(2);
