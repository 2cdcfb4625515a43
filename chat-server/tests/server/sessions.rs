//! Resumable sessions: a password login hands out a token; `resume` with it logs in again
//! without the password, across reconnects and restarts, until it expires or is revoked.

use std::time::{Duration, Instant};

use chat_core::protocol::{CloseReason, ErrorCode, Field, Request, ServerMessage};

use super::harness::{Client, TestServer, WAIT, password, registration, signed_in};

/// [`signed_in`], with the token's expiry.
fn signed_in_until(server: &TestServer, login: &str) -> (Client, String, i64) {
    let mut c = server.client();
    c.request(Request::Register(registration(login)));
    match c.request(Request::Login {
        login: login.into(),
        password: password(login),
    }) {
        ServerMessage::LoggedIn {
            token: Some(token),
            token_expires: Some(expires),
            ..
        } => (c, token, expires),
        other => panic!("login: {other:?}"),
    }
}

/// A new connection that resumes with `token`: its reply.
fn resume(server: &TestServer, token: &str) -> (Client, ServerMessage) {
    let mut c = server.client();
    let reply = c.request(Request::Resume {
        token: token.into(),
        seen: None,
    });
    (c, reply)
}

#[test]
fn a_token_logs_in_again_without_the_password_and_takes_over() {
    let server = TestServer::start();
    let (mut first, token, expires) = signed_in_until(&server, "Ana");
    let in_29_days = chat_core::clock::system_now_ms() + 29 * 24 * 3600 * 1000;
    assert!(expires > in_29_days, "a token lasts 30 days by default");
    first.expect("entered", |m| matches!(m, ServerMessage::Entered { .. }));
    let (mut again, reply) = resume(&server, &token);
    match reply {
        ServerMessage::LoggedIn {
            login, token: t, ..
        } => {
            assert_eq!(login, "Ana", "as registered");
            assert_eq!(t.as_deref(), Some(token.as_str()), "the same token back");
        }
        other => panic!("{other:?}"),
    }
    again.expect(
        "entered",
        |m| matches!(m, ServerMessage::Entered { room, .. } if room == "lobby"),
    );
    again.expect("rooms", |m| matches!(m, ServerMessage::Rooms { .. }));
    let rest = first.until_closed();
    assert!(
        rest.iter().any(|m| matches!(
            m,
            ServerMessage::Goodbye {
                reason: CloseReason::TakenOver,
                ..
            }
        )),
        "{rest:?}"
    );
    again.send(Request::Say {
        attachments: Vec::new(),
        reply_to: None,
        text: "otra vez".into(),
    });
    again.expect(
        "echo",
        |m| matches!(m, ServerMessage::Message { from, .. } if from == "Ana"),
    );
}

