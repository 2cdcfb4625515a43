//! Accounts and sessions, for every protocol: registration, a password check, a login with a
//! session token, entering the chat once logged in (with the messages kept while away),
//! signing out, and leaving.
//!
//! Registration and password checks run whole on the password pool (store look-up, bcrypt,
//! store write), never on a connection thread; the time they wait there is given back to the
//! connection's handshake deadline, and the connection leaves the first-steps gate before it
//! waits. `resume` needs no bcrypt: a session token is checked in memory (or, when nodes share
//! their tokens, with one indexed query).

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use chat_core::protocol::{ErrorCode, Field, Password, Receipt, Registration, ServerMessage};
use chat_core::validate;

use super::conn::Conn;
use super::refusal::{Refusal, internal};
use crate::accounts::departures::Departure;
use crate::accounts::passwords::{Hasher, PoolError};
use crate::accounts::tokens::Issued;
use crate::chat::hub::Entered;
use crate::delivery::event::Event;
use crate::delivery::peer::{Login, Peer};
use crate::error::ServerError;
use crate::shared::Shared;
use crate::store::{Account, Created, KeptMessages};

/// Creates an account; returns its login once it is on disk.
#[inline(never)]
pub(crate) fn register(conn: &mut Conn, r: Registration) -> Result<String, Refusal> {
    validate::registration(&r)?;
    conn.leave_gate();
    let shared = Arc::clone(&conn.shared);
    let ip = crate::shared::network_of(conn.peer.addr.ip());
    let started = Instant::now();
    let result = conn
        .shared
        .passwords
        .run(move |hasher| create_account(&shared, hasher, ip, r));
    credit_wait(conn, started, &result);
    let login = result??;
    tracing::info!(peer = conn.peer.id, login = ?login, "registered");
    Ok(login)
}

/// Checks a login and password: failed logins slow the address and the account down; the
/// check runs whole on the password pool (store look-up, bcrypt) and, with `issue_token`,
/// issues a session token there too.
#[inline(never)]
pub(crate) fn check_password(
    conn: &mut Conn,
    login: &str,
    password: Password,
    issue_token: bool,
) -> Result<(Account, Option<Issued>), Refusal> {
    let shared = Arc::clone(&conn.shared);
    let ip = crate::shared::network_of(conn.peer.addr.ip());
    let key = validate::login_key(login);
    let clock = &shared.config.clock;
    let now = clock.now();
    let blocked = shared
        .login_ip
        .check(&ip, now)
        .and_then(|()| shared.login_account.check(&key, now));
    if let Err(wait) = blocked {
        return Err(Refusal::retry(
            ErrorCode::RateLimited,
            "too many failed logins",
            wait,
        ));
    }
    conn.leave_gate();
    let pool_shared = Arc::clone(&shared);
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
            Some(pool_shared.sessions.issue(
                &validate::login_key(&account.login),
                pool_shared.config.clock.now_ms(),
            )?)
        } else {
            None
        };
        Ok::<_, ServerError>(Some((account, issued)))
    });
    credit_wait(conn, started, &checked);
    match checked {
        Err(e) => Err(Refusal::from(e)),
        Ok(Err(e)) => Err(internal(e)),
        Ok(Ok(None)) => {
            tracing::info!(%ip, login = ?login, "failed login");
            let now = clock.now();
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
    }
}

/// Gives the connection's handshake deadline back the time the password pool took, and the time
/// a full pool asks the client to wait before trying again: neither is the client's doing.
fn credit_wait<T>(conn: &mut Conn, started: Instant, result: &Result<T, PoolError>) {
    conn.credit_since(started);
    if let Err(PoolError::Busy { retry_after }) = result {
        conn.deadline_credit += *retry_after;
    }
}

