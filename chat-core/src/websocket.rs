//! WebSocket framing (RFC 6455, section 5), as the chat carries its frames to a web browser:
//! the opening handshake's accept key, and frame headers read and written. Only what the chat
//! needs: no extensions (no compression), binary data, the control frames.
//!
//! The chat's frames travel as the payload of binary messages, as a byte stream: a message may
//! hold several chat frames, and a chat frame may be cut across messages; the receiver joins the
//! payloads and reads frames from them as from a TCP stream (see `docs/PROTOCOL.md`, *The web*).
//! So nothing here holds a message whole: a reader takes a header, then the payload as it comes.

use std::fmt;

use crate::limits::{LEN_PREFIX_BYTES, MAX_FRAME_BYTES};

/// The GUID the accept key is made with (RFC 6455, section 1.3).
#[cfg(not(target_arch = "wasm32"))]
const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// The longest a data frame may be: one whole chat frame, with its length prefix. A browser
/// sends each `send` as one frame, and the client sends one chat frame per `send`.
pub const MAX_DATA_FRAME_BYTES: u64 = (MAX_FRAME_BYTES + LEN_PREFIX_BYTES) as u64;
/// The longest a control frame's payload may be (RFC 6455, section 5.5).
pub const MAX_CONTROL_BYTES: usize = 125;
/// The longest a header is: 2 bytes, 8 of length, 4 of mask.
pub const MAX_HEADER_BYTES: usize = 14;

/// The `Sec-WebSocket-Accept` that answers a `Sec-WebSocket-Key`.
#[cfg(not(target_arch = "wasm32"))]
pub fn accept_key(key: &str) -> String {
    use base64::Engine as _;
    let mut joined = key.trim().as_bytes().to_vec();
    joined.extend_from_slice(GUID.as_bytes());
    let digest = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &joined);
    base64::engine::general_purpose::STANDARD.encode(digest.as_ref())
}

/// What a frame carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opcode {
    /// More of the message the last data frame began.
    Continuation,
    /// UTF-8 text: not the chat's (its frames are binary).
    Text,
    /// Bytes: the chat's frames.
    Binary,
    /// The end of the connection, with a status code and a reason.
    Close,
    /// Asks for a pong with the same payload.
    Ping,
    /// Answers a ping.
    Pong,
}

impl Opcode {
    fn from_bits(bits: u8) -> Option<Opcode> {
        Some(match bits {
            0x0 => Opcode::Continuation,
            0x1 => Opcode::Text,
            0x2 => Opcode::Binary,
            0x8 => Opcode::Close,
            0x9 => Opcode::Ping,
            0xA => Opcode::Pong,
            _ => return None,
        })
    }

    fn bits(self) -> u8 {
        match self {
            Opcode::Continuation => 0x0,
            Opcode::Text => 0x1,
            Opcode::Binary => 0x2,
            Opcode::Close => 0x8,
            Opcode::Ping => 0x9,
            Opcode::Pong => 0xA,
        }
    }

    /// Whether this is a control frame (close, ping, pong).
    pub fn is_control(self) -> bool {
        matches!(self, Opcode::Close | Opcode::Ping | Opcode::Pong)
    }
}

/// A frame's header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// The last frame of its message.
    pub fin: bool,
    pub opcode: Opcode,
    /// The key the payload is masked with (every frame from a client has one).
    pub mask: Option<[u8; 4]>,
    /// The payload's length.
    pub len: u64,
}

/// Close codes (RFC 6455, section 7.4.1).
pub mod close {
    /// The end of a connection that did what it was for.
    pub const NORMAL: u16 = 1000;
    /// A frame RFC 6455 forbids.
    pub const PROTOCOL_ERROR: u16 = 1002;
    /// Data of a kind this end does not take (text, where the chat speaks binary).
    pub const UNSUPPORTED_DATA: u16 = 1003;
    /// A frame longer than this end takes.
    pub const TOO_BIG: u16 = 1009;
}

