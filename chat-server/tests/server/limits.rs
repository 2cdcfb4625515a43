//! Every limit: a clear refusal or close reason, and everyone else keeps chatting.

use std::io::Write;
use std::time::{Duration, Instant};

use chat_core::client::{ClientOptions, Event, connect};
use chat_core::frame::encode;
use chat_core::protocol::{ClientFrame, CloseReason, ErrorCode, Password, Request, ServerMessage};

use super::harness::{Client, TestServer, WAIT, password, registration, said};

fn goodbye_reason(messages: &[ServerMessage]) -> Option<CloseReason> {
    messages.iter().find_map(|m| match m {
        ServerMessage::Goodbye { reason, .. } => Some(*reason),
        _ => None,
    })
}

#[test]
fn connections_beyond_the_per_address_limit_are_refused_with_a_reason() {
    let server = TestServer::start_with(|c| c.max_connections_per_ip = 5);
    let mut ana = server.user("ana");
    // A client that opens many connections: four more fit, the rest are told why and closed.
    let mut extra: Vec<Client> = (0..4).map(|_| server.client()).collect();
    for _ in 0..50 {
        let mut c = Client::connect(server.addr());
        assert_eq!(
            goodbye_reason(&c.until_closed()),
            Some(CloseReason::TooManyConnections)
        );
    }
    ana.send(Request::Say {
        attachments: Vec::new(),
        reply_to: None,
        text: "sigo".into(),
    });
    ana.expect("echo", |m| said(m, "ana", "sigo"));
    // Closing one frees a place.
    extra.pop();
    server.wait_connections(4);
    let mut again = server.client();
    assert!(matches!(again.request(Request::Ping), ServerMessage::Pong));
}

#[test]
fn the_global_connection_limit_holds_too() {
    let server = TestServer::start_with(|c| {
        c.max_connections = 2;
        c.max_connections_per_ip = 0;
    });
    let _a = server.client();
    let _b = server.client();
    let mut c = Client::connect(server.addr());
    assert_eq!(
        goodbye_reason(&c.until_closed()),
        Some(CloseReason::TooManyConnections)
    );
}

#[test]
fn flooding_is_slowed_to_the_rate_then_disconnected_if_it_goes_on() {
    let server = TestServer::start_with(|c| {
        c.flood_burst = 5;
        c.flood_per_second = 20.0;
        c.flood_kick_after = Duration::from_millis(1500);
    });
    let mut flooder = server.user("flooder");
    let mut bob = server.user("bob");
    // 25 lines at once: 5 pass at once, the other 20 at 20 per second.
    let start = Instant::now();
    let line = encode(&ClientFrame {
        id: 1,
        request: Request::Say {
            attachments: Vec::new(),
            reply_to: None,
            text: "spam".into(),
        },
    })
    .unwrap();
    flooder.send_raw(&line.repeat(25));
    for _ in 0..25 {
        bob.expect("spam", |m| said(m, "flooder", "spam"));
    }
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(800),
        "25 lines went through in {took:?}"
    );
    // Going on beyond the kick delay ends the connection; bob is unaffected.
    let mut writer = flooder.stream.try_clone().unwrap();
    let deadline = Instant::now() + WAIT;
    while writer.write_all(&line.repeat(10)).is_ok() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        goodbye_reason(&flooder.until_closed()),
        Some(CloseReason::Flood)
    );
    bob.send(Request::Say {
        attachments: Vec::new(),
        reply_to: None,
        text: "tranquilo".into(),
    });
    bob.expect("echo", |m| said(m, "bob", "tranquilo"));
}

#[test]
fn a_silent_client_is_pinged_then_dropped_and_a_live_one_stays() {
    let server = TestServer::start_with(|c| {
        c.ping_interval = Duration::from_millis(200);
        c.idle_timeout = Duration::from_millis(600);
    });
    let mut mute = server.user("mute");
    mute.expect("ping", |m| matches!(m, ServerMessage::Ping));
    assert_eq!(
        goodbye_reason(&mute.until_closed()),
        Some(CloseReason::IdleTimeout)
    );

    // The client connection answers pings by itself.
    server.user("live");
    let conn = connect(
        &server.addr().to_string(),
        ClientOptions {
            tls: None,
            ..ClientOptions::default()
        },
    );
    assert!(matches!(
        conn.events().recv_timeout(WAIT).unwrap(),
        Event::Connected(_)
    ));
    conn.send(Request::Login {
        login: "live".into(),
        password: password("live"),
    });
    // Staying connected for longer than the idle timeout proves the pings were answered.
    let mut logged_in = false;
    let until = Instant::now() + Duration::from_millis(1500);
    while Instant::now() < until {
        match conn.events().recv_timeout(Duration::from_millis(50)) {
            Ok(Event::Disconnected(why)) => {
                panic!("a client that answers pings was dropped: {why:?}")
            }
            Ok(Event::Frame(f)) => match f.message {
                ServerMessage::LoggedIn { .. } => logged_in = true,
                ServerMessage::Error { code, .. } => panic!("login refused: {code:?}"),
                _ => {}
            },
            _ => {}
        }
    }
    assert!(
        logged_in,
        "the live client never logged in, so the test proved nothing"
    );
}

