//! Where the connection stands, and what each stage holds. A login under way carries its
//! credential and its retry time; a first connection knows whether to resume a kept session;
//! logging out is a phase of its own. So a password outside a login, a retry with nothing to
//! retry, or a resume flag left over from an earlier connection cannot be written down.
//!
//! Architecture Invariant: the client holds the password only inside [`Phase::LoggingIn`], where
//! nothing outside `client` can read it: it goes when the phase does (logged in, refused for
//! good, disconnected, logged out), and `Phase` is not `Clone`, so no copy outlives the login.

use web_time::Instant;

use chat_core::protocol::Password;

/// Where the connection stands.
#[derive(Debug, PartialEq, Eq)]
pub enum Phase {
    /// No connection; [`Client::last_disconnect`](super::Client::last_disconnect) says why,
    /// if one ended.
    Offline,
    /// The first connection to a server is being made.
    Connecting {
        /// Resume the session of the token held (kept from an earlier run) as soon as
        /// connected, without the password.
        resume: bool,
    },
    /// Connected, not logged in: the login and register forms.
    Connected,
    /// Login (or resume) sent, waiting for the answer, or waiting to send it again.
    LoggingIn(LoggingIn),
    /// Logged in: the main window.
    LoggedIn,
    /// Logged in, `logout` sent: the server closes the connection, and a fresh one opens for
    /// the login form. The main window stays until then.
    LoggingOut,
    /// The connection was lost after logging in; the next attempt is at `retry_at` (or under way
    /// when `None`).
    Reconnecting {
        /// Failed attempts so far.
        attempt: u32,
        /// When the next attempt starts.
        retry_at: Option<Instant>,
    },
}

impl Phase {
    /// Whether the user is logged in on this connection (also while logging out, until the
    /// server closes it).
    pub fn is_logged_in(&self) -> bool {
        matches!(self, Phase::LoggedIn | Phase::LoggingOut)
    }
}

/// A login under way: with what, and when to send it again if the server was busy.
#[derive(Debug, PartialEq, Eq)]
pub struct LoggingIn {
    pub(super) with: Credential,
    /// When to send it again, as the server said (busy); `None` while the answer is awaited.
    pub(super) retry_at: Option<Instant>,
}

impl LoggingIn {
    /// A login with the password the user typed.
    pub(super) fn with_password(login: &str, password: Password) -> Self {
        LoggingIn {
            with: Credential::Password {
                login: login.to_owned(),
                password,
            },
            retry_at: None,
        }
    }

    /// A resume with the session token held.
    pub(super) fn with_token(after_reconnection: bool) -> Self {
        LoggingIn {
            with: Credential::Token { after_reconnection },
            retry_at: None,
        }
    }

    /// Whether this is the automatic resume after a lost connection (the main window stays),
    /// rather than a login from the login window.
    pub fn after_reconnection(&self) -> bool {
        matches!(
            self.with,
            Credential::Token {
                after_reconnection: true
            }
        )
    }

    /// Whether it is a resume of a session kept from an earlier run (no password typed).
    pub fn resuming_kept_session(&self) -> bool {
        matches!(
            self.with,
            Credential::Token {
                after_reconnection: false
            }
        )
    }

    /// Whether the password is held for it.
    pub fn holds_password(&self) -> bool {
        matches!(self.with, Credential::Password { .. })
    }

    /// When it will be sent again by itself, because the server said it was busy.
    pub fn retry_at(&self) -> Option<Instant> {
        self.retry_at
    }
}

/// What a login is made with.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Credential {
    /// The password the user typed, held to send again if the server is busy.
    Password {
        /// The login typed.
        login: String,
        /// The password typed.
        password: Password,
    },
    /// The session token the client holds: a session kept from an earlier run, or
    /// (`after_reconnection`) the session of a connection that was lost.
    Token {
        /// The automatic resume after a lost connection.
        after_reconnection: bool,
    },
}
