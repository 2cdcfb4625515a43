//! Every command of the course, with three clients, including the refusals.

use chat_core::command::parse;
use chat_core::protocol::{CloseReason, ErrorCode, Request, RoomClosedReason, ServerMessage};

use super::harness::{TestServer, entered, said};

/// What a client sends for a typed line, as every client does it.
fn typed(line: &str) -> Request {
    parse(line).unwrap().into_request().unwrap()
}

#[test]
fn room_messages_reach_everyone_in_the_room_sender_included() {
    let server = TestServer::start();
    let mut ana = server.user("ana");
    let mut bob = server.user("bob");
    let mut eve = server.user("eve");
    ana.send(typed("hola a todos"));
    for c in [&mut ana, &mut bob, &mut eve] {
        let m = c.expect("ana's message", |m| said(m, "ana", "hola a todos"));
        assert!(matches!(m, ServerMessage::Message { room, .. } if room == "lobby"));
    }
}

#[test]
fn create_enter_list_leave_and_delete_rooms() {
    let server = TestServer::start();
    let mut ana = server.user("ana");
    let mut bob = server.user("bob");
    let mut eve = server.user("eve");

    // #cR creates and enters; the others see ana leave the lobby.
    let (room, members) = entered(&ana.request(typed("#cR sala1")));
    assert_eq!((room.as_str(), members), ("sala1", vec!["ana".to_string()]));
    for c in [&mut bob, &mut eve] {
        c.expect("ana left", |m| matches!(m, ServerMessage::Left { login, room } if login == "ana" && room == "lobby"));
    }
    assert_eq!(bob.refused(typed("#cR SALA1")), ErrorCode::RoomExists);

    // #gR enters; members of the room see the join; names ignore case.
    let (room, members) = entered(&bob.request(typed("#gR Sala1")));
    assert_eq!(room, "sala1");
    assert_eq!(members, ["ana", "bob"]);
    ana.expect(
        "bob joined",
        |m| matches!(m, ServerMessage::Joined { login, .. } if login == "bob"),
    );
    assert_eq!(eve.refused(typed("#gR nowhere")), ErrorCode::RoomNotFound);

    // Messages stay in their room.
    bob.send(typed("solo sala1"));
    ana.expect("bob's message", |m| said(m, "bob", "solo sala1"));
    eve.send(typed("solo lobby"));
    eve.expect("own echo", |m| said(m, "eve", "solo lobby"));
    let ana_saw: Vec<_> = ana.settle();
    assert!(
        !ana_saw.iter().any(|m| said(m, "eve", "solo lobby")),
        "{ana_saw:?}"
    );

    // #lR lists every room with member counts and creators, the default room first.
    match eve.request(typed("#lR")) {
        ServerMessage::Rooms { rooms, .. } => {
            let summary: Vec<_> = rooms
                .iter()
                .map(|r| {
                    (
                        r.name.as_str(),
                        r.members,
                        r.creator.as_deref(),
                        r.is_default,
                    )
                })
                .collect();
            assert_eq!(
                summary,
                [("lobby", 1, None, true), ("sala1", 2, Some("ana"), false)]
            );
        }
        other => panic!("{other:?}"),
    }

    // #dR: only the creator, never the default room, never a missing room.
    assert_eq!(eve.refused(typed("#dR sala1")), ErrorCode::NotRoomCreator);
    assert_eq!(ana.refused(typed("#dR lobby")), ErrorCode::DefaultRoom);
    assert_eq!(ana.refused(typed("#dR nowhere")), ErrorCode::RoomNotFound);
    match ana.request(typed("#dR sala1")) {
        ServerMessage::RoomDeleted { room } => assert_eq!(room, "sala1"),
        other => panic!("{other:?}"),
    }
    // Its members are told and moved to the default room; the lobby sees them arrive.
    for c in [&mut ana, &mut bob] {
        c.expect("room closed", |m| matches!(m, ServerMessage::RoomClosed { room, reason: RoomClosedReason::Deleted } if room == "sala1"));
        let (room, _) = entered(&c.expect("back in lobby", |m| {
            matches!(m, ServerMessage::Entered { .. })
        }));
        assert_eq!(room, "lobby");
    }
    eve.expect(
        "bob back",
        |m| matches!(m, ServerMessage::Joined { login, room, .. } if login == "bob" && room == "lobby"),
    );
    assert_eq!(bob.refused(typed("#gR sala1")), ErrorCode::RoomNotFound);
}

