//! `#show users` with 100,000 accounts: how long one page takes, and what 50 clients asking for
//! it over and over do to the chat's latency.
//!
//! ```sh
//! cargo build --release -p chat-server
//! cargo run --release -p chat-server --example directory -- 100000
//! ```
//!
//! The accounts are written straight into a store (one flush), then the real server binary is
//! started on it. Phases, each 10 s: chat alone (a line every 5 ms from one user to another in
//! the default room, timed from send to arrival), then the same with 50 more clients each asking
//! for a page of `#show users` 5 times a second (the default flood limit), then as fast as they
//! get answers (flood control is off for that: with it on, such a client is cut off).

mod common;

use std::collections::HashMap;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chat_core::frame::{decode, encode};
use chat_core::protocol::{ClientFrame, Request, ServerFrame, ServerMessage};
use common::{Failure, Raw, login, seed, server_binary, spawn_server};

const PASSWORD: &str = "directory-password";
const ASKERS: usize = 50;
const PHASE: Duration = Duration::from_secs(10);
const LINE_EVERY: Duration = Duration::from_millis(5);

fn main() -> Result<(), Failure> {
    let accounts: usize = std::env::args().nth(1).map_or(Ok(100_000), |a| a.parse())?;
    let bin = server_binary()?;
    let dir = std::env::temp_dir().join(format!("chat-directory-{accounts}"));
    seed(&dir, accounts, PASSWORD)?;
    let (mut child, addr) = spawn_server(&bin, &dir, &["--flood-per-second", "0"])?;
    let measured = measure(addr);
    // The server goes whatever happened: a later run needs the store's lock.
    child.kill()?;
    child.wait()?;
    let (page, alone, (paced, paced_pages), (busy, pages_per_sec)) = measured?;
    println!(
        "{{\"accounts\": {accounts}, \"show_users_ms\": {{\"p50\": {:.2}, \"p99\": {:.2}}}, \
         \"chat_p99_ms\": {{\"alone\": {alone:.2}, \"with_{ASKERS}_askers_at_5_per_s\": \
         {paced:.2}, \"with_{ASKERS}_askers_without_pause\": {busy:.2}}}, \
         \"pages_per_sec\": {{\"at_5_per_s\": {paced_pages:.0}, \"without_pause\": \
         {pages_per_sec:.0}}}}}",
        page.0, page.1
    );
    Ok(())
}

/// One page timed 200 times, chat alone, chat with the askers at the default flood rate (5
/// requests a second each) and without pause.
type Measured = ((f64, f64), f64, (f64, f64), (f64, f64));

fn measure(addr: SocketAddr) -> Result<Measured, Failure> {
    let mut one = login(addr, "user000000", PASSWORD)?;
    let page = time_pages(&mut one, 200)?;
    let alone = chat_p99(addr)?;
    let paced = chat_with_askers(addr, 10, Some(Duration::from_millis(200)))?;
    let busy = chat_with_askers(addr, 10 + ASKERS, None)?;
    Ok((page, alone, paced, busy))
}

fn percentile(mut ms: Vec<f64>, p: f64) -> f64 {
    if ms.is_empty() {
        return f64::NAN;
    }
    ms.sort_by(f64::total_cmp);
    let i = ((ms.len() as f64 - 1.0) * p).round() as usize;
    ms[i]
}

/// `n` requests for the first page, one after another: (p50, p99) in ms.
fn time_pages(raw: &mut Raw, n: usize) -> Result<(f64, f64), Failure> {
    let mut took = Vec::with_capacity(n);
    for _ in 0..n {
        let started = Instant::now();
        match raw.request(Request::ShowUsers { offset: 0 })? {
            ServerMessage::Users { .. } => {}
            other => return Err(format!("show users: {other:?}").into()),
        }
        took.push(started.elapsed().as_secs_f64() * 1e3);
    }
    Ok((percentile(took.clone(), 0.5), percentile(took, 0.99)))
}

