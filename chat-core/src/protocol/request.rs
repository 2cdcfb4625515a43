//! What a client asks: [`ClientFrame`] (an id and a [`Request`]) and the request's own types.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::line::{ModAction, Target};
use crate::limits::ATTACHMENTS_PER_LINE;

/// A request from a client. The client picks `id`; the server's reply to it (success or error)
/// carries the same number in `re`. Requests are handled in the order they arrive.
///
/// Decoded in one pass over the map (see [`WireRequest`]), not through serde's buffering of
/// flattened, tagged maps: the server decodes one of these per request on each connection's own
/// thread, and the buffered path needs several kilobytes more stack, which a thread keeps for
/// the life of its connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClientFrame {
    /// Chosen by the client, echoed in the reply's `re`.
    pub id: u32,
    /// What the client asks.
    #[serde(flatten)]
    pub request: Request,
}

impl<'de> Deserialize<'de> for ClientFrame {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        WireRequest::deserialize(deserializer)?.into_frame::<D::Error>()
    }
}

/// The `type` of a request on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum RequestKind {
    Hello,
    Clock,
    Register,
    Login,
    Resume,
    Logout,
    Say,
    CreateRoom,
    EnterRoom,
    LeaveRoom,
    ListRooms,
    DeleteRoom,
    ShowUsers,
    Private,
    Exit,
    Ping,
    History,
    PrivateHistory,
    Away,
    Back,
    Typing,
    React,
    Edit,
    DeleteMessage,
    MarkRead,
    ReadMarkers,
    Moderate,
    Report,
    SetTopic,
}

