//! `hello`: the first request of every native connection.

use chat_core::limits::{CLIENT_NAME_MAX_BYTES, PROTOCOL_VERSION};
use chat_core::protocol::{CloseReason, ErrorCode, Field, ServerMessage};

use super::session::{Handled, Next, Phase, Session};
use crate::service::refusal::Refusal;

/// Checks the protocol version (another one: `version_mismatch`, then `goodbye`
/// `protocol_error`) and the client's name.
#[inline(never)]
pub(super) fn hello(s: &mut Session, id: u32, version: u32, client: &str) -> Handled {
    if version != PROTOCOL_VERSION {
        let message =
            format!("this server speaks protocol version {PROTOCOL_VERSION}, not {version}");
        s.error(Some(id), Refusal::new(ErrorCode::VersionMismatch, message));
        s.peer
            .close(CloseReason::ProtocolError, "protocol version mismatch");
        return Ok(Next::Close);
    }
    if client.len() > CLIENT_NAME_MAX_BYTES || client.chars().any(char::is_control) {
        return Err(Refusal {
            code: ErrorCode::Invalid,
            message: format!(
                "the client name must be at most {CLIENT_NAME_MAX_BYTES} bytes, without control characters"
            ),
            field: Some(Field::Client),
            retry_after: None,
        });
    }
    tracing::debug!(peer = s.peer.id, client = ?client, "hello");
    s.phase = Phase::AwaitLogin;
    s.reply(
        id,
        ServerMessage::Welcome {
            version: PROTOCOL_VERSION,
            server: format!("chat-server/{}", env!("CARGO_PKG_VERSION")),
            default_room: s.shared.config.default_room.clone(),
        },
    );
    Ok(Next::Continue)
}