/// A session token's account: its login as registered, its key, and the token as issued.
#[inline(never)]
pub(crate) fn resume(conn: &Conn, token: &str) -> Result<(String, String, Issued), Refusal> {
    let shared = &conn.shared;
    let ip = crate::shared::network_of(conn.peer.addr.ip());
    let clock = &shared.config.clock;
    if let Err(wait) = shared.login_ip.check(&ip, clock.now()) {
        return Err(Refusal::retry(
            ErrorCode::RateLimited,
            "too many failed logins",
            wait,
        ));
    }
    let found = shared
        .sessions
        .check(token, clock.now_ms())
        .map_err(internal)?
        .and_then(|(key, expires_ms)| {
            let person = shared.person(&key)?;
            Some((person.login, key, expires_ms))
        });
    let Some((name, key, expires_ms)) = found else {
        tracing::info!(peer = conn.peer.id, addr = %conn.peer.addr, "failed resume");
        shared.login_ip.fail(&ip, clock.now());
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
    Ok((name, key, issued))
}

/// The end of every successful login, whatever the protocol: the connection is this account's
/// (a guest's, without one), and the user is online, in the default room. An earlier session of
/// the same account is told why and closed. `tell` is given the default room as the user sees
/// it, and queues the protocol's welcome and the room before any line of it can be queued
/// (see `Hub::login`); it must not take the hub's lock.
#[inline(never)]
pub(crate) fn log_in(
    conn: &Conn,
    name: &str,
    guest: bool,
    tell: impl FnOnce(Entered),
) -> Result<(), Refusal> {
    conn.peer.set_login(Login {
        name: name.to_owned(),
        key: validate::login_key(name),
        guest,
    });
    conn.shared.hub.login(&conn.peer, tell)?;
    tracing::info!(peer = conn.peer.id, login = ?name, guest, "logged in");
    Ok(())
}

/// Reports kept for the administrators, for one who just logged in (none for anyone else).
pub(crate) fn deliver_reports(shared: &Shared, peer: &Peer) {
    if peer.login().is_some_and(|l| shared.hub.is_admin(&l.key)) {
        for report in shared.hub.reports() {
            peer.event(&Event::new(report));
        }
    }
}

/// Private messages kept while the user was offline: `private` events with `stored: true` and
/// their own time, oldest first, then `private_dropped` if some had to go. They are forgotten
/// once queued for the connection (a crash before that delivers them again, never loses them).
#[inline(never)]
pub(crate) fn deliver_kept(shared: &Shared, peer: &Peer) {
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
        if said.deleted {
            continue;
        }
        // In the conversation here before its recipient sees it (kept on another node of a
        // cluster, it is not yet): an answer, reaction or receipt finds it.
        shared.archive.saw_private_id(said.id);
        shared.archive.private_if_missing(said.clone());
        if !said.attachments.is_empty() {
            // Its recipient may fetch its files here (kept on another node of a cluster, this
            // one has not seen it yet).
            let (from, to) = (
                validate::login_key(&said.from),
                validate::login_key(&said.to),
            );
            super::files::carried_by_private(shared, &said.attachments, &from, &to, said.id);
        }
        peer.event(&Event::at(
            said.time,
            ServerMessage::Private {
                attachments: said.attachments,
                from: said.from.clone(),
                text: said.text,
                stored: true,
                id: said.id,
                reply_to: said.reply_to,
            },
        ));
        // Its sender, if online (on any node), learns it arrived.
        super::lines::tell_receipt(shared, &said.from, peer.name(), said.id, Receipt::Delivered);
    }
    if dropped > 0 {
        peer.event(&Event::new(ServerMessage::PrivateDropped {
            count: dropped,
        }));
    }
    if let Err(e) = shared.mail.delivered(&key, up_to) {
        // Tried again every second (store::forgetting); until then a login here does not get
        // them again. Never lost, at worst twice (a login on another node meanwhile).
        tracing::error!(login = %peer.name(), "cannot forget delivered messages: {e}");
    }
}

/// Revokes a session's token (`all`: every token of the account) on disk.
#[inline(never)]
pub(crate) fn sign_out(conn: &Conn, token: Option<&str>, all: bool) -> Result<(), Refusal> {
    let sessions = &conn.shared.sessions;
    let revoked = match (all, conn.peer.login(), token) {
        (true, Some(login), _) => sessions.revoke_all(&login.key),
        (false, _, Some(token)) => sessions.revoke(token),
        _ => Ok(()),
    };
    revoked.map_err(internal)?;
    tracing::info!(peer = conn.peer.id, login = %conn.peer.name(), all, "signed out");
    Ok(())
}

/// Takes the user out of the chat (offline; a guest's name free again), noting the departure
/// (IRC `WHOWAS`). Done again, or for a session that was taken over, it does nothing.
#[inline(never)]
pub(crate) fn leave(shared: &Shared, peer: &Peer) {
    let left = shared.hub.logout(peer);
    let Some(login) = peer.login() else {
        return;
    };
    if left {
        let real_name = shared
            .directory
            .get(&login.key)
            .map(|p| {
                format!("{} {}", p.first_names, p.last_names)
                    .trim()
                    .to_owned()
            })
            .unwrap_or_default();
        shared.departures.add(Departure {
            login: login.name.clone(),
            user_name: peer.user_name().unwrap_or(&login.name).to_owned(),
            real_name,
            left_ms: shared.config.clock.now_ms(),
        });
    }
    if login.guest {
        shared.directory.remove_guest(&login.key);
    }
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
    if let Err(wait) = shared.registrations.take(&ip, shared.config.clock.now()) {
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
        created_ms: shared.config.clock.now_ms(),
    };
    match shared.accounts.create(&account).map_err(internal)? {
        Created::Yes => {
            shared.directory.insert(&account);
            shared
                .hub
                .publish(|| crate::chat::bus::BusEvent::Registered {
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
