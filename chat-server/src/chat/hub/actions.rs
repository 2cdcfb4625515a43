//! What users do to a room's lines once said: react, edit, delete (their own, or any line of a
//! room they keep order in). Edits and deletions reach the members at once, under the room's
//! lines lock like the lines themselves; reactions are gathered and told every moment
//! ([`Hub::tell_reactions`]), one frame per changed line, so a popular line in a large room
//! costs each member a frame per moment, not one per reaction.
//!
//! A change is checked where it is asked (the line is there, it is the user's to change), then
//! applied ([`Hub::apply_line_change`]): at once on a single server; on a node of a cluster when
//! it comes back from the cluster, on every node, in the cluster's order, as lines are.

use chat_core::limits::REACTIONS_PER_LINE;
use chat_core::protocol::{Said, ServerMessage, Target};
use chat_core::validate::{login_key, room_key};

use super::reactions::toggle;
use super::room::Room;
use super::{Hub, HubError, State};
use crate::chat::bus::{BusEvent, LineChange};
use crate::delivery::event::{Event, Reacted};
use crate::delivery::peer::Peer;

/// Reactions put on or taken off one line that are kept between two tellings, for protocols
/// that show each (IRC's `TAGMSG`s); past this many in 200 ms, the rest are told only as the
/// line's whole set.
pub(super) const CHANGES_KEPT: usize = 50;

/// A room line that changed, as the default room's history on disk keeps it.
#[derive(Debug)]
pub struct Changed {
    /// The line, with every reactor (see `room::Line::whole`).
    pub said: Said,
    /// Whether it is in the default room (whose history is on disk).
    pub in_default_room: bool,
}

impl Hub {
    /// The key of the peer's room, if it is `room`; the user's login key.
    fn in_room(state: &State, peer: &Peer, room: &str) -> Result<(String, String), HubError> {
        let login = peer.login().ok_or(HubError::LoginRequired)?;
        let online = state
            .online
            .get(&login.key)
            .ok_or(HubError::LoginRequired)?;
        if room_key(room) != online.room {
            return Err(HubError::NotInRoom);
        }
        Ok((online.room.clone(), login.key.clone()))
    }

    /// Puts the peer's `emoji` on line `id` of its room `room` (`on`), or takes it off. Members
    /// are told with the next [`Hub::tell_reactions`].
    pub fn react(
        &self,
        peer: &Peer,
        room: &str,
        id: u64,
        emoji: &str,
        on: bool,
    ) -> Result<(), HubError> {
        let change = LineChange::React {
            by: peer.name().to_owned(),
            emoji: emoji.to_owned(),
            on,
        };
        self.change_line(peer, room, id, change).map(|_| ())
    }

    /// Changes the text of the peer's own line `id` in its room `room`; every member is told.
    /// Returns the peer's answer and, when applied here at once, the line as it is now.
    pub fn edit_line(
        &self,
        peer: &Peer,
        room: &str,
        id: u64,
        text: String,
    ) -> Result<(ServerMessage, Option<Changed>), HubError> {
        let time = self.clock.now_ms();
        self.change_line(peer, room, id, LineChange::Edit { text, time })
    }

    /// Deletes line `id` of the peer's room `room`: its own, or any line of a room it keeps
    /// order in. Every member is told (with `why`, where a protocol shows it); the line stays
    /// as a placeholder.
    pub fn delete_line(
        &self,
        peer: &Peer,
        room: &str,
        id: u64,
        why: Option<String>,
    ) -> Result<(ServerMessage, Option<Changed>), HubError> {
        let by = peer.name().to_owned();
        self.change_line(peer, room, id, LineChange::Delete { by, why })
    }

