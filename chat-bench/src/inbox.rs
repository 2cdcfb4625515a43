//! What a member makes of the bytes it reads: frames split out of each chunk, and the text of
//! every `message` event found in place.
//!
//! A fan-out hands a member millions of small `message` frames, and on a machine it shares with
//! the server every cycle the generator spends is one the server lacks. So a frame that lies
//! whole in the chunk just read is used where it lies (only one that straddles two reads is
//! copied), and a `message` event's text is found by walking the MessagePack map by hand, keys
//! compared as bytes, without building a [`ServerFrame`]. Every other frame is decoded in full.
//! The text is handed on as bytes: the benchmark's stamp is ASCII, and text that is not a stamp
//! counts as foreign whatever it holds.

use std::ops::Range;

use chat_core::frame::decode;
use chat_core::irc::Line;
use chat_core::limits::{LEN_PREFIX_BYTES, MAX_FRAME_BYTES};
use chat_core::protocol::ServerFrame;

/// Where a `message` event's text is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextAt {
    /// In the chunk just read.
    Chunk(Range<usize>),
    /// In [`Inbox::copied`] (the frame straddled two reads).
    Copied(Range<usize>),
}

/// One frame (or IRC line) as the loop hands it on.
#[derive(Debug)]
pub enum Incoming {
    /// A `message` event (or a channel `PRIVMSG`), by where its text is.
    Message(TextAt),
    /// Any other frame, decoded in full (boxed: a frame is far larger than the other variants).
    Frame(Box<ServerFrame>),
    /// Any other IRC line, parsed in full (see [`crate::irc`]).
    Line(Box<Line>),
}

/// The frames of one chunk, in order.
#[derive(Debug, Default)]
pub struct Inbox {
    pub items: Vec<Incoming>,
    /// Texts of messages whose frame straddled two reads.
    pub copied: Vec<u8>,
}

impl Inbox {
    /// The bytes of a message's text: `chunk` is the chunk the frames were split from.
    pub fn text<'a>(copied: &'a [u8], chunk: &'a [u8], at: &TextAt) -> &'a [u8] {
        let (from, range) = match at {
            TextAt::Chunk(range) => (chunk, range),
            TextAt::Copied(range) => (copied, range),
        };
        from.get(range.clone()).unwrap_or_default()
    }

    /// Forgets the frames handed on.
    pub fn clear(&mut self) {
        self.items.clear();
        self.copied.clear();
    }

    /// A frame body lying whole in `chunk`, at `body`.
    fn push_in_chunk(&mut self, chunk: &[u8], body: Range<usize>) -> Result<(), String> {
        let bytes = &chunk[body.clone()];
        match message_text(bytes) {
            Some(text) => self.items.push(Incoming::Message(TextAt::Chunk(
                body.start + text.start..body.start + text.end,
            ))),
            None => self.items.push(Incoming::Frame(Box::new(
                decode::<ServerFrame>(bytes).map_err(|e| e.to_string())?,
            ))),
        }
        Ok(())
    }

    /// A frame body put together from two reads or more.
    fn push_copied(&mut self, body: &[u8]) -> Result<(), String> {
        match message_text(body) {
            Some(text) => {
                let start = self.copied.len();
                self.copied.extend_from_slice(&body[text]);
                let at = TextAt::Copied(start..self.copied.len());
                self.items.push(Incoming::Message(at));
            }
            None => self.items.push(Incoming::Frame(Box::new(
                decode::<ServerFrame>(body).map_err(|e| e.to_string())?,
            ))),
        }
        Ok(())
    }
}

/// Splits a stream's chunks into frames, keeping the start of a frame that a chunk cuts until the
/// next chunk completes it.
#[derive(Debug, Default)]
pub struct Frames {
    /// A frame begun (length prefix included), not yet complete; at most a whole frame.
    partial: Vec<u8>,
}

impl Frames {
    /// Appends to `inbox` every frame `chunk` completes. A length prefix above
    /// [`MAX_FRAME_BYTES`] or a body that is not a server message is an error.
    pub fn split(&mut self, chunk: &[u8], inbox: &mut Inbox) -> Result<(), String> {
        let mut pos = if self.partial.is_empty() {
            0
        } else {
            self.complete_partial(chunk, inbox)?
        };
        while let Some(len) = body_len(&chunk[pos..])? {
            let body = pos + LEN_PREFIX_BYTES..pos + LEN_PREFIX_BYTES + len;
            if body.end > chunk.len() {
                break;
            }
            pos = body.end;
            inbox.push_in_chunk(chunk, body)?;
        }
        self.partial.extend_from_slice(&chunk[pos..]);
        Ok(())
    }

