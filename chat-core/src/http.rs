//! A small HTTP/1.1 client for the files on the chat's own port (docs/PROTOCOL.md, "Files"):
//! resumable uploads (`POST /uploads`, `PATCH /uploads/{id}` from an offset, `HEAD` to learn
//! the offset), downloads from a range (`GET /files/{id}`) and pictures' previews.
//!
//! It runs over the chat's own [`Transport`] and sets TLS up exactly as the chat connection
//! does ([`crate::client`]'s `secure`: public authorities, else the certificate pinned for this
//! `host:port`), so a file trusts what the chat trusts and nothing else. An HTTP crate would
//! bring its own TLS set-up and connection pool around a certificate check that is ours; the
//! five requests here, each with a `Content-Length` body, are little code.
//!
//! Blocking, for a transfer thread, never the UI thread. Every read and write waits at most the
//! connection's timeout; an answer's head is bounded ([`HEAD_MAX_BYTES`]) before it is parsed,
//! a JSON body too ([`JSON_MAX_BYTES`]), and a file's body only streams to the caller's writer:
//! memory does not grow with a file's size.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

use serde::Deserialize;

use crate::client::Disconnect;
use crate::client::native::{classify, secure};
use crate::files::percent_encode;
use crate::protocol::{Attachment, ErrorCode, Field};
use crate::tls::ClientTls;
use crate::transport::{Transport, TransportReader, TransportWriter};

/// Longest head of an answer read.
pub const HEAD_MAX_BYTES: usize = 16 * 1024;
/// Longest JSON body of an answer read.
pub const JSON_MAX_BYTES: usize = 64 * 1024;
/// Bytes written or read between two progress reports.
const PIECE_BYTES: usize = 64 * 1024;

/// Where the files are and who asks: the server the chat is connected to (`host:port`, as its
/// certificate is pinned), its TLS settings (`None`: plain TCP) and the session token.
#[derive(Clone)]
pub struct FileServer {
    /// `host:port`.
    pub server: String,
    /// TLS as the chat connection uses it; `None` for plain TCP.
    pub tls: Option<ClientTls>,
    /// The session token of a `logged_in`.
    pub token: String,
}

impl fmt::Debug for FileServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The token logs in as its user: kept out of logs.
        f.debug_struct("FileServer")
            .field("server", &self.server)
            .field("tls", &self.tls.is_some())
            .finish_non_exhaustive()
    }
}

/// Why a request did not succeed.
#[derive(Debug)]
pub enum HttpError {
    /// The server could not be reached or its certificate was refused.
    Connect(Disconnect),
    /// The connection broke or timed out during the request.
    Io(io::Error),
    /// The server answered with an error.
    Refused {
        /// The HTTP status.
        status: u16,
        /// The protocol's code (`Unknown` for HTTP-only ones).
        code: ErrorCode,
        /// The field at fault.
        field: Option<Field>,
    },
    /// The caller asked to stop.
    Cancelled,
    /// The file on this side could not be read (an upload's) or written (a download's): a
    /// disk full, a stick pulled out. Not the network's doing, and not healed by trying again.
    Local(io::Error),
    /// The server's answer made no sense.
    Malformed(String),
}

impl HttpError {
    /// Whether trying again later may succeed: a lost or refused connection, a timeout, a busy
    /// server. A refusal of the request itself (too large, not found, bad checksum) will not
    /// heal by waiting, and a changed certificate needs the user.
    pub fn is_temporary(&self) -> bool {
        match self {
            HttpError::Connect(d) => matches!(
                d,
                Disconnect::Refused
                    | Disconnect::TimedOut
                    | Disconnect::Lost(_)
                    | Disconnect::Unresolved(_)
            ),
            HttpError::Io(_) => true,
            HttpError::Refused { status, .. } => {
                matches!(status, 408 | 429 | 500 | 502 | 503 | 504)
            }
            HttpError::Cancelled | HttpError::Malformed(_) | HttpError::Local(_) => false,
        }
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HttpError::Connect(d) => write!(f, "{d}"),
            HttpError::Io(e) => write!(f, "the connection was lost: {e}"),
            HttpError::Refused {
                status,
                code,
                field,
            } => write!(f, "refused ({status}, {code:?}, {field:?})"),
            HttpError::Cancelled => f.write_str("cancelled"),
            HttpError::Local(e) => write!(f, "the file here: {e}"),
            HttpError::Malformed(why) => write!(f, "the server's answer makes no sense: {why}"),
        }
    }
}

