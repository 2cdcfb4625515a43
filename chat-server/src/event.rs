//! An event on its way to clients, written in each client's protocol at most once.
//!
//! The hub speaks in [`ServerMessage`]s. A connection's protocol is how those are written: the
//! native frames of `docs/PROTOCOL.md`, or IRC lines (`irc::render`). An [`Event`] keeps the
//! message and the bytes of each way of writing it once written, so a room message to a thousand
//! members is encoded once per protocol (and IRC tag variant), not once per member. Events whose
//! IRC lines name their recipient (a private message, an `entered`) are written per IRC
//! recipient.

use std::sync::OnceLock;

use chat_core::clock::system_now_ms;
use chat_core::protocol::ServerMessage;

use crate::irc::{self, Caps};
use crate::outbox::Frame;
use crate::peer::{Peer, Protocol};
use crate::wire;

/// The ways of writing an event to IRC clients: with or without message tags.
const IRC_WAYS: usize = 2;

/// An event and its encodings.
#[derive(Debug)]
pub(crate) struct Event {
    time: i64,
    message: ServerMessage,
    /// The client the event comes from (an IRC client without `echo-message` does not get its
    /// own room lines back).
    origin: Option<u64>,
    native: OnceLock<Option<Frame>>,
    irc: [OnceLock<Option<Frame>>; IRC_WAYS],
    /// Whether IRC clients see this event at all.
    for_irc: bool,
}

impl Event {
    /// An event stamped now.
    pub fn new(message: ServerMessage) -> Self {
        Self::at(system_now_ms(), message)
    }

    /// An event stamped `time` (ms since the epoch): a line's own time.
    pub fn at(time: i64, message: ServerMessage) -> Self {
        Event {
            time,
            message,
            origin: None,
            native: OnceLock::new(),
            irc: [OnceLock::new(), OnceLock::new()],
            for_irc: true,
        }
    }

    /// An event for native clients only, already encoded (a list fitted to a frame).
    pub fn native_only(frame: Frame) -> Self {
        let event = Event {
            for_irc: false,
            ..Self::new(ServerMessage::Pong)
        };
        let _ = event.native.set(Some(frame));
        event
    }

    /// The same event, coming from client `id`.
    pub fn sent_by(mut self, id: u64) -> Self {
        self.origin = Some(id);
        self
    }

    /// The bytes for `peer`, or `None` when its protocol shows nothing of this event.
    pub fn frame_for(&self, peer: &Peer) -> Option<Frame> {
        match peer.protocol() {
            Protocol::Native => self
                .native
                .get_or_init(|| wire::frame_at(self.time, None, self.message.clone()))
                .clone(),
            Protocol::Irc(_) if !self.for_irc => None,
            Protocol::Irc(caps) => {
                if self.origin == Some(peer.id) && !caps.contains(Caps::ECHO_MESSAGE) {
                    return None;
                }
                if irc::render::names_recipient(&self.message) {
                    return irc::render::event(&self.message, self.time, caps, peer.name());
                }
                // Clients that take tags get the line's time as one; the others, none.
                let tagged = caps.tagged();
                let way = if tagged {
                    Caps::SERVER_TIME
                } else {
                    Caps::NONE
                };
                self.irc[usize::from(tagged)]
                    .get_or_init(|| irc::render::event(&self.message, self.time, way, ""))
                    .clone()
            }
        }
    }
}
