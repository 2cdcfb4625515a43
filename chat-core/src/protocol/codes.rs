//! The protocol's small vocabularies: error codes, the fields they blame, why a room closed, why
//! a connection closed.
//!
//! Each enum has an `Unknown` variant that any name this build does not know decodes to, so a
//! client built today still reads the frames of a server that added a code tomorrow.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why a room closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoomClosedReason {
    /// Its creator deleted it.
    Deleted,
    /// Its creator disconnected.
    CreatorLeft,
    /// A reason this build does not know.
    #[serde(other)]
    Unknown,
}

/// Whether someone is there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    /// Connected and active.
    Online,
    /// Connected, but said so (`away`) or idle for a while.
    Away,
    /// Not connected.
    Offline,
    /// A state this build does not know.
    #[serde(other)]
    Unknown,
}

/// Why the server closes a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CloseReason {
    /// The client asked (`#exit`, `logout`).
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
    /// A reason this build does not know.
    #[serde(other)]
    Unknown,
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
    /// A session token that is unknown, expired or revoked: log in with the password.
    BadToken,
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
    /// The server is overloaded; try again after `retry_after_ms`.
    ServerBusy,
    /// Too many attempts (failed logins, registrations) from this address or for this account;
    /// `retry_after_ms` says when to try again.
    RateLimited,
    /// The server failed; the request may be retried.
    Internal,
    /// No line with that number where you said (or not one you can see).
    MessageNotFound,
    /// Not yours to do: another's line, a room you did not create.
    NotAllowed,
    /// You are muted in this room; `retry_after_ms` says until when.
    Muted,
    /// The room is in slow mode; `retry_after_ms` says when you may speak again.
    SlowMode,
    /// You were removed from that room and may not enter it while it lives.
    RemovedFromRoom,
    /// The line carries as many different reactions as it may.
    TooManyReactions,
    /// A file larger than the server takes (`field` = `size`).
    FileTooLarge,
    /// The account keeps as many bytes of files as it may: delete some first.
    QuotaExceeded,
    /// No file (or upload) with that id, or not one you may see.
    FileNotFound,
    /// The server's disk is full for now.
    StorageFull,
    /// A code this build does not know.
    #[serde(other)]
    Unknown,
}

impl ErrorCode {
    /// Every code the server sends, for tables (translations, documentation) that must cover
    /// them all.
    pub const ALL: [ErrorCode; 30] = [
        ErrorCode::VersionMismatch,
        ErrorCode::HelloRequired,
        ErrorCode::LoginRequired,
        ErrorCode::AlreadyLoggedIn,
        ErrorCode::Invalid,
        ErrorCode::LoginTaken,
        ErrorCode::BadCredentials,
        ErrorCode::BadToken,
        ErrorCode::RoomExists,
        ErrorCode::RoomNotFound,
        ErrorCode::NotRoomCreator,
        ErrorCode::DefaultRoom,
        ErrorCode::UserNotFound,
        ErrorCode::UserOffline,
        ErrorCode::TooManyRooms,
        ErrorCode::Malformed,
        ErrorCode::FrameTooLarge,
        ErrorCode::ServerBusy,
        ErrorCode::RateLimited,
        ErrorCode::Internal,
        ErrorCode::MessageNotFound,
        ErrorCode::NotAllowed,
        ErrorCode::Muted,
        ErrorCode::SlowMode,
        ErrorCode::RemovedFromRoom,
        ErrorCode::TooManyReactions,
        ErrorCode::FileTooLarge,
        ErrorCode::QuotaExceeded,
        ErrorCode::FileNotFound,
        ErrorCode::StorageFull,
    ];
}

/// Request fields an error can blame: the request's keys, by the same names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// Registration first names.
    FirstNames,
    /// Registration last names.
    LastNames,
    /// A login (registration, login).
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
    /// The hello's protocol version.
    Version,
    /// A private message's recipient.
    To,
    /// A session token.
    Token,
    /// A list's starting row.
    Offset,
    /// `logout`'s `all`.
    All,
    /// A history request's starting point.
    Before,
    /// The other person of a conversation.
    With,
    /// The line a line answers.
    ReplyTo,
    /// A line's number.
    Line,
    /// A reaction's emoji.
    Emoji,
    /// Whether a reaction is put on or taken off.
    On,
    /// Whether a read marker is told to the other user.
    Receipt,
    /// What a moderation does.
    Action,
    /// A moderation's duration.
    Seconds,
    /// A report's reason.
    Reason,
    /// A room's topic.
    Topic,
    /// Files a line carries.
    Attachments,
    /// A file's name.
    Name,
    /// A file's size.
    Size,
    /// A file's SHA-256.
    Sha256,
    /// A file's media type.
    Type,
    /// `resume`'s last line received.
    Seen,
    /// A field this build does not know.
    #[serde(other)]
    Unknown,
}

impl Field {
    /// Every field the server may blame.
    pub const ALL: [Field; 31] = [
        Field::FirstNames,
        Field::LastNames,
        Field::Login,
        Field::Password,
        Field::Age,
        Field::Gender,
        Field::Room,
        Field::Text,
        Field::Client,
        Field::Version,
        Field::To,
        Field::Token,
        Field::Offset,
        Field::All,
        Field::Before,
        Field::With,
        Field::ReplyTo,
        Field::Line,
        Field::Emoji,
        Field::On,
        Field::Receipt,
        Field::Action,
        Field::Seconds,
        Field::Reason,
        Field::Attachments,
        Field::Name,
        Field::Size,
        Field::Sha256,
        Field::Type,
        Field::Topic,
        Field::Seen,
    ];

    /// The request key this field is.
    pub fn key(self) -> &'static str {
        match self {
            Field::FirstNames => "first_names",
            Field::LastNames => "last_names",
            Field::Login => "login",
            Field::Password => "password",
            Field::Age => "age",
            Field::Gender => "gender",
            Field::Room => "room",
            Field::Text => "text",
            Field::Client => "client",
            Field::Version => "version",
            Field::To => "to",
            Field::Token => "token",
            Field::Offset => "offset",
            Field::All => "all",
            Field::Before => "before",
            Field::With => "with",
            Field::ReplyTo => "reply_to",
            Field::Line => "line",
            Field::Emoji => "emoji",
            Field::On => "on",
            Field::Receipt => "receipt",
            Field::Action => "action",
            Field::Seconds => "seconds",
            Field::Reason => "reason",
            Field::Topic => "topic",
            Field::Seen => "seen",
            Field::Attachments => "attachments",
            Field::Name => "name",
            Field::Size => "size",
            Field::Sha256 => "sha256",
            Field::Type => "type",
            Field::Unknown => "unknown",
        }
    }
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
            Field::Version => "protocol version",
            Field::To => "recipient",
            Field::Token => "session token",
            Field::Offset => "list position",
            Field::All => "all",
            Field::Before => "history position",
            Field::With => "conversation partner",
            Field::ReplyTo => "line answered",
            Field::Line => "line",
            Field::Emoji => "emoji",
            Field::On => "on",
            Field::Receipt => "read receipt",
            Field::Action => "action",
            Field::Seconds => "duration",
            Field::Reason => "reason",
            Field::Topic => "topic",
            Field::Seen => "last line received",
            Field::Attachments => "files",
            Field::Name => "file name",
            Field::Size => "file size",
            Field::Sha256 => "file checksum",
            Field::Type => "file type",
            Field::Unknown => "field",
        })
    }
}
