//! The shared, in-memory state of the chat: who is online (and whether away), which rooms exist,
//! who is where, and what was said in each room lately (`room`). Presence, away messages and
//! typing notices are in `presence`; what is said (room lines, private messages) in `said`;
//! the read-only views others ask for (room lists, who is online) in `views`.
//!
//! Architecture Invariants:
//! - a logged-in user is in exactly one room; the default room always exists and is never
//!   deleted;
//! - a room other than the default one lives exactly as long as its creator's account is online
//!   (or until deleted);
//! - the lock is held only to change or read this state and to queue frames into outboxes, never
//!   across socket I/O or disk access; events are queued under it, so every client sees a room's
//!   events in the order its state changed;
//! - locks are taken in the order hub → a room's lines → outboxes.

mod presence;
mod remote;
mod room;
mod said;
mod views;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Instant;

use chat_core::frame::room_for_rows;
use chat_core::protocol::{
    CloseReason, ErrorCode, Presence, RoomClosedReason, Said, ServerMessage,
};
use chat_core::validate::room_key;

pub use presence::Away;
pub use said::{Delivered, Page};
pub use views::OnlineUser;

use crate::chat::bus::{Bus, BusEvent};
use crate::clock::ServerClock;
use crate::delivery::event::Event;
use crate::delivery::peer::Peer;
use room::Room;

/// Why the hub refused a change. Nothing changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HubError {
    /// The connection has not logged in.
    #[error("log in first")]
    LoginRequired,
    /// A room has that name (in any case).
    #[error("a room with that name already exists")]
    RoomExists,
    /// No room has that name.
    #[error("there is no room with that name")]
    RoomNotFound,
    /// Only the creator may delete a room.
    #[error("only the room's creator can delete it")]
    NotRoomCreator,
    /// The default room is permanent.
    #[error("the default room cannot be deleted")]
    DefaultRoom,
    /// The server's room limit is reached.
    #[error("the server has as many rooms as it allows; try again later")]
    TooManyRooms,
    /// The user's room limit is reached.
    #[error("you have created as many rooms as allowed ({0}); delete one first")]
    TooManyRoomsForUser(usize),
    /// History of a room the user is not in.
    #[error("you can read the history of the room you are in only")]
    NotInRoom,
    /// The cluster cannot be reached: the change would not be seen on other nodes.
    #[error("the other servers cannot be reached for a moment; try again")]
    ClusterUnreachable,
    /// An invariant did not hold.
    #[error("the server could not do that")]
    Internal,
}

impl HubError {
    /// The wire code.
    pub fn code(self) -> ErrorCode {
        match self {
            HubError::LoginRequired => ErrorCode::LoginRequired,
            HubError::RoomExists => ErrorCode::RoomExists,
            HubError::RoomNotFound => ErrorCode::RoomNotFound,
            HubError::NotRoomCreator => ErrorCode::NotRoomCreator,
            HubError::DefaultRoom => ErrorCode::DefaultRoom,
            HubError::TooManyRooms | HubError::TooManyRoomsForUser(_) => ErrorCode::TooManyRooms,
            HubError::NotInRoom => ErrorCode::Invalid,
            HubError::ClusterUnreachable => ErrorCode::ServerBusy,
            HubError::Internal => ErrorCode::Internal,
        }
    }
}

/// A logged-in user.
#[derive(Debug)]
struct Online {
    peer: Arc<Peer>,
    /// Key of the room the user is in.
    room: String,
    /// Away, and why, when away.
    away: Option<Away>,
    /// Login keys of the users this one exchanged private messages with in this session, newest
    /// last: they are told of this user's presence changes.
    partners: Vec<String>,
    /// When a typing notice to each recipient was last passed on.
    typing_sent: Vec<(String, Instant)>,
}

impl Online {
    fn presence(&self) -> Presence {
        if self.away.is_some() {
            Presence::Away
        } else {
            Presence::Online
        }
    }
}

/// A user online on another node of the cluster.
#[derive(Debug, Clone)]
struct Remote {
    /// The node.
    node: String,
    /// Its session there: a later login elsewhere replaces it.
    session: u64,
    /// Login as registered.
    name: String,
    /// Key of the room it is in.
    room: String,
    away: Option<Away>,
}

