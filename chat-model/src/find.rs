//! Finding text: in the lines of one room or conversation (Ctrl+F, with next and previous), and
//! across every room and conversation this client has seen.
//!
//! Matching ignores case and looks at what people said (not the program's notices). Results
//! point at lines by their sequence number in their history, which stays valid while lines are
//! added before or after them.

use std::ops::Range;

use crate::chat::Chat;
use crate::history::History;

/// The byte ranges of `text` that match `query`, ignoring case, without overlaps.
pub fn ranges(text: &str, query: &str) -> Vec<Range<usize>> {
    let mut found = Vec::new();
    if query.is_empty() {
        return found;
    }
    let query: Vec<char> = query.chars().flat_map(char::to_lowercase).collect();
    let mut from = 0;
    for (start, _) in text.char_indices() {
        if start < from {
            continue;
        }
        if let Some(end) = match_at(&text[start..], &query) {
            found.push(start..start + end);
            from = start + end;
        }
    }
    found
}

/// The length in bytes of the match of `query` (lower case) at the start of `text`, if any.
fn match_at(text: &str, query: &[char]) -> Option<usize> {
    let mut wanted = query.iter();
    let mut next = wanted.next();
    for (at, c) in text.char_indices() {
        for lower in c.to_lowercase() {
            match next {
                Some(q) if *q == lower => next = wanted.next(),
                _ => return None,
            }
        }
        if next.is_none() {
            return Some(at + c.len_utf8());
        }
    }
    None
}

/// The lines of `history` whose text, or the name of a file they carry, contains `query`,
/// oldest first, by sequence number.
pub fn hits(history: &History, query: &str) -> Vec<u64> {
    if query.trim().is_empty() {
        return Vec::new();
    }
    history
        .iter()
        .enumerate()
        .filter(|(_, line)| {
            line.said().is_some_and(|(_, text)| {
                !ranges(text, query).is_empty()
                    || line
                        .attachments
                        .iter()
                        .any(|f| !ranges(&f.name, query).is_empty())
            })
        })
        .map(|(i, _)| history.seq_of(i))
        .collect()
}

/// Find in one room or conversation: what is looked for, and which hit is current.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Finder {
    /// What is typed in the find bar.
    pub query: String,
    /// The hits of the last search, oldest first, by sequence number.
    pub hits: Vec<u64>,
    /// The index in `hits` of the one shown.
    pub current: Option<usize>,
    /// The query the hits are for.
    searched: String,
}

impl Finder {
    /// A finder looking for `query`, not yet run.
    pub fn with_query(query: String) -> Finder {
        Finder {
            query,
            ..Finder::default()
        }
    }

    /// Searches `history` again if the query changed (or lines arrived); a new query starts at
    /// the newest hit, as the newest lines are the ones on screen.
    pub fn refresh(&mut self, history: &History) -> bool {
        let hits = hits(history, &self.query);
        if self.searched == self.query && hits == self.hits {
            return false;
        }
        let kept = self
            .current
            .and_then(|i| self.hits.get(i))
            .and_then(|seq| hits.iter().position(|h| h == seq));
        self.current = if self.searched == self.query {
            kept.or_else(|| hits.len().checked_sub(1))
        } else {
            hits.len().checked_sub(1)
        };
        self.hits = hits;
        self.searched = self.query.clone();
        true
    }

    /// The sequence number of the hit shown.
    pub fn current_seq(&self) -> Option<u64> {
        self.current.and_then(|i| self.hits.get(i)).copied()
    }

    /// Makes the hit on line `seq` the current one, if it is a hit.
    pub fn select(&mut self, seq: u64) {
        if let Some(i) = self.hits.iter().position(|h| *h == seq) {
            self.current = Some(i);
        }
    }

    /// Moves to the newer hit, wrapping to the oldest.
    pub fn newer(&mut self) -> Option<u64> {
        let n = self.hits.len();
        self.current = (n > 0).then(|| self.current.map_or(0, |c| (c + 1) % n));
        self.current_seq()
    }

    /// Moves to the older hit, wrapping to the newest.
    pub fn older(&mut self) -> Option<u64> {
        let n = self.hits.len();
        self.current = (n > 0).then(|| self.current.map_or(n - 1, |c| (c + n - 1) % n));
        self.current_seq()
    }
}

/// Where a search hit is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Place {
    /// A room's history, by the room's key.
    Room(String),
    /// A conversation, by the peer's login key.
    Conversation(String),
}

/// One line found by [`search_everywhere`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The room or conversation.
    pub place: Place,
    /// The room's or peer's name as shown.
    pub name: String,
    /// The line's sequence number in its history.
    pub seq: u64,
    /// When it was said.
    pub time_ms: i64,
    /// Who said it.
    pub from: String,
    /// What.
    pub text: String,
}

