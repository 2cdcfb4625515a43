//! What is said: room lines (kept in the room's history, published first on a node of a
//! cluster), a room's earlier lines, and private messages (with their conversations and
//! presence partners).

use std::sync::Arc;

use chat_core::frame::room_for_rows;
use chat_core::protocol::{Attachment, PrivateSaid, Said, ServerMessage};
use chat_core::validate::room_key;

use super::room::quote_of;
use super::{Hub, HubError, presence};
use crate::chat::bus::{BusEvent, Handover};
use crate::delivery::event::Event;
use crate::delivery::peer::Peer;
use crate::delivery::writers::WriteHere;

/// A private message queued for its recipient.
#[derive(Debug)]
pub struct Delivered {
    /// The recipient's login as registered.
    pub to: String,
    /// The recipient, if it has fallen far behind (for the sender to wait for).
    pub behind: Option<Arc<Peer>>,
}

/// A page of a room's earlier lines.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// The room's name.
    pub room: String,
    /// The lines, oldest first.
    pub lines: Vec<Said>,
    /// Whether lines before these exist.
    pub more: bool,
}

/// A room line to say.
#[derive(Debug)]
pub struct ToSay {
    pub text: String,
    /// Said as an IRC `NOTICE` (shown as one to IRC clients).
    pub notice: bool,
    /// The line of the room it answers.
    pub reply_to: Option<u64>,
    /// The files it carries.
    pub attachments: Vec<Attachment>,
}

/// A room line, said.
#[derive(Debug)]
pub struct Spoken {
    /// The line, as the room's history keeps it.
    pub said: Arc<Said>,
    /// Whether it was said in the default room (whose history is kept on disk).
    pub in_default_room: bool,
    /// A member far behind, for the sender to wait for.
    pub behind: Option<Arc<Peer>>,
    /// Members the sender's thread writes to itself (see `Room::say`): call `now` first.
    pub write: WriteHere,
}

impl Hub {
    /// A room message from the peer to everyone in its room, the peer included, kept in the
    /// room's history.
    ///
    /// On a node of a cluster the line is queued for the cluster's log instead (`Ok(None)`),
    /// and every node (this one too) delivers it as it reads it back, in the log's order. The
    /// sender does not wait for it: if it is not in the log by `deadline`, `refused` is told
    /// why (from another thread), else it is dropped. A connection's lines are appended in the
    /// order said, many in one round trip.
    ///
    /// Said here (no cluster), `numbered` sees the line once it has its number, before any
    /// member can (see `Room::say`).
    ///
    /// A line answering another is quoted with it. A member muted in the
    /// room, or speaking again too soon in slow mode, is refused (the room's creator and
    /// administrators never are).
    pub fn say(
        &self,
        peer: &Arc<Peer>,
        line: ToSay,
        deadline: std::time::Instant,
        refused: impl FnOnce(HubError) + Send + 'static,
        numbered: impl FnOnce(&Said),
    ) -> Result<Option<Spoken>, HubError> {
        let ToSay {
            text,
            notice,
            reply_to,
            attachments,
        } = line;
        let login = peer.login().ok_or(HubError::LoginRequired)?;
        let state = self.read();
        let online = state
            .online
            .get(&login.key)
            .ok_or(HubError::LoginRequired)?;
        let room = state.rooms.get(&online.room).ok_or(HubError::Internal)?;
        if let Some(order) = &room.order
            && !self.keeps_order(&state, &login.key, &online.room)
        {
            order.may_say(&login.key, self.clock.now_ms())?;
        }
        let quote = match reply_to {
            Some(id) => Some(
                room.lines()
                    .find(id)
                    .map(|line| quote_of(&line.said))
                    .ok_or(HubError::MessageNotFound)?,
            ),
            None => None,
        };
        if let Some(bus) = self.bus() {
            if !bus.is_up() {
                return Err(HubError::ClusterUnreachable);
            }
            let event = BusEvent::Said {
                room: room.name.clone(),
                from: login.name.clone(),
                text,
                time: bus.now_ms(),
                notice,
                reply_to: quote,
                attachments,
            };
            // Never waited for under the lock, nor by the sender: a line that could not be
            // appended is refused when the log (or its deadline) says so.
            drop(state);
            bus.publish_answered(
                event,
                deadline,
                Box::new(move |appended| {
                    if let Err(e) = appended {
                        refused(HubError::from(e));
                    }
                }),
            );
            return Ok(None);
        }
        let time = self.clock.now_ms();
        let said = Said {
            text,
            time,
            reply_to: quote,
            attachments,
            ..Default::default()
        };
        let (said, behind, write) = room.say(peer, said, notice, &self.line_ids, numbered);
        Ok(Some(Spoken {
            said,
            in_default_room: online.room == self.default_key,
            behind,
            write,
        }))
    }

