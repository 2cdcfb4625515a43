//! The chat server as a library: [`start`] a server on any address (port 0 included) and get a
//! [`ServerHandle`] to stop it. The `chat-server` binary and the desktop client's "host here"
//! both use this.
//!
//! Architecture Invariant: plain threads and `std::net` sockets, no async runtime; no lock is
//! held across socket I/O or a disk flush.

mod accept;
mod archive;
mod bus;
mod ceiling;
#[cfg(feature = "cluster")]
mod cluster;
mod cmd;
pub mod config;
mod directory;
pub mod error;
mod event;
mod gate;
mod hub;
mod irc;
pub mod outbox;
mod passwords;
mod peer;
mod server;
mod session;
mod sessions;
mod spares;
pub mod store;
mod threads;
mod throttle;
pub mod tls;
mod wire;
mod writers;

pub use config::ServerConfig;
pub use error::{Result, ServerError};
pub use server::{ServerHandle, start};
pub use tls::TlsSetting;

/// The server's data directory by default (accounts in `accounts/`, the TLS certificate in
/// `tls/`): the platform's data directory for the app (`~/.local/share/chat-server` on Linux,
/// `%APPDATA%\chat\chat-server\data` on Windows, `~/Library/Application
/// Support/org.chat.chat-server` on macOS).
pub fn default_data_dir() -> Option<std::path::PathBuf> {
    directories::ProjectDirs::from("org", "chat", "chat-server").map(|d| d.data_dir().to_owned())
}