    /// Feeds the partial frame from the start of `chunk`; returns how many bytes it took.
    fn complete_partial(&mut self, chunk: &[u8], inbox: &mut Inbox) -> Result<usize, String> {
        let missing_prefix = LEN_PREFIX_BYTES.saturating_sub(self.partial.len());
        let mut used = missing_prefix.min(chunk.len());
        self.partial.extend_from_slice(&chunk[..used]);
        let Some(len) = body_len(&self.partial)? else {
            return Ok(used);
        };
        let total = LEN_PREFIX_BYTES + len;
        let take = (total - self.partial.len()).min(chunk.len() - used);
        self.partial.extend_from_slice(&chunk[used..used + take]);
        used += take;
        if self.partial.len() == total {
            inbox.push_copied(&self.partial[LEN_PREFIX_BYTES..])?;
            self.partial.clear();
        }
        Ok(used)
    }
}

/// The body length announced at the start of `bytes`; `None` when the prefix is not all there.
fn body_len(bytes: &[u8]) -> Result<Option<usize>, String> {
    let Some(prefix) = bytes.first_chunk::<LEN_PREFIX_BYTES>() else {
        return Ok(None);
    };
    let len = u32::from_be_bytes(*prefix) as usize;
    if len > MAX_FRAME_BYTES {
        return Err(format!(
            "a frame of {len} bytes, over the limit of {MAX_FRAME_BYTES}"
        ));
    }
    Ok(Some(len))
}

/// Where the text of a `message` event lies in its body; `None` for every other frame (and for a
/// body this walk does not follow, which the full decoder then reads or reports).
fn message_text(body: &[u8]) -> Option<Range<usize>> {
    let (entries, mut pos) = match *body.first()? {
        fixmap @ 0x80..=0x8f => (usize::from(fixmap & 0x0f), 1),
        0xde => (
            usize::from(u16::from_be_bytes(*body.get(1..)?.first_chunk()?)),
            3,
        ),
        _ => return None,
    };
    let (mut is_message, mut text) = (false, None);
    for _ in 0..entries {
        let key = str_at(body, pos)?;
        pos = key.end;
        match &body[key] {
            b"type" => {
                let value = str_at(body, pos)?;
                pos = value.end;
                is_message = &body[value] == b"message";
            }
            b"text" => {
                let value = str_at(body, pos)?;
                pos = value.end;
                text = Some(value);
            }
            // A reply, not an event (nil is how an absent `re` could also be written).
            b"re" if body.get(pos) != Some(&0xc0) => return None,
            _ => pos = scalar_end(body, pos)?,
        }
    }
    if is_message && pos == body.len() {
        text
    } else {
        None
    }
}

/// The bytes of the MessagePack string at `pos`.
fn str_at(body: &[u8], pos: usize) -> Option<Range<usize>> {
    let rest = body.get(pos + 1..)?;
    let (len, head) = match *body.get(pos)? {
        fixstr @ 0xa0..=0xbf => (usize::from(fixstr & 0x1f), 1),
        0xd9 => (usize::from(*rest.first()?), 2),
        0xda => (usize::from(u16::from_be_bytes(*rest.first_chunk()?)), 3),
        0xdb => (
            usize::try_from(u32::from_be_bytes(*rest.first_chunk()?)).ok()?,
            5,
        ),
        _ => return None,
    };
    let start = pos + head;
    let end = start.checked_add(len)?;
    (end <= body.len()).then_some(start..end)
}

