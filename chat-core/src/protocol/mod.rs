//! The messages of the wire protocol: what a client asks ([`Request`]) and what the server says
//! ([`ServerMessage`]), each wrapped in an envelope ([`ClientFrame`], [`ServerFrame`]).
//!
//! Every message is a MessagePack *map* with a `"type"` key naming the variant, so a client in
//! any language can read it with a generic MessagePack library. `docs/PROTOCOL.md` is the prose
//! form of these files; they change together.
//!
//! - `request`: what clients send;
//! - `message`: what the server sends;
//! - `line`: what requests and messages say about one line (where, what it answers, its
//!   reactions, moderation);
//! - `codes`: error codes, fields, close and room-closed reasons;
//! - `diagnose`: the reply to a request the strict decoder refused, when its `id` is readable.
//!
//! This module knows nothing of bytes on a socket: see [`crate::frame`] for that.

mod codes;
mod diagnose;
mod line;
mod message;
mod request;

pub use codes::{CloseReason, ErrorCode, Field, Presence, RoomClosedReason};
pub use diagnose::{Diagnosis, diagnose};
pub use line::{
    Attachment, Marker, ModAction, Quote, Reaction, Receipt, RoomTopic, Target, excerpt, is_file_id,
};
pub use message::{PrivateSaid, RoomInfo, Said, ServerFrame, ServerMessage, UserInfo};
pub use request::{ClientFrame, Gender, Password, Registration, Request};
