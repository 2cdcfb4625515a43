//! Arbitrary request bodies the strict decoder refuses: reading them leniently to answer their
//! `id` must never panic, and what it says stays short (a peer's text is not echoed whole).
#![no_main]

use chat_core::frame::decode;
use chat_core::protocol::{ClientFrame, ErrorCode, diagnose};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    if decode::<ClientFrame>(body).is_ok() {
        return;
    }
    if let Some(d) = diagnose(body) {
        assert!(d.message.len() < 400, "{}", d.message);
        assert!(matches!(d.code, ErrorCode::Invalid | ErrorCode::Malformed));
        assert_eq!(d.field.is_some(), d.code == ErrorCode::Invalid);
    }
});