#[derive(Debug, Default)]
struct State {
    /// By login key: this node's users.
    online: HashMap<String, Online>,
    /// By login key: users on other nodes of the cluster.
    remote: HashMap<String, Remote>,
    /// By room key.
    rooms: HashMap<String, Room>,
    /// Largest room (counting whoever joins or leaves) whose members are told of each join and
    /// leave; see [`Hub::new`].
    presence_limit: usize,
}

/// How much history rooms keep.
#[derive(Debug, Clone)]
pub struct HistoryLimits {
    /// Lines a created room keeps (and that `entered` may carry).
    pub per_room: usize,
    /// Lines the default room keeps.
    pub default_room: usize,
}

/// A room as a user who enters it sees it: who is there (the first names of each list, and how
/// many in all) and its newest lines, as many as one frame carries.
#[derive(Debug, Clone, PartialEq)]
pub struct Entered {
    /// The room's name.
    pub room: String,
    /// Its creator's login (none for the default room).
    pub creator: Option<String>,
    /// Its members' logins, the first ones in login order.
    pub members: Vec<String>,
    /// How many members it has.
    pub member_count: u32,
    /// Those of `members` who are away.
    pub away: Vec<String>,
    /// Its newest lines, oldest first.
    pub history: Vec<Said>,
    /// Whether earlier lines exist.
    pub more_history: bool,
}

impl From<Entered> for ServerMessage {
    fn from(e: Entered) -> Self {
        ServerMessage::Entered {
            room: e.room,
            creator: e.creator,
            members: e.members,
            member_count: e.member_count,
            away: e.away,
            history: e.history,
            more_history: e.more_history,
        }
    }
}

/// The shared chat state. All methods take `&self`; the type is `Sync`.
#[derive(Debug)]
pub struct Hub {
    state: RwLock<State>,
    default_key: String,
    max_rooms: usize,
    max_rooms_per_user: usize,
    history: HistoryLimits,
    /// Set when the room list or a member count changed since the last directory broadcast.
    directory_changed: AtomicBool,
    /// The cluster this node belongs to, if any.
    bus: OnceLock<Arc<dyn Bus>>,
    /// The next room line's number, for every room (see `Room::say`).
    line_ids: AtomicU64,
    /// The time the hub reads.
    clock: ServerClock,
}

/// What `login` did to an earlier session of the same account.
#[derive(Debug, PartialEq, Eq)]
pub enum Takeover {
    /// There was none.
    None,
    /// It was closed.
    Closed,
}

impl Hub {
    /// A hub with the default room, whose history starts with `default_lines` (oldest first).
    /// Joins and leaves are announced (`joined`, `left`) in rooms of at most `presence_limit`
    /// members: in a larger room every arrival would cost a frame per member (10,000 logins into
    /// one room are 50 M frames); there the room list's member count, pushed at most twice a
    /// second, is what members see.
    pub fn new(
        default_room: &str,
        max_rooms: usize,
        max_rooms_per_user: usize,
        presence_limit: usize,
        history: HistoryLimits,
        default_lines: Vec<Said>,
        clock: ServerClock,
    ) -> Self {
        let first_id = default_lines.last().map_or(1, |s| s.id + 1);
        let default_key = room_key(default_room);
        let mut rooms = HashMap::new();
        rooms.insert(
            default_key.clone(),
            Room::new(default_room, None, history.default_room, default_lines),
        );
        Hub {
            state: RwLock::new(State {
                online: HashMap::new(),
                remote: HashMap::new(),
                rooms,
                presence_limit,
            }),
            default_key,
            max_rooms: max_rooms.max(1),
            max_rooms_per_user,
            history,
            directory_changed: AtomicBool::new(false),
            bus: OnceLock::new(),
            line_ids: AtomicU64::new(first_id),
            clock,
        }
    }

