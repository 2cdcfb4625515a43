//! A real IRC client nobody here wrote: two Debian `ii` processes (FIFO-driven) and one native
//! client exchange room and private messages through the gateway.
//!
//! `ii` must be on the PATH (`.ci/run` installs it). Without it the test says so and passes,
//! unless it must run (`CHAT_REAL_CLIENTS`, or CI on Linux: see `engines::must_run`).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chat_core::protocol::{Request, ServerMessage};

use super::harness::{TestServer, WAIT, password, registration};

/// One `ii` process, killed when dropped.
struct Ii {
    child: Child,
    /// `ii`'s directory for this server (`<prefix>/127.0.0.1`).
    dir: PathBuf,
}

impl Ii {
    fn start(port: u16, login: &str, prefix: &Path) -> Self {
        let child = Command::new("ii")
            .args(["-s", "127.0.0.1", "-p", &port.to_string(), "-n", login])
            .args(["-f", &format!("{login} via ii"), "-k", "CHAT_II_PASSWORD"])
            .arg("-i")
            .arg(prefix)
            .env("CHAT_II_PASSWORD", password(login).expose())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("ii starts");
        Ii {
            child,
            dir: prefix.join("127.0.0.1"),
        }
    }

    /// Writes one line into a FIFO of `ii` (`in` of the server, a channel or a nick).
    fn write(&self, fifo: &str, line: &str) {
        let path = self.dir.join(fifo).join("in");
        wait_for(&format!("{} to exist", path.display()), || {
            path.exists().then_some(())
        });
        fs::write(&path, format!("{line}\n")).unwrap();
    }

    /// Waits until `ii`'s `out` file of `place` has a line containing `text`.
    fn expect(&self, place: &str, text: &str) {
        let path = self.dir.join(place).join("out");
        wait_for(&format!("{text:?} in {}", path.display()), || {
            fs::read_to_string(&path)
                .ok()
                .filter(|out| out.lines().any(|l| l.contains(text)))
                .map(|_| ())
        });
    }
}

impl Drop for Ii {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn wait_for<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(found) = check() {
            return found;
        }
        assert!(Instant::now() < deadline, "waited for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn ii_installed() -> bool {
    let found = Command::new("ii")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !found {
        super::engines::missing("`ii` (the real IRC client)");
    }
    found
}

#[test]
fn two_ii_clients_and_a_native_client_talk_in_a_room_and_privately() {
    if !ii_installed() {
        return;
    }
    let server = TestServer::start_with(|c| c.irc_bind = Some("127.0.0.1:0".into()));
    let port = server.handle().irc_addr().unwrap().port();
    for login in ["iria", "ivan"] {
        let mut c = server.client();
        c.request(Request::Register(registration(login)));
    }
    let prefix = tempfile::tempdir().unwrap();
    let iria = Ii::start(port, "iria", prefix.path().join("iria").as_path());
    let ivan = Ii::start(port, "ivan", prefix.path().join("ivan").as_path());
    // Both land in the default room, #lobby, and see the native client arrive.
    iria.expect(".", "End of /MOTD");
    ivan.expect(".", "End of /MOTD");
    let mut nora = server.user("nora");
    iria.expect("#lobby", "nora");
    // From ii to the room: the native client and the other ii get it.
    iria.write("#lobby", "hola desde ii");
    nora.expect("iria's line", |m| {
        matches!(m, ServerMessage::Message { from, text, .. } if from == "iria" && text == "hola desde ii")
    });
    ivan.expect("#lobby", "<iria> hola desde ii");
    // From the native client to the room.
    nora.send(Request::Say {
        attachments: Vec::new(),
        reply_to: None,
        text: "buenas, soy nora".into(),
    });
    iria.expect("#lobby", "<nora> buenas, soy nora");
    ivan.expect("#lobby", "<nora> buenas, soy nora");
    // Private, ii to ii and ii to native.
    ivan.write(".", "/j iria psst, iria");
    iria.expect("ivan", "<ivan> psst, iria");
    iria.write(".", "/j nora un secreto");
    nora.expect("iria's private", |m| {
        matches!(m, ServerMessage::Private { from, text, .. } if from == "iria" && text == "un secreto")
    });
    // Private, native to ii.
    nora.request(Request::Private {
        attachments: Vec::new(),
        reply_to: None,
        to: "ivan".into(),
        text: "solo para ivan".into(),
    });
    ivan.expect("nora", "<nora> solo para ivan");
    // A room made from ii: the native client sees it listed and joins; ii sees that.
    ivan.write(".", "/j #taller");
    ivan.expect("#taller", "has joined #taller");
    nora.request(Request::EnterRoom {
        room: "taller".into(),
    });
    ivan.expect("#taller", "nora");
    nora.send(Request::Say {
        attachments: Vec::new(),
        reply_to: None,
        text: "¿qué tal el taller?".into(),
    });
    ivan.expect("#taller", "<nora> ¿qué tal el taller?");
}
