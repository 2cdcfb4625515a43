//! The pieces every IRC line is made of: the server's name, a user's mask, a channel, a line
//! from a source, a numeric, IRCv3 `server-time`, a tag section written as tags are added, and
//! why a connection closes.

use chat_core::irc::{self, Line};
use chat_core::protocol::CloseReason;

/// The server's name in lines it sends (and the host part of every user's mask) unless
/// `irc_server_name` says otherwise.
pub const DEFAULT_SERVER_NAME: &str = "chat";

static SERVER_NAME: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Names the server on IRC, once per process (the first server started names it; the default
/// is [`DEFAULT_SERVER_NAME`]).
pub fn name_server(name: &str) {
    let _ = SERVER_NAME.set(name.to_owned());
}

/// The server's name on IRC.
pub fn server() -> &'static str {
    SERVER_NAME
        .get()
        .map_or(DEFAULT_SERVER_NAME, String::as_str)
}

/// The channel of a room.
pub fn channel(room: &str) -> String {
    format!("#{room}")
}

/// A user's mask, `login!login@chat`.
pub fn mask(login: &str) -> String {
    format!("{login}!{login}@{}", server())
}

/// A line from `source` (a mask, or the server when `None`).
pub fn line(source: Option<&str>, command: &str, params: &[&str]) -> Line {
    let mut line = Line::new(command, params);
    line.source = Some(source.unwrap_or(server()).to_owned());
    line
}

/// A numeric reply to `nick` (`*` before registration).
pub fn numeric(code: &str, nick: &str, params: &[&str]) -> Line {
    let mut all = vec![if nick.is_empty() { "*" } else { nick }];
    all.extend_from_slice(params);
    line(None, code, &all)
}

/// Adds `line` (with CR LF) to `out`.
pub fn push(out: &mut String, line: &Line) {
    irc::write(line, out);
}

/// `time` (ms since the epoch) as IRCv3's `server-time`: `2026-12-02T07:00:00.000Z`.
pub fn server_time(ms: i64) -> String {
    let (days, day_ms) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
    // Days since 1970-01-01 to a civil date (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let (h, m, s, milli) = (
        day_ms / 3_600_000,
        day_ms / 60_000 % 60,
        day_ms / 1_000 % 60,
        day_ms % 1_000,
    );
    format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{milli:03}Z")
}

/// A line's tag section, written straight into the line as tags are added.
pub(super) struct Tags<'a> {
    out: &'a mut String,
    any: bool,
}

impl<'a> Tags<'a> {
    pub(super) fn new(out: &'a mut String) -> Self {
        Tags { out, any: false }
    }

    pub(super) fn add(&mut self, key: &str, value: &str) {
        self.out.push(if self.any { ';' } else { '@' });
        self.out.push_str(key);
        self.out.push('=');
        irc::escape_tag(value, self.out);
        self.any = true;
    }

    /// The space that ends the section, when there is one.
    pub(super) fn end(self) {
        if self.any {
            self.out.push(' ');
        }
    }
}

/// Why a connection closes, for `ERROR`.
pub fn closing(reason: CloseReason, message: &str) -> String {
    let why = match reason {
        CloseReason::Exit => "Quit",
        CloseReason::TakenOver => "Logged in elsewhere",
        CloseReason::SlowConsumer => "SendQ exceeded",
        CloseReason::ServerShutdown => "Server shutting down",
        CloseReason::HandshakeTimeout => "Registration timeout",
        CloseReason::IdleTimeout => "Ping timeout",
        CloseReason::TooManyConnections => "Too many connections",
        CloseReason::Flood => "Excess flood",
        CloseReason::ProtocolError | CloseReason::Unknown => "Protocol error",
    };
    format!("Closing link: {why} ({message})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_written_as_server_time() {
        assert_eq!(server_time(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(server_time(1_796_191_408_838), "2026-12-02T06:03:28.838Z");
        assert_eq!(server_time(951_782_400_000), "2000-02-29T00:00:00.000Z");
    }
}
