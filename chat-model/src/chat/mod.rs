//! What the signed-in user sees of the server: the rooms, the room they are in and who is in it,
//! every room's history, private conversations with their unread counts, who is online or away,
//! and the user list.
//!
//! Plain data updated by [`Chat::apply`] from server messages; nothing here draws or does I/O,
//! so the rules (own messages marked, members kept current, history merged without repeats,
//! counts, bounds) are tested plainly.
//!
//! Architecture Invariant: the user is in exactly one room (`room`), and only that room's events
//! arrive; other rooms' histories are what was seen while the user was in them.

use std::collections::{BTreeMap, HashMap};

use chat_core::protocol::{
    Presence, PrivateSaid, RoomClosedReason, RoomInfo, Said, ServerMessage, UserInfo,
};
use chat_core::validate::{login_key, room_key};

use crate::history::{Closure, Delivery, Earlier, History, Line, LineKind};
use crate::limits::{MAX_PRIVATE_HISTORY_LINES, MAX_ROOM_HISTORY_LINES};
use crate::notify::Arrival;
use crate::presence::Presences;

/// The room the user is in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CurrentRoom {
    /// Its name.
    pub name: String,
    /// Its creator; `None` for the default room.
    pub creator: Option<String>,
    /// Members' logins, sorted (possibly only the first of many).
    pub members: Vec<String>,
    /// How many members it has.
    pub member_count: u32,
}

/// Whether a conversation's kept messages were asked of the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FirstPage {
    /// Not yet.
    #[default]
    NotAsked,
    /// Asked; the answer has not arrived.
    Asked,
    /// Arrived: earlier pages come by scrolling up.
    Arrived,
}

/// A private conversation with one peer.
#[derive(Debug, Clone)]
pub struct Conversation {
    /// The peer's login as last seen.
    pub peer: String,
    /// What was said.
    pub history: History,
    /// Messages received while its window was closed.
    pub unread: u32,
    /// Whether its window is open.
    pub open: bool,
    /// Whether the messages the server keeps for it were asked for.
    pub first_page: FirstPage,
}

/// The registered users, as last listed.
#[derive(Debug, Clone, Default)]
pub struct Directory {
    /// Users, online first.
    pub users: Vec<UserInfo>,
    /// How many are registered in all.
    pub total: u32,
}

/// Everything the main window shows.
#[derive(Debug, Clone, Default)]
pub struct Chat {
    /// The signed-in user's login.
    pub me: String,
    /// The room the user is in, once known.
    pub room: Option<CurrentRoom>,
    /// Every room, the default one first.
    pub rooms: Vec<RoomInfo>,
    /// Room messages that arrived while the user was scrolled away from the bottom.
    pub unseen: u32,
    /// The registered users, once asked for.
    pub directory: Option<Directory>,
    /// Who is online, away or offline, and who is typing to the user.
    pub presence: Presences,
    histories: HashMap<String, History>,
    /// The room that last closed under the user and why, said in the room they are moved to.
    closed: Option<(String, Closure)>,
    /// A room whose deletion by this user was already said (the reply comes after the move).
    deletion_said: Option<String>,
    conversations: BTreeMap<String, Conversation>,
    /// Lines that arrived live since the app last looked (for notifications).
    arrivals: Vec<Arrival>,
}

impl Chat {
    /// A fresh view for `me`.
    pub fn new(me: &str) -> Self {
        Chat {
            me: me.to_owned(),
            ..Chat::default()
        }
    }

    /// Whether `login` is the signed-in user.
    pub fn is_me(&self, login: &str) -> bool {
        login_key(login) == login_key(&self.me)
    }

    /// The name of the room the user is in.
    pub fn room_name(&self) -> Option<&str> {
        self.room.as_ref().map(|r| r.name.as_str())
    }

    /// Whether the user created the room called `name` (and so may delete it).
    pub fn created(&self, room: &RoomInfo) -> bool {
        room.creator.as_deref().is_some_and(|c| self.is_me(c))
    }

    /// The history of a room, if the user was ever in it.
    pub fn history(&self, room: &str) -> Option<&History> {
        self.histories.get(&room_key(room))
    }

