//! Files through the real window against a real server over TLS: attached with the dialog
//! (the path it returns given by the test), dropped on the window, pasted; their progress, a
//! picture's preview at the other client and the viewer, a download saved byte for byte, the
//! placeholder of a picture that claims absurd dimensions, replies and saved copies; and the
//! helpers the files' tests share. Transfers that meet trouble: `transfers`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chat_core::client::{self, ClientOptions, Event};
use chat_core::http::{self, Announce, Begun, FileServer, HttpConnection, Sent};
use chat_core::protocol::{Password, Request, ServerMessage};
use chat_core::tls::ClientTls;
use chat_gui::AppOptions;
use chat_gui::files::platform::Picker;
use chat_model::transfers::State;
use egui_kittest::kittest::{By, NodeT, Queryable};
use tempfile::TempDir;

use super::support::*;

mod transfers;

/// The file dialog, answering what the test says the user chose.
struct Chosen(Vec<PathBuf>);

impl Picker for Chosen {
    fn pick(&self, _title: &str) -> Vec<PathBuf> {
        self.0.clone()
    }

    fn save_as(&self, _title: &str, _suggested: &str) -> Option<PathBuf> {
        None
    }
}

/// The save dialog, answering that the user chose `0`.
struct SaveTo(PathBuf);

impl Picker for SaveTo {
    fn pick(&self, _title: &str) -> Vec<PathBuf> {
        Vec::new()
    }

    fn save_as(&self, _title: &str, _suggested: &str) -> Option<PathBuf> {
        Some(self.0.clone())
    }
}

/// A file dropped on the window, as the desktop hands it over.
#[derive(Debug)]
struct Dropped(PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &Path {
        &self.0
    }

    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

/// A window of its own folders (downloads, working copies), logged in as `login`.
struct Person {
    h: Gui,
    downloads: TempDir,
    _cache: TempDir,
}

fn person(server: &TestServer, login: &str) -> Person {
    person_at(&server.addr, login)
}

/// [`person`], connecting to `addr` (a relay in front of the server, say).
fn person_at(addr: &str, login: &str) -> Person {
    let downloads = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let options = AppOptions {
        download_dir: Some(downloads.path().to_path_buf()),
        cache_dir: Some(cache.path().to_path_buf()),
        ..AppOptions::default()
    };
    let mut h = gui_with(addr, options);
    connect(&mut h);
    log_in(&mut h, login);
    Person {
        h,
        downloads,
        _cache: cache,
    }
}

fn people<const N: usize>(logins: [&str; N]) -> (TestServer, [Person; N]) {
    let server = TestServer::start();
    for login in logins {
        server.register(login);
    }
    let people = logins.map(|login| person(&server, login));
    (server, people)
}

/// Chooses `paths` in the file dialog and waits until the box shows `shown` (one of them).
fn attach(h: &mut Gui, paths: Vec<PathBuf>, shown: &str) {
    h.state_mut().set_file_picker(Arc::new(Chosen(paths)));
    click(h, "Attach files");
    wait_for_text(h, shown);
}

/// Types `text` and sends it, then steps until it left with the files in the box.
fn say_with_files(h: &mut Gui, text: &str) {
    type_into(h, "Message", text);
    enter(h);
    sent_once_uploaded(h);
}

/// Steps the sender's window (the window only sends while it draws frames, as the engine's
/// wake-ups make it do) until the message that waited for its files is sent and they left
/// the box.
fn sent_once_uploaded(h: &mut Gui) {
    wait_until(h, "the message sent with its files", |h| {
        h.state().transfers().uploads().is_empty()
    });
}

/// Bytes that are no picture, of `n` bytes.
fn bytes(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 % 251) as u8).collect()
}

fn write(dir: &Path, name: &str, content: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path
}

