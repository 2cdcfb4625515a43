//! One non-blocking client socket on an event loop: frames out through a buffer flushed when the
//! socket is writable, frames in read until the socket would block.
//!
//! Architecture Invariant: the loop registers sockets edge-triggered, so a readable socket is read
//! until `WouldBlock` and a write that would block leaves its bytes in `out` until the next
//! writable event. Nothing here blocks or sleeps.

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::ops::Range;
use std::time::Instant;

use chat_core::frame::{FrameReader, decode, encode};
use chat_core::limits::MAX_DECODE_DEPTH;
use chat_core::protocol::{ClientFrame, Request, ServerFrame};
use mio::net::TcpStream;
use mio::{Interest, Registry, Token};
use serde::Deserialize;

/// Bytes read from a socket per system call.
pub const READ_CHUNK_BYTES: usize = 64 * 1024;

/// A client connection.
#[derive(Debug)]
pub struct Conn {
    stream: TcpStream,
    reader: FrameReader,
    out: Vec<u8>,
    /// Bytes of `out` already written.
    written: usize,
    connected: bool,
    next_id: u32,
}

/// One frame as the loop hands it on.
#[derive(Debug)]
pub enum Incoming {
    /// A `message` event: its text, a range of [`Inbox::texts`]. Read without building a
    /// [`ServerFrame`], because a fan-out receives millions of these.
    Message(Range<usize>),
    /// Any other frame, decoded in full.
    Frame(ServerFrame),
}

/// The frames of one read, in order, with the texts of its `message` events side by side (so a
/// message costs no allocation of its own).
#[derive(Debug, Default)]
pub struct Inbox {
    pub items: Vec<Incoming>,
    pub texts: String,
}

impl Inbox {
    fn push_body(&mut self, body: &[u8]) -> Result<(), chat_core::Error> {
        if let Some(text) = message_text(body) {
            let start = self.texts.len();
            self.texts.push_str(text);
            self.items.push(Incoming::Message(start..self.texts.len()));
        } else {
            self.items
                .push(Incoming::Frame(decode::<ServerFrame>(body)?));
        }
        Ok(())
    }

    /// Forgets the frames handed on.
    pub fn clear(&mut self) {
        self.items.clear();
        self.texts.clear();
    }
}

/// The fields of a server frame that tell a `message` event and its text, borrowed from the body.
/// Other keys are skipped.
#[derive(Deserialize)]
struct Peek<'a> {
    #[serde(rename = "type", borrow)]
    kind: &'a str,
    #[serde(default)]
    re: Option<u32>,
    #[serde(borrow, default)]
    text: Option<&'a str>,
}

/// The text of a `message` event; `None` for every other frame (and for bodies that do not
/// parse, which the full decoder then reports).
fn message_text(body: &[u8]) -> Option<&str> {
    let mut de = rmp_serde::Deserializer::from_read_ref(body);
    de.set_max_depth(MAX_DECODE_DEPTH);
    let peek = Peek::deserialize(&mut de).ok()?;
    match peek {
        Peek {
            kind: "message",
            re: None,
            text: Some(text),
        } => Some(text),
        _ => None,
    }
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
    pub fn connect(addr: SocketAddr, registry: &Registry, token: Token) -> io::Result<Conn> {
        let mut stream = TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        registry.register(&mut stream, token, Interest::READABLE | Interest::WRITABLE)?;
        Ok(Conn {
            stream,
            reader: FrameReader::new(),
            out: Vec::new(),
            written: 0,
            connected: false,
            next_id: 1,
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

    /// Reads one chunk (at most [`READ_CHUNK_BYTES`]) and appends the frames it completes to
    /// `inbox`; `now` is set to when the chunk arrived. A frame that is not a valid server
    /// message is an error.
    pub fn read_chunk(
        &mut self,
        scratch: &mut [u8],
        inbox: &mut Inbox,
        now: &mut Instant,
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
        let mut feed = Feed(&scratch[..n]);
        loop {
            match self.reader.read_frame(&mut feed) {
                Ok(Some(body)) => inbox
                    .push_body(body)
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?,
                // `Feed` never reports an end, only that it has nothing more.
                Ok(None) => break,
                Err(e) if e.is_timeout() => break,
                Err(e) => return Err(io::Error::new(io::ErrorKind::InvalidData, e)),
            }
        }
        Ok(ReadStatus::More)
    }

    /// Takes the socket off the loop; dropping the connection closes it.
    pub fn deregister(&mut self, registry: &Registry) {
        let _ = registry.deregister(&mut self.stream);
    }
}

/// Bytes already read from the socket, handed to [`FrameReader`] as a stream that "would block"
/// once empty, so a partial frame stays in the reader until the next chunk completes it.
struct Feed<'a>(&'a [u8]);

impl Read for Feed<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.0.is_empty() {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let n = buf.len().min(self.0.len());
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chat_core::protocol::ServerMessage;

    fn message_frame(text: &str) -> Vec<u8> {
        encode(&ServerFrame {
            time: 1,
            re: None,
            message: ServerMessage::Message {
                room: "bench".into(),
                from: "bench0".into(),
                text: text.into(),
            },
        })
        .expect("small frame")
    }

    fn body(frame: &[u8]) -> &[u8] {
        &frame[chat_core::limits::LEN_PREFIX_BYTES..]
    }

    #[test]
    fn message_events_take_the_fast_path_and_others_decode_in_full() {
        let mut inbox = Inbox::default();
        inbox
            .push_body(body(&message_frame("hi there")))
            .expect("valid");
        let rooms = encode(&ServerFrame {
            time: 2,
            re: Some(7),
            message: ServerMessage::Rooms { rooms: Vec::new() },
        })
        .expect("small frame");
        inbox.push_body(body(&rooms)).expect("valid");
        match &inbox.items[..] {
            [Incoming::Message(r), Incoming::Frame(f)] => {
                assert_eq!(&inbox.texts[r.clone()], "hi there");
                assert_eq!(f.re, Some(7));
            }
            other => panic!("{other:?}"),
        }
        assert!(inbox.push_body(&[0xc1]).is_err());
    }

    #[test]
    fn frames_split_across_chunks_are_reassembled() {
        let mut bytes = message_frame("one");
        bytes.extend(message_frame("two"));
        let mut reader = FrameReader::new();
        let mut texts = Vec::new();
        for chunk in bytes.chunks(7) {
            let mut feed = Feed(chunk);
            loop {
                match reader.read_frame(&mut feed) {
                    Ok(Some(body)) => match decode::<ServerFrame>(body).expect("valid").message {
                        ServerMessage::Message { text, .. } => texts.push(text),
                        other => panic!("{other:?}"),
                    },
                    Err(e) if e.is_timeout() => break,
                    other => panic!("{other:?}"),
                }
            }
        }
        assert_eq!(texts, ["one", "two"]);
    }
}
