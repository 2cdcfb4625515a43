//! Getting one benchmark client logged in: `hello` and `login` sent together, `register` when the
//! account does not exist yet, and the same request again after `server_busy`.

use std::time::Duration;

use chat_core::limits::PROTOCOL_VERSION;
use chat_core::protocol::{ErrorCode, Gender, Registration, Request, ServerFrame, ServerMessage};

use crate::net::Conns;

/// Name this program gives in its `hello`.
pub const CLIENT_NAME: &str = concat!("chat-bench/", env!("CARGO_PKG_VERSION"));

/// Wait before asking again after `server_busy`; a per-client spread is added.
pub const BUSY_BACKOFF: Duration = Duration::from_millis(20);

/// Where a client is in logging in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Auth {
    state: AuthState,
    /// A `register` was answered `login_taken`: a second `bad_credentials` means the account
    /// exists with another password, and asking again would loop.
    taken: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AuthState {
    /// `login` sent, reply awaited.
    LoggingIn { id: u32 },
    /// `register` sent, reply awaited.
    Registering { id: u32 },
    /// `resume` sent, reply awaited.
    Resuming { id: u32 },
    /// `server_busy` came back; the same request goes again when the caller's timer fires.
    Busy { register: bool },
    /// Logged in.
    Done,
}

/// What a frame meant for logging in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthStep {
    /// Nothing to do (not a reply to the login, or a step on the way).
    Pending,
    /// The server said `server_busy`: call [`Auth::retry`] after [`busy_delay`].
    Busy,
    /// `logged_in` arrived.
    LoggedIn,
    /// Registration happened on the way (counted by callers that report it).
    Registered,
    /// Logging in cannot succeed.
    Failed(String),
}

/// The account a client logs in with.
#[derive(Debug, Clone, Copy)]
pub struct Account<'a> {
    pub login: &'a str,
    pub password: &'a str,
}

impl Account<'_> {
    fn login_request(&self) -> Request {
        Request::Login {
            login: self.login.to_owned(),
            password: self.password.into(),
        }
    }

    fn register_request(&self) -> Request {
        Request::Register(Registration {
            first_names: "Bench".into(),
            last_names: "Client".into(),
            login: self.login.to_owned(),
            password: self.password.into(),
            age: 30,
            gender: Gender::PreferNotToSay,
        })
    }
}

/// How long `client` waits after `server_busy`: a base plus a spread so retries do not arrive in
/// lock step.
pub fn busy_delay(client: usize) -> Duration {
    BUSY_BACKOFF + Duration::from_micros((client as u64 % 64) * 500)
}

impl Auth {
    fn new(state: AuthState) -> Auth {
        Auth {
            state,
            taken: false,
        }
    }

    /// Queues `hello` and `login` on `client`'s fresh connection.
    pub fn begin(conns: &mut Conns, client: usize, account: Account<'_>) -> Auth {
        conns.send(
            client,
            Request::Hello {
                version: PROTOCOL_VERSION,
                client: CLIENT_NAME.into(),
            },
        );
        match conns.send(client, account.login_request()) {
            Some(id) => Auth::new(AuthState::LoggingIn { id }),
            None => Auth::new(AuthState::Busy { register: false }),
        }
    }

    /// Queues `hello` and `resume` with a session token on `client`'s fresh connection; a token
    /// the server no longer knows falls back to the password.
    pub fn resume(conns: &mut Conns, client: usize, token: &str) -> Auth {
        conns.send(
            client,
            Request::Hello {
                version: PROTOCOL_VERSION,
                client: CLIENT_NAME.into(),
            },
        );
        match conns.send(
            client,
            Request::Resume {
                token: token.to_owned(),
                seen: None,
            },
        ) {
            Some(id) => Auth::new(AuthState::Resuming { id }),
            None => Auth::new(AuthState::Busy { register: false }),
        }
    }

    /// Sends again what `server_busy` refused.
    pub fn retry(&mut self, conns: &mut Conns, client: usize, account: Account<'_>) {
        if let AuthState::Busy { register } = self.state {
            let request = if register {
                account.register_request()
            } else {
                account.login_request()
            };
            if let Some(id) = conns.send(client, request) {
                self.state = if register {
                    AuthState::Registering { id }
                } else {
                    AuthState::LoggingIn { id }
                };
            }
        }
    }

    /// Takes the frame into account; replies to other requests are left to the caller.
    pub fn on_frame(
        &mut self,
        conns: &mut Conns,
        client: usize,
        account: Account<'_>,
        frame: &ServerFrame,
    ) -> AuthStep {
        let (pending, register, resuming) = match self.state {
            AuthState::LoggingIn { id } => (id, false, false),
            AuthState::Registering { id } => (id, true, false),
            AuthState::Resuming { id } => (id, false, true),
            AuthState::Busy { .. } | AuthState::Done => return AuthStep::Pending,
        };
        if frame.re != Some(pending) {
            return match &frame.message {
                // Only the hello can be refused this way (version_mismatch).
                ServerMessage::Error { code, message, .. } if frame.re.is_some() => {
                    AuthStep::Failed(format!("{code:?}: {message}"))
                }
                _ => AuthStep::Pending,
            };
        }
        match &frame.message {
            ServerMessage::LoggedIn { .. } => {
                self.state = AuthState::Done;
                AuthStep::LoggedIn
            }
            ServerMessage::Registered { .. } => {
                if let Some(id) = conns.send(client, account.login_request()) {
                    self.state = AuthState::LoggingIn { id };
                }
                AuthStep::Registered
            }
            ServerMessage::Error {
                code: ErrorCode::BadToken,
                ..
            } if resuming => {
                if let Some(id) = conns.send(client, account.login_request()) {
                    self.state = AuthState::LoggingIn { id };
                }
                AuthStep::Pending
            }
            ServerMessage::Error { code, message, .. } => match (code, register) {
                (ErrorCode::ServerBusy, _) => {
                    self.state = AuthState::Busy { register };
                    AuthStep::Busy
                }
                (ErrorCode::BadCredentials, false) if !self.taken => {
                    if let Some(id) = conns.send(client, account.register_request()) {
                        self.state = AuthState::Registering { id };
                    }
                    AuthStep::Pending
                }
                (ErrorCode::BadCredentials, false) => AuthStep::Failed(format!(
                    "account {} exists with another password",
                    account.login
                )),
                (ErrorCode::LoginTaken, true) => {
                    // Registered meanwhile (by an earlier run, or a race): log in after all.
                    self.taken = true;
                    if let Some(id) = conns.send(client, account.login_request()) {
                        self.state = AuthState::LoggingIn { id };
                    }
                    AuthStep::Pending
                }
                _ => AuthStep::Failed(format!("{code:?}: {message}")),
            },
            other => AuthStep::Failed(format!("unexpected reply {other:?}")),
        }
    }
}
