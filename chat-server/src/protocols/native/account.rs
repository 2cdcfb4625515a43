//! `register`, `login`, `resume` and `logout`: accounts and sessions.
//!
//! Registration and password logins run whole on the password pool (store look-up, bcrypt, store
//! write), never on a connection thread; the time they wait there is given back to the
//! connection's handshake deadline. `resume` needs no bcrypt: a session token is checked in memory
//! (or, when nodes share their tokens, with one indexed query).

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chat_core::clock::system_now_ms;
use chat_core::protocol::{CloseReason, ErrorCode, Field, Password, Registration, ServerMessage};
use chat_core::validate;

use super::{Handled, Next, Refusal, internal, rooms_frame};
use crate::accounts::passwords::{Hasher, PoolError};
use crate::accounts::tokens::Issued;
use crate::connection::{Phase, Session};
use crate::delivery::event::Event;
use crate::delivery::peer::Login;
use crate::delivery::peer::Peer;
use crate::error::ServerError;
use crate::shared::Shared;
use crate::store::{Account, Created, KeptMessages};

/// Creates an account; `registered` only once it is on disk.
#[inline(never)]
pub(super) fn register(s: &mut Session, id: u32, r: Registration) -> Handled {
    validate::registration(&r)?;
    let shared = Arc::clone(&s.shared);
    let ip = s.peer.addr.ip();
    let started = Instant::now();
    let result = s
        .shared
        .passwords
        .run(move |hasher| create_account(&shared, hasher, ip, r));
    credit_wait(s, started, &result);
    let login = result??;
    tracing::info!(peer = s.peer.id, login = ?login, "registered");
    s.reply(id, ServerMessage::Registered { login });
    Ok(Next::Continue)
}

/// A password login: on success a new session token, the default room and the room list.
#[inline(never)]
pub(super) fn login(s: &mut Session, id: u32, login: &str, password: Password) -> Handled {
    let checked = check_password(&s.shared, s.peer.addr.ip(), login, password, true);
    s.deadline_credit += checked.waited;
    let (account, issued) = checked.result?;
    let key = validate::login_key(&account.login);
    let Some(issued) = issued else {
        return Err(Refusal::new(ErrorCode::Internal, "no session was issued"));
    };
    enter(s, id, account.login, key, issued)
}

/// The outcome of [`check_password`], and how long it waited for the password pool (which the
/// connection's handshake deadline does not count).
pub(crate) struct Checked {
    pub result: Result<(Account, Option<Issued>), Refusal>,
    pub waited: Duration,
}

/// Checks a login and password for any protocol: failed logins slow the address and the account
/// down; the check runs whole on the password pool (store look-up, bcrypt) and, with
/// `issue_token`, issues a session token there too.
pub(crate) fn check_password(
    shared: &Arc<Shared>,
    ip: IpAddr,
    login: &str,
    password: Password,
    issue_token: bool,
) -> Checked {
    let key = validate::login_key(login);
    let now = Instant::now();
    let blocked = shared
        .login_ip
        .check(&ip, now)
        .and_then(|()| shared.login_account.check(&key, now));
    if let Err(wait) = blocked {
        return Checked {
            result: Err(Refusal::retry(
                ErrorCode::RateLimited,
                "too many failed logins",
                wait,
            )),
            waited: Duration::ZERO,
        };
    }
    let pool_shared = Arc::clone(shared);
    let known = validate::login(login).is_ok().then(|| key.clone());
    let started = Instant::now();
    let checked = shared.passwords.run(move |hasher| {
        let account = match &known {
            Some(key) => pool_shared.accounts.get(key)?,
            None => None,
        };
        let hash = account.as_ref().map(|a| a.password_hash.as_str());
        if !hasher.verify(&password, hash)? {
            return Ok(None);
        }
        let Some(account) = account else {
            return Ok(None);
        };
        let issued = if issue_token {
            Some(
                pool_shared
                    .sessions
                    .issue(&validate::login_key(&account.login), system_now_ms())?,
            )
        } else {
            None
        };
        Ok::<_, ServerError>(Some((account, issued)))
    });
    let mut waited = started.elapsed();
    if let Err(PoolError::Busy { retry_after }) = &checked {
        waited += *retry_after;
    }
    let result = match checked {
        Err(e) => Err(Refusal::from(e)),
        Ok(Err(e)) => Err(internal(e)),
        Ok(Ok(None)) => {
            tracing::info!(%ip, login = ?login, "failed login");
            let now = Instant::now();
            shared.login_ip.fail(&ip, now);
            shared.login_account.fail(&key, now);
            Err(Refusal::new(
                ErrorCode::BadCredentials,
                "wrong login or password",
            ))
        }
        Ok(Ok(Some(found))) => {
            shared.login_ip.clear(&ip);
            shared.login_account.clear(&key);
            Ok(found)
        }
    };
    Checked { result, waited }
}

/// Gives the connection's handshake deadline back the time the password pool took, and the time
/// a full pool asks the client to wait before trying again: neither is the client's doing.
fn credit_wait<T>(s: &mut Session, started: Instant, result: &Result<T, PoolError>) {
    s.deadline_credit += started.elapsed();
    if let Err(PoolError::Busy { retry_after }) = result {
        s.deadline_credit += *retry_after;
    }
}

