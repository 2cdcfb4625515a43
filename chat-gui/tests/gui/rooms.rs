//! Room messages between two clients, and rooms made and entered with the mouse.

use super::support::*;

#[test]
fn a_message_reaches_a_second_client_and_own_lines_are_marked() {
    let server = TestServer::start();
    server.register("ana");
    server.register("bob");
    let mut ana = signed_in(&server, "ana");
    let mut bob = signed_in(&server, "bob");
    wait_for_text(&mut ana, "bob joined");
    say(&mut ana, "hello from ana");
    wait_for_text(&mut bob, "hello from ana");
    wait_for_text(&mut ana, "ana (you):");
    assert!(shows(&bob, "ana:"));
    // The member list of both shows both.
    wait_for_text(&mut ana, "lobby (2)");
    assert!(shows(&bob, "ana"));
}

#[test]
fn rooms_created_and_entered_with_the_mouse_update_everyones_room_list() {
    let server = TestServer::start();
    server.register("cleo");
    server.register("dan");
    let mut cleo = signed_in(&server, "cleo");
    let mut dan = signed_in(&server, "dan");

    click_containing(&mut cleo, "New room");
    type_into(&mut cleo, "Room name", "games");
    click(&mut cleo, "Create");
    wait_for_text(&mut cleo, "You are in games");
    // The room list is pushed to everyone.
    wait_for_text(&mut dan, "games (1)");

    click_containing(&mut dan, "games (1)");
    wait_for_text(&mut dan, "You are in games");
    wait_for_text(&mut cleo, "dan joined");
    wait_for_text(&mut cleo, "games (2)");

    // Only the creator is offered to delete it; deleting sends everyone home.
    assert!(!shows(&dan, "Delete room"));
    click(&mut cleo, "Delete room");
    wait_for_text(&mut dan, "games was deleted by its creator");
    wait_until(&mut dan, "the room list without games", |h| {
        !shows(h, "games (")
    });

    click(&mut dan, "Users");
    wait_for_text(&mut dan, "registered");
    assert!(shows(&dan, "cleo"));
}
