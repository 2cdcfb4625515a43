//! What the server says: [`ServerFrame`] (a time, maybe a `re`, and a [`ServerMessage`]) and the
//! rows its lists carry.

use serde::{Deserialize, Serialize};

use super::codes::{CloseReason, ErrorCode, Field, Presence, RoomClosedReason};
use super::line::{Attachment, Marker, ModAction, Quote, Reaction, Receipt, RoomTopic, Target};

/// A frame from the server: a reply (with `re`) or an event (without).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerFrame {
    /// Server time when the frame was made, in milliseconds since the Unix epoch.
    pub time: i64,
    /// The `id` of the request this answers; absent on events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub re: Option<u32>,
    /// What the server says.
    #[serde(flatten)]
    pub message: ServerMessage,
}

/// What the server says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// Reply to `hello`.
    Welcome {
        /// The server's protocol version.
        version: u32,
        /// Server software name and version.
        server: String,
        /// Name of the default room, where every client lands after login.
        default_room: String,
    },
    /// Reply to `clock`: the server's time when it answered.
    Clock {
        /// Microseconds since the Unix epoch.
        server_time_us: i64,
    },
    /// Reply to `register`: the account is stored durably.
    Registered {
        /// The login as stored.
        login: String,
    },
    /// Reply to `login` and `resume`.
    LoggedIn {
        /// The login as registered (its original case).
        login: String,
        /// A session token: `resume` with it logs in again without the password, until it
        /// expires or is revoked. Absent from servers that give none.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        token: Option<String>,
        /// When the token expires, milliseconds since the Unix epoch.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        token_expires: Option<i64>,
        /// The user is one of the server's administrators (keeps order in every room, receives
        /// reports); absent when not.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        admin: bool,
    },
    /// You are now in `room` (reply to create/enter/leave, or an event when a room you were in
    /// is closed, and after login).
    Entered {
        /// Room name.
        room: String,
        /// Login of its creator; absent for the default room.
        creator: Option<String>,
        /// Logins of the members now in it, you included, sorted; at most
        /// [`crate::limits::MAX_LISTED`] of them.
        members: Vec<String>,
        /// How many members the room has (may exceed the length of `members`).
        member_count: u32,
        /// Logins of the members of `members` who are away.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        away: Vec<String>,
        /// Logins of the members who are the server's administrators (they keep order in
        /// every room, as the creator does in its own).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        admins: Vec<String>,
        /// Logins of the members who are voiced: not slowed by slow mode.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        voiced: Vec<String>,
        /// The room's topic, when its creator set one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        topic: Option<RoomTopic>,
        /// The newest lines said in the room, oldest first: as many as fit in this frame.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        history: Vec<Said>,
        /// Whether earlier lines exist than the first of `history` (ask with `history`).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        more_history: bool,
    },
    /// Reply to `delete_room`.
    RoomDeleted {
        /// Room name.
        room: String,
    },
    /// Reply to `list_rooms`, and an event sent to every logged-in client whenever the set of
    /// rooms or their member counts change (at most about twice a second).
    Rooms {
        /// Rooms from the `offset`-th on, as many as fit one frame: the default one first,
        /// then by name.
        rooms: Vec<RoomInfo>,
        /// How many rooms there are in all (may exceed `offset` + the length of `rooms`).
        #[serde(default)]
        total: u32,
        /// The position of the first row of `rooms` in the whole list.
        #[serde(default)]
        offset: u32,
    },
    /// Reply to `show_users`.
    Users {
        /// Registered users from the `offset`-th on, as many as fit one frame (at most
        /// [`crate::limits::MAX_LISTED`]): online ones first, then by login.
        users: Vec<UserInfo>,
        /// How many users are registered.
        total: u32,
        /// The position of the first row of `users` in the whole list.
        #[serde(default)]
        offset: u32,
    },
    /// Reply to `private`: the message was delivered to the recipient's connection.
    PrivateSent {
        /// Recipient login as registered.
        to: String,
        /// The text.
        text: String,
        /// The message's number, as the conversation's history (`private_history`) shows it
        /// (0 from servers older than this field).
        #[serde(default)]
        id: u64,
    },
    /// Event: a line said in your room.
    Message {
        /// Room name.
        room: String,
        /// Login of the sender.
        from: String,
        /// The text.
        text: String,
        /// The line's number in the room, increasing (for `history`'s `before`); 0 from servers
        /// that number nothing.
        #[serde(default, skip_serializing_if = "is_zero")]
        id: u64,
        /// The line it answers.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reply_to: Option<Quote>,
        /// The files it carries.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        attachments: Vec<Attachment>,
    },
    /// Event: a private message to you.
    Private {
        /// Login of the sender.
        from: String,
        /// The text.
        text: String,
        /// Kept for you while you were offline: the frame's `time` is when it was sent.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        stored: bool,
        /// The message's number in the conversation, increasing (for `private_history`).
        #[serde(default, skip_serializing_if = "is_zero")]
        id: u64,
        /// The message it answers.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reply_to: Option<Quote>,
        /// The files it carries.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        attachments: Vec<Attachment>,
    },
    /// Reply to `private` when the recipient is offline: the message is on disk and will be
    /// delivered at the recipient's next login.
    PrivateStored {
        /// Recipient login as registered.
        to: String,
        /// The text.
        text: String,
        /// The message's number, as the conversation's history shows it (0 from older
        /// servers).
        #[serde(default)]
        id: u64,
    },
    /// Event after login: private messages kept for you were more than the server keeps; this
    /// many of the oldest were dropped.
    PrivateDropped {
        /// How many.
        count: u64,
    },
    /// Reply to `history`: earlier lines of a room.
    History {
        /// Room name.
        room: String,
        /// Lines before the one asked for, oldest first: the newest that fit in this frame.
        messages: Vec<Said>,
        /// Whether still earlier lines exist.
        more: bool,
    },
    /// Reply to `private_history`: earlier messages of a conversation.
    PrivateHistory {
        /// The other person, as registered.
        with: String,
        /// Messages before the one asked for, oldest first: the newest that fit in this frame.
        messages: Vec<PrivateSaid>,
        /// Whether still earlier messages exist.
        more: bool,
    },
    /// Event: someone's presence changed (someone in your room, or someone you wrote to or who
    /// wrote to you); also the reply to `away` and `back`, for yourself.
    Presence {
        /// Who.
        login: String,
        /// Now.
        presence: Presence,
        /// The away message, when away and one was given.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        text: Option<String>,
    },
    /// Event: someone is typing a private message to you.
    Typing {
        /// Who.
        from: String,
        /// Until when (server time, ms) unless renewed; a message from them ends it sooner.
        until: i64,
    },
    /// Event: someone entered your room.
    Joined {
        /// Room name.
        room: String,
        /// Who.
        login: String,
        /// Whether they are online or away.
        #[serde(default = "online", skip_serializing_if = "is_online")]
        presence: Presence,
    },
    /// Event: someone left your room (moved, disconnected).
    Left {
        /// Room name.
        room: String,
        /// Who.
        login: String,
    },
    /// Event: the room you were in is gone; an `entered` event for the default room follows.
    RoomClosed {
        /// Room name.
        room: String,
        /// Why.
        reason: RoomClosedReason,
    },
    /// A request failed. Nothing changed on the server.
    Error {
        /// What went wrong, for programs.
        code: ErrorCode,
        /// What went wrong, for people.
        message: String,
        /// The request field at fault, for `invalid` and similar codes.
        field: Option<Field>,
        /// For `server_busy` and `rate_limited`: how long to wait before trying again, in
        /// milliseconds. Absent otherwise.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after_ms: Option<u64>,
    },
    /// Event: the server has heard nothing for a while; answer with a `ping` request or any
    /// other frame, or be disconnected.
    Ping,
    /// Reply to `ping`.
    Pong,
    /// Event: the reactions of a line changed (all of them, as they are now; gathered for a
    /// moment, so a popular line costs one frame per moment, not one per reaction).
    Reactions {
        /// Where the line is.
        #[serde(flatten)]
        target: Target,
        /// The line's number.
        line: u64,
        /// Every emoji on it now (none: the last one was taken off).
        reactions: Vec<Reaction>,
    },
    /// Event, and the reply to `edit`: a line's text changed.
    Edited {
        /// Where the line is.
        #[serde(flatten)]
        target: Target,
        /// The line's number.
        line: u64,
        /// Its text now.
        text: String,
        /// When it was changed, server time, ms.
        edited: i64,
    },
    /// Event, and the reply to `delete_message`: a line was deleted (show a placeholder).
    MessageDeleted {
        /// Where the line was.
        #[serde(flatten)]
        target: Target,
        /// The line's number.
        line: u64,
        /// Who deleted it: its author, the room's creator or an administrator.
        by: String,
    },
    /// Event: how far a private message of yours went (`delivered`: it reached the recipient,
    /// now or at its login; `read`: they have seen it, and every message before it).
    Receipt {
        /// The recipient.
        with: String,
        /// The message's number (for `read`, the last one read).
        line: u64,
        /// How far.
        state: Receipt,
    },
    /// Reply to `read_markers`, and an event after login: how far you have read each room and
    /// conversation.
    ReadMarkers {
        /// One per room or conversation you have read something of.
        markers: Vec<Marker>,
    },
    /// Event to a room's members, and the reply to `moderate`: its creator (or an
    /// administrator) kept order.
    Moderated {
        /// The room.
        room: String,
        /// What was done.
        action: ModAction,
        /// To whom (mute, unmute, remove, readmit, voice, devoice).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        login: Option<String>,
        /// Until when the member is muted (server time, ms).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        until: Option<i64>,
        /// Slow mode's pace: one line per this many seconds (0: off).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seconds: Option<u32>,
        /// Who did it.
        by: String,
    },
    /// Event to a room's members, and the reply to `set_topic`: the room's topic changed.
    Topic {
        /// The room.
        room: String,
        /// The topic now (empty: there is none).
        topic: String,
        /// Who set it.
        by: String,
    },
    /// Reply to `report`: the administrators were told.
    Reported {
        /// Where the line is.
        #[serde(flatten)]
        target: Target,
        /// The line's number.
        line: u64,
    },
    /// Event, to administrators: a user reported a line.
    Report {
        /// Who reported it.
        from: String,
        /// Where the line is (a conversation: the reporter's, with the line's author).
        #[serde(flatten)]
        target: Target,
        /// The line's number.
        line: u64,
        /// Its author.
        author: String,
        /// Its text, or its first words.
        excerpt: String,
        /// Why, as the reporter said.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// The server is closing this connection; nothing follows.
    Goodbye {
        /// Why.
        reason: CloseReason,
        /// Why, for people.
        message: String,
    },
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

fn online() -> Presence {
    Presence::Online
}

fn is_online(p: &Presence) -> bool {
    *p == Presence::Online
}

/// A line said in a room, as kept in its history: what was said, and what happened to it since.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Said {
    /// Room name.
    pub room: String,
    /// Login of the sender.
    pub from: String,
    /// The text.
    pub text: String,
    /// When it was said, server time, ms since the Unix epoch.
    pub time: i64,
    /// Its number in the room.
    pub id: u64,
    /// The line it answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<Quote>,
    /// Its reactions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reactions: Vec<Reaction>,
    /// When its text was last changed (server time, ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edited: Option<i64>,
    /// It was deleted: its text is empty; show a placeholder.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deleted: bool,
    /// The files it carries.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
}

