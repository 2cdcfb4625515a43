//! The rest of the cluster, as this node's hub mirrors it: users online on other nodes (the
//! room each is in, whether away), rooms created there, and their lines, applied as the other
//! nodes' events arrive (`cluster::listen`). This node's own users are told what they would be
//! told if everyone were here: joins, leaves, presence, closed rooms, and room lines.

// Without the `cluster` feature (a server inside the desktop client) nothing uses
// the receiving side of a cluster.
#![cfg_attr(not(feature = "cluster"), allow(dead_code))]

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chat_core::protocol::{CloseReason, Presence, RoomClosedReason, Said, ServerMessage};
use chat_core::validate::{login_key, room_key};

use super::moving::leave_room;
use super::room::Room;
use super::{Away, Hub, Remote, State, presence};
use crate::chat::bus::{DefaultOrderAt, RoomAt, UserAt};
use crate::delivery::event::Event;

/// How long a user placed in a room this node did not know yet waits for it: the snapshots of
/// one rejoin come within a round trip or two of each other; a room of that name that comes much
/// later is another room.
const WAITS_FOR_ROOM: Duration = Duration::from_secs(10);

/// Removes a remote user from the mirror and its room's members; `quit`: tell that room's members
/// on this node it left (an IRC `QUIT` with this message).
pub(super) fn forget_user(state: &mut State, key: &str, quit: bool) -> Option<Remote> {
    let remote = state.remote.remove(key)?;
    let limit = state.presence_limit;
    if let Some(room) = state.rooms.get_mut(&remote.room) {
        let announce = quit && room.member_count() <= limit;
        room.remove_remote(key);
        if announce {
            room.broadcast(
                &Event::new(ServerMessage::Left {
                    room: room.name.clone(),
                    login: remote.name.clone(),
                })
                .quitting("Quit"),
            );
        }
    }
    Some(remote)
}

/// Puts a remote user in room `key`, telling that room's members on this node.
fn place(state: &mut State, user_key: &str, name: &str, key: &str, away: bool) {
    let limit = state.presence_limit;
    let Some(room) = state.rooms.get_mut(key) else {
        return;
    };
    if room.member_count() < limit {
        room.broadcast(&Event::new(ServerMessage::Joined {
            room: room.name.clone(),
            login: name.to_owned(),
            presence: if away {
                Presence::Away
            } else {
                Presence::Online
            },
        }));
    }
    room.add_remote(user_key, name, away);
}

impl Hub {
    /// This node's users and the rooms they created, for the other nodes.
    pub(crate) fn snapshot(&self) -> (Vec<UserAt>, Vec<RoomAt>) {
        snapshot_of(&self.read(), self.cluster_now_ms())
    }

    /// Calls `f` with [`Hub::snapshot`] and the default room's order under the hub's lock, so
    /// that what `f` queues is in order with the events of every change (which are queued
    /// under it too).
    pub(crate) fn with_snapshot(
        &self,
        f: impl FnOnce(Vec<UserAt>, Vec<RoomAt>, Option<DefaultOrderAt>),
    ) {
        let state = self.read();
        let now_ms = self.cluster_now_ms();
        let (users, rooms) = snapshot_of(&state, now_ms);
        let default_order = (state.default_order_changed > 0).then(|| DefaultOrderAt {
            changed: state.default_order_changed,
            order: state
                .rooms
                .get(&self.default_key)
                .and_then(|r| r.order.as_ref())
                .map(|o| o.snapshot(now_ms))
                .unwrap_or_default(),
        });
        f(users, rooms, default_order);
        drop(state);
    }

