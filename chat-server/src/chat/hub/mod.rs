//! The shared, in-memory state of the chat: who is online (and whether away), which rooms exist,
//! who is where, and what was said in each room lately (`room`). Logging in and out is here;
//! moving between rooms (create, enter, leave, delete, a room closing) in `moving`; presence,
//! away messages and typing notices in `presence`; what is said (room lines, private messages)
//! in `said`; the read-only views others ask for (room lists, who is online) in `views`; the
//! mirror of the other nodes of a cluster in `remote`.
//!
//! The hub answers in domain types (`Entered`, `Page`, `Delivered`), never in frames; what it
//! tells members as it changes goes out as `Event`s, which each protocol writes its own way.
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

mod actions;
mod moving;
mod order;
mod presence;
mod reactions;
mod remote;
mod room;
mod said;
mod views;

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Instant;

use chat_core::protocol::{
    CloseReason, ErrorCode, Presence, RoomClosedReason, Said, ServerMessage,
};
use chat_core::validate::room_key;

pub use actions::Changed;
pub use moving::Entered;
#[cfg_attr(not(feature = "cluster"), allow(unused_imports))]
pub use order::{Moderated, Named, OrderView};
pub use presence::Away;
pub use reactions::{counted, toggle};
pub use said::{Delivered, Page, ToSay};
pub use views::{OnlineUser, RoomView};

use crate::chat::bus::{Bus, BusEvent};
use crate::clock::ServerClock;
use crate::delivery::peer::Peer;
use moving::leave_room;
use room::Room;

/// How long a client is asked to wait when the cluster cannot be reached.
pub(crate) const CLUSTER_RETRY: std::time::Duration = std::time::Duration::from_secs(2);

/// Why the hub refused a change. Nothing changed (except after [`HubError::NotConfirmed`]).
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
    /// The cluster took it but did not confirm in time: it may still arrive.
    #[error(
        "the other servers did not confirm it in time: it may still arrive, so check before \
         sending it again"
    )]
    NotConfirmed,
    /// No line with that number where the user said (or not one it can see).
    #[error("there is no such message here (it may be too old)")]
    MessageNotFound,
    /// Not the user's to do: another's line, a room it does not keep order in.
    #[error("that is not yours to do")]
    NotAllowed,
    /// The user is muted in its room for this many more milliseconds.
    #[error("you are muted in this room for {} more seconds", .0.div_ceil(1000))]
    Muted(u64),
    /// The room is in slow mode: the user may speak again in this many milliseconds.
    #[error("this room is in slow mode: you may speak again in {} seconds", .0.div_ceil(1000))]
    SlowMode(u64),
    /// The user was removed from the room and may not enter it while it lives.
    #[error("you were removed from that room and cannot enter it while it lasts")]
    RemovedFromRoom,
    /// The line carries as many different reactions as it may.
    #[error("that message has as many different reactions as it may")]
    TooManyReactions,
    /// An invariant did not hold.
    #[error("the server could not do that")]
    Internal,
}

impl From<crate::error::ServerError> for HubError {
    /// What the cluster said, as the hub refuses it.
    fn from(e: crate::error::ServerError) -> Self {
        match e {
            crate::error::ServerError::NotConfirmed { .. } => HubError::NotConfirmed,
            e => {
                tracing::warn!("{e}");
                HubError::ClusterUnreachable
            }
        }
    }
}

impl HubError {
    /// When the user may try again, for a refusal that says.
    pub fn retry_after(self) -> Option<std::time::Duration> {
        match self {
            HubError::Muted(ms) | HubError::SlowMode(ms) => {
                Some(std::time::Duration::from_millis(ms.max(1)))
            }
            HubError::ClusterUnreachable | HubError::NotConfirmed => Some(CLUSTER_RETRY),
            _ => None,
        }
    }

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
            HubError::ClusterUnreachable | HubError::NotConfirmed => ErrorCode::ServerBusy,
            HubError::MessageNotFound => ErrorCode::MessageNotFound,
            HubError::NotAllowed => ErrorCode::NotAllowed,
            HubError::Muted(_) => ErrorCode::Muted,
            HubError::SlowMode(_) => ErrorCode::SlowMode,
            HubError::RemovedFromRoom => ErrorCode::RemovedFromRoom,
            HubError::TooManyReactions => ErrorCode::TooManyReactions,
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
    /// Login keys of the last `users` page this user was sent: they are told of its changes
    /// (see `presence::watch`).
    watching: Vec<String>,
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
#[cfg_attr(not(feature = "cluster"), allow(dead_code))]
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
    /// The room its node says it is in, when this node did not know that room yet (a node
    /// that rejoins reads the others' snapshots in any order: one may place its users in a
    /// room that another's snapshot, read later, brings), and since when: it is placed there
    /// once the room comes, if that is soon (see `remote::WAITS_FOR_ROOM`).
    waiting_for: Option<(String, std::time::Instant)>,
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
    /// By login key: this node's users watching that user's presence (the reverse of
    /// `Online::watching`).
    watchers: HashMap<String, HashSet<String>>,
    /// The number in the cluster's log of the last event that changed the default room's order
    /// here (0: none; see `bus::DefaultOrderAt`).
    default_order_changed: u64,
}

