//! Nothing said is lost: room history on entering and by page, the default room's history across
//! a restart, private messages kept for offline users, conversation history.

use chat_core::protocol::{Presence, Request, Said, ServerMessage};

use super::harness::{Client, TestServer, entered};

fn say(c: &mut Client, text: &str) {
    c.send(Request::Say {
        attachments: Vec::new(),
        reply_to: None,
        text: text.into(),
    });
    c.expect(
        "own echo",
        |m| matches!(m, ServerMessage::Message { text: t, .. } if t == text),
    );
}

fn history_of(m: &ServerMessage) -> (Vec<Said>, bool) {
    match m {
        ServerMessage::Entered {
            history,
            more_history,
            ..
        } => (history.clone(), *more_history),
        ServerMessage::History { messages, more, .. } => (messages.clone(), *more),
        other => panic!("expected history, got {other:?}"),
    }
}

fn texts(said: &[Said]) -> Vec<&str> {
    said.iter().map(|s| s.text.as_str()).collect()
}

#[test]
fn entering_a_room_shows_its_newest_lines_oldest_first_and_older_ones_page_back() {
    let server = TestServer::start_with(|c| {
        c.history_per_room = 5;
        c.flood_per_second = 0.0;
    });
    let mut ana = server.user("ana");
    entered(&ana.request(Request::CreateRoom {
        room: "aula".into(),
    }));
    for i in 0..8 {
        say(&mut ana, &format!("linea {i}"));
    }
    let mut bob = server.user("bob");
    let reply = bob.request(Request::EnterRoom {
        room: "aula".into(),
    });
    let (history, more) = history_of(&reply);
    // The room keeps its 5 newest; all fit in the frame; none older is kept.
    assert_eq!(
        texts(&history),
        ["linea 3", "linea 4", "linea 5", "linea 6", "linea 7"]
    );
    assert!(!more);
    assert!(
        history
            .windows(2)
            .all(|w| w[0].id < w[1].id && w[0].time <= w[1].time)
    );
    assert!(history.iter().all(|s| s.from == "ana" && s.room == "aula"));
    // Paging back from the second line.
    let page = bob.request(Request::History {
        room: "aula".into(),
        before: Some(history[2].id),
    });
    let (older, more) = history_of(&page);
    assert_eq!(texts(&older), ["linea 3", "linea 4"]);
    assert!(!more);
    // Only the room one is in.
    let mut eve = server.user("eve");
    assert_eq!(
        eve.refused(Request::History {
            room: "aula".into(),
            before: None
        }),
        chat_core::protocol::ErrorCode::Invalid
    );
}

#[test]
fn the_history_in_entered_fits_a_frame_even_with_the_longest_lines_in_four_byte_letters() {
    let server = TestServer::start_with(|c| c.flood_per_second = 0.0);
    let mut ana = server.user("ana");
    entered(&ana.request(Request::CreateRoom {
        room: "ancho".into(),
    }));
    let wide: String = std::iter::repeat_n('𠀀', 2000).collect();
    for _ in 0..60 {
        ana.send(Request::Say {
            attachments: Vec::new(),
            reply_to: None,
            text: wide.clone(),
        });
    }
    say(&mut ana, "la última");
    let mut bob = server.user("bob");
    let reply = bob.request(Request::EnterRoom {
        room: "ancho".into(),
    });
    let (history, more) = history_of(&reply);
    assert!(more, "60 lines of 8 kB cannot all fit");
    assert!((3..60).contains(&history.len()), "{} lines", history.len());
    assert_eq!(history.last().map(|s| s.text.as_str()), Some("la última"));
    // Page by page back to the first line, each page fitting a frame.
    let mut seen = history.len();
    let mut before = history.first().map(|s| s.id);
    loop {
        let (page, more) = history_of(&bob.request(Request::History {
            room: "ancho".into(),
            before,
        }));
        assert!(!page.is_empty());
        seen += page.len();
        before = page.first().map(|s| s.id);
        if !more {
            break;
        }
    }
    assert_eq!(seen, 61);
}

