//! The chat protocol over a WebSocket, as the web client speaks it (`docs/PROTOCOL.md`, *The
//! web*): an opening handshake on `GET /ws`, then each chat frame in one masked binary message
//! out, and the server's binary messages in, whose payloads joined are the stream of chat frames.
//! The frame headers are chat-core's ([`chat_core::websocket`]), the same the server reads.

use std::net::SocketAddr;

use chat_core::websocket::{Header, Opcode, apply_mask};

use crate::inbox::{Frames, Inbox};

/// The key of the opening handshake: any 16 bytes in base64 do; the server's answer is checked
/// only for its status (the bench is not a browser guarding against caches).
const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

/// Appends the opening handshake to `out`.
pub fn upgrade_request(addr: SocketAddr, out: &mut Vec<u8>) {
    out.extend_from_slice(
        format!(
            "GET /ws HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        .as_bytes(),
    );
}

/// Appends `payload` to `out` as one masked binary message; `salt` varies the mask.
pub fn binary(payload: &[u8], salt: u32, out: &mut Vec<u8>) {
    masked(Opcode::Binary, payload, salt, out);
}

/// Appends the pong that answers a ping carrying `payload`.
pub fn pong(payload: &[u8], out: &mut Vec<u8>) {
    masked(Opcode::Pong, payload, 0x5EED, out);
}

fn masked(opcode: Opcode, payload: &[u8], salt: u32, out: &mut Vec<u8>) {
    let mask = (salt.wrapping_mul(0x9E37_79B9) ^ 0xA5A5_5A5A).to_be_bytes();
    Header {
        fin: true,
        opcode,
        mask: Some(mask),
        len: payload.len() as u64,
    }
    .write(out);
    let start = out.len();
    out.extend_from_slice(payload);
    apply_mask(&mut out[start..], mask, 0);
}

/// What the server sends: first the handshake's answer, then messages.
///
/// Architecture Invariant: the payloads are moved to the front of the chunk read, in place, and
/// the chat frames are split from there, so that a `message` event's text found in the chunk
/// (see [`crate::inbox::TextAt`]) lies where the loop looks for it: in the read buffer, from its
/// start. Only headers and control frames cut by the end of a read are held aside.
#[derive(Debug, Default)]
pub struct Incoming {
    /// The handshake was answered with 101.
    upgraded: bool,
    /// The start of an answer, a header or a control frame that a read cut (at most the
    /// answer's head, or 14 + 125 bytes).
    held: Vec<u8>,
    /// Bytes of a data frame's payload still to come.
    payload_left: u64,
    /// The chat frames the payloads carry.
    frames: Frames,
    /// Payloads of pings to answer.
    pings: Vec<Vec<u8>>,
}

/// What one step of reading headers found.
enum Step {
    /// More bytes are needed.
    Wait,
    /// A data frame begins: its payload follows.
    Data,
    /// A control frame, handled.
    Control,
}

impl Incoming {
    /// Appends to `inbox` every chat frame `chunk` completes; `chunk` is rewritten on the way
    /// (its payloads moved to its front). An answer other than 101, a text or masked frame, or a
    /// close is an error.
    pub fn split(&mut self, chunk: &mut [u8], inbox: &mut Inbox) -> Result<(), String> {
        let mut read = 0;
        if !self.upgraded {
            let before = self.held.len();
            self.held.extend_from_slice(chunk);
            let Some(end) = self.held.windows(4).position(|w| w == b"\r\n\r\n") else {
                return Ok(());
            };
            if !self.held.starts_with(b"HTTP/1.1 101") {
                let head = String::from_utf8_lossy(&self.held[..end]).into_owned();
                return Err(format!("the WebSocket was refused: {head}"));
            }
            self.upgraded = true;
            self.held.clear();
            read = end + 4 - before;
        }
        let mut written = 0;
        while read < chunk.len() {
            if self.payload_left > 0 {
                let take = usize::try_from(self.payload_left)
                    .unwrap_or(usize::MAX)
                    .min(chunk.len() - read);
                chunk.copy_within(read..read + take, written);
                written += take;
                read += take;
                self.payload_left -= take as u64;
                continue;
            }
            if self.held.is_empty() {
                match self.frame_at(&chunk[read..])? {
                    (Step::Wait, _) => {
                        self.held.extend_from_slice(&chunk[read..]);
                        read = chunk.len();
                    }
                    (_, used) => read += used,
                }
            } else {
                // Byte by byte into what is held, until a header (or control frame) is whole.
                self.held.push(chunk[read]);
                read += 1;
                let held = std::mem::take(&mut self.held);
                match self.frame_at(&held)? {
                    (Step::Wait, _) => self.held = held,
                    (Step::Data | Step::Control, _) => {}
                }
            }
        }
        self.frames.split(&chunk[..written], inbox)
    }

    /// Reads the frame at the start of `bytes`: a data frame's header (its payload is then
    /// expected), or a whole control frame. Returns what it found and the bytes it used.
    fn frame_at(&mut self, bytes: &[u8]) -> Result<(Step, usize), String> {
        let Some((header, at)) =
            Header::parse(bytes).map_err(|e| format!("a WebSocket frame: {e}"))?
        else {
            return Ok((Step::Wait, 0));
        };
        if header.mask.is_some() {
            return Err("a masked frame from the server".into());
        }
        match header.opcode {
            Opcode::Binary | Opcode::Continuation => {
                self.payload_left = header.len;
                Ok((Step::Data, at))
            }
            Opcode::Text => Err("a text frame from the server".into()),
            Opcode::Ping | Opcode::Pong | Opcode::Close => {
                // At most 125 bytes: Header::parse refuses longer control frames.
                let end = at + usize::try_from(header.len).unwrap_or(usize::MAX);
                let Some(payload) = bytes.get(at..end) else {
                    return Ok((Step::Wait, 0));
                };
                if header.opcode == Opcode::Close {
                    let code = payload
                        .get(..2)
                        .map_or(0, |c| u16::from_be_bytes([c[0], c[1]]));
                    let reason = String::from_utf8_lossy(payload.get(2..).unwrap_or(&[]));
                    return Err(format!("the server closed the WebSocket: {code} {reason}"));
                }
                if header.opcode == Opcode::Ping {
                    self.pings.push(payload.to_vec());
                }
                Ok((Step::Control, end))
            }
        }
    }

    /// The pings received since the last call, to answer.
    pub fn take_pings(&mut self) -> Vec<Vec<u8>> {
        std::mem::take(&mut self.pings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chat_core::frame::encode;
    use chat_core::protocol::{ServerFrame, ServerMessage};
    use chat_core::websocket::frame;

    /// The server's side: an answer, then `messages` as unmasked binary frames.
    fn from_server(messages: &[Vec<u8>]) -> Vec<u8> {
        let mut bytes = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n".to_vec();
        for m in messages {
            frame(Opcode::Binary, m, &mut bytes);
        }
        bytes
    }

    fn pong_frame() -> Vec<u8> {
        encode(&ServerFrame {
            time: 1,
            re: Some(7),
            message: ServerMessage::Pong,
        })
        .unwrap()
    }

    #[test]
    fn chat_frames_come_whole_however_the_reads_cut_the_messages() {
        let one = pong_frame();
        // Two chat frames in one message, then one cut across two messages, with a ping between.
        let mut two = one.clone();
        two.extend_from_slice(&one);
        let (head, tail) = one.split_at(3);
        let mut bytes = from_server(&[two, head.to_vec()]);
        frame(Opcode::Ping, b"hi", &mut bytes);
        frame(Opcode::Binary, tail, &mut bytes);
        for cut in [1, 2, 5, 64, bytes.len()] {
            let mut incoming = Incoming::default();
            let mut inbox = Inbox::default();
            let mut frames = 0;
            for piece in bytes.chunks(cut) {
                incoming.split(&mut piece.to_vec(), &mut inbox).unwrap();
                frames += inbox.items.len();
                inbox.clear();
            }
            assert_eq!(frames, 3, "reads of {cut} bytes");
            assert_eq!(incoming.take_pings(), vec![b"hi".to_vec()]);
        }
    }

    #[test]
    fn a_messages_text_is_found_where_the_loop_looks_for_it() {
        let line = encode(&ServerFrame {
            time: 1,
            re: None,
            message: ServerMessage::Message {
                room: "lobby".into(),
                from: "ana".into(),
                text: "hola a todos".into(),
                id: 9,
                reply_to: None,
                attachments: Vec::new(),
            },
        })
        .unwrap();
        let bytes = from_server(&[line.clone(), line]);
        for cut in [7, 40, bytes.len()] {
            let mut incoming = Incoming::default();
            let mut inbox = Inbox::default();
            let mut texts = Vec::new();
            for piece in bytes.chunks(cut) {
                let mut chunk = piece.to_vec();
                incoming.split(&mut chunk, &mut inbox).unwrap();
                for item in &inbox.items {
                    let crate::inbox::Incoming::Message(at) = item else {
                        panic!("{item:?}");
                    };
                    texts.push(Inbox::text(&inbox.copied, &chunk, at).to_vec());
                }
                inbox.clear();
            }
            assert_eq!(
                texts,
                vec![b"hola a todos".to_vec(); 2],
                "reads of {cut} bytes"
            );
        }
    }

    #[test]
    fn a_refusal_a_close_and_a_masked_frame_are_errors() {
        let mut inbox = Inbox::default();
        let refused = b"HTTP/1.1 404 Not Found\r\n\r\n";
        assert!(
            Incoming::default()
                .split(&mut refused.to_vec(), &mut inbox)
                .is_err()
        );
        let mut closed = from_server(&[]);
        frame(Opcode::Close, &1009u16.to_be_bytes(), &mut closed);
        let error = Incoming::default()
            .split(&mut closed, &mut inbox)
            .unwrap_err();
        assert!(error.contains("1009"), "{error}");
        let mut masked = from_server(&[]);
        binary(&pong_frame(), 3, &mut masked);
        assert!(Incoming::default().split(&mut masked, &mut inbox).is_err());
    }
}
