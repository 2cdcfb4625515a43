//! Presence and typing as the other side sees them: "is typing…" while they type to you, their
//! away message, back again.

use super::support::*;

#[test]
fn typing_and_away_show_in_the_conversation_with_them() {
    let (_server, [mut ana, mut bob]) = together(["ana", "bob"]);
    wait_for_text(&mut ana, "bob joined");
    click(&mut ana, "bob");
    wait_for_text(&mut ana, "Private: bob");

    click(&mut bob, "ana");
    wait_for_text(&mut bob, "Private: ana");
    bob.event(egui::Event::Text("I am writ".into()));
    bob.step();
    wait_for_text(&mut ana, "bob is typing…");
    enter(&mut bob);
    wait_until(&mut ana, "the message to end the typing", |h| {
        text_node(h, "I am writ").is_some() && !shows(h, "bob is typing…")
    });

    say(&mut bob, "#away at lunch");
    wait_for_text(&mut ana, "away: at lunch");
    say(&mut bob, "#back");
    wait_until(&mut ana, "bob back", |h| !shows(h, "away: at lunch"));
    assert!(shows(&ana, "online"));
}

#[test]
fn a_partner_who_logs_out_is_shown_offline_not_online() {
    let (_server, [mut ana, bob]) = together(["ana", "bob"]);
    wait_for_text(&mut ana, "bob joined");
    click(&mut ana, "bob");
    wait_for_text(&mut ana, "Private: bob");
    wait_for_text(&mut ana, "online");
    // bob's window closes: the server says only that he left the room.
    drop(bob);
    wait_for_text(&mut ana, "bob left");
    wait_until(&mut ana, "bob shown offline", |h| shows(h, "offline"));
}

#[test]
fn a_conversation_with_someone_never_seen_asks_the_server_before_saying() {
    let server = TestServer::start();
    server.register("ana");
    server.register("carol");
    let mut ana = signed_in(&server, "ana");
    say(&mut ana, "#\\private carol see you at 4");
    wait_for_text(&mut ana, "Kept by the server: delivered when they log in");
    click_containing(&mut ana, "carol");
    wait_until(&mut ana, "carol offline in the conversation", |h| {
        shows(h, "offline")
    });
}

#[test]
fn during_an_outage_every_presence_is_unknown_even_ones_own() {
    let (mut server, [mut ana, mut bob]) = together(["ana", "bob"]);
    wait_for_text(&mut ana, "bob joined");
    server.stop();
    wait_for_text(&mut ana, "Connection lost");
    wait_until(&mut ana, "no presence known", |h| {
        !shows(h, "online") && shows(h, "presence unknown")
    });
    server.restart();
    wait_for_text(&mut ana, "Connected again");
    wait_for_text(&mut bob, "Connected again");
    wait_until(&mut ana, "presence told again", |h| shows(h, "online"));
}
