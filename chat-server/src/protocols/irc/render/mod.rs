//! IRC lines for the hub's events and for the commands' answers: `lines` (the pieces of every
//! line: names, masks, numerics, tags, times), `message` (`PRIVMSG`s, the room-line path),
//! `event` (each event as lines, and [`IrcRender`], which writes an event once per way of
//! writing it), `actions` (what is done to lines and to keep order), `files` (the files a message carries,
//! with their links).

mod actions;
mod event;
mod files;
mod lines;
mod message;

pub use actions::ban_mask;
pub(crate) use event::IrcRender;
pub use event::{Status, Style, names, no_topic, topic_lines, write_event};
pub use files::{Reader, message as message_with_files};
pub use lines::{channel, line, mask, name_server, numeric, push, server, server_time};
pub use message::{MsgId, Text, privmsg, privmsg_replying};
