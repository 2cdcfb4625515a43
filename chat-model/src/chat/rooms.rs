//! The rooms family of server messages: entering a room (with its latest lines), pages of a
//! room's earlier lines, the room list, members joining and leaving, rooms closing or deleted.

use chat_core::protocol::{Presence, RoomClosedReason, RoomInfo, RoomTopic, Said};
use chat_core::validate::{login_key, room_key};

use super::{Chat, CurrentRoom};
use crate::history::{Closure, Delivery, Earlier, History, Line, LineKind};

impl Chat {
    /// `entered`: the user is now in `room`, with its newest lines (`history`).
    /// `topic`: the room's topic changed (empty: cleared).
    pub(super) fn topic_set(&mut self, time_ms: i64, room: &str, topic: &str, by: &str) {
        if let Some(current) = self
            .room
            .as_mut()
            .filter(|r| room_key(&r.name) == room_key(room))
        {
            current.topic = (!topic.is_empty()).then(|| RoomTopic {
                text: topic.to_owned(),
                by: by.to_owned(),
                time: time_ms,
            });
        }
    }

    pub(super) fn entered(
        &mut self,
        time_ms: i64,
        room: CurrentRoom,
        away: &[String],
        history: &[Said],
        more_history: bool,
    ) {
        self.presence.entered(&room.members, away);
        let name = room.name.clone();
        self.room = Some(room);
        self.unseen = 0;
        let after = self.closed.take();
        if let Some((closed, Closure::DeletedByMe)) = &after {
            self.deletion_said = Some(room_key(closed));
        }
        let me = self.me.clone();
        let h = self.history_mut(&name);
        // A room's numbers only grow while it lives: lines numbered at or above the
        // newest it now has are from an earlier room of the same name.
        let room_newest = history.last().map(|s| s.id);
        if h.newest_id()
            .is_some_and(|held| room_newest.is_none_or(|n| n < held))
        {
            h.forget_numbers();
        }
        if h.newest_id().is_none() && more_history {
            h.earlier = Earlier::More;
        }
        // Only lines said since the newest one held: re-entering or coming back after
        // a reconnection repeats nothing.
        let newest = h.newest_id();
        let mut fresh = 0;
        for said in history.iter().filter(|s| newest.is_none_or(|n| s.id > n)) {
            fresh += usize::from(h.push(room_line(said, &me)));
        }
        for said in history {
            keep_extras(h, said);
        }
        if fresh > 0 {
            h.push(Line::new(time_ms, LineKind::EarlierAbove));
        }
        h.push(Line::new(time_ms, LineKind::Entered { room: name, after }));
    }

    /// `history`: a page of a room's earlier lines, put before those held.
    pub(super) fn room_page(&mut self, room: &str, messages: &[Said], more: bool) {
        let me = self.me.clone();
        let h = self.history_mut(room);
        let before = h.oldest_id();
        h.prepend(
            messages
                .iter()
                .filter(|s| before.is_none_or(|b| s.id < b))
                .map(|s| room_line(s, &me))
                .collect(),
        );
        for said in messages {
            keep_extras(h, said);
        }
        h.earlier = if more { Earlier::More } else { Earlier::None };
    }

    /// `rooms`: the room list.
    pub(super) fn room_list(&mut self, rooms: &[RoomInfo]) {
        // Large rooms announce no joins or leaves: their count comes from here.
        if let Some(current) = self.room.as_mut()
            && let Some(info) = rooms
                .iter()
                .find(|r| room_key(&r.name) == room_key(&current.name))
        {
            current.member_count = info.members;
        }
        self.rooms = rooms.to_vec();
        self.forget_closed_rooms();
    }

    /// `joined`: someone entered a room the user is in.
    pub(super) fn joined(&mut self, time_ms: i64, room: &str, login: &str, presence: Presence) {
        if let Some(current) = self
            .room
            .as_mut()
            .filter(|r| room_key(&r.name) == room_key(room))
            && let Err(at) = member_position(&current.members, login)
        {
            current.members.insert(at, login.to_owned());
            current.member_count = current.member_count.saturating_add(1);
        }
        self.presence.set(login, presence, None);
        self.history_mut(room)
            .push(Line::new(time_ms, LineKind::Joined(login.to_owned())));
    }

    /// `left`: someone left a room the user is in.
    pub(super) fn left(&mut self, time_ms: i64, room: &str, login: &str) {
        if let Some(current) = self
            .room
            .as_mut()
            .filter(|r| room_key(&r.name) == room_key(room))
            && let Ok(at) = member_position(&current.members, login)
        {
            current.members.remove(at);
            current.member_count = current.member_count.saturating_sub(1);
        }
        self.presence.left(login);
        self.history_mut(room)
            .push(Line::new(time_ms, LineKind::Left(login.to_owned())));
    }

