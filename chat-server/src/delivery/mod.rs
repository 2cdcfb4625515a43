//! Events on their way to clients: a connected client as others see it (`peer`), its send
//! queue (`outbox`), an event written once per way of writing it (`event`), and the pool of
//! threads that write queued frames to sockets (`writers`).
//!
//! Architecture Invariant: nothing here knows a protocol by name; a protocol says how it writes
//! an event through `peer::Render`.

pub(crate) mod event;
pub mod outbox;
pub(crate) mod peer;
pub(crate) mod writers;
