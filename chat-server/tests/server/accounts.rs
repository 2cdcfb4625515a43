//! Registration and login.

use std::sync::{Arc, Barrier};

use chat_core::frame::encode;
use chat_core::protocol::{ClientFrame, ErrorCode, Field, Password, Request, ServerMessage};

use super::harness::{Client, TestServer, entered, password, registration};

#[test]
fn registered_users_log_in_and_land_in_the_default_room() {
    let server = TestServer::start();
    let mut c = server.client();
    assert!(
        matches!(c.request(Request::Register(registration("Ana"))), ServerMessage::Registered { login } if login == "Ana")
    );
    // The login ignores case; the stored spelling is what others see.
    match c.request(Request::Login {
        login: "ANA".into(),
        password: password("Ana"),
    }) {
        ServerMessage::LoggedIn { login, .. } => assert_eq!(login, "Ana"),
        other => panic!("{other:?}"),
    }
    let (room, members) = super::harness::entered(
        &c.expect("entered", |m| matches!(m, ServerMessage::Entered { .. })),
    );
    assert_eq!((room.as_str(), members), ("lobby", vec!["Ana".to_string()]));
}

#[test]
fn a_taken_login_is_refused_whatever_its_case() {
    let server = TestServer::start();
    let mut c = server.client();
    c.request(Request::Register(registration("ana")));
    match c.request(Request::Register(registration("ANA"))) {
        ServerMessage::Error {
            code: ErrorCode::LoginTaken,
            field: Some(Field::Login),
            ..
        } => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn wrong_password_and_unknown_login_get_the_same_error() {
    // Three failures from one address would delay the fourth attempt: allow a few more here.
    let server = TestServer::start_with(|c| c.login_free_failures = 5);
    let mut c = server.client();
    c.request(Request::Register(registration("ana")));
    let wrong = c.request(Request::Login {
        login: "ana".into(),
        password: Password("not her password".into()),
    });
    let unknown = c.request(Request::Login {
        login: "nadie".into(),
        password: Password("whatever123".into()),
    });
    let bad_syntax = c.request(Request::Login {
        login: "no such login!".into(),
        password: Password("whatever123".into()),
    });
    for reply in [&wrong, &unknown, &bad_syntax] {
        assert!(
            matches!(
                reply,
                ServerMessage::Error {
                    code: ErrorCode::BadCredentials,
                    ..
                }
            ),
            "{reply:?}"
        );
    }
    assert_eq!(wrong, unknown);
    // The connection still works: the right password now succeeds.
    c.login("ana");
}

#[test]
fn invalid_fields_are_refused_with_the_field_named() {
    let server = TestServer::start();
    let mut c = server.client();
    type Breaker = Box<dyn Fn(&mut chat_core::protocol::Registration)>;
    let cases: Vec<(Breaker, Field)> = vec![
        (Box::new(|r| r.first_names = "  ".into()), Field::FirstNames),
        (
            Box::new(|r| r.last_names = "x\u{1b}[31m".into()),
            Field::LastNames,
        ),
        (Box::new(|r| r.login = "a b".into()), Field::Login),
        (
            Box::new(|r| r.password = Password("short".into())),
            Field::Password,
        ),
        (
            Box::new(|r| r.password = Password("p".repeat(72))),
            Field::Password,
        ),
        (Box::new(|r| r.age = 7), Field::Age),
    ];
    for (break_it, field) in cases {
        let mut r = registration("valid");
        break_it(&mut r);
        match c.request(Request::Register(r)) {
            ServerMessage::Error {
                code: ErrorCode::Invalid,
                field: Some(f),
                message,
                ..
            } => {
                assert_eq!(f, field, "{message}");
                assert!(!message.is_empty());
            }
            other => panic!("{field:?}: {other:?}"),
        }
    }
    // Nothing was stored: the login is still free.
    assert!(matches!(
        c.request(Request::Register(registration("valid"))),
        ServerMessage::Registered { .. }
    ));
}

#[test]
fn registrations_survive_a_restart() {
    let mut server = TestServer::start();
    server.user("ana");
    server.restart();
    let mut c = server.client();
    c.login("ana");
    assert_eq!(
        c.refused(Request::Register(registration("ana"))),
        ErrorCode::AlreadyLoggedIn
    );
}

#[test]
fn two_clients_racing_for_one_login_exactly_one_wins() {
    let server = TestServer::start_with(|c| c.registrations_per_ip = 100);
    let addr = server.addr();
    for round in 0..3 {
        let login = format!("racer{round}");
        let barrier = Arc::new(Barrier::new(4));
        let handles: Vec<_> = (0..4)
            .map(|i| {
                let barrier = Arc::clone(&barrier);
                let login = login.clone();
                std::thread::spawn(move || {
                    let mut c = Client::connect(addr);
                    c.hello();
                    let mut r = registration(&login);
                    r.first_names = format!("Racer {i}");
                    barrier.wait();
                    c.request(Request::Register(r))
                })
            })
            .collect();
        let replies: Vec<ServerMessage> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let won = replies
            .iter()
            .filter(|m| matches!(m, ServerMessage::Registered { .. }))
            .count();
        let lost = replies
            .iter()
            .filter(|m| {
                matches!(
                    m,
                    ServerMessage::Error {
                        code: ErrorCode::LoginTaken,
                        ..
                    }
                )
            })
            .count();
        assert_eq!((won, lost), (1, 3), "{replies:?}");
    }
}

/// The connection moves to a fresh reader thread once logged in; requests already read with the
/// login (sent in the same write) must move with it and be answered, in order.
#[test]
fn requests_sent_together_with_the_login_are_answered_in_order() {
    let server = TestServer::start();
    drop(server.user("pia"));
    let mut c = server.client();
    let mut bytes = Vec::new();
    for (id, request) in [
        (
            10,
            Request::Login {
                login: "pia".into(),
                password: password("pia"),
            },
        ),
        (
            11,
            Request::CreateRoom {
                room: "deck".into(),
            },
        ),
        (12, Request::ListRooms { offset: 0 }),
    ] {
        bytes.extend(encode(&ClientFrame { id, request }).unwrap());
    }
    c.send_raw(&bytes);
    let logged = c.expect_frame("logged in", |f| f.re == Some(10));
    assert!(
        matches!(logged.message, ServerMessage::LoggedIn { .. }),
        "{logged:?}"
    );
    let created = c.expect_frame("room created", |f| f.re == Some(11));
    assert_eq!(entered(&created.message).0, "deck");
    let listed = c.expect_frame("rooms listed", |f| f.re == Some(12));
    let ServerMessage::Rooms { rooms, .. } = listed.message else {
        panic!("{listed:?}");
    };
    assert!(
        rooms.iter().any(|r| r.name == "deck" && r.members == 1),
        "{rooms:?}"
    );
}

#[test]
fn a_thousand_concurrent_registrations_of_one_login_make_exactly_one_account() {
    const CLIENTS: usize = 1_000;
    let server = TestServer::start_with(|c| {
        c.bcrypt_cost = 4;
        c.allow_weak_bcrypt = true;
        c.max_connections = 2 * CLIENTS;
        c.max_connections_per_ip = 0;
        c.registrations_per_ip = 10 * CLIENTS as u32;
        c.hash_queue = 2 * CLIENTS;
    });
    let mut clients: Vec<Client> = (0..CLIENTS).map(|_| server.client()).collect();
    // Every request is on the wire before any reply is read.
    let ids: Vec<u32> = clients
        .iter_mut()
        .enumerate()
        .map(|(i, c)| {
            let mut r = registration("uno");
            r.first_names = format!("Candidato {i}");
            c.send(Request::Register(r))
        })
        .collect();
    let mut registered = 0;
    let mut taken = 0;
    for (c, id) in clients.iter_mut().zip(ids) {
        match c.expect_frame("the reply", |f| f.re == Some(id)).message {
            ServerMessage::Registered { .. } => registered += 1,
            ServerMessage::Error {
                code: ErrorCode::LoginTaken,
                ..
            } => taken += 1,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!((registered, taken), (1, CLIENTS - 1));
    server.client().login("uno");
}