impl RequestKind {
    /// Every kind, with its name on the wire and the keys it must carry (besides `id`, `type`).
    /// `a|b`: one of the two (a request about a line names `room` or `with`).
    pub(crate) const ALL: [(RequestKind, &'static str, &'static [&'static str]); 29] = [
        (RequestKind::Hello, "hello", &["version", "client"]),
        (RequestKind::Clock, "clock", &[]),
        (
            RequestKind::Register,
            "register",
            &[
                "first_names",
                "last_names",
                "login",
                "password",
                "age",
                "gender",
            ],
        ),
        (RequestKind::Login, "login", &["login", "password"]),
        (RequestKind::Resume, "resume", &["token"]),
        (RequestKind::Logout, "logout", &[]),
        (RequestKind::Say, "say", &[]),
        (RequestKind::CreateRoom, "create_room", &["room"]),
        (RequestKind::EnterRoom, "enter_room", &["room"]),
        (RequestKind::LeaveRoom, "leave_room", &[]),
        (RequestKind::ListRooms, "list_rooms", &[]),
        (RequestKind::DeleteRoom, "delete_room", &["room"]),
        (RequestKind::ShowUsers, "show_users", &[]),
        (RequestKind::Private, "private", &["to"]),
        (RequestKind::Exit, "exit", &[]),
        (RequestKind::Ping, "ping", &[]),
        (RequestKind::History, "history", &["room"]),
        (RequestKind::PrivateHistory, "private_history", &["with"]),
        (RequestKind::Away, "away", &[]),
        (RequestKind::Back, "back", &[]),
        (RequestKind::Typing, "typing", &["to"]),
        (RequestKind::React, "react", &["room|with", "line", "emoji"]),
        (RequestKind::Edit, "edit", &["room|with", "line", "text"]),
        (
            RequestKind::DeleteMessage,
            "delete_message",
            &["room|with", "line"],
        ),
        (RequestKind::MarkRead, "mark_read", &["room|with", "line"]),
        (RequestKind::ReadMarkers, "read_markers", &[]),
        (RequestKind::Moderate, "moderate", &["room", "action"]),
        (RequestKind::Report, "report", &["room|with", "line"]),
        (RequestKind::SetTopic, "set_topic", &["room", "topic"]),
    ];
}

/// Every field any request carries, read in one pass; [`WireRequest::into_frame`] then checks
/// that the ones its `type` needs are there. Other fields are ignored, as they always were.
/// [`super::diagnose`] describes the same keys for people; a test keeps the two in step.
#[derive(Deserialize)]
struct WireRequest {
    id: u32,
    #[serde(rename = "type")]
    kind: RequestKind,
    version: Option<u32>,
    client: Option<String>,
    first_names: Option<String>,
    last_names: Option<String>,
    login: Option<String>,
    password: Option<Password>,
    age: Option<u8>,
    gender: Option<Gender>,
    text: Option<String>,
    room: Option<String>,
    to: Option<String>,
    token: Option<String>,
    seen: Option<u64>,
    offset: Option<u32>,
    all: Option<bool>,
    before: Option<u64>,
    with: Option<String>,
    reply_to: Option<u64>,
    line: Option<u64>,
    emoji: Option<String>,
    on: Option<bool>,
    receipt: Option<bool>,
    action: Option<ModAction>,
    seconds: Option<u32>,
    reason: Option<String>,
    topic: Option<String>,
    attachments: Option<Vec<String>>,
}

/// A line's files, at most [`ATTACHMENTS_PER_LINE`].
fn attachments<E: serde::de::Error>(ids: Option<Vec<String>>) -> Result<Vec<String>, E> {
    let ids = ids.unwrap_or_default();
    if ids.len() > ATTACHMENTS_PER_LINE {
        return Err(E::invalid_length(ids.len(), &"at most 10 files"));
    }
    Ok(ids)
}

impl WireRequest {
    /// The line's place: `room` or `with` (a request naming both is refused).
    fn target<E: serde::de::Error>(
        room: Option<String>,
        with: Option<String>,
    ) -> Result<Target, E> {
        match (room, with) {
            (Some(room), None) => Ok(Target::Room(room)),
            (None, Some(with)) => Ok(Target::With(with)),
            (None, None) => Err(E::missing_field("room")),
            (Some(_), Some(_)) => Err(E::custom("give either room or with, not both")),
        }
    }

    fn into_frame<E: serde::de::Error>(self) -> Result<ClientFrame, E> {
        fn need<T, E: serde::de::Error>(value: Option<T>, field: &'static str) -> Result<T, E> {
            value.ok_or_else(|| E::missing_field(field))
        }
        let request = match self.kind {
            RequestKind::Hello => Request::Hello {
                version: need(self.version, "version")?,
                client: need(self.client, "client")?,
            },
            RequestKind::Clock => Request::Clock,
            RequestKind::Register => Request::Register(Registration {
                first_names: need(self.first_names, "first_names")?,
                last_names: need(self.last_names, "last_names")?,
                login: need(self.login, "login")?,
                password: need(self.password, "password")?,
                age: need(self.age, "age")?,
                gender: need(self.gender, "gender")?,
            }),
            RequestKind::Login => Request::Login {
                login: need(self.login, "login")?,
                password: need(self.password, "password")?,
            },
            RequestKind::Resume => Request::Resume {
                token: need(self.token, "token")?,
                seen: self.seen,
            },
            RequestKind::Logout => Request::Logout {
                all: self.all.unwrap_or(false),
            },
            RequestKind::Say => Request::Say {
                text: self.text.unwrap_or_default(),
                reply_to: self.reply_to,
                attachments: attachments(self.attachments)?,
            },
            RequestKind::CreateRoom => Request::CreateRoom {
                room: need(self.room, "room")?,
            },
            RequestKind::EnterRoom => Request::EnterRoom {
                room: need(self.room, "room")?,
            },
            RequestKind::LeaveRoom => Request::LeaveRoom,
            RequestKind::ListRooms => Request::ListRooms {
                offset: self.offset.unwrap_or(0),
            },
            RequestKind::DeleteRoom => Request::DeleteRoom {
                room: need(self.room, "room")?,
            },
            RequestKind::ShowUsers => Request::ShowUsers {
                offset: self.offset.unwrap_or(0),
            },
            RequestKind::Private => Request::Private {
                to: need(self.to, "to")?,
                text: self.text.unwrap_or_default(),
                reply_to: self.reply_to,
                attachments: attachments(self.attachments)?,
            },
            RequestKind::Exit => Request::Exit,
            RequestKind::Ping => Request::Ping,
            RequestKind::History => Request::History {
                room: need(self.room, "room")?,
                before: self.before,
            },
            RequestKind::PrivateHistory => Request::PrivateHistory {
                with: need(self.with, "with")?,
                before: self.before,
            },
            RequestKind::Away => Request::Away { text: self.text },
            RequestKind::Back => Request::Back,
            RequestKind::Typing => Request::Typing {
                to: need(self.to, "to")?,
            },
            RequestKind::React => Request::React {
                line: need(self.line, "line")?,
                emoji: need(self.emoji, "emoji")?,
                on: self.on.unwrap_or(true),
                target: Self::target(self.room, self.with)?,
            },
            RequestKind::Edit => Request::Edit {
                line: need(self.line, "line")?,
                text: need(self.text, "text")?,
                target: Self::target(self.room, self.with)?,
            },
            RequestKind::DeleteMessage => Request::DeleteMessage {
                line: need(self.line, "line")?,
                target: Self::target(self.room, self.with)?,
            },
            RequestKind::MarkRead => Request::MarkRead {
                line: need(self.line, "line")?,
                receipt: self.receipt.unwrap_or(true),
                target: Self::target(self.room, self.with)?,
            },
            RequestKind::ReadMarkers => Request::ReadMarkers,
            RequestKind::Moderate => Request::Moderate {
                room: need(self.room, "room")?,
                action: need(self.action, "action")?,
                login: self.login,
                seconds: self.seconds,
            },
            RequestKind::Report => Request::Report {
                line: need(self.line, "line")?,
                reason: self.reason,
                target: Self::target(self.room, self.with)?,
            },
            RequestKind::SetTopic => Request::SetTopic {
                room: need(self.room, "room")?,
                topic: need(self.topic, "topic")?,
            },
        };
        Ok(ClientFrame {
            id: self.id,
            request,
        })
    }
}

/// What a client can ask. Before `hello` only `hello` is accepted; before logging in only
/// `hello`, `clock`, `register`, `login`, `resume`, `ping` and `exit`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Request {
    /// First frame of every connection. Reply: [`super::ServerMessage::Welcome`].
    Hello {
        /// Must equal the server's [`crate::limits::PROTOCOL_VERSION`].
        version: u32,
        /// Free-form client name and version, for the server's log.
        client: String,
    },
    /// Clock sample for synchronisation. Reply: [`super::ServerMessage::Clock`].
    Clock,
    /// Create an account. Reply: [`super::ServerMessage::Registered`], sent only once the account
    /// is on disk.
    Register(Registration),
    /// Log in with a password. Reply: [`super::ServerMessage::LoggedIn`] (with a new session
    /// token), then [`super::ServerMessage::Entered`] for the default room.
    Login {
        /// Login, any case.
        login: String,
        /// Password in clear (the transport is what protects it).
        password: Password,
    },
    /// Log in again with the token of an earlier `logged_in`, without the password (and without
    /// the server's slow password check). Same replies as `login`.
    Resume {
        /// The token, as `logged_in` gave it.
        token: String,
        /// The number of the last room line this client received (on its lost connection):
        /// the server delivers this session only lines above it, so a client that resumes on a
        /// node of a cluster behind the one it left never gets a line twice. Absent: none.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seen: Option<u64>,
    },
    /// Forget this session's token (or, with `all`, every token of the account) and close.
    /// Reply: [`super::ServerMessage::Goodbye`] (`exit`).
    Logout {
        /// Revoke every session token of the account, not only this one's.
        #[serde(default)]
        all: bool,
    },
    /// A line for everyone in the current room (`Message` event to each member, sender included).
    /// No reply on success.
    Say {
        /// The text (may be empty when the line carries files).
        #[serde(default)]
        text: String,
        /// The line of this room it answers.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reply_to: Option<u64>,
        /// The ids of files uploaded before, carried by the line.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        attachments: Vec<String>,
    },
    /// `#cR`: create a room and enter it. Reply: [`super::ServerMessage::Entered`].
    CreateRoom {
        /// Room name.
        room: String,
    },
    /// `#gR`: enter a room. Reply: [`super::ServerMessage::Entered`].
    EnterRoom {
        /// Room name, any case.
        room: String,
    },
    /// `#eR`: back to the default room. Reply: [`super::ServerMessage::Entered`].
    LeaveRoom,
    /// `#lR`: list rooms, from the `offset`-th on. Reply: [`super::ServerMessage::Rooms`].
    ListRooms {
        /// Rows to skip (0: from the start); the reply says how many there are in all.
        #[serde(default)]
        offset: u32,
    },
    /// `#dR`: delete a room you created. Reply: [`super::ServerMessage::RoomDeleted`].
    DeleteRoom {
        /// Room name, any case.
        room: String,
    },
    /// `#show users`: every registered user, from the `offset`-th on. Reply:
    /// [`super::ServerMessage::Users`].
    ShowUsers {
        /// Rows to skip (0: from the start); the reply says how many there are in all.
        #[serde(default)]
        offset: u32,
    },
    /// `#\private`: a message to one online user. Reply: [`super::ServerMessage::PrivateSent`].
    Private {
        /// Recipient login, any case.
        to: String,
        /// The text.
        text: String,
        /// The message of this conversation it answers.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reply_to: Option<u64>,
        /// The ids of files uploaded before, carried by the message.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        attachments: Vec<String>,
    },
    /// `#exit`: the server answers [`super::ServerMessage::Goodbye`] and closes.
    Exit,
    /// Keep-alive, and the answer to the server's [`super::ServerMessage::Ping`]. Reply:
    /// [`super::ServerMessage::Pong`]. Allowed in every phase after hello.
    Ping,
    /// Earlier lines of the room you are in. Reply: [`super::ServerMessage::History`].
    History {
        /// The room (the one you are in).
        room: String,
        /// Lines before this `id` (none: the newest).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        before: Option<u64>,
    },
    /// Earlier messages of your conversation with a user. Reply:
    /// [`super::ServerMessage::PrivateHistory`].
    PrivateHistory {
        /// The other person's login.
        with: String,
        /// Messages before this `id` (none: the newest).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        before: Option<u64>,
    },
    /// `#away [text]`: you are away. Reply: [`super::ServerMessage::Presence`].
    Away {
        /// Why, for others.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        text: Option<String>,
    },
    /// `#back`: you are back. Reply: [`super::ServerMessage::Presence`].
    Back,
    /// You are typing a private message to `to`. No reply on success; the server passes it on
    /// at most once every 3 seconds.
    Typing {
        /// Recipient login.
        to: String,
    },
    /// Puts an emoji on a line (`on`), or takes yours off. No reply on success: the line's
    /// reactions come as a [`super::ServerMessage::Reactions`] event, gathered for a moment.
    React {
        /// Where the line is: your room, or your conversation with someone.
        #[serde(flatten)]
        target: Target,
        /// The line's number.
        line: u64,
        /// The emoji.
        emoji: String,
        /// Put it on (true) or take it off.
        #[serde(default = "yes")]
        on: bool,
    },
    /// Changes the text of one of your lines. Reply: [`super::ServerMessage::Edited`].
    Edit {
        /// Where the line is.
        #[serde(flatten)]
        target: Target,
        /// The line's number.
        line: u64,
        /// Its new text.
        text: String,
    },
    /// Deletes one of your lines (or, for a room's creator or an administrator, anyone's line
    /// in the room). Reply: [`super::ServerMessage::MessageDeleted`].
    DeleteMessage {
        /// Where the line is.
        #[serde(flatten)]
        target: Target,
        /// The line's number.
        line: u64,
    },
    /// You have read a room or a conversation up to `line` (included). No reply on success.
    MarkRead {
        /// The room or the conversation.
        #[serde(flatten)]
        target: Target,
        /// The last line read.
        line: u64,
        /// In a conversation, tell the other user (a read receipt); false keeps it to yourself.
        #[serde(default = "yes")]
        receipt: bool,
    },
    /// How far you have read each room and conversation. Reply:
    /// [`super::ServerMessage::ReadMarkers`].
    ReadMarkers,
    /// Keeps order in a room you created (an administrator: in any room). Reply:
    /// [`super::ServerMessage::Moderated`].
    Moderate {
        /// The room.
        room: String,
        /// What to do.
        action: ModAction,
        /// The member it is done to (mute, unmute, remove, readmit, voice, devoice).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        login: Option<String>,
        /// For how long (mute), or one line per how long (slow; 0 turns slow mode off).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seconds: Option<u32>,
    },
    /// Reports a line to the server's administrators. Reply: [`super::ServerMessage::Reported`].
    Report {
        /// Where the line is.
        #[serde(flatten)]
        target: Target,
        /// The line's number.
        line: u64,
        /// Why, for the administrators.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// Sets the topic of a room you keep order in (its creator, or an administrator). Reply:
    /// [`super::ServerMessage::Topic`], which its members get too.
    SetTopic {
        /// The room.
        room: String,
        /// The topic (empty: none).
        topic: String,
    },
}

fn yes() -> bool {
    true
}

/// The fields of a registration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registration {
    /// First names ("nombres").
    pub first_names: String,
    /// Last names ("apellidos").
    pub last_names: String,
    /// Login, unique regardless of case.
    pub login: String,
    /// Password in clear.
    pub password: Password,
    /// Age in whole years.
    pub age: u8,
    /// Gender.
    pub gender: Gender,
}

/// A password. Its `Debug` form hides it, so it never reaches a log by accident.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(transparent)]
pub struct Password(pub String);

impl Password {
    /// The password in clear.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<hidden>)")
    }
}

impl From<&str> for Password {
    fn from(s: &str) -> Self {
        Password(s.to_owned())
    }
}

/// Gender, from a small fixed set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Gender {
    /// Female.
    Female,
    /// Male.
    Male,
    /// Non-binary.
    NonBinary,
    /// Another gender.
    Other,
    /// Prefer not to say.
    PreferNotToSay,
}

impl Gender {
    /// Every gender, in the order a form offers them.
    pub const ALL: [Gender; 5] = [
        Gender::Female,
        Gender::Male,
        Gender::NonBinary,
        Gender::Other,
        Gender::PreferNotToSay,
    ];

    /// The name on the wire.
    pub fn wire_name(self) -> &'static str {
        match self {
            Gender::Female => "female",
            Gender::Male => "male",
            Gender::NonBinary => "non_binary",
            Gender::Other => "other",
            Gender::PreferNotToSay => "prefer_not_to_say",
        }
    }
}
