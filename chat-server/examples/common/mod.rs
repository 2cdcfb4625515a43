//! What the operational examples share: starting the real server binary, a minimal blocking
//! protocol client, and reading a process's threads, descriptors and memory.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use chat_core::frame::{FrameReader, decode, encode};
use chat_core::protocol::{ClientFrame, Request, ServerFrame, ServerMessage};

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