/// A login with a session token: no password, no bcrypt, no store.
#[inline(never)]
pub(super) fn resume(s: &mut Session, id: u32, token: &str) -> Handled {
    let ip = s.peer.addr.ip();
    if let Err(wait) = s.shared.login_ip.check(&ip, Instant::now()) {
        return Err(Refusal::retry(
            ErrorCode::RateLimited,
            "too many failed logins",
            wait,
        ));
    }
    let found = s
        .shared
        .sessions
        .check(token, system_now_ms())
        .map_err(internal)?
        .and_then(|(key, expires_ms)| {
            let person = s.shared.person(&key)?;
            Some((person.login, key, expires_ms))
        });
    let Some((name, key, expires_ms)) = found else {
        tracing::info!(peer = s.peer.id, addr = %s.peer.addr, "failed resume");
        s.shared.login_ip.fail(&ip, Instant::now());
        return Err(Refusal {
            code: ErrorCode::BadToken,
            message: "that session has ended; log in with your password".into(),
            field: Some(Field::Token),
            retry_after: None,
        });
    };
    let issued = Issued {
        token: token.to_ascii_lowercase(),
        expires_ms,
    };
    enter(s, id, name, key, issued)
}

/// The end of every successful login: the account is online, in the default room.
fn enter(s: &mut Session, id: u32, name: String, key: String, issued: Issued) -> Handled {
    s.peer.set_login(Login {
        name: name.clone(),
        key,
    });
    let (_, entered) = s.shared.hub.login(&s.peer)?;
    s.phase = Phase::LoggedIn;
    tracing::info!(peer = s.peer.id, login = ?name, "logged in");
    s.token = Some(issued.token.clone());
    s.reply(
        id,
        ServerMessage::LoggedIn {
            login: name,
            token: Some(issued.token),
            token_expires: Some(issued.expires_ms),
        },
    );
    s.event(entered);
    if let Some(rooms) = rooms_frame(&s.shared, None, 0) {
        s.send(&rooms);
    }
    deliver_kept(s);
    Ok(Next::Continue)
}

/// Private messages kept while the user was offline: `private` events with `stored: true` and
/// their own time, oldest first, then `private_dropped` if some had to go. They are forgotten
/// once queued for the connection (a crash before that delivers them again, never loses them).
fn deliver_kept(s: &Session) {
    deliver_kept_to(&s.shared, &s.peer);
}

/// [`deliver_kept`] for a peer of any protocol.
pub(crate) fn deliver_kept_to(shared: &Shared, peer: &Peer) {
    let Some(key) = peer.login().map(|l| l.key.clone()) else {
        return;
    };
    let KeptMessages {
        messages: kept,
        dropped,
    } = match shared.mail.kept_for(&key) {
        Ok(Some(found)) => found,
        Ok(None) => return,
        Err(e) => {
            tracing::error!(login = %peer.name(), "cannot read kept messages: {e}");
            return;
        }
    };
    let mut up_to = 0;
    for (seq, kept) in kept {
        up_to = up_to.max(seq);
        let said = kept.said;
        peer.event(&Event::at(
            said.time,
            ServerMessage::Private {
                from: said.from,
                text: said.text,
                stored: true,
                id: said.id,
            },
        ));
    }
    if dropped > 0 {
        peer.event(&Event::new(ServerMessage::PrivateDropped {
            count: dropped,
        }));
    }
    if let Err(e) = shared.mail.delivered(&key, up_to) {
        // They are delivered again at the next login: never lost, at worst twice.
        tracing::error!(login = %peer.name(), "cannot forget delivered messages: {e}");
    }
}

/// Revokes this session's token (or all of the account's) on disk, then says goodbye.
#[inline(never)]
pub(super) fn logout(s: &mut Session, id: u32, all: bool) -> Handled {
    let sessions = &s.shared.sessions;
    let revoked = match (all, s.peer.login(), &s.token) {
        (true, Some(login), _) => sessions.revoke_all(&login.key),
        (false, _, Some(token)) => sessions.revoke(token),
        _ => Ok(()),
    };
    revoked.map_err(internal)?;
    s.token = None;
    tracing::info!(peer = s.peer.id, login = %s.peer.name(), all, "logged out");
    s.peer
        .close_replying(Some(id), CloseReason::Exit, "signed out");
    Ok(Next::Close)
}

/// A registration, on a password-pool thread: refuses a taken login before spending a hash or the
/// address's registration budget, then stores the account (flushed) and returns its login.
fn create_account(
    shared: &Shared,
    hasher: &Hasher,
    ip: IpAddr,
    r: Registration,
) -> Result<String, Refusal> {
    if shared.accounts.get(&r.login).map_err(internal)?.is_some() {
        return Err(login_taken());
    }
    if let Err(wait) = shared.registrations.take(&ip, Instant::now()) {
        return Err(Refusal::retry(
            ErrorCode::RateLimited,
            "too many new accounts from your address",
            wait,
        ));
    }
    let password_hash = hasher.hash(&r.password).map_err(|e| {
        tracing::error!("password hashing failed: {e}");
        Refusal::new(
            ErrorCode::Internal,
            "the server could not hash the password",
        )
    })?;
    let account = Account {
        login: r.login,
        first_names: r.first_names,
        last_names: r.last_names,
        password_hash,
        age: r.age,
        gender: r.gender,
        created_ms: system_now_ms(),
    };
    match shared.accounts.create(&account).map_err(internal)? {
        Created::Yes => {
            shared.directory.insert(&account);
            shared
                .hub
                .publish(|| crate::cluster::bus::BusEvent::Registered {
                    login: account.login.clone(),
                    first_names: account.first_names.clone(),
                    last_names: account.last_names.clone(),
                });
            Ok(account.login)
        }
        Created::LoginTaken => Err(login_taken()),
    }
}

fn login_taken() -> Refusal {
    Refusal {
        code: ErrorCode::LoginTaken,
        message: "that login is taken; choose another".into(),
        field: Some(Field::Login),
        retry_after: None,
    }
}
