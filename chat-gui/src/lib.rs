//! The desktop chat client: an eframe/egui application that draws the client model of
//! `chat-model` (rooms, conversations, the connection's life), with a server it can host inside
//! itself.
//!
//! What is not drawing lives in `chat_model`, tested without a window; here are the plain parts
//! that belong to this program ([`forms`], [`settings`], [`i18n`], [`autopilot`], [`limits`]),
//! what touches the desktop ([`host`], [`notifier`], [`save`], [`files`]), and [`ui`], which draws and
//! returns intents that [`app::ChatApp`] applies after the frame.
//!
//! The same library runs in a browser (`wasm32-unknown-unknown`): [`web`] starts it on the
//! page's canvas, the connection is the page's WebSocket (`chat_core::client`), notifications are
//! the browser's and a saved copy is a download; hosting a server is for the desktop only.
//!
//! Architecture Invariant: the UI thread never touches a socket and never blocks; the network
//! threads wake it with `request_repaint`.

pub mod app;
pub mod autopilot;
#[cfg(not(target_arch = "wasm32"))]
pub mod cli;
#[cfg(not(target_arch = "wasm32"))]
pub mod files;
/// A page offers no files yet: the same names, no transfers (received files show as cards).
#[cfg(target_arch = "wasm32")]
#[path = "web/files.rs"]
pub mod files;
pub mod forms;
#[cfg(not(target_arch = "wasm32"))]
pub mod host;
/// A browser hosts no server: the same type, never anything but idle.
#[cfg(target_arch = "wasm32")]
#[path = "web/host.rs"]
pub mod host;
pub mod i18n;
pub mod limits;
pub mod notifier;
pub mod save;
pub mod settings;
pub mod ui;
#[cfg(target_arch = "wasm32")]
pub mod web;

pub use app::{AppOptions, ChatApp};