    /// Checks a change the peer asks of line `id` of its room `room`, then applies it here, or
    /// publishes it (on a node of a cluster; every node applies it as it comes back).
    fn change_line(
        &self,
        peer: &Peer,
        room: &str,
        id: u64,
        change: LineChange,
    ) -> Result<(ServerMessage, Option<Changed>), HubError> {
        let state = self.read();
        let (key, me) = Self::in_room(&state, peer, room)?;
        let moderator = self.keeps_order(&state, &me, &key);
        let room = state.rooms.get(&key).ok_or(HubError::Internal)?;
        {
            let lines = room.lines();
            let line = lines.find(id).ok_or(HubError::MessageNotFound)?;
            if line.said.deleted {
                return Err(HubError::MessageNotFound);
            }
            let own = login_key(&line.said.from) == me;
            match &change {
                LineChange::React { emoji, on, .. } => {
                    let known = line.reactors.iter().any(|(e, _)| e == emoji);
                    if *on && !known && line.reactors.len() >= REACTIONS_PER_LINE {
                        return Err(HubError::TooManyReactions);
                    }
                }
                LineChange::Edit { .. } if !own => return Err(HubError::NotAllowed),
                LineChange::Delete { .. } if !own && !moderator => {
                    return Err(HubError::NotAllowed);
                }
                LineChange::Edit { .. } | LineChange::Delete { .. } => {}
            }
        }
        let answer = answer(&room.name, id, &change);
        if let Some(bus) = self.bus() {
            if !bus.is_up() {
                return Err(HubError::ClusterUnreachable);
            }
            let event = BusEvent::LineChanged {
                room: room.name.clone(),
                line: id,
                change,
            };
            // In the cluster's log before it is answered, as a line is (never waited for under
            // the lock): every node applies it once, a node cut off meanwhile on replay.
            drop(state);
            bus.publish_confirmed(event)?;
            return Ok((answer, None));
        }
        let changed = self.apply(&key, room, id, change);
        Ok((answer, changed))
    }

    /// Applies a change to line `id` of room `room` (checked where it was asked): from the
    /// cluster, on a node. Returns the line as it is now, if still kept.
    #[cfg_attr(not(feature = "cluster"), allow(dead_code))]
    pub(crate) fn apply_line_change(
        &self,
        room: &str,
        id: u64,
        change: LineChange,
    ) -> Option<Changed> {
        let key = room_key(room);
        let state = self.read();
        let room = state.rooms.get(&key)?;
        self.apply(&key, room, id, change)
    }

    fn apply(&self, key: &str, room: &Room, id: u64, change: LineChange) -> Option<Changed> {
        let mut lines = room.lines();
        let mut why = None;
        let event = match change {
            LineChange::React { by, emoji, on } => {
                let mut changed = false;
                lines.change(id, |_, reactors| {
                    changed = toggle(reactors, &emoji, &by, on);
                })?;
                if changed {
                    let changes = lines.reacted.entry(id).or_default();
                    if changes.len() < CHANGES_KEPT {
                        changes.push(Reacted { by, emoji, on });
                    }
                    drop(lines);
                    self.reacted_rooms().insert(key.to_owned());
                }
                // Told with the next gathering; kept on disk then.
                return None;
            }
            LineChange::Edit { text, time } => {
                let event = ServerMessage::Edited {
                    target: Target::Room(room.name.clone()),
                    line: id,
                    text: text.clone(),
                    edited: time,
                };
                lines.change(id, |said, _| {
                    said.text = text;
                    said.edited = Some(time);
                })?;
                event
            }
            LineChange::Delete { by, why: reason } => {
                why = reason;
                lines.reacted.remove(&id);
                lines.change(id, |said, reactors| {
                    // Its files go with its text: nobody fetches them through it any more.
                    said.text.clear();
                    said.attachments.clear();
                    said.deleted = true;
                    reactors.clear();
                })?;
                ServerMessage::MessageDeleted {
                    target: Target::Room(room.name.clone()),
                    line: id,
                    by,
                }
            }
        };
        let said = lines.find(id)?.whole();
        // An edit is its author's (only the author edits), which IRC shows as the sender.
        let edited = matches!(event, ServerMessage::Edited { .. });
        let mut event = Event::new(event).because(why);
        if edited {
            event = event.authored(&said.from);
        }
        room.broadcast(&event);
        Some(Changed {
            said,
            in_default_room: key == self.default_key,
        })
    }

