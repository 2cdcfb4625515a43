//! The real binary: acknowledged registrations survive `kill -9`, and a store that cannot be
//! opened stops the server with a clear message instead of being replaced.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use chat_core::protocol::{Request, ServerMessage};

use super::harness::{Client, registration};

fn spawn_server(data_dir: &Path) -> (Child, SocketAddr) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_chat-server"))
        .args(["--bind", "127.0.0.1:0", "--no-tls", "--data-dir"])
        .arg(data_dir)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("{line:?}"))
        .parse()
        .unwrap();
    (child, addr)
}

#[test]
fn acknowledged_registrations_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let mut acknowledged: Vec<String> = Vec::new();
    for round in 0..3 {
        let (mut child, addr) = spawn_server(dir.path());
        let mut c = Client::connect(addr);
        c.hello();
        // Everything acknowledged before, still there.
        for login in &acknowledged {
            c.login(login);
            c = Client::connect(addr);
            c.hello();
        }
        for i in 0..3 {
            let login = format!("user{round}x{i}");
            if let ServerMessage::Registered { .. } =
                c.request(Request::Register(registration(&login)))
            {
                acknowledged.push(login);
            }
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
    }
    let (mut child, addr) = spawn_server(dir.path());
    for login in &acknowledged {
        let mut c = Client::connect(addr);
        c.hello();
        c.login(login);
    }
    assert_eq!(acknowledged.len(), 9);
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn an_unreadable_store_stops_the_server_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("accounts");
    std::fs::create_dir_all(&store).unwrap();
    std::fs::write(store.join("conf"), b"not a sled configuration").unwrap();
    // Bounded: a server that wrongly started is killed, and the test fails.
    let mut child = Command::new(env!("CARGO_BIN_EXE_chat-server"))
        .args(["--bind", "127.0.0.1:0", "--no-tls", "--data-dir"])
        .arg(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + super::harness::WAIT;
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            panic!("the server started on a corrupt store");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot open the account store"), "{stderr}");
    assert_eq!(
        std::fs::read(store.join("conf")).unwrap(),
        b"not a sled configuration"
    );
}

#[cfg(unix)]
#[test]
fn sigterm_stops_the_server_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, addr) = spawn_server(dir.path());
    let mut c = Client::connect(addr);
    c.hello();
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let rest = c.until_closed();
    assert!(
        rest.iter()
            .any(|m| matches!(m, ServerMessage::Goodbye { .. })),
        "{rest:?}"
    );
    assert!(child.wait().unwrap().success());
}
