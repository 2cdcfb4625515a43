//! `#away`, `#back` and typing notices.

use std::time::Instant;

use chat_core::protocol::{Presence, ServerMessage};
use chat_core::validate;

use super::{Handled, Next};
use crate::connection::Session;

#[inline(never)]
pub(super) fn away(s: &mut Session, id: u32, text: Option<String>) -> Handled {
    let text = text.filter(|t| !t.trim().is_empty());
    if let Some(text) = &text {
        validate::text(text)?;
    }
    if let Some(presence) = s.shared.hub.set_away(&s.peer, text, false)? {
        s.reply(id, presence);
    }
    Ok(Next::Continue)
}

#[inline(never)]
pub(super) fn back(s: &mut Session, id: u32) -> Handled {
    let presence =
        s.shared
            .hub
            .set_back(&s.peer, false)?
            .unwrap_or_else(|| ServerMessage::Presence {
                login: s.peer.name().to_owned(),
                presence: Presence::Online,
                text: None,
            });
    s.reply(id, presence);
    Ok(Next::Continue)
}

/// No reply on success, like `say`: typing notices are frequent.
#[inline(never)]
pub(super) fn typing(s: &mut Session, to: &str) -> Handled {
    validate::login(to)?;
    s.shared
        .hub
        .typing(&s.peer, &validate::login_key(to), Instant::now())?;
    Ok(Next::Continue)
}