/// A private message, as kept in a conversation's history: what was said, and what happened to
/// it since.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrivateSaid {
    /// Login of the sender.
    pub from: String,
    /// Login of the recipient.
    pub to: String,
    /// The text.
    pub text: String,
    /// When it was sent, server time, ms since the Unix epoch.
    pub time: i64,
    /// Its number in the conversation.
    pub id: u64,
    /// The line it answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<Quote>,
    /// Its reactions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reactions: Vec<Reaction>,
    /// When its text was last changed (server time, ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edited: Option<i64>,
    /// It was deleted: its text is empty; show a placeholder.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deleted: bool,
    /// The files it carries.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
}

impl ServerMessage {
    /// An error with no field and no retry hint.
    pub fn error(code: ErrorCode, message: impl Into<String>) -> Self {
        ServerMessage::Error {
            code,
            message: message.into(),
            field: None,
            retry_after_ms: None,
        }
    }
}

/// One row of the room list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomInfo {
    /// Room name.
    pub name: String,
    /// Members now in it.
    pub members: u32,
    /// Login of its creator; absent for the default room.
    pub creator: Option<String>,
    /// Whether this is the default room.
    pub is_default: bool,
}

/// One row of the user list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserInfo {
    /// Login as registered.
    pub login: String,
    /// First names.
    pub first_names: String,
    /// Last names.
    pub last_names: String,
    /// Whether the user is connected now.
    pub online: bool,
    /// The room the user is in, when online.
    pub room: Option<String>,
    /// Online, away or offline.
    #[serde(default = "offline")]
    pub presence: Presence,
    /// The away message, when away and one was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub away_text: Option<String>,
}

fn offline() -> Presence {
    Presence::Offline
}
