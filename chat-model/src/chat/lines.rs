//! The lines family of server messages: what happened to lines once said (reactions, edits,
//! deletions), how far private messages went (receipts), how far the user has read
//! (markers), a room's order (mutes, removals, slow mode) and, for administrators, reports.

use std::collections::HashMap;

use chat_core::protocol::{Marker, ModAction, Reaction, Receipt, ServerMessage, Target};
use chat_core::validate::{login_key, room_key};

use super::Chat;
use crate::history::{History, Line, LineKind};

/// What a room's creator or an administrator set there, as the user was told.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoomOrder {
    /// Muted members, by login: until when (server time, ms).
    pub muted: HashMap<String, i64>,
    /// Slow mode: one line per this many seconds (0: off).
    pub slow_seconds: u32,
}

/// A report an administrator received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub time_ms: i64,
    pub from: String,
    pub target: Target,
    pub line: u64,
    pub author: String,
    pub excerpt: String,
    pub reason: Option<String>,
}

impl Chat {
    /// The history a line is in: a room's, or a conversation's.
    fn history_of(&mut self, target: &Target) -> &mut History {
        match target {
            Target::Room(room) => self.history_mut(room),
            Target::With(with) => &mut self.conversation_mut(with).history,
        }
    }

    /// `reactions`: a line's reactions, as they are now.
    pub(super) fn reactions(&mut self, target: &Target, line: u64, reactions: &[Reaction]) {
        self.history_of(target).extras_mut(line).reactions = reactions.to_vec();
    }

    /// `edited`: a line's text changed.
    pub(super) fn edited(&mut self, target: &Target, line: u64, text: &str, edited: i64) {
        let history = self.history_of(target);
        history.set_text(line, text);
        history.extras_mut(line).edited = Some(edited);
    }

    /// `message_deleted`: a line was deleted; it stays as a placeholder.
    pub(super) fn deleted(&mut self, target: &Target, line: u64, by: &str) {
        let history = self.history_of(target);
        history.set_text(line, "");
        history.drop_attachments(line);
        let extras = history.extras_mut(line);
        extras.deleted = Some(by.to_owned());
        extras.reactions.clear();
    }

    /// `receipt`: how far a private message of the user went (`read`: every one up to it).
    pub(super) fn receipt(&mut self, with: &str, line: u64, state: Receipt) {
        let history = &mut self.conversation_mut(with).history;
        let ids: Vec<u64> = match state {
            Receipt::Read => history.own_ids().filter(|id| *id <= line).collect(),
            _ => vec![line],
        };
        for id in ids {
            let receipt = &mut history.extras_mut(id).receipt;
            if *receipt != Some(Receipt::Read) {
                *receipt = Some(state);
            }
        }
    }

    /// `read_markers`: how far the user has read each room and conversation (on any machine),
    /// and how far each partner has read the user's messages.
    pub(super) fn read_markers(&mut self, markers: &[Marker]) {
        for marker in markers {
            let key = match &marker.target {
                Target::Room(room) => Target::Room(room_key(room)),
                Target::With(with) => Target::With(login_key(with)),
            };
            self.markers.insert(key, marker.line);
            if let Target::With(with) = &marker.target
                && marker.theirs > 0
            {
                self.receipt(with, marker.theirs, Receipt::Read);
            }
        }
    }

    /// How far the user has read `target`, as the server keeps it (0: nothing yet).
    pub fn read_up_to(&self, target: &Target) -> u64 {
        let key = match target {
            Target::Room(room) => Target::Room(room_key(room)),
            Target::With(with) => Target::With(login_key(with)),
        };
        self.markers.get(&key).copied().unwrap_or(0)
    }

    /// The newest line of `target` the server does not yet know the user read: what to send
    /// `mark_read` for when the user sees it.
    pub fn unread_marker(&self, target: &Target) -> Option<u64> {
        let history = match target {
            Target::Room(room) => self.history(room)?,
            Target::With(with) => &self.conversation(with)?.history,
        };
        let newest = history.newest_id()?;
        (newest > self.read_up_to(target)).then_some(newest)
    }

    /// Notes that the user read `target` up to `line` (as `mark_read` tells the server).
    pub fn mark_read(&mut self, target: &Target, line: u64) {
        let key = match target {
            Target::Room(room) => Target::Room(room_key(room)),
            Target::With(with) => Target::With(login_key(with)),
        };
        let marker = self.markers.entry(key).or_default();
        *marker = (*marker).max(line);
    }

    /// `moderated`: order kept in a room the user is in; said in the room.
    pub(super) fn moderated(&mut self, time_ms: i64, message: &ServerMessage) {
        let ServerMessage::Moderated {
            room,
            action,
            login,
            until,
            seconds,
            by,
        } = message
        else {
            return;
        };
        let notice = LineKind::Moderated {
            action: *action,
            login: login.clone(),
            until: *until,
            seconds: *seconds,
            by: by.clone(),
        };
        self.history_mut(room).push(Line::new(time_ms, notice));
        let order = self.orders.entry(room_key(room)).or_default();
        match (action, login) {
            (ModAction::Mute, Some(login)) => {
                order.muted.insert(login_key(login), until.unwrap_or(0));
            }
            (ModAction::Unmute, Some(login)) => {
                order.muted.remove(&login_key(login));
            }
            (ModAction::Slow, _) => order.slow_seconds = seconds.unwrap_or(0),
            _ => {}
        }
    }

    /// The order kept in `room`, as the user was told.
    pub fn order(&self, room: &str) -> Option<&RoomOrder> {
        self.orders.get(&room_key(room))
    }

    /// `report`: a report for an administrator.
    pub(super) fn report_received(&mut self, time_ms: i64, message: &ServerMessage) {
        if let ServerMessage::Report {
            from,
            target,
            line,
            author,
            excerpt,
            reason,
        } = message
        {
            self.reports.push(Report {
                time_ms,
                from: from.clone(),
                target: target.clone(),
                line: *line,
                author: author.clone(),
                excerpt: excerpt.clone(),
                reason: reason.clone(),
            });
        }
    }

    /// The reports received (an administrator's), oldest first.
    pub fn reports(&self) -> &[Report] {
        &self.reports
    }
}