    /// A node's whole state: it replaces whatever this node knew of that node's users, and
    /// its rooms `stale` (known here, not in its list: closed there while it could not say
    /// so) close; the default room's order is taken if that node read a later change to it.
    /// Returns the keys of the rooms closed.
    pub(crate) fn apply_snapshot(
        &self,
        node: &str,
        users: Vec<UserAt>,
        rooms: Vec<RoomAt>,
        default_order: Option<DefaultOrderAt>,
        stale: &[String],
    ) -> Vec<String> {
        let mut state = self.write();
        if let Some(at) = default_order.filter(|at| at.changed > state.default_order_changed) {
            state.default_order_changed = at.changed;
            if let Some(room) = state.rooms.get_mut(&self.default_key) {
                room.order.get_or_insert_with(Box::default).adopt(at.order);
            }
        }
        let mut closed = Vec::new();
        for key in stale {
            if *key != self.default_key && state.rooms.contains_key(key) {
                self.close_room(&mut state, key, RoomClosedReason::CreatorLeft, false);
                closed.push(key.clone());
            }
        }
        let mut came = HashSet::new();
        for room in rooms {
            add_room(&mut state, &room.name, &room.creator, self.history.per_room);
            let key = room_key(&room.name);
            if let Some(order) = room.order
                && let Some(here) = state.rooms.get_mut(&key)
            {
                here.order.get_or_insert_with(Box::default).adopt(order);
            }
            came.insert(key);
        }
        // One pass over the users for all the snapshot's rooms, not one per room.
        self.place_waiting(&mut state, &came);
        // A set: a node of 13,000 users checked against a list was 169 M comparisons under the lock.
        let listed: HashSet<String> = users.iter().map(|u| login_key(&u.login)).collect();
        let stale: Vec<String> = state
            .remote
            .iter()
            .filter(|(key, r)| r.node == node && !listed.contains(*key))
            .map(|(key, _)| key.clone())
            .collect();
        for key in stale {
            forget_user(&mut state, &key, true);
        }
        for user in users {
            let key = login_key(&user.login);
            if state.online.contains_key(&key) {
                // Logged in here since: this node's session is the newer one.
                continue;
            }
            self.put_remote(&mut state, node, &key, &user);
        }
        self.changed();
        closed
    }

    /// Closes rooms `keys` here without telling the cluster (it decided, in its log), moving
    /// their members to the default room. Returns the keys of those that were open.
    pub(crate) fn close_rooms(&self, keys: &[String]) -> Vec<String> {
        let mut state = self.write();
        let mut closed = Vec::new();
        for key in keys {
            if *key != self.default_key && state.rooms.contains_key(key) {
                self.close_room(&mut state, key, RoomClosedReason::CreatorLeft, false);
                closed.push(key.clone());
            }
        }
        if !closed.is_empty() {
            self.changed();
        }
        closed
    }

    /// Rooms `came` (keys) came: the users other nodes placed in one of them before this node
    /// knew it move there, if they were placed there recently (a room of that name closed and
    /// opened again since is not the one they were in).
    fn place_waiting(&self, state: &mut State, came: &HashSet<String>) {
        if came.is_empty() {
            return;
        }
        let waiting: Vec<(String, String, UserAt)> = state
            .remote
            .iter()
            .filter_map(|(key, r)| {
                let (room, since) = r.waiting_for.as_ref()?;
                (came.contains(room) && since.elapsed() < WAITS_FOR_ROOM).then_some((key, r, room))
            })
            .map(|(key, r, room)| {
                let user = UserAt {
                    login: r.name.clone(),
                    session: r.session,
                    room: room.clone(),
                    away: r.away.as_ref().map(|a| a.text.clone()),
                };
                (key.clone(), r.node.clone(), user)
            })
            .collect();
        for (key, node, user) in waiting {
            self.put_remote(state, &node, &key, &user);
        }
    }