/// Why a header was refused (closed with [`close::PROTOCOL_ERROR`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// A reserved bit set: no extension was agreed.
    Reserved,
    /// An opcode RFC 6455 does not define.
    Opcode(u8),
    /// A control frame cut in pieces or longer than 125 bytes.
    Control,
    /// A length with its top bit set.
    Length,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refused::Reserved => write!(f, "a reserved bit is set, and no extension was agreed"),
            Refused::Opcode(bits) => write!(f, "opcode {bits:#x} is not defined"),
            Refused::Control => write!(f, "a control frame longer than 125 bytes or fragmented"),
            Refused::Length => write!(f, "a payload length with its top bit set"),
        }
    }
}

impl Header {
    /// Reads a header from the start of `buf`: the header and how many bytes it took, `None` if
    /// `buf` does not hold all of it yet.
    pub fn parse(buf: &[u8]) -> Result<Option<(Header, usize)>, Refused> {
        let [first, second, ..] = *buf else {
            return Ok(None);
        };
        if first & 0x70 != 0 {
            return Err(Refused::Reserved);
        }
        let fin = first & 0x80 != 0;
        let opcode = Opcode::from_bits(first & 0x0F).ok_or(Refused::Opcode(first & 0x0F))?;
        let masked = second & 0x80 != 0;
        let (len, mut at) = match second & 0x7F {
            126 => match buf.get(2..4) {
                Some(b) => (u64::from(u16::from_be_bytes([b[0], b[1]])), 4),
                None => return Ok(None),
            },
            127 => match buf.get(2..10) {
                Some(b) => {
                    let mut bytes = [0u8; 8];
                    bytes.copy_from_slice(b);
                    (u64::from_be_bytes(bytes), 10)
                }
                None => return Ok(None),
            },
            short => (u64::from(short), 2),
        };
        if len >> 63 != 0 {
            return Err(Refused::Length);
        }
        if opcode.is_control() && (!fin || len > MAX_CONTROL_BYTES as u64) {
            return Err(Refused::Control);
        }
        let mask = if masked {
            let Some(b) = buf.get(at..at + 4) else {
                return Ok(None);
            };
            at += 4;
            Some([b[0], b[1], b[2], b[3]])
        } else {
            None
        };
        Ok(Some((
            Header {
                fin,
                opcode,
                mask,
                len,
            },
            at,
        )))
    }

    /// Appends this header to `out`.
    pub fn write(&self, out: &mut Vec<u8>) {
        out.push(u8::from(self.fin) << 7 | self.opcode.bits());
        let mask_bit = if self.mask.is_some() { 0x80 } else { 0 };
        match self.len {
            len @ 0..=125 => out.push(mask_bit | len as u8),
            len @ 126..=0xFFFF => {
                out.push(mask_bit | 126);
                out.extend_from_slice(&(len as u16).to_be_bytes());
            }
            len => {
                out.push(mask_bit | 127);
                out.extend_from_slice(&len.to_be_bytes());
            }
        }
        if let Some(mask) = self.mask {
            out.extend_from_slice(&mask);
        }
    }
}

/// Appends a whole unmasked frame (as a server sends) to `out`.
pub fn frame(opcode: Opcode, payload: &[u8], out: &mut Vec<u8>) {
    Header {
        fin: true,
        opcode,
        mask: None,
        len: payload.len() as u64,
    }
    .write(out);
    out.extend_from_slice(payload);
}

/// A close frame's payload: the status code, then the reason (cut to fit 125 bytes, at a
/// character boundary).
pub fn close_payload(code: u16, reason: &str) -> Vec<u8> {
    let mut payload = code.to_be_bytes().to_vec();
    let mut end = reason.len().min(MAX_CONTROL_BYTES - 2);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    payload.extend_from_slice(&reason.as_bytes()[..end]);
    payload
}

