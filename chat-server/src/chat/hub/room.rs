//! A room: its members, and the lines said in it (its history).
//!
//! Architecture Invariant: a room's lines are numbered and broadcast under its `lines` lock, so
//! every member receives the room's lines in the same order, the order of their numbers, and
//! the history holds them in that order too.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chat_core::limits::{MAX_LISTED, QUOTE_CHARS, REACTORS_LISTED};
use chat_core::protocol::{Quote, Reaction, Said, ServerMessage};

use crate::delivery::event::{Event, Reacted};
use crate::delivery::peer::{self, Peer};
use crate::delivery::writers::WriteHere;

/// A line said in a room of at most this many members (here) is written to them by the sender's
/// own thread rather than handed to the writers: one thread fewer to wake before it goes out, which
/// under load is where a line waits longest. A larger room is written by the writers, which share
/// it and gather the lines of many senders into one send per member.
const WRITTEN_HERE_MAX: usize = 128;
/// A room whose previous line is at least this old is quiet: its next line is written at once
/// (see [`WRITTEN_HERE_MAX`]). In a busy room the writers, a little behind, gather several lines
/// into one send per member, which at full speed delivers several times more.
const QUIET_AFTER: Duration = Duration::from_micros(250);

/// A line of the history, with the bytes it takes in a frame (measured when said or changed),
/// and everyone who reacted to it (its `said` lists the first few of each emoji).
#[derive(Debug, Clone)]
pub(super) struct Line {
    pub said: Arc<Said>,
    pub bytes: usize,
    /// Each emoji on the line and who put it there, in the order the emoji first came.
    pub reactors: Vec<(String, Vec<String>)>,
}

impl Line {
    /// The line as kept on disk: with every reactor of each emoji, not the first few.
    pub fn whole(&self) -> Said {
        let mut said = Said::clone(&self.said);
        said.reactions = super::reactions::counted(&self.reactors);
        said
    }
}

/// The quote of a line, for the lines that answer it.
pub(super) fn quote_of(said: &Said) -> Quote {
    Quote {
        line: said.id,
        from: said.from.clone(),
        excerpt: if said.deleted {
            String::new()
        } else {
            chat_core::protocol::excerpt(
                &said.text,
                said.attachments.iter().map(|f| f.name.as_str()),
                QUOTE_CHARS,
            )
        },
    }
}

/// The reactions as a line shows them: each emoji, how many, and the first few who put it.
pub(super) fn shown(reactors: &[(String, Vec<String>)]) -> Vec<Reaction> {
    reactors
        .iter()
        .map(|(emoji, by)| Reaction {
            emoji: emoji.clone(),
            count: u32::try_from(by.len()).unwrap_or(u32::MAX),
            by: by.iter().take(REACTORS_LISTED).cloned().collect(),
        })
        .collect()
}

/// The numbered lines of a room, the newest `keep` of them.
#[derive(Debug)]
pub(super) struct Lines {
    pub lines: VecDeque<Line>,
    pub next_id: u64,
    pub keep: usize,
    /// When the last line was said here (see [`QUIET_AFTER`]).
    last_said: Option<Instant>,
    /// Lines whose reactions changed since members were last told, with each reaction put on
    /// or taken off meanwhile (see `Hub::tell_reactions`; at most
    /// [`super::actions::CHANGES_KEPT`] a line).
    pub reacted: BTreeMap<u64, Vec<Reacted>>,
}

impl Lines {
    /// Keeps a line (its reactions, as stored, complete).
    fn push(&mut self, mut said: Said) -> Arc<Said> {
        let reactors: Vec<(String, Vec<String>)> = std::mem::take(&mut said.reactions)
            .into_iter()
            .map(|r| (r.emoji, r.by))
            .collect();
        said.reactions = shown(&reactors);
        let said = Arc::new(said);
        let bytes = chat_core::frame::encoded_len(&*said);
        self.lines.push_back(Line {
            said: Arc::clone(&said),
            bytes,
            reactors,
        });
        while self.lines.len() > self.keep {
            self.lines.pop_front();
        }
        said
    }

