//! A bounded, append-only list of lines: one per room and one per private conversation.
//!
//! Lines hold what happened, not how it is worded, so switching the language rewords old lines
//! too. When full, the oldest line is dropped: memory stays bounded however long a room lives.

use std::collections::VecDeque;

use chat_core::protocol::{ErrorCode, Field, RoomClosedReason, RoomInfo};

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
    /// This client's user is now in this room.
    Entered(String),
    /// The room this client was in closed.
    RoomClosed {
        /// The room.
        room: String,
        /// Why.
        reason: RoomClosedReason,
    },
    /// A room this client's user created was deleted on request.
    RoomDeleted(String),
    /// The answer to `#lR`.
    RoomList(Vec<RoomInfo>),
    /// The answer to `#help`.
    Help,
    /// A request failed.
    Refused(Refusal),
    /// The connection was lost / came back.
    Connection(bool),
}

/// A server refusal, kept structured so it can be worded in the interface's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// What went wrong, for programs.
    pub code: ErrorCode,
    /// The server's (or the local parser's) explanation, in English.
    pub message: String,
    /// The request field at fault, if any.
    pub field: Option<Field>,
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

    /// Lines dropped because the history was full.
    pub fn dropped(&self) -> u64 {
        self.dropped
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
}
