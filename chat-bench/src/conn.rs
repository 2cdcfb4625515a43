//! One non-blocking client socket on an event loop: frames (or IRC lines) out through a buffer
//! flushed when the socket is writable, frames (or lines) in read until the socket is empty.
//! Over a WebSocket, the frames travel in binary messages (see [`crate::ws`]).
//!
//! Architecture Invariant: the loop registers sockets edge-triggered, so a readable socket is read
//! until it is empty — a read that would block, or a short read when the peer has not closed —
//! and a write that would block leaves its bytes in `out` until the next writable event. Nothing
//! here blocks or sleeps.

use std::io::{self, Read, Write};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use chat_core::frame::encode;
use chat_core::protocol::{ClientFrame, Request};
use mio::net::TcpStream;
use mio::{Interest, Registry, Token};
use rustls::ClientConnection;

use crate::inbox::{Frames, Inbox};
use crate::irc::Lines;
use crate::ws;

/// Bytes read from a socket per system call.
pub const READ_CHUNK_BYTES: usize = 64 * 1024;

/// What a connection speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Wire {
    /// The chat protocol: length-prefixed MessagePack frames.
    #[default]
    Native,
    /// IRC lines (see [`crate::irc`]).
    Irc,
    /// The chat protocol's frames in WebSocket messages (see [`crate::ws`]).
    WebSocket,
}

/// How the bytes read are cut: frames or lines.
#[derive(Debug)]
enum Framing {
    Native(Frames),
    Irc(Lines),
    WebSocket(Box<ws::Incoming>),
}

impl Framing {
    /// Splits `chunk`; a WebSocket rewrites it (see [`ws::Incoming`]).
    fn split(&mut self, chunk: &mut [u8], inbox: &mut Inbox) -> Result<(), String> {
        match self {
            Framing::Native(frames) => frames.split(chunk, inbox),
            Framing::Irc(lines) => lines.split(chunk, inbox),
            Framing::WebSocket(incoming) => incoming.split(chunk, inbox),
        }
    }
}

/// A client connection.
#[derive(Debug)]
pub struct Conn {
    stream: TcpStream,
    /// The TLS session, when the server speaks TLS: `out` is plaintext for it, and what is read
    /// is decrypted before it is split into frames.
    tls: Option<Box<ClientConnection>>,
    framing: Framing,
    out: Vec<u8>,
    /// Bytes of `out` already written.
    written: usize,
    connected: bool,
    next_id: u32,
    /// Ask for delayed acknowledgements (see [`Conn::ask_for_delayed_acks`]).
    delayed_acks: bool,
    /// Reads since delayed acknowledgements were last asked for.
    reads: u32,
}

/// What reading found.
#[derive(Debug, PartialEq, Eq)]
pub enum ReadStatus {
    /// More may be readable: call again after handling the frames.
    More,
    /// Everything available was read.
    Drained,
    /// The server closed the connection.
    Closed,
}

impl Conn {
    /// Starts connecting to `addr` (from `source`, when given) and registers the socket with
    /// `registry` under `token`. `delayed_acks`: see [`Conn::ask_for_delayed_acks`]. `tls`: speak
    /// TLS with this configuration. `wire`: what the server speaks.
    pub fn connect(
        addr: SocketAddr,
        source: Option<IpAddr>,
        registry: &Registry,
        token: Token,
        delayed_acks: bool,
        tls: Option<&Arc<rustls::ClientConfig>>,
        wire: Wire,
    ) -> io::Result<Conn> {
        let mut stream = match source {
            Some(source) => connect_from(source, addr)?,
            None => TcpStream::connect(addr)?,
        };
        stream.set_nodelay(true)?;
        registry.register(&mut stream, token, Interest::READABLE | Interest::WRITABLE)?;
        let tls = match tls {
            Some(config) => {
                let name = rustls::pki_types::ServerName::IpAddress(addr.ip().into());
                let conn =
                    ClientConnection::new(Arc::clone(config), name).map_err(io::Error::other)?;
                Some(Box::new(conn))
            }
            None => None,
        };
        let mut out = Vec::new();
        let framing = match wire {
            Wire::Native => Framing::Native(Frames::default()),
            Wire::Irc => Framing::Irc(Lines::default()),
            Wire::WebSocket => {
                // The opening handshake goes first; frames queued behind it wait for nothing
                // (the server reads them once it has answered).
                ws::upgrade_request(addr, &mut out);
                Framing::WebSocket(Box::default())
            }
        };
        Ok(Conn {
            stream,
            tls,
            framing,
            out,
            written: 0,
            connected: false,
            next_id: 1,
            delayed_acks,
            reads: 0,
        })
    }