#[test]
fn the_default_rooms_history_survives_a_restart_and_a_created_rooms_closes_with_it() {
    let mut server = TestServer::start();
    {
        let mut ana = server.user("ana");
        say(&mut ana, "antes del reinicio");
        entered(&ana.request(Request::CreateRoom {
            room: "breve".into(),
        }));
        say(&mut ana, "se pierde");
        // Deleting the room loses its lines.
        ana.request(Request::DeleteRoom {
            room: "breve".into(),
        });
        entered(&ana.request(Request::CreateRoom {
            room: "breve".into(),
        }));
        let (history, _) = history_of(&ana.request(Request::History {
            room: "breve".into(),
            before: None,
        }));
        assert!(history.is_empty(), "{history:?}");
    }
    server.restart();
    let mut bob = server.user("bob");
    let reply = bob.request(Request::LeaveRoom);
    let (history, _) = history_of(&reply);
    assert_eq!(texts(&history), ["antes del reinicio"]);
    // New lines continue the numbering.
    say(&mut bob, "después");
    let (history, _) = history_of(&bob.request(Request::History {
        room: "lobby".into(),
        before: None,
    }));
    assert_eq!(texts(&history), ["antes del reinicio", "después"]);
    assert!(history[0].id < history[1].id);
}

#[test]
fn a_private_message_to_someone_offline_is_kept_and_delivered_at_the_next_login_after_a_restart() {
    let mut server = TestServer::start();
    let mut ana = server.user("ana");
    let bob = server.user("bob");
    drop(bob);
    server.wait_connections(1);
    for text in ["primero", "segundo"] {
        match ana.request(Request::Private {
            attachments: Vec::new(),
            reply_to: None,
            to: "BOB".into(),
            text: text.into(),
        }) {
            ServerMessage::PrivateStored { to, text: t, .. } => {
                assert_eq!((to.as_str(), t.as_str()), ("bob", text))
            }
            other => panic!("{other:?}"),
        }
    }
    drop(ana);
    server.restart();
    let mut bob = server.client();
    bob.login("bob");
    let mut got = Vec::new();
    for _ in 0..2 {
        let f = bob.expect_frame("a kept message", |f| {
            matches!(f.message, ServerMessage::Private { stored: true, .. })
        });
        got.push(f);
    }
    let texts: Vec<_> = got
        .iter()
        .map(|f| match &f.message {
            ServerMessage::Private { from, text, .. } => (from.clone(), text.clone()),
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(
        texts,
        [
            ("ana".into(), "primero".into()),
            ("ana".into(), "segundo".into())
        ]
    );
    assert!(got[0].time <= got[1].time, "their own times, oldest first");
    // Delivered once: the next login finds none.
    drop(bob);
    server.wait_connections(0);
    let mut again = server.client();
    again.login("bob");
    let rest = again.settle();
    assert!(
        !rest
            .iter()
            .any(|m| matches!(m, ServerMessage::Private { .. })),
        "{rest:?}"
    );
}

#[test]
fn kept_messages_are_bounded_and_the_recipient_is_told_how_many_went() {
    use chat_server::store::OFFLINE_PER_RECIPIENT;
    let server = TestServer::start_with(|c| c.flood_per_second = 0.0);
    let mut ana = server.user("ana");
    drop(server.user("bob"));
    server.wait_connections(1);
    let extra = 3;
    for i in 0..OFFLINE_PER_RECIPIENT + extra {
        ana.send(Request::Private {
            attachments: Vec::new(),
            reply_to: None,
            to: "bob".into(),
            text: format!("n{i}"),
        });
    }
    ana.settle();
    let mut bob = server.client();
    bob.login("bob");
    let first = bob.expect("the first kept", |m| {
        matches!(m, ServerMessage::Private { stored: true, .. })
    });
    assert!(
        matches!(&first, ServerMessage::Private { text, .. } if *text == format!("n{extra}")),
        "the oldest went: {first:?}"
    );
    let mut count = 1;
    loop {
        match bob.expect("kept or dropped", |m| {
            matches!(
                m,
                ServerMessage::Private { stored: true, .. } | ServerMessage::PrivateDropped { .. }
            )
        }) {
            ServerMessage::PrivateDropped { count: dropped } => {
                assert_eq!(dropped, extra as u64);
                break;
            }
            _ => count += 1,
        }
    }
    assert_eq!(count, OFFLINE_PER_RECIPIENT);
}

#[test]
fn a_conversation_is_kept_and_seen_again_from_another_session() {
    let server = TestServer::start();
    let mut ana = server.user("ana");
    let mut bob = server.user("bob");
    ana.request(Request::Private {
        attachments: Vec::new(),
        reply_to: None,
        to: "bob".into(),
        text: "hola bob".into(),
    });
    bob.request(Request::Private {
        attachments: Vec::new(),
        reply_to: None,
        to: "ana".into(),
        text: "hola ana".into(),
    });
    drop(ana);
    server.wait_connections(1);
    bob.request(Request::Private {
        attachments: Vec::new(),
        reply_to: None,
        to: "ana".into(),
        text: "¿sigues ahí?".into(),
    });
    // Ana, on another machine.
    let mut laptop = server.client();
    laptop.login("ana");
    let reply = laptop.request(Request::PrivateHistory {
        with: "BOB".into(),
        before: None,
    });
    let ServerMessage::PrivateHistory {
        with,
        messages,
        more,
    } = reply
    else {
        panic!("{reply:?}");
    };
    assert_eq!(with, "bob");
    assert!(!more);
    let lines: Vec<_> = messages
        .iter()
        .map(|m| (m.from.as_str(), m.to.as_str(), m.text.as_str()))
        .collect();
    assert_eq!(
        lines,
        [
            ("ana", "bob", "hola bob"),
            ("bob", "ana", "hola ana"),
            ("bob", "ana", "¿sigues ahí?"),
        ]
    );
    // Paging.
    let reply = laptop.request(Request::PrivateHistory {
        with: "bob".into(),
        before: Some(messages[2].id),
    });
    let ServerMessage::PrivateHistory {
        messages: older, ..
    } = reply
    else {
        panic!();
    };
    assert_eq!(older.len(), 2);
}

#[test]
fn presence_away_back_and_idle_are_told_to_the_room_and_shown_in_lists() {
    let server = TestServer::start_with(|c| c.away_after = std::time::Duration::from_millis(1500));
    let mut ana = server.user("ana");
    let mut bob = server.user("bob");
    ana.settle();
    match bob.request(Request::Away {
        text: Some("en clase".into()),
    }) {
        ServerMessage::Presence {
            presence: Presence::Away,
            text,
            ..
        } => {
            assert_eq!(text.as_deref(), Some("en clase"))
        }
        other => panic!("{other:?}"),
    }
    ana.expect("bob away", |m| {
        matches!(m, ServerMessage::Presence { login, presence: Presence::Away, .. } if login == "bob")
    });
    match ana.request(Request::ShowUsers { offset: 0 }) {
        ServerMessage::Users { users, .. } => {
            let b = users.iter().find(|u| u.login == "bob").expect("bob listed");
            assert_eq!(b.presence, Presence::Away);
            assert_eq!(b.away_text.as_deref(), Some("en clase"));
        }
        other => panic!("{other:?}"),
    }
    // Someone entering sees who is away.
    let mut cid = server.user("cid");
    let reply = cid.request(Request::LeaveRoom);
    assert!(
        matches!(&reply, ServerMessage::Entered { away, .. } if away.contains(&"bob".to_owned())),
        "{reply:?}"
    );
    bob.request(Request::Back);
    ana.expect("bob back", |m| {
        matches!(m, ServerMessage::Presence { login, presence: Presence::Online, .. } if login == "bob")
    });
    // Idle: ana sends nothing for longer than away_after (pings do not count) and is shown away,
    // then comes back with her next line.
    bob.expect("ana idle", |m| {
        matches!(m, ServerMessage::Presence { login, presence: Presence::Away, .. } if login == "ana")
    });
    ana.send(Request::Say {
        attachments: Vec::new(),
        reply_to: None,
        text: "aquí estoy".into(),
    });
    bob.expect("ana back", |m| {
        matches!(m, ServerMessage::Presence { login, presence: Presence::Online, .. } if login == "ana")
    });
    // A conversation partner in another room hears of presence too.
    entered(&cid.request(Request::CreateRoom {
        room: "lejos".into(),
    }));
    cid.request(Request::Private {
        attachments: Vec::new(),
        reply_to: None,
        to: "bob".into(),
        text: "hola".into(),
    });
    bob.request(Request::Away { text: None });
    cid.expect("bob away, told to a partner elsewhere", |m| {
        matches!(m, ServerMessage::Presence { login, presence: Presence::Away, .. } if login == "bob")
    });
    drop(bob);
    cid.expect("bob offline", |m| {
        matches!(m, ServerMessage::Presence { login, presence: Presence::Offline, .. } if login == "bob")
    });
}

/// Whether `m` says `who` is now `presence`.
fn presence_of(m: &ServerMessage, who: &str, presence: Presence) -> bool {
    matches!(m, ServerMessage::Presence { login, presence: p, .. } if login == who && *p == presence)
}

#[test]
fn a_users_list_keeps_its_logins_presence_current_in_no_shared_room() {
    let server = TestServer::start();
    let mut bob = server.user("bob");
    entered(&bob.request(Request::CreateRoom {
        room: "lejos".into(),
    }));
    let mut ana = server.user("ana");
    let mut cid = server.user("cid");
    // ana and cid in the default room, bob elsewhere and no one's partner: ana lists the users,
    // cid does not.
    match ana.request(Request::ShowUsers { offset: 0 }) {
        ServerMessage::Users { users, .. } => {
            assert!(users.iter().any(|u| u.login == "bob" && u.online));
        }
        other => panic!("{other:?}"),
    }
    bob.request(Request::Away {
        text: Some("en el laboratorio".into()),
    });
    let told = ana.expect("bob away, to the one who listed him", |m| {
        presence_of(m, "bob", Presence::Away)
    });
    assert!(
        matches!(&told, ServerMessage::Presence { text: Some(t), .. } if t == "en el laboratorio"),
        "{told:?}"
    );
    bob.request(Request::Back);
    ana.expect("bob back", |m| presence_of(m, "bob", Presence::Online));
    drop(bob);
    ana.expect("bob offline", |m| presence_of(m, "bob", Presence::Offline));
    let mut bob = server.client();
    bob.login("bob");
    ana.expect("bob online again", |m| {
        presence_of(m, "bob", Presence::Online)
    });
    // cid never listed anyone: none of that reached him.
    let cid_heard = cid.settle();
    assert!(
        !cid_heard
            .iter()
            .any(|m| matches!(m, ServerMessage::Presence { login, .. } if login == "bob")),
        "{cid_heard:?}"
    );
    // A later page replaces the watched one: after listing from an offset past bob, ana is no
    // longer told of him (bob is first: online users come first, by login).
    match ana.request(Request::ShowUsers { offset: 3 }) {
        ServerMessage::Users { users, .. } => assert!(users.iter().all(|u| u.login != "bob")),
        other => panic!("{other:?}"),
    }
    entered(&bob.request(Request::CreateRoom {
        room: "otra".into(),
    }));
    bob.request(Request::Away { text: None });
    let ana_heard = ana.settle();
    assert!(
        !ana_heard
            .iter()
            .any(|m| presence_of(m, "bob", Presence::Away)),
        "{ana_heard:?}"
    );
}

#[test]
fn typing_notices_pass_at_most_every_three_seconds_and_say_when_they_end() {
    let server = TestServer::start();
    let mut ana = server.user("ana");
    let mut bob = server.user("bob");
    for _ in 0..5 {
        ana.send(Request::Typing { to: "bob".into() });
    }
    let notice = bob.expect_frame("typing", |f| {
        matches!(f.message, ServerMessage::Typing { .. })
    });
    let ServerMessage::Typing { from, until } = notice.message else {
        unreachable!()
    };
    assert_eq!(from, "ana");
    assert!(
        (5_900..=6_100).contains(&(until - notice.time)),
        "lasts 6 s: {}",
        until - notice.time
    );
    ana.settle();
    let rest = bob.settle();
    assert!(
        !rest
            .iter()
            .any(|m| matches!(m, ServerMessage::Typing { .. })),
        "throttled: {rest:?}"
    );
    // A message ends the notice; the next one goes through at once.
    ana.request(Request::Private {
        attachments: Vec::new(),
        reply_to: None,
        to: "bob".into(),
        text: "listo".into(),
    });
    ana.send(Request::Typing { to: "bob".into() });
    ana.settle();
    bob.expect("typing again", |m| {
        matches!(m, ServerMessage::Typing { .. })
    });
}
