//! Real PostgreSQL and Redis processes on free loopback ports, started and stopped by PID.
//!
//! Both are Debian packages (`postgresql`, `redis-server`; `.ci/run` installs them). PostgreSQL
//! refuses to run as root, so as root its commands run as the `postgres` user (`runuser`).
//! Without the programs a test says on standard error that it did not run, and passes, unless it
//! must run (see [`must_run`]): then it fails.

use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A port free now on 127.0.0.1.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Whether `program` can run here; if not, whether that fails the test (see the module).
pub fn available(program: &Path) -> bool {
    if program.exists() {
        return true;
    }
    missing(&program.display().to_string());
    false
}

/// Whether a test that needs an outside program must run rather than pass without it: when
/// `CHAT_REAL_CLIENTS` is set (`.ci/run` sets it, after installing the programs), or `CI` is set
/// on Linux (GitHub Actions sets `CI=true`; its Linux job runs `.ci/run`). Windows and macOS
/// runners have `CI` too but not the programs, so there a test still passes without them. A value
/// of `0` or `false`, or an empty one, counts as unset.
pub fn must_run() -> bool {
    let set = |name: &str| {
        std::env::var(name).is_ok_and(|v| {
            let v = v.trim();
            !(v.is_empty() || v == "0" || v.eq_ignore_ascii_case("false"))
        })
    };
    set("CHAT_REAL_CLIENTS") || (cfg!(target_os = "linux") && set("CI"))
}

/// `what` is not installed: fails the test if it must run, else says (past the test harness's
/// capture of `eprintln!`, so that `cargo test` shows it) that the test did not run.
pub fn missing(what: &str) {
    assert!(
        !must_run(),
        "{what} is not installed, and this test must run here (CHAT_REAL_CLIENTS, or CI on Linux)"
    );
    let _ = writeln!(
        std::io::stderr(),
        "NOT RUN: {what} is not installed, so this test passed without running \
         (CHAT_REAL_CLIENTS=1 or CI on Linux makes that a failure)"
    );
}