    /// Adds or moves a remote user as `user` says.
    fn put_remote(&self, state: &mut State, node: &str, key: &str, user: &UserAt) {
        let wanted = room_key(&user.room);
        let (room, waiting_for) = if state.rooms.contains_key(&wanted) {
            (wanted, None)
        } else {
            // Not known here yet: in the default room until it comes (`place_waiting`).
            (self.default_key.clone(), Some((wanted, Instant::now())))
        };
        let away = user.away.clone().map(|text| Away { text, idle: false });
        match state.remote.get(key) {
            Some(r) if r.room == room => {
                let is_away = away.is_some();
                if let Some(r) = state.remote.get_mut(key) {
                    r.node = node.to_owned();
                    r.session = user.session;
                    r.away = away;
                    r.waiting_for = waiting_for;
                }
                if let Some(room) = state.rooms.get_mut(&room) {
                    room.set_away(key, None, is_away);
                }
                return;
            }
            Some(_) => {
                if let Some(old) = state.remote.get(key).map(|r| r.room.clone())
                    && let Some(old_room) = state.rooms.get_mut(&old)
                {
                    old_room.remove_remote(key);
                    if old_room.member_count() < state.presence_limit {
                        old_room.broadcast(&Event::new(ServerMessage::Left {
                            room: old_room.name.clone(),
                            login: user.login.clone(),
                        }));
                    }
                }
            }
            None => {}
        }
        place(state, key, &user.login, &room, away.is_some());
        state.remote.insert(
            key.to_owned(),
            Remote {
                node: node.to_owned(),
                session: user.session,
                name: user.login.clone(),
                room,
                away,
                waiting_for,
            },
        );
    }

    /// `login` logged in on `node`: a session of that account here ends (taken over), and the
    /// user is in `room` there.
    pub(crate) fn remote_logged_in(&self, node: &str, login: &str, session: u64, room: &str) {
        let key = login_key(login);
        let mut state = self.write();
        if let Some(old) = state.online.remove(&key) {
            leave_room(&mut state, &old.peer, &old.room, true);
            old.peer.close(
                CloseReason::TakenOver,
                "your account logged in on another server",
            );
        }
        let user = UserAt {
            login: login.to_owned(),
            session,
            room: room.to_owned(),
            away: None,
        };
        self.put_remote(&mut state, node, &key, &user);
        presence::tell_watchers(&state, &key, login, Presence::Online, None, None);
        self.changed();
    }

    /// `login` moved to `room` on `node`.
    pub(crate) fn remote_moved(&self, node: &str, login: &str, session: u64, room: &str) {
        let key = login_key(login);
        let mut state = self.write();
        let away = match state.remote.get(&key) {
            Some(r) if r.session == session => r.away.as_ref().map(|a| a.text.clone()),
            // An older session's news, or a user this node does not know yet: a snapshot or
            // the login event says more.
            Some(_) => return,
            None => None,
        };
        let user = UserAt {
            login: login.to_owned(),
            session,
            room: room.to_owned(),
            away,
        };
        self.put_remote(&mut state, node, &key, &user);
        self.changed();
    }

    /// `login`'s session `session` on `node` ended: offline (unless it logged in again since),
    /// and the rooms it created close.
    pub(crate) fn remote_logged_out(&self, node: &str, login: &str, session: u64, quit: &str) {
        let key = login_key(login);
        let mut state = self.write();
        let current = state
            .remote
            .get(&key)
            .is_some_and(|r| r.node == node && r.session == session);
        if !current {
            return;
        }
        if let Some(remote) = state.remote.remove(&key) {
            let limit = state.presence_limit;
            if let Some(room) = state.rooms.get_mut(&remote.room) {
                let announce = room.member_count() <= limit;
                room.remove_remote(&key);
                if announce {
                    room.broadcast(
                        &Event::new(ServerMessage::Left {
                            room: room.name.clone(),
                            login: remote.name.clone(),
                        })
                        .quitting(quit),
                    );
                }
            }
            presence::tell_watchers(&state, &key, &remote.name, Presence::Offline, None, None);
        }
        self.changed();
    }

