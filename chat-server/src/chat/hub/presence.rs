//! Presence: online, away (said so, or idle for a while) and offline; and typing notices.
//!
//! A change of presence is told to the user's room (when it is small enough for joins to be
//! told, see `presence_limit`), to the users it exchanged private messages with in this
//! session, and to those whose last `users` page listed it (its *watchers*): the people who
//! have it on screen. Logging in and out is told to watchers too (the room learns it from
//! `joined` and `left`). A watcher watches one page at a time, at most `MAX_LISTED` logins.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use chat_core::protocol::{Presence, ServerMessage};
use chat_core::validate::login_key;

use super::{Hub, HubError, Online, State};
use crate::chat::bus::BusEvent;
use crate::delivery::event::Event;
use crate::delivery::peer::Peer;

/// Partners remembered per user (the newest).
const MAX_PARTNERS: usize = 32;
/// Recipients remembered per user for throttling typing notices.
const MAX_TYPING_TRACKED: usize = 32;
/// A typing notice is passed on at most this often to one recipient.
pub const TYPING_EVERY: Duration = Duration::from_secs(3);
/// A typing notice lasts this long unless renewed.
pub const TYPING_LASTS: Duration = Duration::from_secs(6);

/// Why a user is away.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Away {
    /// The away message, if one was given.
    pub text: Option<String>,
    /// Set by the server after a while without input (and cleared by the next input), not by
    /// the user.
    pub idle: bool,
}

/// Notes `key` as one of a user's partners, newest last.
pub(super) fn add_partner(partners: &mut Vec<String>, key: &str) {
    partners.retain(|k| k != key);
    partners.push(key.to_owned());
    if partners.len() > MAX_PARTNERS {
        partners.remove(0);
    }
}

/// Tells `online`'s partners (those online) its presence, as `name`.
pub(super) fn tell_partners(
    state: &State,
    online: &Online,
    name: &str,
    presence: Presence,
    text: Option<&str>,
) {
    let event = presence_event(name, presence, text);
    let in_room = |peer: &Peer| {
        peer.login()
            .and_then(|l| state.online.get(&l.key))
            .is_some_and(|o| o.room == online.room)
    };
    let room_told = state
        .rooms
        .get(&online.room)
        .is_some_and(|r| r.member_count() <= state.presence_limit);
    for key in &online.partners {
        if let Some(partner) = state.online.get(key)
            && !(room_told && in_room(&partner.peer))
        {
            partner.peer.event(&event);
        }
    }
}

/// Tells `key`'s watchers (those online here) its presence, as `name`, but none told already:
/// not its partners, nor the members of `room_told` (the room [`Hub::tell`] reached).
pub(super) fn tell_watchers(
    state: &State,
    key: &str,
    name: &str,
    presence: Presence,
    text: Option<&str>,
    room_told: Option<&str>,
) {
    let Some(watchers) = state.watchers.get(key) else {
        return;
    };
    let partners = state.online.get(key).map(|o| o.partners.as_slice());
    let event = presence_event(name, presence, text);
    for watcher in watchers {
        if partners.is_some_and(|p| p.contains(watcher)) {
            continue;
        }
        if let Some(w) = state.online.get(watcher)
            && room_told != Some(w.room.as_str())
        {
            w.peer.event(&event);
        }
    }
}

/// The `presence` event of `name`.
fn presence_event(name: &str, presence: Presence, text: Option<&str>) -> Event {
    Event::new(ServerMessage::Presence {
        login: name.to_owned(),
        presence,
        text: text.map(str::to_owned),
    })
}

/// Takes `watcher` off the watchers of each of `keys`.
pub(super) fn unwatch(state: &mut State, watcher: &str, keys: &[String]) {
    for key in keys {
        if let Some(watchers) = state.watchers.get_mut(key) {
            watchers.remove(watcher);
            if watchers.is_empty() {
                state.watchers.remove(key);
            }
        }
    }
}

impl Hub {
    /// The peer was sent a `users` page listing `logins`: from now on (until its next page) it
    /// is told of their presence changes, logging in and out included.
    pub fn watch(&self, peer: &Peer, logins: &[String]) {
        let Some(login) = peer.login() else {
            return;
        };
        let mut state = self.write();
        let Some(online) = state.online.get_mut(&login.key) else {
            return;
        };
        if online.peer.id != peer.id {
            return;
        }
        let keys: Vec<String> = logins
            .iter()
            .map(|l| login_key(l))
            .filter(|k| *k != login.key)
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let old = std::mem::replace(&mut online.watching, keys.clone());
        unwatch(&mut state, &login.key, &old);
        for key in keys {
            state
                .watchers
                .entry(key)
                .or_default()
                .insert(login.key.clone());
        }
    }

