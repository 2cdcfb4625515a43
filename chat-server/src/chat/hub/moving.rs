//! Rooms as users move between them: the course's `#cR` create, `#gR` enter, `#eR` back to the
//! default room and `#dR` delete, a room closing (its members move to the default room), and
//! what a user sees on entering one.

use std::sync::Arc;

use chat_core::frame::room_for_rows;
use chat_core::protocol::{Presence, RoomClosedReason, Said, ServerMessage};
use chat_core::validate::room_key;

use super::room::Room;
use super::{Hub, HubError, Online, State};
use crate::chat::bus::BusEvent;
use crate::delivery::event::Event;
use crate::delivery::peer::Peer;

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
    /// The members who are the server's administrators.
    pub admins: Vec<String>,
    /// The members voiced (not slowed by slow mode).
    pub voiced: Vec<String>,
    /// Its topic, when one was set.
    pub topic: Option<chat_core::protocol::RoomTopic>,
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
            admins: e.admins,
            voiced: e.voiced,
            topic: e.topic,
            history: e.history,
            more_history: e.more_history,
        }
    }
}

impl Hub {
    /// `#cR`: creates a room owned by the peer and moves the peer into it. `tell` is given the
    /// room as the peer sees it entering, under the hub's lock (see [`Hub::enter_room`]).
    pub fn create_room(
        &self,
        peer: &Arc<Peer>,
        name: &str,
        tell: impl FnOnce(Entered),
    ) -> Result<(), HubError> {
        let login = peer.login().ok_or(HubError::LoginRequired)?;
        let key = room_key(name);
        self.may_create(&self.read(), &login.key, &key)?;
        // On a node, the name is claimed across the cluster first, and the room's creation
        // logged with it (without holding the lock): acknowledged, it is in the log every node
        // reads.
        if let Some(bus) = self.bus() {
            match bus.claim_room(&key, name, &login.name) {
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
        tell(self.move_peer(&mut state, peer, &key)?);
        self.changed();
        Ok(())
    }

    /// Whether the user `login_key` may create room `key` now.
    pub(super) fn may_create(
        &self,
        state: &State,
        login_key: &str,
        key: &str,
    ) -> Result<(), HubError> {
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

    /// `#gR`: moves the peer into an existing room (no effect if already there). On a node
    /// of a cluster, once this node has read the cluster's log as far as it goes now: a room
    /// whose creation was acknowledged anywhere is known here, and one closed anywhere is not.
    ///
    /// `tell` is given the room as the peer sees it entering, and queues it for the peer under
    /// the hub's lock: the peer is a member from then on, and a line of the room (delivered
    /// under the lock too) can only come after it. Queued after the lock, a line could reach
    /// the client before the room it belongs to. `tell` must not take the hub's lock.
    pub fn enter_room(
        &self,
        peer: &Arc<Peer>,
        name: &str,
        tell: impl FnOnce(Entered),
    ) -> Result<(), HubError> {
        let key = room_key(name);
        if let Some(bus) = self.bus() {
            bus.caught_up()?;
        }
        let mut state = self.write();
        let room = state.rooms.get(&key).ok_or(HubError::RoomNotFound)?;
        if let (Some(order), Some(login)) = (&room.order, peer.login())
            && order.is_removed(&login.key)
        {
            return Err(HubError::RemovedFromRoom);
        }
        tell(self.move_peer(&mut state, peer, &key)?);
        self.changed();
        Ok(())
    }

    /// `#eR`: back to the default room (no effect if already there). `tell`: as in
    /// [`Hub::enter_room`].
    pub fn leave_room(&self, peer: &Arc<Peer>, tell: impl FnOnce(Entered)) -> Result<(), HubError> {
        let mut state = self.write();
        let default_key = self.default_key.clone();
        tell(self.move_peer(&mut state, peer, &default_key)?);
        self.changed();
        Ok(())
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
        drop(state);
        // On a node, answered once its closing is in the cluster's log: deleted, it cannot be
        // entered on any node. (Cut off from the cluster, it is deleted here all the same, and
        // the others learn it when this node rejoins.)
        if let Some(bus) = self.bus()
            && let Err(e) = bus.flush()
        {
            tracing::warn!("a deleted room's closing is not in the cluster's log yet: {e}");
        }
        Ok(name)
    }

    /// Removes a room and moves its members to the default room, telling each why. Its history
    /// goes with it. `publish`: the room closed here (not on another node), so the cluster is
    /// told and its name freed.
    pub(super) fn close_room(
        &self,
        state: &mut State,
        key: &str,
        reason: RoomClosedReason,
        publish: bool,
    ) {
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
    pub(super) fn move_peer(
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
    pub(super) fn join_room(
        &self,
        state: &mut State,
        peer: &Arc<Peer>,
        key: &str,
    ) -> Result<Entered, HubError> {
        let online = peer.login().and_then(|l| state.online.get(&l.key));
        let presence = online.map_or(Presence::Online, Online::presence);
        let away = online
            .and_then(|o| o.away.as_ref())
            .and_then(|a| a.text.clone());
        let limit = state.presence_limit;
        let operator = peer
            .login()
            .is_some_and(|l| self.keeps_order(state, &l.key, key));
        let voiced = peer
            .login()
            .is_some_and(|l| Self::is_voiced(state, &l.key, key));
        let room = state.rooms.get_mut(key).ok_or(HubError::RoomNotFound)?;
        if room.member_count() < limit {
            let joined = Event::new(ServerMessage::Joined {
                room: room.name.clone(),
                login: peer.name().to_owned(),
                presence,
            })
            .away(away)
            .operator(operator)
            .voiced(voiced);
            room.broadcast(&joined);
        }
        room.add(peer, presence == Presence::Away);
        self.entered(state, key)
    }

    /// Room `key` as one entering it sees it: its members (those away named apart) and the
    /// newest lines of its history that fit the frame that carries them.
    pub(super) fn entered(&self, state: &State, key: &str) -> Result<Entered, HubError> {
        let room = state.rooms.get(key).ok_or(HubError::RoomNotFound)?;
        let (voiced, topic) = Self::voiced_and_topic(state, key);
        let mut entered = Entered {
            room: room.name.clone(),
            creator: room.creator.as_ref().map(|(name, _)| name.clone()),
            members: room.listed_names(),
            member_count: u32::try_from(room.member_count()).unwrap_or(u32::MAX),
            away: room.listed_away(),
            admins: self.admins_in(state, key),
            voiced,
            topic,
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
pub(super) fn leave_room(state: &mut State, peer: &Peer, key: &str, quitting: bool) {
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
