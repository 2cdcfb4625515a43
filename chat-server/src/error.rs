//! The one error type of `chat-server`: what stops the server from starting or running.

use std::io;
use std::path::PathBuf;

/// Errors that stop the server (per-request failures are wire errors, see `chat_core::protocol`).
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The account store could not be opened. It is never replaced or repaired silently.
    #[error(
        "cannot open the account store at {path}: {source}. \
         The data was left untouched; restore it from a backup or move it aside to start empty"
    )]
    StoreOpen {
        /// The store's directory.
        path: PathBuf,
        /// What sled said.
        source: sled::Error,
    },
    /// The account store failed while running.
    #[error("account store error: {0}")]
    Store(#[from] sled::Error),
    /// A stored account could not be read back.
    #[error("stored account {login:?} is unreadable: {reason}")]
    CorruptAccount {
        /// The key it is stored under.
        login: String,
        /// What went wrong decoding it.
        reason: String,
    },
    /// A stored record could not be written or read back.
    #[error("stored {what} record is unreadable: {reason}")]
    CorruptRecord {
        /// What kind of record.
        what: &'static str,
        /// What went wrong.
        reason: String,
    },
    /// The listening socket could not be opened.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: String,
        /// Why.
        source: io::Error,
    },
    /// A configuration value is out of range.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// The TLS certificate or key could not be loaded or made.
    #[error("TLS: {0}")]
    Tls(String),
    /// Password hashing failed.
    #[error("password hashing failed: {0}")]
    Hash(#[from] bcrypt::BcryptError),
    /// A database the server relies on (PostgreSQL, Redis) cannot be reached now; worth trying
    /// again.
    #[error("{what} is unreachable: {reason}")]
    Unavailable {
        /// Which.
        what: &'static str,
        /// Why.
        reason: String,
    },
    /// The cluster took a request but did not say in time whether it took effect: it may
    /// still (a line said, a private message handed over), so the client is told so.
    #[error("{what} did not confirm in time")]
    NotConfirmed {
        /// Which.
        what: &'static str,
    },
    /// A database refused a statement.
    #[error("database error: {0}")]
    Database(String),
    /// Another system error.
    #[error("{0}")]
    Io(#[from] io::Error),
}

/// Result with [`ServerError`].
pub type Result<T, E = ServerError> = std::result::Result<T, E>;
