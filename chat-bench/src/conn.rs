//! One non-blocking client socket on an event loop: frames out through a buffer flushed when the
//! socket is writable, frames in read until the socket would block.
//!
//! Architecture Invariant: the loop registers sockets edge-triggered, so a readable socket is read
//! until it is empty — a read that would block, or a short read when the peer has not closed —
//! and a write that would block leaves its bytes in `out` until the next writable event. Nothing
//! here blocks or sleeps.

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::ops::Range;
use std::time::Instant;

use chat_core::frame::{FrameReader, decode, encode};
use chat_core::protocol::{ClientFrame, Request, ServerFrame};
use mio::net::TcpStream;
use mio::{Interest, Registry, Token};

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
    /// Ask for delayed acknowledgements (see [`Conn::ask_for_delayed_acks`]).
    delayed_acks: bool,
    /// Reads since delayed acknowledgements were last asked for.
    reads: u32,
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

/// The text of a `message` event, borrowed from the body; `None` for every other frame (and for
/// bodies this walk does not follow, which the full decoder then reads or reports). A fan-out
/// receives millions of these, so the map is walked with MessagePack's low-level reader rather
/// than through serde: its keys are compared in place and the ones not needed skipped.
fn message_text(body: &[u8]) -> Option<&str> {
    let mut rest = body;
    let entries = rmp::decode::read_map_len(&mut rest).ok()?;
    let (mut kind, mut text) = (None, None);
    for _ in 0..entries {
        let (key, after) = rmp::decode::read_str_from_slice(rest).ok()?;
        rest = after;
        match key {
            "type" | "text" => {
                let (value, after) = rmp::decode::read_str_from_slice(rest).ok()?;
                rest = after;
                if key == "type" {
                    kind = Some(value);
                } else {
                    text = Some(value);
                }
            }
            // A reply, not an event (nil is how an absent `re` could also be written).
            "re" if rest.first() != Some(&0xc0) => return None,
            _ => skip_scalar(&mut rest)?,
        }
    }
    match (kind, rest.is_empty()) {
        (Some("message"), true) => text,
        _ => None,
    }
}

/// Skips one MessagePack nil, boolean, number or string; `None` for anything else.
fn skip_scalar(rest: &mut &[u8]) -> Option<()> {
    use rmp::Marker;
    let marker = rmp::decode::read_marker(rest).ok()?;
    let (prefix, len) = match marker {
        Marker::FixPos(_) | Marker::FixNeg(_) | Marker::Null | Marker::True | Marker::False => {
            (0, 0)
        }
        Marker::U8 | Marker::I8 => (0, 1),
        Marker::U16 | Marker::I16 => (0, 2),
        Marker::U32 | Marker::I32 | Marker::F32 => (0, 4),
        Marker::U64 | Marker::I64 | Marker::F64 => (0, 8),
        Marker::FixStr(len) => (0, usize::from(len)),
        Marker::Str8 => (1, usize::from(*rest.first()?)),
        Marker::Str16 => (
            2,
            usize::from(u16::from_be_bytes(rest.get(..2)?.try_into().ok()?)),
        ),
        Marker::Str32 => (
            4,
            usize::try_from(u32::from_be_bytes(rest.get(..4)?.try_into().ok()?)).ok()?,
        ),
        _ => return None,
    };
    *rest = rest.get(prefix..)?.get(len..)?;
    Some(())
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
            reader: FrameReader::new(),
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

    /// Reads one chunk (at most [`READ_CHUNK_BYTES`]) and appends the frames it completes to
    /// `inbox`; `now` is set to when the chunk arrived. A frame that is not a valid server
    /// message is an error. `closing`: the readiness event said the peer closed, so a short read
    /// does not mean the end has been seen.
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
        if self.delayed_acks {
            self.ask_for_delayed_acks();
        }
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
        // A short read emptied the socket: with edge-triggered readiness, bytes arriving later
        // raise a new event, so the read that would only say "would block" is not needed. (A
        // close already queued raises none: then read on until the end.)
        if n < scratch.len() && !closing {
            Ok(ReadStatus::Drained)
        } else {
            Ok(ReadStatus::More)
        }
    }

    /// Puts the socket back in Linux's delayed-acknowledgement ("ping-pong") mode every few
    /// reads. A member that only receives is acknowledged by Linux at once for every small
    /// segment it drains, unless the connection looks interactive; on loopback sending that
    /// acknowledgement and processing it at the server's socket cost the generator about a
    /// third of its time per message, time the server then lacks on a shared machine. A chat
    /// client that also talks is in that mode anyway, and acknowledges every second segment.
    /// The kernel leaves the mode when a delayed acknowledgement times out, hence the
    /// repetition. Elsewhere than Linux this does nothing.
    fn ask_for_delayed_acks(&mut self) {
        const EVERY_READS: u32 = 16;
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
    fn only_a_message_event_is_read_in_place() {
        let event = message_frame("stamp");
        assert_eq!(message_text(body(&event)), Some("stamp"));
        let reply = encode(&ServerFrame {
            time: 1,
            re: Some(3),
            message: ServerMessage::Message {
                room: "bench".into(),
                from: "bench0".into(),
                text: "stamp".into(),
            },
        })
        .expect("small frame");
        assert_eq!(
            message_text(body(&reply)),
            None,
            "a reply is decoded in full"
        );
        let private = encode(&ServerFrame {
            time: -5,
            re: None,
            message: ServerMessage::Private {
                from: "bench0".into(),
                text: "stamp".into(),
            },
        })
        .expect("small frame");
        assert_eq!(message_text(body(&private)), None);
        let mut trailing = body(&event).to_vec();
        trailing.push(0);
        assert_eq!(message_text(&trailing), None);
        assert_eq!(message_text(&body(&event)[..10]), None, "cut short");
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
