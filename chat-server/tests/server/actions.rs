//! What users do to lines once said, over real TCP: replies, reactions (gathered: one frame per
//! line per moment), edits and deletions (their own; a room's creator any in the room), read
//! markers and receipts, keeping order (mute, slow mode, remove), reports to administrators; each
//! with its refusals, and kept across a restart.

use std::time::Duration;

use chat_core::protocol::{
    ErrorCode, ModAction, Quote, Reaction, Receipt, Request, ServerMessage, Target,
};

use super::harness::{Client, TestServer, said};

fn lobby() -> Target {
    Target::Room("lobby".into())
}

fn say(c: &mut Client, text: &str) -> u64 {
    c.send(Request::Say {
        attachments: Vec::new(),
        text: text.into(),
        reply_to: None,
    });
    line_id(c, text)
}

/// The number of the room line `text` this client received.
fn line_id(c: &mut Client, text: &str) -> u64 {
    match c.expect(
        "the line",
        |m| matches!(m, ServerMessage::Message { text: t, .. } if t == text),
    ) {
        ServerMessage::Message { id, .. } => id,
        _ => unreachable!(),
    }
}

fn react(c: &mut Client, target: Target, line: u64, emoji: &str, on: bool) {
    c.send(Request::React {
        target,
        line,
        emoji: emoji.into(),
        on,
    });
}

/// The next `reactions` event for `line`.
fn reactions(c: &mut Client, line: u64) -> Vec<Reaction> {
    match c.expect(
        "reactions",
        |m| matches!(m, ServerMessage::Reactions { line: l, .. } if *l == line),
    ) {
        ServerMessage::Reactions { reactions, .. } => reactions,
        _ => unreachable!(),
    }
}

#[test]
fn a_reply_quotes_the_line_it_answers_for_everyone_and_in_history() {
    let server = TestServer::start();
    let mut ana = server.user("ana");
    let mut bob = server.user("bob");
    let asked = say(&mut ana, "¿alguien tiene el enunciado de la práctica 3?");
    line_id(&mut bob, "¿alguien tiene el enunciado de la práctica 3?");
    bob.send(Request::Say {
        attachments: Vec::new(),
        text: "sí, te lo paso".into(),
        reply_to: Some(asked),
    });
    for c in [&mut ana, &mut bob] {
        let quote = match c.expect("the reply", |m| said(m, "bob", "sí, te lo paso")) {
            ServerMessage::Message { reply_to, .. } => reply_to,
            _ => unreachable!(),
        };
        assert_eq!(
            quote,
            Some(Quote {
                line: asked,
                from: "ana".into(),
                excerpt: "¿alguien tiene el enunciado de la práctica 3?".into(),
            })
        );
    }
    match ana.request(Request::History {
        room: "lobby".into(),
        before: None,
    }) {
        ServerMessage::History { messages, .. } => {
            let reply = messages
                .iter()
                .find(|s| s.text == "sí, te lo paso")
                .unwrap();
            assert_eq!(reply.reply_to.as_ref().map(|q| q.line), Some(asked));
        }
        other => panic!("{other:?}"),
    }
    // A line that does not exist cannot be answered.
    assert_eq!(
        bob.refused(Request::Say {
            attachments: Vec::new(),
            text: "¿a qué?".into(),
            reply_to: Some(asked + 1_000),
        }),
        ErrorCode::MessageNotFound
    );
}

