//! Replies, reactions, edits and order across nodes, the default room's order for a node
//! that joins late, and private messages between users on two nodes.

use chat_core::protocol::{ErrorCode, Request, ServerMessage};

use super::super::harness::said;
use super::{ADMIN, Cluster, eventually, node, room_members, users};

#[test]
fn replies_reactions_edits_and_order_reach_every_node() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let mut ana = cluster.nodes[0].user("ana");
    let mut bob = cluster.nodes[1].user("bob");
    let mut cai = cluster.nodes[2].user("cai");
    ana.request(Request::CreateRoom {
        room: "aula".into(),
    });
    for c in [&mut bob, &mut cai] {
        eventually("aula reached the node", || {
            room_members(c, "aula").is_some()
        });
        c.request(Request::EnterRoom {
            room: "aula".into(),
        });
    }
    let aula = || chat_core::protocol::Target::Room("aula".into());
    ana.send(Request::Say {
        attachments: Vec::new(),
        text: "¿dudas?".into(),
        reply_to: None,
    });
    let line = match bob.expect("the line", |m| said(m, "ana", "¿dudas?")) {
        ServerMessage::Message { id, .. } => id,
        _ => unreachable!(),
    };
    cai.expect("the line", |m| said(m, "ana", "¿dudas?"));
    // A reply on another node quotes it; reactions from two nodes add up everywhere.
    cai.send(Request::Say {
        attachments: Vec::new(),
        text: "yo".into(),
        reply_to: Some(line),
    });
    ana.expect(
        "the reply",
        |m| matches!(m, ServerMessage::Message { reply_to: Some(q), .. } if q.line == line),
    );
    for c in [&mut bob, &mut cai] {
        c.send(Request::React {
            target: aula(),
            line,
            emoji: "👍".into(),
            on: true,
        });
    }
    ana.expect("both reactions", |m| {
        matches!(m, ServerMessage::Reactions { reactions, .. } if reactions.first().is_some_and(|r| r.count == 2))
    });
    // An edit made on node 1 is seen on nodes 2 and 3.
    assert!(matches!(
        ana.request(Request::Edit {
            target: aula(),
            line,
            text: "¿dudas del examen?".into(),
        }),
        ServerMessage::Edited { .. }
    ));
    for c in [&mut bob, &mut cai] {
        c.expect(
            "the edit",
            |m| matches!(m, ServerMessage::Edited { text, .. } if text == "¿dudas del examen?"),
        );
    }
    // The creator on node 1 mutes a member on node 2: refused there.
    ana.request(Request::Moderate {
        room: "aula".into(),
        action: chat_core::protocol::ModAction::Mute,
        login: Some("bob".into()),
        seconds: Some(600),
    });
    bob.expect("muted", |m| matches!(m, ServerMessage::Moderated { .. }));
    assert_eq!(
        bob.refused(Request::Say {
            attachments: Vec::new(),
            text: "¿y yo?".into(),
            reply_to: None,
        }),
        ErrorCode::Muted
    );
    ana.request(Request::SetTopic {
        room: "aula".into(),
        topic: "examen el viernes".into(),
    });
    bob.expect(
        "the topic",
        |m| matches!(m, ServerMessage::Topic { topic, .. } if topic == "examen el viernes"),
    );
    // An administrator on node 3 keeps order in the default room, which no node owns.
    let mut jefa = cluster.nodes[2].user(ADMIN);
    let mut dan = cluster.nodes[1].user("dan");
    for request in [
        Request::SetTopic {
            room: "lobby".into(),
            topic: "bienvenidos".into(),
        },
        Request::Moderate {
            room: "lobby".into(),
            action: chat_core::protocol::ModAction::Mute,
            login: Some("dan".into()),
            seconds: Some(600),
        },
    ] {
        let answer = jefa.request(request);
        assert!(
            matches!(
                answer,
                ServerMessage::Topic { .. } | ServerMessage::Moderated { .. }
            ),
            "{answer:?}"
        );
    }
    dan.expect(
        "muted in the lobby",
        |m| matches!(m, ServerMessage::Moderated { room, .. } if room == "lobby"),
    );
    // A node that joins now never read those events: the others' snapshots tell it the
    // rooms' topics and who is muted there, the default room's as well.
    let late = node(&cluster.redis, &cluster.pg, "n4");
    eventually("n4 heard the others", || {
        late.handle().cluster_status().unwrap().nodes.len() >= 3
    });
    drop(bob);
    let mut bob = late.client();
    bob.login("bob");
    eventually("aula reached n4", || {
        room_members(&mut bob, "aula").is_some()
    });
    match bob.request(Request::EnterRoom {
        room: "aula".into(),
    }) {
        ServerMessage::Entered { topic, .. } => {
            assert_eq!(topic.map(|t| t.text).as_deref(), Some("examen el viernes"))
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        bob.refused(Request::Say {
            attachments: Vec::new(),
            text: "¿y ahora?".into(),
            reply_to: None,
        }),
        ErrorCode::Muted
    );
    match bob.request(Request::LeaveRoom) {
        ServerMessage::Entered { room, topic, .. } => {
            assert_eq!(room, "lobby");
            assert_eq!(topic.map(|t| t.text).as_deref(), Some("bienvenidos"));
        }
        other => panic!("{other:?}"),
    }
    drop(dan);
    let mut dan = late.client();
    dan.login("dan");
    assert_eq!(
        dan.refused(Request::Say {
            attachments: Vec::new(),
            text: "¿me oyen?".into(),
            reply_to: None,
        }),
        ErrorCode::Muted,
        "muted in the default room on the node that joined after"
    );
}

