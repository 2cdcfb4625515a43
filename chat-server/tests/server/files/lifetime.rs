//! Who may fetch a file, and how long it lives, over real TCP: the uploader and whoever can
//! read a line or message that carries it (anyone else the same answer as for no file); a file
//! goes once nothing carries it any more (the room's history, a conversation's newest 500, a
//! deleted line or message), after its grace, and stays while a message carrying it waits for
//! its offline recipient.

use std::time::Duration;

use chat_core::protocol::{Attachment, Request, ServerMessage, Target};

use super::super::harness::{TestServer, signed_in};
use super::{Http, bytes, download, upload};

#[test]
fn a_reply_to_a_line_of_files_alone_quotes_their_names() {
    let server = TestServer::start();
    let (mut ana, token) = signed_in(server.addr(), "ana");
    let (mut bob, _) = signed_in(server.addr(), "bob");
    let mut http = Http::plain(server.addr());
    let file = upload(&mut http, &token, "pizarra.png", &bytes(30));
    ana.send(Request::Say {
        text: String::new(),
        reply_to: None,
        attachments: vec![file],
    });
    let line = match bob.expect(
        "the line of files",
        |m| matches!(m, ServerMessage::Message { from, .. } if from == "ana"),
    ) {
        ServerMessage::Message { id, .. } => id,
        _ => unreachable!(),
    };
    bob.send(Request::Say {
        text: "¡gracias!".into(),
        reply_to: Some(line),
        attachments: Vec::new(),
    });
    let quote = match ana.expect(
        "the reply",
        |m| matches!(m, ServerMessage::Message { text, .. } if text == "¡gracias!"),
    ) {
        ServerMessage::Message { reply_to, .. } => reply_to,
        _ => unreachable!(),
    };
    // An empty excerpt would say the line was deleted.
    assert_eq!(quote.map(|q| q.excerpt).as_deref(), Some("📎 pizarra.png"));
}

