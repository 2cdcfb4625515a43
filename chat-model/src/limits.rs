//! The client model's bounds, in one place, with units in the names. The window's own sizes and
//! defaults are the desktop client's (`chat_gui::limits`).

use std::time::Duration;

/// Lines of history kept per room; older lines are dropped first. Rows are drawn virtualised, so
/// this bounds memory, not frame time.
pub const MAX_ROOM_HISTORY_LINES: usize = 20_000;

/// Lines kept per private conversation.
pub const MAX_PRIVATE_HISTORY_LINES: usize = 5_000;

/// The longest first wait before reconnecting after the connection is lost (the wait is drawn
/// between zero and it); it doubles on every failure.
pub const RECONNECT_FIRST_DELAY: Duration = Duration::from_secs(1);

/// The longest wait between reconnection attempts, however many failed.
pub const RECONNECT_MAX_DELAY: Duration = Duration::from_secs(30);

/// Lines of one typed text, sent as one message: the most the server takes.
pub const MAX_LINES_PER_SEND: usize = chat_core::limits::TEXT_MAX_LINES;
