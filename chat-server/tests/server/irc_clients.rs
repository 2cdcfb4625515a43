//! Two real IRC clients nobody here wrote, with a native client: irssi (Debian `irssi`, driven
//! through `tmux`) and WeeChat (Debian `weechat-headless`, driven through its FIFO plugin from
//! `weechat-plugins`). Both log in with SASL PLAIN, join a room, talk with each other and the
//! native client, and use `/whois`, `/away` (the other is told with `301`), `/time` and `/kick`
//! (refused to irssi, who is no operator; done by WeeChat, whose room it is).
//!
//! Each process is started by the test and stopped by its PID. What the clients show is read
//! from their own log files. Without the programs the test says so and passes, unless it must
//! run (`CHAT_REAL_CLIENTS`, or CI on Linux: see `engines::must_run`); `.ci/run` installs them.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chat_core::protocol::{Request, ServerMessage};

use super::harness::{TestServer, WAIT, password, registration};

/// Whether `program` runs here (else reported by `engines::missing`).
fn installed(program: &str, package: &str) -> bool {
    let found = Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !found {
        super::engines::missing(&format!("`{program}` (Debian `{package}`)"));
    }
    found
}

/// Waits until the file at `path` has a line containing every one of `texts`.
fn expect_in(path: &Path, texts: &[&str]) {
    let deadline = Instant::now() + WAIT;
    loop {
        let found = fs::read_to_string(path)
            .ok()
            .is_some_and(|out| out.lines().any(|l| texts.iter().all(|t| l.contains(t))));
        if found {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "waited for a line with {texts:?} in {}:\n{}",
            path.display(),
            fs::read_to_string(path).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// irssi in a `tmux` session of its own (its own socket), typed into with `send-keys`; stopped
/// by PID, then its `tmux` server.
struct Irssi {
    socket: PathBuf,
    pid: u32,
    /// Everything irssi shows, logged from its start (`startup`: `/log open`).
    log: PathBuf,
}

impl Irssi {
    fn start(dir: &Path, port: u16, login: &str) -> Self {
        let home = dir.join("irssi");
        fs::create_dir_all(&home).unwrap();
        let log = dir.join("irssi.log");
        fs::write(
            home.join("config"),
            format!(
                r#"servers = (
  {{ address = "127.0.0.1"; chatnet = "chat"; port = "{port}"; use_tls = "no"; autoconnect = "yes"; }}
);
chatnets = {{
  chat = {{
    type = "IRC";
    nick = "{login}";
    username = "{login}user";
    realname = "{login} via irssi";
    sasl_mechanism = "PLAIN";
    sasl_username = "{login}";
    sasl_password = "{password}";
  }};
}};
settings = {{
  core = {{ nick = "{login}"; user_name = "{login}user"; real_name = "{login} via irssi"; settings_autosave = "no"; }};
}};
"#,
                password = password(login).expose()
            ),
        )
        .unwrap();
        fs::write(
            home.join("startup"),
            format!("/log open {} ALL\n", log.display()),
        )
        .unwrap();
        let socket = dir.join("tmux.sock");
        let started = Command::new("tmux")
            .arg("-S")
            .arg(&socket)
            .args([
                "new-session",
                "-d",
                "-s",
                "irssi",
                "-x",
                "200",
                "-y",
                "50",
                "--",
            ])
            .arg("irssi")
            .arg(format!("--home={}", home.display()))
            .status()
            .unwrap();
        assert!(started.success(), "tmux did not start irssi");
        let pid = Command::new("tmux")
            .arg("-S")
            .arg(&socket)
            .args(["display-message", "-p", "-t", "irssi", "#{pane_pid}"])
            .output()
            .unwrap();
        let pid = String::from_utf8_lossy(&pid.stdout).trim().parse().unwrap();
        Irssi { socket, pid, log }
    }

    /// Types a line and Enter.
    fn type_line(&self, text: &str) {
        for keys in [&["-l", text][..], &["Enter"][..]] {
            let typed = Command::new("tmux")
                .arg("-S")
                .arg(&self.socket)
                .args(["send-keys", "-t", "irssi"])
                .args(keys)
                .status()
                .unwrap();
            assert!(typed.success());
        }
    }

    fn expect(&self, texts: &[&str]) {
        expect_in(&self.log, texts);
    }
}

impl Drop for Irssi {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg(self.pid.to_string()).status();
        let _ = Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .arg("kill-server")
            .status();
    }
}

/// `weechat-headless` with a directory of its own, commanded through its FIFO, each buffer
/// logged to a file (`logs/irc.chat.#room.weechatlog`, `logs/irc.server.chat.weechatlog`).
struct Weechat {
    child: Child,
    fifo: PathBuf,
    logs: PathBuf,
}

impl Weechat {
    fn start(dir: &Path, port: u16, login: &str) -> Self {
        let home = dir.join("weechat");
        let (fifo, logs) = (home.join("fifo"), home.join("logs"));
        let setup = [
            format!("/set fifo.file.path {}", fifo.display()),
            format!("/set logger.file.path {}", logs.display()),
            "/set logger.file.flush_delay 0".into(),
            format!(
                "/server add chat 127.0.0.1/{port} -notls -sasl_mechanism=plain \
                 -sasl_username={login} -sasl_password={} -nicks={login} -username={login}user",
                password(login).expose()
            ),
            "/connect chat".into(),
        ];
        let child = Command::new("weechat-headless")
            .arg("--dir")
            .arg(&home)
            .arg("--run-command")
            .arg(setup.join(";"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let weechat = Weechat { child, fifo, logs };
        let deadline = Instant::now() + WAIT;
        while !weechat.fifo.exists() {
            assert!(
                Instant::now() < deadline,
                "WeeChat made no FIFO at {}: is its fifo plugin (Debian weechat-plugins) installed?",
                weechat.fifo.display()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        weechat
    }

    /// Runs `text` (a command or a line to say) in `buffer` (`irc.server.chat`, `irc.chat.#x`).
    fn type_in(&self, buffer: &str, text: &str) {
        fs::write(&self.fifo, format!("{buffer} *{text}\n")).unwrap();
    }

    fn expect(&self, buffer: &str, texts: &[&str]) {
        expect_in(&self.logs.join(format!("{buffer}.weechatlog")), texts);
    }
}

impl Drop for Weechat {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn irssi_and_weechat_log_in_with_sasl_join_talk_whois_away_time_and_kick() {
    if !(installed("irssi", "irssi")
        && installed("tmux", "tmux")
        && installed("weechat-headless", "weechat-headless"))
    {
        return;
    }
    let server = TestServer::start_with(|c| c.irc_bind = Some("127.0.0.1:0".into()));
    let port = server.handle().irc_addr().unwrap().port();
    for login in ["irsa", "wena"] {
        let mut c = server.client();
        c.request(Request::Register(registration(login)));
    }
    let mut nati = server.user("nati");
    let dir = tempfile::tempdir().unwrap();
    let irssi = Irssi::start(&dir.path().join("a"), port, "irsa");
    let weechat = Weechat::start(&dir.path().join("b"), port, "wena");
    // SASL, then the default room.
    irssi.expect(&["SASL authentication succeeded"]);
    irssi.expect(&["End of /MOTD"]);
    weechat.expect("irc.chat.#lobby", &["wena", "has joined #lobby"]);
    // Both move to a room; the native client too.
    weechat.type_in("irc.server.chat", "/join #sala");
    weechat.expect("irc.chat.#sala", &["wena", "has joined #sala"]);
    irssi.type_line("/join #sala");
    weechat.expect("irc.chat.#sala", &["irsa", "has joined #sala"]);
    nati.request(Request::EnterRoom {
        room: "sala".into(),
    });
    irssi.expect(&["nati", "has joined #sala"]);
    // Talk, every way.
    weechat.type_in("irc.chat.#sala", "hola desde weechat");
    irssi.expect(&["wena>", "hola desde weechat"]);
    nati.expect("wena's line", |m| {
        matches!(m, ServerMessage::Message { from, text, .. } if from == "wena" && text == "hola desde weechat")
    });
    irssi.type_line("y desde irssi, ñandú");
    weechat.expect("irc.chat.#sala", &["irsa", "y desde irssi, ñandú"]);
    nati.expect("irsa's line", |m| {
        matches!(m, ServerMessage::Message { from, text, .. } if from == "irsa" && text == "y desde irssi, ñandú")
    });
    nati.send(Request::Say {
        attachments: Vec::new(),
        reply_to: None,
        text: "y la nativa".into(),
    });
    irssi.expect(&["nati>", "y la nativa"]);
    weechat.expect("irc.chat.#sala", &["nati", "y la nativa"]);
    // /whois: the user name each gave, the room, the account.
    irssi.type_line("/whois wena");
    irssi.expect(&["wena [wenauser@chat]"]);
    irssi.expect(&["account", ": wena"]);
    weechat.type_in("irc.server.chat", "/whois irsa");
    weechat.expect("irc.server.chat", &["[irsa]", "(irsauser@chat)"]);
    weechat.expect("irc.server.chat", &["[irsa]", "#sala"]);
    // /away: the other is told when writing, and in /whois.
    weechat.type_in("irc.server.chat", "/away comiendo");
    weechat.expect("irc.server.chat", &["You have been marked as being away"]);
    irssi.type_line("/msg wena ¿estás?");
    irssi.expect(&["wena is away: comiendo"]);
    weechat.expect("irc.chat.irsa", &["irsa", "¿estás?"]);
    // /time: the server's clock, to the millisecond.
    irssi.type_line("/time");
    irssi.expect(&["chat ", " UTC"]);
    weechat.type_in("irc.server.chat", "/time");
    weechat.expect("irc.server.chat", &["chat ", " UTC"]);
    // /kick: the room is WeeChat's (it made it), so irssi is refused.
    irssi.type_line("/kick #sala nati");
    irssi.expect(&["#sala", "not channel operator"]);
    // irssi leaves: WeeChat and the native client see it go.
    irssi.type_line("/quit hasta luego");
    weechat.expect("irc.chat.#sala", &["irsa", "has quit", "hasta luego"]);
    nati.expect(
        "irsa gone",
        |m| matches!(m, ServerMessage::Left { login, .. } if login == "irsa"),
    );
    // WeeChat kicks the native client, which is moved to the default room and told why.
    weechat.type_in("irc.chat.#sala", "/kick nati ya basta");
    weechat.expect("irc.chat.#sala", &["wena", "kicked", "nati", "ya basta"]);
    nati.expect("removed", |m| {
        matches!(m, ServerMessage::Moderated { login: Some(login), by, .. } if login == "nati" && by == "wena")
    });
    nati.expect(
        "back in the default room",
        |m| matches!(m, ServerMessage::Entered { room, .. } if room == "lobby"),
    );
}