    /// Every room's history the user has seen, with the room's name as its lines say it.
    pub fn histories(&self) -> impl Iterator<Item = (&str, &History)> {
        self.histories.iter().map(|(key, h)| (key.as_str(), h))
    }

    /// The history of the room the user is in.
    pub fn current_history(&self) -> Option<&History> {
        self.room_name().and_then(|r| self.history(r))
    }

    /// The history of the room the user is in, to mark a page as asked for.
    pub fn current_history_mut(&mut self) -> Option<&mut History> {
        let room = self.room_name()?.to_owned();
        Some(self.history_mut(&room))
    }

    fn history_mut(&mut self, room: &str) -> &mut History {
        self.histories
            .entry(room_key(room))
            .or_insert_with(|| History::new(MAX_ROOM_HISTORY_LINES))
    }

    /// Adds a line to the current room's history (local notices, command answers, errors).
    pub fn note(&mut self, time_ms: i64, kind: LineKind) {
        let room = self.room_name().unwrap_or_default().to_owned();
        self.history_mut(&room).push(Line::new(time_ms, kind));
    }

    /// Private conversations, by peer.
    pub fn conversations(&self) -> impl Iterator<Item = &Conversation> {
        self.conversations.values()
    }

    /// The conversation with `peer`, if any.
    pub fn conversation(&self, peer: &str) -> Option<&Conversation> {
        self.conversations.get(&login_key(peer))
    }

    /// The conversation with `peer`, created if needed.
    pub fn conversation_mut(&mut self, peer: &str) -> &mut Conversation {
        self.conversations
            .entry(login_key(peer))
            .or_insert_with(|| Conversation {
                peer: peer.to_owned(),
                history: History::new(MAX_PRIVATE_HISTORY_LINES),
                unread: 0,
                open: false,
                first_page: FirstPage::NotAsked,
            })
    }

    /// Opens the window of a conversation, which marks it read.
    pub fn open_conversation(&mut self, peer: &str) {
        let c = self.conversation_mut(peer);
        c.open = true;
        c.unread = 0;
    }

    /// Closes the window of a conversation; its history stays.
    pub fn close_conversation(&mut self, peer: &str) {
        if let Some(c) = self.conversations.get_mut(&login_key(peer)) {
            c.open = false;
        }
    }

    /// Unread private messages in all conversations.
    pub fn unread_private(&self) -> u32 {
        self.conversations.values().map(|c| c.unread).sum()
    }

    /// Pages asked for on a connection that was lost will not arrive: ask again when needed.
    pub fn pages_lost(&mut self) {
        for h in self.histories.values_mut() {
            if h.earlier == Earlier::Loading {
                h.earlier = Earlier::More;
            }
        }
        for c in self.conversations.values_mut() {
            if c.first_page == FirstPage::Asked {
                c.first_page = FirstPage::NotAsked;
            }
            if c.history.earlier == Earlier::Loading {
                c.history.earlier = Earlier::More;
            }
        }
    }

    /// The lines that arrived live since the last call, oldest first.
    pub fn take_arrivals(&mut self) -> Vec<Arrival> {
        std::mem::take(&mut self.arrivals)
    }

