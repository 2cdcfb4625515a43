//! The messages of the wire protocol: what a client asks ([`Request`]) and what the server says
//! ([`ServerMessage`]), each wrapped in an envelope ([`ClientFrame`], [`ServerFrame`]).
//!
//! Every message is a MessagePack *map* with a `"type"` key naming the variant, so a client in
//! any language can read it with a generic MessagePack library. `docs/PROTOCOL.md` is the prose
//! form of this file; the two change together.
//!
//! This module knows nothing of bytes on a socket: see [`crate::frame`] for that.

use std::fmt;

use serde::{Deserialize, Serialize};

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
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
enum RequestKind {
    Hello,
    Clock,
    Register,
    Login,
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
}

/// Every field any request carries, read in one pass; [`WireRequest::into_frame`] then checks
/// that the ones its `type` needs are there. Other fields are ignored, as they always were.
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
}

impl WireRequest {
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
            RequestKind::Say => Request::Say {
                text: need(self.text, "text")?,
            },
            RequestKind::CreateRoom => Request::CreateRoom {
                room: need(self.room, "room")?,
            },
            RequestKind::EnterRoom => Request::EnterRoom {
                room: need(self.room, "room")?,
            },
            RequestKind::LeaveRoom => Request::LeaveRoom,
            RequestKind::ListRooms => Request::ListRooms,
            RequestKind::DeleteRoom => Request::DeleteRoom {
                room: need(self.room, "room")?,
            },
            RequestKind::ShowUsers => Request::ShowUsers,
            RequestKind::Private => Request::Private {
                to: need(self.to, "to")?,
                text: need(self.text, "text")?,
            },
            RequestKind::Exit => Request::Exit,
            RequestKind::Ping => Request::Ping,
        };
        Ok(ClientFrame {
            id: self.id,
            request,
        })
    }
}

/// What a client can ask. Before `hello` only `hello` is accepted; before `login` only `hello`,
/// `clock`, `register`, `login` and `exit`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Request {
    /// First frame of every connection. Reply: [`ServerMessage::Welcome`].
    Hello {
        /// Must equal the server's [`crate::limits::PROTOCOL_VERSION`].
        version: u32,
        /// Free-form client name and version, for the server's log.
        client: String,
    },
    /// Clock sample for synchronisation. Reply: [`ServerMessage::Clock`].
    Clock,
    /// Create an account. Reply: [`ServerMessage::Registered`], sent only once the account is on
    /// disk.
    Register(Registration),
    /// Log in. Reply: [`ServerMessage::LoggedIn`], then [`ServerMessage::Entered`] for the
    /// default room.
    Login {
        /// Login, any case.
        login: String,
        /// Password in clear (the transport is what protects it).
        password: Password,
    },
    /// A line for everyone in the current room (`Message` event to each member, sender included).
    /// No reply on success.
    Say {
        /// The text.
        text: String,
    },
    /// `#cR`: create a room and enter it. Reply: [`ServerMessage::Entered`].
    CreateRoom {
        /// Room name.
        room: String,
    },
    /// `#gR`: enter a room. Reply: [`ServerMessage::Entered`].
    EnterRoom {
        /// Room name, any case.
        room: String,
    },
    /// `#eR`: back to the default room. Reply: [`ServerMessage::Entered`].
    LeaveRoom,
    /// `#lR`: list rooms. Reply: [`ServerMessage::Rooms`].
    ListRooms,
    /// `#dR`: delete a room you created. Reply: [`ServerMessage::RoomDeleted`].
    DeleteRoom {
        /// Room name, any case.
        room: String,
    },
    /// `#show users`: every registered user. Reply: [`ServerMessage::Users`].
    ShowUsers,
    /// `#\private`: a message to one online user. Reply: [`ServerMessage::PrivateSent`].
    Private {
        /// Recipient login, any case.
        to: String,
        /// The text.
        text: String,
    },
    /// `#exit`: the server answers [`ServerMessage::Goodbye`] and closes.
    Exit,
    /// Keep-alive, and the answer to the server's [`ServerMessage::Ping`]. Reply:
    /// [`ServerMessage::Pong`]. Allowed in every phase after hello.
    Ping,
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
}

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
    /// Reply to `login`.
    LoggedIn {
        /// The login as registered (its original case).
        login: String,
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
    },
    /// Reply to `delete_room`.
    RoomDeleted {
        /// Room name.
        room: String,
    },
    /// Reply to `list_rooms`, and an event sent to every logged-in client whenever the set of
    /// rooms or their member counts change (at most about twice a second).
    Rooms {
        /// Every room, the default one first, then by name.
        rooms: Vec<RoomInfo>,
    },
    /// Reply to `show_users`.
    Users {
        /// Registered users: online ones first, then by login; at most
        /// [`crate::limits::MAX_LISTED`] of them.
        users: Vec<UserInfo>,
        /// How many users are registered (may exceed the length of `users`).
        total: u32,
    },
    /// Reply to `private`: the message was delivered to the recipient's connection.
    PrivateSent {
        /// Recipient login as registered.
        to: String,
        /// The text.
        text: String,
    },
    /// Event: a line said in your room.
    Message {
        /// Room name.
        room: String,
        /// Login of the sender.
        from: String,
        /// The text.
        text: String,
    },
    /// Event: a private message to you.
    Private {
        /// Login of the sender.
        from: String,
        /// The text.
        text: String,
    },
    /// Event: someone entered your room.
    Joined {
        /// Room name.
        room: String,
        /// Who.
        login: String,
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
    },
    /// Event: the server has heard nothing for a while; answer with a `ping` request or any
    /// other frame, or be disconnected.
    Ping,
    /// Reply to `ping`.
    Pong,
    /// The server is closing this connection; nothing follows.
    Goodbye {
        /// Why.
        reason: CloseReason,
        /// Why, for people.
        message: String,
    },
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
}

