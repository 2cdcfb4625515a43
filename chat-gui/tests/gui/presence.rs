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