    /// Updates the view with one message from the server, stamped with the server's time.
    pub fn apply(&mut self, time_ms: i64, message: &ServerMessage) {
        match message {
            ServerMessage::Entered {
                room,
                creator,
                members,
                member_count,
                away,
                history,
                more_history,
            } => {
                self.room = Some(CurrentRoom {
                    name: room.clone(),
                    creator: creator.clone(),
                    members: members.clone(),
                    member_count: *member_count,
                });
                self.presence.entered(members, away);
                self.unseen = 0;
                let after = self.closed.take();
                if let Some((closed, Closure::DeletedByMe)) = &after {
                    self.deletion_said = Some(room_key(closed));
                }
                let me = self.me.clone();
                let h = self.history_mut(room);
                // A room's numbers only grow while it lives: lines numbered at or above the
                // newest it now has are from an earlier room of the same name.
                let room_newest = history.last().map(|s| s.id);
                if h.newest_id()
                    .is_some_and(|held| room_newest.is_none_or(|n| n < held))
                {
                    h.forget_numbers();
                }
                if h.newest_id().is_none() && *more_history {
                    h.earlier = Earlier::More;
                }
                // Only lines said since the newest one held: re-entering or coming back after
                // a reconnection repeats nothing.
                let newest = h.newest_id();
                let mut fresh = 0;
                for said in history.iter().filter(|s| newest.is_none_or(|n| s.id > n)) {
                    fresh += usize::from(h.push(room_line(said, &me)));
                }
                if fresh > 0 {
                    h.push(Line::new(time_ms, LineKind::EarlierAbove));
                }
                h.push(Line::new(
                    time_ms,
                    LineKind::Entered {
                        room: room.clone(),
                        after,
                    },
                ));
            }
            ServerMessage::History {
                room,
                messages,
                more,
            } => {
                let me = self.me.clone();
                let h = self.history_mut(room);
                let before = h.oldest_id();
                h.prepend(
                    messages
                        .iter()
                        .filter(|s| before.is_none_or(|b| s.id < b))
                        .map(|s| room_line(s, &me))
                        .collect(),
                );
                h.earlier = if *more { Earlier::More } else { Earlier::None };
            }
            ServerMessage::PrivateHistory {
                with,
                messages,
                more,
            } => self.private_page(time_ms, with, messages, *more),
            ServerMessage::Rooms { rooms, .. } => {
                // Large rooms announce no joins or leaves: their count comes from here.
                if let Some(current) = self.room.as_mut()
                    && let Some(info) = rooms
                        .iter()
                        .find(|r| room_key(&r.name) == room_key(&current.name))
                {
                    current.member_count = info.members;
                }
                self.rooms = rooms.clone();
                self.forget_closed_rooms();
            }
            ServerMessage::Message {
                room,
                from,
                text,
                id,
            } => {
                let own = self.is_me(from);
                let said = Said {
                    room: room.clone(),
                    from: from.clone(),
                    text: text.clone(),
                    time: time_ms,
                    id: *id,
                };
                let me = self.me.clone();
                if self.history_mut(room).push(room_line(&said, &me)) && !own {
                    self.arrivals.push(Arrival::Room {
                        room: room.clone(),
                        from: from.clone(),
                        text: text.clone(),
                    });
                }
            }
            ServerMessage::Joined {
                room,
                login,
                presence,
            } => {
                if let Some(current) = self
                    .room
                    .as_mut()
                    .filter(|r| room_key(&r.name) == room_key(room))
                    && let Err(at) = member_position(&current.members, login)
                {
                    current.members.insert(at, login.clone());
                    current.member_count = current.member_count.saturating_add(1);
                }
                self.presence.set(login, *presence, None);
                self.history_mut(room)
                    .push(Line::new(time_ms, LineKind::Joined(login.clone())));
            }
            ServerMessage::Left { room, login } => {
                if let Some(current) = self
                    .room
                    .as_mut()
                    .filter(|r| room_key(&r.name) == room_key(room))
                    && let Ok(at) = member_position(&current.members, login)
                {
                    current.members.remove(at);
                    current.member_count = current.member_count.saturating_sub(1);
                }
                self.history_mut(room)
                    .push(Line::new(time_ms, LineKind::Left(login.clone())));
            }
            ServerMessage::RoomClosed { room, reason } => {
                let mine = self
                    .room
                    .as_ref()
                    .filter(|r| room_key(&r.name) == room_key(room))
                    .and_then(|r| r.creator.as_deref())
                    .is_some_and(|c| self.is_me(c));
                let closure = match reason {
                    RoomClosedReason::Deleted if mine => Closure::DeletedByMe,
                    RoomClosedReason::Deleted => Closure::Deleted,
                    RoomClosedReason::CreatorLeft | RoomClosedReason::Unknown => {
                        Closure::CreatorLeft
                    }
                };
                self.history_mut(room).push(Line::new(
                    time_ms,
                    LineKind::RoomClosed {
                        room: room.clone(),
                        closure,
                    },
                ));
                // The user is about to be moved (an `entered` follows): say why there.
                self.closed = Some((room.clone(), closure));
            }
            // Deleting the room one is in was said with the move; say it once.
            ServerMessage::RoomDeleted { room }
                if self.deletion_said.take().as_deref() != Some(room_key(room).as_str()) =>
            {
                self.note(time_ms, LineKind::RoomDeleted(room.clone()));
            }
            ServerMessage::Users { users, total, .. } => {
                for user in users {
                    let presence = match user.presence {
                        Presence::Unknown if user.online => Presence::Online,
                        Presence::Unknown => Presence::Offline,
                        known => known,
                    };
                    self.presence
                        .set(&user.login, presence, user.away_text.clone());
                }
                self.directory = Some(Directory {
                    users: users.clone(),
                    total: *total,
                });
            }
            ServerMessage::Private {
                from,
                text,
                stored,
                id,
            } => {
                self.presence.stopped_typing(from);
                let delivery = if *stored {
                    Delivery::WhileAway
                } else {
                    Delivery::Direct
                };
                let c = self.conversation_mut(from);
                c.peer = from.clone();
                let line = Line::numbered(
                    time_ms,
                    *id,
                    LineKind::Message {
                        from: from.clone(),
                        text: text.clone(),
                        own: false,
                        delivery,
                    },
                );
                if c.history.push(line) {
                    if !c.open {
                        c.unread = c.unread.saturating_add(1);
                    }
                    self.arrivals.push(Arrival::Private {
                        from: from.clone(),
                        text: text.clone(),
                        stored: *stored,
                    });
                }
            }
            ServerMessage::PrivateSent { to, text, .. } => {
                self.own_private(time_ms, to, text, false)
            }
            ServerMessage::PrivateStored { to, text, .. } => {
                self.own_private(time_ms, to, text, true)
            }
            ServerMessage::PrivateDropped { count } => {
                self.note(time_ms, LineKind::KeptDropped(*count));
            }
            ServerMessage::Presence {
                login,
                presence,
                text,
            } => self.presence.set(login, *presence, text.clone()),
            ServerMessage::Typing { from, until } => self.presence.typing(from, *until),
            // Handshake, replies the client routes itself, keep-alives: nothing to show.
            _ => {}
        }
    }