/// Every line that contains `query` in every room and conversation seen, newest first, at most
/// `limit`.
pub fn search_everywhere(chat: &Chat, query: &str, limit: usize) -> Vec<Found> {
    let mut found = Vec::new();
    let rooms = chat.histories().map(|(key, h)| {
        let name = chat
            .rooms
            .iter()
            .find(|r| chat_core::validate::room_key(&r.name) == key)
            .map_or_else(|| key.to_owned(), |r| r.name.clone());
        (Place::Room(key.to_owned()), name, h)
    });
    let conversations = chat.conversations().map(|c| {
        (
            Place::Conversation(chat_core::validate::login_key(&c.peer)),
            c.peer.clone(),
            &c.history,
        )
    });
    for (place, name, history) in rooms.chain(conversations) {
        for seq in hits(history, query) {
            let Some(line) = history.index_of_seq(seq).and_then(|i| history.get(i)) else {
                continue;
            };
            if let Some((from, text)) = line.said() {
                found.push(Found {
                    place: place.clone(),
                    name: name.clone(),
                    seq,
                    time_ms: line.time_ms,
                    from: from.to_owned(),
                    // A line of files alone: their names.
                    text: chat_core::protocol::excerpt(
                        text,
                        line.attachments.iter().map(|f| f.name.as_str()),
                        usize::MAX,
                    ),
                });
            }
        }
    }
    found.sort_by_key(|f| std::cmp::Reverse(f.time_ms));
    found.truncate(limit);
    found
}

#[cfg(test)]
mod tests {
    use chat_core::protocol::ServerMessage;

    use super::*;
    use crate::history::{Delivery, Line, LineKind};

    fn said(text: &str) -> Line {
        Line::new(
            1,
            LineKind::Message {
                from: "ana".into(),
                text: text.into(),
                own: false,
                delivery: Delivery::Direct,
            },
        )
    }

    #[test]
    fn matches_ignore_case_and_keep_byte_ranges_of_the_original() {
        assert_eq!(ranges("Año nuevo, AÑO feliz", "año"), [0..4, 12..16]);
        assert_eq!(ranges("aaaa", "aa"), [0..2, 2..4]);
        assert!(ranges("hola", "").is_empty());
        assert!(ranges("ho", "hola").is_empty());
        // A letter whose lower case is longer (İ is i + a combining dot) still matches itself.
        assert_eq!(ranges("xİx", "İ").first(), Some(&(1..3)));
    }

    #[test]
    fn next_and_previous_walk_the_hits_and_wrap() {
        let mut h = History::new(10);
        for text in ["clock sync", "nothing", "the CLOCK", "more", "clockwork"] {
            h.push(said(text));
        }
        let mut f = Finder::with_query("clock".into());
        assert!(f.refresh(&h));
        assert_eq!(f.hits.len(), 3);
        let seq: Vec<u64> = (0..5).map(|i| h.seq_of(i)).collect();
        assert_eq!(f.current_seq(), Some(seq[4]), "the newest hit first");
        assert_eq!(f.older(), Some(seq[2]));
        assert_eq!(f.older(), Some(seq[0]));
        assert_eq!(f.older(), Some(seq[4]), "wraps to the newest");
        assert_eq!(f.newer(), Some(seq[0]), "wraps to the oldest");
        // A new line that matches keeps the current hit.
        h.push(said("clock again"));
        assert!(f.refresh(&h));
        assert_eq!((f.hits.len(), f.current_seq()), (4, Some(seq[0])));
        assert!(!f.refresh(&h), "nothing changed");
    }

    #[test]
    fn a_line_is_found_by_the_name_of_a_file_it_carries() {
        let mut h = History::new(10);
        h.push(said("nothing here"));
        h.push(
            said("").with_attachments(&[chat_core::protocol::Attachment {
                id: "0123456789abcdef0123456789abcdef".into(),
                name: "Enunciado_Practica3.pdf".into(),
                size: 10,
                mime: "application/pdf".into(),
                width: None,
                height: None,
                preview: false,
            }]),
        );
        assert_eq!(hits(&h, "práctica3"), Vec::<u64>::new(), "accents are kept");
        assert_eq!(hits(&h, "practica3"), [h.seq_of(1)]);
    }

    #[test]
    fn search_everywhere_finds_rooms_and_conversations_newest_first() {
        let mut chat = Chat::new("ana");
        chat.apply(
            10,
            &ServerMessage::Message {
                attachments: Vec::new(),
                reply_to: None,
                room: "lobby".into(),
                from: "bob".into(),
                text: "the exam is on Friday".into(),
                id: 1,
            },
        );
        chat.apply(
            20,
            &ServerMessage::Private {
                attachments: Vec::new(),
                reply_to: None,
                from: "carl".into(),
                text: "did you study for the EXAM?".into(),
                stored: false,
                id: 1,
            },
        );
        let found = search_everywhere(&chat, "exam", 10);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].place, Place::Conversation("carl".into()));
        assert_eq!(found[1].place, Place::Room("lobby".into()));
        assert_eq!(search_everywhere(&chat, "exam", 1).len(), 1);
        assert!(search_everywhere(&chat, "  ", 10).is_empty());
    }
}