impl From<io::Error> for HttpError {
    fn from(e: io::Error) -> Self {
        HttpError::Io(e)
    }
}

/// The head of an answer; its body is still to be read.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The headers, names lowercased.
    pub headers: Vec<(String, String)>,
    /// The body's length (`Content-Length`; 0 when absent).
    pub length: u64,
}

impl Answer {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn number(&self, name: &str) -> Result<u64, HttpError> {
        self.header(name)
            .and_then(|v| v.trim().parse().ok())
            .ok_or_else(|| HttpError::Malformed(format!("no {name}")))
    }
}

/// One HTTP connection to the chat port (kept alive between requests).
pub struct HttpConnection {
    transport: Transport,
    reader: TransportReader,
    writer: TransportWriter,
    /// Bytes read past the last head: the start of its body.
    unread: Vec<u8>,
    /// Whether the server said it closes after the last answer.
    closing: bool,
}

impl fmt::Debug for HttpConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpConnection")
            .field("transport", &self.transport)
            .finish_non_exhaustive()
    }
}

impl HttpConnection {
    /// Connects to `server.server`, with TLS as the chat does; each read and write then waits
    /// at most `timeout`.
    pub fn open(server: &FileServer, timeout: Duration) -> Result<Self, HttpError> {
        let addrs: Vec<SocketAddr> = server
            .server
            .to_socket_addrs()
            .map_err(|e| HttpError::Connect(Disconnect::Unresolved(e.to_string())))?
            .collect();
        let mut last = Disconnect::Unresolved(format!("{} has no address", server.server));
        let mut stream = None;
        for addr in addrs {
            match TcpStream::connect_timeout(&addr, timeout) {
                Ok(s) => {
                    stream = Some(s);
                    break;
                }
                Err(e) => last = classify(&e),
            }
        }
        let stream = stream.ok_or(HttpError::Connect(last))?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(timeout))?;
        stream.set_write_timeout(Some(timeout))?;
        let transport = match &server.tls {
            None => Transport::plain(stream),
            Some(tls) => {
                secure(stream, tls, &server.server)
                    .map_err(HttpError::Connect)?
                    .0
            }
        };
        Ok(HttpConnection {
            reader: transport.reader(None),
            writer: transport.writer(),
            transport,
            unread: Vec::new(),
            closing: false,
        })
    }

    /// Whether the server will close this connection (open another for the next request).
    pub fn is_closing(&self) -> bool {
        self.closing
    }

    /// Closes the connection at once (a request under way in another thread fails).
    pub fn shut(&self) {
        self.transport.shutdown(std::net::Shutdown::Both);
    }

    /// Sends a request's head.
    fn send_head(
        &mut self,
        method: &str,
        path: &str,
        token: &str,
        headers: &[(&str, String)],
        content_length: u64,
    ) -> io::Result<()> {
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: chat\r\nAuthorization: Bearer {token}\r\n\
             Content-Length: {content_length}\r\n"
        );
        for (name, value) in headers {
            head.push_str(name);
            head.push_str(": ");
            head.push_str(value);
            head.push_str("\r\n");
        }
        head.push_str("\r\n");
        self.writer.write_all(head.as_bytes())?;
        if content_length == 0 {
            self.writer.flush()?;
        }
        Ok(())
    }

    /// Reads an answer's head.
    pub fn read_answer(&mut self) -> Result<Answer, HttpError> {
        let mut buf = std::mem::take(&mut self.unread);
        let mut chunk = [0u8; 4096];
        loop {
            let mut headers = [httparse::EMPTY_HEADER; 32];
            let mut response = httparse::Response::new(&mut headers);
            match response.parse(&buf) {
                Ok(httparse::Status::Complete(end)) => {
                    let status = response.code.unwrap_or(0);
                    let headers: Vec<(String, String)> = response
                        .headers
                        .iter()
                        .map(|h| {
                            (
                                h.name.to_ascii_lowercase(),
                                String::from_utf8_lossy(h.value).trim().to_owned(),
                            )
                        })
                        .collect();
                    let mut answer = Answer {
                        status,
                        headers,
                        length: 0,
                    };
                    answer.length = match answer.header("content-length") {
                        Some(n) => n
                            .parse()
                            .map_err(|_| HttpError::Malformed("Content-Length".into()))?,
                        None => 0,
                    };
                    self.closing = answer
                        .header("connection")
                        .is_some_and(|c| c.eq_ignore_ascii_case("close"));
                    self.unread = buf.split_off(end);
                    return Ok(answer);
                }
                Ok(httparse::Status::Partial) if buf.len() < HEAD_MAX_BYTES => {}
                Ok(httparse::Status::Partial) => {
                    return Err(HttpError::Malformed("the head is too long".into()));
                }
                Err(e) => return Err(HttpError::Malformed(e.to_string())),
            }
            let n = self.reader.read(&mut chunk)?;
            if n == 0 {
                return Err(HttpError::Io(io::ErrorKind::UnexpectedEof.into()));
            }
            buf.extend_from_slice(&chunk[..n]);
        }
    }

    /// Streams `length` bytes of body to `out`; `progress` hears the bytes so far after each
    /// piece and stops the transfer by answering `false`.
    pub fn read_body(
        &mut self,
        length: u64,
        out: &mut dyn Write,
        progress: &mut dyn FnMut(u64) -> bool,
    ) -> Result<(), HttpError> {
        let mut got = 0u64;
        let first = self
            .unread
            .len()
            .min(usize::try_from(length).unwrap_or(usize::MAX));
        if first > 0 {
            out.write_all(&self.unread[..first])?;
            self.unread.drain(..first);
            got += first as u64;
            if !progress(got) {
                return Err(HttpError::Cancelled);
            }
        }
        let mut piece = vec![0u8; PIECE_BYTES];
        while got < length {
            let want = usize::try_from(length - got)
                .unwrap_or(usize::MAX)
                .min(PIECE_BYTES);
            let n = self.reader.read(&mut piece[..want])?;
            if n == 0 {
                return Err(HttpError::Io(io::ErrorKind::UnexpectedEof.into()));
            }
            out.write_all(&piece[..n])?;
            got += n as u64;
            if !progress(got) {
                return Err(HttpError::Cancelled);
            }
        }
        Ok(())
    }

    /// Reads a body of at most `max` bytes into memory.
    fn small_body(&mut self, answer: &Answer, max: usize) -> Result<Vec<u8>, HttpError> {
        if answer.length > max as u64 {
            self.closing = true;
            return Err(HttpError::Malformed(format!(
                "a body of {} bytes where at most {max} were expected",
                answer.length
            )));
        }
        let mut body = Vec::with_capacity(usize::try_from(answer.length).unwrap_or(0));
        self.read_body(answer.length, &mut body, &mut |_| true)?;
        Ok(body)
    }

    /// Reads an answer and its JSON body; an error status becomes [`HttpError::Refused`].
    fn json_answer(&mut self) -> Result<(Answer, serde_json::Value), HttpError> {
        let answer = self.read_answer()?;
        let body = self.small_body(&answer, JSON_MAX_BYTES)?;
        let json = if body.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null)
        };
        refused(&answer, &json)?;
        Ok((answer, json))
    }
}

