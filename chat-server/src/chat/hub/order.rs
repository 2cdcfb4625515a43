//! Keeping order in a room: its creator (and the server's administrators, in every room
//! including the default one) may mute a member for a while, remove a member (back to the
//! default room, not allowed in again while the room lives; readmitted, it may), set slow mode
//! (one line per member per so many seconds), voice members (not slowed) and set the room's
//! topic. A room's order lives and dies with the room.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use chat_core::limits::MODERATION_MAX_SECONDS;
use chat_core::protocol::{ModAction, RoomTopic, ServerMessage};
use chat_core::validate::{login_key, room_key};

use super::{Hub, HubError, State};
use crate::chat::bus::{BusEvent, NamedAt, OrderAt};
use crate::delivery::event::Event;
use crate::delivery::peer::Peer;

/// Reports kept for administrators who log in later.
const REPORTS_KEPT: usize = 100;

/// Someone a room's order names (a member muted or removed): who, by whom, when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named {
    /// The login, as given.
    pub login: String,
    /// Who did it.
    pub by: String,
    /// When (server time, ms).
    pub at: i64,
    /// Until when (a mute; server time, ms).
    pub until: Option<i64>,
}

/// A room's order as others may see it (IRC's ban and quiet lists, its modes).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderView {
    /// Members removed, by login.
    pub removed: Vec<Named>,
    /// Members muted now, by login.
    pub muted: Vec<Named>,
    /// Members voiced (not slowed), by login.
    pub voiced: Vec<Named>,
    /// Slow mode's pace: one line per this many seconds (0: off).
    pub slow_seconds: u32,
}

