//! The users window and private conversations.

use egui_kittest::kittest::Queryable;

use super::support::*;

#[test]
fn the_users_window_opens_a_private_conversation_with_unread_counts() {
    let server = TestServer::start();
    server.register("eva");
    server.register("finn");
    server.register("gus");
    let mut eva = signed_in(&server, "eva");
    let mut finn = signed_in(&server, "finn");

    click(&mut eva, "Users");
    wait_for_text(&mut eva, "2 online, 3 registered");
    assert!(shows(&eva, "offline"), "gus never logged in");
    click(&mut eva, "finn");
    wait_for_text(&mut eva, "Private: finn");
    type_into(&mut eva, "Message to finn", "just between us");
    enter(&mut eva);

    wait_for_text(&mut finn, "eva, 1 unread");
    assert!(
        !shows(&finn, "just between us"),
        "closed conversations only count"
    );
    click_containing(&mut finn, "eva, 1 unread");
    wait_for_text(&mut finn, "just between us");
    wait_for_text(&mut eva, "eva (you)");
}

/// Types as a user would with the keyboard wherever it is, without clicking anything first.
fn type_blind(h: &mut Gui, text: &str) {
    h.event(egui::Event::Text(text.to_owned()));
    h.step();
}

#[test]
fn opening_a_conversation_puts_the_keyboard_in_it_and_never_in_the_room() {
    let (_server, [mut eva, mut finn, mut gus]) = together(["eva", "finn", "gus"]);
    wait_for_text(&mut eva, "gus joined");

    // From the member list: the window opens with the keyboard in its box.
    click(&mut eva, "finn");
    wait_for_text(&mut eva, "Private: finn");
    type_blind(&mut eva, "only for finn");
    assert_eq!(value(&eva, "Message to finn"), "only for finn");
    assert_eq!(value(&eva, "Message"), "", "nothing reached the room's box");
    enter(&mut eva);
    wait_until(&mut finn, "the private line", |h| shows(h, "eva, 1 unread"));
    assert_eq!(value(&eva, "Message to finn"), "");
    // A sentence of sixty characters reads whole in the window.
    let sentence = "Nos vemos mañana a las cuatro en la biblioteca del edificio B.";
    type_blind(&mut eva, sentence);
    enter(&mut eva);
    wait_until(&mut eva, "the sentence", |h| {
        text_node(h, sentence).is_some()
    });
    let window = eva
        .query_all_by_label_contains("Private: finn")
        .next()
        .unwrap()
        .rect();
    let line = text_node(&eva, sentence).unwrap().rect();
    assert!(
        line.right() <= window.right() + 1.0,
        "{line:?} is cut by {window:?}"
    );

    // From `#\private`: the conversation opens and the next keys go to it.
    say(&mut eva, "#\\private gus hi there");
    wait_for_text(&mut eva, "Private: gus");
    type_blind(&mut eva, "and more");
    assert_eq!(value(&eva, "Message to gus"), "and more");
    enter(&mut eva);
    wait_until(&mut gus, "both private lines", |h| {
        shows(h, "eva, 2 unread")
    });
    // Nobody in the room saw any of it.
    for h in [&mut finn, &mut gus] {
        h.step();
        assert!(!shows(h, "only for finn") && !shows(h, "and more"));
    }
}

#[test]
fn a_docked_conversation_takes_the_main_pane_and_the_keyboard() {
    let (_server, [mut eva, mut finn]) = together(["eva", "finn"]);
    wait_for_text(&mut eva, "finn joined");
    say(&mut eva, "#\\private finn are you there?");
    wait_for_text(&mut finn, "eva, 1 unread");
    assert_eq!(
        finn.state().title(),
        "(1) Chat",
        "the window title counts unread"
    );

    finn.state_mut()
        .apply(chat_gui::ui::Intent::DockConversations(true));
    click_containing(&mut finn, "eva, 1 unread");
    wait_for_text(&mut finn, "Back to lobby");
    assert!(
        !shows(&finn, "Private: eva"),
        "no window: the main pane shows it"
    );
    assert!(
        field(&finn, "Message").is_none(),
        "the room's box is not there"
    );
    assert_eq!(finn.state().title(), "Chat");
    type_blind(&mut finn, "yes!");
    enter(&mut finn);
    wait_until(&mut eva, "the answer", |h| text_node(h, "yes!").is_some());
    click_containing(&mut finn, "Back to lobby");
    wait_until(&mut finn, "the room's box", |h| {
        field(h, "Message").is_some()
    });
}
