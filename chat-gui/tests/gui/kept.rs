//! Nothing said is lost: a room's earlier lines on entering, older pages by scrolling up, and
//! private messages kept for someone offline.

use std::time::{Duration, Instant};

use chat_core::client::{self, ClientOptions, Event};
use chat_core::protocol::{Password, Request, ServerMessage};
use chat_model::history::LineKind;
use egui_kittest::kittest::Queryable;

use super::support::*;

/// `login` says `lines` in the default room over a connection of its own, and waits until the
/// server has handled them all (each came back to the room, `login` included).
fn said_before(server: &TestServer, login: &str, lines: &[String]) {
    let connection = client::connect(&server.addr, ClientOptions::default());
    let id = connection.send(Request::Login {
        login: login.into(),
        password: Password::from(PASSWORD),
    });
    let deadline = Instant::now() + PATIENCE;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match connection.events().recv_timeout(left) {
            Ok(Event::Frame(f)) if f.re == Some(id) => {
                assert!(matches!(f.message, ServerMessage::LoggedIn { .. }), "{f:?}");
                break;
            }
            Ok(Event::Disconnected(d)) => panic!("{login} was disconnected: {d}"),
            Ok(_) => {}
            Err(_) => panic!("{login} did not log in"),
        }
    }
    for text in lines {
        connection.send(Request::Say {
            attachments: Vec::new(),
            reply_to: None,
            text: text.clone(),
        });
    }
    let mut echoed = 0;
    let deadline = Instant::now() + PATIENCE * 2;
    while echoed < lines.len() {
        let left = deadline.saturating_duration_since(Instant::now());
        match connection.events().recv_timeout(left) {
            Ok(Event::Frame(f)) => {
                echoed += usize::from(matches!(f.message, ServerMessage::Message { .. }));
                assert!(!matches!(f.message, ServerMessage::Error { .. }), "{f:?}");
            }
            Ok(Event::Disconnected(d)) => panic!("{login} was disconnected: {d}"),
            Ok(_) => {}
            Err(_) => panic!("{login}'s lines were not all handled in time"),
        }
    }
    connection.send(Request::Exit);
}

/// The texts of the room's lines the window holds, oldest first.
fn room_texts(h: &Gui) -> Vec<String> {
    h.state()
        .client
        .chat
        .current_history()
        .map(|history| {
            history
                .iter()
                .filter_map(|l| l.said().map(|(_, text)| text.to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

fn dividers(h: &Gui) -> usize {
    h.state()
        .client
        .chat
        .current_history()
        .map_or(0, |history| {
            history
                .iter()
                .filter(|l| l.kind == LineKind::EarlierAbove)
                .count()
        })
}

#[test]
fn a_room_shows_what_was_said_before_under_a_divider_and_scrolling_up_pages_back() {
    // `entered` carries the newest ten lines; the rest come a page at a time.
    let server = TestServer::start_with(|c| c.history_per_room = 10);
    server.register("ana");
    server.register("bob");
    // Long lines, so the ten newest fill more than the window and the oldest are off screen.
    let filler = "and a longer explanation of what we measured in the laboratory, ".repeat(5);
    let lines: Vec<String> = (1..=16).map(|n| format!("line {n}: {filler}")).collect();
    said_before(&server, "bob", &lines);

    let mut ana = signed_in(&server, "ana");
    wait_for_text(&mut ana, "Earlier messages");
    assert!(shows(&ana, "line 16:"), "the newest line is on screen");
    let held = room_texts(&ana);
    assert_eq!(held.len(), 10, "entered carried the ten newest");
    assert!(held[0].starts_with("line 7:"));
    assert_eq!(dividers(&ana), 1);

    // Scroll to the top of the lines: the page before them arrives and goes above.
    let deadline = Instant::now() + PATIENCE;
    while room_texts(&ana).len() < 16 {
        assert!(Instant::now() < deadline, "older pages did not arrive");
        ana.event(egui::Event::PointerMoved(egui::pos2(500.0, 300.0)));
        ana.event(egui::Event::MouseWheel {
            unit: egui::MouseWheelUnit::Point,
            delta: egui::vec2(0.0, 3000.0),
            modifiers: egui::Modifiers::NONE,
            phase: egui::TouchPhase::Move,
            source: egui::MouseWheelSource::Wheel,
        });
        ana.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    let held = room_texts(&ana);
    assert!(held[0].starts_with("line 1:"), "{:?}", &held[0][..8]);
    for (n, text) in held.iter().enumerate() {
        assert!(
            text.starts_with(&format!("line {}:", n + 1)),
            "in order, once each"
        );
    }
    assert_eq!(
        dividers(&ana),
        1,
        "pages go above the divider, not under a new one"
    );
    wait_for_text(&mut ana, "line 1:");

    // Leaving and coming back repeats nothing.
    say(&mut ana, "#cR other");
    wait_for_text(&mut ana, "You are in other");
    say(&mut ana, "#eR");
    wait_until(&mut ana, "back in the lobby", |h| {
        h.state().client.chat.room_name() == Some("lobby")
    });
    ana.step();
    assert_eq!(room_texts(&ana).len(), 16);
}

#[test]
fn a_message_to_someone_offline_is_kept_and_delivered_marked_at_their_login() {
    let server = TestServer::start();
    server.register("ana");
    server.register("bob");
    let mut ana = signed_in(&server, "ana");
    say(&mut ana, "#\\private bob see you at the library");
    wait_for_text(&mut ana, "Kept by the server: delivered when they log in");

    let mut bob = signed_in(&server, "bob");
    wait_for_text(&mut bob, "ana, 1 unread");
    click_containing(&mut bob, "ana, 1 unread");
    wait_for_text(&mut bob, "see you at the library");
    assert!(shows(&bob, "Sent while you were away"));
    // The conversation's kept page holds the same message: it shows once.
    wait_until(&mut bob, "the conversation's kept messages", |h| {
        h.state()
            .client
            .chat
            .conversation("ana")
            .is_some_and(|c| c.first_page == chat_model::chat::FirstPage::Arrived)
    });
    let copies = bob
        .query_all_by_label_contains("see you at the library")
        .filter(|n| n.value().as_deref() == Some("see you at the library"))
        .count();
    assert_eq!(copies, 1);
}

#[test]
fn a_conversation_opened_later_shows_what_was_said_in_it_before() {
    let server = TestServer::start();
    server.register("ana");
    server.register("bob");
    let mut bob = signed_in(&server, "bob");
    say(
        &mut bob,
        "#\\private ana the notes are in the shared folder",
    );
    wait_for_text(&mut bob, "Kept by the server");
    // Bob logs in elsewhere later (a new window): the conversation comes back from the server.
    drop(bob);
    let mut again = signed_in(&server, "bob");
    click(&mut again, "Users");
    wait_for_text(&mut again, "2 registered");
    click(&mut again, "ana");
    wait_for_text(&mut again, "Private: ana");
    wait_for_text(&mut again, "the notes are in the shared folder");
    assert!(shows(&again, "Earlier messages"));
}
