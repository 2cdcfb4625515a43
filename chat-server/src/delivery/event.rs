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

use crate::delivery::outbox::Frame;
use crate::delivery::peer::{Peer, Protocol};
use crate::protocols::irc::{self, Caps};
use crate::protocols::native::wire;

/// The ways of writing an event to IRC clients: without tags, with its time only
/// (`server-time`), with its time and number (`message-tags`).
const IRC_WAYS: usize = 3;

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
    /// Messages shown as IRC `NOTICE`s.
    notice: bool,
    /// A `left` that is the user disconnecting, and why (an IRC `QUIT`).
    quit: Option<String>,
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
            irc: [OnceLock::new(), OnceLock::new(), OnceLock::new()],
            for_irc: true,
            notice: false,
            quit: None,
        }
    }

    /// The same event, shown as a `NOTICE` to IRC clients when `notice` (it was sent as one).
    pub fn noticed(mut self, notice: bool) -> Self {
        self.notice = notice;
        self
    }

    /// The same `left`, shown as a `QUIT` with this message to IRC clients.
    pub fn quitting(mut self, why: &str) -> Self {
        self.quit = Some(why.to_owned());
        self
    }

    fn style(&self) -> irc::render::Style<'_> {
        irc::render::Style {
            notice: self.notice,
            quit: self.quit.as_deref(),
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
                    return irc::render::event(
                        &self.message,
                        self.time,
                        caps,
                        peer.name(),
                        self.style(),
                    );
                }
                let (i, way) = if caps.contains(Caps::MESSAGE_TAGS) {
                    (2, Caps::SERVER_TIME.with(Caps::MESSAGE_TAGS))
                } else if caps.tagged() {
                    (1, Caps::SERVER_TIME)
                } else {
                    (0, Caps::NONE)
                };
                self.irc[i]
                    .get_or_init(|| {
                        irc::render::event(&self.message, self.time, way, "", self.style())
                    })
                    .clone()
            }
        }
    }
}
