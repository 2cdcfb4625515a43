//! WebSocket framing (RFC 6455, section 5), as the chat carries its frames to a web browser:
//! the opening handshake's accept key, and frame headers read and written. Only what the chat
//! needs: no extensions (no compression), binary data, the control frames.
//!
//! The chat's frames travel as the payload of binary messages, as a byte stream: a message may
//! hold several chat frames, and a chat frame may be cut across messages; the receiver joins the
//! payloads and reads frames from them as from a TCP stream (see `docs/PROTOCOL.md`, *The web*).
//! So nothing here holds a message whole: a reader takes a header, then the payload as it comes.

use std::fmt;

use base64::Engine as _;

use crate::limits::{LEN_PREFIX_BYTES, MAX_FRAME_BYTES};

/// The GUID the accept key is made with (RFC 6455, section 1.3).
const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// The longest a data frame may be: one whole chat frame, with its length prefix. A browser
/// sends each `send` as one frame, and the client sends one chat frame per `send`.
pub const MAX_DATA_FRAME_BYTES: u64 = (MAX_FRAME_BYTES + LEN_PREFIX_BYTES) as u64;
/// The longest a control frame's payload may be (RFC 6455, section 5.5).
pub const MAX_CONTROL_BYTES: usize = 125;
/// The longest a header is: 2 bytes, 8 of length, 4 of mask.
pub const MAX_HEADER_BYTES: usize = 14;

/// The `Sec-WebSocket-Accept` that answers a `Sec-WebSocket-Key`.
pub fn accept_key(key: &str) -> String {
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