/// Masks or unmasks `buf` in place with `mask`, `offset` bytes into the payload.
pub fn apply_mask(buf: &mut [u8], mask: [u8; 4], offset: u64) {
    let start = (offset % 4) as usize;
    for (i, byte) in buf.iter_mut().enumerate() {
        *byte ^= mask[(start + i) % 4];
    }
}

/// What reading a client's frames (as a server) asks the writer to send: pongs and the close
/// frame that answers a close or a refusal. The reader appends them to `replies`.
///
/// Reads a client's frames from a byte source and hands out their payloads as one byte stream:
/// message boundaries carry no meaning, as the chat reads its own frames from the stream. Keeps
/// a partial header across read timeouts (the source's errors are passed on, the state kept).
#[derive(Debug, Default)]
pub struct Deframer {
    /// Bytes read from the source and not yet used: `raw[at..end]`.
    raw: Vec<u8>,
    at: usize,
    end: usize,
    /// Payload bytes left of the current data frame.
    left: u64,
    /// Its mask, and how far into its payload the next byte is.
    mask: [u8; 4],
    offset: u64,
    /// A data frame without `fin` came: the message goes on in continuation frames.
    in_message: bool,
    /// A close came or was sent: the stream has ended.
    closed: bool,
}

/// Bytes read from the source at a time for headers and control frames.
const RAW_CHUNK_BYTES: usize = 4 * 1024;