/// An error answer as [`HttpError::Refused`].
fn refused(answer: &Answer, json: &serde_json::Value) -> Result<(), HttpError> {
    if answer.status < 400 {
        return Ok(());
    }
    let code = json
        .get("code")
        .and_then(|c| ErrorCode::deserialize(c).ok())
        .unwrap_or(ErrorCode::Unknown);
    let field = json
        .get("field")
        .and_then(|c| Field::deserialize(c).ok())
        .filter(|f| *f != Field::Unknown);
    Err(HttpError::Refused {
        status: answer.status,
        code,
        field,
    })
}

fn attachment(json: &serde_json::Value) -> Result<Attachment, HttpError> {
    Attachment::deserialize(&json["file"]).map_err(|e| HttpError::Malformed(e.to_string()))
}

/// What a new upload announces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announce {
    /// The file's name.
    pub name: String,
    /// Its media type.
    pub mime: String,
    /// Its size in bytes.
    pub size: u64,
    /// The SHA-256 of its bytes, in lowercase hex.
    pub sha256: String,
    /// A picture's width and height.
    pub dimensions: Option<(u32, u32)>,
}

/// How announcing an upload went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Begun {
    /// Send the bytes to this upload.
    Upload(String),
    /// Stored at once (an empty file).
    Done(Attachment),
}