/// A photo as a phone takes it: a JPEG with where it was taken in its EXIF.
fn photo(w: u32, h: u32) -> Vec<u8> {
    let picture = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x * 255 / w) as u8, (y * 255 / h) as u8, 140])
    });
    let mut jpeg = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(picture)
        .write_to(&mut jpeg, image::ImageFormat::Jpeg)
        .unwrap();
    let jpeg = jpeg.into_inner();
    let mut exif = b"Exif\0\0MM\0\x2a\0\0\0\x08\0\0\0\0\0\0".to_vec();
    exif.extend_from_slice(b"GPSLatitude 40.4168 N GPSLongitude 3.7038 W");
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xff, 0xe1]);
    out.extend_from_slice(&u16::try_from(exif.len() + 2).unwrap().to_be_bytes());
    out.extend_from_slice(&exif);
    out.extend_from_slice(&jpeg[2..]);
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The one file in `dir` once it is whole (no `.part` left).
fn downloaded(dir: &Path) -> Vec<u8> {
    let files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    std::fs::read(&files[0]).unwrap()
}

#[test]
fn a_file_chosen_in_the_dialog_goes_with_the_line_and_downloads_identical() {
    let (_server, [mut ana, mut bob]) = people(["ana", "bob"]);
    let dir = tempfile::tempdir().unwrap();
    let original = bytes(300_000);
    let path = write(dir.path(), "apuntes tema 3.pdf", &original);
    attach(&mut ana.h, vec![path], "apuntes tema 3.pdf");
    wait_until(&mut ana.h, "the upload", |h| {
        h.state()
            .transfers()
            .uploads()
            .iter()
            .all(|u| u.state == State::Done)
    });
    assert!(
        shows(&ana.h, "300.0 KB of 300.0 KB"),
        "its progress is shown"
    );
    type_into(&mut ana.h, "Message", "los apuntes");
    enter(&mut ana.h);
    wait_for_text(&mut bob.h, "los apuntes");
    wait_for_text(&mut bob.h, "apuntes tema 3.pdf");
    assert!(shows(&bob.h, "300.0 KB"), "the card says its size");
    assert!(
        !shows(&ana.h, "Remove: apuntes"),
        "sent, it left the message box"
    );
    click(&mut bob.h, "Download: apuntes tema 3.pdf");
    wait_until(&mut bob.h, "the download", |h| {
        shows_button(h, "Open: apuntes tema 3.pdf")
    });
    assert!(
        downloaded(bob.downloads.path()) == original,
        "byte for byte"
    );
    // Deleted from the folder: Open would open nothing, so the card offers Download again.
    for entry in std::fs::read_dir(bob.downloads.path()).unwrap() {
        std::fs::remove_file(entry.unwrap().path()).unwrap();
    }
    wait_until(&mut bob.h, "Download again", |h| {
        shows_button(h, "Download: apuntes tema 3.pdf")
    });
    click(&mut bob.h, "Download: apuntes tema 3.pdf");
    wait_until(&mut bob.h, "the second download", |h| {
        shows_button(h, "Open: apuntes tema 3.pdf")
    });
    assert!(downloaded(bob.downloads.path()) == original);
}

