//! Arbitrary bytes as a stream, handed out in chunks whose sizes the input also chooses: the
//! frame reader must return frames or errors, never panic or allocate past the frame limit.
#![no_main]

use std::io::{self, Read};

use chat_core::frame::{FrameReader, decode};
use chat_core::limits::MAX_FRAME_BYTES;
use chat_core::protocol::ClientFrame;
use libfuzzer_sys::fuzz_target;

struct Chunked<'a> {
    data: &'a [u8],
    sizes: &'a [u8],
    turn: usize,
}

impl Read for Chunked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let size = self.sizes.get(self.turn % self.sizes.len().max(1)).copied().unwrap_or(255);
        self.turn += 1;
        let n = (usize::from(size) + 1).min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

fuzz_target!(|input: &[u8]| {
    // The first byte says how many of the next bytes are chunk sizes; the rest is the stream.
    let (count, rest) = input.split_first().map_or((0, &[][..]), |(h, r)| (usize::from(*h) % 16, r));
    let (sizes, data) = rest.split_at(count.min(rest.len()));
    let mut stream = Chunked { data, sizes, turn: 0 };
    let mut reader = FrameReader::new();
    for _ in 0..1024 {
        match reader.read_frame(&mut stream) {
            Ok(Some(body)) => {
                assert!(body.len() <= MAX_FRAME_BYTES);
                let _ = decode::<ClientFrame>(body);
            }
            Ok(None) | Err(_) => break,
        }
    }
});
