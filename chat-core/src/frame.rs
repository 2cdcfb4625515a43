//! Bytes <-> frames: a 4-byte big-endian body length, then a MessagePack body.
//!
//! This layer knows lengths and bytes; [`crate::protocol`] knows what the bodies mean. The length
//! prefix is checked against [`MAX_FRAME_BYTES`] before a single body byte is read, so a peer
//! never chooses how much we allocate.

use std::io::{self, Read};

use serde::de::{DeserializeOwned, IgnoredAny};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::limits::{LEN_PREFIX_BYTES, MAX_DECODE_DEPTH, MAX_FRAME_BYTES};
use crate::protocol::{ServerFrame, ServerMessage};

/// Encodes `message` as a whole frame: length prefix followed by the MessagePack body, with
/// structs as maps (named fields) so other languages can read them.
pub fn encode<T: Serialize>(message: &T) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(&[0; LEN_PREFIX_BYTES]);
    rmp_serde::encode::write_named(&mut out, message).map_err(|e| Error::Encode(e.to_string()))?;
    let len = out.len() - LEN_PREFIX_BYTES;
    if len > MAX_FRAME_BYTES {
        return Err(Error::Encode(format!(
            "{len} bytes is larger than the frame limit of {MAX_FRAME_BYTES}"
        )));
    }
    let prefix = u32::try_from(len).map_err(|_| Error::Encode("frame length overflow".into()))?;
    out[..LEN_PREFIX_BYTES].copy_from_slice(&prefix.to_be_bytes());
    Ok(out)
}

/// Decodes one frame *body* (without its prefix). Nesting deeper than [`MAX_DECODE_DEPTH`] and
/// bytes left over after the message are errors.
///
/// Reads straight from the slice (strings are copied once, from the body), which needs less
/// stack than decoding through `io::Read`: the server decodes on each connection's own thread.
pub fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T> {
    let mut de = rmp_serde::Deserializer::from_read_ref(body);
    de.set_max_depth(MAX_DECODE_DEPTH);
    let value = T::deserialize(&mut de).map_err(|e| Error::Malformed(e.to_string()))?;
    // The body must end here: reading one more value must find the end of the input.
    match IgnoredAny::deserialize(&mut de) {
        Err(rmp_serde::decode::Error::InvalidMarkerRead(e))
            if e.kind() == io::ErrorKind::UnexpectedEof =>
        {
            Ok(value)
        }
        _ => Err(Error::Malformed(
            "bytes of garbage after the message".to_owned(),
        )),
    }
}

/// Reads frames from a byte stream, keeping partial frames across read timeouts.
///
/// Holds a small buffer that grows only to the size of the frame being read (never beyond
/// [`MAX_FRAME_BYTES`] plus the prefix) and shrinks back once a large frame is consumed, so an
/// idle connection costs little memory.
#[derive(Debug, Default)]
pub struct FrameReader {
    buf: Vec<u8>,
    /// First byte not yet handed out.
    start: usize,
    /// One past the last byte read from the stream.
    end: usize,
}

/// Buffer size a reader starts with and shrinks back to: an idle connection (most of a server's)
/// holds this much.
const INITIAL_BUFFER_BYTES: usize = 256;
/// A read that fills the buffer doubles it, up to this: a busy connection then reads many
/// frames per system call.
const BUSY_BUFFER_BYTES: usize = 4096;
/// A buffer larger than this is released once empty.
const SHRINK_ABOVE_BYTES: usize = 16 * 1024;

