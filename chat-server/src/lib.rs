//! The chat server as a library: [`start`] a server on any address (port 0 included) and get a
//! [`ServerHandle`] to stop it. The `chat-server` binary and the desktop client's "host here"
//! both use this.
//!
//! The layout, from the top down (docs/ARCHITECTURE.md draws it):
//! - `server` starts everything and stops it;
//! - `protocols` — what a client says and how it is answered, once per protocol (`native`,
//!   `irc`), on the one connection driver of `connection`;
//! - `cluster` — what the nodes of a cluster tell each other;
//! - `shared` — the state every thread holds;
//! - `chat` — the rooms, who is where, what is said; `delivery` — events on their way to
//!   clients (peers, outboxes, the writer pool); `accounts` and `store` — who may log in and
//!   what is kept on disk; `links` — signed links to shared files, for clients that cannot
//!   send a header.
//!
//! Architecture Invariant: plain threads and `std::net` sockets, no async runtime; no lock is
//! held across socket I/O or a disk flush; a module never imports one that imports it back.

mod accounts;
mod chat;
pub mod clock;
#[cfg(feature = "cluster")]
mod cluster;
pub mod config;
mod connection;
mod delivery;
pub mod error;
mod links;
mod protocols;
mod server;
mod service;
mod shared;
pub mod store;
mod threads;
pub mod tls;

pub use clock::ServerClock;
pub use config::ServerConfig;
pub use delivery::outbox;
pub use error::{Result, ServerError};
pub use server::{ServerHandle, start};
pub use shared::ConnectionCounts;
pub use tls::TlsSetting;

/// The server's data directory by default (accounts in `accounts/`, the TLS certificate in
/// `tls/`): the platform's data directory for the app (`~/.local/share/chat-server` on Linux,
/// `%APPDATA%\chat\chat-server\data` on Windows, `~/Library/Application
/// Support/org.chat.chat-server` on macOS).
pub fn default_data_dir() -> Option<std::path::PathBuf> {
    directories::ProjectDirs::from("org", "chat", "chat-server").map(|d| d.data_dir().to_owned())
}
