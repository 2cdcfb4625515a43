//! Arbitrary frame bodies: decoding must fail cleanly or give a message that encodes and decodes
//! back to itself.
#![no_main]

use chat_core::frame::{decode, encode};
use chat_core::limits::LEN_PREFIX_BYTES;
use chat_core::protocol::{ClientFrame, ServerFrame};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    if let Ok(frame) = decode::<ClientFrame>(body)
        && let Ok(bytes) = encode(&frame)
    {
        assert_eq!(decode::<ClientFrame>(&bytes[LEN_PREFIX_BYTES..]).ok(), Some(frame));
    }
    if let Ok(frame) = decode::<ServerFrame>(body)
        && let Ok(bytes) = encode(&frame)
    {
        assert_eq!(decode::<ServerFrame>(&bytes[LEN_PREFIX_BYTES..]).ok(), Some(frame));
    }
});
