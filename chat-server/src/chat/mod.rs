//! The chat itself, whatever the protocol: the shared in-memory state (`hub`: rooms, who is
//! where, presence, what was said lately) and what the hub tells the other nodes of a cluster
//! (`bus`).

pub(crate) mod bus;
pub(crate) mod hub;
