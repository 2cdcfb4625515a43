//! Every screen as a person meets it, read from the accessibility tree (what screen readers
//! read): at every size from a half laptop screen to a large monitor each control lies inside the
//! window and over no other; each has a name; and in each language no sentence of another
//! language shows.

use std::collections::HashSet;

use chat_gui::AppOptions;
use chat_gui::i18n::Language;
use egui::accesskit::{Rect, Role};
use egui_kittest::kittest::{By, NodeT, Queryable};

use super::support::*;

/// The sizes the window is tried at, in points: a phone held upright (the web client's), then
/// 640×480 up to 1920×1080.
const SIZES: [[f32; 2]; 6] = [
    [390.0, 844.0],
    [640.0, 480.0],
    [800.0, 600.0],
    [1024.0, 768.0],
    [1280.0, 800.0],
    [1920.0, 1080.0],
];

/// Roles a person acts on.
fn interactive(role: Role) -> bool {
    matches!(
        role,
        Role::Button
            | Role::CheckBox
            | Role::RadioButton
            | Role::TextInput
            | Role::MultilineTextInput
            | Role::PasswordInput
            | Role::ComboBox
            | Role::Link
            | Role::MenuItem
            | Role::Slider
    )
}

/// A control on screen: its name, role, bounds and its ancestors' ids.
struct Control {
    name: String,
    role: Role,
    bounds: Rect,
    id: String,
    ancestors: HashSet<String>,
}

fn controls(h: &Gui) -> Vec<Control> {
    let mut found = Vec::new();
    for node in h.query_all(By::new().recursive(true)) {
        let ak = node.accesskit_node();
        if !interactive(ak.role()) || ak.is_hidden() {
            continue;
        }
        let Some(bounds) = ak.bounding_box() else {
            continue;
        };
        let mut ancestors = HashSet::new();
        let mut up = ak.parent();
        while let Some(p) = up {
            ancestors.insert(format!("{:?}", p.id()));
            up = p.parent();
        }
        found.push(Control {
            name: ak.label().or_else(|| ak.value()).unwrap_or_default(),
            role: ak.role(),
            bounds,
            id: format!("{:?}", ak.id()),
            ancestors,
        });
    }
    found
}

/// Every control inside `size` (vertically too when `whole`: a screen that does not scroll)
/// and over no other.
pub(super) fn check_fits(h: &Gui, size: [f32; 2], whole: bool, screen: &str) {
    let controls = controls(h);
    assert!(!controls.is_empty(), "{screen}: no controls");
    if std::env::var_os("SCREENS_DEBUG").is_some() {
        for c in &controls {
            eprintln!(
                "{screen} {size:?}: {:?} {:?} {:?}",
                c.role, c.name, c.bounds
            );
        }
    }
    let [w, hgt] = size.map(f64::from);
    for c in &controls {
        let b = c.bounds;
        let inside_x = b.x0 >= -0.5 && b.x1 <= w + 0.5;
        let inside_y = b.y0 >= -0.5 && b.y1 <= hgt + 0.5;
        assert!(
            inside_x && (inside_y || !whole),
            "{screen} at {w}×{hgt}: {:?} {:?} lies outside the window: {b:?}",
            c.role,
            c.name
        );
    }
    for (i, a) in controls.iter().enumerate() {
        for b in &controls[i + 1..] {
            if a.ancestors.contains(&b.id) || b.ancestors.contains(&a.id) {
                continue;
            }
            let x = a.bounds.x1.min(b.bounds.x1) - a.bounds.x0.max(b.bounds.x0);
            let y = a.bounds.y1.min(b.bounds.y1) - a.bounds.y0.max(b.bounds.y0);
            assert!(
                x <= 1.0 || y <= 1.0,
                "{screen} at {w}×{hgt}: {:?} {:?} {:?} overlaps {:?} {:?} {:?}",
                a.role,
                a.name,
                a.bounds,
                b.role,
                b.name,
                b.bounds
            );
        }
    }
}

/// Every control has a name a screen reader can say.
fn check_named(h: &Gui, screen: &str) {
    for c in controls(h) {
        assert!(
            !c.name.trim().is_empty(),
            "{screen}: a {:?} at {:?} has no accessible name",
            c.role,
            c.bounds
        );
    }
}

pub(super) fn resize(h: &mut Gui, size: [f32; 2]) {
    h.set_size(egui::vec2(size[0], size[1]));
    for _ in 0..4 {
        h.step();
    }
}