#[test]
fn a_photo_dropped_on_the_window_shows_at_the_other_client_without_where_it_was_taken() {
    let (_server, [mut ana, mut bob]) = people(["ana", "bob"]);
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "playa.jpg", &photo(640, 480));
    ana.h
        .input_mut()
        .dropped_files
        .push(Arc::new(Dropped(path)));
    wait_for_text(&mut ana.h, "playa.jpg");
    click(&mut ana.h, "Send");
    sent_once_uploaded(&mut ana.h);
    wait_for_text(&mut bob.h, "Picture: playa.jpg");
    // The sender sees it too, as a picture.
    wait_for_text(&mut ana.h, "Picture: playa.jpg");
    // Click: the viewer, with the whole picture, which saves.
    click_containing(&mut bob.h, "Picture: playa.jpg");
    wait_until(&mut bob.h, "the whole picture", |h| {
        h.query_all_by_label("Save…")
            .any(|n| !n.accesskit_node().is_disabled())
    });
    assert!(shows_button(&bob.h, "Zoom in"));
    // Escape closes the viewer, and only the viewer: a reply being written stays.
    bob.h.key_press(egui::Key::Escape);
    bob.h.step();
    bob.h.step();
    say(&mut ana.h, "¿la veis?");
    select_line(&mut bob.h, "ana", "¿la veis?");
    click(&mut bob.h, "Reply");
    wait_for_text(&mut bob.h, "Replying to ana: ¿la veis?");
    click_containing(&mut bob.h, "Picture: playa.jpg");
    wait_until(&mut bob.h, "the viewer", |h| shows_button(h, "Zoom in"));
    // (The keyboard back in the box, as after a click there to go on writing.)
    bob.h.get_by_label("Message").focus();
    bob.h.step();
    bob.h.key_press(egui::Key::Escape);
    bob.h.step();
    bob.h.step();
    assert!(!shows_button(&bob.h, "Zoom in"), "the viewer closed");
    assert!(
        shows(&bob.h, "Replying to ana: ¿la veis?"),
        "the reply stays"
    );
    // Kept without the viewer: Download from the picture's menu, then Open there.
    let picture = bob.h.get_by_label("Picture: playa.jpg").rect();
    bob.h.get_by_label("Picture: playa.jpg").click_secondary();
    bob.h.step();
    bob.h.step();
    // The menu opens where the click was (the picture's middle), not under the picture.
    let menu = bob.h.get_by_label("Download").rect();
    assert!(
        (menu.top() - picture.center().y).abs() < 40.0 && menu.top() < picture.bottom() - 20.0,
        "menu at {menu:?}, picture at {picture:?}"
    );
    // (The pointer to its menu first: the menu stays as the line under it changes.)
    bob.h.get_by_label("Download").hover();
    bob.h.step();
    click(&mut bob.h, "Download");
    wait_until(&mut bob.h, "the download", |h| {
        h.state()
            .transfers()
            .downloads()
            .iter()
            .any(|d| d.state == State::Done && d.purpose == chat_model::transfers::Purpose::Keep)
    });
    // (From the keyboard this time.)
    bob.h.get_by_label("Picture: playa.jpg").focus();
    bob.h.step();
    bob.h
        .key_press_modifiers(egui::Modifiers::SHIFT, egui::Key::F10);
    bob.h.step();
    bob.h.step();
    assert!(shows_button(&bob.h, "Open"), "its menu opens it now");
    bob.h.key_press(egui::Key::Escape);
    bob.h.step();
    // What left ana's computer has no place in it, and is still the picture.
    let file = first_download(&bob.h);
    let sent = std::fs::read(file).unwrap();
    assert!(!contains(&sent, b"GPSLatitude"), "the place went");
    let back = image::load_from_memory(&sent).expect("still a picture");
    assert_eq!((back.width(), back.height()), (640, 480));
}