#[test]
fn a_client_dribbling_one_byte_at_a_time_is_dropped_at_the_handshake_deadline() {
    let server = TestServer::start_with(|c| c.handshake_timeout = Duration::from_millis(500));
    let mut ana = server.user("ana");
    let mut slow = Client::connect(server.addr());
    let hello = encode(&ClientFrame {
        id: 1,
        request: Request::Hello {
            version: 1,
            client: "x".repeat(40),
        },
    })
    .unwrap();
    let mut writer = slow.stream.try_clone().unwrap();
    for byte in &hello[..20] {
        if writer.write_all(&[*byte]).is_err() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        goodbye_reason(&slow.until_closed()),
        Some(CloseReason::HandshakeTimeout)
    );
    // The logged-in user was never affected by the deadline.
    ana.send(Request::Say {
        attachments: Vec::new(),
        reply_to: None,
        text: "hola".into(),
    });
    ana.expect("echo", |m| said(m, "ana", "hola"));
}

#[test]
fn repeated_failed_logins_are_slowed_down() {
    // The default of 3 free failures: the fourth attempt is the first one delayed.
    let server = TestServer::start_with(|c| {
        c.login_backoff_max = Duration::from_secs(1);
    });
    let mut bystander = server.user("bystander");
    let mut c = server.client();
    c.request(Request::Register(registration("victim")));
    let wrong = || Request::Login {
        login: "victim".into(),
        password: Password("guess-guess".into()),
    };
    for _ in 0..3 {
        assert_eq!(c.refused(wrong()), ErrorCode::BadCredentials);
    }
    assert_eq!(
        c.refused(wrong()),
        ErrorCode::RateLimited,
        "the fourth attempt"
    );
    // Now blocked for a second: even the right password waits, and no hash is computed.
    let right = Request::Login {
        login: "victim".into(),
        password: password("victim"),
    };
    match c.request(right.clone()) {
        ServerMessage::Error {
            code: ErrorCode::RateLimited,
            message,
            retry_after_ms: Some(wait),
            ..
        } => {
            assert!(message.contains("try again in 1 second"), "{message}");
            assert!(wait > 0 && wait <= 1000, "{wait} ms");
        }
        other => panic!("{other:?}"),
    }
    bystander.send(Request::Say {
        attachments: Vec::new(),
        reply_to: None,
        text: "sin problema".into(),
    });
    bystander.expect("echo", |m| said(m, "bystander", "sin problema"));
    server.advance(Duration::from_millis(1100));
    assert!(matches!(c.request(right), ServerMessage::LoggedIn { .. }));
}

#[test]
fn registrations_are_limited_per_address() {
    let server = TestServer::start_with(|c| c.registrations_per_ip = 2);
    let mut c = server.client();
    for login in ["uno", "dos"] {
        assert!(matches!(
            c.request(Request::Register(registration(login))),
            ServerMessage::Registered { .. }
        ));
    }
    match c.request(Request::Register(registration("tres"))) {
        ServerMessage::Error {
            code: ErrorCode::RateLimited,
            message,
            ..
        } => assert!(message.contains("try again")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_user_may_create_only_so_many_rooms() {
    let server = TestServer::start_with(|c| c.max_rooms_per_user = 2);
    let mut ana = server.user("ana");
    for room in ["a1", "a2"] {
        assert!(matches!(
            ana.request(Request::CreateRoom { room: room.into() }),
            ServerMessage::Entered { .. }
        ));
    }
    match ana.request(Request::CreateRoom { room: "a3".into() }) {
        ServerMessage::Error {
            code: ErrorCode::TooManyRooms,
            message,
            ..
        } => assert!(message.contains("(2)"), "{message}"),
        other => panic!("{other:?}"),
    }
    ana.request(Request::DeleteRoom { room: "a1".into() });
    assert!(matches!(
        ana.request(Request::CreateRoom { room: "a3".into() }),
        ServerMessage::Entered { .. }
    ));
}

#[test]
fn garbage_after_a_valid_frame_is_answered_in_order() {
    let server = TestServer::start();
    let mut ana = server.user("ana");
    let mut bytes = encode(&ClientFrame {
        id: 77,
        request: Request::Ping,
    })
    .unwrap();
    bytes.extend_from_slice(&[0, 0, 0, 3, 0xc1, 0xc1, 0xc1]);
    bytes.extend_from_slice(
        &encode(&ClientFrame {
            id: 78,
            request: Request::Ping,
        })
        .unwrap(),
    );
    ana.send_raw(&bytes);
    let first = ana.expect_frame("pong 77", |f| {
        f.re.is_some() || matches!(f.message, ServerMessage::Error { .. })
    });
    assert_eq!(first.re, Some(77));
    let second = ana.expect_frame("error", |f| {
        matches!(f.message, ServerMessage::Error { .. })
    });
    assert!(matches!(
        second.message,
        ServerMessage::Error {
            code: ErrorCode::Malformed,
            ..
        }
    ));
    assert_eq!(
        ana.expect_frame("pong 78", |f| f.re == Some(78)).message,
        ServerMessage::Pong
    );
}

#[test]
fn a_client_name_with_control_characters_is_refused() {
    let server = TestServer::start();
    let mut c = Client::connect(server.addr());
    match c.request(Request::Hello {
        version: 1,
        client: "evil\n2026-01-01 INFO fake".into(),
    }) {
        ServerMessage::Error {
            code: ErrorCode::Invalid,
            field,
            ..
        } => {
            assert_eq!(field, Some(chat_core::protocol::Field::Client));
        }
        other => panic!("{other:?}"),
    }
    c.hello();
}
