//! Rooms live as long as their creator is online.

use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

use chat_core::protocol::{CloseReason, Request, RoomClosedReason, ServerFrame, ServerMessage};

use super::harness::{Client, TestServer, entered, password, said};

#[test]
fn creator_disconnect_deletes_its_rooms_and_moves_their_members() {
    let server = TestServer::start();
    let mut ana = server.user("ana");
    let mut bob = server.user("bob");
    let mut eve = server.user("eve");
    entered(&ana.request(Request::CreateRoom {
        room: "taller".into(),
    }));
    entered(&ana.request(Request::CreateRoom {
        room: "otra".into(),
    }));
    entered(&bob.request(Request::EnterRoom {
        room: "otra".into(),
    }));
    entered(&eve.request(Request::EnterRoom {
        room: "taller".into(),
    }));
    drop(ana);
    for (c, room) in [(&mut bob, "otra"), (&mut eve, "taller")] {
        c.expect("room closed", |m| {
            matches!(m, ServerMessage::RoomClosed { room: r, reason: RoomClosedReason::CreatorLeft } if r == room)
        });
        let (now, _) = entered(&c.expect("moved", |m| matches!(m, ServerMessage::Entered { .. })));
        assert_eq!(now, "lobby");
    }
    match bob.request(Request::ListRooms { offset: 0 }) {
        ServerMessage::Rooms { rooms, .. } => {
            assert_eq!(
                rooms
                    .iter()
                    .map(|r| (r.name.as_str(), r.members))
                    .collect::<Vec<_>>(),
                [("lobby", 2)]
            );
        }
        other => panic!("{other:?}"),
    }
    bob.send(Request::Say {
        attachments: Vec::new(),
        reply_to: None,
        text: "¿y ana?".into(),
    });
    eve.expect("bob in the lobby", |m| said(m, "bob", "¿y ana?"));
}

#[test]
fn logging_in_again_takes_over_the_old_session_and_keeps_its_rooms() {
    let server = TestServer::start();
    let mut old = server.user("ana");
    let mut bob = server.user("bob");
    entered(&old.request(Request::CreateRoom { room: "mia".into() }));
    let mut new = server.client();
    new.login("ana");
    let rest = old.until_closed();
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
    // The room survives the takeover; the new session may delete it.
    let (room, _) = entered(&bob.request(Request::EnterRoom { room: "mia".into() }));
    assert_eq!(room, "mia");
    assert!(matches!(
        new.request(Request::DeleteRoom { room: "mia".into() }),
        ServerMessage::RoomDeleted { .. }
    ));
}

#[test]
fn shutdown_tells_every_client() {
    let mut server = TestServer::start();
    let mut ana = server.user("ana");
    let mut early = server.client();
    server.handle.take().unwrap().shutdown().unwrap();
    for c in [&mut ana, &mut early] {
        let rest = c.until_closed();
        assert!(
            rest.iter().any(|m| matches!(
                m,
                ServerMessage::Goodbye {
                    reason: CloseReason::ServerShutdown,
                    ..
                }
            )),
            "{rest:?}"
        );
    }
}

/// Joins and leaves are announced in rooms up to the presence limit; beyond it members follow the
/// member count in the room list instead of getting a frame per arrival.
#[test]
fn joins_and_leaves_are_announced_only_in_rooms_up_to_the_presence_limit() {
    let server = TestServer::start_with(|c| c.presence_limit = 3);
    let mut ana = server.user("ana");
    let _bea = server.user("bea");
    ana.expect(
        "bea joined",
        |m| matches!(m, ServerMessage::Joined { login, .. } if login == "bea"),
    );
    let cid = server.user("cid");
    ana.expect(
        "cid joined (three members)",
        |m| matches!(m, ServerMessage::Joined { login, .. } if login == "cid"),
    );
    let dan = server.user("dan");
    // Four members: no `joined`, but the room list catches up with the count.
    ana.expect("the room list with four members", |m| {
        matches!(m, ServerMessage::Rooms { rooms, .. } if rooms.iter().any(|r| r.is_default && r.members == 4))
    });
    let about_dan = |m: &ServerMessage| matches!(m, ServerMessage::Joined { login, .. } | ServerMessage::Left { login, .. } if login == "dan");
    let mut seen = ana.settle();
    drop(dan);
    ana.expect("the room list with three members", |m| {
        matches!(m, ServerMessage::Rooms { rooms, .. } if rooms.iter().any(|r| r.is_default && r.members == 3))
    });
    seen.extend(ana.settle());
    drop(cid);
    ana.expect(
        "cid left (three members before)",
        |m| matches!(m, ServerMessage::Left { login, .. } if login == "cid"),
    );
    seen.extend(ana.settle());
    let announced: Vec<_> = seen.iter().filter(|m| about_dan(m)).collect();
    assert!(announced.is_empty(), "{announced:?}");
}

