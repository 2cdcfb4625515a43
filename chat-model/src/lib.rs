//! The chat client's state, without a user interface: what the signed-in user sees of the server
//! ([`chat`]: rooms, members, histories, private conversations, presence), the connection's life
//! ([`client`]: phases, reconnection with backoff, resume by token, retries, pending requests and
//! history paging), and the plain rules a window applies ([`composer`], [`commands`], [`find`],
//! [`notify`], [`export`], [`timeline`], [`markdown`]), and the files on their way ([`transfers`]).
//!
//! Everything here is plain Rust, tested without a window; the desktop client (`chat-gui`) draws
//! it, and a web client can draw the same state.
//!
//! Architecture Invariant: this crate depends on no user-interface crate (egui, eframe) and does
//! no I/O of its own: the socket and the threads that own it are behind `chat_core::client`'s
//! [`Connection`](chat_core::client::Connection), so another transport can stand in its place.

pub mod backoff;
pub mod chat;
pub mod client;
pub mod commands;
pub mod composer;
pub mod emoji;
pub mod export;
pub mod find;
pub mod history;
pub mod limits;
pub mod markdown;
pub mod notify;
pub mod presence;
pub mod timeline;
pub mod transfers;
