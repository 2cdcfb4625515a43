//! The IRC gateway: IRC clients (irssi, WeeChat, HexChat, phone apps) in the same rooms as the
//! desktop client, on a port of their own (`--irc-bind`, `--irc-tls-bind`), on the same
//! connection driver as the native port.
//!
//! An IRC connection differs from a native one only in its wire format: lines in (`Lines`),
//! registration (`registration`, `negotiate`, `welcome`), the commands mapped onto the chat's
//! services (`commands`, `rooms`, `talk`, `who`, `queries`, `about`, what is done to lines in
//! `actions`, keeping order in `order`), and events written as lines (`render`, capabilities in
//! `caps`). Rooms are channels (`#room`), logins are nicks, the one-room rule
//! is shown the IRC way (joining a channel parts the previous one).

mod about;
mod actions;
pub mod caps;
mod commands;
mod negotiate;
mod order;
mod queries;
mod registration;
pub mod render;
mod rooms;
mod session;
mod talk;
mod welcome;
mod who;

use chat_core::irc::{self, Incoming, Line, LineReader};
use chat_core::transport::TransportReader;

pub(crate) use session::IrcSession;

use crate::connection::{Decoder, Protocol, Read, Step, Traits};
use crate::delivery::peer::Render;
use crate::service::conn::Conn;
use render::IrcRender;

/// Bytes of tags a client may send, `@` included.
const CLIENT_TAGS_BYTES: usize = 4_095;

/// The IRC port's units: lines, without their CR LF (512 bytes, 8,191 more for tags).
#[derive(Debug, Default)]
pub(crate) struct Lines {
    reader: LineReader,
    line: Vec<u8>,
}

impl Decoder for Lines {
    fn read(&mut self, stream: &mut TransportReader) -> Read<'_> {
        match self.reader.read_line(stream) {
            Ok(Some(Incoming::Line(line))) => {
                self.line = line;
                Read::Unit(&self.line)
            }
            Ok(Some(Incoming::TooLong)) => Read::TooLong { len: 0 },
            Ok(None) => Read::End,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                Read::Timeout
            }
            Err(e) => Read::Failed(e),
        }
    }
}

impl Protocol for IrcSession {
    type Decoder = Lines;
    type Request = Line;
    const NAME: &'static str = "irc";
    const RENDER: &'static dyn Render = &IrcRender;
    const LATE: &'static str = "registration was not completed in time";
    const SILENT: &'static str = "no reply to PING";
    const FLOODED: &'static str = "excess flood";

    fn new(conn: Conn) -> Self {
        IrcSession::new(conn)
    }

    fn conn(&self) -> &Conn {
        &self.conn
    }

    fn conn_mut(&mut self) -> &mut Conn {
        &mut self.conn
    }

    fn logged_in(&self) -> bool {
        self.registered
    }

    fn decode(&mut self, bytes: &[u8]) -> Option<Line> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return None;
        }
        // IRCv3 gives a client's tags 4,094 bytes (with `@` and the space, 4,096).
        if bytes.first() == Some(&b'@')
            && bytes.iter().position(|b| *b == b' ').unwrap_or(bytes.len()) > CLIENT_TAGS_BYTES
        {
            self.numeric("417", &["Input line was too long"]);
            return None;
        }
        match irc::parse(bytes) {
            Ok(line) => Some(line),
            Err(irc::LineError::TooLong) => {
                self.numeric("417", &["Input line was too long"]);
                None
            }
            Err(irc::LineError::NotText) => {
                self.send_line(&render::line(
                    None,
                    "FAIL",
                    &[
                        "*",
                        "INVALID_UTF8",
                        "Lines must be UTF-8 text without NUL or CR",
                    ],
                ));
                None
            }
            Err(irc::LineError::NoCommand | irc::LineError::TooManyParams) => {
                self.numeric("421", &["*", "Unknown command"]);
                None
            }
        }
    }

    /// Registered clients' commands pay into flood control but for keep-alives and `QUIT`;
    /// before registration every line waits behind the first-steps gate (a password check
    /// leaves it before waiting for the password pool).
    fn traits(&self, line: &Line) -> Traits {
        let keep_alive = matches!(line.command.as_str(), "PING" | "PONG");
        let quit = line.command == "QUIT";
        Traits {
            flood: self.registered && !(keep_alive || quit),
            input: !keep_alive,
            settles: !(keep_alive || quit),
            gated: true,
        }
    }

    fn handle(&mut self, line: Line) -> Step {
        if self.registered {
            commands::handle(self, &line)
        } else {
            self.registering(&line)
        }
    }

    fn too_long(&mut self, _len: usize) -> Step {
        self.numeric("417", &["Input line was too long"]);
        Step::Continue
    }

    fn ping(&self) {
        self.send_line(&Line::new("PING", &[render::server()]));
    }

    #[cold]
    fn marked(&self, away: bool) {
        if away {
            self.numeric("306", &["You have been marked as being away"]);
        } else {
            self.numeric("305", &["You are no longer marked as being away"]);
        }
    }
}
