//! The chat itself, whatever the protocol: the shared in-memory state (`hub`: rooms, who is
//! where, presence, what was said lately).

pub(crate) mod hub;