    /// The line numbered `id`, if the room still keeps it.
    pub fn find(&self, id: u64) -> Option<&Line> {
        let at = self.lines.partition_point(|l| l.said.id < id);
        self.lines.get(at).filter(|l| l.said.id == id)
    }

    /// Changes the line numbered `id` (its text, its reactors): `change` gets a copy of what it
    /// says and its reactors; the line then says that, re-measured. Returns the line as it is
    /// now, or `None` if the room no longer keeps it.
    pub fn change(
        &mut self,
        id: u64,
        change: impl FnOnce(&mut Said, &mut Vec<(String, Vec<String>)>),
    ) -> Option<&Line> {
        let at = self.lines.partition_point(|l| l.said.id < id);
        let line = self.lines.get_mut(at).filter(|l| l.said.id == id)?;
        let mut said = Said::clone(&line.said);
        change(&mut said, &mut line.reactors);
        said.reactions = shown(&line.reactors);
        line.bytes = chat_core::frame::encoded_len(&said);
        line.said = Arc::new(said);
        Some(line)
    }

    /// The newest lines before `before` (all when `None`) that fit in `budget` bytes, at most
    /// `max` of them, oldest first; and whether earlier lines exist.
    pub fn newest(&self, before: Option<u64>, budget: usize, max: usize) -> (Vec<Said>, bool) {
        let end = match before {
            Some(id) => self.lines.partition_point(|l| l.said.id < id),
            None => self.lines.len(),
        };
        let mut used = 0;
        let mut start = end;
        while start > 0 && end - start < max {
            let line = &self.lines[start - 1];
            if used + line.bytes > budget {
                break;
            }
            used += line.bytes;
            start -= 1;
        }
        let said = self
            .lines
            .range(start..end)
            .map(|l| Said::clone(&l.said))
            .collect();
        (said, start > 0)
    }
}

/// Where a member is: its login key, and its connection on this node (`None`: on another node).
type Place = (String, Option<u64>);

/// A room's members by name, in login-key order, and which of them are away; kept up to date as
/// members come, go and change presence, so `entered` lists the first [`MAX_LISTED`] without
/// visiting every member. Visiting them all, under the hub's lock, made 10,000 logins into one
/// room visit 50 M members: the restart storm spent half its server time there.
#[derive(Debug, Default)]
struct Roster {
    names: BTreeMap<Place, String>,
    away: BTreeSet<Place>,
}

impl Roster {
    /// Adds (or renames) a member; whether it is new.
    fn insert(&mut self, place: Place, name: &str, away: bool) -> bool {
        let new = self.names.insert(place.clone(), name.to_owned()).is_none();
        self.set_away(place, away);
        new
    }

    /// Removes a member; whether it was there.
    fn remove(&mut self, place: &Place) -> bool {
        self.away.remove(place);
        self.names.remove(place).is_some()
    }

    fn set_away(&mut self, place: Place, away: bool) {
        if !self.names.contains_key(&place) {
            return;
        }
        if away {
            self.away.insert(place);
        } else {
            self.away.remove(&place);
        }
    }
}

/// A room.
#[derive(Debug)]
pub(super) struct Room {
    pub name: String,
    /// Login name and key of the creator; `None` for the default room.
    pub creator: Option<(String, String)>,
    /// Members connected to this node, in no particular order.
    pub members: Vec<Arc<Peer>>,
    /// How many members are on other nodes of a cluster (they are in the roster).
    remote: usize,
    /// Where each member is in `members`, by peer id: joining and leaving cost O(1), not O(N).
    slots: HashMap<u64, usize>,
    roster: Roster,
    lines: Mutex<Lines>,
    /// What its creator (or an administrator) set to keep order; nothing until then.
    pub order: Option<Box<super::order::Order>>,
}

impl Room {
    /// A room keeping its newest `keep` lines, starting with `said` (oldest first).
    pub fn new(
        name: &str,
        creator: Option<(String, String)>,
        keep: usize,
        said: Vec<Said>,
    ) -> Self {
        let mut lines = Lines {
            lines: VecDeque::new(),
            next_id: said.last().map_or(1, |s| s.id + 1),
            keep,
            last_said: None,
            reacted: BTreeMap::new(),
        };
        for s in said {
            lines.push(s);
        }
        Room {
            name: name.to_owned(),
            creator,
            members: Vec::new(),
            remote: 0,
            slots: HashMap::new(),
            roster: Roster::default(),
            lines: Mutex::new(lines),
            order: None,
        }
    }