    fn read(&self) -> RwLockReadGuard<'_, State> {
        // Every change below keeps the state consistent at each step, so a poisoned lock (a
        // panic elsewhere) still guards valid data.
        self.state.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|p| p.into_inner())
    }

    fn changed(&self) {
        self.directory_changed.store(true, Ordering::Release);
    }

    /// Makes this hub a node of a cluster: from now on its changes are published on `bus`, and
    /// room lines are delivered as they come back from it.
    pub(crate) fn join_cluster(&self, bus: Arc<dyn Bus>) {
        let _ = self.bus.set(bus);
    }

    /// The cluster, if this hub is a node of one.
    fn bus(&self) -> Option<&Arc<dyn Bus>> {
        self.bus.get()
    }

    /// Tells the other nodes (no effect on a single server).
    pub(crate) fn publish(&self, event: impl FnOnce() -> BusEvent) {
        if let Some(bus) = self.bus() {
            bus.publish(event(), None);
        }
    }

    /// Now, µs since the epoch: cluster time on a node (the course's clock sync then gives
    /// every client the cluster's clock), else this machine's.
    pub(crate) fn now_us(&self) -> i64 {
        let local = self.clock.now_us();
        match self.bus() {
            Some(bus) => local + (bus.now_ms() - chat_core::clock::system_now_ms()) * 1_000,
            None => local,
        }
    }

    /// Whether the room directory changed since the last call (and clears the flag).
    pub fn take_directory_change(&self) -> bool {
        self.directory_changed.swap(false, Ordering::AcqRel)
    }

    /// Puts a peer that has just logged in into the default room. An earlier session of the
    /// same account is told why and closed; rooms the account created stay.
    /// Returns the room as the peer sees it entering.
    pub fn login(&self, peer: &Arc<Peer>) -> Result<(Takeover, Entered), HubError> {
        let login = peer.login().ok_or(HubError::LoginRequired)?;
        let mut state = self.write();
        let mut takeover = Takeover::None;
        if let Some(old) = state.online.remove(&login.key) {
            leave_room(&mut state, &old.peer, &old.room, true);
            old.peer.close(
                CloseReason::TakenOver,
                "your account logged in from another connection",
            );
            takeover = Takeover::Closed;
        }
        // Online on another node: that session ends when the node hears of this login.
        remote::forget_user(&mut state, &login.key, true);
        let default_key = self.default_key.clone();
        state.online.insert(
            login.key.clone(),
            Online {
                peer: Arc::clone(peer),
                room: default_key.clone(),
                away: None,
                partners: Vec::new(),
                typing_sent: Vec::new(),
            },
        );
        let entered = self.join_room(&mut state, peer, &default_key)?;
        self.changed();
        self.publish(|| BusEvent::LoggedIn {
            login: login.name.clone(),
            session: peer.id,
            room: self.default_name(&state),
        });
        Ok((takeover, entered))
    }

    fn default_name(&self, state: &State) -> String {
        state
            .rooms
            .get(&self.default_key)
            .map(|r| r.name.clone())
            .unwrap_or_default()
    }

    /// Removes a peer that is going away: it leaves its room, the users it wrote to are told it
    /// went offline, and the rooms its account created close (their members move to the default
    /// room). Does nothing if the account's current session is another one (taken over).
    pub fn logout(&self, peer: &Peer) {
        let Some(login) = peer.login() else { return };
        let mut state = self.write();
        match state.online.get(&login.key) {
            Some(online) if online.peer.id == peer.id => {}
            _ => return,
        }
        if let Some(online) = state.online.remove(&login.key) {
            leave_room(&mut state, &online.peer, &online.room, true);
            presence::tell_partners(&state, &online, &login.name, Presence::Offline, None);
        }
        self.publish(|| BusEvent::LoggedOut {
            login: login.name.clone(),
            session: peer.id,
            quit: peer.quit_message().to_owned(),
        });
        let owned: Vec<String> = state
            .rooms
            .iter()
            .filter(|(_, r)| r.creator.as_ref().is_some_and(|(_, key)| *key == login.key))
            .map(|(k, _)| k.clone())
            .collect();
        for key in owned {
            self.close_room(&mut state, &key, RoomClosedReason::CreatorLeft, true);
        }
        self.changed();
    }

    /// `#cR`: creates a room owned by the peer and moves the peer into it.
    pub fn create_room(&self, peer: &Arc<Peer>, name: &str) -> Result<Entered, HubError> {
        let login = peer.login().ok_or(HubError::LoginRequired)?;
        let key = room_key(name);
        self.may_create(&self.read(), &login.key, &key)?;
        // On a node, the name is claimed across the cluster first (without holding the lock).
        if let Some(bus) = self.bus() {
            match bus.claim_room(&key, &login.name) {
                Ok(true) => {}
                Ok(false) => return Err(HubError::RoomExists),
                Err(e) => {
                    tracing::warn!("cannot claim a room name: {e}");
                    return Err(HubError::ClusterUnreachable);
                }
            }
        }
        let mut state = self.write();
        if let Err(e) = self.may_create(&state, &login.key, &key) {
            if let Some(bus) = self.bus() {
                bus.release_room(&key);
            }
            return Err(e);
        }
        state.rooms.insert(
            key.clone(),
            Room::new(
                name,
                Some((login.name.clone(), login.key.clone())),
                self.history.per_room,
                Vec::new(),
            ),
        );
        self.publish(|| BusEvent::RoomCreated {
            room: name.to_owned(),
            creator: login.name.clone(),
        });
        let entered = self.move_peer(&mut state, peer, &key)?;
        self.changed();
        Ok(entered)
    }

    /// Whether the user `login_key` may create room `key` now.
    fn may_create(&self, state: &State, login_key: &str, key: &str) -> Result<(), HubError> {
        if state.rooms.contains_key(key) {
            return Err(HubError::RoomExists);
        }
        if state.rooms.len() >= self.max_rooms {
            return Err(HubError::TooManyRooms);
        }
        let owned = state
            .rooms
            .values()
            .filter(|r| r.creator.as_ref().is_some_and(|(_, k)| k == login_key))
            .count();
        if owned >= self.max_rooms_per_user {
            return Err(HubError::TooManyRoomsForUser(self.max_rooms_per_user));
        }
        Ok(())
    }

    /// `#gR`: moves the peer into an existing room (no effect if already there).
    pub fn enter_room(&self, peer: &Arc<Peer>, name: &str) -> Result<Entered, HubError> {
        let key = room_key(name);
        let mut state = self.write();
        if !state.rooms.contains_key(&key) {
            return Err(HubError::RoomNotFound);
        }
        let entered = self.move_peer(&mut state, peer, &key)?;
        self.changed();
        Ok(entered)
    }

    /// `#eR`: back to the default room (no effect if already there).
    pub fn leave_room(&self, peer: &Arc<Peer>) -> Result<Entered, HubError> {
        let mut state = self.write();
        let default_key = self.default_key.clone();
        let entered = self.move_peer(&mut state, peer, &default_key)?;
        self.changed();
        Ok(entered)
    }

    /// `#dR`: deletes a room the peer created; its members move to the default room.
    /// Returns the room's name.
    pub fn delete_room(&self, peer: &Peer, name: &str) -> Result<String, HubError> {
        let login = peer.login().ok_or(HubError::LoginRequired)?;
        let key = room_key(name);
        if key == self.default_key {
            return Err(HubError::DefaultRoom);
        }
        let mut state = self.write();
        let room = state.rooms.get(&key).ok_or(HubError::RoomNotFound)?;
        if room.creator.as_ref().is_none_or(|(_, k)| *k != login.key) {
            return Err(HubError::NotRoomCreator);
        }
        let name = room.name.clone();
        self.close_room(&mut state, &key, RoomClosedReason::Deleted, true);
        self.changed();
        Ok(name)
    }

    /// Removes a room and moves its members to the default room, telling each why. Its history
    /// goes with it. `publish`: the room closed here (not on another node), so the cluster is
    /// told and its name freed.
    fn close_room(&self, state: &mut State, key: &str, reason: RoomClosedReason, publish: bool) {
        let Some(room) = state.rooms.remove(key) else {
            return;
        };
        if publish && let Some(bus) = self.bus() {
            bus.publish(
                BusEvent::RoomClosed {
                    room: room.name.clone(),
                    reason,
                },
                None,
            );
            bus.release_room(key);
        }
        // Members on other nodes are moved by their nodes; the mirror follows at once.
        let mut moved = Vec::new();
        for (member_key, name) in room.remote_members() {
            if let Some(remote) = state.remote.get_mut(member_key) {
                remote.room = self.default_key.clone();
                moved.push((member_key, name, remote.away.is_some()));
            }
        }
        if let Some(default) = state.rooms.get_mut(&self.default_key) {
            for (key, name, away) in moved {
                default.add_remote(key, name, away);
            }
        }
        let closed = Event::new(ServerMessage::RoomClosed {
            room: room.name.clone(),
            reason,
        });
        for member in room.members.iter() {
            member.event(&closed);
            let Some(login) = member.login() else {
                continue;
            };
            if let Some(online) = state.online.get_mut(&login.key) {
                online.room = self.default_key.clone();
            }
            if let Ok(entered) = self.join_room(state, member, &self.default_key) {
                member.event(&Event::new(entered.into()));
            }
        }
    }

    /// Moves an online peer to room `to` (which must exist). No effect, and no events, if it is
    /// there already. Returns the room as the peer sees it entering.
    fn move_peer(
        &self,
        state: &mut State,
        peer: &Arc<Peer>,
        to: &str,
    ) -> Result<Entered, HubError> {
        if !state.rooms.contains_key(to) {
            return Err(HubError::RoomNotFound);
        }
        let from = peer
            .login()
            .and_then(|l| state.online.get(&l.key))
            .map(|o| o.room.clone());
        if from.as_deref() == Some(to) {
            return self.entered(state, to);
        }
        if let Some(from) = &from {
            leave_room(state, peer, from, false);
        }
        if let Some(online) = peer.login().and_then(|l| state.online.get_mut(&l.key)) {
            online.room = to.to_owned();
        }
        let entered = self.join_room(state, peer, to)?;
        if let Some(room) = state.rooms.get(to) {
            self.publish(|| BusEvent::Moved {
                login: peer.name().to_owned(),
                session: peer.id,
                room: room.name.clone(),
            });
        }
        Ok(entered)
    }

    /// Adds a peer to a room's members, tells the others, and returns the room as the peer sees
    /// it entering.
    fn join_room(
        &self,
        state: &mut State,
        peer: &Arc<Peer>,
        key: &str,
    ) -> Result<Entered, HubError> {
        let presence = peer
            .login()
            .and_then(|l| state.online.get(&l.key))
            .map_or(Presence::Online, Online::presence);
        let limit = state.presence_limit;
        let room = state.rooms.get_mut(key).ok_or(HubError::RoomNotFound)?;
        if room.member_count() < limit {
            let joined = Event::new(ServerMessage::Joined {
                room: room.name.clone(),
                login: peer.name().to_owned(),
                presence,
            });
            room.broadcast(&joined);
        }
        room.add(peer, presence == Presence::Away);
        self.entered(state, key)
    }

    /// Room `key` as one entering it sees it: its members (those away named apart) and the
    /// newest lines of its history that fit the frame that carries them.
    fn entered(&self, state: &State, key: &str) -> Result<Entered, HubError> {
        let room = state.rooms.get(key).ok_or(HubError::RoomNotFound)?;
        let mut entered = Entered {
            room: room.name.clone(),
            creator: room.creator.as_ref().map(|(name, _)| name.clone()),
            members: room.listed_names(),
            member_count: u32::try_from(room.member_count()).unwrap_or(u32::MAX),
            away: room.listed_away(),
            history: Vec::new(),
            more_history: true,
        };
        let budget = room_for_rows(entered.clone().into());
        let (lines, more) = room.lines().newest(None, budget, self.history.per_room);
        entered.history = lines;
        entered.more_history = more;
        Ok(entered)
    }
}

/// Removes a peer from a room's members and tells the others; `quitting`: it is disconnecting
/// (IRC clients see a `QUIT`).
fn leave_room(state: &mut State, peer: &Peer, key: &str, quitting: bool) {
    let Some(room) = state.rooms.get_mut(key) else {
        return;
    };
    let announce = room.member_count() <= state.presence_limit;
    room.remove(peer.id);
    if !announce {
        return;
    }
    let mut left = Event::new(ServerMessage::Left {
        room: room.name.clone(),
        login: peer.name().to_owned(),
    });
    if quitting {
        left = left.quitting(peer.quit_message());
    }
    room.broadcast(&left);
}

/// Online or away.
fn presence_of(away: Option<&Away>) -> Presence {
    if away.is_some() {
        Presence::Away
    } else {
        Presence::Online
    }
}
