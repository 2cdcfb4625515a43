//! Keeping order in a room: its creator (and the server's administrators, in every room
//! including the default one) may mute a member for a while, remove a member (back to the
//! default room, not allowed in again while the room lives) and set slow mode (one line per
//! member per so many seconds). A room's order lives and dies with the room.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

use chat_core::limits::MODERATION_MAX_SECONDS;
use chat_core::protocol::{ModAction, ServerMessage};
use chat_core::validate::{login_key, room_key};

use super::{Hub, HubError, State};
use crate::chat::bus::BusEvent;
use crate::delivery::event::Event;
use crate::delivery::peer::Peer;

/// Reports kept for administrators who log in later.
const REPORTS_KEPT: usize = 100;

/// What a room's creator set to keep order.
#[derive(Debug, Default)]
pub(crate) struct Order {
    /// Muted members, by login key: until when (server time, ms).
    muted: HashMap<String, i64>,
    /// Members removed, by login key.
    removed: HashSet<String>,
    /// Slow mode: one line per member per this many ms (0: off).
    slow_ms: i64,
    /// When each member last spoke, by login key (slow mode only).
    last_said: Mutex<HashMap<String, i64>>,
}

impl Order {
    fn last_said(&self) -> MutexGuard<'_, HashMap<String, i64>> {
        self.last_said.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether member `key` may say a line at `now_ms`; in slow mode, notes that it did.
    pub fn may_say(&self, key: &str, now_ms: i64) -> Result<(), HubError> {
        if let Some(until) = self.muted.get(key)
            && *until > now_ms
        {
            return Err(HubError::Muted(u64::try_from(until - now_ms).unwrap_or(0)));
        }
        if self.slow_ms > 0 {
            let mut last = self.last_said();
            if let Some(at) = last.get(key)
                && now_ms - at < self.slow_ms
            {
                return Err(HubError::SlowMode(
                    u64::try_from(self.slow_ms - (now_ms - at)).unwrap_or(0),
                ));
            }
            last.insert(key.to_owned(), now_ms);
        }
        Ok(())
    }

    /// Whether member `key` was removed from the room.
    pub fn is_removed(&self, key: &str) -> bool {
        self.removed.contains(key)
    }
}

/// What a moderation did, as its room's members are told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moderated {
    pub room: String,
    pub action: ModAction,
    pub login: Option<String>,
    pub until: Option<i64>,
    pub seconds: Option<u32>,
    pub by: String,
}

impl From<Moderated> for ServerMessage {
    fn from(m: Moderated) -> Self {
        ServerMessage::Moderated {
            room: m.room,
            action: m.action,
            login: m.login,
            until: m.until,
            seconds: m.seconds,
            by: m.by,
        }
    }
}

impl Hub {
    /// Whether the user `key` keeps order in room `room_key`: its creator, or an administrator.
    pub(super) fn keeps_order(&self, state: &State, key: &str, room_key: &str) -> bool {
        self.is_admin(key)
            || state
                .rooms
                .get(room_key)
                .and_then(|r| r.creator.as_ref())
                .is_some_and(|(_, creator)| creator == key)
    }

    /// Whether `key` is one of the server's administrators.
    pub fn is_admin(&self, key: &str) -> bool {
        self.admins.contains(key)
    }

    /// Tells the administrators online of a report, and keeps it (the newest
    /// [`REPORTS_KEPT`]) for those who log in later.
    pub fn report(&self, report: ServerMessage) {
        let event = Event::new(report.clone());
        for admin in self.admins_online() {
            admin.event(&event);
        }
        let mut reports = self.reports.lock().unwrap_or_else(|p| p.into_inner());
        reports.push_back(report);
        while reports.len() > REPORTS_KEPT {
            reports.pop_front();
        }
    }

    /// The reports kept, oldest first (for an administrator who logs in).
    pub fn reports(&self) -> Vec<ServerMessage> {
        let reports = self.reports.lock().unwrap_or_else(|p| p.into_inner());
        reports.iter().cloned().collect()
    }

