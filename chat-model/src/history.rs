//! A bounded list of lines: one per room and one per private conversation.
//!
//! Lines hold what happened, not how it is worded, so switching the language rewords old lines
//! too. When full, the oldest line is dropped: memory stays bounded however long a room lives.
//! New lines go at the end; pages of earlier lines the server keeps go at the front
//! ([`History::prepend`]).
//!
//! Architecture Invariant: a line the server numbered (`id`) is held at most once. Lines that
//! come again (re-entering a room, a reconnection, a page that overlaps) are recognised by their
//! number and skipped, so nothing is shown twice. Each line keeps its sequence number
//! ([`History::seq_of`]) for as long as it is held, whatever is added before or after it: views
//! and search results point at lines by it.

use std::collections::{HashMap, HashSet, VecDeque};

use chat_core::protocol::{Attachment, ErrorCode, Field, Quote, Reaction, Receipt, RoomInfo};

use crate::commands::Cmd;

/// One line of a room or conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// Server time, ms since the Unix epoch.
    pub time_ms: i64,
    /// The server's number for a line said in a room or conversation (increasing within it);
    /// `None` for the program's notices and for lines the server did not number.
    pub id: Option<u64>,
    /// What happened.
    pub kind: LineKind,
    /// The files a message carries (pictures, documents), in the order sent.
    pub attachments: Vec<Attachment>,
}

impl Line {
    /// A line the server did not number: a notice, or a line of one's own not yet numbered.
    pub fn new(time_ms: i64, kind: LineKind) -> Line {
        Line {
            time_ms,
            id: None,
            kind,
            attachments: Vec::new(),
        }
    }

    /// A line the server numbered `id` (0 means "not numbered", as older servers send).
    pub fn numbered(time_ms: i64, id: u64, kind: LineKind) -> Line {
        Line {
            time_ms,
            id: (id != 0).then_some(id),
            kind,
            attachments: Vec::new(),
        }
    }

    /// The same line carrying `attachments`.
    #[must_use]
    pub fn with_attachments(mut self, attachments: &[Attachment]) -> Line {
        attachments.clone_into(&mut self.attachments);
        self
    }

    /// The text said, for lines people said.
    pub fn said(&self) -> Option<(&str, &str)> {
        match &self.kind {
            LineKind::Message { from, text, .. } => Some((from, text)),
            _ => None,
        }
    }
}

/// How a private message travelled, when not the usual way (delivered at once).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Delivery {
    /// Delivered as it was sent (and every room line).
    #[default]
    Direct,
    /// One's own message to someone offline: kept by the server until they log in.
    Kept,
    /// A message kept for this user while they were offline, delivered at login; its time is
    /// when it was sent.
    WhileAway,
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
        /// How it travelled (private messages kept for later).
        delivery: Delivery,
    },
    /// Below this line: now. Above it: lines said before the user came in (room history or a
    /// conversation's earlier messages), which scrolling up pages further back.
    EarlierAbove,
    /// Private messages kept for the user while offline were more than the server keeps: this
    /// many of the oldest were lost.
    KeptDropped(u64),
    /// A conversation or room was saved to this file.
    Saved(String),
    /// Saving to a file failed (the system's reason is logged).
    SaveFailed(String),
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
    /// A room's creator or an administrator kept order in the room.
    Moderated {
        /// What they did.
        action: chat_core::protocol::ModAction,
        /// To whom (mute, unmute, remove).
        login: Option<String>,
        /// Until when the member is muted (server time, ms).
        until: Option<i64>,
        /// Slow mode's pace: one line per this many seconds (0: off).
        seconds: Option<u32>,
        /// Who did it.
        by: String,
    },
    /// A line refused for a while (`muted`, `slow_mode`): it may be said again at `until`
    /// (server time, ms), which the notice names.
    Wait {
        /// Why: `muted` or `slow_mode`.
        code: ErrorCode,
        /// When the user may write again (server time, ms).
        until: i64,
        /// How long that was from the refusal, ms.
        after_ms: u64,
    },
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

/// What happened to a numbered line since it was said (and what it answers): the server tells
/// these apart from the line itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Extras {
    /// The line it answers.
    pub reply_to: Option<Quote>,
    /// Its reactions, as the server last told them.
    pub reactions: Vec<Reaction>,
    /// When its text was last changed.
    pub edited: Option<i64>,
    /// It was deleted (by whom): show a placeholder.
    pub deleted: Option<String>,
    /// For the user's own private messages: how far it went.
    pub receipt: Option<Receipt>,
}