    /// One's own private message, delivered or kept for later.
    fn own_private(&mut self, time_ms: i64, to: &str, text: &str, kept: bool) {
        let me = self.me.clone();
        let c = self.conversation_mut(to);
        c.peer = to.to_owned();
        let delivery = if kept {
            Delivery::Kept
        } else {
            Delivery::Direct
        };
        c.history.push(Line::new(
            time_ms,
            LineKind::Message {
                from: me,
                text: text.to_owned(),
                own: true,
                delivery,
            },
        ));
    }

    /// A page of a conversation's kept messages: the first (newest) page goes before what was
    /// said since the conversation opened, under a divider; later pages go before that.
    fn private_page(&mut self, time_ms: i64, with: &str, messages: &[PrivateSaid], more: bool) {
        let me = self.me.clone();
        let c = self.conversation_mut(with);
        let before = c.history.oldest_id();
        let mut lines: Vec<Line> = messages
            .iter()
            .filter(|m| before.is_none_or(|b| m.id < b) && !c.history.holds(m.id))
            .map(|m| {
                let own = login_key(&m.from) == login_key(&me);
                Line::numbered(
                    m.time,
                    m.id,
                    LineKind::Message {
                        from: m.from.clone(),
                        text: m.text.clone(),
                        own,
                        delivery: Delivery::Direct,
                    },
                )
            })
            .collect();
        if c.first_page != FirstPage::Arrived && !lines.is_empty() {
            lines.push(Line::new(time_ms, LineKind::EarlierAbove));
        }
        c.first_page = FirstPage::Arrived;
        c.history.prepend(lines);
        c.history.earlier = if more { Earlier::More } else { Earlier::None };
    }
}

/// A room line as the history keeps it.
fn room_line(said: &Said, me: &str) -> Line {
    Line::numbered(
        said.time,
        said.id,
        LineKind::Message {
            from: said.from.clone(),
            text: said.text.clone(),
            own: login_key(&said.from) == login_key(me),
            delivery: Delivery::Direct,
        },
    )
}

