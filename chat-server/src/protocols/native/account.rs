//! `register`, `login`, `resume` and `logout`: the native replies to the account service.

use chat_core::protocol::{CloseReason, ErrorCode, Password, Registration, ServerMessage};

use super::rooms::rooms_frame;
use super::session::{Handled, Next, Phase, Session};
use crate::accounts::tokens::Issued;
use crate::service::account;
use crate::service::refusal::Refusal;

/// Creates an account; `registered` only once it is on disk.
#[inline(never)]
pub(super) fn register(s: &mut Session, id: u32, r: Registration) -> Handled {
    let login = account::register(s, r)?;
    s.reply(id, ServerMessage::Registered { login });
    Ok(Next::Continue)
}

/// A password login: on success a new session token, the default room and the room list.
#[inline(never)]
pub(super) fn login(s: &mut Session, id: u32, login: &str, password: Password) -> Handled {
    let (account, issued) = account::check_password(s, login, password, true)?;
    let Some(issued) = issued else {
        return Err(Refusal::new(ErrorCode::Internal, "no session was issued"));
    };
    enter(s, id, &account.login, issued)
}

/// A login with a session token: no password, no bcrypt, no store.
#[inline(never)]
pub(super) fn resume(s: &mut Session, id: u32, token: &str, seen: Option<u64>) -> Handled {
    let (name, _, issued) = account::resume(s, token)?;
    if let Some(seen) = seen {
        // Lines at or below it reached the client already (from another node, perhaps ahead
        // of this one in the cluster's log).
        s.peer.lines_above(seen);
    }
    enter(s, id, &name, issued)
}

/// The end of every successful login: `logged_in` with the token, the default room, the room
/// list, and the messages kept while the user was away.
fn enter(s: &mut Session, id: u32, name: &str, issued: Issued) -> Handled {
    let logged_in = ServerMessage::LoggedIn {
        login: name.to_owned(),
        token: Some(issued.token.clone()),
        token_expires: Some(issued.expires_ms),
        admin: s.shared.hub.is_admin(&chat_core::validate::login_key(name)),
    };
    // Both queued as the user joins the default room: none of its lines comes before them.
    account::log_in(s, name, false, |entered| {
        s.reply(id, logged_in);
        s.event(entered.into());
    })?;
    s.phase = Phase::LoggedIn;
    s.token = Some(issued.token);
    if let Some(rooms) = rooms_frame(&s.shared, None, 0) {
        s.send(&rooms);
    }
    account::deliver_kept(&s.shared, &s.peer);
    account::deliver_reports(&s.shared, &s.peer);
    Ok(Next::Continue)
}

/// Revokes this session's token (or all of the account's) on disk, then says goodbye.
#[inline(never)]
pub(super) fn logout(s: &mut Session, id: u32, all: bool) -> Handled {
    account::sign_out(s, s.token.as_deref(), all)?;
    s.token = None;
    s.peer
        .close_replying(Some(id), CloseReason::Exit, "signed out");
    Ok(Next::Close)
}