/// A line every 5 ms for one phase from one user to another: p99 from send to arrival (ms).
fn chat_p99(addr: SocketAddr) -> Result<f64, Failure> {
    let sender = login(addr, "user000001", PASSWORD)?;
    let receiver = login(addr, "user000002", PASSWORD)?;
    let sent: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let latencies: Arc<Mutex<Vec<f64>>> = Arc::default();
    let done = Arc::new(AtomicBool::new(false));
    let reader = {
        let (sent, latencies, done) =
            (Arc::clone(&sent), Arc::clone(&latencies), Arc::clone(&done));
        let (mut stream, mut frames) = receiver.into_parts();
        stream.set_read_timeout(Some(Duration::from_millis(200)))?;
        std::thread::spawn(move || {
            while !done.load(Ordering::Acquire) {
                let Ok(Some(body)) = frames.read_frame(&mut stream) else {
                    continue;
                };
                let Ok(frame) = decode::<ServerFrame>(body) else {
                    continue;
                };
                if let ServerMessage::Message { text, .. } = frame.message
                    && let Some(at) = sent.lock().unwrap_or_else(|p| p.into_inner()).remove(&text)
                {
                    latencies
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push(at.elapsed().as_secs_f64() * 1e3);
                }
            }
        })
    };
    let (mut stream, _) = sender.into_parts();
    let started = Instant::now();
    let mut n = 0u64;
    while started.elapsed() < PHASE {
        let text = format!("line {n}");
        sent.lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(text.clone(), Instant::now());
        stream.write_all(&encode(&ClientFrame {
            id: u32::try_from(n % u64::from(u32::MAX)).unwrap_or(0) + 100,
            request: Request::Say {
                attachments: Vec::new(),
                reply_to: None,
                text,
            },
        })?)?;
        n += 1;
        let next = started + LINE_EVERY * u32::try_from(n).unwrap_or(u32::MAX);
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
    }
    std::thread::sleep(Duration::from_millis(500));
    done.store(true, Ordering::Release);
    let _ = reader.join();
    let all = latencies.lock().unwrap_or_else(|p| p.into_inner()).clone();
    if all.len() < (n as usize) * 9 / 10 {
        return Err(format!("only {} of {n} lines arrived", all.len()).into());
    }
    Ok(percentile(all, 0.99))
}

/// [`chat_p99`] while 50 clients (logins from `user{first}` on) ask for pages of `#show users`,
/// one `every` so long or without pause; and the pages served per second.
fn chat_with_askers(
    addr: SocketAddr,
    first: usize,
    every: Option<Duration>,
) -> Result<(f64, f64), Failure> {
    let stop = Arc::new(AtomicBool::new(false));
    let pages = Arc::new(AtomicU64::new(0));
    let mut askers = Vec::new();
    for i in 0..ASKERS {
        let mut raw = login(addr, &format!("user{:06}", first + i), PASSWORD)?;
        let (stop, pages) = (Arc::clone(&stop), Arc::clone(&pages));
        askers.push(std::thread::spawn(move || {
            let mut offset = 0u32;
            let started = Instant::now();
            let mut asked = 0u32;
            while !stop.load(Ordering::Acquire) {
                if let Some(every) = every {
                    asked += 1;
                    let next = started + every * asked;
                    std::thread::sleep(next.saturating_duration_since(Instant::now()));
                }
                match raw.request(Request::ShowUsers { offset }) {
                    Ok(ServerMessage::Users { users, .. }) => {
                        pages.fetch_add(1, Ordering::Relaxed);
                        offset = (offset + u32::try_from(users.len()).unwrap_or(0)) % 90_000;
                    }
                    _ => break,
                }
            }
        }));
    }
    std::thread::sleep(Duration::from_secs(1));
    let before = pages.load(Ordering::Relaxed);
    let started = Instant::now();
    let p99 = chat_p99(addr)?;
    let rate = (pages.load(Ordering::Relaxed) - before) as f64 / started.elapsed().as_secs_f64();
    stop.store(true, Ordering::Release);
    for asker in askers {
        let _ = asker.join();
    }
    Ok((p99, rate))
}
