//! IRC lines (RFC 1459 / 2812 as modern clients speak them, with IRCv3 message tags): reading
//! them off a byte stream within their length limits, parsing, and writing.
//!
//! This module knows the line format only; what commands mean is the server's gateway.
//!
//! Limits: the part after the tags is at most [`MAX_LINE_BYTES`] bytes, CR LF included; the
//! tags (`@…` and the space after them) at most [`MAX_TAGS_BYTES`]. A longer line is reported as
//! too long and skipped to its end, never buffered whole, so a peer never chooses how much we
//! allocate.

use std::fmt::Write as _;
use std::io::{self, Read};

/// Bytes of a line without its tags, CR LF included.
pub const MAX_LINE_BYTES: usize = 512;
/// Bytes of a line's tags, the leading `@` and the space after them included.
pub const MAX_TAGS_BYTES: usize = 8191;
/// Parameters a line may have.
pub const MAX_PARAMS: usize = 15;

/// Why a line is not a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
    /// The line (or its tags) is longer than allowed.
    #[error("line too long")]
    TooLong,
    /// A NUL, CR or LF byte inside the line, or bytes that are not UTF-8.
    #[error("line is not UTF-8 text")]
    NotText,
    /// No command, or one that is not letters and digits.
    #[error("no command")]
    NoCommand,
    /// More than [`MAX_PARAMS`] parameters.
    #[error("too many parameters")]
    TooManyParams,
}

/// One IRC message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Line {
    /// Message tags, in order: key and value (unescaped).
    pub tags: Vec<(String, Option<String>)>,
    /// The source (`nick!user@host` or a server name), without the colon.
    pub source: Option<String>,
    /// The command, upper-cased (letters) or a three-digit numeric.
    pub command: String,
    /// Parameters; the last may hold spaces (it was written after ` :`).
    pub params: Vec<String>,
}

impl Line {
    /// A line with `command` and `params`.
    pub fn new(command: &str, params: &[&str]) -> Self {
        Line {
            tags: Vec::new(),
            source: None,
            command: command.to_owned(),
            params: params.iter().map(|p| (*p).to_owned()).collect(),
        }
    }

    /// The parameter at `i`, or "".
    pub fn param(&self, i: usize) -> &str {
        self.params.get(i).map_or("", String::as_str)
    }

    /// The value of tag `key`, if present.
    pub fn tag(&self, key: &str) -> Option<&str> {
        self.tags
            .iter()
            .find(|(k, _)| k == key)
            .and_then(|(_, v)| v.as_deref())
    }
}

/// Parses one line (without its CR LF).
pub fn parse(line: &[u8]) -> Result<Line, LineError> {
    if line.iter().any(|&b| b == 0 || b == b'\r' || b == b'\n') {
        return Err(LineError::NotText);
    }
    let text = std::str::from_utf8(line).map_err(|_| LineError::NotText)?;
    let mut rest = text;
    let mut message = Line::default();
    if let Some(tagged) = rest.strip_prefix('@') {
        let (tags, after) = tagged.split_once(' ').unwrap_or((tagged, ""));
        if tags.len() + 2 > MAX_TAGS_BYTES {
            return Err(LineError::TooLong);
        }
        for tag in tags.split(';').filter(|t| !t.is_empty()) {
            let (key, value) = match tag.split_once('=') {
                Some((k, v)) => (k, Some(unescape_tag(v))),
                None => (tag, None),
            };
            message.tags.push((key.to_owned(), value));
        }
        rest = after;
    }
    rest = rest.trim_start_matches(' ');
    if rest.len() + 2 > MAX_LINE_BYTES {
        return Err(LineError::TooLong);
    }
    if let Some(sourced) = rest.strip_prefix(':') {
        let (source, after) = sourced.split_once(' ').unwrap_or((sourced, ""));
        message.source = Some(source.to_owned());
        rest = after.trim_start_matches(' ');
    }
    let (command, mut params) = rest.split_once(' ').unwrap_or((rest, ""));
    // A command is letters or a three-digit numeric; anything else (`@x`, `:x`) would be read
    // back as tags or a source once written.
    if command.is_empty() || !command.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(LineError::NoCommand);
    }
    message.command = command.to_ascii_uppercase();
    loop {
        params = params.trim_start_matches(' ');
        if params.is_empty() {
            break;
        }
        if message.params.len() == MAX_PARAMS {
            return Err(LineError::TooManyParams);
        }
        if let Some(trailing) = params.strip_prefix(':') {
            message.params.push(trailing.to_owned());
            break;
        }
        let (param, after) = params.split_once(' ').unwrap_or((params, ""));
        message.params.push(param.to_owned());
        params = after;
    }
    Ok(message)
}