    /// The administrators online now.
    pub fn admins_online(&self) -> Vec<Arc<Peer>> {
        let state = self.read();
        self.admins
            .iter()
            .filter_map(|key| state.online.get(key).map(|o| Arc::clone(&o.peer)))
            .collect()
    }

    /// The peer keeps order in `room`: mutes, unmutes or removes `login`, or sets slow mode to
    /// one line per `seconds`. The room's members are told (a removed member too, before it is
    /// moved to the default room). On a node of a cluster it is published, and every node
    /// applies it as it comes back.
    pub fn moderate(
        &self,
        peer: &Arc<Peer>,
        room: &str,
        action: ModAction,
        login: Option<&str>,
        seconds: Option<u32>,
    ) -> Result<Moderated, HubError> {
        let me = peer.login().ok_or(HubError::LoginRequired)?;
        let key = room_key(room);
        let now = self
            .bus()
            .map_or_else(|| self.clock.now_ms(), |bus| bus.now_ms());
        let mut done = {
            let state = self.read();
            let room_state = state.rooms.get(&key).ok_or(HubError::RoomNotFound)?;
            if !self.keeps_order(&state, &me.key, &key) {
                return Err(HubError::NotAllowed);
            }
            if action != ModAction::Slow {
                let name = login.ok_or(HubError::NotAllowed)?;
                // Nobody keeps order over the room's creator or an administrator.
                if self.keeps_order(&state, &login_key(name), &key) {
                    return Err(HubError::NotAllowed);
                }
            }
            Moderated {
                room: room_state.name.clone(),
                action,
                login: (action != ModAction::Slow).then(|| login.unwrap_or_default().to_owned()),
                until: None,
                seconds: None,
                by: me.name.clone(),
            }
        };
        let seconds = seconds.map(|s| s.min(MODERATION_MAX_SECONDS));
        match action {
            ModAction::Mute => {
                let secs = i64::from(seconds.unwrap_or(600).max(1));
                done.until = Some(now + secs * 1_000);
            }
            ModAction::Slow => done.seconds = Some(seconds.unwrap_or(0)),
            ModAction::Unmute | ModAction::Remove => {}
            ModAction::Unknown => return Err(HubError::NotAllowed),
        }
        if let Some(bus) = self.bus() {
            if !bus.is_up() {
                return Err(HubError::ClusterUnreachable);
            }
            // In the cluster's log before it is answered, as a line is.
            bus.publish_confirmed(BusEvent::Moderated {
                room: done.room.clone(),
                action,
                login: done.login.clone(),
                until: done.until,
                seconds: done.seconds,
                by: done.by.clone(),
            })?;
            return Ok(done);
        }
        self.apply_moderation(done.clone());
        Ok(done)
    }

    /// Applies a moderation (checked where it was asked): the room's order changes, its members
    /// here are told, and a removed member here is moved to the default room.
    pub(crate) fn apply_moderation(&self, done: Moderated) {
        let key = room_key(&done.room);
        let mut state = self.write();
        let Some(room_state) = state.rooms.get_mut(&key) else {
            return;
        };
        let order = room_state.order.get_or_insert_with(Box::default);
        let target = done.login.as_deref().map(login_key);
        match (done.action, &target) {
            (ModAction::Mute, Some(target)) => {
                order.muted.insert(target.clone(), done.until.unwrap_or(0));
            }
            (ModAction::Unmute, Some(target)) => {
                order.muted.remove(target);
            }
            (ModAction::Remove, Some(target)) => {
                order.removed.insert(target.clone());
            }
            (ModAction::Slow, _) => {
                order.slow_ms = i64::from(done.seconds.unwrap_or(0)) * 1_000;
                order.last_said().clear();
            }
            _ => return,
        }
        room_state.broadcast(&Event::new(done.clone().into()));
        if let (ModAction::Remove, Some(target)) = (done.action, &target)
            && let Some(online) = state.online.get(target)
            && online.room == key
        {
            let removed = Arc::clone(&online.peer);
            let default_key = self.default_key.clone();
            if let Ok(entered) = self.move_peer(&mut state, &removed, &default_key) {
                removed.event(&Event::new(entered.into()));
            }
            self.changed();
        }
    }
}
