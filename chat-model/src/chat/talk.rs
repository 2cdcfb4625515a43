//! The talk family of server messages: lines said in the room, private messages received, sent
//! or kept for later, and pages of a conversation's earlier messages.

use chat_core::protocol::{Attachment, PrivateSaid, Said};
use chat_core::validate::login_key;

use super::rooms::room_line;
use super::{Chat, FirstPage};
use crate::history::{Delivery, Earlier, Line, LineKind};
use crate::notify::Arrival;

impl Chat {
    /// `message`: a line said in the room the user is in.
    pub(super) fn room_message(
        &mut self,
        time_ms: i64,
        room: &str,
        from: &str,
        text: &str,
        id: u64,
        attachments: &[Attachment],
    ) {
        let own = self.is_me(from);
        let said = Said {
            room: room.to_owned(),
            from: from.to_owned(),
            text: text.to_owned(),
            time: time_ms,
            id,
            attachments: attachments.to_vec(),
            ..Default::default()
        };
        let me = self.me.clone();
        if self.history_mut(room).push(room_line(&said, &me)) && !own {
            self.arrivals.push(Arrival::Room {
                room: room.to_owned(),
                from: from.to_owned(),
                text: text.to_owned(),
            });
        }
    }

    /// `private`: a private message to the user, live or kept while they were away (`stored`).
    pub(super) fn private_received(
        &mut self,
        time_ms: i64,
        from: &str,
        text: &str,
        stored: bool,
        id: u64,
        attachments: &[Attachment],
    ) {
        self.presence.stopped_typing(from);
        let delivery = if stored {
            Delivery::WhileAway
        } else {
            self.presence.exchanged(from);
            Delivery::Direct
        };
        let c = self.conversation_mut(from);
        c.peer = from.to_owned();
        let line = Line::numbered(
            time_ms,
            id,
            LineKind::Message {
                from: from.to_owned(),
                text: text.to_owned(),
                own: false,
                delivery,
            },
        )
        .with_attachments(attachments);
        if c.history.push(line) {
            if !c.open {
                c.unread = c.unread.saturating_add(1);
            }
            self.arrivals.push(Arrival::Private {
                from: from.to_owned(),
                text: text.to_owned(),
                stored,
            });
        }
    }

    /// `private_sent`, `private_stored`: one's own private message, delivered or kept for later.
    pub(super) fn own_private(&mut self, time_ms: i64, to: &str, text: &str, id: u64, kept: bool) {
        let me = self.me.clone();
        let c = self.conversation_mut(to);
        c.peer = to.to_owned();
        let delivery = if kept {
            Delivery::Kept
        } else {
            Delivery::Direct
        };
        // Numbered, so receipts, reactions and edits find it (0 from older servers: none).
        let text_line = Line::numbered(
            time_ms,
            id,
            LineKind::Message {
                from: me,
                text: text.to_owned(),
                own: true,
                delivery,
            },
        );
        c.history.push(text_line);
        if kept {
            self.presence.kept_for(to);
        } else {
            self.presence.exchanged(to);
        }
    }

    /// `private_dropped`: messages kept for the user while away were more than the server keeps.
    pub(super) fn private_dropped(&mut self, time_ms: i64, count: u64) {
        self.note(time_ms, LineKind::KeptDropped(count));
    }

    /// `private_history`: a page of a conversation's kept messages. The first (newest) page goes
    /// before what was said since the conversation opened, under a divider; later pages go
    /// before that.
    pub(super) fn private_page(
        &mut self,
        time_ms: i64,
        with: &str,
        messages: &[PrivateSaid],
        more: bool,
    ) {
        let me = self.me.clone();
        let c = self.conversation_mut(with);
        let before = c.history.oldest_id();
        let mut lines: Vec<Line> = messages
            .iter()
            .filter(|m| before.is_none_or(|b| m.id < b) && !c.history.holds(m.id))
            .map(|m| {
                let own = login_key(&m.from) == login_key(&me);
                Line::numbered(
                    m.time,
                    m.id,
                    LineKind::Message {
                        from: m.from.clone(),
                        text: m.text.clone(),
                        own,
                        delivery: Delivery::Direct,
                    },
                )
                .with_attachments(&m.attachments)
            })
            .collect();
        if c.first_page != FirstPage::Arrived && !lines.is_empty() {
            lines.push(Line::new(time_ms, LineKind::EarlierAbove));
        }
        c.first_page = FirstPage::Arrived;
        c.history.prepend(lines);
        for m in messages {
            c.history.keep_said(m.id, &m.text, &m.attachments);
            c.history
                .keep_extras(m.id, m.reply_to.as_ref(), &m.reactions, m.edited, m.deleted);
        }
        c.history.earlier = if more { Earlier::More } else { Earlier::None };
    }
}
