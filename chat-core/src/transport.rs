//! A connected byte stream, plain TCP or TLS over TCP, shared by one reader thread and one writer
//! (a thread with [`TransportWriter`], or a writer that seals with [`Transport::seal_into`] and
//! sends the bytes itself).
//!
//! TLS state (rustls) must see both directions, yet a blocking read must never stop the writer.
//! So the socket is read *outside* the TLS lock, and the lock is held only to decrypt what was
//! read or to encrypt what is about to be written: memory work, never I/O.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

/// Bytes read from the socket at a time under TLS (one TLS record is at most ~16.7 KiB).
const TLS_READ_CHUNK_BYTES: usize = 8 * 1024;

/// Called when decrypting produced bytes that must be sent (a key update, an alert): the writer
/// should call [`TransportWriter::flush`] soon.
pub type FlushHint = Arc<dyn Fn() + Send + Sync>;

/// TLS over a socket, after the handshake.
pub struct Tls {
    conn: Mutex<rustls::Connection>,
    socket: TcpStream,
}

impl fmt::Debug for Tls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tls")
            .field("socket", &self.socket)
            .finish_non_exhaustive()
    }
}

impl Tls {
    fn lock(&self) -> MutexGuard<'_, rustls::Connection> {
        // A panic while holding this lock would leave rustls mid-operation; the connection is
        // then closed by its owner, so the poisoned state is never used for long.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// WebSocket framing over plain TCP or TLS, as the server's side of a browser's connection
/// (see [`crate::websocket`]): what is written goes out as binary messages, what is read is the
/// payloads of the client's data frames, joined.
pub struct WebSocket {
    inner: Transport,
    out: Mutex<WebSocketOut>,
}

/// What the writing side of a WebSocket holds between writes.
#[derive(Default)]
struct WebSocketOut {
    /// Control frames the reader asked for (pongs, a close), sent before the next data.
    replies: Vec<u8>,
    /// A close frame was queued: nothing more may follow it.
    closed: bool,
}

impl fmt::Debug for WebSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebSocket")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl WebSocket {
    fn out(&self) -> MutexGuard<'_, WebSocketOut> {
        self.out.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues control frames the reader produced (a reply whose first byte is a close frame's
    /// marks the stream closed).
    fn reply(&self, frames: &[u8]) {
        let mut out = self.out();
        if out.closed {
            return;
        }
        out.replies.extend_from_slice(frames);
        if contains_close(frames) {
            out.closed = true;
        }
    }
}

/// Whether a run of whole server frames holds a close frame.
fn contains_close(mut frames: &[u8]) -> bool {
    while let Ok(Some((header, used))) = crate::websocket::Header::parse(frames) {
        if header.opcode == crate::websocket::Opcode::Close {
            return true;
        }
        let end = used.saturating_add(usize::try_from(header.len).unwrap_or(usize::MAX));
        frames = frames.get(end..).unwrap_or_default();
    }
    false
}

/// A connected stream; cheap to clone (all clones are the same connection).
#[derive(Debug, Clone)]
pub enum Transport {
    /// Plain TCP.
    Plain(Arc<TcpStream>),
    /// TLS over TCP.
    Tls(Arc<Tls>),
    /// WebSocket framing over either (a browser).
    WebSocket(Arc<WebSocket>),
}

impl Transport {
    /// Plain TCP.
    pub fn plain(socket: TcpStream) -> Self {
        Transport::Plain(Arc::new(socket))
    }

    /// Completes a TLS handshake on `socket` (bounded by its read and write timeouts) and wraps
    /// the result.
    pub fn tls(mut socket: TcpStream, conn: impl Into<rustls::Connection>) -> io::Result<Self> {
        let mut conn = conn.into();
        while conn.is_handshaking() {
            conn.complete_io(&mut socket)?;
        }
        // Session tickets and the like that the handshake left to send.
        while conn.wants_write() {
            conn.write_tls(&mut socket)?;
        }
        // Each write is sealed and sent at once, and callers bound what they pass (a send queue
        // chunk), so rustls need not cap its own buffer.
        conn.set_buffer_limit(None);
        Ok(Transport::Tls(Arc::new(Tls {
            conn: Mutex::new(conn),
            socket,
        })))
    }