/// A private message between users on two nodes: each node keeps the conversation, so the
/// recipient answers it with a quote, reacts to it and reads it on its node, the sender edits
/// and deletes it on the other, and each hears of what the other did.
#[test]
fn a_private_message_across_two_nodes_is_answered_reacted_to_edited_read_and_deleted() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let mut ana = cluster.nodes[0].user("ana");
    let mut bob = cluster.nodes[1].user("bob");
    let with = |who: &str| chat_core::protocol::Target::With(who.into());
    let private = |to: &str, text: &str, reply_to| Request::Private {
        to: to.into(),
        text: text.into(),
        reply_to,
        attachments: Vec::new(),
    };
    eventually("bob is known on n1", || {
        users(&mut ana).iter().any(|(login, _)| login == "bob")
    });
    let sent = match ana.request(private("bob", "¿vienes?", None)) {
        ServerMessage::PrivateSent { id, .. } => id,
        other => panic!("{other:?}"),
    };
    bob.expect(
        "the message",
        |m| matches!(m, ServerMessage::Private { id, text, .. } if *id == sent && text == "¿vienes?"),
    );
    // Bob answers on his node, quoting it: his node keeps the conversation too.
    let answer = match bob.request(private("ana", "sí", Some(sent))) {
        ServerMessage::PrivateSent { id, .. } => id,
        other => panic!("{other:?}"),
    };
    assert_ne!(answer, sent, "one number per message across the cluster");
    ana.expect("the answer, quoting", |m| {
        matches!(m, ServerMessage::Private { reply_to: Some(q), .. }
            if q.line == sent && q.excerpt == "¿vienes?")
    });
    bob.send(Request::React {
        target: with("ana"),
        line: sent,
        emoji: "👍".into(),
        on: true,
    });
    ana.expect("bob's reaction", |m| {
        matches!(m, ServerMessage::Reactions { target, line, reactions }
            if *target == with("bob") && *line == sent
                && reactions.first().is_some_and(|r| r.count == 1 && r.by == ["bob"]))
    });
    // Ana edits it on hers; bob hears of it and his node's copy has the new text.
    assert!(matches!(
        ana.request(Request::Edit {
            target: with("bob"),
            line: sent,
            text: "¿vienes mañana?".into(),
        }),
        ServerMessage::Edited { .. }
    ));
    bob.expect(
        "the edit",
        |m| matches!(m, ServerMessage::Edited { line, text, .. } if *line == sent && text == "¿vienes mañana?"),
    );
    match bob.request(Request::PrivateHistory {
        with: "ana".into(),
        before: None,
    }) {
        ServerMessage::PrivateHistory { messages, .. } => {
            let kept = messages.iter().find(|m| m.id == sent).expect("kept on n2");
            assert_eq!(kept.text, "¿vienes mañana?");
            assert_eq!(kept.reactions.first().map(|r| r.count), Some(1));
            assert!(messages.iter().any(|m| m.id == answer));
        }
        other => panic!("{other:?}"),
    }
    bob.send(Request::MarkRead {
        target: with("ana"),
        line: sent,
        receipt: true,
    });
    ana.expect("the read receipt", |m| {
        matches!(m, ServerMessage::Receipt { with, line, state }
            if with == "bob" && *line == sent && *state == chat_core::protocol::Receipt::Read)
    });

    // Only its author may change it, on whichever node.
    assert_eq!(
        bob.refused(Request::Edit {
            target: with("ana"),
            line: sent,
            text: "no".into(),
        }),
        ErrorCode::NotAllowed
    );
    assert!(matches!(
        ana.request(Request::DeleteMessage {
            target: with("bob"),
            line: sent,
        }),
        ServerMessage::MessageDeleted { .. }
    ));
    bob.expect(
        "the deletion",
        |m| matches!(m, ServerMessage::MessageDeleted { line, .. } if *line == sent),
    );
    // A message kept for a user who was offline, delivered when she logs in on another node:
    // she answers it there, quoting it, and its sender learns it arrived.
    let eva = cluster.nodes[2].user("eva");
    eventually("eva is online on n1", || {
        users(&mut ana)
            .iter()
            .any(|(login, room)| login == "eva" && room.is_some())
    });
    drop(eva);
    eventually("eva is offline on n1", || {
        users(&mut ana)
            .iter()
            .any(|(login, room)| login == "eva" && room.is_none())
    });
    let kept = match ana.request(private("eva", "¿tienes los apuntes?", None)) {
        ServerMessage::PrivateStored { id, .. } => id,
        other => panic!("{other:?}"),
    };
    let mut eva = cluster.nodes[1].client();
    eva.login("eva");
    eva.expect(
        "the kept message",
        |m| matches!(m, ServerMessage::Private { id, stored: true, .. } if *id == kept),
    );
    ana.expect("the delivered receipt", |m| {
        matches!(m, ServerMessage::Receipt { with, line, state }
            if with == "eva" && *line == kept && *state == chat_core::protocol::Receipt::Delivered)
    });
    assert!(matches!(
        eva.request(private("ana", "sí, te los paso", Some(kept))),
        ServerMessage::PrivateSent { .. }
    ));
    ana.expect(
        "eva's answer, quoting",
        |m| matches!(m, ServerMessage::Private { reply_to: Some(q), .. } if q.line == kept),
    );
    // Read markers are kept on every node: logged in on n3, bob finds how far he read.
    drop(bob);
    let mut bob = cluster.nodes[2].client();
    bob.login("bob");
    match bob.request(Request::ReadMarkers) {
        ServerMessage::ReadMarkers { markers } => assert!(
            markers
                .iter()
                .any(|m| m.target == with("ana") && m.line == sent),
            "{markers:?}"
        ),
        other => panic!("{other:?}"),
    }
}
