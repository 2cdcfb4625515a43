//! What a member makes of the bytes it reads: frames split out of each chunk, and the text of
//! every `message` event found in place.
//!
//! A fan-out hands a member millions of small `message` frames, and on a machine it shares with
//! the server every cycle the generator spends is one the server lacks. So a frame that lies
//! whole in the chunk just read is used where it lies (only one that straddles two reads is
//! copied), and a `message` event's text is found by walking the MessagePack map by hand, keys
//! compared as bytes, without building a [`ServerFrame`]; so is a `reactions` event's line and
//! each emoji's count (a reaction storm sends every member a frame listing up to 400 reactors
//! five times a second). Every other frame is decoded in full.
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
    /// A `reactions` event, read in place.
    Reactions(Box<ReactionCounts>),
    /// Any other frame, decoded in full (boxed: a frame is far larger than the other variants).
    Frame(Box<ServerFrame>),
    /// Any other IRC line, parsed in full (see [`crate::irc`]).
    Line(Box<Line>),
}

/// What a `reactions` event says: the line, and each emoji on it with its count (who put them
/// is skipped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReactionCounts {
    pub line: u64,
    pub counts: Vec<(String, u32)>,
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
            None => self.push_other(bytes)?,
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
            None => self.push_other(body)?,
        }
        Ok(())
    }

    /// A frame body that is not a `message` event.
    fn push_other(&mut self, body: &[u8]) -> Result<(), String> {
        let item = match reaction_counts(body) {
            Some(counts) => Incoming::Reactions(Box::new(counts)),
            None => Incoming::Frame(Box::new(
                decode::<ServerFrame>(body).map_err(|e| e.to_string())?,
            )),
        };
        self.items.push(item);
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

/// A `reactions` event's line and counts; `None` for every other frame (and for a body this walk
/// does not follow, which the full decoder then reads or reports).
fn reaction_counts(body: &[u8]) -> Option<ReactionCounts> {
    let (entries, mut pos) = map_at(body, 0)?;
    let (mut is_reactions, mut line, mut counts) = (false, None, None);
    for _ in 0..entries {
        let key = str_at(body, pos)?;
        pos = key.end;
        match &body[key] {
            b"type" => {
                let value = str_at(body, pos)?;
                if &body[value.clone()] != b"reactions" {
                    return None;
                }
                is_reactions = true;
                pos = value.end;
            }
            b"line" => {
                let (n, end) = uint_at(body, pos)?;
                line = Some(n);
                pos = end;
            }
            b"reactions" => {
                let (list, end) = reaction_list(body, pos)?;
                counts = Some(list);
                pos = end;
            }
            b"re" if body.get(pos) != Some(&0xc0) => return None,
            _ => pos = scalar_end(body, pos)?,
        }
    }
    (is_reactions && pos == body.len()).then_some(ReactionCounts {
        line: line?,
        counts: counts?,
    })
}

/// The array of reaction maps at `pos`: each emoji and its count; and where the array ends.
fn reaction_list(body: &[u8], pos: usize) -> Option<(Vec<(String, u32)>, usize)> {
    let (len, mut pos) = array_at(body, pos)?;
    let mut list = Vec::with_capacity(len.min(64));
    for _ in 0..len {
        let (fields, mut at) = map_at(body, pos)?;
        let (mut emoji, mut count) = (None, None);
        for _ in 0..fields {
            let key = str_at(body, at)?;
            at = key.end;
            match &body[key] {
                b"emoji" => {
                    let value = str_at(body, at)?;
                    at = value.end;
                    emoji = Some(std::str::from_utf8(&body[value]).ok()?.to_owned());
                }
                b"count" => {
                    let (n, end) = uint_at(body, at)?;
                    count = Some(u32::try_from(n).ok()?);
                    at = end;
                }
                b"by" => {
                    let (names, mut end) = array_at(body, at)?;
                    for _ in 0..names {
                        end = str_at(body, end)?.end;
                    }
                    at = end;
                }
                _ => at = scalar_end(body, at)?,
            }
        }
        list.push((emoji?, count?));
        pos = at;
    }
    Some((list, pos))
}

/// The number of entries of the MessagePack map at `pos`, and where its first key is.
fn map_at(body: &[u8], pos: usize) -> Option<(usize, usize)> {
    length_at(body, pos, 0x80, 0xde)
}

/// The length of the MessagePack array at `pos`, and where its first item is.
fn array_at(body: &[u8], pos: usize) -> Option<(usize, usize)> {
    length_at(body, pos, 0x90, 0xdc)
}

/// A map's or an array's length at `pos` and where its first element is: maps and arrays are
/// told apart only by their tags, `fix` (the short form, length in the low four bits) and
/// `wide16` (a 16-bit length; the 32-bit form's tag follows it).
fn length_at(body: &[u8], pos: usize, fix: u8, wide16: u8) -> Option<(usize, usize)> {
    let tag = *body.get(pos)?;
    let rest = body.get(pos + 1..)?;
    if tag & 0xf0 == fix {
        Some((usize::from(tag & 0x0f), pos + 1))
    } else if tag == wide16 {
        let n = u16::from_be_bytes(*rest.first_chunk()?);
        Some((usize::from(n), pos + 3))
    } else if tag == wide16 + 1 {
        let n = u32::from_be_bytes(*rest.first_chunk()?);
        Some((usize::try_from(n).ok()?, pos + 5))
    } else {
        None
    }
}

/// The MessagePack unsigned integer at `pos`, and where it ends.
fn uint_at(body: &[u8], pos: usize) -> Option<(u64, usize)> {
    let rest = body.get(pos + 1..)?;
    match *body.get(pos)? {
        n @ 0x00..=0x7f => Some((u64::from(n), pos + 1)),
        0xcc => Some((u64::from(*rest.first()?), pos + 2)),
        0xcd => Some((u64::from(u16::from_be_bytes(*rest.first_chunk()?)), pos + 3)),
        0xce => Some((u64::from(u32::from_be_bytes(*rest.first_chunk()?)), pos + 5)),
        0xcf => Some((u64::from_be_bytes(*rest.first_chunk()?), pos + 9)),
        _ => None,
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
    use chat_core::protocol::{Reaction, ServerMessage, Target};

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
                Incoming::Reactions(r) => format!("{r:?}"),
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

    fn reactions_frame(re: Option<u32>, target: Target, line: u64, kinds: usize) -> Vec<u8> {
        let reactions = (0..kinds)
            .map(|k| Reaction {
                emoji: ["👍", "❤️", "🎉"][k % 3].repeat(k / 3 + 1),
                count: 1000 + k as u32 * 70_000,
                by: (0..20).map(|i| format!("member{i}")).collect(),
            })
            .collect();
        frame(
            re,
            ServerMessage::Reactions {
                target,
                line,
                reactions,
            },
        )
    }

    #[test]
    fn a_reactions_event_is_read_in_place_to_the_same_counts_as_the_decoder() {
        for (target, line, kinds) in [
            (Target::Room("bench".into()), 7, 20),
            (Target::With("bench1".into()), 300_000, 1),
            (Target::Room("bench".into()), u64::MAX, 0),
        ] {
            let bytes = reactions_frame(None, target, line, kinds);
            let body = &bytes[LEN_PREFIX_BYTES..];
            let Ok(ServerFrame {
                message: ServerMessage::Reactions { reactions, .. },
                ..
            }) = decode::<ServerFrame>(body)
            else {
                panic!("not a reactions frame");
            };
            let counts = reactions.into_iter().map(|r| (r.emoji, r.count)).collect();
            assert_eq!(reaction_counts(body), Some(ReactionCounts { line, counts }));
            let mut inbox = Inbox::default();
            Frames::default().split(&bytes, &mut inbox).expect("valid");
            assert!(matches!(inbox.items[0], Incoming::Reactions(_)));
        }
        let reply = reactions_frame(Some(4), Target::Room("bench".into()), 1, 2);
        assert_eq!(reaction_counts(&reply[LEN_PREFIX_BYTES..]), None, "a reply");
        let event = reactions_frame(None, Target::Room("bench".into()), 1, 2);
        let body = &event[LEN_PREFIX_BYTES..];
        assert_eq!(reaction_counts(&body[..body.len() - 1]), None, "cut short");
        let mut trailing = body.to_vec();
        trailing.push(0);
        assert_eq!(reaction_counts(&trailing), None, "bytes after the map");
        assert_eq!(
            reaction_counts(&message_frame("x")[LEN_PREFIX_BYTES..]),
            None
        );
    }

    #[test]
    fn maps_and_arrays_of_every_length_form_are_told_apart() {
        // (array header, map header, length, where the first element is)
        let forms: [(&[u8], &[u8], usize, usize); 5] = [
            (&[0x90], &[0x80], 0, 1),
            (&[0x9f], &[0x8f], 15, 1),
            (&[0xdc, 0x01, 0x00], &[0xde, 0x01, 0x00], 256, 3),
            (
                &[0xdd, 0x00, 0x01, 0x00, 0x00],
                &[0xdf, 0x00, 0x01, 0x00, 0x00],
                65_536,
                5,
            ),
            (
                &[0xdd, 0xff, 0xff, 0xff, 0xff],
                &[0xdf, 0xff, 0xff, 0xff, 0xff],
                0xffff_ffff,
                5,
            ),
        ];
        for (array, map, len, first) in forms {
            assert_eq!(array_at(array, 0), Some((len, first)), "array of {len}");
            assert_eq!(map_at(map, 0), Some((len, first)), "map of {len}");
            assert_eq!(map_at(array, 0), None, "an array is not a map");
            assert_eq!(array_at(map, 0), None, "a map is not an array");
            if first > 1 {
                assert_eq!(array_at(&array[..first - 1], 0), None, "cut short");
                assert_eq!(map_at(&map[..first - 1], 0), None, "cut short");
            }
        }
        assert_eq!(
            array_at(&[0x00, 0x92], 1),
            Some((2, 2)),
            "found at its place"
        );
        assert_eq!(map_at(&[], 0), None);
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
