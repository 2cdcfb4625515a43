//! A bounded, append-only list of lines: one per room and one per private conversation.
//!
//! Lines hold what happened, not how it is worded, so switching the language rewords old lines
//! too. When full, the oldest line is dropped: memory stays bounded however long a room lives.

use std::collections::VecDeque;

use chat_core::protocol::{ErrorCode, Field, RoomInfo};

use crate::commands::Cmd;

/// One line of a room or conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// Server time, ms since the Unix epoch.
    pub time_ms: i64,
    /// What happened.
    pub kind: LineKind,
}

/// What a line says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineKind {
    /// Someone said something (in a room, or privately).
    Message {
        /// Login of the author.
        from: String,
        /// The text.
        text: String,
        /// Whether this client's user wrote it.
        own: bool,
    },
    /// Someone entered the room.
    Joined(String),
    /// Someone left the room.
    Left(String),
    /// This client's user is now in this room; `after` says which room closed to bring them here.
    Entered {
        /// The room entered.
        room: String,
        /// The room that closed, and why, when that is what moved the user.
        after: Option<(String, Closure)>,
    },
    /// The room this line is in closed (the last line of its history).
    RoomClosed {
        /// The room.
        room: String,
        /// Why.
        closure: Closure,
    },
    /// The user deleted a room they were not in.
    RoomDeleted(String),
    /// The answer to `#lR`.
    RoomList(Vec<RoomInfo>),
    /// The answer to `#help`.
    Help,
    /// A request was refused, by the server or before sending.
    Refused(Refusal),
    /// A `#` word that is no command, as typed.
    UnknownCommand(String),
    /// A command typed wrongly: how to type it.
    Usage(Cmd),
    /// More lines than may be sent at once were typed.
    TooManyLines(usize),
    /// The connection was lost.
    ConnectionLost,
    /// The connection came back and the user is logged in again.
    ConnectionBack,
}

impl LineKind {
    /// Whether a person said this (as opposed to a notice of the program).
    pub fn is_message(&self) -> bool {
        matches!(self, LineKind::Message { .. })
    }
}

/// Why a room closed, as the user experiences it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closure {
    /// This user deleted it.
    DeletedByMe,
    /// Its creator deleted it.
    Deleted,
    /// Its creator disconnected.
    CreatorLeft,
}

/// A refusal, kept as the server's code and field so it is worded in the interface's language;
/// the server's English explanation is not kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    /// What went wrong.
    pub code: ErrorCode,
    /// The request field at fault, if any.
    pub field: Option<Field>,
}

/// Lines of one sender closer than this join the group above them, under one name and time.
pub const GROUP_GAP_MS: i64 = 5 * 60 * 1000;

/// Whether `line` continues the group of `previous`: both said by the same person, close in
/// time.
pub fn continues_group(previous: &Line, line: &Line) -> bool {
    match (&previous.kind, &line.kind) {
        (LineKind::Message { from: a, .. }, LineKind::Message { from: b, .. }) => {
            // Logins are equal ignoring ASCII case (`login_key`), compared without allocating.
            a.eq_ignore_ascii_case(b)
                && (0..GROUP_GAP_MS).contains(&(line.time_ms - previous.time_ms))
        }
        _ => false,
    }
}

/// A bounded list of lines.
#[derive(Debug, Clone)]
pub struct History {
    lines: VecDeque<Line>,
    cap: usize,
    dropped: u64,
}

impl History {
    /// An empty history keeping at most `cap` lines (at least one).
    pub fn new(cap: usize) -> Self {
        History {
            lines: VecDeque::new(),
            cap: cap.max(1),
            dropped: 0,
        }
    }

    /// Appends a line, dropping the oldest when full.
    pub fn push(&mut self, line: Line) {
        if self.lines.len() == self.cap {
            self.lines.pop_front();
            self.dropped += 1;
        }
        self.lines.push_back(line);
    }

    /// Appends lines in order.
    pub fn extend(&mut self, lines: impl IntoIterator<Item = Line>) {
        for line in lines {
            self.push(line);
        }
    }

    /// Lines held now.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// Whether no line is held.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// The `i`-th line held, oldest first.
    pub fn get(&self, i: usize) -> Option<&Line> {
        self.lines.get(i)
    }

    /// Every line held, oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Line> {
        self.lines.iter()
    }

    /// Lines dropped because the history was full: the sequence number of the first line held
    /// (each line's number stays the same while older lines are dropped).
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Whether the `i`-th line held starts a group (a notice, or a message that does not
    /// continue the one above it).
    pub fn starts_group(&self, i: usize) -> bool {
        match (
            i.checked_sub(1).and_then(|p| self.lines.get(p)),
            self.lines.get(i),
        ) {
            (Some(previous), Some(line)) => !continues_group(previous, line),
            _ => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn say(n: i64) -> Line {
        Line {
            time_ms: n,
            kind: LineKind::Message {
                from: "ana".into(),
                text: n.to_string(),
                own: false,
            },
        }
    }

    #[test]
    fn a_full_history_drops_the_oldest_lines() {
        let mut h = History::new(3);
        for n in 0..5 {
            h.push(say(n));
        }
        assert_eq!(h.len(), 3);
        assert_eq!(h.dropped(), 2);
        let times: Vec<i64> = h.iter().map(|l| l.time_ms).collect();
        assert_eq!(times, [2, 3, 4]);
        assert_eq!(h.get(0).map(|l| l.time_ms), Some(2));
    }

    fn said(from: &str, time_ms: i64) -> Line {
        Line {
            time_ms,
            kind: LineKind::Message {
                from: from.into(),
                text: "x".into(),
                own: false,
            },
        }
    }

    #[test]
    fn consecutive_lines_of_one_sender_form_a_group() {
        let mut h = History::new(10);
        h.push(said("ana", 0));
        h.push(said("ANA", 1_000));
        h.push(said("bob", 2_000));
        h.push(Line {
            time_ms: 3_000,
            kind: LineKind::Joined("carl".into()),
        });
        h.push(said("bob", 4_000));
        h.push(said("bob", 4_000 + GROUP_GAP_MS));
        let starts: Vec<bool> = (0..h.len()).map(|i| h.starts_group(i)).collect();
        assert_eq!(starts, [true, false, true, true, true, true]);
    }
}
