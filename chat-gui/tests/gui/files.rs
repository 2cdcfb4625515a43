//! Files through the real window against a real server over TLS: attached with the dialog
//! (the path it returns given by the test), dropped on the window, pasted; their progress, a
//! picture's preview at the other client and the viewer, a download saved byte for byte, the
//! placeholder of a picture that claims absurd dimensions, cancelling, and an upload that goes
//! on by itself after the server dropped it.

use std::io::{Read as _, Write as _};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
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

/// `dir` on a file system of its own of `size` (tmpfs, mounted as root, as CI runs) while it
/// lives; `None` (the test then passes without running) only outside CI.
struct SmallDisk(PathBuf);

impl SmallDisk {
    fn mount(dir: &Path, size: &str) -> Option<SmallDisk> {
        let mounted = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .status()
            .is_ok_and(|s| s.success());
        if mounted {
            return Some(SmallDisk(dir.to_owned()));
        }
        assert!(
            std::env::var("CHAT_REAL_CLIENTS").is_err(),
            "cannot mount a small file system (needs root), and this test must run here"
        );
        eprintln!("NOT RUN: cannot mount a small file system (needs root)");
        None
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.0)
            .status();
    }
}

/// A download into a folder whose disk fills says so, at once: not "connection lost" and a
/// retry for ever; nothing half-written is left there.
#[test]
fn a_download_onto_a_full_disk_says_it_cannot_be_written() {
    let (_server, [mut ana, mut bob]) = people(["ana", "bob"]);
    let Some(_disk) = SmallDisk::mount(bob.downloads.path(), "1m") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "video.bin", &bytes(3 << 20));
    attach(&mut ana.h, vec![path], "video.bin");
    say_with_files(&mut ana.h, "el vídeo");
    wait_for_text(&mut bob.h, "video.bin");
    click(&mut bob.h, "Download: video.bin");
    wait_for_text(&mut bob.h, "The file cannot be written in this folder.");
    assert!(!shows(&bob.h, "Connection lost"), "not the network's fault");
    assert_eq!(
        std::fs::read_dir(bob.downloads.path()).unwrap().count(),
        0,
        "nothing half-written left"
    );
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

#[test]
fn cancelling_an_upload_takes_it_out_of_the_box_and_nothing_is_sent() {
    let (server, [mut ana, mut bob]) = people(["ana", "bob"]);
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "video.bin", &bytes(20 << 20));
    attach(&mut ana.h, vec![path], "video.bin");
    // Part of it on its way: the server has the upload.
    wait_until(&mut ana.h, "some of it sent", |h| {
        h.state()
            .transfers()
            .uploads()
            .first()
            .is_some_and(|u| u.sent > 0)
    });
    click(&mut ana.h, "Cancel: video.bin");
    assert!(!shows(&ana.h, "video.bin"), "out of the box");
    assert!(ana.h.state().transfers().uploads().is_empty());
    // The server is told: the bytes it has, and the quota they held, go now.
    let handle = server.handle.as_ref().unwrap();
    wait_until(&mut ana.h, "the upload dropped on the server", |_| {
        handle.unfinished_uploads() == 0
    });
    say(&mut ana.h, "al final no");
    wait_for_text(&mut bob.h, "al final no");
    assert!(!shows(&bob.h, "video.bin"));
}