impl Extras {
    /// Whether there is nothing to show beyond the line.
    pub fn is_empty(&self) -> bool {
        *self == Extras::default()
    }
}

/// Whether earlier lines than those held can be asked of the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Earlier {
    /// None are known to exist.
    #[default]
    None,
    /// The server said it keeps earlier lines.
    More,
    /// A page was asked for and has not arrived.
    Loading,
}

/// The sequence number of the first line of a new history: far from zero, so pages of earlier
/// lines can be numbered below it.
const FIRST_SEQ: u64 = 1 << 40;

/// A bounded list of lines.
#[derive(Debug, Clone)]
pub struct History {
    lines: VecDeque<Line>,
    cap: usize,
    first_seq: u64,
    ids: HashSet<u64>,
    /// What happened to numbered lines since they were said, and what they answer.
    extras: HashMap<u64, Extras>,
    /// Counts changes to lines already held (their text or extras), so a view knows which
    /// heights to measure again.
    revision: u64,
    /// The latest changes: the revision each made and the line's number.
    changes: VecDeque<(u64, u64)>,
    /// Whether earlier lines exist on the server, or are being fetched.
    pub earlier: Earlier,
}

/// Changes kept for views to catch up with; a view further behind measures every line again.
const CHANGES_KEPT: usize = 64;

/// Which held lines changed since a view last looked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Changed {
    /// These lines, by index.
    Lines(Vec<usize>),
    /// More than are kept: take every line as changed.
    All,
}

impl History {
    /// An empty history keeping at most `cap` lines (at least one).
    pub fn new(cap: usize) -> Self {
        History {
            lines: VecDeque::new(),
            cap: cap.max(1),
            first_seq: FIRST_SEQ,
            ids: HashSet::new(),
            extras: HashMap::new(),
            revision: 0,
            changes: VecDeque::new(),
            earlier: Earlier::None,
        }
    }

    /// Counts changes to lines already held; see [`History::changed_since`].
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// The lines changed (text edited, deleted, reactions, receipts) after `revision`.
    pub fn changed_since(&self, revision: u64) -> Changed {
        if revision == self.revision {
            return Changed::Lines(Vec::new());
        }
        let kept_from = self.changes.front().map_or(self.revision, |(r, _)| r - 1);
        if revision < kept_from {
            return Changed::All;
        }
        let mut lines: Vec<usize> = self
            .changes
            .iter()
            .filter(|(r, _)| *r > revision)
            .filter_map(|(_, id)| self.index_of_id(*id))
            .collect();
        lines.sort_unstable();
        lines.dedup();
        Changed::Lines(lines)
    }

    /// Notes that line `id` changed.
    fn touch(&mut self, id: u64) {
        self.revision += 1;
        if self.changes.len() == CHANGES_KEPT {
            self.changes.pop_front();
        }
        self.changes.push_back((self.revision, id));
    }

    /// The index of the line numbered `id`, if held.
    pub fn index_of_id(&self, id: u64) -> Option<usize> {
        if !self.ids.contains(&id) {
            return None;
        }
        self.lines.iter().rposition(|l| l.id == Some(id))
    }

    /// What happened to line `id` since it was said, if anything did.
    pub fn extras(&self, id: u64) -> Option<&Extras> {
        self.extras.get(&id)
    }

    /// What happened to line `id`, to change.
    pub fn extras_mut(&mut self, id: u64) -> &mut Extras {
        self.touch(id);
        self.extras.entry(id).or_default()
    }

    /// Keeps what a page of history says happened to line `id` (replacing what was known).
    pub fn keep_extras(
        &mut self,
        id: u64,
        reply_to: Option<&Quote>,
        reactions: &[Reaction],
        edited: Option<i64>,
        deleted: bool,
    ) {
        let receipt = self.extras.get(&id).and_then(|e| e.receipt);
        let extras = Extras {
            reply_to: reply_to.cloned(),
            reactions: reactions.to_vec(),
            edited,
            deleted: deleted.then(String::new),
            receipt,
        };
        if extras.is_empty() {
            self.extras.remove(&id);
        } else {
            self.extras.insert(id, extras);
        }
    }

    /// Changes the text of line `id`, if held; returns whether it was.
    pub fn set_text(&mut self, id: u64, new: &str) -> bool {
        let Some(line) = self.changing(id) else {
            return false;
        };
        if let LineKind::Message { text, .. } = &mut line.kind {
            new.clone_into(text);
        }
        true
    }