/// `POST /uploads`.
pub fn begin(conn: &mut HttpConnection, token: &str, file: &Announce) -> Result<Begun, HttpError> {
    let mut headers = vec![
        ("Upload-Name", percent_encode(&file.name)),
        ("Upload-Type", file.mime.clone()),
        ("Upload-Length", file.size.to_string()),
        ("Upload-Sha256", file.sha256.clone()),
    ];
    if let Some((w, h)) = file.dimensions {
        headers.push(("Upload-Width", w.to_string()));
        headers.push(("Upload-Height", h.to_string()));
    }
    conn.send_head("POST", "/uploads", token, &headers, 0)?;
    let (_, json) = conn.json_answer()?;
    if json.get("file").is_some() {
        return Ok(Begun::Done(attachment(&json)?));
    }
    json.get("upload")
        .and_then(|u| u.as_str())
        .map(|u| Begun::Upload(u.to_owned()))
        .ok_or_else(|| HttpError::Malformed("no upload id".into()))
}

/// `HEAD /uploads/{id}`: how many bytes the server has.
pub fn offset(conn: &mut HttpConnection, token: &str, upload: &str) -> Result<u64, HttpError> {
    conn.send_head("HEAD", &format!("/uploads/{upload}"), token, &[], 0)?;
    let answer = conn.read_answer()?;
    refused(&answer, &serde_json::Value::Null)?;
    answer.number("upload-offset")
}

/// `DELETE /uploads/{id}`: the upload is cancelled; its bytes go, and the quota it held.
pub fn cancel(conn: &mut HttpConnection, token: &str, upload: &str) -> Result<(), HttpError> {
    conn.send_head("DELETE", &format!("/uploads/{upload}"), token, &[], 0)?;
    conn.json_answer().map(|_| ())
}

/// How sending bytes went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sent {
    /// The server has this many bytes.
    More(u64),
    /// The last byte came: the file is stored.
    Done(Attachment),
    /// The upload is elsewhere than the offset sent: go on from this one.
    Elsewhere(u64),
}

/// `PATCH /uploads/{id}`: `length` bytes of `body`, which start at `offset` of the file;
/// `progress` hears the bytes of this request sent so far and stops by answering `false`.
pub fn patch(
    conn: &mut HttpConnection,
    token: &str,
    upload: &str,
    offset: u64,
    body: &mut dyn Read,
    length: u64,
    progress: &mut dyn FnMut(u64) -> bool,
) -> Result<Sent, HttpError> {
    let headers = [("Upload-Offset", offset.to_string())];
    conn.send_head(
        "PATCH",
        &format!("/uploads/{upload}"),
        token,
        &headers,
        length,
    )?;
    let mut piece = vec![0u8; PIECE_BYTES];
    let mut sent = 0u64;
    while sent < length {
        let want = usize::try_from(length - sent)
            .unwrap_or(usize::MAX)
            .min(PIECE_BYTES);
        let n = body.read(&mut piece[..want])?;
        if n == 0 {
            return Err(HttpError::Io(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the file is shorter than announced",
            )));
        }
        conn.writer.write_all(&piece[..n])?;
        sent += n as u64;
        if !progress(sent) {
            return Err(HttpError::Cancelled);
        }
    }
    conn.writer.flush()?;
    let answer = conn.read_answer()?;
    let body = conn.small_body(&answer, JSON_MAX_BYTES)?;
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    match answer.status {
        201 => Ok(Sent::Done(attachment(&json)?)),
        204 => Ok(Sent::More(answer.number("upload-offset")?)),
        409 => Ok(Sent::Elsewhere(answer.number("upload-offset")?)),
        _ => {
            refused(&answer, &json)?;
            Err(HttpError::Malformed(format!("status {}", answer.status)))
        }
    }
}

