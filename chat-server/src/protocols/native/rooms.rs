//! The course's room commands: `#cR` create, `#gR` enter, `#eR` leave, `#lR` list, `#dR` delete.

use chat_core::limits::MAX_LISTED;
use chat_core::protocol::{RoomInfo, ServerMessage};
use chat_core::validate;

use super::session::{Handled, Next, Session};
use super::wire::{self, Keep};
use crate::delivery::outbox::Frame;
use crate::shared::Shared;

#[inline(never)]
pub(super) fn create(s: &mut Session, id: u32, room: &str) -> Handled {
    validate::room(room)?;
    // The reply is queued as the user joins (so for `enter` and `leave`): no line of the room
    // comes before it.
    s.shared.hub.create_room(&s.peer, room, |entered| {
        s.reply(id, entered.into());
    })?;
    Ok(Next::Continue)
}

#[inline(never)]
pub(super) fn enter(s: &mut Session, id: u32, room: &str) -> Handled {
    s.shared.hub.enter_room(&s.peer, room, |entered| {
        s.reply(id, entered.into());
    })?;
    Ok(Next::Continue)
}

#[inline(never)]
pub(super) fn leave(s: &mut Session, id: u32) -> Handled {
    s.shared.hub.leave_room(&s.peer, |entered| {
        s.reply(id, entered.into());
    })?;
    Ok(Next::Continue)
}

#[inline(never)]
pub(super) fn list(s: &mut Session, id: u32, offset: u32) -> Handled {
    if let Some(frame) = rooms_frame(&s.shared, Some(id), offset) {
        s.send(&frame);
    }
    Ok(Next::Continue)
}

/// A creator deleting the room it is in is moved like every member (`room_closed`, then
/// `entered` for the default room, queued while the room closes), and then gets the reply.
#[inline(never)]
pub(super) fn delete(s: &mut Session, id: u32, room: &str) -> Handled {
    let room = s.shared.hub.delete_room(&s.peer, room)?;
    s.reply(id, ServerMessage::RoomDeleted { room });
    Ok(Next::Continue)
}

/// The room list from the `offset`-th room on, as many rooms as fit one frame, with the total:
/// the reply to `list_rooms` (`re`), or the directory event (`re` absent, offset 0).
pub(crate) fn rooms_frame(shared: &Shared, re: Option<u32>, offset: u32) -> Option<Frame> {
    let rooms = shared.hub.rooms();
    let total = u32::try_from(rooms.len()).unwrap_or(u32::MAX);
    let from = rooms.len().min(offset as usize);
    let make = |rows: &[RoomInfo]| ServerMessage::Rooms {
        rooms: rows.to_vec(),
        total,
        offset,
    };
    wire::fitted(re, &rooms[from..], MAX_LISTED, Keep::First, make).map(|(frame, _)| frame)
}