/// Where the MessagePack nil, boolean, number or string at `pos` ends; `None` for anything else.
fn scalar_end(body: &[u8], pos: usize) -> Option<usize> {
    let end = match *body.get(pos)? {
        0x00..=0x7f | 0xe0..=0xff | 0xc0 | 0xc2 | 0xc3 => pos + 1,
        0xcc | 0xd0 => pos + 2,
        0xcd | 0xd1 => pos + 3,
        0xca | 0xce | 0xd2 => pos + 5,
        0xcb | 0xcf | 0xd3 => pos + 9,
        _ => return str_at(body, pos).map(|text| text.end),
    };
    (end <= body.len()).then_some(end)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chat_core::frame::encode;
    use chat_core::protocol::ServerMessage;

    fn frame(re: Option<u32>, message: ServerMessage) -> Vec<u8> {
        encode(&ServerFrame {
            time: 1_795_600_000_000,
            re,
            message,
        })
        .expect("small frame")
    }

    fn message_frame(text: &str) -> Vec<u8> {
        frame(
            None,
            ServerMessage::Message {
                attachments: Vec::new(),
                reply_to: None,
                room: "bench".into(),
                from: "bench0".into(),
                text: text.into(),
                id: 0,
            },
        )
    }

    fn texts(inbox: &Inbox, chunk: &[u8]) -> Vec<String> {
        inbox
            .items
            .iter()
            .map(|item| match item {
                Incoming::Message(at) => {
                    String::from_utf8_lossy(Inbox::text(&inbox.copied, chunk, at)).into_owned()
                }
                Incoming::Frame(f) => format!("{:?}", f.message),
                Incoming::Line(line) => format!("{line:?}"),
            })
            .collect()
    }

    #[test]
    fn only_a_message_event_is_read_in_place() {
        let event = message_frame("stamp");
        let body = &event[LEN_PREFIX_BYTES..];
        assert_eq!(message_text(body).map(|r| &body[r]), Some(&b"stamp"[..]));
        let reply = frame(
            Some(3),
            ServerMessage::Message {
                attachments: Vec::new(),
                reply_to: None,
                room: "bench".into(),
                from: "bench0".into(),
                text: "stamp".into(),
                id: 0,
            },
        );
        assert_eq!(message_text(&reply[LEN_PREFIX_BYTES..]), None, "a reply");
        let private = frame(
            None,
            ServerMessage::Private {
                attachments: Vec::new(),
                reply_to: None,
                from: "bench0".into(),
                text: "stamp".into(),
                stored: false,
                id: 0,
            },
        );
        assert_eq!(message_text(&private[LEN_PREFIX_BYTES..]), None);
        let mut trailing = body.to_vec();
        trailing.push(0);
        assert_eq!(message_text(&trailing), None, "bytes after the map");
        assert_eq!(message_text(&body[..10]), None, "cut short");
        let long = message_frame(&"y".repeat(1000));
        assert_eq!(
            message_text(&long[LEN_PREFIX_BYTES..]).map(|r| r.len()),
            Some(1000)
        );
    }

    #[test]
    fn message_events_are_found_in_place_and_others_decode_in_full() {
        let mut chunk = message_frame("hi there");
        chunk.extend(frame(
            Some(7),
            ServerMessage::Rooms {
                rooms: Vec::new(),
                total: 0,
                offset: 0,
            },
        ));
        let (mut frames, mut inbox) = (Frames::default(), Inbox::default());
        frames.split(&chunk, &mut inbox).expect("valid");
        assert!(matches!(
            inbox.items[0],
            Incoming::Message(TextAt::Chunk(_))
        ));
        assert_eq!(
            texts(&inbox, &chunk),
            ["hi there", "Rooms { rooms: [], total: 0, offset: 0 }"]
        );
        assert!(inbox.copied.is_empty());
    }

    #[test]
    fn frames_cut_by_any_chunk_boundary_are_put_together() {
        let mut stream = Vec::new();
        for text in ["one", "two", "three"] {
            stream.extend(message_frame(text));
        }
        stream.extend(frame(None, ServerMessage::Ping));
        for size in 1..stream.len() {
            let (mut frames, mut got) = (Frames::default(), Vec::new());
            for chunk in stream.chunks(size) {
                let mut inbox = Inbox::default();
                frames.split(chunk, &mut inbox).expect("valid");
                got.extend(texts(&inbox, chunk));
            }
            assert_eq!(got, ["one", "two", "three", "Ping"], "chunks of {size}");
            assert!(frames.partial.is_empty());
        }
    }

    #[test]
    fn an_oversized_prefix_or_a_bad_body_is_an_error() {
        let mut frames = Frames::default();
        let too_large = u32::try_from(MAX_FRAME_BYTES + 1)
            .expect("fits")
            .to_be_bytes();
        assert!(frames.split(&too_large, &mut Inbox::default()).is_err());
        let mut garbage = 1u32.to_be_bytes().to_vec();
        garbage.push(0xc1);
        assert!(
            Frames::default()
                .split(&garbage, &mut Inbox::default())
                .is_err()
        );
    }
}