#[test]
fn a_reply_with_a_file_keeps_its_quote_and_an_edit_leaves_the_files_for_the_next_message() {
    let (_server, [mut ana, mut bob]) = people(["ana", "bob"]);
    say(&mut ana.h, "¿quién tiene los apuntes?");
    select_line(&mut bob.h, "ana", "¿quién tiene los apuntes?");
    click(&mut bob.h, "Reply");
    wait_for_text(&mut bob.h, "Replying to ana: ¿quién tiene los apuntes?");
    let dir = tempfile::tempdir().unwrap();
    let notes = write(dir.path(), "tema1.txt", b"tema 1");
    attach(&mut bob.h, vec![notes], "tema1.txt");
    say_with_files(&mut bob.h, "aquí");
    wait_until(&mut ana.h, "the answer with its file", |h| {
        text_node(h, "aquí").is_some() && shows(h, "tema1.txt")
    });
    assert!(shows(&ana.h, "In reply to ana: ¿quién tiene los apuntes?"));
    assert!(
        !shows(&bob.h, "Replying to"),
        "the quote over the box went with the line"
    );
    // A file attached, then an edit of the line just sent: the edit changes the line, and the
    // file waits in the box for the next message.
    let more = write(dir.path(), "tema2.txt", b"tema 2");
    attach(&mut bob.h, vec![more], "tema2.txt");
    wait_until(&mut bob.h, "the own line", |h| {
        text_node(h, "aquí").is_some()
    });
    field(&bob.h, "Message").unwrap().focus();
    bob.h.step();
    bob.h.key_press(egui::Key::ArrowUp);
    bob.h.step();
    bob.h.step();
    wait_for_text(&mut bob.h, "Editing your message");
    field(&bob.h, "Message").unwrap().type_text(" están");
    bob.h.step();
    enter(&mut bob.h);
    wait_until(&mut ana.h, "the edited line", |h| {
        text_node(h, "aquí están").is_some() && shows(h, "(edited)")
    });
    assert!(!shows(&ana.h, "tema2.txt"), "no new message carried it");
    assert!(shows(&bob.h, "tema2.txt"), "still in the box");
    say_with_files(&mut bob.h, "y el segundo");
    wait_until(&mut ana.h, "the second file", |h| {
        text_node(h, "y el segundo").is_some() && shows(h, "tema2.txt")
    });
}

/// Where the first download (the viewer's copy, in these tests) went.
fn first_download(h: &Gui) -> PathBuf {
    h.state()
        .transfers()
        .downloads()
        .first()
        .and_then(|d| d.path.clone())
        .expect("the viewer's copy")
}

/// Opens the picture labelled `picture` in the viewer and saves a copy, the save dialog
/// answering `to`.
fn save_viewed(h: &mut Gui, picture: &str, to: &Path) {
    h.state_mut()
        .set_file_picker(Arc::new(SaveTo(to.to_path_buf())));
    click_containing(h, picture);
    wait_until(h, "the whole picture", |h| {
        h.query_all_by_label("Save…")
            .any(|n| !n.accesskit_node().is_disabled())
    });
    click(h, "Save…");
}

