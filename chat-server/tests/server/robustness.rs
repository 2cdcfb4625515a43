//! Bad input and bad peers: each gets a typed error or a closed connection, and everyone else
//! keeps being served.

use std::io::Write;
use std::time::{Duration, Instant};

use chat_core::frame::encode;
use chat_core::limits::MAX_FRAME_BYTES;
use chat_core::protocol::{ClientFrame, CloseReason, ErrorCode, Request, ServerMessage};

use super::harness::{Client, TestServer, WAIT, said};

/// `bytes` as one frame.
fn framed(body: &[u8]) -> Vec<u8> {
    let mut out = (body.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(body);
    out
}

fn error_code(m: &ServerMessage) -> Option<ErrorCode> {
    match m {
        ServerMessage::Error { code, .. } => Some(*code),
        _ => None,
    }
}

#[test]
fn requests_before_hello_and_before_login_are_refused_and_the_connection_stays() {
    let server = TestServer::start();
    let mut c = Client::connect(server.addr());
    assert_eq!(
        c.refused(Request::ListRooms { offset: 0 }),
        ErrorCode::HelloRequired
    );
    assert_eq!(
        c.refused(Request::Login {
            login: "ana".into(),
            password: "whatever1".into()
        }),
        ErrorCode::HelloRequired
    );
    c.hello();
    assert_eq!(
        c.refused(Request::Say {
            attachments: Vec::new(),
            reply_to: None,
            text: "hola".into()
        }),
        ErrorCode::LoginRequired
    );
    assert_eq!(
        c.refused(Request::CreateRoom { room: "x".into() }),
        ErrorCode::LoginRequired
    );
    assert_eq!(
        c.refused(Request::ShowUsers { offset: 0 }),
        ErrorCode::LoginRequired
    );
    assert!(matches!(
        c.request(Request::Clock),
        ServerMessage::Clock { .. }
    ));
}

#[test]
fn malformed_frames_get_an_error_and_the_connection_keeps_working() {
    let server = TestServer::start();
    let mut ana = server.user("ana");
    let valid = encode(&ClientFrame {
        id: 1,
        request: Request::ListRooms { offset: 0 },
    })
    .unwrap();
    let mut trailing = valid[4..].to_vec();
    trailing.extend_from_slice(b"garbage");
    let bodies: Vec<Vec<u8>> = vec![
        b"\xc1\xc1\xc1".to_vec(),                       // never-used marker
        vec![0x91; 60_000],                             // 60k nested arrays
        vec![0x81, 0xa4, b't', b'y', b'p', b'e', 0x07], // type is not a string
        trailing,                                       // garbage after a valid message
        vec![],                                         // empty body
    ];
    for body in bodies {
        ana.send_raw(&framed(&body));
        let m = ana.expect("malformed error", |m| error_code(m).is_some());
        assert_eq!(error_code(&m), Some(ErrorCode::Malformed), "{m:?}");
    }
    ana.send(Request::Say {
        attachments: Vec::new(),
        reply_to: None,
        text: "sigo aquí".into(),
    });
    ana.expect("echo", |m| said(m, "ana", "sigo aquí"));
}

#[test]
fn an_oversized_frame_closes_that_connection_only() {
    let server = TestServer::start();
    let mut ana = server.user("ana");
    let mut bob = server.user("bob");
    let mut prefix = ((MAX_FRAME_BYTES + 1) as u32).to_be_bytes().to_vec();
    prefix.extend_from_slice(&[0; 16]);
    bob.send_raw(&prefix);
    let rest = bob.until_closed();
    assert!(
        rest.iter()
            .any(|m| error_code(m) == Some(ErrorCode::FrameTooLarge)),
        "{rest:?}"
    );
    assert!(rest.iter().any(|m| matches!(
        m,
        ServerMessage::Goodbye {
            reason: CloseReason::ProtocolError,
            ..
        }
    )));
    ana.send(Request::Say {
        attachments: Vec::new(),
        reply_to: None,
        text: "still fine".into(),
    });
    ana.expect("echo", |m| said(m, "ana", "still fine"));
    // And a huge length claim on a fresh connection before hello.
    let mut raw = Client::connect(server.addr());
    raw.send_raw(&u32::MAX.to_be_bytes());
    assert!(
        raw.until_closed()
            .iter()
            .any(|m| error_code(m) == Some(ErrorCode::FrameTooLarge))
    );
}

#[test]
fn a_truncated_frame_and_a_vanished_peer_leave_the_server_serving() {
    let server = TestServer::start();
    let mut ana = server.user("ana");
    let mut bob = server.user("bob");
    let valid = encode(&ClientFrame {
        id: 9,
        request: Request::ListRooms { offset: 0 },
    })
    .unwrap();
    bob.stream.write_all(&valid[..valid.len() - 3]).unwrap();
    drop(bob);
    ana.expect(
        "bob left",
        |m| matches!(m, ServerMessage::Left { login, .. } if login == "bob"),
    );
    server.wait_connections(1);
}

#[test]
fn a_wrong_protocol_version_is_refused_clearly() {
    let server = TestServer::start();
    let mut c = Client::connect(server.addr());
    c.send(Request::Hello {
        version: 999,
        client: "future".into(),
    });
    let rest = c.until_closed();
    match &rest[0] {
        ServerMessage::Error {
            code: ErrorCode::VersionMismatch,
            message,
            ..
        } => assert!(message.contains("999")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_silent_connection_is_dropped_after_the_handshake_deadline() {
    let server = TestServer::start_with(|c| c.handshake_timeout = Duration::from_millis(300));
    let mut c = Client::connect(server.addr());
    let rest = c.until_closed();
    assert!(
        rest.iter().any(|m| matches!(
            m,
            ServerMessage::Goodbye {
                reason: CloseReason::HandshakeTimeout,
                ..
            }
        )),
        "{rest:?}"
    );
    // A client that logs in in time stays, long after the deadline.
    let mut ana = server.user("ana");
    server.advance(Duration::from_secs(60));
    assert!(matches!(
        ana.request(Request::ListRooms { offset: 0 }),
        ServerMessage::Rooms { .. }
    ));
}

#[test]
fn a_slow_consumer_is_disconnected_while_the_others_keep_receiving() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::Instant;

    // Flood control off: this test is about the send queue.
    let server = TestServer::start_with(|c| c.flood_per_second = 0.0);
    let mut slow = server.user("slow");
    let mut flooder = server.user("flooder");
    let mut watcher = server.user("watcher");
    slow.settle();

    // Readers for the two clients that keep up: they count the flood until the final line.
    let count_until_done = |mut c: Client, counter: Arc<AtomicU64>| {
        std::thread::spawn(move || {
            loop {
                let m = c.expect(
                    "flood",
                    |m| matches!(m, ServerMessage::Message { from, .. } if from == "flooder"),
                );
                match m {
                    ServerMessage::Message { text, .. } if text == "done" => {
                        return counter.load(Ordering::SeqCst);
                    }
                    _ => counter.fetch_add(1, Ordering::SeqCst),
                };
            }
        })
    };
    let mut writer = flooder.stream.try_clone().unwrap();
    flooder.settle();
    watcher.settle();
    let (flooder_seen, watcher_seen) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let flooder_reader = count_until_done(flooder, Arc::clone(&flooder_seen));
    let watcher_reader = count_until_done(watcher, Arc::clone(&watcher_seen));

    const BATCH: u64 = 100;
    let line = encode(&ClientFrame {
        id: 1,
        request: Request::Say {
            attachments: Vec::new(),
            reply_to: None,
            text: "x".repeat(1900),
        },
    })
    .unwrap();
    let batch: Vec<u8> = line
        .iter()
        .copied()
        .cycle()
        .take(line.len() * BATCH as usize)
        .collect();
    let mut sent = 0u64;
    // Send in batches the two readers keep up with, until the server gives up on the client
    // that never reads (its kernel buffers hold a few MB before its outbox starts to fill).
    while server.handle().online_count() == 3 {
        writer.write_all(&batch).unwrap();
        sent += BATCH;
        assert!(sent < 50_000, "the slow consumer was never disconnected");
        let deadline = Instant::now() + super::harness::WAIT;
        while flooder_seen.load(Ordering::SeqCst) < sent
            || watcher_seen.load(Ordering::SeqCst) < sent
        {
            assert!(Instant::now() < deadline, "the readers fell behind");
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    writer
        .write_all(
            &encode(&ClientFrame {
                id: 2,
                request: Request::Say {
                    attachments: Vec::new(),
                    reply_to: None,
                    text: "done".into(),
                },
            })
            .unwrap(),
        )
        .unwrap();

    assert_eq!(
        watcher_reader.join().unwrap(),
        sent,
        "the watcher lost messages"
    );
    assert_eq!(
        flooder_reader.join().unwrap(),
        sent,
        "the sender lost its echoes"
    );
    let rest = slow.until_closed();
    assert!(
        matches!(
            rest.last(),
            Some(ServerMessage::Goodbye {
                reason: CloseReason::SlowConsumer,
                ..
            })
        ),
        "{:?}",
        rest.last()
    );
}

/// A member that stops reading makes its socket fill: the server then sends what the socket takes
/// (often part of a frame), waits until it drains, and resumes mid-frame. Every message must come
/// out whole and in order once the member reads again.
#[test]
fn a_member_that_pauses_reading_gets_every_message_whole_and_in_order() {
    const MESSAGES: usize = 6_000;
    let server = TestServer::start_with(|c| {
        c.flood_per_second = 0.0;
        c.max_outbox_bytes = 64 * 1024 * 1024;
    });
    let mut paused = server.user("paused");
    let mut talker = server.user("talker");
    paused.settle();
    talker.settle();
    let text = |i: usize| format!("{i:06}{}", "y".repeat(1_990));
    let mut bytes = Vec::new();
    for i in 0..MESSAGES {
        let say = Request::Say {
            attachments: Vec::new(),
            reply_to: None,
            text: text(i),
        };
        bytes.extend(
            encode(&ClientFrame {
                id: 1,
                request: say,
            })
            .unwrap(),
        );
    }
    // About 12 MB: more than the kernel buffers of both ends hold while `paused` does not read.
    let mut writer = talker.stream.try_clone().unwrap();
    let sender = std::thread::spawn(move || writer.write_all(&bytes).unwrap());
    // Until `paused`'s socket is full (it holds bytes, and no more than a tick ago) while the
    // talker is still sending: the writers then meet a full socket and must resume mid-frame.
    let deadline = Instant::now() + WAIT;
    paused.stream.set_nonblocking(true).unwrap();
    let mut peeked = vec![0u8; 4 << 20];
    let mut held = 0;
    loop {
        std::thread::sleep(Duration::from_millis(50));
        let now = paused.stream.peek(&mut peeked).unwrap_or(0);
        if now >= 16 * 1024 && now == held && !sender.is_finished() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "paused's socket never filled ({now} bytes)"
        );
        held = now;
    }
    paused.stream.set_nonblocking(false).unwrap();
    for i in 0..MESSAGES {
        let m = paused.expect(
            "the next message",
            |m| matches!(m, ServerMessage::Message { from, .. } if from == "talker"),
        );
        let ServerMessage::Message { text: got, .. } = m else {
            unreachable!()
        };
        assert!(
            got == text(i),
            "message {i} came out as {:?}",
            &got[..6.min(got.len())]
        );
    }
    sender.join().unwrap();
}

/// A hand-made request map, as a client in another language might send it.
fn raw_request(entries: &[(&str, rmpv_like::V)]) -> Vec<u8> {
    rmpv_like::map(entries)
}

/// Values of any type, to send keys with the wrong one.
mod rmpv_like {
    #[derive(Clone, serde::Serialize)]
    #[serde(untagged)]
    pub enum V {
        S(&'static str),
        I(i64),
    }

    pub fn map(entries: &[(&str, V)]) -> Vec<u8> {
        let map: std::collections::BTreeMap<&str, V> = entries.iter().cloned().collect();
        rmp_serde::to_vec_named(&map).unwrap()
    }
}

#[test]
fn a_registration_with_a_bad_value_is_answered_with_its_id_and_the_field_at_fault() {
    use chat_core::protocol::Field;
    use rmpv_like::V;

    let server = TestServer::start();
    let mut c = server.client();
    let base = |key: &str, value: Option<V>| {
        let mut entries = vec![
            ("id", V::I(40)),
            ("type", V::S("register")),
            ("first_names", V::S("Ana")),
            ("last_names", V::S("Ruiz")),
            ("login", V::S("ana")),
            ("password", V::S("secret-password")),
            ("age", V::I(30)),
            ("gender", V::S("female")),
        ];
        entries.retain(|(k, _)| *k != key);
        if let Some(v) = value {
            entries.push((Box::leak(key.to_owned().into_boxed_str()), v));
        }
        framed(&raw_request(&entries))
    };
    for (key, value, field) in [
        ("gender", Some(V::S("robot")), Field::Gender),
        ("gender", Some(V::S("Female")), Field::Gender),
        ("gender", Some(V::S("")), Field::Gender),
        ("gender", None, Field::Gender),
        ("age", Some(V::I(300)), Field::Age),
        ("age", Some(V::I(-1)), Field::Age),
        ("age", Some(V::S("30")), Field::Age),
    ] {
        c.send_raw(&base(key, value));
        let reply = c.expect_frame("the reply to 40", |f| f.re == Some(40));
        match reply.message {
            ServerMessage::Error {
                code: ErrorCode::Invalid,
                field: Some(f),
                message,
                ..
            } => {
                assert_eq!(f, field, "{key}: {message}");
                assert!(
                    !message.contains("variant") && !message.contains("marker"),
                    "{message}"
                );
            }
            other => panic!("{key}: {other:?}"),
        }
    }
    // A request of a type nobody knows, with a readable id: answered, as malformed.
    c.send_raw(&framed(&raw_request(&[
        ("id", V::I(41)),
        ("type", V::S("dance")),
    ])));
    let reply = c.expect_frame("the reply to 41", |f| f.re == Some(41));
    assert_eq!(error_code(&reply.message), Some(ErrorCode::Malformed));
    // Still working.
    assert!(matches!(
        c.request(Request::Register(super::harness::registration("ana"))),
        ServerMessage::Registered { .. }
    ));
}

#[test]
fn a_tls_handshake_dribbled_a_byte_at_a_time_ends_at_the_deadline() {
    use std::time::Instant;

    let server = TestServer::start_with(|c| {
        c.tls = chat_server::TlsSetting::SelfSigned;
        c.handshake_timeout = Duration::from_secs(1);
    });
    let mut stream = std::net::TcpStream::connect(server.addr()).unwrap();
    // The start of a TLS ClientHello record, a byte every 300 ms: each read gets a byte long
    // before any per-read timeout, so only a deadline for the whole handshake ends it.
    let hello_start = [
        0x16u8, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03,
    ];
    let started = Instant::now();
    let mut closed = false;
    for byte in hello_start.iter().cycle().take(40) {
        if stream.write_all(&[*byte]).is_err() {
            closed = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(300));
        let mut probe = [0u8; 1];
        stream.set_nonblocking(true).unwrap();
        match std::io::Read::read(&mut stream, &mut probe) {
            Ok(0) => {
                closed = true;
                break;
            }
            Err(e) if e.kind() != std::io::ErrorKind::WouldBlock => {
                closed = true;
                break;
            }
            _ => {}
        }
        stream.set_nonblocking(false).unwrap();
    }
    let took = started.elapsed();
    assert!(closed, "the dribbling handshake was never ended");
    assert!(
        took < Duration::from_secs(3),
        "ended after {took:?}, not at the 1 s deadline"
    );
}

/// With flood control off, a sender can say lines faster than a member reads them. The member
/// is not dropped: the sender waits while the member catches up, and every line reaches
/// everyone, in order.
#[test]
fn a_member_that_reads_slowly_slows_an_unthrottled_sender_instead_of_being_dropped() {
    const MESSAGES: usize = 3_000;
    let server = TestServer::start_with(|c| {
        c.flood_per_second = 0.0;
        c.max_outbox_bytes = 256 * 1024;
    });
    let mut reader = server.user("reader");
    let mut talker = server.user("talker");
    reader.settle();
    talker.settle();
    let text = |i: usize| format!("{i:06}{}", "z".repeat(1_990));
    let mut bytes = Vec::new();
    for i in 0..MESSAGES {
        bytes.extend(
            encode(&ClientFrame {
                id: 1,
                request: Request::Say {
                    attachments: Vec::new(),
                    reply_to: None,
                    text: text(i),
                },
            })
            .unwrap(),
        );
    }
    // About 6 MB at once: far more than the reader's queue (256 KiB) and the kernel's buffers.
    let mut writer = talker.stream.try_clone().unwrap();
    let sender = std::thread::spawn(move || writer.write_all(&bytes).unwrap());
    // The talker reads its own echoes on a thread of its own, at full speed.
    let echoes = std::thread::spawn(move || {
        for _ in 0..MESSAGES {
            talker.expect(
                "echo",
                |m| matches!(m, ServerMessage::Message { from, .. } if from == "talker"),
            );
        }
        talker
    });
    for i in 0..MESSAGES {
        let m = reader.expect(
            "the next line",
            |m| matches!(m, ServerMessage::Message { from, .. } if from == "talker"),
        );
        let ServerMessage::Message { text: got, .. } = m else {
            unreachable!()
        };
        assert!(got == text(i), "line {i} out of order or cut");
        // About 1,000 lines (2 MB) a second: far slower than the server can pass them on.
        if i % 2 == 0 {
            std::thread::sleep(Duration::from_millis(2));
        }
    }
    sender.join().unwrap();
    let _talker = echoes.join().unwrap();
    assert_eq!(server.handle().online_count(), 2, "nobody was dropped");
}
