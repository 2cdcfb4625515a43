//! Room messages between two clients, and rooms made and entered with the mouse.

use egui_kittest::kittest::Queryable;

use super::support::*;

#[test]
fn a_message_reaches_a_second_client_and_own_lines_are_marked() {
    let (_server, [mut ana, mut bob]) = together(["ana", "bob"]);
    wait_for_text(&mut ana, "bob joined");
    say(&mut ana, "hello from ana");
    wait_for_text(&mut bob, "hello from ana");
    wait_for_text(&mut ana, "ana (you)");
    assert!(
        !shows(&bob, "ana (you)"),
        "only the author's own lines say so"
    );
    // The member list of both shows both: each can click the other to write privately.
    wait_for_text(&mut ana, "lobby, 2 members");
    assert!(shows_button(&ana, "bob"));
    assert!(shows_button(&bob, "ana"));
}

#[test]
fn rooms_created_and_entered_with_the_mouse_update_everyones_room_list() {
    let (_server, [mut cleo, mut dan]) = together(["cleo", "dan"]);

    click_containing(&mut cleo, "New room");
    type_into(&mut cleo, "Room name", "games");
    click(&mut cleo, "Create");
    wait_for_text(&mut cleo, "You are in games");
    // The room list is pushed to everyone.
    wait_for_text(&mut dan, "games, 1 member");

    click_containing(&mut dan, "games, 1 member");
    wait_for_text(&mut dan, "You are in games");
    wait_for_text(&mut cleo, "dan joined");
    wait_for_text(&mut cleo, "games, 2 members");

    // Only the creator is offered to delete it, after saying yes; deleting sends everyone home.
    assert!(!shows(&dan, "Delete room…"));
    click(&mut cleo, "Delete room…");
    wait_for_text(&mut cleo, "Delete games?");
    click(&mut cleo, "Cancel");
    wait_until(&mut cleo, "the question to go", |h| {
        !shows(h, "Delete games?")
    });
    assert!(!shows(&dan, "deleted"), "nothing happened");
    click(&mut cleo, "Delete room…");
    wait_for_text(&mut cleo, "Delete games?");
    click(&mut cleo, "Delete");
    wait_for_text(
        &mut dan,
        "games was deleted by its creator. You are in lobby",
    );
    wait_for_text(&mut cleo, "You deleted games. You are in lobby");
    wait_until(&mut dan, "the room list without games", |h| {
        !shows(h, "games, ")
    });
    // One notice for one deletion.
    let notices = cleo.query_all_by_label_contains("deleted games").count();
    assert_eq!(notices, 1);

    click(&mut dan, "Users");
    wait_for_text(&mut dan, "registered");
    assert!(shows(&dan, "cleo"));
}
