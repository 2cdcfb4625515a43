//! One non-blocking client socket on an event loop: frames out through a buffer flushed when the
//! socket is writable, frames in read until the socket is empty.
//!
//! Architecture Invariant: the loop registers sockets edge-triggered, so a readable socket is read
//! until it is empty — a read that would block, or a short read when the peer has not closed —
//! and a write that would block leaves its bytes in `out` until the next writable event. Nothing
//! here blocks or sleeps.

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::time::Instant;

use chat_core::frame::encode;
use chat_core::protocol::{ClientFrame, Request};
use mio::net::TcpStream;
use mio::{Interest, Registry, Token};

use crate::inbox::{Frames, Inbox};

/// Bytes read from a socket per system call.
pub const READ_CHUNK_BYTES: usize = 64 * 1024;

/// A client connection.
#[derive(Debug)]
pub struct Conn {
    stream: TcpStream,
    frames: Frames,
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
    /// Starts connecting to `addr` and registers the socket with `registry` under `token`.
    /// `delayed_acks`: see [`Conn::ask_for_delayed_acks`].
    pub fn connect(
        addr: SocketAddr,
        registry: &Registry,
        token: Token,
        delayed_acks: bool,
    ) -> io::Result<Conn> {
        let mut stream = TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        registry.register(&mut stream, token, Interest::READABLE | Interest::WRITABLE)?;
        Ok(Conn {
            stream,
            frames: Frames::default(),
            out: Vec::new(),
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
        self.out.extend_from_slice(&frame);
        id
    }

    /// Whether queued bytes are waiting to be written.
    pub fn has_output(&self) -> bool {
        self.written < self.out.len()
    }

    /// Writes queued bytes until none are left or the socket would block.
    pub fn flush(&mut self) -> io::Result<()> {
        if !self.connected && !self.check_connected()? {
            return Ok(());
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
        self.frames
            .split(&scratch[..n], inbox)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        // A short read emptied the socket: with edge-triggered readiness, bytes arriving later
        // raise a new event, so the read that would only say "would block" is not needed. (A
        // close already queued raises none: then read on until the end.)
        if n < scratch.len() && !closing {
            Ok(ReadStatus::Drained)
        } else {
            Ok(ReadStatus::More)
        }
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