#[test]
fn a_token_survives_a_restart_and_a_wrong_one_is_refused_by_name() {
    let mut server = TestServer::start();
    let (_c, token) = signed_in(server.addr(), "bea");
    server.restart();
    let (_again, reply) = resume(&server, &token);
    assert!(matches!(reply, ServerMessage::LoggedIn { .. }), "{reply:?}");
    let mut stranger = server.client();
    for wrong in [
        "0".repeat(64),
        "not a token".to_owned(),
        token[..63].to_owned(),
    ] {
        match stranger.request(Request::Resume {
            token: wrong,
            seen: None,
        }) {
            ServerMessage::Error {
                code: ErrorCode::BadToken,
                field: Some(Field::Token),
                ..
            } => {}
            other => panic!("{other:?}"),
        }
    }
    // Failed resumes count like failed logins from the address.
    match stranger.request(Request::Resume {
        token: token.clone(),
        seen: None,
    }) {
        ServerMessage::Error {
            code: ErrorCode::RateLimited,
            retry_after_ms: Some(_),
            ..
        } => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn logout_revokes_this_token_and_logout_all_every_token() {
    let server = TestServer::start();
    let (mut c, token) = signed_in(server.addr(), "cid");
    let id = c.send(Request::Logout { all: false });
    let bye = c.expect_frame("goodbye", |f| f.re == Some(id));
    assert!(matches!(
        bye.message,
        ServerMessage::Goodbye {
            reason: CloseReason::Exit,
            ..
        }
    ));
    c.until_closed();
    let (_, reply) = resume(&server, &token);
    assert!(
        matches!(
            reply,
            ServerMessage::Error {
                code: ErrorCode::BadToken,
                ..
            }
        ),
        "{reply:?}"
    );

    // Two machines signed in; logging out everywhere from one ends the other's token too.
    let mut laptop = server.client();
    let laptop_token = match laptop.request(Request::Login {
        login: "cid".into(),
        password: password("cid"),
    }) {
        ServerMessage::LoggedIn { token: Some(t), .. } => t,
        other => panic!("{other:?}"),
    };
    let (mut phone, reply) = resume(&server, &laptop_token);
    assert!(matches!(reply, ServerMessage::LoggedIn { .. }));
    let mut desk = server.client();
    let desk_token = match desk.request(Request::Login {
        login: "cid".into(),
        password: password("cid"),
    }) {
        ServerMessage::LoggedIn { token: Some(t), .. } => t,
        other => panic!("{other:?}"),
    };
    phone.until_closed();
    desk.request(Request::Logout { all: true });
    for t in [&laptop_token, &desk_token] {
        let (_, reply) = resume(&server, t);
        assert!(
            matches!(
                reply,
                ServerMessage::Error {
                    code: ErrorCode::BadToken,
                    ..
                }
            ),
            "{reply:?}"
        );
    }
}

#[test]
fn an_expired_token_is_refused() {
    let server = TestServer::start_with(|c| c.session_lifetime = Duration::from_secs(3600));
    let (_c, token) = signed_in(server.addr(), "dan");
    server.advance(Duration::from_secs(3601));
    let (_, reply) = resume(&server, &token);
    assert!(
        matches!(
            reply,
            ServerMessage::Error {
                code: ErrorCode::BadToken,
                ..
            }
        ),
        "{reply:?}"
    );
}

#[test]
fn waiting_for_the_password_pool_does_not_count_against_the_login_deadline() {
    // One slow hashing thread (cost 12, ~0.3 s a check here) and a 1 s deadline: the last of
    // eight logins sent at once waits about 2 s in the queue, yet logs in.
    let server = TestServer::start_with(|c| {
        c.bcrypt_cost = 12;
        c.hash_workers = 1;
        c.handshake_timeout = Duration::from_secs(1);
    });
    let logins: Vec<String> = (0..8).map(|i| format!("slow{i}")).collect();
    {
        // Registered while the deadline is not at stake (one connection each).
        let mut handles = Vec::new();
        for login in logins.clone() {
            let addr = server.addr();
            handles.push(std::thread::spawn(move || {
                let mut c = Client::connect(addr);
                c.hello();
                c.request(Request::Register(registration(&login)))
            }));
        }
        for h in handles {
            assert!(matches!(
                h.join().unwrap(),
                ServerMessage::Registered { .. }
            ));
        }
    }
    let started = Instant::now();
    let mut clients: Vec<Client> = logins.iter().map(|_| server.client()).collect();
    let ids: Vec<u32> = clients
        .iter_mut()
        .zip(&logins)
        .map(|(c, login)| {
            c.send(Request::Login {
                login: login.clone(),
                password: password(login),
            })
        })
        .collect();
    for ((c, id), login) in clients.iter_mut().zip(ids).zip(&logins) {
        let reply = c.expect_frame("login reply", |f| f.re == Some(id));
        assert!(
            matches!(reply.message, ServerMessage::LoggedIn { .. }),
            "{login} after {:?}: {:?}",
            started.elapsed(),
            reply.message
        );
    }
    assert!(
        started.elapsed() > Duration::from_millis(1200) && started.elapsed() < WAIT,
        "the logins took {:?}: the deadline was not at stake",
        started.elapsed()
    );
}

#[test]
fn a_full_password_queue_says_when_to_retry() {
    let server = TestServer::start_with(|c| {
        c.bcrypt_cost = 12;
        c.hash_workers = 1;
        c.hash_queue = 1;
    });
    let mut c = server.client();
    c.request(Request::Register(registration("eva")));
    let mut clients: Vec<Client> = (0..6).map(|_| server.client()).collect();
    let ids: Vec<u32> = clients
        .iter_mut()
        .map(|c| {
            c.send(Request::Login {
                login: "eva".into(),
                password: password("eva"),
            })
        })
        .collect();
    let mut busy = 0;
    for (c, id) in clients.iter_mut().zip(ids) {
        match c.expect_frame("login reply", |f| f.re == Some(id)).message {
            ServerMessage::Error {
                code: ErrorCode::ServerBusy,
                retry_after_ms: Some(ms),
                ..
            } => {
                assert!(ms >= 100, "a cost-12 check takes longer than {ms} ms");
                busy += 1;
            }
            ServerMessage::LoggedIn { .. } => {}
            other => panic!("{other:?}"),
        }
    }
    assert!(
        busy >= 1,
        "six slow logins on one worker with one slot must overflow"
    );
}
