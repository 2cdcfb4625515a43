//! The message box and what it sends: emoji, long text, several lines, completion.

use egui::{Key, Modifiers};

use egui_kittest::kittest::Queryable;

use super::support::*;

#[test]
fn emoji_typed_in_the_box_arrive_and_show() {
    let (_server, [mut ana, mut bob]) = together(["ana", "bob"]);
    let typed = "Hola 👍 😀 ❤ 🎉 ✓ → ¿qué tal? :fire:";
    type_into(&mut ana, "Message", typed);
    // The box shows what was typed; a glyph missing from the fonts fails the test (the
    // harness refuses to draw an empty box).
    assert_eq!(value(&ana, "Message"), typed);
    enter(&mut ana);
    let shown = "Hola 👍 😀 ❤ 🎉 ✓ → ¿qué tal? 🔥";
    wait_until(&mut bob, "the emoji line", |h| {
        text_node(h, shown).is_some()
    });
    wait_until(&mut ana, "the own emoji line", |h| {
        text_node(h, shown).is_some()
    });
    assert_eq!(value(&ana, "Message"), "", "the box is empty after sending");

    // The picker puts an emoji where the cursor is.
    // The picker finds them by name.
    click(&mut ana, "Emoji");
    wait_until(&mut ana, "the picker", |h| {
        field(h, "Search emoji").is_some()
    });
    assert!(shows_button(&ana, "grinning"), "the first group shows");
    type_into(&mut ana, "Search emoji", "party");
    wait_until(&mut ana, "the party popper", |h| shows_button(h, "tada"));
    click(&mut ana, "tada");
    wait_until(&mut ana, "the picked emoji in the box", |h| {
        value(h, "Message") == "🎉"
    });
}

#[test]
fn a_long_message_is_shown_whole_and_wrapped() {
    let (_server, [mut ana, mut bob]) = together(["ana", "bob"]);
    let long: String = (1..=90)
        .map(|n| format!("palabra{n}"))
        .collect::<Vec<_>>()
        .join(" ");
    assert!(long.len() > 700);
    say(&mut ana, &long);
    wait_until(&mut bob, "the long message", |h| {
        text_node(h, &long).is_some()
    });
    let rect = text_node(&bob, &long).unwrap().rect();
    let window = bob.ctx.content_rect();
    assert!(
        rect.right() <= window.right(),
        "{rect:?} runs off {window:?}"
    );
    assert!(
        rect.height() > 60.0,
        "{rect:?} is not wrapped onto several rows"
    );
}

#[test]
fn shift_enter_starts_a_line_and_enter_sends_the_lines_as_one_message() {
    let (_server, [mut ana, mut bob]) = together(["ana", "bob"]);
    type_into(&mut ana, "Message", "first line");
    ana.key_press_modifiers(Modifiers::SHIFT, Key::Enter);
    ana.step();
    field(&ana, "Message").unwrap().type_text("second line");
    ana.step();
    assert_eq!(value(&ana, "Message"), "first line\nsecond line");
    ana.step();
    // The box grew to show both lines: it needs no scroll bar.
    let text_box = field(&ana, "Message").unwrap().rect().expand(12.0);
    let bars = ana
        .query_all_by_role(egui::accesskit::Role::ScrollBar)
        .filter(|bar| bar.rect().intersects(text_box))
        .count();
    assert_eq!(bars, 0, "the two lines scroll in a box one line tall");
    enter(&mut ana);
    // One message that keeps its line break, under the sender's name once.
    let both = "first line\nsecond line";
    wait_until(&mut bob, "both lines", |h| text_node(h, both).is_some());
    let names = bob
        .query_all_by_label("ana")
        .filter(|n| n.value().as_deref() == Some("ana"))
        .count();
    assert_eq!(names, 1, "one name over the two lines");
    let rect = text_node(&bob, both).unwrap().rect();
    assert!(rect.height() > 30.0, "two rows: {rect:?}");
}

#[test]
fn tab_completes_commands_and_logins() {
    let (_server, [mut ana, _finn]) = together(["ana", "finn"]);
    wait_for_text(&mut ana, "finn joined");

    // A command: the suggestions show as it is typed; Tab takes the first.
    type_into(&mut ana, "Message", "#c");
    wait_for_text(&mut ana, "create a room and enter it");
    ana.key_press(Key::Tab);
    ana.step();
    assert_eq!(value(&ana, "Message"), "#cR ");
    assert!(
        field(&ana, "Message").unwrap().is_focused(),
        "Tab kept the keyboard"
    );
    clear(&mut ana, "Message");

    // A login after `#\private`, from the suggestions.
    type_into(&mut ana, "Message", "#\\private fi");
    ana.step();
    ana.key_press(Key::Tab);
    ana.step();
    assert_eq!(value(&ana, "Message"), "#\\private finn ");
    clear(&mut ana, "Message");

    // A login anywhere in a line, as chat programs complete names.
    type_into(&mut ana, "Message", "thanks fi");
    ana.key_press(Key::Tab);
    ana.step();
    assert_eq!(value(&ana, "Message"), "thanks finn ");
    assert!(
        field(&ana, "Message").unwrap().is_focused(),
        "Tab completed in place and left the keyboard in the box"
    );

    // Up in the empty box edits the line just sent.
    enter(&mut ana);
    wait_until(&mut ana, "the line sent", |h| {
        value(h, "Message").is_empty() && text_node(h, "thanks finn").is_some()
    });
    ana.key_press(Key::ArrowUp);
    ana.step();
    ana.step();
    assert_eq!(value(&ana, "Message"), "thanks finn");
    assert!(shows(&ana, "Editing your message"));
}

/// Empties a field with Backspace, as a user would.
fn clear(h: &mut Gui, label: &str) {
    for _ in 0..value(h, label).chars().count() {
        h.key_press(Key::Backspace);
        h.step();
    }
    assert_eq!(value(h, label), "");
}