#[test]
fn leaving_goes_to_the_default_room_and_does_nothing_there() {
    let server = TestServer::start();
    let mut ana = server.user("ana");
    let mut bob = server.user("bob");
    entered(&ana.request(typed("#cR cafe")));
    bob.expect("ana left", |m| matches!(m, ServerMessage::Left { .. }));
    let (room, members) = entered(&ana.request(typed("#eR")));
    assert_eq!(room, "lobby");
    assert_eq!(members, ["ana", "bob"]);
    bob.expect(
        "ana back",
        |m| matches!(m, ServerMessage::Joined { login, .. } if login == "ana"),
    );
    // #eR in the default room: same room, no join or leave for anyone.
    let (room, _) = entered(&ana.request(typed("#eR.")));
    assert_eq!(room, "lobby");
    let seen = bob.settle();
    assert!(
        !seen
            .iter()
            .any(|m| matches!(m, ServerMessage::Joined { .. } | ServerMessage::Left { .. })),
        "{seen:?}"
    );
}

#[test]
fn show_users_lists_every_registered_user_with_where_they_are() {
    let server = TestServer::start();
    let mut ana = server.user("ana");
    let mut bob = server.user("bob");
    let eve = server.user("Eve");
    drop(eve);
    entered(&bob.request(typed("#cR estudio")));
    let deadline = std::time::Instant::now() + super::harness::WAIT;
    loop {
        match ana.request(typed("#show users")) {
            ServerMessage::Users { users, total, .. } => {
                assert_eq!(total, 3);
                let rows: Vec<_> = users
                    .iter()
                    .map(|u| (u.login.as_str(), u.online, u.room.as_deref()))
                    .collect();
                if rows
                    == [
                        ("ana", true, Some("lobby")),
                        ("bob", true, Some("estudio")),
                        ("Eve", false, None),
                    ]
                {
                    assert_eq!(users[0].first_names, "José María");
                    assert_eq!(users[0].last_names, "Ñúñez ana");
                    break;
                }
                // Eve's disconnection may not be processed yet.
                assert!(std::time::Instant::now() < deadline, "{rows:?}");
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn private_messages_reach_one_user_in_any_room() {
    let server = TestServer::start();
    let mut ana = server.user("ana");
    let mut bob = server.user("bob");
    let mut eve = server.user("eve");
    let _carl = server.user("carl");
    entered(&bob.request(typed("#cR lejos")));
    for line in [
        "#\\privatebob ¿vienes?",
        "#\\private<bob> ¿vienes?",
        "#private BOB ¿vienes?",
    ] {
        match ana.request(typed(line)) {
            ServerMessage::PrivateSent { to, text, .. } => {
                assert_eq!((to.as_str(), text.as_str()), ("bob", "¿vienes?"))
            }
            other => panic!("{line}: {other:?}"),
        }
        bob.expect("private", |m| matches!(m, ServerMessage::Private { from, text, .. } if from == "ana" && text == "¿vienes?"));
    }
    let seen = eve.settle();
    assert!(
        !seen
            .iter()
            .any(|m| matches!(m, ServerMessage::Private { .. })),
        "{seen:?}"
    );

    drop(_carl);
    server.wait_connections(3);
    // Offline: kept for carl's next login.
    assert!(matches!(
        ana.request(typed("#\\privatecarl hola")),
        ServerMessage::PrivateStored { to, .. } if to == "carl"
    ));
    assert_eq!(
        ana.refused(typed("#\\privatenobody hola")),
        ErrorCode::UserNotFound
    );
}

#[test]
fn exit_says_goodbye_and_closes() {
    let server = TestServer::start();
    let mut ana = server.user("ana");
    let mut bob = server.user("bob");
    let id = ana.send(typed("#exit"));
    let bye = ana.expect_frame("goodbye", |f| f.re == Some(id));
    assert!(
        matches!(
            bye.message,
            ServerMessage::Goodbye {
                reason: CloseReason::Exit,
                ..
            }
        ),
        "{bye:?}"
    );
    ana.until_closed();
    bob.expect(
        "ana left",
        |m| matches!(m, ServerMessage::Left { login, .. } if login == "ana"),
    );
    bob.send(typed("still here"));
    bob.expect("own echo", |m| said(m, "bob", "still here"));
}

#[test]
fn the_room_directory_is_pushed_when_rooms_change() {
    let server = TestServer::start();
    let mut ana = server.user("ana");
    let mut bob = server.user("bob");
    entered(&ana.request(typed("#cR nueva")));
    bob.expect("directory with nueva", |m| {
        matches!(m, ServerMessage::Rooms { rooms, .. } if rooms.iter().any(|r| r.name == "nueva" && r.members == 1))
    });
}
