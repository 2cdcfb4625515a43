//! Every bound the protocol and the validation rules share, in one place, with units in the names.
//!
//! Client and server import these from here so that a client never sends what the server is bound
//! to refuse.

use std::time::Duration;

/// The protocol version this build speaks. A hello with another version is refused.
pub const PROTOCOL_VERSION: u32 = 1;

/// Bytes in the big-endian length prefix of every frame.
pub const LEN_PREFIX_BYTES: usize = 4;

/// Largest frame body accepted, checked against the length prefix *before* anything is read or
/// allocated, so a peer never chooses how much memory we reserve.
pub const MAX_FRAME_BYTES: usize = 64 * 1024;

/// Deepest nesting a message body may have. Our messages nest three levels at most; the default of
/// rmp-serde (1024) overflows a 2 MiB stack in debug builds on hostile input.
pub const MAX_DECODE_DEPTH: usize = 16;

/// Login: characters (letters, digits, `.`, `_`, `-`).
pub const LOGIN_MIN_CHARS: usize = 3;
/// Login: characters.
pub const LOGIN_MAX_CHARS: usize = 32;

/// Password: bytes of UTF-8. bcrypt reads at most 72 bytes including a terminating NUL, so 71 is
/// the longest password it does not silently truncate.
pub const PASSWORD_MIN_BYTES: usize = 8;
/// Password: bytes of UTF-8 (see [`PASSWORD_MIN_BYTES`]).
pub const PASSWORD_MAX_BYTES: usize = 71;

/// First names and last names: characters each.
pub const NAME_MAX_CHARS: usize = 64;

/// Youngest and oldest age accepted, in whole years.
pub const AGE_MIN_YEARS: u8 = 13;
/// See [`AGE_MIN_YEARS`].
pub const AGE_MAX_YEARS: u8 = 120;

/// Room names: characters.
pub const ROOM_MIN_CHARS: usize = 1;
/// Room names: characters.
pub const ROOM_MAX_CHARS: usize = 32;

/// Message text (room or private): characters.
pub const TEXT_MAX_CHARS: usize = 2000;
/// Most lines one message may hold (line breaks keep code and lists whole in one message).
pub const TEXT_MAX_LINES: usize = 100;

/// Client name sent in the hello: bytes.
pub const CLIENT_NAME_MAX_BYTES: usize = 64;

/// How many request/reply round trips the clock synchronisation takes. The sample with the
/// smallest round trip wins.
pub const CLOCK_SYNC_SAMPLES: usize = 8;

/// How long a client waits for the TCP connection and for each handshake reply.
pub const CLIENT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Most rows a list (members of a room, users) carries, so that one list always fits a frame;
/// the reply also says how many there are in all.
pub const MAX_LISTED: usize = 500;

/// Most private messages a `private_history` reply looks at (the newest that fit are sent).
pub const CONVERSATION_PAGE: usize = 200;

/// Characters of a line quoted above the line that answers it.
pub const QUOTE_CHARS: usize = 80;

/// An emoji (a reaction): bytes of UTF-8, a few code points (a flag, a family, a skin tone).
pub const EMOJI_MAX_BYTES: usize = 32;

/// Different emoji one line may carry.
pub const REACTIONS_PER_LINE: usize = 20;

/// Logins listed with each reaction (its count says how many in all).
pub const REACTORS_LISTED: usize = 20;

/// A report's reason: characters.
pub const REASON_MAX_CHARS: usize = 500;

/// A room's topic: characters.
pub const TOPIC_MAX_CHARS: usize = 300;

/// Longest a room's creator may mute a member, or slow a room, in seconds (a week).
pub const MODERATION_MAX_SECONDS: u32 = 7 * 24 * 3600;

/// Files one line or private message may carry.
pub const ATTACHMENTS_PER_LINE: usize = 10;

/// A file's name: bytes of UTF-8.
pub const FILE_NAME_MAX_BYTES: usize = 255;
