//! What the nodes of a cluster tell each other, and what the hub needs of the cluster: a
//! [`Bus`] (`cluster` implements it over a Redis stream). Without a cluster the hub has no bus
//! and behaves as a single server.

// Without the `cluster` feature (a server inside the desktop client) nothing uses
// what travels between nodes.
#![cfg_attr(not(feature = "cluster"), allow(dead_code))]

use chat_core::protocol::{RoomClosedReason, RoomTopic};
use serde::{Deserialize, Serialize};

use crate::error::Result;

/// The longest a client's request waits for the cluster: it is answered within two seconds
/// (this, and the time to read it and write the answer). A request that waits for the cluster
/// more than once (a private message: its number, then its handover) shares one deadline.
pub(crate) const REQUEST_BUDGET: std::time::Duration = std::time::Duration::from_millis(1_600);

/// Runs when an event could not be published (tells its sender).
pub(crate) type Failed = Box<dyn FnOnce() + Send>;

/// Runs once with what became of an event appended without waiting: its number in the log, or
/// why it is not there (or may not be).
pub(crate) type Answer = Box<dyn FnOnce(Result<u64>) + Send>;

/// What became of a private message handed to the cluster ([`Bus::hand_over`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Handover {
    /// The recipient's node took it (and delivers it): `private_sent`.
    Taken,
    /// No node took it (the recipient is offline, or its node did not answer in time): the
    /// sender keeps it for the recipient's next login.
    Offline,
}

/// The cluster, as the hub sees it. Every call that waits does so for at most
/// [`REQUEST_BUDGET`] (or until the request's deadline), so that every request is answered
/// within two seconds whatever the network does.
pub(crate) trait Bus: Send + Sync + std::fmt::Debug {
    /// Queues an event for the other nodes; `failed` runs if it cannot be published. Never
    /// blocks. For state changes, which a node publishes again whole when it rejoins.
    fn publish(&self, event: BusEvent, failed: Option<Failed>);
    /// Puts an event in the cluster's log and waits until it is there; returns its number.
    /// `ServerError::NotConfirmed` when the log did not answer in time: it may be there.
    fn publish_confirmed(&self, event: BusEvent) -> Result<u64>;
    /// Puts an event in the cluster's log without waiting: `answer` runs once, with its
    /// number or why it is not there, by `deadline` (and a few ms) at the latest. Many of
    /// one sender's events may be in flight at once, appended in the order given.
    fn publish_answered(&self, event: BusEvent, deadline: std::time::Instant, answer: Answer);
    /// Hands a private message ([`BusEvent::Private`]) to its recipient's node and waits for
    /// what became of it.
    /// Gives up at `deadline`.
    fn hand_over(&self, event: BusEvent, deadline: std::time::Instant) -> Result<Handover>;
    /// A number for a new private message, unique across the cluster and above `floor` (the
    /// highest this node has seen): both users' nodes keep a conversation's messages under
    /// their numbers, so two nodes must never give one number to two messages.
    /// Gives up at `deadline`.
    fn private_id(&self, floor: u64, deadline: std::time::Instant) -> Result<u64>;
    /// Whether events can be published now.
    fn is_up(&self) -> bool;
    /// Claims a room name for a new room `room` and puts its creation in the log, in one step:
    /// `Ok(false)` if the name is taken on some node. Waits for the cluster.
    fn claim_room(&self, room_key: &str, room: &str, creator: &str) -> Result<bool>;
    /// Frees a closed room's name.
    fn release_room(&self, room_key: &str);
    /// Waits until this node has applied every event in the log now (a read barrier): what it
    /// then knows of rooms is at least as new as what any node acknowledged before the call.
    fn caught_up(&self) -> Result<()>;
    /// Waits until every event this node queued before the call is in the log (so a change
    /// acknowledged after it is seen by any node that reads the log from then on).
    fn flush(&self) -> Result<()>;
    /// Now, in cluster time (ms since the epoch).
    fn now_ms(&self) -> i64;
}

/// A user online on a node, as a snapshot lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserAt {
    pub login: String,
    /// The session (the node's connection id): a later login elsewhere replaces it.
    pub session: u64,
    /// Room name.
    pub room: String,
    /// Away, with or without a message.
    pub away: Option<Option<String>>,
}

/// A room a node's user created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomAt {
    pub name: String,
    pub creator: String,
    /// The number of its creation in the log (which names this incarnation of the name).
    #[serde(default)]
    pub created: u64,
    /// What keeps order in it, when anything does: a node that joins after it was set (and so
    /// never read those events) learns it here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<OrderAt>,
}

/// A room's order as a snapshot carries it (see `chat::hub::order`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderAt {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<RoomTopic>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub muted: Vec<NamedAt>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub removed: Vec<NamedAt>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub voiced: Vec<NamedAt>,
    /// Slow mode: one line per member per this many ms (0: off).
    #[serde(default)]
    pub slow_ms: i64,
}

/// The default room's order in a snapshot. No node owns that room (its order is set by
/// administrators anywhere, through the log), so each snapshot carries it with the number of
/// the last event in the log that changed it: a node takes it only from a snapshot that read a
/// later change than it did (one that joined after the change was made never read it), and
/// never from a node that knows less than itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DefaultOrderAt {
    /// The number of the last event in the log that changed it.
    pub changed: u64,
    pub order: OrderAt,
}

/// A member an order names: who, by whom, when, until when (a mute; server time, ms).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamedAt {
    pub login: String,
    pub by: String,
    pub at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<i64>,
}