#[test]
fn a_picture_saved_from_a_conversation_is_told_there_and_a_failed_save_leaves_nothing() {
    let (_server, [mut ana, mut bob]) = people(["ana", "bob"]);
    wait_until(&mut ana.h, "bob among the members", |h| {
        h.query_all_by_label("bob")
            .any(|n| n.accesskit_node().role() == egui::accesskit::Role::Button)
    });
    click(&mut ana.h, "bob");
    wait_for_text(&mut ana.h, "Private: bob");
    // Dropped while the conversation's box has the keyboard: attached there.
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "pizarra.jpg", &photo(320, 240));
    ana.h
        .input_mut()
        .dropped_files
        .push(Arc::new(Dropped(path)));
    wait_for_text(&mut ana.h, "pizarra.jpg");
    type_into(&mut ana.h, "Message to bob", "la pizarra");
    enter(&mut ana.h);
    sent_once_uploaded(&mut ana.h);
    wait_for_text(&mut bob.h, "ana, 1 unread");
    click_containing(&mut bob.h, "ana, 1 unread");
    wait_for_text(&mut bob.h, "Picture: pizarra.jpg");

    // Saved where the dialog says: the same bytes as the picture the viewer shows.
    let copy = dir.path().join("copia.jpg");
    save_viewed(&mut bob.h, "Picture: pizarra.jpg", &copy);
    let said = format!("Saved to {}", copy.display());
    wait_for_text(&mut bob.h, &said);
    let viewed = first_download(&bob.h);
    assert_eq!(
        std::fs::read(&copy).unwrap(),
        std::fs::read(viewed).unwrap()
    );
    // Told in the conversation the picture was opened from, not in the room: the line is
    // drawn over the conversation's box, beside the room's.
    bob.h.key_press(egui::Key::Escape);
    bob.h.step();
    bob.h.step();
    let told = bob.h.get_by_label_contains(&said).rect();
    let private = bob.h.get_by_label("Message to ana").rect();
    let room = bob.h.get_by_label("Message").rect();
    let over = |r: egui::Rect| told.center().x > r.left() && told.center().x < r.right();
    assert!(
        over(private) && !over(room),
        "told at {told:?}; the conversation's box at {private:?}, the room's at {room:?}"
    );

    // A save that fails (a folder that is not there) says so there, and leaves no copy.
    let nowhere = dir.path().join("gone").join("copia.jpg");
    save_viewed(&mut bob.h, "Picture: pizarra.jpg", &nowhere);
    wait_for_text(
        &mut bob.h,
        &format!("Could not save to {}", nowhere.display()),
    );
    assert!(!nowhere.exists());
    // A copy that fails onto a file the user chose to replace leaves that file as it was (here
    // the viewer's own copy went from under it).
    bob.h.key_press(egui::Key::Escape);
    bob.h.step();
    let kept = std::fs::read(&copy).unwrap();
    bob.h
        .state_mut()
        .set_file_picker(Arc::new(SaveTo(copy.clone())));
    click_containing(&mut bob.h, "Picture: pizarra.jpg");
    wait_until(&mut bob.h, "the whole picture", |h| {
        h.query_all_by_label("Save…")
            .any(|n| !n.accesskit_node().is_disabled())
    });
    std::fs::remove_file(first_download(&bob.h)).unwrap();
    click(&mut bob.h, "Save…");
    wait_until(&mut bob.h, "the failed save's notice", |h| {
        h.query_all_by_label_contains(&format!("Could not save to {}", copy.display()))
            .next()
            .is_some()
    });
    assert_eq!(
        std::fs::read(&copy).unwrap(),
        kept,
        "the file replaced is still there"
    );
}

#[test]
fn a_picture_pasted_into_the_box_is_sent_with_the_line() {
    let (_server, [mut ana, mut bob]) = people(["ana", "bob"]);
    type_into(&mut ana.h, "Message", "mirad");
    let pixels = egui::ColorImage::new([120, 80], vec![egui::Color32::from_rgb(200, 40, 90); 9600]);
    ana.h.event(egui::Event::PasteImage(Arc::new(pixels)));
    ana.h.step();
    wait_for_text(&mut ana.h, "pasted-");
    enter(&mut ana.h);
    sent_once_uploaded(&mut ana.h);
    wait_for_text(&mut bob.h, "mirad");
    wait_for_text(&mut bob.h, "Picture: pasted-");
}

/// Logs `login` in over the chat protocol (registered first); its connection and token.
fn raw_login(server: &TestServer, login: &str) -> (client::Connection, String) {
    server.register(login);
    raw_session(server, login)
}

/// Logs `login` (registered) in without the interface: the connection and its session token.
fn raw_session(server: &TestServer, login: &str) -> (client::Connection, String) {
    let options = ClientOptions::default();
    let conn = client::connect(&server.addr, options);
    let id = conn.send(Request::Login {
        login: login.into(),
        password: Password::from(PASSWORD),
    });
    let deadline = Instant::now() + PATIENCE;
    loop {
        match conn.events().recv_timeout(deadline - Instant::now()) {
            Ok(Event::Frame(f)) if f.re == Some(id) => match f.message {
                ServerMessage::LoggedIn { token, .. } => return (conn, token.unwrap()),
                other => panic!("{other:?}"),
            },
            Ok(Event::Disconnected(d)) => panic!("{d}"),
            Ok(_) => {}
            Err(_) => panic!("no login"),
        }
    }
}

/// A well-formed PNG claiming `w` × `h` pixels, with the start of a deflate stream for its
/// pixels: a decoder reads its header through and meets its limits, not a damaged chunk.
fn claimed_png(w: u32, h: u32) -> Vec<u8> {
    let mut png = Vec::new();
    let mut encoder = png::Encoder::new(&mut png, w, h);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().expect("a header");
    writer
        .write_chunk(png::chunk::IDAT, b"\x78\x9c\x01\x00\x00")
        .expect("a chunk");
    drop(writer);
    png
}