#[test]
fn reactions_are_exact_gathered_and_taken_off_by_their_reactor_only() {
    let server = TestServer::start();
    let mut ana = server.user("ana");
    let mut bob = server.user("bob");
    let mut cai = server.user("cai");
    let line = say(&mut ana, "examen el martes");
    for c in [&mut bob, &mut cai] {
        line_id(c, "examen el martes");
    }
    react(&mut ana, lobby(), line, "👍", true);
    react(&mut bob, lobby(), line, "👍", true);
    react(&mut bob, lobby(), line, "👍", true);
    react(&mut cai, lobby(), line, "😱", true);
    // Everyone ends with the same counts; the three reactions may come in one frame or more.
    for c in [&mut ana, &mut bob, &mut cai] {
        let mut seen = reactions(c, line);
        while seen.iter().map(|r| r.count).sum::<u32>() < 3 {
            seen = reactions(c, line);
        }
        // Who reacted first depends on which connection the server read first.
        for r in &mut seen {
            r.by.sort();
        }
        seen.sort_by(|a, b| a.emoji.cmp(&b.emoji));
        assert_eq!(
            seen,
            [
                Reaction {
                    emoji: "👍".into(),
                    count: 2,
                    by: vec!["ana".into(), "bob".into()],
                },
                Reaction {
                    emoji: "😱".into(),
                    count: 1,
                    by: vec!["cai".into()],
                },
            ]
        );
    }
    // Taking off someone else's does nothing; taking off one's own does.
    react(&mut cai, lobby(), line, "👍", false);
    react(&mut ana, lobby(), line, "👍", false);
    let now = reactions(&mut bob, line);
    let thumbs = now.iter().find(|r| r.emoji == "👍").unwrap();
    assert_eq!(thumbs.count, 1, "{now:?}");
    assert_eq!(thumbs.by, ["bob"]);
    // A line not in the room, a line of another room, a non-emoji: refused.
    let mut refused = |request| ana.refused(request);
    assert_eq!(
        refused(Request::React {
            target: lobby(),
            line: line + 1_000,
            emoji: "👍".into(),
            on: true,
        }),
        ErrorCode::MessageNotFound
    );
    assert_eq!(
        refused(Request::React {
            target: Target::Room("otra".into()),
            line,
            emoji: "👍".into(),
            on: true,
        }),
        ErrorCode::Invalid
    );
    assert_eq!(
        refused(Request::React {
            target: lobby(),
            line,
            emoji: "no es un emoji".into(),
            on: true,
        }),
        ErrorCode::Invalid
    );
}

#[test]
fn one_line_carries_a_bounded_number_of_different_reactions() {
    let server = TestServer::start();
    let mut ana = server.user("ana");
    let line = say(&mut ana, "reaccionen");
    let emoji: Vec<String> = ('a'..='z').map(|c| format!(":{c}:")).collect();
    for e in &emoji[..20] {
        react(&mut ana, lobby(), line, e, true);
    }
    ana.settle();
    assert_eq!(
        ana.refused(Request::React {
            target: lobby(),
            line,
            emoji: emoji[20].clone(),
            on: true,
        }),
        ErrorCode::TooManyReactions
    );
}

