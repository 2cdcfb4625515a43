//! An HTTP response: a status, headers, and a body in memory or streamed from a file.

use std::io::{self, Read, Write};

use chat_core::protocol::Field;

use super::pace::{Pace, Paced};
use crate::store::files::CHUNK_BYTES;

/// What a response carries.
pub(super) enum Body {
    Bytes(Vec<u8>),
    /// `len` bytes of a file, from where `bytes` starts (a download: never held in memory
    /// whole; from this node's disk or, in a cluster, from the store the nodes share).
    Stream {
        bytes: Box<dyn Read + Send>,
        len: u64,
    },
    /// No body (HEAD), though `Content-Length` says how long it would be.
    Empty(u64),
}

/// A response to send.
pub(super) struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Body,
    keep_alive: bool,
}

fn reason(status: u16) -> &'static str {
    match status {
        101 => "Switching Protocols",
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        206 => "Partial Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        409 => "Conflict",
        411 => "Length Required",
        413 => "Content Too Large",
        416 => "Range Not Satisfiable",
        507 => "Insufficient Storage",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "",
    }
}

impl Response {
    pub fn new(status: u16, body: Body) -> Self {
        Response {
            status,
            headers: Vec::new(),
            body,
            keep_alive: true,
        }
    }

    pub fn text(status: u16, text: &str) -> Self {
        Response::new(status, Body::Bytes(text.as_bytes().to_vec()))
            .header("Content-Type", "text/plain; charset=utf-8")
    }

    /// A JSON body.
    pub fn json(status: u16, value: &serde_json::Value) -> Self {
        Response::new(status, Body::Bytes(value.to_string().into_bytes()))
            .header("Content-Type", "application/json")
    }

    /// An error: the chat protocol's code (and field) and a message, as JSON.
    pub fn error(status: u16, code: &str, field: Option<Field>, message: &str) -> Self {
        Response::json(
            status,
            &serde_json::json!({
                "code": code,
                "field": field.map(Field::key),
                "message": message,
            }),
        )
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    /// The connection closes after this response (its request's body was not read).
    pub fn closing(mut self) -> Self {
        self.keep_alive = false;
        self
    }

    pub fn keeps_alive(&self) -> bool {
        self.keep_alive
    }

    /// The same answer to a `HEAD` request: its head only (RFC 9110, 9.3.2), so that the
    /// client's next answer on the connection is not read from a body it never expected.
    pub fn without_body(mut self) -> Self {
        let length = match &self.body {
            Body::Bytes(b) => b.len() as u64,
            Body::Stream { len, .. } => *len,
            Body::Empty(len) => *len,
        };
        self.body = Body::Empty(length);
        self
    }

    /// Writes the response; a file body goes out a chunk at a time.
    pub fn send(self, out: &mut impl Write) -> io::Result<()> {
        self.write(out)
    }

    /// Writes the response at `pace` at least (see `pace`): a download, the web client's
    /// bundle, any answer a peer could read a byte at a time.
    pub fn send_paced(self, out: &mut impl Write, pace: Pace) -> io::Result<()> {
        self.write(&mut Paced::new(out, pace))
    }

    fn write(self, out: &mut impl Write) -> io::Result<()> {
        let length = match &self.body {
            Body::Bytes(b) => b.len() as u64,
            Body::Stream { len, .. } => *len,
            Body::Empty(len) => *len,
        };
        let mut head = format!("HTTP/1.1 {} {}\r\n", self.status, reason(self.status));
        // One `Connection` header: an answer that closes adds `close` to what it says (a
        // refused upgrade's `Upgrade` stays, as HTTP wants beside its `Upgrade` header).
        let mut connection: Vec<&str> = Vec::new();
        for (name, value) in &self.headers {
            if !self.keep_alive && name.eq_ignore_ascii_case("connection") {
                connection.push(value);
                continue;
            }
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        // An informational answer or one with no content has no length (RFC 9110, 8.6).
        if !matches!(self.status, 101 | 204) {
            head.push_str(&format!("Content-Length: {length}\r\n"));
        }
        if !self.keep_alive {
            connection.push("close");
            head.push_str(&format!("Connection: {}\r\n", connection.join(", ")));
        }
        head.push_str("\r\n");
        match self.body {
            Body::Bytes(bytes) => {
                let mut all = head.into_bytes();
                all.extend_from_slice(&bytes);
                out.write_all(&all)?;
            }
            Body::Empty(_) => out.write_all(head.as_bytes())?,
            Body::Stream { mut bytes, len } => {
                out.write_all(head.as_bytes())?;
                let mut left = len;
                let mut buf = vec![0u8; CHUNK_BYTES];
                while left > 0 {
                    let want = usize::try_from(left.min(CHUNK_BYTES as u64)).unwrap_or(CHUNK_BYTES);
                    let n = bytes.read(&mut buf[..want])?;
                    if n == 0 {
                        return Err(io::ErrorKind::UnexpectedEof.into());
                    }
                    out.write_all(&buf[..n])?;
                    left -= n as u64;
                }
            }
        }
        out.flush()
    }
}