#[test]
fn a_picture_claiming_absurd_dimensions_shows_a_placeholder() {
    let server = TestServer::start();
    server.register("bob");
    let mut bob = person(&server, "bob");
    // Someone's own client sends a "picture" whose preview claims 100,000 × 100,000 pixels.
    let (mallory, token) = raw_login(&server, "mallory");
    let bomb = claimed_png(100_000, 100_000);
    let files = FileServer {
        server: server.addr.clone(),
        tls: Some(ClientTls::default()),
        token: token.clone(),
    };
    let mut conn = HttpConnection::open(&files, Duration::from_secs(10)).unwrap();
    let announce = Announce {
        name: "bomb.png".into(),
        mime: "image/png".into(),
        size: bomb.len() as u64,
        sha256: chat_gui::files::engine::sha256_of(&write(
            tempfile::tempdir().unwrap().keep().as_path(),
            "bomb.png",
            &bomb,
        ))
        .unwrap(),
        dimensions: Some((100_000, 100_000)),
    };
    let Begun::Upload(upload) = http::begin(&mut conn, &token, &announce).unwrap() else {
        panic!("not an upload");
    };
    let Sent::Done(file) = http::patch(
        &mut conn,
        &token,
        &upload,
        0,
        &mut &bomb[..],
        bomb.len() as u64,
        &mut |_| true,
    )
    .unwrap() else {
        panic!("not stored");
    };
    http::put_preview(&mut conn, &token, &file.id, &bomb).unwrap();
    mallory.send(Request::Say {
        text: "mirad esta foto".into(),
        reply_to: None,
        attachments: vec![file.id],
    });
    wait_for_text(&mut bob.h, "mirad esta foto");
    wait_for_text(&mut bob.h, "This picture cannot be shown");
    // Its Download stays (the file may open elsewhere), inside the window and over nothing
    // else, down to a phone's width.
    // (The pointer away: a line under it shows its actions, which may lie under the header.)
    bob.h.event(egui::Event::PointerGone);
    for size in [[1024.0, 768.0], [640.0, 480.0], [390.0, 844.0]] {
        super::screens::resize(&mut bob.h, size);
        assert!(shows_button(&bob.h, "Download: bomb.png"), "at {size:?}");
        super::screens::check_fits(&bob.h, size, false, "a picture that cannot be shown");
    }
    // And the window goes on as before.
    say(&mut bob.h, "sigo aquí");
    wait_for_text(&mut bob.h, "sigo aquí");
    // Its Download says how it goes and ends on Open, as a card's.
    click(&mut bob.h, "Download: bomb.png");
    wait_until(&mut bob.h, "the download", |h| {
        shows_button(h, "Open: bomb.png")
    });
}

/// A room message that waits for its file while its writer goes to another room comes back
/// to the box when the file is ready, before what is being written there: nothing dropped.
#[test]
fn a_message_held_when_its_room_was_left_comes_back_before_the_words_being_written() {
    let (_server, [mut ana]) = people(["ana"]);
    say(&mut ana.h, "#cR aula");
    wait_for_text(&mut ana.h, "aula, 1 member");
    say(&mut ana.h, "#eR");
    wait_for_text(&mut ana.h, "lobby, 1 member");
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "grabación.bin", &bytes(24 << 20));
    attach(&mut ana.h, vec![path], "grabación.bin");
    type_into(&mut ana.h, "Message", "mirad");
    enter(&mut ana.h);
    // Words begun for the next message, then off to another room by its button while the file
    // is still on its way.
    type_into(&mut ana.h, "Message", "otra cosa");
    assert!(
        !ana.h
            .state()
            .transfers()
            .uploads()
            .iter()
            .all(|u| u.state == State::Done),
        "still uploading when the room is left"
    );
    click_containing(&mut ana.h, "aula, ");
    wait_for_text(&mut ana.h, "aula, 1 member");
    wait_until(&mut ana.h, "the message back in the box", |h| {
        value(h, "Message") == "mirad\notra cosa"
    });
}