#[test]
fn who_may_fetch_is_who_can_read_the_line_and_the_same_content_is_stored_once() {
    let server = TestServer::start();
    let (mut ana, ana_token) = signed_in(server.addr(), "ana");
    let (mut bob, bob_token) = signed_in(server.addr(), "bob");
    let (mut cai, cai_token) = signed_in(server.addr(), "cai");
    for c in [&mut ana, &mut bob, &mut cai] {
        c.settle();
    }
    let mut http = Http::plain(server.addr());
    let photo = bytes(70_000);
    let id = upload(&mut http, &ana_token, "foto.png", &photo);
    // The same content under another name: one object on disk.
    let again = upload(&mut http, &ana_token, "copia.png", &photo);
    assert_ne!(id, again);
    assert_eq!(server.handle().stored_objects(), 1);
    // Before any line carries it, only its uploader may fetch it; to anyone else it is
    // exactly a file that does not exist.
    assert_eq!(download(&mut http, &bob_token, &id, None).status, 404);
    let missing = download(
        &mut http,
        &bob_token,
        "00000000000000000000000000000000",
        None,
    );
    let hidden = download(&mut http, &bob_token, &id, None);
    assert_eq!((hidden.status, hidden.body), (missing.status, missing.body));
    // Said in a room: its members may fetch it; someone elsewhere may not.
    ana.request(Request::CreateRoom {
        room: "aula".into(),
    });
    bob.request(Request::EnterRoom {
        room: "aula".into(),
    });
    ana.send(Request::Say {
        text: "la foto".into(),
        reply_to: None,
        attachments: vec![id.clone()],
    });
    let shown = match bob.expect("the line", |m| matches!(m, ServerMessage::Message { .. })) {
        ServerMessage::Message { attachments, .. } => attachments,
        _ => unreachable!(),
    };
    assert_eq!(
        shown,
        [Attachment {
            id: id.clone(),
            name: "foto.png".into(),
            size: 70_000,
            mime: "application/octet-stream".into(),
            width: None,
            height: None,
            preview: false,
        }]
    );
    assert!(download(&mut http, &bob_token, &id, None).body == photo);
    assert_eq!(download(&mut http, &cai_token, &id, None).status, 404);
    // A file nobody may see cannot be attached by someone else.
    assert_eq!(
        cai.refused(Request::Say {
            text: "robada".into(),
            reply_to: None,
            attachments: vec![again.clone()],
        }),
        chat_core::protocol::ErrorCode::FileNotFound
    );
    // In a private message: the two of the conversation.
    ana.request(Request::Private {
        to: "cai".into(),
        text: String::new(),
        reply_to: None,
        attachments: vec![again.clone()],
    });
    cai.expect(
        "the private file",
        |m| matches!(m, ServerMessage::Private { attachments, .. } if attachments.len() == 1),
    );
    assert!(download(&mut http, &cai_token, &again, None).body == photo);
    assert_eq!(download(&mut http, &bob_token, &again, None).status, 404);
    // The history carries the file too.
    match bob.request(Request::History {
        room: "aula".into(),
        before: None,
    }) {
        ServerMessage::History { messages, .. } => {
            assert_eq!(messages.last().unwrap().attachments[0].id, id);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_file_nothing_carries_any_more_goes_after_its_grace() {
    let server = TestServer::start_with(|c| c.file_grace = Duration::from_secs(3600));
    let (mut ana, token) = signed_in(server.addr(), "ana");
    let mut http = Http::plain(server.addr());
    let never_used = upload(&mut http, &token, "a.bin", &bytes(10));
    let carried = upload(&mut http, &token, "b.bin", &bytes(20));
    ana.request(Request::CreateRoom { room: "tmp".into() });
    ana.send(Request::Say {
        text: "archivo".into(),
        reply_to: None,
        attachments: vec![carried.clone()],
    });
    ana.settle();
    server.advance(Duration::from_secs(3601));
    assert_eq!(server.handle().sweep_files(), 1, "the one never used went");
    assert_eq!(download(&mut http, &token, &never_used, None).status, 404);
    assert!(download(&mut http, &token, &carried, None).status == 200);
    // The room closes with its lines: its file stays for the grace period, then goes.
    ana.request(Request::DeleteRoom { room: "tmp".into() });
    server.handle().sweep_files();
    assert_eq!(download(&mut http, &token, &carried, None).status, 200);
    server.advance(Duration::from_secs(3601));
    assert_eq!(server.handle().sweep_files(), 1);
    assert_eq!(download(&mut http, &token, &carried, None).status, 404);
    assert_eq!(server.handle().stored_objects(), 0);
}

/// The two ways a file's line leaves without anyone deleting it: a room's history moves past
/// it, and a conversation keeps only its last messages. Past its grace, the file goes.
#[test]
fn a_file_goes_once_the_history_or_the_conversation_no_longer_keeps_its_line() {
    let server = TestServer::start_with(|c| {
        c.file_grace = Duration::from_secs(3600);
        c.history_per_room = 3;
        c.flood_per_second = 0.0;
        // The clock goes forward by hours here: nobody is dropped as idle for it (the room
        // would close with its creator, which is not what this proves).
        c.idle_timeout = Duration::from_secs(30 * 24 * 3600);
    });
    let (mut ana, token) = signed_in(server.addr(), "ana");
    let (mut bob, bob_token) = signed_in(server.addr(), "bob");
    let mut http = Http::plain(server.addr());
    let gone_past_grace = |http: &mut Http, id: &str| {
        server.handle().sweep_files();
        server.advance(Duration::from_secs(3601));
        server.handle().sweep_files();
        download(http, &token, id, None).status == 404
    };
    // A room's history: three more lines push the file's out.
    let in_room = upload(&mut http, &token, "pizarra.bin", &bytes(30));
    ana.request(Request::CreateRoom {
        room: "aula".into(),
    });
    ana.send(Request::Say {
        text: "la pizarra".into(),
        reply_to: None,
        attachments: vec![in_room.clone()],
    });
    ana.settle();
    assert!(
        !gone_past_grace(&mut http, &in_room),
        "kept while its line is"
    );
    for n in 0..3 {
        ana.send(Request::Say {
            text: format!("línea {n}"),
            reply_to: None,
            attachments: Vec::new(),
        });
    }
    ana.settle();
    assert!(
        gone_past_grace(&mut http, &in_room),
        "its line left the history"
    );
    // A conversation: the message stays past the grace while the conversation keeps it, and
    // goes with it once as many newer messages follow as a conversation keeps.
    let in_private = upload(&mut http, &token, "apuntes.bin", &bytes(40));
    ana.request(Request::Private {
        to: "bob".into(),
        text: String::new(),
        reply_to: None,
        attachments: vec![in_private.clone()],
    });
    bob.settle();
    assert!(
        !gone_past_grace(&mut http, &in_private),
        "kept while its message is"
    );
    for n in 0..chat_server::store::CONVERSATION_KEPT {
        ana.request(Request::Private {
            to: "bob".into(),
            text: format!("mensaje {n}"),
            reply_to: None,
            attachments: Vec::new(),
        });
    }
    bob.settle();
    // Its reader no longer fetches it once the sweep finds the conversation let it go (its
    // uploader still may, until the grace is over).
    let hidden = (0..20).any(|_| {
        server.handle().sweep_files();
        let hidden = download(&mut http, &bob_token, &in_private, None).status == 404;
        if !hidden {
            std::thread::sleep(Duration::from_millis(50));
        }
        hidden
    });
    assert!(hidden, "bob still fetches a file no message of his carries");
    assert_eq!(download(&mut http, &token, &in_private, None).status, 200);
    // (The conversation is written a moment after each message: a few rounds at most.)
    let gone = (0..20).any(|_| {
        let gone = gone_past_grace(&mut http, &in_private);
        if !gone {
            std::thread::sleep(Duration::from_millis(50));
        }
        gone
    });
    assert!(gone, "its message left the conversation");
}

#[test]
fn a_file_in_a_message_kept_for_someone_offline_stays_until_delivered_past_the_conversation() {
    let server = TestServer::start_with(|c| {
        c.file_grace = Duration::from_secs(3600);
        c.flood_per_second = 0.0;
        c.idle_timeout = Duration::from_secs(30 * 24 * 3600);
    });
    let (mut ana, token) = signed_in(server.addr(), "ana");
    let (bob, _) = signed_in(server.addr(), "bob");
    drop(bob);
    server.wait_connections(1);
    let mut http = Http::plain(server.addr());
    let file = upload(&mut http, &token, "apuntes.bin", &bytes(40));
    let mut say = |text: String, attachments: Vec<String>| {
        let stored = ana.request(Request::Private {
            to: "bob".into(),
            text,
            reply_to: None,
            attachments,
        });
        assert!(
            matches!(stored, ServerMessage::PrivateStored { .. }),
            "{stored:?}"
        );
    };
    say("los apuntes".into(), vec![file.clone()]);
    // As many more as a conversation keeps: the first leaves the conversation, but still
    // waits for bob among his kept messages.
    for n in 0..chat_server::store::CONVERSATION_KEPT {
        say(format!("mensaje {n}"), Vec::new());
    }
    for _ in 0..5 {
        server.handle().sweep_files();
        server.advance(Duration::from_secs(3601));
        server.handle().sweep_files();
        std::thread::sleep(Duration::from_millis(50));
    }
    let (mut bob, bob_token) = signed_in(server.addr(), "bob");
    let first = bob.expect("the first kept message", |m| {
        matches!(m, ServerMessage::Private { stored: true, .. })
    });
    let ServerMessage::Private { attachments, .. } = first else {
        unreachable!()
    };
    assert_eq!(
        attachments.first().map(|a| a.id.as_str()),
        Some(file.as_str())
    );
    let got = download(&mut http, &bob_token, &file, None);
    assert_eq!(
        got.status, 200,
        "the file of a message still to be delivered"
    );
    assert_eq!(got.body, bytes(40));
    // Delivered, and out of the conversation: now nothing carries it, and it goes.
    bob.settle();
    let gone = (0..20).any(|_| {
        server.handle().sweep_files();
        server.advance(Duration::from_secs(3601));
        server.handle().sweep_files();
        let gone = download(&mut http, &token, &file, None).status == 404;
        if !gone {
            std::thread::sleep(Duration::from_millis(50));
        }
        gone
    });
    assert!(gone, "delivered, nothing carries it");
}

#[test]
fn a_private_message_kept_for_its_offline_recipient_arrives_with_its_files() {
    let server = TestServer::start();
    drop(signed_in(server.addr(), "bob"));
    server.wait_connections(0);
    let (mut ana, ana_token) = signed_in(server.addr(), "ana");
    let mut http = Http::plain(server.addr());
    let notes = bytes(5_000);
    let id = upload(&mut http, &ana_token, "apuntes.pdf", &notes);
    ana.request(Request::Private {
        to: "bob".into(),
        text: String::new(),
        reply_to: None,
        attachments: vec![id.clone()],
    });
    // Bob logs in later: the message was kept, and comes with its file, which he may fetch.
    let (mut bob, bob_token) = signed_in(server.addr(), "bob");
    let kept = bob.expect("the kept message", |m| {
        matches!(m, ServerMessage::Private { stored: true, .. })
    });
    let ServerMessage::Private { attachments, .. } = kept else {
        unreachable!()
    };
    assert_eq!(attachments.len(), 1, "{attachments:?}");
    assert_eq!(
        (attachments[0].id.as_str(), attachments[0].size),
        (id.as_str(), 5_000)
    );
    assert_eq!(attachments[0].name, "apuntes.pdf");
    assert!(download(&mut http, &bob_token, &id, None).body == notes);
}

#[test]
fn a_deleted_line_or_message_takes_its_files_with_it() {
    let server = TestServer::start_with(|c| c.file_grace = Duration::from_secs(3600));
    let (mut ana, ana_token) = signed_in(server.addr(), "ana");
    let (mut bob, bob_token) = signed_in(server.addr(), "bob");
    for c in [&mut ana, &mut bob] {
        c.settle();
    }
    let mut http = Http::plain(server.addr());
    let in_room = upload(&mut http, &ana_token, "equivocada.png", &bytes(2_000));
    let in_private = upload(&mut http, &ana_token, "privada.png", &bytes(3_000));
    ana.request(Request::CreateRoom {
        room: "aula".into(),
    });
    bob.request(Request::EnterRoom {
        room: "aula".into(),
    });
    ana.send(Request::Say {
        text: "ups".into(),
        reply_to: None,
        attachments: vec![in_room.clone()],
    });
    let ServerMessage::Message { id: line, .. } =
        bob.expect("the line", |m| matches!(m, ServerMessage::Message { .. }))
    else {
        unreachable!()
    };
    let message = match ana.request(Request::Private {
        to: "bob".into(),
        text: String::new(),
        reply_to: None,
        attachments: vec![in_private.clone()],
    }) {
        ServerMessage::PrivateSent { id, .. } => id,
        other => panic!("{other:?}"),
    };
    assert_eq!(download(&mut http, &bob_token, &in_room, None).status, 200);
    assert_eq!(
        download(&mut http, &bob_token, &in_private, None).status,
        200
    );
    // Deleted: the room's members and the partner may not fetch them any more, and the
    // history shows the line without them.
    ana.request(Request::DeleteMessage {
        target: Target::Room("aula".into()),
        line,
    });
    ana.request(Request::DeleteMessage {
        target: Target::With("bob".into()),
        line: message,
    });
    assert_eq!(download(&mut http, &bob_token, &in_room, None).status, 404);
    assert_eq!(
        download(&mut http, &bob_token, &in_private, None).status,
        404
    );
    match bob.request(Request::History {
        room: "aula".into(),
        before: None,
    }) {
        ServerMessage::History { messages, .. } => {
            let deleted = messages.iter().find(|m| m.id == line).expect("the line");
            assert!(
                deleted.deleted && deleted.attachments.is_empty(),
                "{deleted:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    // Nothing carries them: they go after the grace period.
    server.advance(Duration::from_secs(3601));
    server.handle().sweep_files();
    server.advance(Duration::from_secs(3601));
    assert_eq!(server.handle().sweep_files(), 2);
    assert_eq!(server.handle().stored_objects(), 0);
}
