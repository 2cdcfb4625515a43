//! The protocols clients speak, each a small module on the one connection driver
//! (`connection`): how its bytes become requests, what each request does, and how events are
//! written for its clients.
//!
//! - `native` — the length-prefixed MessagePack frames of docs/PROTOCOL.md;
//! - `irc` — IRC lines with IRCv3 tags (docs/IRC.md).

pub(crate) mod irc;
pub(crate) mod native;
