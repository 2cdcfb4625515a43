//! Looking back: `history` (earlier lines of your room) and `private_history` (earlier messages
//! of a conversation), a frame's worth at a time.

use chat_core::limits::CONVERSATION_PAGE;
use chat_core::protocol::{PrivateSaid, ServerMessage};

use super::session::{Handled, Next, Session};
use super::wire::{self, Keep};
use crate::service::talk;

#[inline(never)]
pub(super) fn room(s: &mut Session, id: u32, room: &str, before: Option<u64>) -> Handled {
    let page = talk::room_history(s, room, before)?;
    s.reply(
        id,
        ServerMessage::History {
            room: page.room,
            messages: page.lines,
            more: page.more,
        },
    );
    Ok(Next::Continue)
}

#[inline(never)]
pub(super) fn conversation(s: &mut Session, id: u32, with: &str, before: Option<u64>) -> Handled {
    let found = talk::conversation(s, with, before, CONVERSATION_PAGE)?;
    let make = |rows: &[PrivateSaid]| ServerMessage::PrivateHistory {
        with: found.with.clone(),
        messages: rows.to_vec(),
        more: true,
    };
    let messages = &found.messages;
    let n = wire::fitting(messages, usize::MAX, Keep::Last, 0, make);
    let more = found.more || n < messages.len();
    s.reply(
        id,
        ServerMessage::PrivateHistory {
            with: found.with.clone(),
            messages: messages[messages.len() - n..].to_vec(),
            more,
        },
    );
    Ok(Next::Continue)
}
