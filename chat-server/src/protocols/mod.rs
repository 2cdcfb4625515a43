//! The protocols clients speak, each a small module on the one connection driver
//! (`connection`): how its bytes become requests, what each request does, and how events are
//! written for its clients.
//!
//! - `native` — the length-prefixed MessagePack frames of docs/PROTOCOL.md;
//! - `irc` — IRC lines with IRCv3 tags (docs/IRC.md);
//! - `http` — HTTP on the native port: shared files (not a chat protocol: a request, an answer).

pub(crate) mod http;
pub(crate) mod irc;
pub(crate) mod native;

/// The ways of writing an event that `delivery::event::Event` keeps once written, by protocol:
/// each protocol's renderer uses its own.
pub(crate) mod ways {
    /// A native frame.
    pub const NATIVE: usize = 0;
    /// IRC lines without tags, with `server-time` only, and with every tag.
    pub const IRC: [usize; 3] = [1, 2, 3];
}
