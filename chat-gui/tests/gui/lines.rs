//! What people do to lines once said, seen from another window: replies with their quote,
//! reactions, edits, deletions, receipts of private messages, and a room's creator keeping
//! order.

use egui::{Key, Modifiers};
use egui_kittest::kittest::{By, NodeT, Queryable};

use super::support::*;

#[test]
fn a_reply_shows_its_quote_above_the_box_and_at_the_other_client() {
    let (_server, [mut ana, mut bob]) = together(["ana", "bob"]);
    say(&mut ana, "where is the exam?");
    select_line(&mut bob, "ana", "where is the exam?");
    click(&mut bob, "Reply");
    wait_for_text(&mut bob, "Replying to ana: where is the exam?");
    assert!(
        field(&bob, "Message").unwrap().is_focused(),
        "the keyboard goes to the box"
    );
    // Escape gives the reply up; the keyboard stays in the box.
    bob.key_press(Key::Escape);
    bob.step();
    bob.step();
    assert!(!shows(&bob, "Replying to ana"));
    select_line(&mut bob, "ana", "where is the exam?");
    click(&mut bob, "Reply");
    type_into(&mut bob, "Message", "room 4, at nine");
    enter(&mut bob);
    wait_for_text(&mut ana, "In reply to ana: where is the exam?");
    wait_until(&mut ana, "the answer", |h| {
        text_node(h, "room 4, at nine").is_some()
    });
    assert!(
        !shows(&bob, "Replying to"),
        "the quote over the box went with the line"
    );
    // The quote leads to the line it answers.
    click(&mut ana, "In reply to ana: where is the exam?");
    assert!(text_node(&ana, "where is the exam?").is_some());
}

#[test]
fn a_reaction_shows_its_count_at_the_other_client_and_a_click_adds_to_it() {
    let (_server, [mut ana, mut bob]) = together(["ana", "bob"]);
    say(&mut ana, "pizza on friday?");
    select_line(&mut bob, "ana", "pizza on friday?");
    click(&mut bob, "React");
    let thumbs = chat_model::emoji::get("👍")
        .map(chat_model::emoji::code)
        .unwrap();
    wait_until(&mut bob, "the quick reactions", |h| shows_button(h, thumbs));
    click(&mut bob, thumbs);
    wait_until(&mut ana, "one thumb", |h| shows_button(h, "👍 1"));
    wait_until(&mut bob, "one thumb", |h| shows_button(h, "👍 1"));
    // A click on the chip puts ana's on too.
    click(&mut ana, "👍 1");
    wait_until(&mut bob, "two thumbs", |h| shows_button(h, "👍 2"));
    // And again takes it off.
    wait_until(&mut ana, "two thumbs", |h| shows_button(h, "👍 2"));
    click(&mut ana, "👍 2");
    wait_until(&mut bob, "one thumb again", |h| shows_button(h, "👍 1"));
}

#[test]
fn up_in_an_empty_box_edits_the_last_line_and_everyone_sees_it_edited() {
    let (_server, [mut ana, mut bob]) = together(["ana", "bob"]);
    say(&mut ana, "the exam is on mondya");
    wait_until(&mut bob, "the line", |h| {
        text_node(h, "the exam is on mondya").is_some()
    });
    wait_until(&mut ana, "the own line", |h| {
        text_node(h, "the exam is on mondya").is_some()
    });
    field(&ana, "Message").unwrap().focus();
    ana.step();
    ana.key_press(Key::ArrowUp);
    ana.step();
    ana.step();
    assert_eq!(value(&ana, "Message"), "the exam is on mondya");
    wait_for_text(&mut ana, "Editing your message");
    for _ in 0.."mondya".len() {
        ana.key_press(Key::Backspace);
        ana.step();
    }
    field(&ana, "Message").unwrap().type_text("monday");
    ana.step();
    enter(&mut ana);
    wait_until(&mut bob, "the edited line", |h| {
        text_node(h, "the exam is on monday").is_some() && shows(h, "(edited)")
    });
    assert!(text_node(&bob, "the exam is on mondya").is_none());
    wait_until(&mut ana, "the box as it was", |h| {
        value(h, "Message").is_empty()
    });
    assert!(!shows(&ana, "Editing your message"));
}