#[test]
fn an_upload_cut_off_by_the_server_goes_on_by_itself_where_it_stopped() {
    let (mut server, [mut ana, mut bob]) = people(["ana", "bob"]);
    let dir = tempfile::tempdir().unwrap();
    let original = bytes(24 << 20);
    let path = write(dir.path(), "grabación.bin", &original);
    attach(&mut ana.h, vec![path], "grabación.bin");
    click(&mut ana.h, "Send");
    let sent = |h: &Gui| {
        h.state()
            .transfers()
            .uploads()
            .first()
            .map_or(0, |u| u.sent)
    };
    wait_until(&mut ana.h, "some of it sent", |h| sent(h) >= 2 << 20);
    // The server goes away in the middle of the upload, and comes back.
    server.stop();
    let at_stop = sent(&ana.h);
    assert!(at_stop < original.len() as u64, "it had not finished");
    wait_for_text(&mut ana.h, "Connection lost: trying again in");
    // While it waits, its bar shows how far it got: part-way, neither empty nor full.
    let bars: Vec<f64> = ana
        .h
        .query_all(By::new().recursive(true))
        .filter(|n| n.accesskit_node().role() == egui::accesskit::Role::ProgressIndicator)
        .filter_map(|n| n.accesskit_node().numeric_value())
        .collect();
    assert!(
        bars.iter().any(|p| *p > 0.0 && *p < 100.0),
        "bars at {bars:?}"
    );
    server.restart();
    // Ana's window reconnects, her upload asks where it stopped and goes on (22 MiB more, in a
    // debug build: longer than one wait).
    let deadline = Instant::now() + PATIENCE * 4;
    while !ana.h.state().transfers().uploads().is_empty() {
        assert!(Instant::now() < deadline, "the upload did not go on");
        ana.h.step();
        bob.h.step();
        std::thread::sleep(Duration::from_millis(15));
    }
    wait_for_text(&mut bob.h, "grabación.bin");
    click(&mut bob.h, "Download: grabación.bin");
    wait_until(&mut bob.h, "the download", |h| {
        shows_button(h, "Open: grabación.bin")
    });
    assert!(
        downloaded(bob.downloads.path()) == original,
        "byte for byte"
    );
    drop(ana);
}

#[test]
fn an_upload_past_the_uploads_an_account_may_have_under_way_waits_its_turn() {
    let server = TestServer::start();
    server.register("ana");
    server.register("bob");
    // Ana has as many uploads under way as an account may have (begun from another session of
    // hers, whose token still sends and cancels them).
    let (session, token) = raw_session(&server, "ana");
    drop(session);
    let files = FileServer {
        server: server.addr.clone(),
        tls: Some(ClientTls::default()),
        token: token.clone(),
    };
    let mut conn = HttpConnection::open(&files, Duration::from_secs(10)).unwrap();
    let under_way: Vec<String> = (0..64)
        .map(|n| {
            let announce = Announce {
                name: format!("parte{n}.bin"),
                mime: "application/octet-stream".into(),
                size: 10,
                sha256: "ab".repeat(32),
                dimensions: None,
            };
            match http::begin(&mut conn, &token, &announce).unwrap() {
                Begun::Upload(id) => id,
                other => panic!("{other:?}"),
            }
        })
        .collect();
    let (mut ana, mut bob) = (person(&server, "ana"), person(&server, "bob"));
    let dir = tempfile::tempdir().unwrap();
    let original = bytes(50_000);
    let path = write(dir.path(), "tarea.bin", &original);
    attach(&mut ana.h, vec![path], "tarea.bin");
    // The server says to wait: the box says so (not "connection lost"), and keeps the file.
    wait_for_text(&mut ana.h, "The server is busy: trying again in");
    assert!(!shows(&ana.h, "Connection lost"));
    // One ends: hers goes.
    http::cancel(&mut conn, &token, &under_way[0]).unwrap();
    say_with_files(&mut ana.h, "la tarea");
    wait_for_text(&mut bob.h, "tarea.bin");
    click(&mut bob.h, "Download: tarea.bin");
    wait_until(&mut bob.h, "the download", |h| {
        shows_button(h, "Open: tarea.bin")
    });
    assert!(
        downloaded(bob.downloads.path()) == original,
        "byte for byte"
    );
}

/// A TCP relay in front of a server (real sockets both ways) that slows what comes from the
/// server to a few MB/s, and can cut the connections that carried more than a MiB: a
/// download's, not the chat's.
struct Relay {
    addr: String,
    connections: Arc<Mutex<Vec<Relayed>>>,
}

/// A relayed connection: the bytes it carried from the server, and its client's socket.
type Relayed = (Arc<AtomicU64>, TcpStream);

