//! Encoding server frames once, stamped with the server's time.

use std::sync::Arc;

use chat_core::clock::system_now_ms;
use chat_core::protocol::{ServerFrame, ServerMessage};

use crate::outbox::Frame;

/// Encodes a frame; `None` (logged) if it cannot be, which only an oversized list could cause.
pub fn frame(re: Option<u32>, message: ServerMessage) -> Option<Frame> {
    let frame = ServerFrame {
        time: system_now_ms(),
        re,
        message,
    };
    match chat_core::frame::encode(&frame) {
        Ok(bytes) => Some(Arc::from(bytes)),
        Err(e) => {
            tracing::error!("cannot encode a server frame: {e}");
            None
        }
    }
}

/// An event (no `re`).
pub fn event(message: ServerMessage) -> Option<Frame> {
    frame(None, message)
}
