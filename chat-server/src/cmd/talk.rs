//! Saying things: a line to your room (`say`), a private message (`#\private`).

use chat_core::protocol::{ErrorCode, ServerMessage};
use chat_core::validate;

use super::{Handled, Next, Refusal};
use crate::session::Session;

/// No reply on success: the sender gets its own line as a `message` event, like everyone.
#[inline(never)]
pub(super) fn say(s: &mut Session, text: String) -> Handled {
    validate::text(&text)?;
    s.shared.hub.say(&s.peer, text)?;
    Ok(Next::Continue)
}

#[inline(never)]
pub(super) fn private(s: &mut Session, id: u32, to: &str, text: String) -> Handled {
    validate::text(&text)?;
    if validate::login(to).is_err() {
        // No such login can exist; and a peer's long text is not echoed back.
        return Err(Refusal::new(
            ErrorCode::UserNotFound,
            "there is no user with that login",
        ));
    }
    let key = validate::login_key(to);
    match s.shared.hub.private(&s.peer, &key, &text)? {
        Some(to) => {
            s.reply(id, ServerMessage::PrivateSent { to, text });
            Ok(Next::Continue)
        }
        None if s.shared.directory.get(&key).is_some() => Err(Refusal::new(
            ErrorCode::UserOffline,
            format!("{to} is not connected"),
        )),
        None => Err(Refusal::new(
            ErrorCode::UserNotFound,
            format!("there is no user called {to:?}"),
        )),
    }
}