/// A user who keeps a room busy: lines said as fast as the server takes them, from a thread of
/// its own, until the returned flag is set. Its own frames are read and dropped (it is never a
/// slow consumer).
fn chatter(
    server: &TestServer,
    login: &str,
    room: Option<&str>,
) -> (Arc<AtomicBool>, JoinHandle<()>) {
    let mut c = server.user(login);
    if let Some(room) = room {
        entered(&c.request(Request::CreateRoom { room: room.into() }));
    }
    let stop = Arc::new(AtomicBool::new(false));
    let mut reader = c.stream.try_clone().unwrap();
    let done = Arc::clone(&stop);
    let talk = std::thread::spawn(move || {
        let drain = std::thread::spawn(move || {
            let mut buf = vec![0; 64 * 1024];
            while reader.read(&mut buf).is_ok_and(|n| n > 0) {}
        });
        let mut n = 0_u64;
        while !done.load(Ordering::Relaxed) {
            n += 1;
            c.send(Request::Say {
                text: format!("línea {n}"),
                reply_to: None,
                attachments: Vec::new(),
            });
        }
        let _ = c.stream.shutdown(std::net::Shutdown::Both);
        drain.join().unwrap();
    });
    (stop, talk)
}

/// The lines of `room` among `frames`.
fn lines_of(frames: &[ServerFrame], room: &str) -> Vec<u64> {
    frames
        .iter()
        .filter_map(|f| match &f.message {
            ServerMessage::Message { room: r, id, .. } if r == room => Some(*id),
            _ => None,
        })
        .collect()
}

/// The reply to request `id`, which must be `entered`, and no line of the room entered before
/// it (the client was told nothing of the room yet).
fn no_line_before_entered(c: &mut Client, id: u32, step: &str) {
    let frames = c.frames_until(step, |f| f.re == Some(id));
    let (room, _) = entered(&frames[frames.len() - 1].message);
    let early = lines_of(&frames, &room);
    assert!(
        early.is_empty(),
        "{step}: lines of {room} before entering it: {early:?}"
    );
}

/// The room a user enters reaches it before any line of that room: at login (the default
/// room), on `#gR` and on `#eR`, while other users keep both rooms busy. (A line delivered
/// between the user's joining and its `entered` would show in a room the client does not yet
/// know, or be wiped by the `entered` that follows it.)
#[test]
fn a_room_reaches_its_new_member_before_any_of_its_lines() {
    let server = TestServer::start_with(|c| {
        c.flood_per_second = 0.0;
        c.bcrypt_cost = 4;
        c.allow_weak_bcrypt = true;
    });
    let (lobby_stop, lobby) = chatter(&server, "ana", None);
    let (sala_stop, sala) = chatter(&server, "eva", Some("sala"));
    drop(server.user("bob"));
    for round in 0..40 {
        let mut bob = server.client();
        let id = bob.send(Request::Login {
            login: "bob".into(),
            password: password("bob"),
        });
        let frames = bob.frames_until("entered at login", |f| {
            matches!(f.message, ServerMessage::Entered { .. })
        });
        let logged_in = frames.iter().position(|f| f.re == Some(id));
        assert_eq!(
            logged_in,
            Some(0),
            "round {round}: logged_in first: {frames:?}"
        );
        let early = lines_of(&frames, "lobby");
        assert!(
            early.is_empty(),
            "round {round}: lobby lines before entering it: {early:?}"
        );
        let id = bob.send(Request::EnterRoom {
            room: "sala".into(),
        });
        no_line_before_entered(&mut bob, id, &format!("round {round}: #gR sala"));
        let id = bob.send(Request::LeaveRoom);
        no_line_before_entered(&mut bob, id, &format!("round {round}: #eR"));
    }
    for (stop, talk) in [(lobby_stop, lobby), (sala_stop, sala)] {
        stop.store(true, Ordering::Relaxed);
        talk.join().unwrap();
    }
}