    /// `room_closed`: the room the user is in is gone; an `entered` for the default room follows.
    pub(super) fn room_closed(&mut self, time_ms: i64, room: &str, reason: RoomClosedReason) {
        let mine = self
            .room
            .as_ref()
            .filter(|r| room_key(&r.name) == room_key(room))
            .and_then(|r| r.creator.as_deref())
            .is_some_and(|c| self.is_me(c));
        let closure = match reason {
            RoomClosedReason::Deleted if mine => Closure::DeletedByMe,
            RoomClosedReason::Deleted => Closure::Deleted,
            RoomClosedReason::CreatorLeft | RoomClosedReason::Unknown => Closure::CreatorLeft,
        };
        self.history_mut(room).push(Line::new(
            time_ms,
            LineKind::RoomClosed {
                room: room.to_owned(),
                closure,
            },
        ));
        // The user is about to be moved (an `entered` follows): say why there.
        self.closed = Some((room.to_owned(), closure));
    }

    /// `room_deleted`: the answer to deleting a room.
    pub(super) fn room_deleted(&mut self, time_ms: i64, room: &str) {
        // Deleting the room one is in was said with the move; say it once.
        if self.deletion_said.take().as_deref() != Some(room_key(room).as_str()) {
            self.note(time_ms, LineKind::RoomDeleted(room.to_owned()));
        }
    }

    /// Users listed in a room that no longer exists were moved to the default room with
    /// everyone else in it: show them there rather than in a room that is gone.
    fn forget_closed_rooms(&mut self) {
        let Some(directory) = self.directory.as_mut() else {
            return;
        };
        let Some(default) = self.rooms.iter().find(|r| r.is_default) else {
            return;
        };
        for user in &mut directory.users {
            if let Some(room) = &user.room
                && !self
                    .rooms
                    .iter()
                    .any(|r| room_key(&r.name) == room_key(room))
            {
                user.room = Some(default.name.clone());
            }
        }
    }
}

/// What a page says happened to a room line since it was said, and what it reads now.
fn keep_extras(history: &mut History, said: &Said) {
    history.keep_said(said.id, &said.text, &said.attachments);
    history.keep_extras(
        said.id,
        said.reply_to.as_ref(),
        &said.reactions,
        said.edited,
        said.deleted,
    );
}

/// A room line as the history keeps it.
pub(super) fn room_line(said: &Said, me: &str) -> Line {
    Line::numbered(
        said.time,
        said.id,
        LineKind::Message {
            from: said.from.clone(),
            text: said.text.clone(),
            own: login_key(&said.from) == login_key(me),
            delivery: Delivery::Direct,
        },
    )
    .with_attachments(&said.attachments)
}

/// Where `login` is, or would go, in a member list sorted as the server sorts it: by login
/// ignoring ASCII case.
fn member_position(members: &[String], login: &str) -> Result<usize, usize> {
    let key = login_key(login);
    members.binary_search_by(|m| login_key(m).cmp(&key))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use chat_core::protocol::{RoomTopic, ServerMessage};

    use crate::chat::Chat;
    #[test]
    fn the_rooms_topic_comes_with_entering_and_follows_its_changes() {
        let mut chat = Chat::new("ana");
        let mut room = ServerMessage::Entered {
            room: "proyecto".into(),
            creator: Some("bob".into()),
            members: vec!["ana".into(), "bob".into()],
            member_count: 2,
            away: Vec::new(),
            admins: Vec::new(),
            voiced: Vec::new(),
            topic: None,
            history: Vec::new(),
            more_history: false,
        };
        if let ServerMessage::Entered { topic, admins, .. } = &mut room {
            *topic = Some(RoomTopic {
                text: "plans".into(),
                by: "bob".into(),
                time: 1,
            });
            *admins = vec!["bob".into()];
        }
        chat.apply(1, &room);
        let current = chat.room.as_ref().unwrap();
        assert_eq!(
            current.topic.as_ref().map(|t| t.text.as_str()),
            Some("plans")
        );
        assert_eq!(current.admins, ["bob"]);
        let topic = |text: &str| ServerMessage::Topic {
            room: "Proyecto".into(),
            topic: text.into(),
            by: "bob".into(),
        };
        chat.apply(2, &topic("new plans"));
        let set = chat.room.as_ref().unwrap().topic.clone().unwrap();
        assert_eq!(
            (set.text.as_str(), set.by.as_str(), set.time),
            ("new plans", "bob", 2)
        );
        chat.apply(3, &topic(""));
        assert_eq!(chat.room.as_ref().unwrap().topic, None, "cleared");
        // Another room's topic does not touch this one.
        chat.apply(
            4,
            &ServerMessage::Topic {
                room: "otra".into(),
                topic: "x".into(),
                by: "bob".into(),
            },
        );
        assert_eq!(chat.room.as_ref().unwrap().topic, None);
    }
}