    /// `login` is away (`Some`, with or without a message) or back (`None`).
    pub(crate) fn remote_presence(&self, login: &str, away: Option<Option<String>>) {
        let key = login_key(login);
        let mut state = self.write();
        let Some(remote) = state.remote.get_mut(&key) else {
            return;
        };
        remote.away = away.clone().map(|text| Away { text, idle: false });
        let (name, room) = (remote.name.clone(), remote.room.clone());
        let (presence, text) = match away {
            Some(text) => (Presence::Away, text),
            None => (Presence::Online, None),
        };
        let limit = state.presence_limit;
        if let Some(room) = state.rooms.get_mut(&room) {
            room.set_away(&key, None, presence == Presence::Away);
        }
        let room_told = state.rooms.get(&room).filter(|r| r.member_count() <= limit);
        if let Some(r) = room_told {
            r.broadcast(&Event::new(ServerMessage::Presence {
                login: name.clone(),
                presence,
                text: text.clone(),
            }));
        }
        let room_told = room_told.map(|_| room.as_str());
        presence::tell_watchers(&state, &key, &name, presence, text.as_deref(), room_told);
    }

    /// A room created on another node. Its creator, on `node`, is in it from then on (as on that node, where creating a room
    /// enters it): whoever enters it after its creation was acknowledged finds the creator
    /// there, without waiting for the move that follows.
    pub(crate) fn remote_room_created(&self, node: &str, name: &str, creator: &str) {
        let mut state = self.write();
        add_room(&mut state, name, creator, self.history.per_room);
        self.place_waiting(&mut state, &HashSet::from([room_key(name)]));
        let key = login_key(creator);
        if let Some(remote) = state.remote.get(&key).filter(|r| r.node == node) {
            let user = UserAt {
                login: remote.name.clone(),
                session: remote.session,
                room: name.to_owned(),
                away: remote.away.as_ref().map(|a| a.text.clone()),
            };
            self.put_remote(&mut state, node, &key, &user);
        }
        self.changed();
    }

    /// A room deleted or closed on another node: this node's members of it move to the default
    /// room and are told why.
    pub(crate) fn remote_room_closed(&self, name: &str, reason: RoomClosedReason) {
        let key = room_key(name);
        if key == self.default_key {
            return;
        }
        let mut state = self.write();
        self.close_room(&mut state, &key, reason, false);
        self.changed();
    }

    /// A room line in the cluster's order (numbered by it): kept and delivered to this node's
    /// members of the room. Returns it when it belongs to the default room's history on disk.
    pub(crate) fn deliver_said(&self, said: Said, notice: bool) -> Option<Arc<Said>> {
        let key = room_key(&said.room);
        let state = self.read();
        let room = state.rooms.get(&key)?;
        let origin = state.online.get(&login_key(&said.from)).map(|o| o.peer.id);
        let said = room.deliver(said, origin, notice);
        (key == self.default_key).then_some(said)
    }

    /// A private message from another node for a user of this one: whether it is online
    /// here (and was given it).
    pub(crate) fn remote_private(
        &self,
        said: chat_core::protocol::PrivateSaid,
        notice: bool,
    ) -> bool {
        let mut state = self.write();
        let Some(online) = state.online.get_mut(&login_key(&said.to)) else {
            return false;
        };
        presence::add_partner(&mut online.partners, &login_key(&said.from));
        online.peer.event(
            &Event::at(
                said.time,
                ServerMessage::Private {
                    attachments: said.attachments,
                    reply_to: said.reply_to,
                    from: said.from,
                    text: said.text,
                    stored: false,
                    id: said.id,
                },
            )
            .noticed(notice),
        );
        true
    }

    /// A node stopped beating: its users are offline, and the rooms they created close (this
    /// node's members of them move to the default room). Returns the closed rooms' keys.
    pub(crate) fn forget_node(&self, node: &str) -> Vec<String> {
        let mut state = self.write();
        let gone: Vec<String> = state
            .remote
            .iter()
            .filter(|(_, r)| r.node == node)
            .map(|(key, _)| key.clone())
            .collect();
        for key in &gone {
            forget_user(&mut state, key, true);
        }
        let closing: Vec<String> = state
            .rooms
            .iter()
            .filter(|(_, r)| {
                r.creator
                    .as_ref()
                    .is_some_and(|(_, creator)| gone.contains(creator))
            })
            .map(|(key, _)| key.clone())
            .collect();
        for key in &closing {
            self.close_room(&mut state, key, RoomClosedReason::CreatorLeft, false);
        }
        self.changed();
        closing
    }
}

