//! What the signed-in user sees of the server: the rooms, the room they are in and who is in it,
//! every room's history, private conversations with their unread counts, who is online or away,
//! and the user list.
//!
//! Plain data updated by [`Chat::apply`] from server messages; nothing here draws or does I/O,
//! so the rules (own messages marked, members kept current, history merged without repeats,
//! counts, bounds) are tested plainly. [`Chat::apply`] names every message the server can send
//! and hands each to a method of its family, one file each: `rooms` (entering, the room list,
//! members coming and going, rooms closing, pages of a room's history), `talk` (room lines,
//! private messages and their pages) and `people` (the user list, presence, typing). A message
//! the server gains is a compile error there until the model says what it does with it.
//!
//! Architecture Invariant: the user is in exactly one room (`room`), and only that room's events
//! arrive; other rooms' histories are what was seen while the user was in them.

mod lines;
mod people;
mod rooms;
mod talk;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap};

use chat_core::protocol::{RoomInfo, RoomTopic, ServerMessage, Target, UserInfo};
use chat_core::validate::{login_key, room_key};

use crate::history::{Closure, Earlier, History, Line, LineKind};
use crate::limits::{MAX_PRIVATE_HISTORY_LINES, MAX_ROOM_HISTORY_LINES};
use crate::notify::Arrival;
use crate::presence::Presences;
pub use lines::{Report, RoomOrder};

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
    /// The members who are the server's administrators (they keep order here too).
    pub admins: Vec<String>,
    /// The members voiced (not slowed by slow mode).
    pub voiced: Vec<String>,
    /// Its topic, when its creator (or an administrator) set one.
    pub topic: Option<RoomTopic>,
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
    /// How far the user has read each room and conversation, as the server keeps it (keys as
    /// `room_key` and `login_key`).
    markers: HashMap<Target, u64>,
    /// Order kept in rooms, by room key.
    orders: HashMap<String, RoomOrder>,
    /// Reports received (administrators).
    reports: Vec<Report>,
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
    ///
    /// Every message is named: one the server gains does not compile here until this says what
    /// it does to the view (if only that it does nothing).
    pub fn apply(&mut self, time_ms: i64, message: &ServerMessage) {
        use ServerMessage as M;
        match message {
            // Rooms: where the user is, who is there, what the rooms are.
            M::Entered {
                room,
                creator,
                members,
                member_count,
                away,
                admins,
                voiced,
                topic,
                history,
                more_history,
            } => {
                let entered = CurrentRoom {
                    name: room.clone(),
                    creator: creator.clone(),
                    members: members.clone(),
                    member_count: *member_count,
                    admins: admins.clone(),
                    voiced: voiced.clone(),
                    topic: topic.clone(),
                };
                self.entered(time_ms, entered, away, history, *more_history);
            }
            M::History {
                room,
                messages,
                more,
            } => self.room_page(room, messages, *more),
            M::Rooms { rooms, .. } => self.room_list(rooms),
            M::Joined {
                room,
                login,
                presence,
            } => self.joined(time_ms, room, login, *presence),
            M::Left { room, login } => self.left(time_ms, room, login),
            M::RoomClosed { room, reason } => self.room_closed(time_ms, room, *reason),
            M::RoomDeleted { room } => self.room_deleted(time_ms, room),
            // Talk: lines said in the room and privately.
            M::Message {
                room,
                from,
                text,
                id,
                reply_to,
                attachments,
            } => {
                self.room_message(time_ms, room, from, text, *id, attachments);
                if let Some(quote) = reply_to {
                    self.history_mut(room).extras_mut(*id).reply_to = Some(quote.clone());
                }
            }
            M::Private {
                from,
                text,
                stored,
                id,
                reply_to,
                attachments,
            } => {
                self.private_received(time_ms, from, text, *stored, *id, attachments);
                if let Some(quote) = reply_to {
                    let history = &mut self.conversation_mut(from).history;
                    history.extras_mut(*id).reply_to = Some(quote.clone());
                }
            }
            M::PrivateSent { to, text, id } => self.own_private(time_ms, to, text, *id, false),
            M::PrivateStored { to, text, id } => self.own_private(time_ms, to, text, *id, true),
            M::PrivateDropped { count } => self.private_dropped(time_ms, *count),
            M::PrivateHistory {
                with,
                messages,
                more,
            } => self.private_page(time_ms, with, messages, *more),
            // People: the user list, presence, typing.
            M::Users { users, total, .. } => self.user_list(users, *total),
            M::Presence {
                login,
                presence,
                text,
            } => self.presence_changed(login, *presence, text.as_deref()),
            M::Typing { from, until } => self.typing(from, *until),
            // The connection and the account: the handshake, keep-alives, the answers to
            // `register`, `login` and `resume`, and refusals are the client's (`Client`), which
            // routes them to the request that caused them; none changes what the view shows.
            M::Welcome { .. }
            | M::Clock { .. }
            | M::Ping
            | M::Pong
            | M::Goodbye { .. }
            | M::Registered { .. }
            | M::LoggedIn { .. }
            | M::Error { .. } => {}
            // Lines once said: reactions, edits, deletions, receipts, read markers, order.
            M::Reactions {
                target,
                line,
                reactions,
            } => self.reactions(target, *line, reactions),
            M::Edited {
                target,
                line,
                text,
                edited,
            } => self.edited(target, *line, text, *edited),
            M::MessageDeleted { target, line, by } => self.deleted(target, *line, by),
            M::Receipt { with, line, state } => self.receipt(with, *line, *state),
            M::ReadMarkers { markers } => self.read_markers(markers),
            M::Moderated { .. } => self.moderated(time_ms, message),
            M::Topic { room, topic, by } => self.topic_set(time_ms, room, topic, by),
            M::Report { .. } => self.report_received(time_ms, message),
            // The answer to `report`, routed by the `Client` to its request.
            M::Reported { .. } => {}
        }
    }
}
