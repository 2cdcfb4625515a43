//! Transfers that meet trouble, through the real window: a full disk, a cancel, a server that
//! stops mid-upload or no longer has the upload, an account with as many uploads under way as
//! it may have, a download cut off while its reader is out of the room (a relay of real
//! sockets slows and cuts it), a preview the server could not give for a moment, and closing
//! the window while files are on their way.

use std::io::{Read as _, Write as _};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::*;

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
