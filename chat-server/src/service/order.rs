//! Keeping order, for every protocol: a room's creator, or an administrator, mutes, unmutes,
//! removes, readmits, voices or devoices a member, sets slow mode, or sets the room's topic
//! (see `chat::hub` for what each does).

use chat_core::protocol::{ErrorCode, Field, ModAction, ServerMessage};
use chat_core::validate;

use super::conn::Conn;
use super::refusal::Refusal;

/// Does `action` in `room` (`why`: the reason given, where a protocol shows one); returns what
/// its members were told.
#[inline(never)]
pub(crate) fn moderate(
    conn: &Conn,
    room: &str,
    action: ModAction,
    login: Option<&str>,
    seconds: Option<u32>,
    why: Option<String>,
) -> Result<ServerMessage, Refusal> {
    validate::room(room)?;
    let needs_login = matches!(
        action,
        ModAction::Mute
            | ModAction::Unmute
            | ModAction::Remove
            | ModAction::Readmit
            | ModAction::Voice
            | ModAction::Devoice
    );
    match (action, login) {
        (ModAction::Unknown, _) => {
            return Err(Refusal {
                field: Some(Field::Action),
                ..Refusal::new(
                    ErrorCode::Invalid,
                    "the action must be mute, unmute, remove, readmit, voice, devoice or slow",
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
        .moderate(&conn.peer, room, action, login, seconds, why)?;
    tracing::info!(peer = conn.peer.id, by = %conn.peer.name(), room, action = action.wire_name(), ?login, ?seconds, "moderated");
    Ok(done.into())
}

/// Sets `room`'s topic (empty: none); returns what its members were told.
#[inline(never)]
pub(crate) fn set_topic(conn: &Conn, room: &str, topic: &str) -> Result<ServerMessage, Refusal> {
    validate::room(room)?;
    validate::topic(topic)?;
    Ok(conn.shared.hub.set_topic(&conn.peer, room, topic)?)
}
