//! The users window and private conversations.

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

    wait_for_text(&mut finn, "eva (1)");
    assert!(
        !shows(&finn, "just between us"),
        "closed conversations only count"
    );
    click_containing(&mut finn, "eva (1)");
    wait_for_text(&mut finn, "just between us");
    wait_for_text(&mut eva, "eva (you):");
}
