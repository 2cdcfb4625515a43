//! Keeping order, for every protocol: a room's creator, or an administrator, mutes, unmutes or
//! removes a member, or sets slow mode (see `chat::hub` for what each does).

use chat_core::protocol::{ErrorCode, Field, ModAction, ServerMessage};
use chat_core::validate;

use super::conn::Conn;
use super::refusal::Refusal;

/// Does `action` in `room`; returns what its members were told.
#[inline(never)]
pub(crate) fn moderate(
    conn: &Conn,
    room: &str,
    action: ModAction,
    login: Option<&str>,
    seconds: Option<u32>,
) -> Result<ServerMessage, Refusal> {
    validate::room(room)?;
    let needs_login = matches!(
        action,
        ModAction::Mute | ModAction::Unmute | ModAction::Remove
    );
    match (action, login) {
        (ModAction::Unknown, _) => {
            return Err(Refusal {
                field: Some(Field::Action),
                ..Refusal::new(
                    ErrorCode::Invalid,
                    "the action must be mute, unmute, remove or slow",
                )
            });
        }
        (_, None) if needs_login => {
            return Err(Refusal {
                field: Some(Field::Login),
                ..Refusal::new(ErrorCode::Invalid, "say whom: the member's login")
            });
        }
        (_, Some(login)) if needs_login => validate::login(login)?,
        _ => {}
    }
    let done = conn
        .shared
        .hub
        .moderate(&conn.peer, room, action, login, seconds)?;
    tracing::info!(peer = conn.peer.id, by = %conn.peer.name(), room, action = action.wire_name(), ?login, ?seconds, "moderated");
    Ok(done.into())
}
