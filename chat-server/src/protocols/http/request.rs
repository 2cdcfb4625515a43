//! An HTTP request's head, read within deadlines and bounded before it is parsed.

use std::io::Read;
use std::time::{Duration, Instant};

use chat_core::transport::TransportReader;

/// Longest head accepted (request line and headers).
const HEAD_MAX_BYTES: usize = 16 * 1024;
/// Most headers parsed.
const HEADERS_MAX: usize = 48;

/// A request's head.
#[derive(Debug, Clone)]
pub(super) struct Head {
    pub method: String,
    /// The target, as sent (path and query).
    pub path: String,
    /// HTTP/1.1 (else 1.0).
    pub http11: bool,
    /// Headers, names lowercased.
    pub headers: Vec<(String, String)>,
}

impl Head {
    /// A header's value (the first of that name).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body's length: `Content-Length`, 0 when absent; `None` when it cannot be read
    /// (chunked bodies are not taken), or is said twice differently (which one a proxy in
    /// front read is unknown: the rest of the body could be taken for another request).
    pub fn content_length(&self) -> Option<u64> {
        if self.header("transfer-encoding").is_some() {
            return None;
        }
        let mut said = self
            .headers
            .iter()
            .filter(|(n, _)| n == "content-length")
            .map(|(_, v)| v.trim());
        let Some(first) = said.next() else {
            return Some(0);
        };
        if said.any(|other| other != first) {
            return None;
        }
        // Digits only: `parse` would take a sign, which HTTP does not.
        (!first.is_empty() && first.bytes().all(|b| b.is_ascii_digit()))
            .then(|| first.parse().ok())
            .flatten()
    }

    /// Whether the client asked to close after this request.
    pub fn closes(&self) -> bool {
        match self.header("connection") {
            Some(c) if c.eq_ignore_ascii_case("close") => true,
            Some(c) if c.eq_ignore_ascii_case("keep-alive") => false,
            _ => !self.http11,
        }
    }
}

/// What reading a head gave.
pub(super) enum ReadHead {
    Head(Head),
    /// The client closed (or said nothing for `wait`).
    Closed,
    /// Not a request this server reads.
    Bad(String),
}

/// How often a connection waiting for its next request looks whether the server stops.
const IDLE_SLICE: Duration = Duration::from_millis(250);

/// Reads a request's head: its first byte within `wait`, the rest within `deadline` of it.
/// Bytes after the head (the body's start) are given back to `stream`.
pub(super) fn read_head(
    stream: &mut TransportReader,
    wait: Duration,
    deadline: Duration,
    stopping: &dyn Fn() -> bool,
) -> ReadHead {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    let mut until: Option<Instant> = None;
    // Waiting for a request to begin ends at `wait`, or as soon as the server stops: a
    // connection kept open between requests would otherwise hold the server (and its store,
    // which a restart reopens) until its client closed it.
    let idle_until = Instant::now() + wait;
    loop {
        let left = match until {
            None if stopping() => return ReadHead::Closed,
            None => idle_until
                .saturating_duration_since(Instant::now())
                .min(IDLE_SLICE),
            Some(t) => t.saturating_duration_since(Instant::now()),
        };
        if left.is_zero() {
            return if buf.is_empty() {
                ReadHead::Closed
            } else {
                ReadHead::Bad("the request's head came too slowly".into())
            };
        }
        if stream.set_read_timeout(Some(left)).is_err() {
            return ReadHead::Closed;
        }
        let n = match stream.read(&mut chunk) {
            Ok(0) => return ReadHead::Closed,
            Ok(n) => n,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                continue;
            }
            Err(_) => return ReadHead::Closed,
        };
        until.get_or_insert_with(|| Instant::now() + deadline);
        buf.extend_from_slice(&chunk[..n]);
        let mut headers = [httparse::EMPTY_HEADER; HEADERS_MAX];
        let mut request = httparse::Request::new(&mut headers);
        match request.parse(&buf) {
            Ok(httparse::Status::Complete(end)) => {
                let head = Head {
                    method: request.method.unwrap_or_default().to_owned(),
                    path: request.path.unwrap_or("/").to_owned(),
                    http11: request.version == Some(1),
                    headers: request
                        .headers
                        .iter()
                        .map(|h| {
                            (
                                h.name.to_ascii_lowercase(),
                                String::from_utf8_lossy(h.value).into_owned(),
                            )
                        })
                        .collect(),
                };
                stream.unread(&buf[end..]);
                return ReadHead::Head(head);
            }
            Ok(httparse::Status::Partial) if buf.len() <= HEAD_MAX_BYTES => {}
            Ok(httparse::Status::Partial) => {
                return ReadHead::Bad("the request's head is too long".into());
            }
            Err(e) => return ReadHead::Bad(format!("not an HTTP request: {e}")),
        }
    }
}