    pub fn lines(&self) -> MutexGuard<'_, Lines> {
        // Each change leaves the lines consistent, so a poisoned lock guards valid data.
        self.lines.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn remove(&mut self, id: u64) {
        let Some(slot) = self.slots.remove(&id) else {
            return;
        };
        let peer = self.members.swap_remove(slot);
        self.roster.remove(&(place_key(&peer), Some(id)));
        if let Some(moved) = self.members.get(slot) {
            self.slots.insert(moved.id, slot);
        }
    }

    /// Adds a member connected to this node; `away`: it is away.
    pub fn add(&mut self, peer: &Arc<Peer>, away: bool) {
        if self.slots.contains_key(&peer.id) {
            return;
        }
        self.slots.insert(peer.id, self.members.len());
        self.members.push(Arc::clone(peer));
        self.roster
            .insert((place_key(peer), Some(peer.id)), peer.name(), away);
    }

    /// Adds (or renames) a member on another node of the cluster.
    pub fn add_remote(&mut self, key: &str, name: &str, away: bool) {
        if self.roster.insert((key.to_owned(), None), name, away) {
            self.remote += 1;
        }
    }

    /// Removes a member on another node.
    pub fn remove_remote(&mut self, key: &str) {
        if self.roster.remove(&(key.to_owned(), None)) {
            self.remote -= 1;
        }
    }

    /// Members on other nodes: login key and login.
    pub fn remote_members(&self) -> impl Iterator<Item = (&String, &String)> {
        self.roster
            .names
            .iter()
            .filter(|((_, here), _)| here.is_none())
            .map(|((key, _), name)| (key, name))
    }

    /// A member (`id`: its connection here, `None`: on another node) is away or back.
    pub fn set_away(&mut self, key: &str, id: Option<u64>, away: bool) {
        self.roster.set_away((key.to_owned(), id), away);
    }

    /// Members on every node.
    pub fn member_count(&self) -> usize {
        self.members.len() + self.remote
    }

    /// The first [`MAX_LISTED`] member names in case-insensitive order (on every node).
    pub fn listed_names(&self) -> Vec<String> {
        self.roster
            .names
            .values()
            .take(MAX_LISTED)
            .cloned()
            .collect()
    }

    /// The first [`MAX_LISTED`] names of members who are away, in the same order.
    pub fn listed_away(&self) -> Vec<String> {
        self.roster
            .away
            .iter()
            .filter_map(|place| self.roster.names.get(place).cloned())
            .take(MAX_LISTED)
            .collect()
    }

    /// Queues `event` for every member; returns the member furthest behind if the sender should
    /// wait for it (see `peer::broadcast`).
    pub fn broadcast(&self, event: &Event) -> Option<Arc<Peer>> {
        peer::broadcast(self.members.iter(), event, None)
    }

    /// Keeps a line numbered elsewhere (by the cluster, in its order) and queues it for this
    /// node's members, under the lines lock. `origin`: the sender's connection, if on this node.
    #[cfg_attr(not(feature = "cluster"), allow(dead_code))]
    pub fn deliver(&self, said: Said, origin: Option<u64>, notice: bool) -> Arc<Said> {
        let mut lines = self.lines();
        lines.next_id = lines.next_id.max(said.id + 1);
        let mut event = Event::at(
            said.time,
            ServerMessage::Message {
                room: self.name.clone(),
                from: said.from.clone(),
                text: said.text.clone(),
                id: said.id,
                reply_to: said.reply_to.clone(),
                attachments: said.attachments.clone(),
            },
        )
        .noticed(notice);
        if let Some(origin) = origin {
            event = event.sent_by(origin);
        }
        let said = lines.push(said);
        let id = said.id;
        peer::broadcast(
            self.members.iter().filter(|m| m.wants_line(id)),
            &event,
            None,
        );
        said
    }

