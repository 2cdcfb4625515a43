//! The IRC gateway: IRC clients (irssi, WeeChat, HexChat, phone apps) in the same rooms as the
//! desktop client, on a port of their own (`--irc-bind`, `--irc-tls-bind`).
//!
//! One design for both protocols: the hub, rooms, outboxes and writers are shared; an IRC
//! connection differs only in how it reads (lines, `session`) and how its frames are written
//! (`render`, through `event::Event`). Rooms are channels (`#room`), logins are nicks, the
//! one-room rule is shown the IRC way (joining a channel parts the previous one).

pub mod caps;
mod commands;
pub mod render;
mod session;

pub(crate) use session::serve;