/// What a room's creator set to keep order.
#[derive(Debug, Default)]
pub(crate) struct Order {
    /// Muted members, by login key.
    muted: HashMap<String, Named>,
    /// Members removed, by login key.
    removed: HashMap<String, Named>,
    /// Members voiced (not slowed by slow mode), by login key.
    voiced: HashMap<String, Named>,
    /// The room's topic.
    topic: Option<RoomTopic>,
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
        if let Some(until) = self.muted.get(key).and_then(|m| m.until)
            && until > now_ms
        {
            return Err(HubError::Muted(u64::try_from(until - now_ms).unwrap_or(0)));
        }
        if self.slow_ms > 0 && !self.voiced.contains_key(key) {
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

    /// As a snapshot carries it to other nodes (lapsed mutes left out).
    #[cfg_attr(not(feature = "cluster"), allow(dead_code))]
    pub fn snapshot(&self, now_ms: i64) -> OrderAt {
        let at = |named: &HashMap<String, Named>| -> Vec<NamedAt> {
            named
                .values()
                .filter(|n| n.until.is_none_or(|until| until > now_ms))
                .map(|n| NamedAt {
                    login: n.login.clone(),
                    by: n.by.clone(),
                    at: n.at,
                    until: n.until,
                })
                .collect()
        };
        OrderAt {
            topic: self.topic.clone(),
            muted: at(&self.muted),
            removed: at(&self.removed),
            voiced: at(&self.voiced),
            slow_ms: self.slow_ms,
        }
    }

    /// Takes what a snapshot says (the creator's node's word), keeping when members here
    /// last spoke.
    #[cfg_attr(not(feature = "cluster"), allow(dead_code))]
    pub fn adopt(&mut self, at: OrderAt) {
        let named = |list: Vec<NamedAt>| -> HashMap<String, Named> {
            list.into_iter()
                .map(|n| {
                    let named = Named {
                        login: n.login,
                        by: n.by,
                        at: n.at,
                        until: n.until,
                    };
                    (login_key(&named.login), named)
                })
                .collect()
        };
        self.topic = at.topic;
        self.muted = named(at.muted);
        self.removed = named(at.removed);
        self.voiced = named(at.voiced);
        self.slow_ms = at.slow_ms;
    }

    /// Whether member `key` was removed from the room.
    pub fn is_removed(&self, key: &str) -> bool {
        self.removed.contains_key(key)
    }

    /// As others may see it at `now_ms` (lapsed mutes left out), each list by login.
    fn view(&self, now_ms: i64) -> OrderView {
        let sorted = |named: &mut Vec<Named>| named.sort_by_key(|n| login_key(&n.login));
        let mut removed: Vec<Named> = self.removed.values().cloned().collect();
        let mut voiced: Vec<Named> = self.voiced.values().cloned().collect();
        sorted(&mut voiced);
        let mut muted: Vec<Named> = self
            .muted
            .values()
            .filter(|m| m.until.is_some_and(|until| until > now_ms))
            .cloned()
            .collect();
        sorted(&mut removed);
        sorted(&mut muted);
        OrderView {
            removed,
            muted,
            voiced,
            slow_seconds: u32::try_from(self.slow_ms / 1_000).unwrap_or(u32::MAX),
        }
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

    /// The logins voiced in room `room_key`, and its topic (for one entering it).
    pub(super) fn voiced_and_topic(
        state: &State,
        room_key: &str,
    ) -> (Vec<String>, Option<RoomTopic>) {
        let Some(order) = state.rooms.get(room_key).and_then(|r| r.order.as_ref()) else {
            return (Vec::new(), None);
        };
        let mut voiced: Vec<String> = order.voiced.values().map(|n| n.login.clone()).collect();
        voiced.sort_unstable_by_key(|name| login_key(name));
        (voiced, order.topic.clone())
    }

    /// Whether the user `key` is voiced in room `room_key`.
    pub(super) fn is_voiced(state: &State, key: &str, room_key: &str) -> bool {
        state
            .rooms
            .get(room_key)
            .and_then(|r| r.order.as_ref())
            .is_some_and(|o| o.voiced.contains_key(key))
    }

    /// The peer sets the topic of room `room` (empty: none); its members are told. Only its
    /// creator and the administrators may. On a node of a cluster it is published, and every
    /// node applies it as it comes back.
    pub fn set_topic(
        &self,
        peer: &Peer,
        room: &str,
        text: &str,
    ) -> Result<ServerMessage, HubError> {
        let me = peer.login().ok_or(HubError::LoginRequired)?;
        let key = room_key(room);
        let time = self.cluster_now_ms();
        let name = {
            let state = self.read();
            let room = state.rooms.get(&key).ok_or(HubError::RoomNotFound)?;
            if !self.keeps_order(&state, &me.key, &key) {
                return Err(HubError::NotAllowed);
            }
            room.name.clone()
        };
        let topic = RoomTopic {
            text: text.to_owned(),
            by: me.name.clone(),
            time,
        };
        let told = ServerMessage::Topic {
            room: name.clone(),
            topic: text.to_owned(),
            by: me.name.clone(),
        };
        if let Some(bus) = self.bus() {
            if !bus.is_up() {
                return Err(HubError::ClusterUnreachable);
            }
            bus.publish(BusEvent::TopicSet { room: name, topic }, None);
            return Ok(told);
        }
        self.apply_topic(&name, topic);
        Ok(told)
    }

    /// Applies a topic (checked where it was set; empty text: none) and tells the room's
    /// members here.
    pub(crate) fn apply_topic(&self, room: &str, topic: RoomTopic) {
        let mut state = self.write();
        let Some(room) = state.rooms.get_mut(&room_key(room)) else {
            return;
        };
        let told = ServerMessage::Topic {
            room: room.name.clone(),
            topic: topic.text.clone(),
            by: topic.by.clone(),
        };
        let order = room.order.get_or_insert_with(Box::default);
        order.topic = (!topic.text.is_empty()).then_some(topic);
        room.broadcast(&Event::new(told));
    }

    /// The topic of room `room`, if it has one.
    pub fn topic_of(&self, room: &str) -> Option<RoomTopic> {
        let state = self.read();
        let room = state.rooms.get(&room_key(room))?;
        room.order.as_ref()?.topic.clone()
    }

    /// The administrators who are in room `room_key` now (few: the server names them).
    pub(super) fn admins_in(&self, state: &State, room_key: &str) -> Vec<String> {
        let mut names: Vec<String> = self
            .admins
            .iter()
            .filter_map(|key| state.online.get(key))
            .filter(|online| online.room == room_key)
            .map(|online| online.peer.name().to_owned())
            .collect();
        names.sort_unstable_by_key(|name| name.to_lowercase());
        names
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

    /// Whether the user `key` keeps order in room `room` (its creator, or an administrator).
    pub fn keeps_order_in(&self, key: &str, room: &str) -> bool {
        self.keeps_order(&self.read(), key, &room_key(room))
    }

    /// The order kept in room `room`, if it exists.
    pub fn order_of(&self, room: &str) -> Option<OrderView> {
        let now = self.clock.now_ms();
        let state = self.read();
        let room = state.rooms.get(&room_key(room))?;
        Some(room.order.as_ref().map(|o| o.view(now)).unwrap_or_default())
    }

    /// The peer keeps order in `room`: mutes, unmutes, removes, readmits, voices or devoices
    /// `login`, or sets slow mode to one line per `seconds`. The room's members are told (a
    /// removed member too, before it is moved to the default room), with `why` where a protocol
    /// shows it. On a node of a cluster it is published, and every node applies it as it comes
    /// back.
    pub fn moderate(
        &self,
        peer: &Arc<Peer>,
        room: &str,
        action: ModAction,
        login: Option<&str>,
        seconds: Option<u32>,
        why: Option<String>,
    ) -> Result<Moderated, HubError> {
        let me = peer.login().ok_or(HubError::LoginRequired)?;
        let key = room_key(room);
        let now = self.cluster_now_ms();
        let mut done = {
            let state = self.read();
            let room_state = state.rooms.get(&key).ok_or(HubError::RoomNotFound)?;
            if !self.keeps_order(&state, &me.key, &key) {
                return Err(HubError::NotAllowed);
            }
            if action != ModAction::Slow {
                let name = login.ok_or(HubError::NotAllowed)?;
                // Nobody mutes or removes the room's creator or an administrator.
                if matches!(action, ModAction::Mute | ModAction::Remove)
                    && self.keeps_order(&state, &login_key(name), &key)
                {
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
            ModAction::Unmute
            | ModAction::Remove
            | ModAction::Readmit
            | ModAction::Voice
            | ModAction::Devoice => {}
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
                at: now,
                why,
            })?;
            return Ok(done);
        }
        self.apply_moderation(done.clone(), now, why);
        Ok(done)
    }

    /// Notes that event `seq` of the cluster's log changed room `room`'s order: for the default
    /// room, which no node owns, snapshots say how recent their copy of its order is.
    #[cfg_attr(not(feature = "cluster"), allow(dead_code))]
    pub(crate) fn order_changed_by(&self, room: &str, seq: u64) {
        if room_key(room) == self.default_key {
            let mut state = self.write();
            state.default_order_changed = state.default_order_changed.max(seq);
        }
    }

    /// Applies a moderation (checked where it was asked), done at `at` (ms) for `why`: the
    /// room's order changes, its members here are told, and a removed member here is moved to
    /// the default room.
    pub(crate) fn apply_moderation(&self, done: Moderated, at: i64, why: Option<String>) {
        let key = room_key(&done.room);
        let mut state = self.write();
        let Some(room_state) = state.rooms.get_mut(&key) else {
            return;
        };
        let order = room_state.order.get_or_insert_with(Box::default);
        let target = done.login.as_deref().map(|name| (login_key(name), name));
        let named = |name: &str, until| Named {
            login: name.to_owned(),
            by: done.by.clone(),
            at,
            until,
        };
        match (done.action, &target) {
            (ModAction::Mute, Some((target, name))) => {
                order.muted.insert(target.clone(), named(name, done.until));
            }
            (ModAction::Unmute, Some((target, _))) => {
                order.muted.remove(target);
            }
            (ModAction::Remove, Some((target, name))) => {
                order.removed.insert(target.clone(), named(name, None));
            }
            (ModAction::Readmit, Some((target, _))) => {
                order.removed.remove(target);
            }
            (ModAction::Voice, Some((target, name))) => {
                order.voiced.insert(target.clone(), named(name, None));
            }
            (ModAction::Devoice, Some((target, _))) => {
                order.voiced.remove(target);
            }
            (ModAction::Slow, _) => {
                order.slow_ms = i64::from(done.seconds.unwrap_or(0)) * 1_000;
                order.last_said().clear();
            }
            _ => return,
        }
        let in_room = matches!(
            (done.action, &target),
            (ModAction::Remove, Some((target, _)))
                if state.online.get(target).is_some_and(|o| o.room == key)
        );
        let event = Event::new(done.clone().into())
            .because(why)
            .in_room(in_room);
        let Some(room_state) = state.rooms.get_mut(&key) else {
            return;
        };
        room_state.broadcast(&event);
        if in_room
            && let Some((target, _)) = &target
            && let Some(online) = state.online.get(target)
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