impl Deframer {
    /// Reads payload bytes into `buf`: `Ok(0)` at the end (a close frame, or the source's end),
    /// an `InvalidData` error for a frame this side refuses (after appending its close frame to
    /// `replies`). Pongs for pings, and the answer to a close, are appended to `replies`; after
    /// a ping it returns an `Interrupted` error rather than wait for more of the source, so that
    /// the pong goes out at once (callers that read on, as `read_exact` does, retry).
    pub fn read(
        &mut self,
        source: &mut impl std::io::Read,
        buf: &mut [u8],
        replies: &mut Vec<u8>,
    ) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            if self.closed {
                return Ok(0);
            }
            if self.left > 0 {
                let want = buf
                    .len()
                    .min(usize::try_from(self.left).unwrap_or(usize::MAX));
                let n = if self.at < self.end {
                    let n = want.min(self.end - self.at);
                    buf[..n].copy_from_slice(&self.raw[self.at..self.at + n]);
                    self.at += n;
                    n
                } else {
                    // Straight from the source: no copy for a frame's bulk.
                    match source.read(&mut buf[..want])? {
                        0 => return Ok(0),
                        n => n,
                    }
                };
                apply_mask(&mut buf[..n], self.mask, self.offset);
                self.offset += n as u64;
                self.left -= n as u64;
                return Ok(n);
            }
            let parsed = match Header::parse(&self.raw[self.at..self.end]) {
                Ok(parsed) => parsed,
                Err(refused) => {
                    return Err(self.refuse(close::PROTOCOL_ERROR, &refused.to_string(), replies));
                }
            };
            let Some((header, used)) = parsed else {
                if !self.fill(source)? {
                    return Ok(0);
                }
                continue;
            };
            let Some(mask) = header.mask else {
                return Err(self.refuse(
                    close::PROTOCOL_ERROR,
                    "a client's frames must be masked",
                    replies,
                ));
            };
            match header.opcode {
                Opcode::Text => {
                    return Err(self.refuse(
                        close::UNSUPPORTED_DATA,
                        "text frames: the chat's frames travel in binary messages",
                        replies,
                    ));
                }
                Opcode::Binary | Opcode::Continuation => {
                    let continues = header.opcode == Opcode::Continuation;
                    if continues != self.in_message {
                        let why = if continues {
                            "a continuation frame with no message to continue"
                        } else {
                            "a new message before the last one ended"
                        };
                        return Err(self.refuse(close::PROTOCOL_ERROR, why, replies));
                    }
                    if header.len > MAX_DATA_FRAME_BYTES {
                        return Err(self.refuse(
                            close::TOO_BIG,
                            &format!("a frame longer than {MAX_DATA_FRAME_BYTES} bytes"),
                            replies,
                        ));
                    }
                    self.at += used;
                    self.in_message = !header.fin;
                    (self.left, self.mask, self.offset) = (header.len, mask, 0);
                }
                Opcode::Ping | Opcode::Pong | Opcode::Close => {
                    // At most 125 bytes: read whole before it is used.
                    let len = header.len as usize;
                    if self.end - self.at < used + len {
                        if !self.fill(source)? {
                            return Ok(0);
                        }
                        continue;
                    }
                    let start = self.at + used;
                    let mut payload = self.raw[start..start + len].to_vec();
                    self.at = start + len;
                    apply_mask(&mut payload, mask, 0);
                    match header.opcode {
                        Opcode::Ping => {
                            frame(Opcode::Pong, &payload, replies);
                            // A ping alone may be all the peer sends for a while.
                            return Err(std::io::ErrorKind::Interrupted.into());
                        }
                        Opcode::Close => {
                            // Echo its status code (RFC 6455, section 5.5.1), then end.
                            let code = match payload.get(..2) {
                                Some(&[a, b]) => u16::from_be_bytes([a, b]),
                                _ => close::NORMAL,
                            };
                            frame(Opcode::Close, &close_payload(code, ""), replies);
                            self.closed = true;
                            return Ok(0);
                        }
                        _ => {}
                    }
                }
            }
        }
    }

    /// Reads more from the source into `raw`; `false` at the source's end.
    fn fill(&mut self, source: &mut impl std::io::Read) -> std::io::Result<bool> {
        if self.at > 0 {
            self.raw.copy_within(self.at..self.end, 0);
            self.end -= self.at;
            self.at = 0;
        }
        if self.raw.len() < RAW_CHUNK_BYTES {
            self.raw.resize(RAW_CHUNK_BYTES, 0);
        }
        let n = source.read(&mut self.raw[self.end..])?;
        self.end += n;
        Ok(n > 0)
    }

    /// Ends the stream with close `code`: its frame goes to `replies`, the error to the caller.
    fn refuse(&mut self, code: u16, why: &str, replies: &mut Vec<u8>) -> std::io::Error {
        frame(Opcode::Close, &close_payload(code, why), replies);
        self.closed = true;
        std::io::Error::new(std::io::ErrorKind::InvalidData, format!("WebSocket: {why}"))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn the_accept_key_is_rfc_6455s_example() {
        assert_eq!(
            accept_key("dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn rfc_6455s_example_frames_read_as_written() {
        // A single-frame masked text message containing "Hello" (section 5.7).
        let masked = [
            0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
        ];
        let (header, at) = Header::parse(&masked).unwrap().unwrap();
        assert_eq!(at, 6);
        assert_eq!(header.opcode, Opcode::Text);
        let mut payload = masked[at..].to_vec();
        apply_mask(&mut payload, header.mask.unwrap(), 0);
        assert_eq!(payload, b"Hello");
        // 256 bytes binary message in a single unmasked frame.
        let mut out = Vec::new();
        frame(Opcode::Binary, &[0u8; 256], &mut out);
        assert_eq!(&out[..4], &[0x82, 0x7E, 0x01, 0x00]);
    }

    #[test]
    fn what_rfc_6455_forbids_is_refused() {
        assert_eq!(Header::parse(&[0xC2, 0x00]), Err(Refused::Reserved));
        assert_eq!(Header::parse(&[0x83, 0x00]), Err(Refused::Opcode(3)));
        assert_eq!(Header::parse(&[0x09, 0x00]), Err(Refused::Control));
        assert_eq!(Header::parse(&[0x89, 126, 0, 126]), Err(Refused::Control));
        let mut huge = vec![0x82, 127];
        huge.extend_from_slice(&u64::MAX.to_be_bytes());
        assert_eq!(Header::parse(&huge), Err(Refused::Length));
    }

    #[test]
    fn a_close_reason_is_cut_at_a_character_to_fit() {
        let payload = close_payload(1009, &"é".repeat(100));
        assert!(payload.len() <= MAX_CONTROL_BYTES);
        assert!(std::str::from_utf8(&payload[2..]).is_ok());
    }

    /// A client's frame: masked with `mask`.
    fn client_frame(fin: bool, opcode: Opcode, payload: &[u8], mask: [u8; 4]) -> Vec<u8> {
        let mut out = Vec::new();
        Header {
            fin,
            opcode,
            mask: Some(mask),
            len: payload.len() as u64,
        }
        .write(&mut out);
        let mut masked = payload.to_vec();
        apply_mask(&mut masked, mask, 0);
        out.extend_from_slice(&masked);
        out
    }

    /// A source that gives at most `step` bytes a read.
    struct Trickle<'a> {
        bytes: &'a [u8],
        step: usize,
    }

    impl std::io::Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = buf.len().min(self.step).min(self.bytes.len());
            buf[..n].copy_from_slice(&self.bytes[..n]);
            self.bytes = &self.bytes[n..];
            Ok(n)
        }
    }

    /// Everything a deframer gives from `wire`, read `step` bytes at a time: the payload, the
    /// replies, and the error that ended it if any.
    fn deframe(wire: &[u8], step: usize) -> (Vec<u8>, Vec<u8>, Option<std::io::Error>) {
        let mut source = Trickle { bytes: wire, step };
        let mut deframer = Deframer::default();
        let (mut got, mut replies) = (Vec::new(), Vec::new());
        let mut buf = [0u8; 7];
        loop {
            match deframer.read(&mut source, &mut buf, &mut replies) {
                Ok(0) => return (got, replies, None),
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return (got, replies, Some(e)),
            }
        }
    }

    #[test]
    fn a_ping_is_answered_before_the_source_is_read_again() {
        /// Gives its bytes once; a second read would wait for a peer that sent nothing more.
        struct Once(Option<Vec<u8>>);
        impl std::io::Read for Once {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let bytes = self.0.take().expect("read again before the pong went out");
                buf[..bytes.len()].copy_from_slice(&bytes);
                Ok(bytes.len())
            }
        }
        let mut source = Once(Some(client_frame(
            true,
            Opcode::Ping,
            b"hola",
            [7, 7, 7, 7],
        )));
        let (mut deframer, mut replies) = (Deframer::default(), Vec::new());
        let error = deframer
            .read(&mut source, &mut [0u8; 16], &mut replies)
            .unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::Interrupted);
        let mut pong = Vec::new();
        frame(Opcode::Pong, b"hola", &mut pong);
        assert_eq!(replies, pong);
    }

    #[test]
    fn payloads_join_into_one_stream_and_pings_are_answered() {
        let mask = [1, 2, 3, 4];
        let mut wire = client_frame(false, Opcode::Binary, b"hello ", mask);
        wire.extend(client_frame(true, Opcode::Ping, b"are you there", mask));
        wire.extend(client_frame(
            true,
            Opcode::Continuation,
            b"wor",
            [9, 9, 9, 9],
        ));
        wire.extend(client_frame(true, Opcode::Binary, b"ld", mask));
        wire.extend(client_frame(
            true,
            Opcode::Close,
            &1000u16.to_be_bytes(),
            mask,
        ));
        wire.extend(client_frame(true, Opcode::Binary, b"after the close", mask));
        for step in [1, 3, 1000] {
            let (got, replies, error) = deframe(&wire, step);
            assert!(error.is_none(), "{error:?}");
            assert_eq!(got, b"hello world");
            let mut expected = Vec::new();
            frame(Opcode::Pong, b"are you there", &mut expected);
            frame(Opcode::Close, &1000u16.to_be_bytes(), &mut expected);
            assert_eq!(replies, expected);
        }
    }

    #[test]
    fn a_text_an_unmasked_an_oversized_or_a_stray_frame_is_refused_with_its_code() {
        let mask = [7, 7, 7, 7];
        let unmasked = {
            let mut out = Vec::new();
            frame(Opcode::Binary, b"x", &mut out);
            out
        };
        let mut too_big = Vec::new();
        Header {
            fin: true,
            opcode: Opcode::Binary,
            mask: Some(mask),
            len: MAX_DATA_FRAME_BYTES + 1,
        }
        .write(&mut too_big);
        let mut two_starts = client_frame(false, Opcode::Binary, b"a", mask);
        two_starts.extend(client_frame(true, Opcode::Binary, b"b", mask));
        let cases = [
            (
                client_frame(true, Opcode::Text, b"hi", mask),
                close::UNSUPPORTED_DATA,
            ),
            (unmasked, close::PROTOCOL_ERROR),
            (too_big, close::TOO_BIG),
            (
                client_frame(true, Opcode::Continuation, b"a", mask),
                close::PROTOCOL_ERROR,
            ),
            (two_starts, close::PROTOCOL_ERROR),
            (vec![0xF2, 0x80, 0, 0, 0, 0], close::PROTOCOL_ERROR),
        ];
        for (wire, code) in cases {
            let (_, replies, error) = deframe(&wire, 2);
            let error = error.expect("refused");
            assert_eq!(error.kind(), std::io::ErrorKind::InvalidData);
            let (header, at) = Header::parse(&replies).unwrap().unwrap();
            assert_eq!(header.opcode, Opcode::Close);
            assert_eq!(
                u16::from_be_bytes([replies[at], replies[at + 1]]),
                code,
                "{error}"
            );
        }
    }

    #[test]
    fn a_timeout_inside_a_header_keeps_what_was_read() {
        let wire = client_frame(true, Opcode::Binary, &[5u8; 300], [1, 0, 1, 0]);
        struct Stutter<'a>(&'a [u8], bool);
        impl std::io::Read for Stutter<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                self.1 = !self.1;
                if self.1 {
                    return Err(std::io::ErrorKind::WouldBlock.into());
                }
                let n = buf.len().min(1).min(self.0.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut source = Stutter(&wire, false);
        let mut deframer = Deframer::default();
        let (mut got, mut replies) = (Vec::new(), Vec::new());
        let mut buf = [0u8; 64];
        loop {
            match deframer.read(&mut source, &mut buf, &mut replies) {
                Ok(0) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::WouldBlock),
            }
        }
        assert_eq!(got, vec![5u8; 300]);
    }

    proptest! {
        /// Every header reads back as written, and no prefix of it reads as a header.
        #[test]
        fn headers_read_back_and_no_prefix_is_one(
            fin: bool,
            data: bool,
            mask: Option<[u8; 4]>,
            len in prop_oneof![0u64..=125, 126u64..=0xFFFF, 0x1_0000u64..(1 << 40)],
        ) {
            let opcode = if data { Opcode::Binary } else { Opcode::Continuation };
            let header = Header { fin, opcode, mask, len };
            let mut out = Vec::new();
            header.write(&mut out);
            prop_assert!(out.len() <= MAX_HEADER_BYTES);
            prop_assert_eq!(Header::parse(&out), Ok(Some((header, out.len()))));
            for cut in 0..out.len() {
                prop_assert_eq!(Header::parse(&out[..cut]), Ok(None));
            }
        }

        /// Masking twice from any offset, in any pieces, gives the bytes back.
        #[test]
        fn masking_in_pieces_is_masking_whole(bytes: Vec<u8>, mask: [u8; 4], cut in 0usize..64) {
            let mut whole = bytes.clone();
            apply_mask(&mut whole, mask, 0);
            let cut = cut.min(bytes.len());
            let mut pieces = bytes.clone();
            let (a, b) = pieces.split_at_mut(cut);
            apply_mask(a, mask, 0);
            apply_mask(b, mask, cut as u64);
            prop_assert_eq!(&whole, &pieces);
            apply_mask(&mut pieces, mask, 0);
            prop_assert_eq!(pieces, bytes);
        }
    }
}