    /// Numbers a line, keeps it, and queues it for every member, all under the lines lock (see
    /// the module's invariant). Returns the line and a member far behind, if one is. `numbered`
    /// sees the line once it has its number, before any member can: what a member may do
    /// with it at once (fetch its files) is ready by then.
    ///
    /// Its number comes from `ids`, the server's one counter for every room: a number is never
    /// used twice, even by a room made again under the same name (a client holding the old
    /// room's lines can tell them apart). Taken under the lines lock, so each room's numbers
    /// grow in the order of its lines.
    pub fn say(
        &self,
        from: &Peer,
        mut said: Said,
        notice: bool,
        ids: &AtomicU64,
        numbered: impl FnOnce(&Said),
    ) -> (Arc<Said>, Option<Arc<Peer>>, WriteHere) {
        let mut lines = self.lines();
        let id = ids.fetch_add(1, Ordering::Relaxed).max(lines.next_id);
        lines.next_id = id + 1;
        said.id = id;
        said.room.clone_from(&self.name);
        said.from = from.name().to_owned();
        numbered(&said);
        let event = Event::at(
            said.time,
            ServerMessage::Message {
                room: said.room.clone(),
                from: said.from.clone(),
                text: said.text.clone(),
                id,
                reply_to: said.reply_to.clone(),
                attachments: said.attachments.clone(),
            },
        )
        .sent_by(from.id)
        .noticed(notice);
        let said = lines.push(said);
        let now = Instant::now();
        let quiet = lines
            .last_said
            .replace(now)
            .is_none_or(|last| now.duration_since(last) >= QUIET_AFTER);
        let mut here = WriteHere::default();
        let behind = peer::broadcast(
            self.members.iter(),
            &event,
            (quiet && self.members.len() <= WRITTEN_HERE_MAX).then_some(&mut here),
        );
        (said, behind, here)
    }
}