/// This node's users and the rooms they created.
fn snapshot_of(state: &State, now_ms: i64) -> (Vec<UserAt>, Vec<RoomAt>) {
    let users = state
        .online
        .values()
        .filter_map(|o| {
            let login = o.peer.login()?;
            Some(UserAt {
                login: login.name.clone(),
                session: o.peer.id,
                room: state.rooms.get(&o.room)?.name.clone(),
                away: o.away.as_ref().map(|a| a.text.clone()),
            })
        })
        .collect();
    let rooms = state
        .rooms
        .values()
        .filter_map(|r| {
            let (creator, key) = r.creator.as_ref()?;
            state.online.contains_key(key).then(|| RoomAt {
                name: r.name.clone(),
                creator: creator.clone(),
                created: 0,
                order: r.order.as_ref().map(|o| o.snapshot(now_ms)),
            })
        })
        .collect();
    (users, rooms)
}

/// Adds a room created on another node, unless this node has it.
fn add_room(state: &mut State, name: &str, creator: &str, keep: usize) {
    let key = room_key(name);
    state.rooms.entry(key).or_insert_with(|| {
        Room::new(
            name,
            Some((creator.to_owned(), login_key(creator))),
            keep,
            Vec::new(),
        )
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::hub::HistoryLimits;
    use crate::clock::ServerClock;

    fn hub() -> Hub {
        let history = HistoryLimits {
            per_room: 10,
            default_room: 10,
        };
        Hub::new(
            "lobby",
            100,
            10,
            100,
            history,
            Vec::new(),
            ServerClock::driven(),
        )
    }

    fn at(login: &str, session: u64, room: &str) -> UserAt {
        UserAt {
            login: login.into(),
            session,
            room: room.into(),
            away: None,
        }
    }

    fn room_at(name: &str, creator: &str) -> RoomAt {
        RoomAt {
            name: name.into(),
            creator: creator.into(),
            created: 7,
            order: None,
        }
    }

    fn room_of(hub: &Hub, login: &str) -> Option<String> {
        hub.online_user(&login_key(login)).map(|u| u.room)
    }

    /// A node that rejoins reads one node's snapshot, whose user is in a room another node's
    /// users created, before that other node's snapshot brings the room: the user is in it
    /// once it comes, as its own node says, not left in the default room for good.
    #[test]
    fn a_user_in_a_room_another_nodes_snapshot_brings_later_is_placed_in_it() {
        let hub = hub();
        hub.apply_snapshot("n3", vec![at("xavi", 1, "sala2")], Vec::new(), None, &[]);
        assert_eq!(room_of(&hub, "xavi").as_deref(), Some("lobby"));
        hub.apply_snapshot(
            "n2",
            vec![at("yago", 2, "sala2")],
            vec![room_at("sala2", "yago")],
            None,
            &[],
        );
        assert_eq!(room_of(&hub, "xavi").as_deref(), Some("sala2"));
        assert_eq!(room_of(&hub, "yago").as_deref(), Some("sala2"));
        let members = hub.room_view("sala2").map(|r| r.members.len());
        assert_eq!(members, Some(2));
        // Placed by a later word of its own node: it waits for nothing any more.
        hub.remote_moved("n3", "xavi", 1, "lobby");
        hub.remote_room_created("n2", "sala2", "yago");
        assert_eq!(room_of(&hub, "xavi").as_deref(), Some("lobby"));
    }

    /// The same with the room's creation read after the snapshot (a room created as the node
    /// rejoined).
    #[test]
    fn a_user_in_a_room_created_after_its_snapshot_was_read_is_placed_in_it() {
        let hub = hub();
        hub.apply_snapshot("n3", vec![at("xavi", 1, "sala9")], Vec::new(), None, &[]);
        hub.remote_room_created("n2", "sala9", "yago");
        assert_eq!(room_of(&hub, "xavi").as_deref(), Some("sala9"));
    }
}
