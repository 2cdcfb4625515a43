//! `#away`, `#back` and typing notices.

use chat_core::protocol::{Presence, ServerMessage};

use super::session::{Handled, Next, Session};
use crate::service::talk;

#[inline(never)]
pub(super) fn away(s: &mut Session, id: u32, text: Option<String>) -> Handled {
    let (text, _) = talk::away(s, text)?;
    s.reply(
        id,
        ServerMessage::Presence {
            login: s.peer.name().to_owned(),
            presence: Presence::Away,
            text,
        },
    );
    Ok(Next::Continue)
}

#[inline(never)]
pub(super) fn back(s: &mut Session, id: u32) -> Handled {
    talk::back(s)?;
    s.reply(
        id,
        ServerMessage::Presence {
            login: s.peer.name().to_owned(),
            presence: Presence::Online,
            text: None,
        },
    );
    Ok(Next::Continue)
}

/// No reply on success, like `say`: typing notices are frequent.
#[inline(never)]
pub(super) fn typing(s: &mut Session, to: &str) -> Handled {
    talk::typing(s, to)?;
    Ok(Next::Continue)
}