    /// Lines said in the peer's room before line `before` (the newest when `None`), as many as
    /// fit the frame of a `history` reply.
    pub fn history(&self, peer: &Peer, room: &str, before: Option<u64>) -> Result<Page, HubError> {
        let login = peer.login().ok_or(HubError::LoginRequired)?;
        let state = self.read();
        let online = state
            .online
            .get(&login.key)
            .ok_or(HubError::LoginRequired)?;
        if room_key(room) != online.room {
            return Err(HubError::NotInRoom);
        }
        let room = state.rooms.get(&online.room).ok_or(HubError::Internal)?;
        let budget = room_for_rows(ServerMessage::History {
            room: room.name.clone(),
            messages: Vec::new(),
            more: true,
        });
        let (lines, more) = room.lines().newest(before, budget, usize::MAX);
        Ok(Page {
            room: room.name.clone(),
            lines,
            more,
        })
    }

    /// A private message (`said`: as its conversation keeps it) to an online user. Returns what
    /// became of it, or `None` if that user is not online (on a node of a cluster: if the
    /// recipient's node did not take it). The two become each other's partners (told of presence changes).
    /// On a node, the cluster is waited for until `deadline` at most.
    pub fn private(
        &self,
        from: &Arc<Peer>,
        to_key: &str,
        said: &PrivateSaid,
        notice: bool,
        deadline: std::time::Instant,
    ) -> Result<Option<Delivered>, HubError> {
        let login = from.login().ok_or(HubError::LoginRequired)?;
        let mut state = self.write();
        if !state.online.contains_key(to_key)
            && let Some(bus) = self.bus()
        {
            // Not here: handed over through the cluster's log to the node the log says the
            // recipient is on, answered once that node took it (kept here if none did), never
            // waited for under the lock.
            if !bus.is_up() {
                return Err(HubError::ClusterUnreachable);
            }
            let to = state
                .remote
                .get(to_key)
                .map_or_else(|| said.to.clone(), |r| r.name.clone());
            let event = BusEvent::Private {
                to: to.clone(),
                from: login.name.clone(),
                text: said.text.clone(),
                id: said.id,
                time: bus.now_ms(),
                notice,
                reply_to: said.reply_to.clone(),
                attachments: said.attachments.clone(),
            };
            drop(state);
            return match bus.hand_over(event, deadline)? {
                Handover::Taken => {
                    if let Some(me) = self.write().online.get_mut(&login.key) {
                        presence::add_partner(&mut me.partners, to_key);
                    }
                    Ok(Some(Delivered { to, behind: None }))
                }
                Handover::Offline => Ok(None),
            };
        }
        let Some(to) = state.online.get_mut(to_key) else {
            return Ok(None);
        };
        presence::add_partner(&mut to.partners, &login.key);
        let mut behind = None;
        let event = Event::new(ServerMessage::Private {
            from: login.name.clone(),
            text: said.text.clone(),
            stored: false,
            id: said.id,
            reply_to: said.reply_to.clone(),
            attachments: said.attachments.clone(),
        })
        .noticed(notice);
        let pushed = to.peer.event(&event);
        if to.peer.outbox.is_pressing(pushed.backlog) {
            behind = Some(Arc::clone(&to.peer));
        }
        let delivered = Delivered {
            to: to.peer.name().to_owned(),
            behind,
        };
        if let Some(me) = state.online.get_mut(&login.key) {
            presence::add_partner(&mut me.partners, to_key);
            // The message ends the typing notice: the next one goes through at once.
            me.typing_sent.retain(|(k, _)| k != to_key);
        }
        Ok(Some(delivered))
    }
}
