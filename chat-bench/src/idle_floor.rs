//! `idle-floor`: what a thread per client costs in memory before the client is anything.
//!
//! N connections over loopback to a listener in this process, and for each accepted one a thread
//! with the server's reader stack size, blocked in `read` with a small buffer on its stack, as a
//! logged-in client's reader waits. The process's resident memory is read before the threads
//! start and while they all wait. The difference per thread is the stack pages a waiting thread
//! touches (the C library keeps its thread descriptor and thread-local storage at the top of the
//! stack) and the per-thread bookkeeping of the C library and Rust's runtime: the floor under
//! `idle`'s figure for the server, which adds the client's own state.

use std::io::{self, Read};
use std::net::TcpStream;
use std::thread;
use std::time::Duration;

use serde::Serialize;

use crate::cli::IdleFloorArgs;
use crate::floor::listen;
use crate::run::round3;
use crate::usage::ProcessSample;

/// Bytes a waiting thread reads into, on its stack (the server's reader starts at 256 too).
const READ_BUFFER_BYTES: usize = 256;

#[derive(Debug, Serialize)]
struct IdleFloorReport {
    command: &'static str,
    threads: usize,
    stack_kib: usize,
    /// `complete` or `setup_failed`.
    outcome: &'static str,
    rss_kb_before: u64,
    rss_kb_after: u64,
    rss_per_thread_bytes: f64,
    threads_before: u64,
    threads_after: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    failure: Option<String>,
}

/// Blocks in `read` until the connection ends.
fn wait(mut socket: TcpStream) {
    let mut buf = [0u8; READ_BUFFER_BYTES];
    while matches!(socket.read(&mut buf), Ok(n) if n > 0) {}
}

/// Runs the measurement and returns its report and whether it completed.
pub fn run(args: IdleFloorArgs) -> io::Result<(String, bool)> {
    let n = args.threads;
    let listener = listen(n)?;
    let addr = listener.local_addr()?;
    let mut clients = Vec::with_capacity(n);
    let mut accepted = Vec::with_capacity(n);
    for _ in 0..n {
        clients.push(TcpStream::connect(addr)?);
        accepted.push(listener.accept()?.0);
    }
    thread::sleep(Duration::from_millis(200));
    let me = std::process::id();
    let before = ProcessSample::read(me)?;
    let mut failure = None;
    let mut handles = Vec::with_capacity(n);
    for socket in accepted {
        let spawned = thread::Builder::new()
            .stack_size(args.stack_kib * 1024)
            .spawn(move || wait(socket));
        match spawned {
            Ok(handle) => handles.push(handle),
            Err(e) => {
                failure = Some(format!("thread {}: {e}", handles.len()));
                break;
            }
        }
    }
    thread::sleep(Duration::from_secs_f64(args.hold));
    let after = ProcessSample::read(me)?;
    drop(clients);
    for handle in handles {
        let _ = handle.join();
    }
    let complete = failure.is_none();
    let report = IdleFloorReport {
        command: "idle-floor",
        threads: n,
        stack_kib: args.stack_kib,
        outcome: if complete { "complete" } else { "setup_failed" },
        rss_kb_before: before.rss_kb,
        rss_kb_after: after.rss_kb,
        rss_per_thread_bytes: round3(
            after.rss_kb.saturating_sub(before.rss_kb) as f64 * 1024.0 / n as f64,
        ),
        threads_before: before.threads,
        threads_after: after.threads,
        failure,
    };
    Ok((serde_json::to_string(&report)?, complete))
}