/// How much history rooms keep.
#[derive(Debug, Clone)]
pub struct HistoryLimits {
    /// Lines a created room keeps (and that `entered` may carry).
    pub per_room: usize,
    /// Lines the default room keeps.
    pub default_room: usize,
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
    /// The server's administrators, by login key: they keep order in every room.
    admins: HashSet<String>,
    /// Rooms with lines whose reactions changed since members were last told, by key.
    reacted: Mutex<HashSet<String>>,
    /// The latest reports, for administrators who log in later (see `order`).
    reports: Mutex<VecDeque<ServerMessage>>,
    /// The most users online here at once since the hub started (IRC `LUSERS`).
    peak_online: AtomicUsize,
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
                watchers: HashMap::new(),
                default_order_changed: 0,
            }),
            default_key,
            max_rooms: max_rooms.max(1),
            max_rooms_per_user,
            history,
            directory_changed: AtomicBool::new(false),
            bus: OnceLock::new(),
            line_ids: AtomicU64::new(first_id),
            clock,
            admins: HashSet::new(),
            reacted: Mutex::new(HashSet::new()),
            reports: Mutex::new(VecDeque::new()),
            peak_online: AtomicUsize::new(0),
        }
    }

    /// The same hub, with these administrators (logins, any case).
    pub fn with_admins(mut self, admins: &[String]) -> Self {
        self.admins = admins
            .iter()
            .map(|a| chat_core::validate::login_key(a))
            .collect();
        self
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
    #[cfg_attr(not(feature = "cluster"), allow(dead_code))]
    pub(crate) fn join_cluster(&self, bus: Arc<dyn Bus>) {
        let _ = self.bus.set(bus);
    }

    /// Whether this hub is a node of a cluster.
    pub fn is_clustered(&self) -> bool {
        self.bus.get().is_some()
    }

    /// The cluster, if this hub is a node of one.
    fn bus(&self) -> Option<&Arc<dyn Bus>> {
        self.bus.get()
    }

    /// On a node of a cluster, a number for a new private message from the cluster's counter
    /// (above `floor`, the highest this node has seen); `None` on a single server, which
    /// numbers its own. Gives up at `deadline`.
    pub(crate) fn cluster_private_id(
        &self,
        floor: u64,
        deadline: std::time::Instant,
    ) -> Option<Result<u64, HubError>> {
        self.bus()
            .map(|bus| bus.private_id(floor, deadline).map_err(HubError::from))
    }

    /// Now, in the time moderation and topics are stamped with: the cluster's on a node of
    /// one, this server's otherwise.
    fn cluster_now_ms(&self) -> i64 {
        self.bus()
            .map_or_else(|| self.clock.now_ms(), |bus| bus.now_ms())
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
    ///
    /// `tell` is given the default room as the peer sees it entering, under the hub's lock, to
    /// queue what the peer's protocol says of a login and of the room (see [`Hub::enter_room`]):
    /// a line of the default room, delivered to the new member under the lock too, comes after.
    pub fn login(
        &self,
        peer: &Arc<Peer>,
        tell: impl FnOnce(Entered),
    ) -> Result<Takeover, HubError> {
        let login = peer.login().ok_or(HubError::LoginRequired)?;
        let mut state = self.write();
        let mut takeover = Takeover::None;
        if let Some(old) = state.online.remove(&login.key) {
            leave_room(&mut state, &old.peer, &old.room, true);
            presence::unwatch(&mut state, &login.key, &old.watching);
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
                watching: Vec::new(),
            },
        );
        tell(self.join_room(&mut state, peer, &default_key)?);
        presence::tell_watchers(
            &state,
            &login.key,
            &login.name,
            Presence::Online,
            None,
            None,
        );
        self.peak_online
            .fetch_max(state.online.len(), Ordering::Relaxed);
        self.changed();
        self.publish(|| BusEvent::LoggedIn {
            login: login.name.clone(),
            session: peer.id,
            room: self.default_name(&state),
        });
        Ok(takeover)
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
    /// room). Does nothing if the account's current session is another one (taken over), or if
    /// it left already. Returns whether the peer was online (and now is not).
    pub fn logout(&self, peer: &Peer) -> bool {
        let Some(login) = peer.login() else {
            return false;
        };
        let mut state = self.write();
        match state.online.get(&login.key) {
            Some(online) if online.peer.id == peer.id => {}
            _ => return false,
        }
        if let Some(online) = state.online.remove(&login.key) {
            leave_room(&mut state, &online.peer, &online.room, true);
            presence::tell_partners(&state, &online, &login.name, Presence::Offline, None);
            presence::unwatch(&mut state, &login.key, &online.watching);
            presence::tell_watchers(
                &state,
                &login.key,
                &login.name,
                Presence::Offline,
                None,
                None,
            );
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
        true
    }
}

/// Online or away.
fn presence_of(away: Option<&Away>) -> Presence {
    if away.is_some() {
        Presence::Away
    } else {
        Presence::Online
    }
}
