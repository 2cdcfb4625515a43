//! The desktop client's bounds and defaults, in one place, with units in the names. The model's
//! (history lengths, reconnection delays) are in `chat_model::limits`.

use std::time::Duration;

/// Server address offered the first time the client starts.
pub const DEFAULT_ADDRESS: &str = "127.0.0.1:7878";

/// Port offered for hosting a server inside the client.
pub const DEFAULT_HOST_PORT: u16 = 7878;

/// The smallest window in which the three columns of the main window stay usable, in points.
pub const MIN_WINDOW_SIZE: [f32; 2] = [720.0, 480.0];

/// The window size of a first start, in points.
pub const DEFAULT_WINDOW_SIZE: [f32; 2] = [1024.0, 700.0];

/// The identifier shared by the window (Wayland/X11 app id), the `.desktop` file and the
/// settings folder.
pub const APP_ID: &str = "chat-gui";

/// Rows the message box grows to before it scrolls.
pub const INPUT_MAX_ROWS: usize = 6;

/// The size of a private conversation's window the first time one opens, in points.
pub const PRIVATE_WINDOW_SIZE: [f32; 2] = [520.0, 440.0];

/// Least time between two typing notices to the same person: the server passes on at most one
/// every 3 s, and each lasts 6 s.
pub const TYPING_NOTICE_EVERY: Duration = Duration::from_secs(3);

/// Most results the search across every room and conversation lists.
pub const MAX_SEARCH_RESULTS: usize = 200;

/// Points from the top of the lines at which scrolling up asks for the page before them.
pub const LOAD_EARLIER_WITHIN_POINTS: f32 = 120.0;