impl FrameReader {
    /// A reader with an empty buffer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads the next frame body from `stream`.
    ///
    /// Returns `Ok(None)` when the stream ends cleanly between frames, [`Error::Truncated`] when it
    /// ends inside one and [`Error::FrameTooLarge`] when a prefix announces too much. A read
    /// timeout comes back as [`Error::Io`] (see [`Error::is_timeout`]); the partial frame is kept
    /// and the next call resumes it.
    pub fn read_frame<R: Read>(&mut self, stream: &mut R) -> Result<Option<&[u8]>> {
        self.compact();
        loop {
            let have = self.end - self.start;
            if have >= LEN_PREFIX_BYTES {
                let mut prefix = [0u8; LEN_PREFIX_BYTES];
                prefix.copy_from_slice(&self.buf[self.start..self.start + LEN_PREFIX_BYTES]);
                let len = u32::from_be_bytes(prefix) as usize;
                if len > MAX_FRAME_BYTES {
                    return Err(Error::FrameTooLarge {
                        len,
                        max: MAX_FRAME_BYTES,
                    });
                }
                let total = LEN_PREFIX_BYTES + len;
                if have >= total {
                    let body = self.start + LEN_PREFIX_BYTES..self.start + total;
                    self.start += total;
                    return Ok(Some(&self.buf[body]));
                }
                self.reserve(total);
            } else {
                self.reserve(LEN_PREFIX_BYTES);
            }
            let n = match stream.read(&mut self.buf[self.end..]) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::Io(e)),
            };
            if n == 0 {
                return if self.start == self.end {
                    Ok(None)
                } else {
                    Err(Error::Truncated)
                };
            }
            self.end += n;
            if self.end == self.buf.len() && self.buf.len() < BUSY_BUFFER_BYTES {
                let grown = (self.buf.len() * 2).min(BUSY_BUFFER_BYTES);
                self.buf.resize(grown, 0);
            }
        }
    }

    /// Moves unread bytes to the front and releases an oversized, empty buffer.
    fn compact(&mut self) {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
            if self.buf.len() > SHRINK_ABOVE_BYTES {
                self.buf = Vec::new();
            }
        } else if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
    }

    /// Makes room for a frame of `total` bytes (prefix included) starting at `start`.
    fn reserve(&mut self, total: usize) {
        if self.start > 0 && self.start + total > self.buf.len() {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        let want = total.max(INITIAL_BUFFER_BYTES);
        if self.buf.len() < want {
            self.buf.resize(want, 0);
        }
    }
}

/// Bytes of `value` encoded as frames encode it, counted without keeping them.
pub fn encoded_len<T: Serialize>(value: &T) -> usize {
    let mut counter = Counter(0);
    match rmp_serde::encode::write_named(&mut counter, value) {
        Ok(()) => counter.0,
        // Cannot happen with a counter; count it as too large to fit.
        Err(_) => usize::MAX / 2,
    }
}

/// Bytes left in one frame for the rows of a list, when the frame without them would carry
/// `message`: the largest stamp and `re` counted, and room for the list's array header to grow
/// and for a `more` flag.
pub fn room_for_rows(message: ServerMessage) -> usize {
    let empty = ServerFrame {
        time: i64::MAX,
        re: Some(u32::MAX),
        message,
    };
    (MAX_FRAME_BYTES + LEN_PREFIX_BYTES).saturating_sub(encoded_len(&empty) + ROOM_FOR_FLAGS)
}

/// Bytes kept free besides the rows: an array header's growth (4) and a `more` flag (16).
const ROOM_FOR_FLAGS: usize = 20;

/// Counts the bytes written to it.
struct Counter(usize);