/// Where the button named `label` is drawn.
fn button_bounds(h: &Gui, label: &str) -> egui::accesskit::Rect {
    h.query_all_by_label(label)
        .find(|n| n.accesskit_node().role() == egui::accesskit::Role::Button)
        .and_then(|n| n.accesskit_node().bounding_box())
        .unwrap_or_else(|| panic!("no button {label:?}"))
}

#[test]
fn the_cards_of_one_message_line_up_and_a_long_name_widens_its_card() {
    let (_server, [mut ana, mut bob]) = people(["ana", "bob"]);
    let dir = tempfile::tempdir().unwrap();
    let long = "Práctica 3 - Sincronización de relojes lógicos de Lamport y vectoriales.pdf";
    let paths = vec![
        write(
            dir.path(),
            "notas.rs",
            b"fn main() {\n    println!(\"7, 9\");\n}\n",
        ),
        write(dir.path(), long, &bytes(3_000)),
    ];
    attach(&mut ana.h, paths, "notas.rs");
    say_with_files(&mut ana.h, "dos archivos");
    wait_for_text(&mut bob.h, "dos archivos");
    bob.h.event(egui::Event::PointerGone);
    let short = "Download: notas.rs".to_owned();
    let long_button = format!("Download: {long}");
    wait_until(&mut bob.h, "both cards", |h| {
        shows_button(h, &short) && shows_button(h, &long_button)
    });
    // And the code under the first, fetched apart: until it comes its box has a guessed
    // height, and the line grows when it comes (under load, between a resize and the check).
    wait_for_text(&mut bob.h, "fn main() {\n    println!(\"7, 9\");");
    for size in [[1024.0, 768.0], [640.0, 480.0]] {
        super::screens::resize(&mut bob.h, size);
        let (a, b) = (
            button_bounds(&bob.h, &short),
            button_bounds(&bob.h, &long_button),
        );
        // One column: both Download buttons end at the same edge, the card over the code as
        // wide as the other.
        assert!((a.x1 - b.x1).abs() < 0.5, "at {size:?}: {a:?} and {b:?}");
        super::screens::check_fits(&bob.h, size, false, "two cards");
    }
    // With room, the long name's card grows past a short name's width (420 points) rather
    // than cut the name at once.
    super::screens::resize(&mut bob.h, [1024.0, 768.0]);
    let text = text_node(&bob.h, "dos archivos")
        .and_then(|n| n.accesskit_node().bounding_box())
        .expect("the line's text");
    let button = button_bounds(&bob.h, &long_button);
    assert!(
        button.x1 - text.x0 > 500.0,
        "the card is {} wide",
        button.x1 - text.x0
    );
}

#[test]
fn a_code_file_shows_as_code_with_its_indentation() {
    let (_server, [mut ana, mut bob]) = people(["ana", "bob"]);
    let dir = tempfile::tempdir().unwrap();
    let code = "fn main() {\n\tlet notas = [7, 9];\n    for n in notas {\n        println!(\"{n}\");\n    }\n}\n";
    let path = write(dir.path(), "main.rs", code.as_bytes());
    attach(&mut ana.h, vec![path], "main.rs");
    say_with_files(&mut ana.h, "no compila");
    wait_for_text(&mut bob.h, "no compila");
    // The lines as written: the tab as four spaces, the nesting kept.
    wait_for_text(
        &mut bob.h,
        "fn main() {\n    let notas = [7, 9];\n    for n in notas {\n        println!(\"{n}\");",
    );
    assert!(
        shows_button(&bob.h, "Download: main.rs"),
        "and its card, to keep it"
    );
}