impl Relay {
    fn start(to: &str) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let connections = Arc::new(Mutex::new(Vec::new()));
        let (to, list) = (to.to_owned(), Arc::clone(&connections));
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let (Ok(client), Ok(server)) = (client, TcpStream::connect(&to)) else {
                    continue;
                };
                let carried = Arc::new(AtomicU64::new(0));
                list.lock()
                    .unwrap()
                    .push((Arc::clone(&carried), client.try_clone().unwrap()));
                let (mut from_client, mut to_server) =
                    (client.try_clone().unwrap(), server.try_clone().unwrap());
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut from_client, &mut to_server);
                    let _ = to_server.shutdown(Shutdown::Write);
                });
                let (mut from_server, mut to_client) = (server, client);
                std::thread::spawn(move || {
                    let mut buf = [0u8; 16 * 1024];
                    while let Ok(n) = from_server.read(&mut buf) {
                        if n == 0 || to_client.write_all(&buf[..n]).is_err() {
                            break;
                        }
                        carried.fetch_add(n as u64, Ordering::Relaxed);
                        std::thread::sleep(Duration::from_millis(5));
                    }
                    let _ = to_client.shutdown(Shutdown::Both);
                });
            }
        });
        Relay { addr, connections }
    }

    /// Cuts the connections that carried more than a MiB from the server.
    fn cut_heavy(&self) {
        for (carried, stream) in self.connections.lock().unwrap().iter() {
            if carried.load(Ordering::Relaxed) > 1 << 20 {
                let _ = stream.shutdown(Shutdown::Both);
            }
        }
    }
}

#[test]
fn a_download_cut_off_while_its_reader_is_out_of_the_room_waits_until_they_are_back() {
    let (server, [mut ana]) = people(["ana"]);
    server.register("bob");
    let relay = Relay::start(&server.addr);
    let mut bob = person_at(&relay.addr, "bob");
    let dir = tempfile::tempdir().unwrap();
    let original = bytes(8 << 20);
    let path = write(dir.path(), "apuntes.bin", &original);
    attach(&mut ana.h, vec![path], "apuntes.bin");
    say_with_files(&mut ana.h, "los apuntes");
    wait_for_text(&mut bob.h, "apuntes.bin");
    click(&mut bob.h, "Download: apuntes.bin");
    let download = |h: &Gui| h.state().transfers().downloads().first().cloned();
    wait_until(&mut bob.h, "some of it", |h| {
        download(h).is_some_and(|d| d.received >= 1 << 20)
    });
    // Bob goes to another room (as a client that reconnects is out of its room for a moment):
    // the line that carries the file is not his to read, and his download's connection drops.
    type_into(&mut bob.h, "Message", "#cR aula");
    enter(&mut bob.h);
    wait_for_text(&mut bob.h, "You are in aula");
    relay.cut_heavy();
    // Asked again, the server knows no such file for him: the download waits, not failed.
    let until = Instant::now() + Duration::from_secs(2);
    while Instant::now() < until {
        bob.h.step();
        let d = download(&bob.h).expect("the download");
        assert!(
            !matches!(d.state, State::Failed(_)),
            "given up: {:?}",
            d.state
        );
        assert_ne!(d.state, State::Done, "it was cut off before the end");
        std::thread::sleep(Duration::from_millis(20));
    }
    // Back in the room, it goes on, and the file arrives whole.
    type_into(&mut bob.h, "Message", "#eR");
    enter(&mut bob.h);
    let deadline = Instant::now() + PATIENCE * 2;
    while download(&bob.h).is_some_and(|d| d.state != State::Done) {
        let d = download(&bob.h).expect("the download");
        assert!(
            !matches!(d.state, State::Failed(_)),
            "failed: {:?}",
            d.state
        );
        assert!(Instant::now() < deadline, "the download did not end");
        bob.h.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        downloaded(bob.downloads.path()) == original,
        "byte for byte"
    );
}

