//! Saying things: a line to your room (`say`), a private message (`#\private`).

use std::sync::Arc;

use chat_core::protocol::ServerMessage;

use super::session::{Handled, Next, Session, refuse};
use crate::service::talk::{self, Private};

/// No reply on success: the sender gets its own line as a `message` event, like everyone. On a
/// node of a cluster a line the log did not take is refused later, with its `re`.
#[inline(never)]
pub(super) fn say(
    s: &mut Session,
    id: u32,
    text: String,
    reply_to: Option<u64>,
    files: &[String],
) -> Handled {
    let peer = Arc::clone(&s.peer);
    talk::say(s, text, false, reply_to, files, move |refusal| {
        refuse(&peer, Some(id), refusal);
    })?;
    Ok(Next::Continue)
}

/// A private message: `private_sent` when the recipient is online, `private_stored` once it is
/// on disk for its next login.
#[inline(never)]
pub(super) fn private(
    s: &mut Session,
    id: u32,
    to: &str,
    text: String,
    reply_to: Option<u64>,
    files: &[String],
) -> Handled {
    let sent = talk::private(s, to, text.clone(), false, reply_to, files)?;
    let reply = match sent.private {
        Private::Delivered => ServerMessage::PrivateSent {
            to: sent.to.clone(),
            text,
            id: sent.id,
        },
        Private::Kept => ServerMessage::PrivateStored {
            to: sent.to.clone(),
            text,
            id: sent.id,
        },
    };
    s.reply(id, reply);
    sent.pace();
    Ok(Next::Continue)
}