impl Chat {
    /// Users listed in a room that no longer exists were moved to the default room with
    /// everyone else in it: show them there rather than in a room that is gone.
    fn forget_closed_rooms(&mut self) {
        let Some(directory) = self.directory.as_mut() else {
            return;
        };
        let Some(default) = self.rooms.iter().find(|r| r.is_default) else {
            return;
        };
        for user in &mut directory.users {
            if let Some(room) = &user.room
                && !self
                    .rooms
                    .iter()
                    .any(|r| room_key(&r.name) == room_key(room))
            {
                user.room = Some(default.name.clone());
            }
        }
    }
}

/// Where `login` is, or would go, in a member list sorted as the server sorts it: by login
/// ignoring ASCII case.
fn member_position(members: &[String], login: &str) -> Result<usize, usize> {
    let key = login_key(login);
    members.binary_search_by(|m| login_key(m).cmp(&key))
}

#[cfg(test)]
mod tests {
    use chat_core::protocol::RoomClosedReason;

    use super::*;

    fn entered(room: &str, members: &[&str]) -> ServerMessage {
        ServerMessage::Entered {
            room: room.into(),
            creator: None,
            members: members.iter().map(|m| (*m).to_owned()).collect(),
            member_count: u32::try_from(members.len()).unwrap(),
            away: Vec::new(),
            history: Vec::new(),
            more_history: false,
        }
    }

    #[test]
    fn own_messages_are_marked_regardless_of_case() {
        let mut chat = Chat::new("Ana");
        chat.apply(1, &entered("lobby", &["Ana"]));
        chat.apply(
            2,
            &ServerMessage::Message {
                room: "lobby".into(),
                from: "ana".into(),
                text: "hola".into(),
                id: 0,
            },
        );
        chat.apply(
            3,
            &ServerMessage::Message {
                room: "lobby".into(),
                from: "bob".into(),
                text: "hi".into(),
                id: 0,
            },
        );
        let own: Vec<bool> = chat
            .current_history()
            .unwrap()
            .iter()
            .filter_map(|l| match &l.kind {
                LineKind::Message { own, .. } => Some(*own),
                _ => None,
            })
            .collect();
        assert_eq!(own, [true, false]);
    }

    fn said(id: u64, text: &str) -> Said {
        Said {
            room: "lobby".into(),
            from: "bob".into(),
            text: text.into(),
            time: i64::try_from(id).unwrap() * 1000,
            id,
        }
    }

    fn entered_with(history: Vec<Said>, more: bool) -> ServerMessage {
        ServerMessage::Entered {
            room: "lobby".into(),
            creator: None,
            members: vec!["ana".into(), "bob".into()],
            member_count: 2,
            away: vec!["bob".into()],
            history,
            more_history: more,
        }
    }