fn wait_for_port(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
        assert!(
            Instant::now() < deadline,
            "{what} did not start on port {port}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// How many processes have `dir` as their working directory (Linux's /proc).
fn running_in(dir: &Path) -> usize {
    pids_in(dir).len()
}

/// The processes that have `dir` as their working directory (Linux's /proc).
fn pids_in(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
        .filter(|(name, _)| name.bytes().all(|b| b.is_ascii_digit()))
        .filter(|(_, path)| std::fs::read_link(path.join("cwd")).is_ok_and(|cwd| cwd == dir))
        .map(|(name, _)| name)
        .collect()
}

pub fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// The directory of PostgreSQL's server programs (`initdb`, `pg_ctl`), the newest installed.
pub fn pg_bin() -> PathBuf {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    versions.sort();
    versions.pop().map_or_else(
        || PathBuf::from("/usr/lib/postgresql/none/bin"),
        |v| v.join("bin"),
    )
}

/// A PostgreSQL server of its own, in a temporary directory; stopped when dropped.
pub struct Postgres {
    pub port: u16,
    dir: tempfile::TempDir,
    bin: PathBuf,
    root: bool,
}

impl Postgres {
    /// Starts one, or `None` when PostgreSQL is not installed (see the module).
    pub fn start() -> Option<Self> {
        let bin = pg_bin();
        if !available(&bin.join("initdb")) {
            return None;
        }
        let root = is_root();
        let dir = tempfile::tempdir().unwrap();
        let pg = Postgres {
            port: free_port(),
            dir,
            bin,
            root,
        };
        if root {
            let status = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(pg.dir.path())
                .status()
                .unwrap();
            assert!(status.success());
        }
        let data = pg.data();
        pg.run(&[
            pg.bin.join("initdb").to_str().unwrap(),
            "-D",
            data.to_str().unwrap(),
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
        ]);
        pg.up();
        Some(pg)
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Runs a PostgreSQL program (as `postgres` when root), quietly; panics if it fails.
    fn run(&self, args: &[&str]) {
        let mut command = if self.root {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]);
            c.args(args);
            c
        } else {
            let mut c = Command::new(args[0]);
            c.args(&args[1..]);
            c
        };
        let out = command.stdin(Stdio::null()).output().unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Starts the server (again) on its port.
    pub fn up(&self) {
        let data = self.data();
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=on",
            self.port,
            data.display()
        );
        self.run(&[
            self.bin.join("pg_ctl").to_str().unwrap(),
            "-D",
            data.to_str().unwrap(),
            "-o",
            &options,
            "-l",
            data.join("log").to_str().unwrap(),
            "-w",
            "start",
        ]);
        wait_for_port(self.port, "PostgreSQL");
    }

    /// The postmaster's PID.
    pub fn pid(&self) -> Option<i32> {
        let text = std::fs::read_to_string(self.data().join("postmaster.pid")).ok()?;
        text.lines().next()?.trim().parse().ok()
    }

    /// Kills the server with SIGKILL (no shutdown, no checkpoint) and waits until it is gone.
    pub fn kill(&self) {
        if let Some(pid) = self.pid() {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            let deadline = Instant::now() + Duration::from_secs(10);
            while Path::new(&format!("/proc/{pid}")).exists() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            // Its backends end when they notice the postmaster is gone; a new postmaster
            // refuses to start while they hold the shared memory. They run in the data
            // directory: wait until no process does.
            let data = self.data().canonicalize().unwrap_or_else(|_| self.data());
            while running_in(&data) > 0 && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }

    /// Pauses every process of the server (SIGSTOP: the postmaster and each backend):
    /// connections stay open, their kernel acknowledges what is sent, nothing is answered.
    pub fn pause(&self) {
        self.signal_all("-STOP");
    }

    /// Lets a paused server go on (SIGCONT).
    pub fn resume(&self) {
        self.signal_all("-CONT");
    }

    fn signal_all(&self, which: &str) {
        let data = self.data().canonicalize().unwrap_or_else(|_| self.data());
        let pids = pids_in(&data);
        assert!(!pids.is_empty(), "no PostgreSQL process to signal");
        let status = Command::new("kill")
            .arg(which)
            .args(&pids)
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Stops the server cleanly (`pg_ctl stop -m fast`).
    pub fn stop(&self) {
        let data = self.data();
        let _ = self.run_quiet(&[
            self.bin.join("pg_ctl").to_str().unwrap(),
            "-D",
            data.to_str().unwrap(),
            "-m",
            "fast",
            "-w",
            "stop",
        ]);
    }

    fn run_quiet(&self, args: &[&str]) -> bool {
        let mut command = if self.root {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]);
            c.args(args);
            c
        } else {
            let mut c = Command::new(args[0]);
            c.args(&args[1..]);
            c
        };
        command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    /// Runs `sql` with `psql` (stopping at the first error); returns what it printed, rows
    /// unaligned without headers.
    pub fn sql(&self, sql: &str) -> String {
        let out = Command::new(self.bin.join("psql"))
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
            ])
            .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// Where a client connects.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if self.pid().is_some() {
            self.stop();
        }
        if self.pid().is_some() {
            self.kill();
        }
    }
}

/// A Redis server of its own (no persistence); killed when dropped.
pub struct Redis {
    pub port: u16,
    child: Option<Child>,
}

impl Redis {
    /// Starts one, or `None` when Redis is not installed (see the module).
    pub fn start() -> Option<Self> {
        if !available(Path::new("/usr/bin/redis-server")) {
            return None;
        }
        let mut redis = Redis {
            port: free_port(),
            child: None,
        };
        redis.up();
        Some(redis)
    }

    /// Starts it (again) on its port, empty.
    pub fn up(&mut self) {
        let child = Command::new("/usr/bin/redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--protected-mode", "no"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        self.child = Some(child);
        wait_for_port(self.port, "Redis");
    }

    /// Kills it (SIGKILL) and waits for it to end.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Pauses it (SIGSTOP): connections stay open, nothing is answered.
    pub fn pause(&self) {
        self.signal("-STOP");
    }

    /// Resumes it after [`Redis::pause`].
    pub fn resume(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, which: &str) {
        if let Some(child) = &self.child {
            let _ = Command::new("kill")
                .args([which, &child.id().to_string()])
                .status();
        }
    }

    /// Where a node connects.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.resume();
        self.kill();
    }
}
