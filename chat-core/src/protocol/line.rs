//! What requests and messages say about one line (a room line or a private message): where it
//! is ([`Target`]), the line it answers ([`Quote`]), its reactions ([`Reaction`]), and what a
//! room's creator or an administrator may do to keep order ([`ModAction`]).

use serde::{Deserialize, Serialize};

/// Where a line is: a room (its lines are numbered across every room) or a conversation with a
/// user (numbered across every conversation). On the wire, one key: `room` or `with`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// A room, by name.
    Room(String),
    /// The conversation with this user, by login.
    With(String),
}

impl Target {
    /// The room's name, for a room.
    pub fn room(&self) -> Option<&str> {
        match self {
            Target::Room(room) => Some(room),
            Target::With(_) => None,
        }
    }

    /// The other user's login, for a conversation.
    pub fn with(&self) -> Option<&str> {
        match self {
            Target::Room(_) => None,
            Target::With(with) => Some(with),
        }
    }
}

/// The line a line answers, as everyone sees it above the answer: its number, its author and
/// its first words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    /// The line's number (in its room, or in its conversation).
    pub line: u64,
    /// Its author's login.
    pub from: String,
    /// Its first words (at most [`crate::limits::QUOTE_CHARS`] characters; empty for a deleted
    /// line), as [`excerpt`] makes them.
    pub excerpt: String,
}

/// What a quote (or a report) shows of a line saying `text` with files named `files`: its first
/// `max` characters, or, for a line of files alone, their names after a paperclip. A quote's
/// empty excerpt means its line was deleted, which a line of files is not.
pub fn excerpt<'a>(text: &str, files: impl IntoIterator<Item = &'a str>, max: usize) -> String {
    if text.trim().is_empty() {
        let names: Vec<&str> = files.into_iter().collect();
        if !names.is_empty() {
            return format!("📎 {}", names.join(", "))
                .chars()
                .take(max)
                .collect();
        }
    }
    text.chars().take(max).collect()
}

/// A file a line carries: a picture, a document, code. Its bytes are fetched over HTTP on the
/// chat's own port (`GET /files/{id}`, see docs/PROTOCOL.md, "Files").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// The file's id.
    pub id: String,
    /// Its name, as the sender gave it.
    pub name: String,
    /// Its size, in bytes.
    pub size: u64,
    /// Its media type (`image/png`, `application/pdf`…).
    #[serde(rename = "type")]
    pub mime: String,
    /// A picture's width and height, in pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    /// Whether a small preview of the picture is at `GET /files/{id}/preview`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub preview: bool,
}

impl Attachment {
    /// Whether its id has the form a server gives (see [`is_file_id`]).
    pub fn has_valid_id(&self) -> bool {
        is_file_id(&self.id)
    }
}

/// Whether `id` has the form of a file id: 32 hexadecimal digits. Ids go into URLs and name
/// files on disk (the server's uploads, a client's cache), so anything else is refused, not
/// trusted, on either side.
pub fn is_file_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

/// One emoji on a line: how many put it there, and who (the first of them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reaction {
    /// The emoji.
    pub emoji: String,
    /// How many users put it there.
    pub count: u32,
    /// The first of them, by login (at most [`crate::limits::REACTORS_LISTED`]).
    pub by: Vec<String>,
}

/// What a room's creator (or an administrator) does to keep order in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModAction {
    /// The member may not say anything in the room for `seconds`.
    Mute,
    /// The member may speak again.
    Unmute,
    /// The member is moved to the default room and may not come back while the room lives.
    Remove,
    /// Each member may say one line per `seconds` (0: slow mode off).
    Slow,
    /// A removed member may come back.
    Readmit,
    /// The member is not slowed by slow mode.
    Voice,
    /// The member is slowed by slow mode like the others again.
    Devoice,
    /// An action this build does not know.
    #[serde(other)]
    Unknown,
}

impl ModAction {
    /// The name on the wire.
    pub fn wire_name(self) -> &'static str {
        match self {
            ModAction::Mute => "mute",
            ModAction::Unmute => "unmute",
            ModAction::Remove => "remove",
            ModAction::Slow => "slow",
            ModAction::Readmit => "readmit",
            ModAction::Voice => "voice",
            ModAction::Devoice => "devoice",
            ModAction::Unknown => "unknown",
        }
    }
}

/// A room's topic, as its creator (or an administrator) set it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomTopic {
    /// The topic.
    pub text: String,
    /// Who set it.
    pub by: String,
    /// When (server time, ms).
    pub time: i64,
}

/// How far a private message went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Receipt {
    /// It reached the recipient's connection (at once, or at its next login).
    Delivered,
    /// The recipient has seen it.
    Read,
    /// A state this build does not know.
    #[serde(other)]
    Unknown,
}

/// How far one reader has read a room or a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Marker {
    /// The room or the conversation.
    #[serde(flatten)]
    pub target: Target,
    /// The last line read, included.
    pub line: u64,
    /// In a conversation: the last of your messages the other user has read (0: none, or they
    /// do not send read receipts).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub theirs: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

#[cfg(test)]
mod tests {
    use super::excerpt;

    #[test]
    fn an_excerpt_is_the_first_words_or_the_files_of_a_line_without_any() {
        assert_eq!(excerpt("hola a todos", ["a.png"], 4), "hola");
        assert_eq!(excerpt("", ["a.png", "b.pdf"], 80), "📎 a.png, b.pdf");
        assert_eq!(excerpt("  ", ["apuntes.pdf"], 5), "📎 apu");
        assert_eq!(excerpt("", [], 80), "", "nothing: a deleted line's");
    }
}
