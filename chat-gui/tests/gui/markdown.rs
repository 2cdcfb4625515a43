//! Messages written in Markdown, as the other side reads them: code blocks that keep their
//! indentation (with a Copy button), links that open in the browser, the reader's login
//! marked where mentioned.

use egui::{Key, Modifiers};
use egui_kittest::kittest::{NodeT, Queryable};

use super::support::*;

/// Types `lines` into the room's box, one per line (Shift+Enter between them), and sends them
/// as one message.
fn say_lines(h: &mut Gui, lines: &[&str]) {
    type_into(h, "Message", lines[0]);
    for line in &lines[1..] {
        h.key_press_modifiers(Modifiers::SHIFT, Key::Enter);
        h.step();
        field(h, "Message").unwrap().type_text(line);
        h.step();
    }
    enter(h);
}

/// What the window asked the platform to do in its last frames.
fn commands(h: &Gui) -> Vec<egui::OutputCommand> {
    h.output().platform_output.commands.clone()
}

#[test]
fn a_code_block_keeps_its_indentation_and_copies_whole() {
    let (_server, [mut ana, mut bob]) = together(["ana", "bob"]);
    say_lines(
        &mut ana,
        &[
            "my loop:",
            "```python",
            "for n in range(3):",
            "    print(n)",
            "```",
        ],
    );
    let code = "for n in range(3):\n    print(n)";
    wait_until(&mut bob, "the code block", |h| text_node(h, code).is_some());
    assert!(text_node(&bob, "my loop:").is_some(), "the words before it");
    // The line's own widget names it with its text as written, for screen readers; nothing
    // drawn shows the fences.
    assert!(
        !bob.query_all_by_label_contains("```").any(|n| {
            !n.accesskit_node()
                .label()
                .is_some_and(|l| l.starts_with("Message from"))
        }),
        "the fences are markup, not text"
    );
    // The code shown is found above by its text with its four spaces: the indentation is
    // kept; and it is drawn on two rows.
    let rect = text_node(&bob, code).unwrap().rect();
    assert!(rect.height() > 30.0, "two rows: {rect:?}");
    bob.get_by_label("Copy code").click();
    bob.step();
    assert!(
        commands(&bob).contains(&egui::OutputCommand::CopyText(code.to_owned())),
        "{:?}",
        commands(&bob)
    );
}

#[test]
fn a_line_of_code_wider_than_the_window_scrolls_sideways_instead_of_wrapping() {
    let (_server, [mut ana, mut bob]) = together(["ana", "bob"]);
    let terms: Vec<String> = (1..=60).map(|n| format!("term_{n}")).collect();
    let long = format!("let total = {};", terms.join(" + "));
    say_lines(&mut ana, &["```rust", &long, "```"]);
    wait_until(&mut bob, "the code block", |h| {
        text_node(h, &long).is_some()
    });
    let before = text_node(&bob, &long).unwrap().rect();
    // One row, wider than the window: wrapped, it would read as two lines of code.
    assert!(before.height() < 30.0, "one row: {before:?}");
    assert!(before.width() > 1024.0, "not cut to the window: {before:?}");
    // The wheel sideways over it (Shift and the wheel, on a mouse without a sideways wheel)
    // brings the rest of the line into view.
    let over = egui::pos2(before.left() + 100.0, before.center().y);
    let deadline = std::time::Instant::now() + PATIENCE;
    loop {
        bob.event(egui::Event::PointerMoved(over));
        bob.event(egui::Event::MouseWheel {
            unit: egui::MouseWheelUnit::Point,
            delta: egui::vec2(0.0, -200.0),
            modifiers: Modifiers::SHIFT,
            phase: egui::TouchPhase::Move,
            source: egui::MouseWheelSource::Wheel,
        });
        bob.step();
        let now = text_node(&bob, &long).unwrap().rect();
        if now.left() < before.left() - 100.0 {
            assert!((now.top() - before.top()).abs() < 1.0, "only sideways");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the line did not scroll"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn a_link_opens_in_the_browser() {
    let (_server, [mut ana, mut bob]) = together(["ana", "bob"]);
    say(
        &mut ana,
        "the notes are [here](https://example.org/notes) and **due** *today*",
    );
    wait_until(&mut bob, "the link", |h| {
        h.query_all_by_label("here")
            .any(|n| n.accesskit_node().role() == egui::accesskit::Role::Link)
    });
    // The words read without their asterisks and brackets.
    assert!(text_node(&bob, "the notes are here and due today").is_some());
    bob.query_all_by_label("here")
        .find(|n| n.accesskit_node().role() == egui::accesskit::Role::Link)
        .unwrap()
        .click();
    bob.step();
    let opened = commands(&bob).into_iter().any(|c| {
        matches!(c, egui::OutputCommand::OpenUrl(open) if open.url == "https://example.org/notes")
    });
    assert!(opened, "{:?}", commands(&bob));
}

#[test]
fn the_readers_login_is_marked_where_mentioned() {
    let (_server, [mut ana, mut bob]) = together(["ana", "bob"]);
    say(&mut ana, "@bob can you bring the projector?");
    // The line says it mentions the reader, to screen readers as to the eye.
    wait_until(&mut bob, "the mention", |h| {
        h.query_by_label("ana mentions you: @bob can you bring the projector?")
            .is_some()
    });
    // The writer is not mentioned.
    wait_until(&mut ana, "the own line", |h| {
        h.query_by_label("Message from ana: @bob can you bring the projector?")
            .is_some()
    });
}