    /// What a page of history says line `id` now reads, if held: its text and files. A line
    /// edited or deleted while this client was away (or out of the room) reads as it is now,
    /// not as it was when it came; nothing changes (or is measured again) when it is the same.
    pub fn keep_said(&mut self, id: u64, said: &str, attachments: &[Attachment]) {
        let Some(line) = self.index_of_id(id).and_then(|i| self.lines.get(i)) else {
            return;
        };
        let same_text = match &line.kind {
            LineKind::Message { text, .. } => text == said,
            _ => true,
        };
        if same_text && line.attachments == attachments {
            return;
        }
        if let Some(line) = self.changing(id) {
            if let LineKind::Message { text, .. } = &mut line.kind {
                said.clone_into(text);
            }
            attachments.clone_into(&mut line.attachments);
        }
    }

    /// Line `id` carries no files any more (it was deleted); returns whether it is held.
    pub fn drop_attachments(&mut self, id: u64) -> bool {
        match self.changing(id) {
            Some(line) => {
                line.attachments.clear();
                true
            }
            None => false,
        }
    }

    /// Line `id`, noted as changed (it is measured and drawn again).
    fn changing(&mut self, id: u64) -> Option<&mut Line> {
        let at = self.lines.iter().position(|l| l.id == Some(id))?;
        self.revision += 1;
        if self.changes.len() == CHANGES_KEPT {
            self.changes.pop_front();
        }
        self.changes.push_back((self.revision, id));
        self.lines.get_mut(at)
    }

    /// Gives the newest message of this user held the files it carries (one's own private
    /// message, whose files the server's answer does not repeat); returns whether one was held.
    pub fn attach_to_newest_own(&mut self, attachments: &[Attachment]) -> bool {
        let newest = self
            .lines
            .iter_mut()
            .rev()
            .find(|l| matches!(l.kind, LineKind::Message { own: true, .. }));
        match newest {
            Some(line) => {
                attachments.clone_into(&mut line.attachments);
                true
            }
            None => false,
        }
    }