    /// Completes a TLS handshake on `socket` by `deadline`, however the peer paces its bytes (a
    /// byte every few seconds does not keep it going), and wraps the result.
    pub fn tls_until(
        socket: TcpStream,
        conn: impl Into<rustls::Connection>,
        deadline: Instant,
    ) -> io::Result<Self> {
        let mut conn = conn.into();
        let mut bounded = UntilDeadline {
            socket: &socket,
            deadline,
        };
        while conn.is_handshaking() {
            conn.complete_io(&mut bounded)?;
        }
        while conn.wants_write() {
            conn.write_tls(&mut bounded)?;
        }
        conn.set_buffer_limit(None);
        Ok(Transport::Tls(Arc::new(Tls {
            conn: Mutex::new(conn),
            socket,
        })))
    }

    /// The same connection with WebSocket framing over it, from here on (after the opening
    /// handshake). A WebSocket over a WebSocket is the same WebSocket.
    pub fn websocket(&self) -> Self {
        if let Transport::WebSocket(_) = self {
            return self.clone();
        }
        Transport::WebSocket(Arc::new(WebSocket {
            inner: self.clone(),
            out: Mutex::new(WebSocketOut::default()),
        }))
    }

    /// The socket, for timeouts and addresses.
    pub fn socket(&self) -> &TcpStream {
        match self {
            Transport::Plain(s) => s,
            Transport::Tls(t) => &t.socket,
            Transport::WebSocket(w) => w.inner.socket(),
        }
    }

    /// Whether the stream is encrypted.
    pub fn is_tls(&self) -> bool {
        match self {
            Transport::Plain(_) => false,
            Transport::Tls(_) => true,
            Transport::WebSocket(w) => w.inner.is_tls(),
        }
    }

    /// Whether the stream carries WebSocket framing.
    pub fn is_websocket(&self) -> bool {
        matches!(self, Transport::WebSocket(_))
    }

    /// Whether bytes must go through [`Transport::seal_into`] before they are sent (TLS
    /// records, WebSocket frames); plain TCP sends them as they are.
    pub fn seals(&self) -> bool {
        !matches!(self, Transport::Plain(_))
    }

    /// Shuts the socket down (unblocking a reader in `read`).
    pub fn shutdown(&self, how: Shutdown) {
        let _ = self.socket().shutdown(how);
    }

    /// Appends to `out` the bytes that carry `plaintext` on the wire — itself for plain TCP,
    /// TLS records for TLS, after anything rustls was waiting to send (a key update, an alert);
    /// for a WebSocket, one binary message after the control frames the reader queued (nothing
    /// once a close frame went). Memory work only: for a writer that sends with non-blocking
    /// calls of its own.
    pub fn seal_into(&self, plaintext: &[u8], out: &mut Vec<u8>) -> io::Result<()> {
        match self {
            Transport::Plain(_) => {
                out.extend_from_slice(plaintext);
                Ok(())
            }
            Transport::Tls(tls) => {
                let mut conn = tls.lock();
                if !plaintext.is_empty() {
                    conn.writer().write_all(plaintext)?;
                }
                while conn.wants_write() {
                    conn.write_tls(out)?;
                }
                Ok(())
            }
            Transport::WebSocket(ws) => {
                let framed = {
                    let mut state = ws.out();
                    let mut framed = std::mem::take(&mut state.replies);
                    if !plaintext.is_empty() && !state.closed {
                        crate::websocket::frame(
                            crate::websocket::Opcode::Binary,
                            plaintext,
                            &mut framed,
                        );
                    }
                    framed
                };
                ws.inner.seal_into(&framed, out)
            }
        }
    }

    /// Appends the end of the stream to `out`: a TLS close_notify (nothing for plain TCP), after
    /// a WebSocket close frame (status 1000) unless one was sent; see [`Transport::seal_into`].
    pub fn close_notify_into(&self, out: &mut Vec<u8>) -> io::Result<()> {
        match self {
            Transport::Plain(_) => {}
            Transport::Tls(tls) => {
                tls.lock().send_close_notify();
                self.seal_into(&[], out)?;
            }
            Transport::WebSocket(ws) => {
                let mut close = Vec::new();
                let code = crate::websocket::close::NORMAL;
                let payload = crate::websocket::close_payload(code, "");
                crate::websocket::frame(crate::websocket::Opcode::Close, &payload, &mut close);
                ws.reply(&close);
                self.seal_into(&[], out)?;
                ws.inner.close_notify_into(out)?;
            }
        }
        Ok(())
    }

