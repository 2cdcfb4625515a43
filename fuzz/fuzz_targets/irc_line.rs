//! Arbitrary byte streams on the IRC port: the line reader must never panic nor keep more than a
//! line's worth, and every line that parses writes back to a line that parses to the same.
#![no_main]

use chat_core::irc::{Incoming, LineReader, parse, to_string};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let mut reader = LineReader::new();
    let mut stream = bytes;
    for _ in 0..256 {
        match reader.read_line(&mut stream) {
            Ok(Some(Incoming::Line(line))) => {
                if let Ok(message) = parse(&line) {
                    let written = to_string(&message);
                    if let Ok(again) = parse(written.trim_end_matches(['\r', '\n']).as_bytes()) {
                        assert_eq!(again, message);
                    }
                }
            }
            Ok(Some(Incoming::TooLong)) => {}
            Ok(None) | Err(_) => break,
        }
    }
});
