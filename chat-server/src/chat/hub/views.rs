//! What the hub shows to those who ask: the room list, who is online and where, a room as seen
//! from outside. Each reads a snapshot under the read lock and sorts outside it.

use std::sync::Arc;

use chat_core::protocol::{Presence, RoomInfo};
use chat_core::validate::room_key;

use super::{Hub, presence_of};
use crate::delivery::peer::Peer;

/// One row of [`Hub::online_users`].
#[derive(Debug, Clone)]
pub struct OnlineUser {
    /// Login key.
    pub key: String,
    /// Room name.
    pub room: String,
    /// Online or away.
    pub presence: Presence,
    /// The away message.
    pub away_text: Option<String>,
}

/// A room as seen from outside.
#[derive(Debug, Clone)]
pub struct RoomView {
    /// Its name.
    pub name: String,
    /// Its creator's login (none for the default room).
    pub creator: Option<String>,
    /// Its members' logins, sorted, at most [`chat_core::limits::MAX_LISTED`].
    pub members: Vec<String>,
    /// Whether it is the default room.
    pub is_default: bool,
}

impl Hub {
    /// Every room: the default one first, then by name.
    pub fn rooms(&self) -> Vec<RoomInfo> {
        let state = self.read();
        let mut rooms: Vec<RoomInfo> = state
            .rooms
            .iter()
            .map(|(key, r)| RoomInfo {
                name: r.name.clone(),
                members: u32::try_from(r.member_count()).unwrap_or(u32::MAX),
                creator: r.creator.as_ref().map(|(name, _)| name.clone()),
                is_default: *key == self.default_key,
            })
            .collect();
        rooms.sort_by(|a, b| {
            b.is_default
                .cmp(&a.is_default)
                .then_with(|| a.name.to_lowercase().cmp(&b.name.to_lowercase()))
        });
        rooms
    }

    /// Every online user, by login key.
    pub fn online_users(&self) -> Vec<OnlineUser> {
        let state = self.read();
        let mut online: Vec<OnlineUser> = state
            .online
            .iter()
            .filter_map(|(key, o)| {
                state.rooms.get(&o.room).map(|r| OnlineUser {
                    key: key.clone(),
                    room: r.name.clone(),
                    presence: o.presence(),
                    away_text: o.away.as_ref().and_then(|a| a.text.clone()),
                })
            })
            .collect();
        online.extend(state.remote.iter().filter_map(|(key, r)| {
            state.rooms.get(&r.room).map(|room| OnlineUser {
                key: key.clone(),
                room: room.name.clone(),
                presence: presence_of(r.away.as_ref()),
                away_text: r.away.as_ref().and_then(|a| a.text.clone()),
            })
        }));
        drop(state);
        online.sort_unstable_by(|a, b| a.key.cmp(&b.key));
        online
    }

    /// The name of the room the peer is in.
    pub fn room_of(&self, peer: &Peer) -> Option<String> {
        let login = peer.login()?;
        let state = self.read();
        let online = state.online.get(&login.key)?;
        state.rooms.get(&online.room).map(|r| r.name.clone())
    }

    /// A room as others may see it, found by name in any case.
    pub fn room_view(&self, name: &str) -> Option<RoomView> {
        let state = self.read();
        let room = state.rooms.get(&room_key(name))?;
        Some(RoomView {
            name: room.name.clone(),
            creator: room.creator.as_ref().map(|(name, _)| name.clone()),
            members: room.listed_names(),
            is_default: room_key(name) == self.default_key,
        })
    }

    /// An online user, by login key.
    pub fn online_user(&self, key: &str) -> Option<OnlineUser> {
        let state = self.read();
        let Some(online) = state.online.get(key) else {
            let remote = state.remote.get(key)?;
            return Some(OnlineUser {
                key: key.to_owned(),
                room: state.rooms.get(&remote.room)?.name.clone(),
                presence: presence_of(remote.away.as_ref()),
                away_text: remote.away.as_ref().and_then(|a| a.text.clone()),
            });
        };
        Some(OnlineUser {
            key: key.to_owned(),
            room: state.rooms.get(&online.room)?.name.clone(),
            presence: online.presence(),
            away_text: online.away.as_ref().and_then(|a| a.text.clone()),
        })
    }

    /// Every online peer.
    pub fn online_peers(&self) -> Vec<Arc<Peer>> {
        self.read()
            .online
            .values()
            .map(|o| Arc::clone(&o.peer))
            .collect()
    }

    /// How many users are online.
    pub fn online_count(&self) -> usize {
        self.read().online.len()
    }

    /// The most users online here at once since the server started.
    pub fn peak_online(&self) -> usize {
        self.peak_online.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The connection of an online user of this node, by login key.
    pub fn online_peer(&self, key: &str) -> Option<Arc<Peer>> {
        self.read().online.get(key).map(|o| Arc::clone(&o.peer))
    }
}