    /// Readies the socket for a writer that sends without ever waiting, sharing it with a
    /// reader that does wait. On Unix each send says so itself (`MSG_DONTWAIT`) and nothing
    /// changes. Windows has no such flag: the socket becomes non-blocking, and its
    /// [`TransportReader`] waits for data with a poller of its own.
    pub fn prepare_for_pool(&self) -> io::Result<()> {
        #[cfg(windows)]
        self.socket().set_nonblocking(true)?;
        Ok(())
    }

    /// The reading half. `hint` is called when the writer must flush.
    pub fn reader(&self, hint: Option<FlushHint>) -> TransportReader {
        TransportReader {
            transport: self.clone(),
            raw: Vec::new(),
            fed: 0,
            read: 0,
            hint,
            waiting: Waiting::default(),
            unread: Vec::new(),
            deframer: None,
        }
    }

    /// The writing half.
    pub fn writer(&self) -> TransportWriter {
        TransportWriter {
            transport: self.clone(),
            out: Vec::new(),
        }
    }
}

/// A socket whose every read and write must end by `deadline`: each call's timeout is what is
/// left, and a call after the deadline fails at once with `TimedOut`.
struct UntilDeadline<'a> {
    socket: &'a TcpStream,
    deadline: Instant,
}

impl UntilDeadline<'_> {
    fn left(&self) -> io::Result<std::time::Duration> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the TLS handshake took too long",
            ));
        }
        Ok(left)
    }
}

impl Read for UntilDeadline<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.socket.set_read_timeout(Some(self.left()?))?;
        let mut socket = self.socket;
        socket.read(buf)
    }
}

impl Write for UntilDeadline<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.socket.set_write_timeout(Some(self.left()?))?;
        let mut socket = self.socket;
        socket.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The reading half of a [`Transport`].
pub struct TransportReader {
    transport: Transport,
    /// Bytes read from the socket under TLS; `raw[fed..read]` are not yet given to rustls.
    raw: Vec<u8>,
    fed: usize,
    read: usize,
    hint: Option<FlushHint>,
    waiting: Waiting,
    /// Bytes given back ([`TransportReader::unread`]), read again before anything else.
    unread: Vec<u8>,
    /// Reads a WebSocket's frames, when the transport is one.
    deframer: Option<Box<crate::websocket::Deframer>>,
}

/// How a reader waits for data on a non-blocking socket (Windows; see
/// [`Transport::prepare_for_pool`]). Elsewhere the socket blocks and this is empty.
#[derive(Default)]
struct Waiting {
    /// The poller, made at the first wait.
    #[cfg(windows)]
    wait: Option<windows_wait::ReadWait>,
    /// The longest wait for data, as `set_read_timeout` said.
    #[cfg(windows)]
    timeout: Option<std::time::Duration>,
}

impl Waiting {
    /// Reads from the socket itself, waiting for data if it is non-blocking.
    fn read(&mut self, socket: &TcpStream, buf: &mut [u8]) -> io::Result<usize> {
        let mut socket = socket;
        #[cfg(windows)]
        loop {
            match socket.read(buf) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    let wait = match &mut self.wait {
                        Some(wait) => wait,
                        None => self.wait.insert(windows_wait::ReadWait::new(socket)?),
                    };
                    if !wait.readable(self.timeout)? {
                        return Err(io::ErrorKind::TimedOut.into());
                    }
                }
                other => return other,
            }
        }
        #[cfg(not(windows))]
        socket.read(buf)
    }
}

impl fmt::Debug for TransportReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransportReader")
            .field("transport", &self.transport)
            .finish_non_exhaustive()
    }
}

impl TransportReader {
    /// Gives bytes back: the next reads return them first, then what follows on the stream
    /// (a server looks at a connection's first bytes to tell its protocol, then lets the
    /// protocol read them).
    pub fn unread(&mut self, bytes: &[u8]) {
        let mut back = bytes.to_vec();
        back.append(&mut self.unread);
        self.unread = back;
    }

    /// Reads on with WebSocket framing (after the opening handshake was read, and its answer
    /// sent): the bytes already read and buffered are kept, as frames. Its writers must write
    /// to this reader's [`TransportReader::transport`] from then on: the control frames it
    /// queues (pongs, a close) go out there.
    pub fn into_websocket(mut self) -> Self {
        self.transport = self.transport.websocket();
        self.deframer = Some(Box::default());
        self
    }

