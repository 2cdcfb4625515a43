//! What a client may ask of the chat, once for every protocol: each protocol turns its own
//! requests into calls here, with protocol-free arguments and answers, and writes the answers
//! its own way.
//!
//! - `conn` — a connection as the services see it;
//! - `account` — registration, password and token logins, entering the chat, signing out,
//!   leaving;
//! - `talk` — room lines, private messages, history, presence;
//! - `lines` — reactions, edits, deletions, read markers and receipts, reports;
//! - `files` — uploads, downloads, and the files lines carry;
//! - `order` — keeping order in a room: mute, remove, slow mode;
//! - `refusal` — why a request was refused.

pub(crate) mod account;
pub(crate) mod conn;
pub(crate) mod files;
pub(crate) mod in_flight;
pub(crate) mod lines;
pub(crate) mod order;
pub(crate) mod refusal;
pub(crate) mod talk;
