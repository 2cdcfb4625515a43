//! Finding in a room (Ctrl+F, earlier and later matches), and a copy of a room as text.

use chat_gui::save;
use chat_model::composer::Target;
use chat_model::export;
use egui_kittest::kittest::Queryable;

use super::support::*;

#[test]
fn ctrl_f_finds_in_the_room_with_earlier_and_later_matches() {
    let (_server, [mut h]) = together(["fay"]);
    for line in [
        "apple pie",
        "banana",
        "APPLE juice",
        "cherry",
        "an apple tart",
    ] {
        say(&mut h, line);
    }
    wait_for_text(&mut h, "an apple tart");
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::F);
    h.step();
    wait_until(&mut h, "the find bar", |h| field(h, "🔍 Find").is_some());
    h.get_by_label("🔍 Find").type_text("apple");
    h.step();
    wait_for_text(&mut h, "3 of 3");
    click(&mut h, "Earlier match");
    wait_for_text(&mut h, "2 of 3");
    click(&mut h, "Earlier match");
    wait_for_text(&mut h, "1 of 3");
    click(&mut h, "Earlier match");
    wait_for_text(&mut h, "3 of 3");
    click(&mut h, "Later match");
    wait_for_text(&mut h, "1 of 3");
    set_field(&mut h, "🔍 Find", "durian");
    wait_for_text(&mut h, "No matches");
    click(&mut h, "Close");
    wait_until(&mut h, "the find bar to close", |h| {
        field(h, "🔍 Find").is_none()
    });
}

#[test]
fn search_everywhere_lists_rooms_and_conversations_and_goes_to_a_hit() {
    let (_server, [mut ana, mut bob]) = together(["ana", "bob"]);
    say(&mut bob, "the exam is on Friday");
    say(&mut bob, "#\\private ana did you study for the exam?");
    wait_for_text(&mut ana, "bob, 1 unread");
    say(&mut ana, "#cR study");
    wait_for_text(&mut ana, "You are in study");
    ana.key_press_modifiers(
        egui::Modifiers::COMMAND | egui::Modifiers::SHIFT,
        egui::Key::F,
    );
    ana.step();
    type_into(&mut ana, "Search for", "EXAM");
    wait_for_text(&mut ana, "2 found");
    click_containing(&mut ana, "# lobby");
    wait_until(&mut ana, "back in the lobby", |h| {
        h.state().client.chat.room_name() == Some("lobby")
    });
    wait_for_text(&mut ana, "1 of 1");
}

#[test]
fn a_copy_of_the_room_is_one_line_per_message_with_time_and_sender() {
    let (_server, [mut ana, mut bob]) = together(["ana", "bob"]);
    say(&mut ana, "¿Empezamos con el capítulo 3?");
    wait_for_text(&mut bob, "¿Empezamos con el capítulo 3?");
    say(&mut bob, "yes 👍");
    wait_for_text(&mut ana, "yes 👍");
    let text = ana.state().transcript(&Target::Room).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(export::file_name("lobby"));
    assert_eq!(save::write(&path, &text), save::Saved::To(path.clone()));
    let written = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = written.lines().collect();
    assert_eq!(lines.len(), 2, "{written}");
    for (line, said) in lines
        .iter()
        .zip(["ana: ¿Empezamos con el capítulo 3?", "bob: yes 👍"])
    {
        // `[2026-12-02 10:01] ana: …`
        let (time, rest) = line.split_once("] ").unwrap();
        assert_eq!(rest, said);
        assert_eq!(time.len(), "[2026-12-02 10:01".len(), "{time}");
        assert!(time.starts_with("[20"), "{time}");
    }
}
