//! An event on its way to clients, written in each way of writing it at most once.
//!
//! The chat speaks in [`ServerMessage`]s: the vocabulary of what happened (a line said, a user
//! who joined, a room that closed). A protocol writes them for its clients (`peer::Render`):
//! the native frames of `docs/PROTOCOL.md`, IRC lines. An [`Event`] keeps the message and the
//! bytes of each way of writing it once written, so a room message to a thousand members is
//! encoded once per way (the native frame; IRC with and without tags), not once per member.
//! Which way is whose is the protocols' business (`protocols::ways`); events only keep them.

use std::sync::OnceLock;

use chat_core::clock::system_now_ms;
use chat_core::protocol::ServerMessage;

use crate::delivery::outbox::Frame;

/// Ways of writing one event that are kept at once (enough for every protocol's ways).
pub(crate) const WAYS: usize = 8;

/// An event and its encodings.
#[derive(Debug)]
pub(crate) struct Event {
    time: i64,
    message: ServerMessage,
    /// The client the event comes from (an IRC client without `echo-message` does not get its
    /// own room lines back).
    origin: Option<u64>,
    written: [OnceLock<Option<Frame>>; WAYS],
    /// Written already, in this way only: nobody else gets it.
    only: Option<usize>,
    /// Said as a notice (an IRC `NOTICE`): some protocols show it so.
    notice: bool,
    /// A `joined` of someone who keeps order in the room (an IRC channel operator).
    operator: bool,
    /// A `joined` of someone voiced in the room (not slowed; IRC's voice).
    voiced: bool,
    /// What some protocols show beyond the message; most events have none, so it costs a room
    /// line one pointer.
    aside: Option<Box<Aside>>,
}

/// What some protocols show of an event beyond its message (IRC's `QUIT` message, a `KICK`'s
/// reason, who reacted with what).
#[derive(Debug, Default)]
pub(crate) struct Aside {
    /// Why: a `left` that is the user disconnecting (an IRC `QUIT` message), a removal or a
    /// deletion (an IRC `KICK` or `REDACT` reason).
    why: Option<String>,
    /// A `joined` of a user who is away: its away message (an IRC `AWAY` after the `JOIN`).
    away: Option<String>,
    /// An `edited`: the line's author (an IRC line needs a source).
    author: Option<String>,
    /// A `reactions`: each reaction put on or taken off since the last (IRC `TAGMSG`s).
    reacted: Vec<Reacted>,
    /// A `moderated` removal of a member who was in the room (an IRC `KICK`).
    in_room: bool,
}

/// One reaction put on a line or taken off it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reacted {
    /// Who.
    pub by: String,
    /// The emoji.
    pub emoji: String,
    /// Put on (true) or taken off.
    pub on: bool,
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
            written: Default::default(),
            only: None,
            notice: false,
            operator: false,
            voiced: false,
            aside: None,
        }
    }

    /// An event already written the `way`-th way (a list fitted to a frame), for the clients
    /// written that way only.
    pub fn written_as(way: usize, frame: Frame) -> Self {
        let event = Event {
            only: Some(way),
            ..Self::new(ServerMessage::Pong)
        };
        if let Some(slot) = event.written.get(way) {
            let _ = slot.set(Some(frame));
        }
        event
    }

    /// The same event, said as a notice when `notice` (an IRC `NOTICE`).
    pub fn noticed(mut self, notice: bool) -> Self {
        self.notice = notice;
        self
    }

    fn aside_mut(&mut self) -> &mut Aside {
        self.aside.get_or_insert_with(Box::default)
    }

    /// The same `left`, shown as a `QUIT` with this message where a protocol has one.
    pub fn quitting(mut self, why: &str) -> Self {
        self.aside_mut().why = Some(why.to_owned());
        self
    }

    /// The same event (a removal, a deletion), with the reason its author gave.
    pub fn because(mut self, why: Option<String>) -> Self {
        if why.is_some() {
            self.aside_mut().why = why;
        }
        self
    }

    /// The same `joined`, of a user away with this message, where a protocol shows it.
    pub fn away(mut self, why: Option<String>) -> Self {
        if why.is_some() {
            self.aside_mut().away = why;
        }
        self
    }

    /// The same `joined`, of someone who keeps order in the room.
    pub fn operator(mut self, operator: bool) -> Self {
        self.operator = operator;
        self
    }

    /// The same `joined`, of someone voiced in the room.
    pub fn voiced(mut self, voiced: bool) -> Self {
        self.voiced = voiced;
        self
    }

    /// The same `edited`, of a line by `author`.
    pub fn authored(mut self, author: &str) -> Self {
        self.aside_mut().author = Some(author.to_owned());
        self
    }

    /// The same `reactions`, with the reactions put on or taken off since the last.
    pub fn reacted(mut self, reacted: Vec<Reacted>) -> Self {
        if !reacted.is_empty() {
            self.aside_mut().reacted = reacted;
        }
        self
    }

    /// The same `moderated` removal, of a member who was in the room (`in_room`).
    pub fn in_room(mut self, in_room: bool) -> Self {
        if in_room {
            self.aside_mut().in_room = true;
        }
        self
    }

    /// The same event, coming from client `id`.
    pub fn sent_by(mut self, id: u64) -> Self {
        self.origin = Some(id);
        self
    }

    /// When it happened, ms since the epoch.
    pub fn time(&self) -> i64 {
        self.time
    }

    /// What happened.
    pub fn message(&self) -> &ServerMessage {
        &self.message
    }

    /// The client it comes from, if one.
    pub fn origin(&self) -> Option<u64> {
        self.origin
    }

    /// Whether it was said as a notice.
    pub fn is_notice(&self) -> bool {
        self.notice
    }

    /// Why: the message of a user who disconnected (on a `left`), the reason given for a
    /// removal or a deletion.
    pub fn why(&self) -> Option<&str> {
        self.aside.as_ref()?.why.as_deref()
    }

    /// Whether it is the `joined` of someone who keeps order in the room.
    pub fn is_operator(&self) -> bool {
        self.operator
    }

    /// Whether it is the `joined` of someone voiced in the room.
    pub fn is_voiced(&self) -> bool {
        self.voiced
    }

    /// The author of an edited line.
    pub fn author(&self) -> Option<&str> {
        self.aside.as_ref()?.author.as_deref()
    }

    /// The reactions put on or taken off since the last `reactions` of the line.
    pub fn reactions_changed(&self) -> &[Reacted] {
        self.aside.as_ref().map_or(&[], |a| &a.reacted)
    }

    /// Whether a removal was of a member in the room.
    pub fn was_in_room(&self) -> bool {
        self.aside.as_ref().is_some_and(|a| a.in_room)
    }

    /// The bytes of the `way`-th way of writing this event, written by `write` the first time
    /// they are asked for. `None` for an event already written another way only, or one that
    /// `write` leaves out.
    pub fn written(&self, way: usize, write: impl FnOnce() -> Option<Frame>) -> Option<Frame> {
        if self.only.is_some_and(|only| only != way) {
            return None;
        }
        self.written.get(way)?.get_or_init(write).clone()
    }

    /// The away message of the user a `joined` is of, when it is away and said why.
    pub fn away_message(&self) -> Option<&str> {
        self.aside.as_ref()?.away.as_deref()
    }

    /// Whether the event was written one way for one kind of client only.
    pub fn is_written_only(&self) -> bool {
        self.only.is_some()
    }
}
