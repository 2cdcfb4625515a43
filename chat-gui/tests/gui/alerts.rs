//! Notifications: asked for through the notifier (a record here, the desktop's in the program)
//! when a private message arrives while another conversation is on screen, never for one's own
//! lines or for what is already on screen.

use chat_gui::ui::Intent;

use super::support::*;

#[test]
fn a_private_message_while_another_conversation_is_shown_asks_for_a_notification() {
    let (_server, [mut ana, mut bob, mut carl]) = together(["ana", "bob", "carl"]);
    let record = Recorded::default();
    record.attach(&mut ana);
    ana.state_mut().apply(Intent::DockConversations(true));
    wait_for_text(&mut ana, "carl joined");
    click(&mut ana, "carl");
    wait_for_text(&mut ana, "Back to lobby");
    type_into(&mut ana, "Message to carl", "hello carl");
    enter(&mut ana);
    wait_until(&mut carl, "ana's line", |h| shows(h, "ana, 1 unread"));

    say(&mut bob, "#\\private ana are you coming?");
    wait_until(&mut ana, "a notification", |_| !record.all().is_empty());
    let shown = record.all();
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert_eq!(shown[0].title, "bob (private)");
    assert_eq!(shown[0].body, "are you coming?");

    // Carl's conversation is the one on screen: no notification for it.
    carl.state_mut().apply(Intent::OpenPrivate("ana".into()));
    type_into(&mut carl, "Message to ana", "on my way");
    enter(&mut carl);
    wait_until(&mut ana, "carl's answer", |h| {
        text_node(h, "on my way").is_some()
    });
    // A room line that does not mention ana: none either.
    say(&mut bob, "anyone has the slides?");
    wait_until(&mut ana, "bob's room line", |h| {
        h.state().client.chat.history("lobby").is_some_and(|l| {
            l.iter()
                .any(|l| l.said().is_some_and(|(_, t)| t.contains("slides")))
        })
    });
    assert_eq!(record.all().len(), 1, "{:?}", record.all());
}