fn unescape_tag(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some(':') => out.push(';'),
            Some('s') => out.push(' '),
            Some('\\') => out.push('\\'),
            Some('r') => out.push('\r'),
            Some('n') => out.push('\n'),
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

/// Appends a tag's value to `out`, escaped as IRCv3 message tags require.
pub fn escape_tag(value: &str, out: &mut String) {
    for c in value.chars() {
        match c {
            ';' => out.push_str("\\:"),
            ' ' => out.push_str("\\s"),
            '\\' => out.push_str("\\\\"),
            '\r' => out.push_str("\\r"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// Whether a line's last parameter must be written after ` :` (it is empty, holds a space, or
/// starts with a colon).
pub fn last_needs_colon(param: &str) -> bool {
    param.is_empty() || param.contains(' ') || param.starts_with(':')
}

/// Writes `line` with its CR LF. The last parameter is written after ` :` when it needs to be
/// (empty, holds a space, or starts with a colon); others must not hold spaces.
pub fn write(line: &Line, out: &mut String) {
    if !line.tags.is_empty() {
        out.push('@');
        for (i, (key, value)) in line.tags.iter().enumerate() {
            if i > 0 {
                out.push(';');
            }
            out.push_str(key);
            if let Some(value) = value {
                out.push('=');
                escape_tag(value, out);
            }
        }
        out.push(' ');
    }
    if let Some(source) = &line.source {
        let _ = write!(out, ":{source} ");
    }
    out.push_str(&line.command);
    for (i, param) in line.params.iter().enumerate() {
        let last = i + 1 == line.params.len();
        // A line break inside a parameter would end the line there and start another the
        // peer never sent: written as a space.
        let param: std::borrow::Cow<'_, str> = if param.contains(['\r', '\n', '\0']) {
            param.replace(['\r', '\n', '\0'], " ").into()
        } else {
            param.as_str().into()
        };
        if last && last_needs_colon(&param) {
            let _ = write!(out, " :{param}");
        } else {
            let _ = write!(out, " {param}");
        }
    }
    out.push_str("\r\n");
}

/// `line` as a string with its CR LF.
pub fn to_string(line: &Line) -> String {
    let mut out = String::new();
    write(line, &mut out);
    out
}

/// Splits `text` into pieces of at most `max_bytes` bytes each, at its line breaks and then at
/// character boundaries (preferring spaces), for a message longer than a line holds or written
/// on several lines. No piece holds a line break; a blank line becomes one space, so the lines
/// of code keep their places.
pub fn split_text(text: &str, max_bytes: usize) -> Vec<&str> {
    if !text.contains('\n') {
        return split_line(text, max_bytes);
    }
    let mut pieces = Vec::new();
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            pieces.push(" ");
        } else {
            pieces.extend(split_line(line, max_bytes));
        }
    }
    pieces
}

/// Splits one line of text into pieces of at most `max_bytes` bytes.
fn split_line(text: &str, max_bytes: usize) -> Vec<&str> {
    let max_bytes = max_bytes.max(4);
    let mut pieces = Vec::new();
    let mut rest = text;
    while rest.len() > max_bytes {
        let mut cut = max_bytes;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        if let Some(space) = rest[..cut].rfind(' ').filter(|&s| s > max_bytes / 2) {
            cut = space + 1;
        }
        pieces.push(&rest[..cut]);
        rest = &rest[cut..];
    }
    if !rest.is_empty() || pieces.is_empty() {
        pieces.push(rest);
    }
    pieces
}

/// What reading found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    /// A line, without its line ending.
    Line(Vec<u8>),
    /// A line longer than the limits was skipped to its end.
    TooLong,
}

/// Reads lines from a byte stream, keeping a partial line across read timeouts.
#[derive(Debug, Default)]
pub struct LineReader {
    buf: Vec<u8>,
    /// Inside a line too long to keep: bytes are dropped until its end.
    skipping: bool,
}

/// Most bytes one line may take, tags included.
const MAX_WHOLE_LINE: usize = MAX_TAGS_BYTES + MAX_LINE_BYTES;
/// Bytes read per system call.
const READ_CHUNK: usize = 1024;

impl LineReader {
    /// A reader with an empty buffer.
    pub fn new() -> Self {
        Self::default()
    }

    /// The next line, reading from `stream` as needed; `Ok(None)` at the end of the stream.
    /// A read timeout is returned as an error and the partial line is kept.
    pub fn read_line<R: Read>(&mut self, stream: &mut R) -> io::Result<Option<Incoming>> {
        loop {
            if let Some(end) = self.buf.iter().position(|&b| b == b'\n') {
                let mut line: Vec<u8> = self.buf.drain(..=end).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                if std::mem::take(&mut self.skipping) {
                    return Ok(Some(Incoming::TooLong));
                }
                if line.len() + 2 > MAX_WHOLE_LINE {
                    return Ok(Some(Incoming::TooLong));
                }
                if self.buf.capacity() > 4 * READ_CHUNK && self.buf.is_empty() {
                    self.buf = Vec::new();
                }
                return Ok(Some(Incoming::Line(line)));
            }
            if self.buf.len() > MAX_WHOLE_LINE {
                self.buf.clear();
                self.skipping = true;
            }
            let mut chunk = [0u8; READ_CHUNK];
            let n = stream.read(&mut chunk)?;
            if n == 0 {
                return Ok(None);
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn lines_parse_with_tags_source_and_a_trailing_parameter() {
        let line = parse(b"@time=2026-01-01T00:00:00.000Z;+typing=active :ana!ana@chat PRIVMSG #lobby :hola a todos").unwrap();
        assert_eq!(line.tag("time"), Some("2026-01-01T00:00:00.000Z"));
        assert_eq!(line.tag("+typing"), Some("active"));
        assert_eq!(line.source.as_deref(), Some("ana!ana@chat"));
        assert_eq!(line.command, "PRIVMSG");
        assert_eq!(line.params, ["#lobby", "hola a todos"]);
        assert_eq!(parse(b"nick  ana").unwrap().params, ["ana"]);
        assert_eq!(parse(b"CAP LS 302").unwrap().params, ["LS", "302"]);
        assert_eq!(parse(b"PRIVMSG #a ::)").unwrap().params, ["#a", ":)"]);
        assert_eq!(parse(b"PING :").unwrap().params, [""]);
        assert_eq!(
            parse(b"@a=b\\sc\\:d\\\\ PING").unwrap().tag("a"),
            Some("b c;d\\")
        );
    }

    #[test]
    fn bad_lines_are_refused_by_reason() {
        assert_eq!(parse(b""), Err(LineError::NoCommand));
        assert_eq!(parse(b":ana"), Err(LineError::NoCommand));
        // Found by fuzzing: empty tags, then a "command" that would be written back as tags.
        assert_eq!(parse(b"@ @\x11 @"), Err(LineError::NoCommand));
        assert_eq!(parse(b"JO:IN #a"), Err(LineError::NoCommand));
        assert!(parse(b"001 ana :Welcome").is_ok());
        assert_eq!(parse(b"PRIVMSG #a :\0"), Err(LineError::NotText));
        assert_eq!(parse(&[b'P', 0xff, 0xfe]), Err(LineError::NotText));
        let many = format!("CMD {}", "p ".repeat(16));
        assert_eq!(parse(many.as_bytes()), Err(LineError::TooManyParams));
        let long = format!("PRIVMSG #a :{}", "x".repeat(600));
        assert_eq!(parse(long.as_bytes()), Err(LineError::TooLong));
    }

    #[test]
    fn written_lines_parse_back() {
        let mut line = Line::new("PRIVMSG", &["#sala", "hola mundo"]);
        line.source = Some("ana!ana@chat".into());
        line.tags = vec![("time".into(), Some("x;y z".into())), ("flag".into(), None)];
        let text = to_string(&line);
        assert!(text.ends_with(" :hola mundo\r\n"));
        assert_eq!(parse(text.trim_end().as_bytes()).unwrap(), line);
        assert_eq!(to_string(&Line::new("PONG", &["srv"])), "PONG srv\r\n");
        assert_eq!(to_string(&Line::new("X", &[""])), "X :\r\n");
    }

    #[test]
    fn long_text_splits_at_spaces_and_character_boundaries() {
        let text = "ñ".repeat(300);
        let pieces = split_text(&text, 100);
        assert!(pieces.iter().all(|p| p.len() <= 100));
        assert_eq!(pieces.concat(), text);
        let words = "palabra ".repeat(30);
        let pieces = split_text(&words, 50);
        assert!(
            pieces
                .iter()
                .all(|p| p.len() <= 50 && (p.ends_with(' ') || *p == pieces[pieces.len() - 1]))
        );
        assert_eq!(split_text("", 10), [""]);
    }

    #[test]
    fn text_on_several_lines_is_one_line_each_and_no_line_break_is_written() {
        assert_eq!(
            split_text("def f():\n\n    return 1", 100),
            ["def f():", " ", "    return 1"]
        );
        let line = Line::new("NOTICE", &["ana", "one\r\nQUIT :two"]);
        assert_eq!(to_string(&line), "NOTICE ana :one  QUIT :two\r\n");
    }

    #[test]
    fn the_reader_keeps_partial_lines_and_skips_long_ones_without_keeping_them() {
        let mut stream: &[u8] = b"NICK ana\r\nUSER a 0 * :Ana\nPING";
        let mut r = LineReader::new();
        assert_eq!(
            r.read_line(&mut stream).unwrap(),
            Some(Incoming::Line(b"NICK ana".to_vec()))
        );
        assert_eq!(
            r.read_line(&mut stream).unwrap(),
            Some(Incoming::Line(b"USER a 0 * :Ana".to_vec()))
        );
        assert_eq!(r.read_line(&mut stream).unwrap(), None);
        let mut huge = vec![b'x'; 100_000];
        huge.extend_from_slice(b"\r\nPING :ok\r\n");
        let mut stream: &[u8] = &huge;
        let mut r = LineReader::new();
        assert_eq!(r.read_line(&mut stream).unwrap(), Some(Incoming::TooLong));
        assert!(r.buf.capacity() < 2 * MAX_WHOLE_LINE + READ_CHUNK);
        assert_eq!(
            r.read_line(&mut stream).unwrap(),
            Some(Incoming::Line(b"PING :ok".to_vec()))
        );
    }
}