#[test]
fn a_deleted_line_shows_as_deleted_everywhere() {
    let (_server, [mut ana, mut bob]) = together(["ana", "bob"]);
    say(&mut ana, "oops, wrong room");
    wait_until(&mut bob, "the line", |h| {
        text_node(h, "oops, wrong room").is_some()
    });
    select_line(&mut ana, "ana", "oops, wrong room");
    click(&mut ana, "Delete");
    wait_for_text(&mut ana, "Delete this message?");
    // The dialog's button is drawn last.
    click(&mut ana, "Delete");
    wait_until(&mut bob, "the placeholder", |h| {
        shows(h, "message deleted") && text_node(h, "oops, wrong room").is_none()
    });
    wait_for_text(&mut ana, "message deleted");
}

#[test]
fn a_private_message_is_delivered_then_read() {
    let (_server, [mut ana, mut bob]) = together(["ana", "bob"]);
    wait_until(&mut ana, "bob in the members", |h| shows_button(h, "bob"));
    click(&mut ana, "bob");
    wait_for_text(&mut ana, "Private: bob");
    type_into(&mut ana, "Message to bob", "did you read the notes?");
    enter(&mut ana);
    wait_until(&mut ana, "delivered", |h| labelled(h, "Delivered"));
    assert!(
        !labelled(&ana, "Read"),
        "not read while bob has not opened it"
    );
    // Bob opens the conversation and sees the message: ana's ticks turn to read.
    wait_for_text(&mut bob, "ana, 1 unread");
    click_containing(&mut bob, "ana, 1 unread");
    wait_until(&mut bob, "the message", |h| {
        text_node(h, "did you read the notes?").is_some()
    });
    wait_until(&mut ana, "read", |h| labelled(h, "Read"));
}

/// Whether a widget or a plain label is labelled exactly `label` (the ticks are labels).
fn labelled(h: &Gui, label: &str) -> bool {
    h.query_all(By::new().recursive(true).include_labels())
        .any(|n| n.accesskit_node().label().as_deref() == Some(label))
}

#[test]
fn a_rooms_creator_mutes_a_member_who_is_then_refused() {
    let (_server, [mut ana, mut bob]) = together(["ana", "bob"]);
    say(&mut ana, "#cR taller");
    wait_for_text(&mut ana, "You are in taller");
    say(&mut bob, "#gR taller");
    wait_for_text(&mut bob, "You are in taller");
    wait_until(&mut ana, "bob in the members", |h| shows_button(h, "bob"));
    ana.query_all_by_label("bob")
        .find(|n| n.accesskit_node().role() == egui::accesskit::Role::Button)
        .unwrap()
        .click_secondary();
    ana.step();
    ana.step();
    click(&mut ana, "Mute bob");
    click(&mut ana, "10 minutes");
    wait_for_text(&mut bob, "bob was muted by ana");
    say(&mut bob, "can I still talk?");
    wait_for_text(&mut bob, "You are muted in this room until");
    // The creator lets bob speak again, from the keyboard this time.
    ana.query_all_by_label("bob 🔇")
        .chain(ana.query_all_by_label("bob"))
        .find(|n| n.accesskit_node().role() == egui::accesskit::Role::Button)
        .unwrap()
        .focus();
    ana.step();
    ana.key_press_modifiers(Modifiers::SHIFT, Key::F10);
    ana.step();
    ana.step();
    click(&mut ana, "Unmute bob");
    wait_for_text(&mut bob, "bob was unmuted by ana");
    say(&mut bob, "thanks");
    wait_until(&mut ana, "bob's line", |h| text_node(h, "thanks").is_some());
}

#[test]
fn a_reported_line_reaches_an_administrator_with_its_reason() {
    let server = TestServer::start_with(|c| c.admins = vec!["bob".into()]);
    for login in ["ana", "bob", "carol"] {
        server.register(login);
    }
    let [mut ana, mut bob, mut carol] = ["ana", "bob", "carol"].map(|l| signed_in(&server, l));
    say(&mut ana, "buy cheap essays here");
    select_line(&mut carol, "ana", "buy cheap essays here");
    click(&mut carol, "More");
    click_containing(&mut carol, "Report");
    wait_for_text(&mut carol, "Report a message");
    type_into(&mut carol, "Reason (optional)", "spam");
    click(&mut carol, "Send report");
    wait_until(&mut carol, "the dialog closed", |h| {
        !shows(h, "Report a message")
    });
    // Nobody but an administrator hears of it.
    assert!(!shows(&ana, "1 report"));
    wait_for_text(&mut bob, "1 report");
    click_containing(&mut bob, "1 report");
    wait_for_text(&mut bob, "carol reported, in lobby");
    wait_for_text(&mut bob, "ana: buy cheap essays here");
    wait_for_text(&mut bob, "Reason: spam");
}