    /// Marks the peer away (`idle`: by the server, for lack of input) and tells those who should
    /// know. Returns whether anything changed: an idle mark on a user already away does not.
    pub fn set_away(
        &self,
        peer: &Peer,
        text: Option<String>,
        idle: bool,
    ) -> Result<bool, HubError> {
        let login = peer.login().ok_or(HubError::LoginRequired)?;
        let mut state = self.write();
        let online = state
            .online
            .get_mut(&login.key)
            .ok_or(HubError::LoginRequired)?;
        if idle && online.away.is_some() {
            return Ok(false);
        }
        online.away = Some(Away {
            text: text.clone(),
            idle,
        });
        let room = online.room.clone();
        if let Some(room) = state.rooms.get_mut(&room) {
            room.set_away(&login.key, Some(peer.id), true);
        }
        self.tell(
            &state,
            &login.key,
            &login.name,
            Presence::Away,
            text.as_deref(),
        );
        self.publish(|| BusEvent::Presence {
            login: login.name.clone(),
            away: Some(text.clone()),
        });
        Ok(true)
    }

    /// Marks the peer back (`only_idle`: only if the server had marked it away for lack of
    /// input). Returns whether anything changed.
    pub fn set_back(&self, peer: &Peer, only_idle: bool) -> Result<bool, HubError> {
        let login = peer.login().ok_or(HubError::LoginRequired)?;
        let mut state = self.write();
        let online = state
            .online
            .get_mut(&login.key)
            .ok_or(HubError::LoginRequired)?;
        match &online.away {
            None => return Ok(false),
            Some(away) if only_idle && !away.idle => return Ok(false),
            Some(_) => online.away = None,
        }
        let room = online.room.clone();
        if let Some(room) = state.rooms.get_mut(&room) {
            room.set_away(&login.key, Some(peer.id), false);
        }
        self.tell(&state, &login.key, &login.name, Presence::Online, None);
        self.publish(|| BusEvent::Presence {
            login: login.name.clone(),
            away: None,
        });
        Ok(true)
    }

    /// Tells the user's room (if small) and partners of its presence.
    fn tell(&self, state: &State, key: &str, name: &str, presence: Presence, text: Option<&str>) {
        let Some(online) = state.online.get(key) else {
            return;
        };
        let room_told = state
            .rooms
            .get(&online.room)
            .filter(|room| room.member_count() <= state.presence_limit);
        if let Some(room) = room_told {
            let event = presence_event(name, presence, text);
            for member in room.members.iter().filter(|p| p.id != online.peer.id) {
                member.event(&event);
            }
        }
        tell_partners(state, online, name, presence, text);
        let room_told = room_told.map(|_| online.room.as_str());
        tell_watchers(state, key, name, presence, text, room_told);
    }

    /// Passes on a typing notice from the peer to `to_key`, unless one went less than
    /// [`TYPING_EVERY`] ago; nothing happens if that user is not online.
    pub fn typing(&self, peer: &Peer, to_key: &str, now: Instant) -> Result<(), HubError> {
        let login = peer.login().ok_or(HubError::LoginRequired)?;
        let mut state = self.write();
        let me = state
            .online
            .get_mut(&login.key)
            .ok_or(HubError::LoginRequired)?;
        if me
            .typing_sent
            .iter()
            .any(|(k, at)| k == to_key && now.saturating_duration_since(*at) < TYPING_EVERY)
        {
            return Ok(());
        }
        me.typing_sent.retain(|(k, _)| k != to_key);
        me.typing_sent.push((to_key.to_owned(), now));
        if me.typing_sent.len() > MAX_TYPING_TRACKED {
            me.typing_sent.remove(0);
        }
        let Some(to) = state.online.get(to_key) else {
            return Ok(());
        };
        let lasts = i64::try_from(TYPING_LASTS.as_millis()).unwrap_or(i64::MAX);
        to.peer.event(&Event::new(ServerMessage::Typing {
            from: login.name.clone(),
            until: self.clock.now_ms() + lasts,
        }));
        Ok(())
    }
}