/// `PUT /files/{id}/preview`: a picture's small preview (PNG or JPEG, at most 64 KiB).
pub fn put_preview(
    conn: &mut HttpConnection,
    token: &str,
    file: &str,
    preview: &[u8],
) -> Result<(), HttpError> {
    conn.send_head(
        "PUT",
        &format!("/files/{file}/preview"),
        token,
        &[("Content-Type", "application/octet-stream".into())],
        preview.len() as u64,
    )?;
    conn.writer.write_all(preview)?;
    conn.writer.flush()?;
    conn.json_answer().map(|_| ())
}

/// `GET /files/{id}/preview`: the preview's bytes (refused past `max` bytes).
pub fn get_preview(
    conn: &mut HttpConnection,
    token: &str,
    file: &str,
    max: usize,
) -> Result<Vec<u8>, HttpError> {
    conn.send_head("GET", &format!("/files/{file}/preview"), token, &[], 0)?;
    let answer = conn.read_answer()?;
    if answer.status >= 400 {
        let body = conn.small_body(&answer, JSON_MAX_BYTES)?;
        refused(&answer, &serde_json::from_slice(&body).unwrap_or_default())?;
    }
    conn.small_body(&answer, max)
}

/// A download under way: what the answer said; its body follows ([`HttpConnection::read_body`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetch {
    /// Where in the file the body starts.
    pub start: u64,
    /// The body's length.
    pub length: u64,
    /// The whole file's size.
    pub size: u64,
    /// The file's SHA-256 (its `ETag`), if said.
    pub sha256: Option<String>,
}

/// `GET /files/{id}` from byte `from` (a `Range` when not 0). A server that answers the whole
/// file instead says so with `start` 0.
pub fn get(
    conn: &mut HttpConnection,
    token: &str,
    file: &str,
    from: u64,
) -> Result<Fetch, HttpError> {
    let range = [("Range", format!("bytes={from}-"))];
    let headers: &[(&str, String)] = if from > 0 { &range } else { &[] };
    conn.send_head("GET", &format!("/files/{file}"), token, headers, 0)?;
    let answer = conn.read_answer()?;
    if answer.status >= 400 {
        let body = conn.small_body(&answer, JSON_MAX_BYTES)?;
        refused(&answer, &serde_json::from_slice(&body).unwrap_or_default())?;
    }
    let sha256 = answer
        .header("etag")
        .map(|e| e.trim_matches('"').to_owned());
    match answer.status {
        200 => Ok(Fetch {
            start: 0,
            length: answer.length,
            size: answer.length,
            sha256,
        }),
        206 => {
            // `bytes a-b/size`
            let range = answer
                .header("content-range")
                .and_then(|r| r.strip_prefix("bytes "))
                .ok_or_else(|| HttpError::Malformed("no Content-Range".into()))?;
            let (span, size) = range
                .split_once('/')
                .ok_or_else(|| HttpError::Malformed("Content-Range".into()))?;
            let start = span
                .split_once('-')
                .and_then(|(a, _)| a.parse().ok())
                .ok_or_else(|| HttpError::Malformed("Content-Range".into()))?;
            let size = size
                .parse()
                .map_err(|_| HttpError::Malformed("Content-Range".into()))?;
            Ok(Fetch {
                start,
                length: answer.length,
                size,
                sha256,
            })
        }
        status => Err(HttpError::Malformed(format!("status {status}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_what_waiting_can_heal_is_temporary() {
        assert!(HttpError::Io(io::ErrorKind::ConnectionReset.into()).is_temporary());
        assert!(HttpError::Connect(Disconnect::Refused).is_temporary());
        let busy = HttpError::Refused {
            status: 503,
            code: ErrorCode::ServerBusy,
            field: None,
        };
        assert!(busy.is_temporary());
        let large = HttpError::Refused {
            status: 413,
            code: ErrorCode::FileTooLarge,
            field: Some(Field::Size),
        };
        assert!(!large.is_temporary());
        let changed = HttpError::Connect(Disconnect::CertificateChanged {
            expected: "a".into(),
            presented: "b".into(),
        });
        assert!(!changed.is_temporary());
    }
}