    /// What to call when reading leaves TLS bytes to send (see [`FlushHint`]).
    pub fn set_hint(&mut self, hint: Option<FlushHint>) {
        self.hint = hint;
    }

    /// The transport this reads.
    pub fn transport(&self) -> &Transport {
        &self.transport
    }

    /// Bounds each wait for data, as `TcpStream::set_read_timeout` does (a read that waited this
    /// long fails with `WouldBlock` or `TimedOut`).
    pub fn set_read_timeout(&mut self, timeout: Option<std::time::Duration>) -> io::Result<()> {
        #[cfg(windows)]
        {
            self.waiting.timeout = timeout;
        }
        self.transport.socket().set_read_timeout(timeout)
    }
}

impl Read for TransportReader {
    /// Under TLS, rustls holds at most 16 KiB of decrypted bytes and refuses more records while
    /// it does: so the plaintext is handed out before more of what was read is given to it, and
    /// what it did not take yet waits in `raw`. (Feeding a whole socket read at once failed with
    /// "received plaintext buffer full" when a peer sent faster than it was read.)
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let Some(mut deframer) = self.deframer.take() else {
            return self.read_stream(buf);
        };
        let mut replies = Vec::new();
        let read = deframer.read(&mut StreamOf(self), buf, &mut replies);
        self.deframer = Some(deframer);
        if !replies.is_empty()
            && let Transport::WebSocket(ws) = &self.transport
        {
            ws.reply(&replies);
            if let Some(hint) = &self.hint {
                hint();
            }
        }
        read
    }
}

/// A reader's stream under its WebSocket framing.
struct StreamOf<'a>(&'a mut TransportReader);

impl Read for StreamOf<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read_stream(buf)
    }
}

impl TransportReader {
    /// Reads the stream itself: what was given back, then the socket (through TLS when on).
    fn read_stream(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if !self.unread.is_empty() {
            let n = buf.len().min(self.unread.len());
            buf[..n].copy_from_slice(&self.unread[..n]);
            self.unread.drain(..n);
            if self.unread.is_empty() {
                self.unread = Vec::new();
            }
            return Ok(n);
        }
        let base = match &self.transport {
            Transport::WebSocket(ws) => &ws.inner,
            other => other,
        };
        let tls = match base {
            Transport::Plain(s) => return self.waiting.read(s, buf),
            Transport::Tls(t) => Arc::clone(t),
            Transport::WebSocket(_) => {
                return Err(io::Error::other("a WebSocket inside a WebSocket"));
            }
        };
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            match tls.lock().reader().read(buf) {
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
            if self.fed == self.read {
                if self.raw.len() != TLS_READ_CHUNK_BYTES {
                    self.raw = vec![0; TLS_READ_CHUNK_BYTES];
                }
                // Blocking read with the lock released, so the writer can go on.
                let n = self.waiting.read(&tls.socket, &mut self.raw)?;
                (self.fed, self.read) = (0, n);
                if n == 0 {
                    // End of stream: let rustls tell a clean close_notify from a truncation,
                    // after whatever plaintext is left.
                    let mut conn = tls.lock();
                    conn.read_tls(&mut io::empty())?;
                    return match conn.reader().read(buf) {
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(0),
                        other => other,
                    };
                }
            }
            let mut conn = tls.lock();
            while self.fed < self.read {
                let mut data = &self.raw[self.fed..self.read];
                self.fed += conn.read_tls(&mut data)?;
                let state = conn
                    .process_new_packets()
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
                if state.plaintext_bytes_to_read() > 0 || state.peer_has_closed() {
                    break;
                }
            }
            let must_flush = conn.wants_write();
            drop(conn);
            if must_flush && let Some(hint) = &self.hint {
                hint();
            }
        }
    }
}

/// The writing half of a [`Transport`].
#[derive(Debug)]
pub struct TransportWriter {
    transport: Transport,
    out: Vec<u8>,
}

impl TransportWriter {
    /// Sends the end of the stream (see [`Transport::close_notify_into`]).
    pub fn close_notify(&mut self) -> io::Result<()> {
        self.out.clear();
        self.transport.close_notify_into(&mut self.out)?;
        self.send_out()
    }

    fn send_out(&mut self) -> io::Result<()> {
        let sent = self.transport.socket().write_all(&self.out);
        if self.out.capacity() > 64 * 1024 {
            self.out = Vec::new();
        }
        sent
    }
}