    /// The numbered lines of this user held, with their numbers (for receipts).
    pub fn own_ids(&self) -> impl Iterator<Item = u64> + '_ {
        self.lines.iter().filter_map(|l| match (&l.kind, l.id) {
            (LineKind::Message { own: true, .. }, Some(id)) => Some(id),
            _ => None,
        })
    }

    /// Appends a line, dropping the oldest when full. A numbered line already held is skipped;
    /// returns whether the line was added.
    pub fn push(&mut self, line: Line) -> bool {
        if let Some(id) = line.id
            && !self.ids.insert(id)
        {
            return false;
        }
        if self.lines.len() == self.cap
            && let Some(gone) = self.lines.pop_front()
        {
            self.first_seq += 1;
            if let Some(id) = gone.id {
                self.ids.remove(&id);
            }
        }
        self.lines.push_back(line);
        true
    }

    /// Puts earlier lines (oldest first) before the first line held, skipping those already
    /// held; never beyond the bound (the oldest of them go first). Lines already held keep
    /// their sequence numbers. Returns how many were added.
    pub fn prepend(&mut self, lines: Vec<Line>) -> usize {
        let room = self.cap - self.lines.len();
        let fresh: Vec<Line> = lines
            .into_iter()
            .filter(|l| l.id.is_none_or(|id| !self.ids.contains(&id)))
            .collect();
        let skip = fresh.len().saturating_sub(room);
        let added = fresh.len() - skip;
        for line in fresh.into_iter().skip(skip).rev() {
            if let Some(id) = line.id {
                self.ids.insert(id);
            }
            self.lines.push_front(line);
            self.first_seq -= 1;
        }
        added
    }

    /// Forgets the server's numbers of the lines held: they belonged to an earlier life of the
    /// room (a room of the same name closed and was made again, numbered from the start), so
    /// they must neither hide new lines nor be asked for pages before.
    pub fn forget_numbers(&mut self) {
        for line in &mut self.lines {
            line.id = None;
        }
        self.ids.clear();
        self.earlier = Earlier::None;
    }

    /// The number of the newest numbered line held.
    pub fn newest_id(&self) -> Option<u64> {
        self.lines.iter().rev().find_map(|l| l.id)
    }

    /// The number of the oldest numbered line held: what to ask for lines before.
    pub fn oldest_id(&self) -> Option<u64> {
        self.lines.iter().find_map(|l| l.id)
    }

    /// Whether a line numbered `id` is held.
    pub fn holds(&self, id: u64) -> bool {
        self.ids.contains(&id)
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

    /// The sequence number of the first line held. Each line's number stays the same while
    /// older lines are dropped or earlier ones put before it.
    pub fn first_seq(&self) -> u64 {
        self.first_seq
    }

    /// The sequence number of the `i`-th line held.
    pub fn seq_of(&self, i: usize) -> u64 {
        self.first_seq + i as u64
    }

    /// The index of the line with sequence number `seq`, if still held.
    pub fn index_of_seq(&self, seq: u64) -> Option<usize> {
        let i = usize::try_from(seq.checked_sub(self.first_seq)?).ok()?;
        (i < self.lines.len()).then_some(i)
    }

    /// The sequence number one past the newest line: it grows by one per line added at the end.
    pub fn end_seq(&self) -> u64 {
        self.first_seq + self.lines.len() as u64
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
        Line::numbered(
            n,
            u64::try_from(n).unwrap() + 1,
            LineKind::Message {
                from: "ana".into(),
                text: n.to_string(),
                own: false,
                delivery: Delivery::Direct,
            },
        )
    }

    fn times(h: &History) -> Vec<i64> {
        h.iter().map(|l| l.time_ms).collect()
    }

    #[test]
    fn a_full_history_drops_the_oldest_lines() {
        let mut h = History::new(3);
        for n in 0..5 {
            h.push(say(n));
        }
        assert_eq!(h.len(), 3);
        assert_eq!(h.first_seq(), FIRST_SEQ + 2);
        assert_eq!(times(&h), [2, 3, 4]);
        assert_eq!(h.get(0).map(|l| l.time_ms), Some(2));
        assert!(!h.holds(1), "a dropped line's number is forgotten");
    }

    #[test]
    fn numbered_lines_are_held_once_and_pages_go_before_keeping_numbers() {
        let mut h = History::new(10);
        assert!(h.push(say(5)));
        assert!(h.push(say(6)));
        assert!(!h.push(say(6)), "the same line again is skipped");
        let seq_of_5 = h.seq_of(0);
        // A page of earlier lines that overlaps what is held.
        assert_eq!(h.prepend(vec![say(3), say(4), say(5)]), 2);
        assert_eq!(times(&h), [3, 4, 5, 6]);
        assert_eq!(h.index_of_seq(seq_of_5), Some(2), "line 5 kept its number");
        assert_eq!((h.oldest_id(), h.newest_id()), (Some(4), Some(7)));
        // Never beyond the bound: the oldest of a page go first.
        let mut small = History::new(3);
        small.push(say(9));
        assert_eq!(small.prepend((0..5).map(say).collect()), 2);
        assert_eq!(times(&small), [3, 4, 9]);
    }

    #[test]
    fn a_view_learns_which_held_lines_changed() {
        let mut h = History::new(200);
        for n in 0..5 {
            h.push(say(n));
        }
        let seen = h.revision();
        assert_eq!(h.changed_since(seen), Changed::Lines(Vec::new()));
        h.extras_mut(2).edited = Some(1);
        h.set_text(4, "new");
        h.extras_mut(99).edited = Some(1);
        assert_eq!(h.changed_since(seen), Changed::Lines(vec![1, 3]));
        for _ in 0..CHANGES_KEPT {
            h.extras_mut(1).edited = Some(2);
        }
        assert_eq!(h.changed_since(seen), Changed::All, "too far behind");
        assert_eq!(h.changed_since(h.revision() - 1), Changed::Lines(vec![0]));
    }

    fn said(from: &str, time_ms: i64) -> Line {
        Line::new(
            time_ms,
            LineKind::Message {
                from: from.into(),
                text: "x".into(),
                own: false,
                delivery: Delivery::Direct,
            },
        )
    }

    #[test]
    fn consecutive_lines_of_one_sender_form_a_group() {
        let mut h = History::new(10);
        h.push(said("ana", 0));
        h.push(said("ANA", 1_000));
        h.push(said("bob", 2_000));
        h.push(Line::new(3_000, LineKind::Joined("carl".into())));
        h.push(said("bob", 4_000));
        h.push(said("bob", 4_000 + GROUP_GAP_MS));
        let starts: Vec<bool> = (0..h.len()).map(|i| h.starts_group(i)).collect();
        assert_eq!(starts, [true, false, true, true, true, true]);
    }
}
