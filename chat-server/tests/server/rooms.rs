//! Rooms live as long as their creator is online.

use chat_core::protocol::{CloseReason, Request, RoomClosedReason, ServerMessage};

use super::harness::{TestServer, entered, said};

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