#[test]
fn every_control_fits_every_window_size_without_covering_another() {
    let (server, [mut ana, mut bob]) = together(["ana", "bob"]);
    wait_for_text(&mut ana, "bob joined");
    say(
        &mut bob,
        "a line from bob that is long enough to wrap on a narrow window, as lines do",
    );
    say(&mut ana, "#help");
    wait_for_text(&mut ana, "Commands");
    click(&mut ana, "Find");
    for size in SIZES {
        resize(&mut ana, size);
        check_fits(&ana, size, true, "the room with the find bar");
        check_named(&ana, "the room");
    }
    // A conversation beside the room, at the sizes where it fits, in its place elsewhere.
    click(&mut ana, "Find");
    ana.state_mut().settings.dock_private = true;
    for size in SIZES {
        resize(&mut ana, size);
        if !shows_button(&ana, "bob") {
            click(&mut ana, "People in this room");
        }
        click(&mut ana, "bob");
        wait_for_text(&mut ana, "@ bob");
        check_fits(&ana, size, true, "a docked conversation");
        click(&mut ana, "Close");
    }
    let mut carol = gui(&server.addr);
    connect(&mut carol);
    for size in SIZES {
        resize(&mut carol, size);
        check_fits(&carol, size, true, "the login window");
        check_named(&carol, "the login window");
    }
    click(&mut carol, "Create an account");
    click(&mut carol, "Create account");
    for size in SIZES {
        resize(&mut carol, size);
        check_fits(&carol, size, false, "the register window");
        check_named(&carol, "the register window");
    }
}

/// Every text a screen shows: labels and values of every node.
fn shown_texts(h: &Gui) -> Vec<String> {
    h.query_all(By::new().recursive(true).include_labels())
        .flat_map(|n| {
            let ak = n.accesskit_node();
            [ak.label(), ak.value()]
        })
        .flatten()
        .filter(|s| !s.trim().is_empty())
        .collect()
}

/// Fails if `h` shows a sentence of English while in another language.
fn check_language(h: &Gui, language: Language, screen: &str) {
    if language == Language::ENGLISH {
        return;
    }
    let mut ours: HashSet<&str> = language.texts().plain_texts().collect();
    // The language menu names each language in itself.
    ours.extend(Language::all().map(Language::name));
    let english: Vec<&str> = Language::ENGLISH
        .texts()
        .plain_texts()
        .filter(|t| t.chars().count() >= 5 && !ours.contains(t))
        .collect();
    for shown in shown_texts(h) {
        for word in &english {
            assert!(
                shown != *word && !(word.chars().count() >= 14 && shown.contains(word)),
                "{screen} in {}: {shown:?} is English ({word:?})",
                language.tag()
            );
        }
    }
}

#[test]
fn each_language_shows_only_its_own_words_on_every_screen() {
    let server = TestServer::start();
    for login in ["ana", "bob"] {
        server.register(login);
    }
    let mut bob = signed_in(&server, "bob");
    for language in Language::all() {
        let t = language.texts();
        let mut h = gui_in(&server.addr, language, AppOptions::default());
        check_language(&h, language, "the connect window");
        click(&mut h, t.connect);
        wait_until(&mut h, "the login window", |h| {
            field(h, t.password).is_some()
        });
        check_language(&h, language, "the login window");
        click(&mut h, t.to_register);
        click(&mut h, t.create_account);
        check_language(&h, language, "the register window");
        click(&mut h, t.to_login);
        set_field(&mut h, t.login, "ana");
        type_into(&mut h, t.password, PASSWORD);
        enter(&mut h);
        wait_until(&mut h, "the main window", |h| {
            field(h, t.message_input).is_some()
        });
        say_in(&mut h, t.message_input, "#help");
        say_in(&mut bob, "Message", "ok");
        wait_until(&mut h, "bob's line", |h| text_node(h, "ok").is_some());
        click(&mut h, t.find);
        check_language(&h, language, "the room with #help and the find bar");
        check_named(&h, "the room");
        click(&mut h, "bob");
        wait_until(&mut h, "the conversation", |h| shows(h, "@ bob"));
        check_language(&h, language, "a conversation");
        check_named(&h, "a conversation");
        click(&mut h, t.users);
        wait_until(&mut h, "the users window", |h| shows(h, t.users_title));
        check_language(&h, language, "the users window");
        check_named(&h, "the users window");
    }
}

/// Types `line` into the box named `name` and sends it.
fn say_in(h: &mut Gui, name: &str, line: &str) {
    type_into(h, name, line);
    enter(h);
}

/// The name of the control that has the keyboard, if one has.
fn focused(h: &Gui) -> Option<String> {
    h.query_all(By::new().recursive(true))
        .map(|n| n.accesskit_node())
        .find(|n| n.is_focused())
        .map(|n| n.label().or_else(|| n.value()).unwrap_or_default())
}

#[test]
fn the_keyboard_reaches_every_control_of_the_main_window() {
    let (_server, [mut ana]) = together(["ana"]);
    say(&mut ana, "hola");
    // Escape leaves the message box (whose Tab completes); Tab then walks the controls.
    ana.key_press(egui::Key::Escape);
    ana.step();
    let mut reached = HashSet::new();
    for _ in 0..40 {
        ana.key_press(egui::Key::Tab);
        ana.step();
        if let Some(name) = focused(&ana) {
            reached.insert(name);
        }
    }
    for control in [
        "Room",
        "Users",
        "Log out",
        "Find",
        "Save a copy…",
        "Emoji",
        "lobby",
    ] {
        assert!(
            reached.iter().any(|r| r.starts_with(control)),
            "Tab never reaches {control:?}; it reached {reached:?}"
        );
    }
}