/// Why a room closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoomClosedReason {
    /// Its creator deleted it.
    Deleted,
    /// Its creator disconnected.
    CreatorLeft,
}

/// Why the server closes a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CloseReason {
    /// The client asked (`#exit`).
    Exit,
    /// The same account logged in from another connection.
    TakenOver,
    /// The client did not read fast enough and its send queue filled.
    SlowConsumer,
    /// The client broke the protocol (wrong version, oversized or truncated frame).
    ProtocolError,
    /// The server is shutting down.
    ServerShutdown,
    /// Hello and login were not completed in time.
    HandshakeTimeout,
    /// Nothing was heard from the client for too long.
    IdleTimeout,
    /// The server, or the client's address, has as many connections as allowed.
    TooManyConnections,
    /// The client kept sending faster than allowed.
    Flood,
}

/// Machine-readable error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The hello's protocol version is not the server's. The connection closes.
    VersionMismatch,
    /// The first request must be `hello`.
    HelloRequired,
    /// This request needs a logged-in connection.
    LoginRequired,
    /// `login` or `register` on a connection that is already logged in.
    AlreadyLoggedIn,
    /// A field broke a validation rule (`field` says which).
    Invalid,
    /// Someone already has that login.
    LoginTaken,
    /// Unknown login or wrong password (deliberately indistinguishable).
    BadCredentials,
    /// A room with that name exists.
    RoomExists,
    /// No room has that name.
    RoomNotFound,
    /// Only a room's creator may delete it.
    NotRoomCreator,
    /// The default room cannot be deleted.
    DefaultRoom,
    /// No user has that login.
    UserNotFound,
    /// That user is not connected.
    UserOffline,
    /// The server has as many rooms as it allows.
    TooManyRooms,
    /// The frame was not a valid message.
    Malformed,
    /// The frame was larger than allowed. The connection closes.
    FrameTooLarge,
    /// The server is overloaded; try again shortly.
    ServerBusy,
    /// Too many attempts (failed logins, registrations) from this address or for this account;
    /// the message says when to try again.
    RateLimited,
    /// The server failed; the request may be retried.
    Internal,
}

/// Request fields that validation can refuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// Registration first names.
    FirstNames,
    /// Registration last names.
    LastNames,
    /// A login (registration, login, private recipient).
    Login,
    /// A password.
    Password,
    /// Registration age.
    Age,
    /// Registration gender.
    Gender,
    /// A room name.
    Room,
    /// Message text.
    Text,
    /// The hello's client name.
    Client,
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Field::FirstNames => "first names",
            Field::LastNames => "last names",
            Field::Login => "login",
            Field::Password => "password",
            Field::Age => "age",
            Field::Gender => "gender",
            Field::Room => "room name",
            Field::Text => "message",
            Field::Client => "client name",
        })
    }
}
