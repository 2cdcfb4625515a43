//! Every `#` command of the course typed into the input line.

use super::support::*;

#[test]
fn every_hash_command_works_from_the_input_line() {
    let (_server, [mut hugo, mut iris]) = together(["hugo", "iris"]);

    // Typing `#` lists the commands.
    type_into(&mut hugo, "Message", "#");
    wait_for_text(&mut hugo, "create a room and enter it");
    assert!(shows(&hugo, "#show users"));
    hugo.key_press(egui::Key::Backspace);
    hugo.step();
    wait_until(&mut hugo, "the hints to go", |h| {
        !shows(h, "create a room and enter it")
    });

    say(&mut hugo, "#help");
    wait_for_text(&mut hugo, "Any other text goes to everyone in the room");

    say(&mut hugo, "#cR sala1");
    wait_for_text(&mut hugo, "You are in sala1");

    say(&mut iris, "#lR");
    wait_for_text(&mut iris, "1 member · created by hugo");

    say(&mut iris, "#gR sala1");
    wait_for_text(&mut iris, "You are in sala1");
    wait_for_text(&mut hugo, "iris joined");

    say(&mut iris, "#eR");
    wait_for_text(&mut iris, "You are in lobby");
    wait_for_text(&mut hugo, "iris left");

    // Deleting someone else's room is refused with a reason.
    say(&mut iris, "#dR sala1");
    wait_for_text(&mut iris, "Only the room's creator can delete it.");
    say(&mut hugo, "#dR sala1");
    wait_for_text(&mut hugo, "You deleted sala1");

    say(&mut iris, "#show users");
    wait_for_text(&mut iris, "2 online, 2 registered");

    say(&mut iris, "#\\private<hugo> a secret");
    wait_for_text(&mut hugo, "iris, 1 unread");
    wait_for_text(&mut iris, "Private: hugo");

    // A mistyped command is an error listing the commands; nothing is sent.
    say(&mut hugo, "#bogus");
    wait_for_text(&mut hugo, "#bogus is not a command");
    // The line stays for correcting; clear it.
    assert_eq!(
        field(&hugo, "Message").and_then(|n| n.value()).as_deref(),
        Some("#bogus")
    );
    for _ in 0.."#bogus".len() {
        hugo.key_press(egui::Key::Backspace);
        hugo.step();
    }

    say(&mut hugo, "#exit");
    wait_for_text(&mut hugo, "Connect to a chat server");
    assert!(
        shows(&hugo, "You left the server"),
        "the connect window says goodbye"
    );
}