#[test]
fn an_author_edits_and_deletes_its_lines_and_nobody_elses() {
    let mut server = TestServer::start();
    let mut ana = server.user("ana");
    let mut bob = server.user("bob");
    let line = say(&mut ana, "la clase es a las 8");
    line_id(&mut bob, "la clase es a las 8");
    assert_eq!(
        bob.refused(Request::Edit {
            target: lobby(),
            line,
            text: "no hay clase".into(),
        }),
        ErrorCode::NotAllowed
    );
    match ana.request(Request::Edit {
        target: lobby(),
        line,
        text: "la clase es a las 10".into(),
    }) {
        ServerMessage::Edited { text, line: l, .. } => {
            assert_eq!((text.as_str(), l), ("la clase es a las 10", line));
        }
        other => panic!("{other:?}"),
    }
    bob.expect(
        "the edit",
        |m| matches!(m, ServerMessage::Edited { text, .. } if text == "la clase es a las 10"),
    );
    let gone = say(&mut ana, "mensaje equivocado");
    assert_eq!(
        bob.refused(Request::DeleteMessage {
            target: lobby(),
            line: gone,
        }),
        ErrorCode::NotAllowed
    );
    assert!(matches!(
        ana.request(Request::DeleteMessage {
            target: lobby(),
            line: gone,
        }),
        ServerMessage::MessageDeleted { .. }
    ));
    bob.expect("the deletion", |m| {
        matches!(m, ServerMessage::MessageDeleted { line: l, by, .. } if *l == gone && by == "ana")
    });
    // The default room's history keeps both, across a restart.
    drop((ana, bob));
    server.restart();
    let mut cai = server.user("cai");
    match cai.request(Request::History {
        room: "lobby".into(),
        before: None,
    }) {
        ServerMessage::History { messages, .. } => {
            let edited = messages.iter().find(|s| s.id == line).unwrap();
            assert_eq!(edited.text, "la clase es a las 10");
            assert!(edited.edited.is_some());
            let deleted = messages.iter().find(|s| s.id == gone).unwrap();
            assert!(deleted.deleted && deleted.text.is_empty(), "{deleted:?}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_rooms_creator_keeps_order_mute_slow_mode_remove_and_delete() {
    let server = TestServer::start();
    let mut prof = server.user("prof");
    let mut alu = server.user("alu");
    let mut otro = server.user("otro");
    prof.request(Request::CreateRoom {
        room: "aula".into(),
    });
    for c in [&mut alu, &mut otro] {
        c.request(Request::EnterRoom {
            room: "aula".into(),
        });
    }
    let aula = || Target::Room("aula".into());
    // Only the creator keeps order.
    assert_eq!(
        alu.refused(Request::Moderate {
            room: "aula".into(),
            action: ModAction::Mute,
            login: Some("otro".into()),
            seconds: Some(60),
        }),
        ErrorCode::NotAllowed
    );
    // Mute: refused with when to try again; everyone is told; it ends with time.
    assert!(matches!(
        prof.request(Request::Moderate {
            room: "aula".into(),
            action: ModAction::Mute,
            login: Some("alu".into()),
            seconds: Some(60),
        }),
        ServerMessage::Moderated {
            action: ModAction::Mute,
            ..
        }
    ));
    otro.expect("told", |m| matches!(m, ServerMessage::Moderated { .. }));
    match alu.request(Request::Say {
        attachments: Vec::new(),
        text: "¿puedo hablar?".into(),
        reply_to: None,
    }) {
        ServerMessage::Error {
            code: ErrorCode::Muted,
            retry_after_ms: Some(wait),
            ..
        } => assert!(wait > 50_000 && wait <= 60_000, "{wait}"),
        other => panic!("{other:?}"),
    }
    server.advance(Duration::from_secs(61));
    say(&mut alu, "ya puedo");
    // Slow mode: one line per 30 s each; the creator is not slowed.
    prof.request(Request::Moderate {
        room: "aula".into(),
        action: ModAction::Slow,
        login: None,
        seconds: Some(30),
    });
    say(&mut otro, "una");
    assert_eq!(
        otro.refused(Request::Say {
            attachments: Vec::new(),
            text: "dos".into(),
            reply_to: None
        }),
        ErrorCode::SlowMode
    );
    say(&mut prof, "yo sí");
    say(&mut prof, "y otra vez");
    server.advance(Duration::from_secs(31));
    say(&mut otro, "dos");
    // The creator deletes anyone's line in its room.
    let line = say(&mut alu, "spam");
    assert!(matches!(
        prof.request(Request::DeleteMessage {
            target: aula(),
            line
        }),
        ServerMessage::MessageDeleted { .. }
    ));
    // Remove: moved to the default room, told why, and not allowed back.
    prof.request(Request::Moderate {
        room: "aula".into(),
        action: ModAction::Remove,
        login: Some("otro".into()),
        seconds: None,
    });
    otro.expect("removed", |m| {
        matches!(m, ServerMessage::Moderated { action: ModAction::Remove, login: Some(l), .. } if l == "otro")
    });
    otro.expect(
        "back in the lobby",
        |m| matches!(m, ServerMessage::Entered { room, .. } if room == "lobby"),
    );
    assert_eq!(
        otro.refused(Request::EnterRoom {
            room: "aula".into()
        }),
        ErrorCode::RemovedFromRoom
    );
}

#[test]
fn administrators_keep_order_everywhere_and_receive_reports() {
    let server = TestServer::start_with(|c| c.admins = vec!["Jefa".into()]);
    let mut ana = server.user("ana");
    let mut troll = server.user("troll");
    let line = say(&mut troll, "insulto");
    line_id(&mut ana, "insulto");
    // Nobody keeps order in the default room but an administrator.
    assert_eq!(
        ana.refused(Request::DeleteMessage {
            target: lobby(),
            line
        }),
        ErrorCode::NotAllowed
    );
    // A report made while no administrator is online reaches the one who logs in.
    assert!(matches!(
        ana.request(Request::Report {
            target: lobby(),
            line,
            reason: Some("insulta".into()),
        }),
        ServerMessage::Reported { .. }
    ));
    let mut jefa = server.user("jefa");
    jefa.expect("the report", |m| {
        matches!(m, ServerMessage::Report { author, reason: Some(r), .. } if author == "troll" && r == "insulta")
    });
    assert!(matches!(
        jefa.request(Request::DeleteMessage {
            target: lobby(),
            line
        }),
        ServerMessage::MessageDeleted { .. }
    ));
    assert!(matches!(
        jefa.request(Request::Moderate {
            room: "lobby".into(),
            action: ModAction::Mute,
            login: Some("troll".into()),
            seconds: Some(600),
        }),
        ServerMessage::Moderated { .. }
    ));
    assert_eq!(
        troll.refused(Request::Say {
            attachments: Vec::new(),
            text: "otro insulto".into(),
            reply_to: None
        }),
        ErrorCode::Muted
    );
    // Nobody keeps order over an administrator.
    assert_eq!(
        jefa.refused(Request::Moderate {
            room: "lobby".into(),
            action: ModAction::Mute,
            login: Some("jefa".into()),
            seconds: Some(1),
        }),
        ErrorCode::NotAllowed
    );
}

#[test]
fn private_messages_reply_react_edit_delete_and_say_how_far_they_went() {
    let server = TestServer::start();
    let mut ana = server.user("ana");
    drop(server.user("bob"));
    server.wait_connections(1);
    // Kept while bob is offline; ana learns when it reaches him.
    let first = match ana.request(Request::Private {
        attachments: Vec::new(),
        to: "bob".into(),
        text: "¿vienes mañana?".into(),
        reply_to: None,
    }) {
        ServerMessage::PrivateStored { id, .. } => id,
        other => panic!("{other:?}"),
    };
    let mut bob = {
        let mut c = server.client();
        c.login("bob");
        c
    };
    bob.expect("the kept message", |m| {
        matches!(m, ServerMessage::Private { stored: true, .. })
    });
    ana.expect("delivered", |m| {
        matches!(m, ServerMessage::Receipt { line, state: Receipt::Delivered, .. } if *line == first)
    });
    // A reply, quoted.
    let answer = match bob.request(Request::Private {
        attachments: Vec::new(),
        to: "ana".into(),
        text: "sí".into(),
        reply_to: Some(first),
    }) {
        ServerMessage::PrivateSent { id, .. } => id,
        other => panic!("{other:?}"),
    };
    ana.expect("the reply", |m| {
        matches!(m, ServerMessage::Private { reply_to: Some(q), .. } if q.line == first && q.from == "ana")
    });
    // Read: a receipt for ana; the marker is kept for bob's other machines.
    bob.send(Request::MarkRead {
        target: Target::With("ana".into()),
        line: first,
        receipt: true,
    });
    ana.expect("read", |m| {
        matches!(m, ServerMessage::Receipt { state: Receipt::Read, line, .. } if *line == first)
    });
    let mut bob_elsewhere = {
        let mut c = server.client();
        c.login("bob");
        c
    };
    match bob_elsewhere.request(Request::ReadMarkers) {
        ServerMessage::ReadMarkers { markers } => {
            let m = markers
                .iter()
                .find(|m| m.target == Target::With("ana".into()))
                .unwrap();
            assert_eq!(m.line, first);
        }
        other => panic!("{other:?}"),
    }
    match ana.request(Request::ReadMarkers) {
        ServerMessage::ReadMarkers { markers } => {
            let m = markers
                .iter()
                .find(|m| m.target == Target::With("bob".into()));
            assert!(m.is_none(), "ana has read nothing: {markers:?}");
        }
        other => panic!("{other:?}"),
    }
    let mut bob = bob_elsewhere;
    // React, edit and delete: both see them; only the author edits or deletes.
    react(&mut ana, Target::With("bob".into()), answer, "🎉", true);
    for c in [&mut ana, &mut bob] {
        c.expect("the reaction", |m| {
            matches!(m, ServerMessage::Reactions { reactions, .. } if reactions.len() == 1 && reactions[0].count == 1)
        });
    }
    assert_eq!(
        ana.refused(Request::Edit {
            target: Target::With("bob".into()),
            line: answer,
            text: "no".into(),
        }),
        ErrorCode::NotAllowed
    );
    assert!(matches!(
        bob.request(Request::Edit {
            target: Target::With("ana".into()),
            line: answer,
            text: "sí, a las 9".into(),
        }),
        ServerMessage::Edited { .. }
    ));
    ana.expect("the edit", |m| {
        matches!(m, ServerMessage::Edited { text, target: Target::With(w), .. } if text == "sí, a las 9" && w == "bob")
    });
    assert!(matches!(
        ana.request(Request::DeleteMessage {
            target: Target::With("bob".into()),
            line: first,
        }),
        ServerMessage::MessageDeleted { .. }
    ));
    match ana.request(Request::PrivateHistory {
        with: "bob".into(),
        before: None,
    }) {
        ServerMessage::PrivateHistory { messages, .. } => {
            let first = messages.iter().find(|m| m.id == first).unwrap();
            assert!(first.deleted && first.text.is_empty());
            let answer = messages.iter().find(|m| m.id == answer).unwrap();
            assert_eq!(answer.text, "sí, a las 9");
            assert_eq!(answer.reactions.len(), 1);
        }
        other => panic!("{other:?}"),
    }
}

/// What a recipient sees, the server can already find: a reply and a reaction sent the instant a
/// private message arrives name it, every time (the message is queued to the archive before it
/// is delivered, and the archive answers in order). Several pairs at once keep the server's
/// threads busy, so that a sender's thread is often stopped right after delivering.
#[test]
fn a_private_message_can_be_answered_the_instant_it_arrives() {
    // Flood control is not what this is about: it would only slow the loop down.
    let server = TestServer::start_with(|c| c.flood_per_second = 0.0);
    let pairs: Vec<_> = (0..5)
        .map(|p| {
            let (a, b) = (format!("ana{p}"), format!("bob{p}"));
            (server.user(&a), server.user(&b), a, b)
        })
        .collect();
    std::thread::scope(|scope| {
        for (ana, bob, to_ana, to_bob) in pairs {
            scope.spawn(move || answer_at_once(ana, bob, &to_ana, &to_bob, 300));
        }
    });
}

/// `ana` sends `bob` `times` private messages; `bob` replies to and reacts to each as it comes.
fn answer_at_once(mut ana: Client, mut bob: Client, to_ana: &str, to_bob: &str, times: usize) {
    for n in 0..times {
        let text = format!("¿{n}?");
        ana.send(Request::Private {
            attachments: Vec::new(),
            to: to_bob.into(),
            text: text.clone(),
            reply_to: None,
        });
        let id = match bob.expect(
            "the message",
            |m| matches!(m, ServerMessage::Private { text: t, .. } if *t == text),
        ) {
            ServerMessage::Private { id, .. } => id,
            _ => unreachable!(),
        };
        let reply = bob.send(Request::Private {
            attachments: Vec::new(),
            to: to_ana.into(),
            text: "sí".into(),
            reply_to: Some(id),
        });
        let reaction = bob.send(Request::React {
            target: Target::With(to_ana.into()),
            line: id,
            emoji: "👍".into(),
            on: true,
        });
        let answer = bob.expect_frame("the reply's answer", |f| f.re == Some(reply));
        assert!(
            matches!(answer.message, ServerMessage::PrivateSent { .. }),
            "reply {n} to a message just received: {:?}",
            answer.message
        );
        // A reaction is answered by its event, or by an error naming the request.
        let answer = bob.expect_frame("the reaction", |f| {
            f.re == Some(reaction)
                || matches!(&f.message, ServerMessage::Reactions { line, .. } if *line == id)
        });
        assert!(
            matches!(answer.message, ServerMessage::Reactions { .. }),
            "reaction {n} to a message just received: {:?}",
            answer.message
        );
        ana.expect(
            "the quoted reply",
            |m| matches!(m, ServerMessage::Private { reply_to: Some(q), .. } if q.line == id),
        );
    }
}
