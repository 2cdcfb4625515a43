//! A node of a cluster: what the nodes tell each other (`bus`), and, with the `cluster`
//! feature, that bus over Redis (`redis`). See docs/SCALING.md.

pub(crate) mod bus;
#[cfg(feature = "cluster")]
pub(crate) mod redis;
