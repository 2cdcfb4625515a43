//! The desktop chat client: an eframe/egui application on top of `chat-core`'s client
//! connection, with a server it can host inside itself.
//!
//! Everything that is not drawing lives in plain modules ([`client`], [`chat`], [`history`],
//! [`presence`], [`timeline`], [`composer`], [`commands`], [`emoji`], [`forms`], [`find`],
//! [`export`], [`notify`], [`backoff`], [`settings`], [`i18n`]) tested without a window; [`ui`] draws and returns intents that [`app::ChatApp`]
//! applies after the frame.
//!
//! Architecture Invariant: the UI thread never touches a socket and never blocks; the network
//! threads wake it with `request_repaint`.

pub mod app;
pub mod autopilot;
pub mod backoff;
pub mod chat;
pub mod cli;
pub mod client;
pub mod commands;
pub mod composer;
pub mod emoji;
pub mod export;
pub mod find;
pub mod forms;
pub mod history;
pub mod host;
pub mod i18n;
pub mod limits;
pub mod notify;
pub mod presence;
pub mod settings;
pub mod timeline;
pub mod ui;

pub use app::{AppOptions, ChatApp};