/// What happened on a node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub enum BusEvent {
    /// The node (re)joined: the others answer with a snapshot.
    Hello,
    /// The node is alive; `offset_ms`: its clock's offset to the cluster's (Redis `TIME`).
    Beat { offset_ms: i64 },
    /// Everything about the node's users: whoever it lists replaces what others knew of it.
    Snapshot {
        users: Vec<UserAt>,
        rooms: Vec<RoomAt>,
        /// The default room's order as this node has it, if anything ever set it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        default_order: Option<DefaultOrderAt>,
    },
    /// Logged in (in the default room); ends that account's session on any other node.
    LoggedIn {
        login: String,
        session: u64,
        room: String,
    },
    /// Moved to another room.
    Moved {
        login: String,
        session: u64,
        room: String,
    },
    /// Logged out or disconnected; `quit`: what IRC clients see.
    LoggedOut {
        login: String,
        session: u64,
        quit: String,
    },
    /// Away (`Some`) or back (`None`).
    Presence {
        login: String,
        away: Option<Option<String>>,
    },
    /// A room was created (its name claimed in `chat:rooms` in the same step).
    RoomCreated { room: String, creator: String },
    /// A room was deleted or closed.
    RoomClosed {
        room: String,
        reason: RoomClosedReason,
    },
    /// A room line; its id is the event's number.
    Said {
        room: String,
        from: String,
        text: String,
        time: i64,
        notice: bool,
        /// The line it answers, quoted.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reply_to: Option<chat_core::protocol::Quote>,
        /// The files it carries.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        attachments: Vec<chat_core::protocol::Attachment>,
    },
    /// A private message for a user on another node. The node where the log says the
    /// recipient is answers [`BusEvent::Taken`]; whichever of that and the sender's
    /// [`BusEvent::Expired`] comes first in the log decides, on every node alike.
    Private {
        to: String,
        from: String,
        text: String,
        id: u64,
        time: i64,
        notice: bool,
        /// The message it answers, quoted.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reply_to: Option<chat_core::protocol::Quote>,
        /// The files it carries (served by every node).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        attachments: Vec<chat_core::protocol::Attachment>,
    },
    /// A private message carries these files (by id): every node notes it, so that its two
    /// users may fetch them through any node, and the node a file was uploaded through counts
    /// the message before removing it. Sent by the sender's node, whoever receives it.
    FilesCarried {
        from: String,
        to: String,
        id: u64,
        files: Vec<String>,
    },
    /// A private message no longer carries these files (deleted): every node forgets it as
    /// theirs (see `FilesCarried`).
    FilesUncarried {
        from: String,
        to: String,
        id: u64,
        files: Vec<String>,
    },
    /// A room line changed (checked on the node where it was asked; every node applies it).
    LineChanged {
        room: String,
        line: u64,
        change: LineChange,
    },
    /// A room's creator or an administrator kept order (every node applies it).
    Moderated {
        room: String,
        action: chat_core::protocol::ModAction,
        /// The member's login (mute, unmute, remove).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        login: Option<String>,
        /// Until when a mute lasts (cluster time, ms).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        until: Option<i64>,
        /// Slow mode's pace, in seconds (0: off).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seconds: Option<u32>,
        by: String,
        /// When it was done (cluster time, ms).
        #[serde(default)]
        at: i64,
        /// Why, where a protocol shows it (IRC's KICK reason).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        why: Option<String>,
    },
    /// A room's creator or an administrator set its topic (empty text: none; every node
    /// applies it).
    TopicSet {
        room: String,
        topic: chat_core::protocol::RoomTopic,
    },
    /// A private message changed (a reaction, an edit, a deletion) on the node of one of its
    /// users: the other nodes replace their copy and tell their user of it.
    PrivateChanged {
        said: Box<chat_core::protocol::PrivateSaid>,
        change: PrivateChange,
    },
    /// A receipt for the user `to` (the sender of message `line`), from `with`, who received
    /// or read it on another node.
    Receipt {
        to: String,
        with: String,
        line: u64,
        state: chat_core::protocol::Receipt,
    },
    /// User `reader` (a login key) read its conversation with `with` (a login key) up to
    /// `line`: every node keeps the marker (markers only go forward, so the order in which
    /// nodes hear of them does not matter), and the user finds it on any node.
    ReadUpTo {
        reader: String,
        with: String,
        line: u64,
        receipt: bool,
    },
    /// The recipient's node took private message `seq` (the number of its `Private`).
    Taken { seq: u64 },
    /// The sender of private message `seq` stopped waiting: unless taken before this, it is
    /// kept for the recipient's next login.
    Expired { seq: u64 },
    /// An account was made (every node's directory lists it).
    Registered {
        login: String,
        first_names: String,
        last_names: String,
    },
}

/// What changed a private message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "c", rename_all = "snake_case")]
pub enum PrivateChange {
    /// `by` put `emoji` on (`on`) or took it off.
    React { by: String, emoji: String, on: bool },
    /// Its author changed its text.
    Edit,
    /// Its author deleted it (`why`, where a protocol shows a reason).
    Delete {
        by: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        why: Option<String>,
    },
}

/// A change to a room line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum LineChange {
    /// `by` put `emoji` on it (`on`) or took it off.
    React { by: String, emoji: String, on: bool },
    /// Its author gave it a new text at `time` (ms).
    Edit { text: String, time: i64 },
    /// It was deleted by `by`, for `why` where a protocol shows it (IRC's REDACT reason).
    Delete {
        by: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        why: Option<String>,
    },
}

/// An event and the node it comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    pub node: String,
    pub event: BusEvent,
}

impl Envelope {
    /// Its bytes.
    pub fn encode(&self) -> Vec<u8> {
        // Owned strings and numbers always encode.
        rmp_serde::to_vec_named(self).unwrap_or_default()
    }

    /// An envelope from its bytes.
    pub fn decode(bytes: &[u8]) -> Result<Self, String> {
        rmp_serde::from_slice(bytes).map_err(|e| e.to_string())
    }
}
