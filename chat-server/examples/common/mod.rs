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

/// An HTTP answer from the chat port.
#[derive(Debug)]
pub struct HttpAnswer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpAnswer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

/// Sends one HTTP request (`head` ends with the blank line) and `body` on a new plain connection
/// to the chat port, and reads the answer.
pub fn http(addr: SocketAddr, head: &str, body: &[u8]) -> Result<HttpAnswer, Failure> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        let n = std::io::Read::read(&mut stream, &mut chunk)?;
        if n == 0 {
            return Err("closed before an answer".into());
        }
        buf.extend_from_slice(&chunk[..n]);
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut response = httparse::Response::new(&mut headers);
        if let httparse::Status::Complete(end) = response.parse(&buf)? {
            let status = response.code.ok_or("no status")?;
            let headers: Vec<(String, String)> = response
                .headers
                .iter()
                .map(|h| {
                    let value = String::from_utf8_lossy(h.value).into_owned();
                    (h.name.to_owned(), value)
                })
                .collect();
            let length: usize = headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
                .map_or(Ok(0), |(_, v)| v.parse())?;
            let mut body = buf[end..].to_vec();
            while body.len() < length {
                let n = std::io::Read::read(&mut stream, &mut chunk)?;
                if n == 0 {
                    return Err("the body was cut short".into());
                }
                body.extend_from_slice(&chunk[..n]);
            }
            return Ok(HttpAnswer {
                status,
                headers,
                body,
            });
        }
    }
}

/// A content's SHA-256, in hex.
pub fn sha256(bytes: &[u8]) -> String {
    hex::encode(ring::digest::digest(&ring::digest::SHA256, bytes))
}
