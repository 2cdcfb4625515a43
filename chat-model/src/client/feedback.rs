//! What the client tells the windows and the settings: answers the forms show, and news of the
//! session token.

use web_time::Instant;

use crate::history::Refusal;

/// A session token of the signed-in user: what logs in again without the password.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionToken {
    /// The login as registered.
    pub login: String,
    /// The token.
    pub token: String,
    /// When it expires, ms since the Unix epoch (server time); `None` if not said.
    pub expires_ms: Option<i64>,
}

impl std::fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A token logs in as its user: keep it out of logs like a password.
        f.debug_struct("SessionToken")
            .field("login", &self.login)
            .field("expires_ms", &self.expires_ms)
            .finish_non_exhaustive()
    }
}

/// Why the last login failed, and when it can be tried again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginProblem {
    /// What the server said.
    pub refusal: Refusal,
    /// When the server said to try again (`server_busy`, `rate_limited`).
    pub retry_at: Option<Instant>,
    /// Whether the client will try again by itself then.
    pub retrying: bool,
}

/// What happened to the session token, for the settings to follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenNews {
    /// The server gave this token (at a login or resume).
    Issued(SessionToken),
    /// The token is no longer valid (refused, or logged out): forget it.
    Ended,
}

/// Answers the forms show.
#[derive(Debug, Clone, Default)]
pub struct Feedback {
    /// Why the last login failed.
    pub login: Option<LoginProblem>,
    /// Why the last registration failed.
    pub register: Option<Refusal>,
    /// The login just registered, to prefill the login form.
    pub registered: Option<String>,
    /// The users window was asked for and its list arrived.
    pub users_arrived: bool,
    /// News of the session token, for the settings.
    pub token: Option<TokenNews>,
}