    fn reacted_rooms(&self) -> std::sync::MutexGuard<'_, std::collections::HashSet<String>> {
        self.reacted.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Tells each room's members the reactions of the lines that changed since the last call,
    /// one `reactions` event per line. Returns the default room's changed lines, for its
    /// history on disk.
    pub fn tell_reactions(&self) -> Vec<Said> {
        let rooms: Vec<String> = self.reacted_rooms().drain().collect();
        let mut stored = Vec::new();
        if rooms.is_empty() {
            return stored;
        }
        let state = self.read();
        for key in rooms {
            let Some(room) = state.rooms.get(&key) else {
                continue;
            };
            let mut lines = room.lines();
            let changed = std::mem::take(&mut lines.reacted);
            for (id, reacted) in changed {
                let Some(line) = lines.find(id) else {
                    continue;
                };
                let event = Event::new(ServerMessage::Reactions {
                    target: Target::Room(room.name.clone()),
                    line: id,
                    reactions: line.said.reactions.clone(),
                })
                .reacted(reacted);
                room.broadcast(&event);
                if key == self.default_key {
                    stored.push(line.whole());
                }
            }
        }
        stored
    }

    /// Line `id` of the peer's room `room`, as it is now (for a report).
    pub fn line(&self, peer: &Peer, room: &str, id: u64) -> Result<Said, HubError> {
        let state = self.read();
        let (key, _) = Self::in_room(&state, peer, room)?;
        let room = state.rooms.get(&key).ok_or(HubError::Internal)?;
        let lines = room.lines();
        let line = lines.find(id).ok_or(HubError::MessageNotFound)?;
        Ok(Said::clone(&line.said))
    }

    /// Whether the user `key` is in room `room` (its key) now and the room still keeps line
    /// `line` carrying file `file`: whether the user can read it there.
    pub fn sees_line(&self, key: &str, room: &str, line: u64, file: &str) -> bool {
        let state = self.read();
        // In the room here, or on another node of the cluster (a client's file requests may
        // reach another node than its chat connection, behind a load balancer).
        let member = state.online.get(key).is_some_and(|o| o.room == room)
            || state.remote.get(key).is_some_and(|r| r.room == room);
        member
            && state
                .rooms
                .get(room)
                .is_some_and(|r| carries(r, line, file))
    }

    /// Whether room `room` (its key) exists and still keeps line `line` carrying file `file`
    /// (a deleted line carries none).
    pub fn keeps_line(&self, room: &str, line: u64, file: &str) -> bool {
        self.read()
            .rooms
            .get(room)
            .is_some_and(|r| carries(r, line, file))
    }

    /// Queues `event` for the user `key`, if online here. Returns whether it was.
    pub fn tell_user(&self, key: &str, event: &Event) -> bool {
        let state = self.read();
        match state.online.get(key) {
            Some(online) => {
                online.peer.event(event);
                true
            }
            None => false,
        }
    }
}

/// What the user who asked for `change` is answered (edits and deletions; a reaction has no
/// answer).
/// Whether `room` keeps line `line` and it carries file `file`.
fn carries(room: &Room, line: u64, file: &str) -> bool {
    room.lines()
        .find(line)
        .is_some_and(|l| l.said.attachments.iter().any(|a| a.id == file))
}

fn answer(room: &str, id: u64, change: &LineChange) -> ServerMessage {
    let target = Target::Room(room.to_owned());
    match change {
        LineChange::Edit { text, time } => ServerMessage::Edited {
            target,
            line: id,
            text: text.clone(),
            edited: *time,
        },
        LineChange::Delete { by, .. } => ServerMessage::MessageDeleted {
            target,
            line: id,
            by: by.clone(),
        },
        LineChange::React { .. } => ServerMessage::Pong,
    }
}
