//! Looking back: `history` (earlier lines of your room) and `private_history` (earlier messages
//! of a conversation), a frame's worth at a time.

use chat_core::limits::CONVERSATION_PAGE;
use chat_core::protocol::{ErrorCode, PrivateSaid, ServerMessage};
use chat_core::validate;

use super::{Handled, Next, Refusal, internal};
use crate::connection::Session;
use crate::protocols::native::wire::{self, Keep};

#[inline(never)]
pub(super) fn room(s: &mut Session, id: u32, room: &str, before: Option<u64>) -> Handled {
    let history = s.shared.hub.history(&s.peer, room, before)?;
    s.reply(id, history);
    Ok(Next::Continue)
}

/// Read from the store by the archive thread: a conversation survives the session, so logging
/// in on another machine shows it.
#[inline(never)]
pub(super) fn conversation(s: &mut Session, id: u32, with: &str, before: Option<u64>) -> Handled {
    let key = validate::login_key(with);
    let partner = validate::login(with)
        .ok()
        .and_then(|()| s.shared.person(&key))
        .ok_or_else(|| Refusal::new(ErrorCode::UserNotFound, "there is no user with that login"))?;
    let me = s.peer.login().map(|l| l.key.clone()).unwrap_or_default();
    let (messages, older) = s
        .shared
        .archive
        .conversation(&me, &key, before, CONVERSATION_PAGE)
        .map_err(internal)?;
    let make = |rows: &[PrivateSaid]| ServerMessage::PrivateHistory {
        with: partner.login.clone(),
        messages: rows.to_vec(),
        more: true,
    };
    let n = wire::fitting(&messages, usize::MAX, Keep::Last, 0, make);
    let more = older || n < messages.len();
    s.reply(
        id,
        ServerMessage::PrivateHistory {
            with: partner.login.clone(),
            messages: messages[messages.len() - n..].to_vec(),
            more,
        },
    );
    Ok(Next::Continue)
}