impl Write for TransportWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if let Transport::Plain(s) = &self.transport {
            return (&**s).write(buf);
        }
        self.out.clear();
        self.transport.seal_into(buf, &mut self.out)?;
        self.send_out()?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.transport.seals() {
            return Ok(());
        }
        self.out.clear();
        self.transport.seal_into(&[], &mut self.out)?;
        if self.out.is_empty() {
            return Ok(());
        }
        self.send_out()
    }
}

/// Waiting for data on a non-blocking socket, where sends cannot ask not to wait (Windows).
#[cfg(windows)]
mod windows_wait {
    use std::io;
    use std::net::TcpStream;
    use std::time::Duration;

    use mio::{Events, Interest, Poll, Token};

    /// A poller of one socket, through a second handle to it.
    pub(super) struct ReadWait {
        poll: Poll,
        events: Events,
        source: mio::net::TcpStream,
    }

    impl ReadWait {
        pub(super) fn new(socket: &TcpStream) -> io::Result<Self> {
            let poll = Poll::new()?;
            let mut source = mio::net::TcpStream::from_std(socket.try_clone()?);
            poll.registry()
                .register(&mut source, Token(0), Interest::READABLE)?;
            Ok(ReadWait {
                poll,
                events: Events::with_capacity(1),
                source,
            })
        }

        /// Whether data (or the end of the stream) came within `timeout`.
        pub(super) fn readable(&mut self, timeout: Option<Duration>) -> io::Result<bool> {
            // Re-arm: the socket is read through the other handle, which mio does not see.
            self.poll
                .registry()
                .reregister(&mut self.source, Token(0), Interest::READABLE)?;
            match self.poll.poll(&mut self.events, timeout) {
                Ok(()) => Ok(!self.events.is_empty()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(true),
                Err(e) => Err(e),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::TcpListener;
    use std::thread;

    use rustls::RootCertStore;
    use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};

    use super::*;

    /// Both ends of a TLS connection over loopback TCP (server, client).
    fn tls_pair() -> (Transport, Transport) {
        let made = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        let cert = made.cert.der().clone();
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(made.signing_key.serialize_der()));
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let server_config = rustls::ServerConfig::builder_with_provider(Arc::clone(&provider))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert.clone()], key)
            .unwrap();
        let mut roots = RootCertStore::empty();
        roots.add(cert).unwrap();
        let client_config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = thread::spawn(move || {
            let (socket, _) = listener.accept().unwrap();
            let conn = rustls::ServerConnection::new(Arc::new(server_config)).unwrap();
            Transport::tls(socket, conn).unwrap()
        });
        let name = ServerName::try_from("localhost").unwrap();
        let conn = rustls::ClientConnection::new(Arc::new(client_config), name).unwrap();
        let client = Transport::tls(TcpStream::connect(addr).unwrap(), conn).unwrap();
        (server.join().unwrap(), client)
    }

    #[test]
    fn a_peer_that_sends_faster_than_it_is_read_loses_nothing_and_is_not_dropped() {
        let (server, client) = tls_pair();
        // 4 MiB sent while nobody reads, a full-size record then small ones (as a busy room's
        // lines come): one socket read can then complete more than rustls's 16 KiB of
        // plaintext.
        let sent: Vec<u8> = (0..4 << 20).map(|i: u32| (i % 251) as u8).collect();
        let writer = {
            let sent = sent.clone();
            thread::spawn(move || {
                let mut writer = client.writer();
                let mut rest = &sent[..];
                for size in [16 * 1024, 100, 100, 100, 5000, 100].into_iter().cycle() {
                    let (record, after) = rest.split_at(size.min(rest.len()));
                    if record.is_empty() {
                        break;
                    }
                    writer.write_all(record).unwrap();
                    rest = after;
                }
                writer.close_notify().unwrap();
                // Kept open until the reader is done: closing a socket with unread bytes (the
                // server's session tickets) would reset the connection.
                client
            })
        };
        thread::sleep(std::time::Duration::from_millis(200));
        let mut reader = server.reader(None);
        let mut got = Vec::new();
        let mut buf = [0u8; 1000];
        loop {
            match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(e) => panic!("after {} bytes: {e}", got.len()),
            }
        }
        drop(writer.join().unwrap());
        assert_eq!(got.len(), sent.len());
        assert!(got == sent, "the bytes arrived changed");
    }
}