    /// Queues `request` and returns its id. Call [`Conn::flush`] to send.
    pub fn send(&mut self, request: Request) -> u32 {
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1).max(1);
        let frame = encode(&ClientFrame { id, request })
            .expect("requests built by the bench are valid and smaller than a frame");
        if matches!(self.framing, Framing::WebSocket(_)) {
            ws::binary(&frame, id, &mut self.out);
        } else {
            self.out.extend_from_slice(&frame);
        }
        id
    }

    /// Queues bytes as they are (IRC lines). Call [`Conn::flush`] to send.
    pub fn send_bytes(&mut self, bytes: &[u8]) {
        self.out.extend_from_slice(bytes);
    }

    /// Queues a pong for each ping the server sent over a WebSocket (sent with the next flush).
    fn answer_pings(&mut self) {
        if let Framing::WebSocket(incoming) = &mut self.framing {
            for payload in incoming.take_pings() {
                ws::pong(&payload, &mut self.out);
            }
        }
    }

    /// Whether the connection speaks TLS.
    pub fn is_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// Whether queued bytes are waiting to be written (or TLS has records to send).
    pub fn has_output(&self) -> bool {
        self.written < self.out.len() || self.tls.as_ref().is_some_and(|t| t.wants_write())
    }

    /// Writes queued bytes until none are left or the socket would block.
    pub fn flush(&mut self) -> io::Result<()> {
        if !self.connected && !self.check_connected()? {
            return Ok(());
        }
        if self.tls.is_some() {
            return self.flush_tls();
        }
        while self.written < self.out.len() {
            match self.stream.write(&self.out[self.written..]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => self.written += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if self.written == self.out.len() {
            self.out.clear();
            self.written = 0;
            if self.out.capacity() > READ_CHUNK_BYTES {
                self.out = Vec::new();
            }
        }
        Ok(())
    }

    /// [`Conn::flush`] under TLS: plaintext into the session as far as it takes it, records out
    /// until the socket would block.
    fn flush_tls(&mut self) -> io::Result<()> {
        let Some(tls) = self.tls.as_mut() else {
            return Ok(());
        };
        loop {
            while self.written < self.out.len() {
                match tls.writer().write(&self.out[self.written..])? {
                    0 => break,
                    n => self.written += n,
                }
            }
            let mut blocked = false;
            while tls.wants_write() {
                match tls.write_tls(&mut self.stream) {
                    Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                    Ok(_) => {}
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        blocked = true;
                        break;
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            if blocked || self.written == self.out.len() {
                break;
            }
        }
        if self.written == self.out.len() {
            self.out.clear();
            self.written = 0;
        }
        Ok(())
    }

    /// After a writable event: has the non-blocking connect finished? An error means it failed.
    fn check_connected(&mut self) -> io::Result<bool> {
        if let Some(e) = self.stream.take_error()? {
            return Err(e);
        }
        match self.stream.peer_addr() {
            Ok(_) => {
                self.connected = true;
                Ok(true)
            }
            Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Reads one chunk (at most [`READ_CHUNK_BYTES`]) into `scratch` and appends the frames it
    /// completes to `inbox` (see [`crate::inbox`]); `now` is set to when the chunk arrived. A
    /// frame that is not a valid server message is an error. `closing`: the readiness event said
    /// the peer closed, so a short read does not mean the end has been seen.
    pub fn read_chunk(
        &mut self,
        scratch: &mut [u8],
        inbox: &mut Inbox,
        now: &mut Instant,
        closing: bool,
    ) -> io::Result<ReadStatus> {
        if self.tls.is_some() {
            return self.read_chunk_tls(scratch, inbox, now);
        }
        let n = loop {
            match self.stream.read(scratch) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(ReadStatus::Drained),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        };
        if n == 0 {
            return Ok(ReadStatus::Closed);
        }
        *now = Instant::now();
        self.ask_for_delayed_acks();
        self.framing
            .split(&mut scratch[..n], inbox)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        self.answer_pings();
        // A short read emptied the socket: with edge-triggered readiness, bytes arriving later
        // raise a new event, so the read that would only say "would block" is not needed. (A
        // close already queued raises none: then read on until the end.)
        if n < scratch.len() && !closing {
            Ok(ReadStatus::Drained)
        } else {
            Ok(ReadStatus::More)
        }
    }

    /// [`Conn::read_chunk`] under TLS: records from the socket into the session, then one chunk
    /// of plaintext into `scratch`. Handshake records the session wants sent are left for
    /// [`Conn::flush`] (see [`Conn::has_output`]).
    fn read_chunk_tls(
        &mut self,
        scratch: &mut [u8],
        inbox: &mut Inbox,
        now: &mut Instant,
    ) -> io::Result<ReadStatus> {
        let mut drained = false;
        let mut closed = false;
        loop {
            // The session may have to answer before it reads on (a handshake message): send it
            // now, as far as the socket takes it.
            if self.tls.as_ref().is_some_and(|t| t.wants_write()) {
                self.flush_tls()?;
            }
            let Some(tls) = self.tls.as_mut() else {
                return Ok(ReadStatus::Drained);
            };
            if drained || closed || !tls.wants_read() {
                break;
            }
            match tls.read_tls(&mut self.stream) {
                Ok(0) => closed = true,
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => drained = true,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
            tls.process_new_packets()
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        }
        let Some(tls) = self.tls.as_mut() else {
            return Ok(ReadStatus::Drained);
        };
        let n = match tls.reader().read(scratch) {
            // rustls says "no data yet" with WouldBlock: 0 is the peer's close_notify, after
            // which the session wants nothing more read and the socket's end is never looked at.
            Ok(0) if !scratch.is_empty() => return Ok(ReadStatus::Closed),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => 0,
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(ReadStatus::Closed),
            Err(e) => return Err(e),
        };
        if n > 0 {
            *now = Instant::now();
            self.ask_for_delayed_acks();
            self.framing
                .split(&mut scratch[..n], inbox)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
            self.answer_pings();
            return Ok(ReadStatus::More);
        }
        // Nothing to hand out: the socket is empty, or the session waits for its own records to
        // go out first (the loop reads again when the socket is writable).
        Ok(if closed {
            ReadStatus::Closed
        } else {
            ReadStatus::Drained
        })
    }

    /// Unless the connection was opened without `delayed_acks`, puts the socket back in Linux's
    /// delayed-acknowledgement ("ping-pong") mode every few reads. A member that only receives
    /// is acknowledged by Linux at once for every small segment it drains, unless the
    /// connection looks interactive; on loopback sending those
    /// acknowledgements and processing them at the server's socket is about half of the
    /// generator's time in a latency run, time the server then lacks on a shared machine, and
    /// the delayed mode makes that work about 40 % smaller. A chat client that also talks is in
    /// that mode anyway. The kernel leaves the mode when a delayed acknowledgement times out,
    /// hence the repetition (renewing it at every read measured no better). Elsewhere than
    /// Linux this does nothing.
    fn ask_for_delayed_acks(&mut self) {
        const EVERY_READS: u32 = 16;
        if !self.delayed_acks {
            return;
        }
        if self.reads.is_multiple_of(EVERY_READS) {
            #[cfg(target_os = "linux")]
            let _ = socket2::SockRef::from(&self.stream).set_tcp_quickack(false);
        }
        self.reads = self.reads.wrapping_add(1);
    }

    /// Takes the socket off the loop; dropping the connection closes it.
    pub fn deregister(&mut self, registry: &Registry) {
        let _ = registry.deregister(&mut self.stream);
    }
}

/// A non-blocking connect from `source` (port chosen by the system): one address has only about
/// 28,000 ephemeral ports, so runs of more clients spread them over several loopback addresses.
#[cfg(target_os = "linux")]
fn connect_from(source: IpAddr, addr: SocketAddr) -> io::Result<TcpStream> {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    socket.set_nonblocking(true)?;
    socket.bind(&SocketAddr::new(source, 0).into())?;
    match socket.connect(&addr.into()) {
        Ok(()) => {}
        Err(e) if e.raw_os_error() == Some(nix::libc::EINPROGRESS) => {}
        Err(e) => return Err(e),
    }
    Ok(TcpStream::from_std(socket.into()))
}

/// Elsewhere the system picks the source address.
#[cfg(not(target_os = "linux"))]
fn connect_from(_source: IpAddr, addr: SocketAddr) -> io::Result<TcpStream> {
    TcpStream::connect(addr)
}
