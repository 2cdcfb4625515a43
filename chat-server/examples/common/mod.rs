//! What the operational examples share: starting the real server binary, a minimal blocking
//! protocol client, and reading a process's threads, descriptors and memory.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chat_core::frame::{FrameReader, decode, encode};
use chat_core::protocol::{ClientFrame, Gender, Password, Request, ServerFrame, ServerMessage};
use chat_server::store::{Account, Store};

pub type Failure = Box<dyn std::error::Error>;

/// The `chat-server` binary built beside this example (`cargo build --release -p chat-server`).
pub fn server_binary() -> Result<PathBuf, Failure> {
    let exe = std::env::current_exe()?;
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .ok_or("cannot locate the target directory")?;
    let bin = dir.join(format!("chat-server{}", std::env::consts::EXE_SUFFIX));
    if !bin.exists() {
        return Err(format!(
            "{} is missing: run `cargo build --release -p chat-server` first",
            bin.display()
        )
        .into());
    }
    Ok(bin)
}

/// Starts the server on a free loopback port, plain TCP, with a fast (benchmark-only) bcrypt cost
/// and no per-address limits; `extra` flags are added.
pub fn spawn_server(
    bin: &Path,
    data_dir: &Path,
    extra: &[&str],
) -> Result<(Child, SocketAddr), Failure> {
    let mut child = Command::new(bin)
        .args([
            "--bind",
            "127.0.0.1:0",
            "--no-tls",
            "--bcrypt-cost",
            "4",
            "--allow-weak-bcrypt",
        ])
        // These runs hammer the server from one address on purpose.
        .args([
            "--registrations-per-ip",
            "1000000",
            "--max-connections-per-ip",
            "0",
        ])
        .arg("--data-dir")
        .arg(data_dir)
        .args(extra)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line)?;
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .ok_or_else(|| format!("unexpected first line {line:?}"))?
        .parse()?;
    Ok((child, addr))
}

/// Writes accounts `user000000`… (`n` of them, all with `password`) straight into the store
/// under `dir`, with one flush per 10,000; once (a marker file keeps them for later runs).
pub fn seed(dir: &Path, n: usize, password: &str) -> Result<(), Failure> {
    let marker = dir.join("seeded");
    if marker.exists() {
        return Ok(());
    }
    let started = Instant::now();
    let hash = bcrypt::hash(password, 4)?;
    let store = Store::open(&dir.join("accounts"), 64 << 20)?;
    let accounts: Vec<Account> = (0..n)
        .map(|i| Account {
            login: format!("user{i:06}"),
            first_names: format!("Nombre {i}"),
            last_names: format!("Apellido Número {i}"),
            password_hash: hash.clone(),
            age: 20,
            gender: Gender::PreferNotToSay,
            created_ms: 0,
        })
        .collect();
    for chunk in accounts.chunks(10_000) {
        store.accounts.create_all(chunk)?;
    }
    drop(store);
    std::fs::write(&marker, b"")?;
    eprintln!(
        "seeded {n} accounts in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// A client logged in as `user`.
pub fn login(addr: SocketAddr, user: &str, password: &str) -> Result<Raw, Failure> {
    let mut raw = Raw::connect(addr)?;
    match raw.request(Request::Login {
        login: user.into(),
        password: Password(password.into()),
    })? {
        ServerMessage::LoggedIn { .. } => Ok(raw),
        other => Err(format!("login {user}: {other:?}").into()),
    }
}

/// A blocking protocol client for scripts.
pub struct Raw {
    stream: TcpStream,
    reader: FrameReader,
    next_id: u32,
}

impl Raw {
    /// Connects and says hello.
    pub fn connect(addr: SocketAddr) -> Result<Self, Failure> {
        let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        stream.set_nodelay(true)?;
        let mut raw = Raw {
            stream,
            reader: FrameReader::new(),
            next_id: 1,
        };
        raw.request(Request::Hello {
            version: 1,
            client: "ops".into(),
        })?;
        Ok(raw)
    }

    /// Sends a request and waits for its reply, skipping events.
    pub fn request(&mut self, request: Request) -> Result<ServerMessage, Failure> {
        let id = self.next_id;
        self.next_id += 1;
        self.stream
            .write_all(&encode(&ClientFrame { id, request })?)?;
        loop {
            let body = self
                .reader
                .read_frame(&mut self.stream)?
                .ok_or("connection closed")?;
            let frame: ServerFrame = decode(body)?;
            if frame.re == Some(id) {
                return Ok(frame.message);
            }
        }
    }
}

impl Raw {
    /// The socket, to write frames built by the caller (replies are then read by [`Raw::events`]).
    pub fn stream_mut(&mut self) -> &mut TcpStream {
        &mut self.stream
    }

    /// The socket and what was read from it but not yet taken, for driving it directly.
    pub fn into_parts(self) -> (TcpStream, FrameReader) {
        (self.stream, self.reader)
    }

    /// Every event that comes before the reply to a `ping` sent now: all the server queued for
    /// this client so far.
    pub fn events(&mut self) -> Result<Vec<ServerMessage>, Failure> {
        let id = self.next_id;
        self.next_id += 1;
        self.stream.write_all(&encode(&ClientFrame {
            id,
            request: Request::Ping,
        })?)?;
        let mut events = Vec::new();
        loop {
            let body = self
                .reader
                .read_frame(&mut self.stream)?
                .ok_or("connection closed")?;
            let frame: ServerFrame = decode(body)?;
            if frame.re == Some(id) {
                return Ok(events);
            }
            events.push(frame.message);
        }
    }
}

/// Threads, open descriptors and resident memory of a process (Linux).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcStats {
    pub threads: u64,
    pub fds: u64,
    pub rss_kb: u64,
}

pub fn proc_stats(pid: u32) -> Result<ProcStats, Failure> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let field = |name: &str| -> Result<u64, Failure> {
        let line = status
            .lines()
            .find(|l| l.starts_with(name))
            .ok_or_else(|| format!("no {name} in /proc/{pid}/status"))?;
        Ok(line
            .split_whitespace()
            .nth(1)
            .ok_or("empty field")?
            .parse()?)
    };
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd"))?.count() as u64;
    Ok(ProcStats {
        threads: field("Threads:")?,
        fds,
        rss_kb: field("VmRSS:")?,
    })
}
