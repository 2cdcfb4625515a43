//! How the native port writes for its clients: every event as one frame (see `wire`), the same
//! bytes for every native client.

use chat_core::protocol::{CloseReason, ServerMessage};

use super::wire;
use crate::delivery::event::Event;
use crate::delivery::outbox::Frame;
use crate::delivery::peer::{Peer, Render};
use crate::protocols::ways;

/// The native protocol's way of writing (see `peer::Render`).
#[derive(Debug)]
pub(crate) struct NativeRender;

impl Render for NativeRender {
    fn event(&self, event: &Event, _peer: &Peer) -> Option<Frame> {
        event.written(ways::NATIVE, || {
            wire::frame_at(event.time(), None, event.message().clone())
        })
    }

    fn goodbye(&self, re: Option<u32>, reason: CloseReason, message: &str) -> Option<Frame> {
        wire::frame(
            re,
            ServerMessage::Goodbye {
                reason,
                message: message.to_owned(),
            },
        )
    }
}