impl io::Write for Counter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{ClientFrame, Request};

    fn hello() -> ClientFrame {
        ClientFrame {
            id: 1,
            request: Request::Hello {
                version: 1,
                client: "test".into(),
            },
        }
    }

    #[test]
    fn reads_back_to_back_frames_and_clean_eof() {
        let mut bytes = encode(&hello()).unwrap();
        bytes.extend(encode(&hello()).unwrap());
        let mut stream = &bytes[..];
        let mut reader = FrameReader::new();
        for _ in 0..2 {
            let body = reader.read_frame(&mut stream).unwrap().unwrap();
            assert_eq!(decode::<ClientFrame>(body).unwrap(), hello());
        }
        assert!(reader.read_frame(&mut stream).unwrap().is_none());
    }

    #[test]
    fn oversized_prefix_is_refused_before_reading_the_body() {
        let bytes = (u32::MAX).to_be_bytes();
        let mut reader = FrameReader::new();
        let err = reader.read_frame(&mut &bytes[..]).unwrap_err();
        assert!(matches!(err, Error::FrameTooLarge { len, .. } if len == u32::MAX as usize));
        assert!(reader.buf.len() <= INITIAL_BUFFER_BYTES);
    }

    #[test]
    fn eof_inside_a_frame_is_truncated() {
        let bytes = encode(&hello()).unwrap();
        for cut in 1..bytes.len() {
            let mut reader = FrameReader::new();
            let err = reader.read_frame(&mut &bytes[..cut]).unwrap_err();
            assert!(matches!(err, Error::Truncated), "cut at {cut}: {err}");
        }
    }

    #[test]
    fn a_frame_split_across_reads_is_reassembled() {
        /// Hands out one byte per read.
        struct Trickle<'a>(&'a [u8]);
        impl Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                if self.0.is_empty() || buf.is_empty() {
                    return Ok(0);
                }
                buf[0] = self.0[0];
                self.0 = &self.0[1..];
                Ok(1)
            }
        }
        let bytes = encode(&hello()).unwrap();
        let mut reader = FrameReader::new();
        let body = reader.read_frame(&mut Trickle(&bytes)).unwrap().unwrap();
        assert_eq!(decode::<ClientFrame>(body).unwrap(), hello());
    }

    #[test]
    fn a_busy_stream_grows_the_buffer_and_an_idle_one_keeps_it_small() {
        let mut idle = FrameReader::new();
        let one = encode(&hello()).unwrap();
        idle.read_frame(&mut &one[..]).unwrap().unwrap();
        assert_eq!(idle.buf.len(), INITIAL_BUFFER_BYTES);

        let mut bytes = Vec::new();
        for _ in 0..200 {
            bytes.extend(encode(&hello()).unwrap());
        }
        let mut stream = &bytes[..];
        let mut busy = FrameReader::new();
        for _ in 0..200 {
            let body = busy.read_frame(&mut stream).unwrap().unwrap();
            assert_eq!(decode::<ClientFrame>(body).unwrap(), hello());
        }
        assert_eq!(busy.buf.len(), BUSY_BUFFER_BYTES);
        assert!(busy.read_frame(&mut stream).unwrap().is_none());
    }

    #[test]
    fn garbage_after_the_message_is_malformed() {
        let mut body = encode(&hello()).unwrap().split_off(LEN_PREFIX_BYTES);
        body.push(0xc0);
        assert!(matches!(
            decode::<ClientFrame>(&body),
            Err(Error::Malformed(_))
        ));
    }

    #[test]
    fn deeply_nested_input_is_refused_without_overflowing_the_stack() {
        // 60k nested one-element arrays fit in one frame; unbounded recursion would abort.
        let body = vec![0x91u8; 60_000];
        let result = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || decode::<ClientFrame>(&body).is_err())
            .unwrap()
            .join()
            .unwrap();
        assert!(result);
    }

    #[test]
    fn a_large_frame_releases_its_buffer_afterwards() {
        let big = ClientFrame {
            id: 2,
            request: Request::Say {
                attachments: Vec::new(),
                reply_to: None,
                text: "x".repeat(40_000),
            },
        };
        let mut bytes = encode(&big).unwrap();
        bytes.extend(encode(&hello()).unwrap());
        let mut stream = &bytes[..];
        let mut reader = FrameReader::new();
        reader.read_frame(&mut stream).unwrap().unwrap();
        reader.read_frame(&mut stream).unwrap().unwrap();
        assert!(reader.read_frame(&mut stream).unwrap().is_none());
        assert!(reader.buf.len() <= SHRINK_ABOVE_BYTES);
    }
}
