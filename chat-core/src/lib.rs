//! The shared core of the chat system: what travels on the wire and how, the rules every field
//! obeys, the `#` command language, clock synchronisation, and the client connection.
//!
//! Architecture Invariant: this crate knows nothing of the server's state or of any UI. The server
//! and the desktop client both depend on it, and on nothing of each other's.

pub mod client;
pub mod clock;
pub mod command;
pub mod error;
pub mod files;
pub mod frame;
#[cfg(not(target_arch = "wasm32"))]
pub mod http;
pub mod irc;
pub mod limits;
pub mod protocol;
pub mod tls;
#[cfg(not(target_arch = "wasm32"))]
pub mod transport;
pub mod validate;
pub mod websocket;

pub use error::{Error, Result};