#[test]
fn an_upload_the_server_no_longer_has_is_sent_again_from_the_start() {
    let (mut server, [mut ana, mut bob]) = people(["ana", "bob"]);
    let dir = tempfile::tempdir().unwrap();
    let original = bytes(24 << 20);
    let path = write(dir.path(), "entrega.bin", &original);
    attach(&mut ana.h, vec![path], "entrega.bin");
    click(&mut ana.h, "Send");
    wait_until(&mut ana.h, "some of it sent", |h| {
        h.state()
            .transfers()
            .uploads()
            .first()
            .is_some_and(|u| u.sent >= 2 << 20)
    });
    // The server goes away, and comes back without the upload (as after it lapsed, or when
    // its last answer was lost): asked where it is, it knows of no such upload.
    server.stop();
    wait_for_text(&mut ana.h, "Connection lost: trying again in");
    server.restart();
    assert_eq!(server.handle.as_ref().unwrap().forget_uploads(), 1);
    let deadline = Instant::now() + PATIENCE * 4;
    while !ana.h.state().transfers().uploads().is_empty() {
        assert!(
            Instant::now() < deadline,
            "the upload did not start again: {:?}",
            ana.h.state().transfers().uploads()
        );
        ana.h.step();
        bob.h.step();
        std::thread::sleep(Duration::from_millis(15));
    }
    assert!(!shows(&ana.h, "That file is not there"), "no error shown");
    wait_for_text(&mut bob.h, "entrega.bin");
    click(&mut bob.h, "Download: entrega.bin");
    wait_until(&mut bob.h, "the download", |h| {
        shows_button(h, "Open: entrega.bin")
    });
    assert!(
        downloaded(bob.downloads.path()) == original,
        "byte for byte"
    );
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

/// A preview asked for while the server is out of reach shows as coming, not as a picture
/// that cannot be shown, and appears by itself once the server is back.
#[test]
fn a_preview_the_server_could_not_give_for_a_moment_shows_once_it_can() {
    let (mut server, [mut ana, mut bob]) = people(["ana", "bob"]);
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "pizarra.jpg", &photo(320, 240));
    attach(&mut ana.h, vec![path], "pizarra.jpg");
    say_with_files(&mut ana.h, "la pizarra");
    // Bob's connection has the line; his window has not drawn it when the server goes.
    std::thread::sleep(Duration::from_millis(300));
    server.stop();
    wait_for_text(&mut bob.h, "la pizarra");
    // Its preview cannot be fetched now (each try refused, given up after about 2 s).
    let until = Instant::now() + Duration::from_secs(4);
    while Instant::now() < until {
        bob.h.step();
        assert!(
            !shows(&bob.h, "This picture cannot be shown"),
            "out of reach is not broken"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    server.restart();
    let deadline = Instant::now() + PATIENCE * 2;
    while !shows(&bob.h, "Picture: pizarra.jpg") {
        assert!(Instant::now() < deadline, "the preview never came");
        bob.h.step();
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// What the window asked of the system in its last frame.
fn window_commands(h: &Gui) -> Vec<egui::ViewportCommand> {
    h.output()
        .viewport_output
        .get(&egui::ViewportId::ROOT)
        .map(|o| o.commands.clone())
        .unwrap_or_default()
}

/// The user closes the window.
fn close_window(h: &mut Gui) {
    h.input_mut()
        .viewports
        .entry(egui::ViewportId::ROOT)
        .or_default()
        .events
        .push(egui::ViewportEvent::Close);
    h.step();
}

/// Closing the window while a file is on its way asks first: staying keeps it going, quitting
/// closes.
#[test]
fn closing_the_window_while_a_file_uploads_asks_first() {
    let (mut server, [mut ana]) = people(["ana"]);
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "entrega.bin", &bytes(8 << 20));
    attach(&mut ana.h, vec![path], "entrega.bin");
    type_into(&mut ana.h, "Message", "la entrega");
    enter(&mut ana.h);
    // (The server gone: the upload waits to go on, and the message for it.)
    server.stop();
    close_window(&mut ana.h);
    assert!(
        window_commands(&ana.h).contains(&egui::ViewportCommand::CancelClose),
        "{:?}",
        window_commands(&ana.h)
    );
    wait_for_text(&mut ana.h, "Quit while files are on their way?");
    click(&mut ana.h, "Cancel");
    ana.h.step();
    assert!(!shows(&ana.h, "Quit while files are on their way?"));
    assert!(!window_commands(&ana.h).contains(&egui::ViewportCommand::Close));
    close_window(&mut ana.h);
    wait_for_text(&mut ana.h, "Quit while files are on their way?");
    click(&mut ana.h, "Quit");
    wait_until(&mut ana.h, "the window closes", |h| {
        window_commands(h).contains(&egui::ViewportCommand::Close)
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