/// A member's login key (every member has logged in; `-` would sort a stray one first).
fn place_key(peer: &Peer) -> String {
    peer.login()
        .map_or_else(|| "-".to_owned(), |l| l.key.clone())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::io::Read;
    use std::net::{TcpListener, TcpStream};

    use chat_core::protocol::CloseReason;
    use chat_core::transport::Transport;

    use super::*;
    use crate::delivery::outbox::Frame;
    use crate::delivery::peer::{Login, Render};
    use crate::delivery::writers::ReadyQueue;

    /// Writes a room line as its text and a newline: what the room does is under test here, not
    /// a protocol.
    #[derive(Debug)]
    struct TextLines;

    impl Render for TextLines {
        fn event(&self, event: &Event, _peer: &Peer) -> Option<Frame> {
            match event.message() {
                ServerMessage::Message { text, .. } => {
                    Some(Frame::from(format!("{text}\n").into_bytes()))
                }
                _ => None,
            }
        }

        fn goodbye(&self, _re: Option<u32>, _reason: CloseReason, _message: &str) -> Option<Frame> {
            None
        }
    }

    fn said(id: u64, text: &str) -> Said {
        Said {
            room: "r".into(),
            from: "ana".into(),
            text: text.into(),
            time: 1,
            id,
            ..Default::default()
        }
    }

    #[test]
    fn the_newest_lines_that_fit_come_oldest_first_and_say_if_more_exist() {
        let room = Room::new("r", None, 5, (1..=8).map(|i| said(i, "x")).collect());
        let lines = room.lines();
        assert_eq!(lines.lines.len(), 5, "only the newest five are kept");
        assert_eq!(lines.next_id, 9);
        let (all, more) = lines.newest(None, usize::MAX, usize::MAX);
        assert_eq!(
            all.iter().map(|s| s.id).collect::<Vec<_>>(),
            [4, 5, 6, 7, 8]
        );
        assert!(!more);
        let (page, more) = lines.newest(Some(7), usize::MAX, 2);
        assert_eq!(page.iter().map(|s| s.id).collect::<Vec<_>>(), [5, 6]);
        assert!(more);
        let one = lines.lines[0].bytes;
        let (fit, more) = lines.newest(None, one * 2 + 1, usize::MAX);
        assert_eq!(fit.iter().map(|s| s.id).collect::<Vec<_>>(), [7, 8]);
        assert!(more);
        assert_eq!(lines.newest(Some(4), usize::MAX, 9), (vec![], false));
    }

    #[test]
    fn the_roster_lists_names_in_key_order_and_follows_presence() {
        let mut room = Room::new("r", None, 5, Vec::new());
        room.add_remote("zoe", "Zoe", false);
        room.add_remote("ana", "Ana", true);
        room.roster
            .insert(("maria".into(), Some(7)), "Maria", false);
        assert_eq!(room.listed_names(), ["Ana", "Maria", "Zoe"]);
        assert_eq!(room.listed_away(), ["Ana"]);
        room.set_away("maria", Some(7), true);
        room.set_away("ana", None, false);
        room.set_away("nobody", None, true);
        assert_eq!(room.listed_away(), ["Maria"]);
        room.remove_remote("zoe");
        assert_eq!(room.listed_names(), ["Ana", "Maria"]);
        assert_eq!(
            room.member_count(),
            1,
            "Maria was not added as a member here"
        );
        for i in 0..MAX_LISTED + 10 {
            room.add_remote(&format!("u{i:04}"), &format!("U{i:04}"), true);
        }
        assert_eq!(room.listed_names().len(), MAX_LISTED);
        assert_eq!(room.listed_names()[2], "U0000");
        assert_eq!(room.listed_away().len(), MAX_LISTED);
    }

    /// Members of `room` on real sockets, with the client end of each.
    fn members(room: &mut Room, ready: &ReadyQueue, n: u64) -> Vec<(Arc<Peer>, TcpStream)> {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        (0..n)
            .map(|id| {
                let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
                let (server, addr) = listener.accept().unwrap();
                let peer = Peer::new(
                    id,
                    addr,
                    Transport::plain(server),
                    1 << 20,
                    ready.clone(),
                    &TextLines,
                );
                let name = format!("u{id}");
                peer.set_login(Login {
                    key: name.clone(),
                    name,
                    guest: false,
                });
                room.add(&peer, false);
                (peer, client)
            })
            .collect()
    }

    /// A line of `text` said at `time`, to be numbered.
    fn line(text: &str, time: i64) -> Said {
        Said {
            text: text.into(),
            time,
            ..Default::default()
        }
    }

    /// The text of the next line `client` receives, if one arrives within `wait`.
    fn next_text(client: &mut TcpStream, wait: Duration) -> Option<String> {
        client.set_read_timeout(Some(wait)).unwrap();
        let mut line = Vec::new();
        let mut byte = [0u8; 1];
        while client.read(&mut byte).ok()? == 1 {
            if byte[0] == b'\n' {
                return Some(String::from_utf8(line).unwrap());
            }
            line.push(byte[0]);
        }
        None
    }

    #[test]
    fn a_quiet_small_room_is_written_by_the_senders_thread_and_a_busy_one_by_the_writers() {
        // No writer serves this queue: whatever reaches a client was written by `say`'s caller.
        let ready = ReadyQueue::unserved().unwrap();
        let mut room = Room::new("r", None, 5, Vec::new());
        let mut members = members(&mut room, &ready, 3);
        let ids = AtomicU64::new(1);
        let (_, behind, write) = room.say(&members[0].0, line("hola", 1), false, &ids, |_| {});
        assert!(behind.is_none());
        write.now();
        for (_, client) in &mut members {
            assert_eq!(
                next_text(client, Duration::from_secs(5)).as_deref(),
                Some("hola")
            );
        }
        // A line said as if at once after another (a time no clock can pass, so never quiet):
        // the room is busy, and the line is the writers' (here, nobody's) to send.
        room.lines().last_said = Some(Instant::now() + Duration::from_secs(3600));
        let (_, _, write) = room.say(&members[1].0, line("otra", 2), false, &ids, |_| {});
        write.now();
        for (_, client) in &mut members {
            assert_eq!(next_text(client, Duration::from_millis(200)), None);
        }
        let mut rest = [0u8; 1];
        members[0].1.set_nonblocking(true).unwrap();
        assert!(members[0].1.read(&mut rest).is_err(), "nothing was sent");
    }
}
