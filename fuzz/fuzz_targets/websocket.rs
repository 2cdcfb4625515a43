//! Arbitrary bytes as a client's WebSocket frames, handed out in chunks whose sizes the input
//! also chooses: the deframer must give payload bytes, an end or a refusal, never panic, never
//! give more payload than came, and every reply it asks for must be a whole server frame.
#![no_main]

use std::io::{self, Read};

use chat_core::websocket::{Deframer, Header, MAX_CONTROL_BYTES};
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
        // A size of 0 stands for a read timeout: the state must survive it.
        if size == 0 {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let n = usize::from(size).min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

fuzz_target!(|input: &[u8]| {
    let (count, rest) = input.split_first().map_or((0, &[][..]), |(h, r)| (usize::from(*h) % 16, r));
    let (sizes, data) = rest.split_at(count.min(rest.len()));
    let total = data.len();
    let mut stream = Chunked { data, sizes, turn: 0 };
    let mut deframer = Deframer::default();
    let mut replies = Vec::new();
    let mut buf = [0u8; 97];
    let mut payload = 0usize;
    for _ in 0..4096 {
        match deframer.read(&mut stream, &mut buf, &mut replies) {
            Ok(0) => break,
            Ok(n) => payload += n,
            // A timeout, or a ping answered: read on.
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted) => {}
            Err(_) => break,
        }
    }
    assert!(payload <= total);
    let mut rest = &replies[..];
    while !rest.is_empty() {
        let (header, used) = Header::parse(rest).expect("a valid reply").expect("a whole reply");
        assert!(header.mask.is_none() && header.fin && header.opcode.is_control());
        assert!(header.len as usize <= MAX_CONTROL_BYTES);
        rest = &rest[used + header.len as usize..];
    }
});