    fn kinds(h: &History) -> Vec<String> {
        h.iter()
            .map(|l| match &l.kind {
                LineKind::Message { text, .. } => text.clone(),
                LineKind::EarlierAbove => "--".into(),
                LineKind::Entered { .. } => "entered".into(),
                other => format!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn a_rooms_history_shows_once_above_a_divider_however_often_one_enters() {
        let mut chat = Chat::new("ana");
        chat.apply(
            10_000,
            &entered_with(vec![said(1, "a"), said(2, "b")], true),
        );
        let lobby = chat.history("lobby").unwrap();
        assert_eq!(kinds(lobby), ["a", "b", "--", "entered"]);
        assert_eq!(
            lobby.earlier,
            Earlier::More,
            "earlier lines can be asked for"
        );
        assert_eq!(
            chat.presence.presence("bob"),
            Presence::Away,
            "entered says who is away"
        );
        // Back again (another room in between, or a reconnection): only what is new.
        chat.apply(
            20_000,
            &entered_with(vec![said(2, "b"), said(3, "c")], true),
        );
        chat.apply(
            30_000,
            &entered_with(vec![said(2, "b"), said(3, "c")], true),
        );
        let lobby = chat.history("lobby").unwrap();
        assert_eq!(
            kinds(lobby),
            ["a", "b", "--", "entered", "c", "--", "entered", "entered"]
        );
        // A page of earlier lines goes first, without repeating any.
        chat.apply(
            40_000,
            &ServerMessage::History {
                room: "lobby".into(),
                messages: vec![said(0, "zero is unnumbered"), said(1, "a")],
                more: false,
            },
        );
        let lobby = chat.history("lobby").unwrap();
        assert_eq!(kinds(lobby)[..3], ["zero is unnumbered", "a", "b"]);
        assert_eq!(lobby.earlier, Earlier::None);
        // A live line already held (it came with `entered`) is not shown twice.
        chat.apply(
            50_000,
            &ServerMessage::Message {
                room: "lobby".into(),
                from: "bob".into(),
                text: "c".into(),
                id: 3,
            },
        );
        assert_eq!(chat.history("lobby").unwrap().len(), 9);
        assert!(chat.take_arrivals().is_empty(), "history is no arrival");
    }

    #[test]
    fn a_room_made_again_under_the_same_name_shows_its_new_lines() {
        let mut chat = Chat::new("ana");
        let room = |history: Vec<Said>| ServerMessage::Entered {
            room: "proyecto".into(),
            creator: Some("bob".into()),
            members: vec!["ana".into()],
            member_count: 1,
            away: Vec::new(),
            history,
            more_history: false,
        };
        chat.apply(1, &room(vec![said(1, "old one"), said(2, "old two")]));
        // The room closed and bob made it again: numbered from 1, nothing said yet.
        chat.apply(2, &room(Vec::new()));
        let line = |id, text: &str| ServerMessage::Message {
            room: "proyecto".into(),
            from: "bob".into(),
            text: text.into(),
            id,
        };
        chat.apply(3, &line(1, "new one"));
        chat.apply(4, &line(2, "new two"));
        chat.apply(5, &line(2, "new two"));
        let texts: Vec<String> = chat
            .history("proyecto")
            .unwrap()
            .iter()
            .filter_map(|l| l.said().map(|(_, t)| t.to_owned()))
            .collect();
        assert_eq!(texts, ["old one", "old two", "new one", "new two"]);
    }

    #[test]
    fn a_conversation_shows_its_kept_messages_and_how_each_travelled() {
        let mut chat = Chat::new("ana");
        // Kept for ana while she was away: delivered at login, marked so.
        chat.apply(
            5_000,
            &ServerMessage::Private {
                from: "bob".into(),
                text: "are you there?".into(),
                stored: true,
                id: 7,
            },
        );
        chat.apply(
            6_000,
            &ServerMessage::PrivateStored {
                to: "carl".into(),
                text: "see you tomorrow".into(),
                id: 8,
            },
        );
        let page = |id: u64, from: &str, text: &str| PrivateSaid {
            from: from.into(),
            to: "x".into(),
            text: text.into(),
            time: i64::try_from(id).unwrap(),
            id,
        };
        chat.apply(
            9_000,
            &ServerMessage::PrivateHistory {
                with: "Bob".into(),
                messages: vec![
                    page(5, "ana", "hello bob"),
                    page(6, "bob", "hi"),
                    page(7, "bob", "are you there?"),
                ],
                more: true,
            },
        );
        let bob = chat.conversation("bob").unwrap();
        assert_eq!(
            kinds(&bob.history),
            ["hello bob", "hi", "--", "are you there?"]
        );
        assert_eq!(bob.history.earlier, Earlier::More);
        assert!(matches!(
            bob.history.get(0).unwrap().kind,
            LineKind::Message { own: true, .. }
        ));
        assert!(matches!(
            bob.history.get(3).unwrap().kind,
            LineKind::Message {
                delivery: Delivery::WhileAway,
                ..
            }
        ));
        let carl = chat.conversation("carl").unwrap();
        assert!(matches!(
            carl.history.get(0).unwrap().kind,
            LineKind::Message {
                delivery: Delivery::Kept,
                own: true,
                ..
            }
        ));
        // The next page goes first, with no second divider.
        chat.apply(
            10_000,
            &ServerMessage::PrivateHistory {
                with: "bob".into(),
                messages: vec![page(4, "bob", "older")],
                more: false,
            },
        );
        let bob = chat.conversation("bob").unwrap();
        assert_eq!(kinds(&bob.history)[..2], ["older", "hello bob"]);
        assert_eq!(bob.history.len(), 5);
        assert_eq!(
            chat.take_arrivals(),
            [crate::notify::Arrival::Private {
                from: "bob".into(),
                text: "are you there?".into(),
                stored: true
            }]
        );
    }

    #[test]
    fn joins_and_leaves_keep_the_member_list_current() {
        let mut chat = Chat::new("ana");
        chat.apply(1, &entered("lobby", &["ana", "carl"]));
        chat.apply(
            2,
            &ServerMessage::Joined {
                room: "lobby".into(),
                login: "bob".into(),
                presence: chat_core::protocol::Presence::Online,
            },
        );
        let room = chat.room.clone().unwrap();
        assert_eq!(room.members, ["ana", "bob", "carl"]);
        assert_eq!(room.member_count, 3);
        chat.apply(
            3,
            &ServerMessage::Left {
                room: "lobby".into(),
                login: "carl".into(),
            },
        );
        let room = chat.room.clone().unwrap();
        assert_eq!(room.members, ["ana", "bob"]);
        assert_eq!(room.member_count, 2);
        // Events about another room leave the member list alone.
        chat.apply(
            4,
            &ServerMessage::Joined {
                room: "other".into(),
                login: "dan".into(),
                presence: chat_core::protocol::Presence::Online,
            },
        );
        assert_eq!(chat.room.unwrap().members, ["ana", "bob"]);
    }

    #[test]
    fn the_room_list_keeps_a_large_rooms_member_count_current() {
        let mut chat = Chat::new("ana");
        chat.apply(1, &entered("lobby", &["ana", "bob"]));
        let list = |lobby: u32| ServerMessage::Rooms {
            rooms: vec![
                RoomInfo {
                    name: "Lobby".into(),
                    members: lobby,
                    creator: None,
                    is_default: true,
                },
                RoomInfo {
                    name: "other".into(),
                    members: 7,
                    creator: Some("bob".into()),
                    is_default: false,
                },
            ],
            total: 2,
            offset: 0,
        };
        chat.apply(2, &list(350));
        let room = chat.room.clone().unwrap();
        assert_eq!((room.member_count, room.members.len()), (350, 2));
        chat.apply(3, &list(349));
        assert_eq!(chat.room.unwrap().member_count, 349);
    }

    #[test]
    fn each_room_keeps_its_own_history() {
        let mut chat = Chat::new("ana");
        chat.apply(1, &entered("lobby", &["ana"]));
        chat.apply(
            2,
            &ServerMessage::Message {
                room: "lobby".into(),
                from: "bob".into(),
                text: "a".into(),
                id: 0,
            },
        );
        chat.apply(3, &entered("Games", &["ana"]));
        chat.apply(
            4,
            &ServerMessage::RoomClosed {
                room: "games".into(),
                reason: RoomClosedReason::CreatorLeft,
            },
        );
        chat.apply(5, &entered("lobby", &["ana"]));
        let lobby = chat.history("LOBBY").unwrap();
        assert_eq!(lobby.len(), 3, "entered, message, entered again");
        assert_eq!(
            lobby.get(2).unwrap().kind,
            LineKind::Entered {
                room: "lobby".into(),
                after: Some(("games".into(), Closure::CreatorLeft))
            },
            "why games closed is said with the move"
        );
        assert_eq!(chat.history("games").unwrap().len(), 2);
    }

    #[test]
    fn mixed_case_logins_leave_the_member_list() {
        let mut chat = Chat::new("ana");
        // The server sorts members by login ignoring case.
        chat.apply(1, &entered("lobby", &["ana", "Bob", "carl", "Dora"]));
        for (t, login) in [(2, "Bob"), (3, "Dora")] {
            chat.apply(
                t,
                &ServerMessage::Left {
                    room: "lobby".into(),
                    login: login.into(),
                },
            );
        }
        assert_eq!(chat.room.clone().unwrap().members, ["ana", "carl"]);
        chat.apply(
            4,
            &ServerMessage::Joined {
                room: "lobby".into(),
                login: "Beto".into(),
                presence: chat_core::protocol::Presence::Online,
            },
        );
        assert_eq!(chat.room.unwrap().members, ["ana", "Beto", "carl"]);
    }

    #[test]
    fn deleting_the_room_one_is_in_is_said_once() {
        let mut chat = Chat::new("ana");
        chat.apply(
            1,
            &ServerMessage::Entered {
                room: "games".into(),
                creator: Some("Ana".into()),
                members: vec!["ana".into()],
                member_count: 1,
                away: Vec::new(),
                history: Vec::new(),
                more_history: false,
            },
        );
        // The server's order: the closing, the move, then the reply to `delete_room`.
        chat.apply(
            2,
            &ServerMessage::RoomClosed {
                room: "games".into(),
                reason: RoomClosedReason::Deleted,
            },
        );
        chat.apply(3, &entered("lobby", &["ana"]));
        chat.apply(
            4,
            &ServerMessage::RoomDeleted {
                room: "games".into(),
            },
        );
        let lobby: Vec<LineKind> = chat
            .history("lobby")
            .unwrap()
            .iter()
            .map(|l| l.kind.clone())
            .collect();
        assert_eq!(
            lobby,
            [LineKind::Entered {
                room: "lobby".into(),
                after: Some(("games".into(), Closure::DeletedByMe))
            }]
        );
        // Deleting a room one is not in is said when the reply comes.
        chat.apply(
            5,
            &ServerMessage::RoomDeleted {
                room: "other".into(),
            },
        );
        assert_eq!(chat.history("lobby").unwrap().len(), 2);
    }

    #[test]
    fn users_of_a_closed_room_are_shown_in_the_default_room() {
        let mut chat = Chat::new("ana");
        let user = |login: &str, room: &str| UserInfo {
            login: login.into(),
            first_names: "F".into(),
            last_names: "L".into(),
            online: true,
            room: Some(room.into()),
            presence: chat_core::protocol::Presence::Offline,
            away_text: None,
        };
        chat.apply(
            1,
            &ServerMessage::Users {
                users: vec![user("ana", "lobby"), user("bob", "games")],
                total: 2,
                offset: 0,
            },
        );
        chat.apply(
            2,
            &ServerMessage::Rooms {
                rooms: vec![RoomInfo {
                    name: "lobby".into(),
                    members: 2,
                    creator: None,
                    is_default: true,
                }],
                total: 0,
                offset: 0,
            },
        );
        let rooms: Vec<Option<String>> = chat
            .directory
            .unwrap()
            .users
            .into_iter()
            .map(|u| u.room)
            .collect();
        assert_eq!(rooms, [Some("lobby".into()), Some("lobby".into())]);
    }

    #[test]
    fn private_messages_count_as_unread_until_the_conversation_is_opened() {
        let mut chat = Chat::new("ana");
        chat.apply(
            1,
            &ServerMessage::Private {
                from: "Bob".into(),
                text: "psst".into(),
                stored: false,
                id: 0,
            },
        );
        chat.apply(
            2,
            &ServerMessage::Private {
                from: "bob".into(),
                text: "again".into(),
                stored: false,
                id: 0,
            },
        );
        assert_eq!(chat.conversation("BOB").unwrap().unread, 2);
        assert_eq!(chat.unread_private(), 2);
        chat.open_conversation("bob");
        assert_eq!(chat.unread_private(), 0);
        chat.apply(
            3,
            &ServerMessage::Private {
                from: "bob".into(),
                text: "seen".into(),
                stored: false,
                id: 0,
            },
        );
        assert_eq!(chat.unread_private(), 0);
        chat.apply(
            4,
            &ServerMessage::PrivateSent {
                to: "bob".into(),
                text: "ok".into(),
                id: 9,
            },
        );
        let c = chat.conversation("bob").unwrap();
        assert_eq!(c.history.len(), 4);
        assert!(matches!(
            &c.history.get(3).unwrap().kind,
            LineKind::Message { own: true, .. }
        ));
    }

    #[test]
    fn only_rooms_one_created_can_be_deleted() {
        let chat = Chat::new("Ana");
        let mine = RoomInfo {
            name: "a".into(),
            members: 1,
            creator: Some("ana".into()),
            is_default: false,
        };
        let theirs = RoomInfo {
            creator: Some("bob".into()),
            ..mine.clone()
        };
        let lobby = RoomInfo {
            creator: None,
            is_default: true,
            ..mine.clone()
        };
        assert!(chat.created(&mine));
        assert!(!chat.created(&theirs));
        assert!(!chat.created(&lobby));
    }
}
