//! The one error type of `chat-core`: what can go wrong reading, writing or checking messages.

use std::io;

use crate::protocol::{ErrorCode, Field};

/// Errors of framing, decoding and validation.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The length prefix announces more than [`crate::limits::MAX_FRAME_BYTES`].
    #[error("frame of {len} bytes is larger than the limit of {max} bytes")]
    FrameTooLarge {
        /// Announced body length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The peer closed the stream in the middle of a frame.
    #[error("connection closed in the middle of a frame")]
    Truncated,
    /// The frame body is not a valid message.
    #[error("malformed message: {0}")]
    Malformed(String),
    /// A message could not be encoded (it is larger than a frame may be).
    #[error("message cannot be encoded: {0}")]
    Encode(String),
    /// A field broke a validation rule; the text says which rule, for a person to read.
    #[error("{field}: {reason}")]
    Invalid {
        /// The field at fault.
        field: Field,
        /// Why, in words a user understands.
        reason: String,
    },
    /// A `#` line that is not a command, or a command used wrongly. The text says how to use it.
    #[error("{0}")]
    Command(String),
    /// The socket failed.
    #[error("network error: {0}")]
    Io(#[from] io::Error),
}

impl Error {
    /// The wire error code a server sends for this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::FrameTooLarge { .. } => ErrorCode::FrameTooLarge,
            Error::Truncated | Error::Malformed(_) => ErrorCode::Malformed,
            Error::Invalid { .. } | Error::Command(_) => ErrorCode::Invalid,
            Error::Encode(_) | Error::Io(_) => ErrorCode::Internal,
        }
    }

    /// The field at fault, for validation errors.
    pub fn field(&self) -> Option<Field> {
        match self {
            Error::Invalid { field, .. } => Some(*field),
            _ => None,
        }
    }

    /// Whether this is a socket read timeout rather than a failure.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Io(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut))
    }
}

/// Result with the crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
