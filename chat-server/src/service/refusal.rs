//! Why a request was refused, whatever protocol asked: a typed code the client can act on, a
//! readable message, the field at fault and when to try again. Each protocol shows it its own
//! way (the native `error` reply; IRC numerics and notices).

use std::time::Duration;

use chat_core::Error as CoreError;
use chat_core::protocol::{ErrorCode, Field, ServerMessage};

use crate::accounts::passwords::PoolError;
use crate::chat::hub::HubError;

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
        Refusal {
            retry_after: e.retry_after(),
            ..Refusal::new(e.code(), e.to_string())
        }
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
