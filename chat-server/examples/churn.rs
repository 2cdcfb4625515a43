//! Churn: many connect / log in / disconnect cycles against the real server, then checks that
//! its threads, open descriptors and memory come back to where they were.
//!
//! ```sh
//! cargo build --release -p chat-server
//! cargo run --release -p chat-server --example churn -- 10000
//! ```

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chat_core::protocol::{Gender, Password, Registration, Request, ServerMessage};
use common::{Failure, ProcStats, Raw, proc_stats, server_binary, spawn_server};

const WORKERS: u64 = 8;

fn main() -> Result<(), Failure> {
    let cycles: u64 = std::env::args().nth(1).map_or(Ok(10_000), |a| a.parse())?;
    let bin = server_binary()?;
    let dir = std::env::temp_dir().join(format!("chat-churn-{}", std::process::id()));
    let (mut child, addr) = spawn_server(&bin, &dir, &[])?;
    let pid = child.id();

    // Accounts exist before the baseline, so the baseline includes the store's caches.
    for w in 0..WORKERS {
        let mut c = Raw::connect(addr)?;
        let reply = c.request(Request::Register(Registration {
            first_names: "Churn".into(),
            last_names: "Test".into(),
            login: format!("churn{w}"),
            password: Password("churn-password".into()),
            age: 30,
            gender: Gender::PreferNotToSay,
        }))?;
        if !matches!(reply, ServerMessage::Registered { .. }) {
            return Err(format!("register: {reply:?}").into());
        }
    }
    // Warm-up: the first cycles size the allocator's arenas.
    run(addr, 200.min(cycles))?;
    std::thread::sleep(Duration::from_secs(1));
    let before = proc_stats(pid)?;
    let started = Instant::now();
    run(addr, cycles)?;
    let took = started.elapsed();
    std::thread::sleep(Duration::from_secs(2));
    let after = proc_stats(pid)?;
    child.kill()?;
    child.wait()?;
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "{{\"cycles\": {cycles}, \"seconds\": {:.1}, \"before\": {}, \"after\": {}}}",
        took.as_secs_f64(),
        json(before),
        json(after)
    );
    if after.threads != before.threads || after.fds != before.fds {
        return Err("threads or descriptors did not return to the baseline".into());
    }
    // Memory: allowed to settle within 10% (the allocator keeps some freed pages).
    if after.rss_kb > before.rss_kb + before.rss_kb / 10 {
        return Err("memory did not return to the baseline".into());
    }
    Ok(())
}

fn json(s: ProcStats) -> String {
    format!(
        "{{\"threads\": {}, \"fds\": {}, \"rss_kb\": {}}}",
        s.threads, s.fds, s.rss_kb
    )
}

/// `cycles` connect/login/exit cycles over several threads.
fn run(addr: std::net::SocketAddr, cycles: u64) -> Result<(), Failure> {
    let next = Arc::new(AtomicU64::new(0));
    let workers: Vec<_> = (0..WORKERS)
        .map(|w| {
            let next = Arc::clone(&next);
            std::thread::spawn(move || -> Result<(), String> {
                while next.fetch_add(1, Ordering::Relaxed) < cycles {
                    let mut c = Raw::connect(addr).map_err(|e| e.to_string())?;
                    let reply = c
                        .request(Request::Login {
                            login: format!("churn{w}"),
                            password: Password("churn-password".into()),
                        })
                        .map_err(|e| e.to_string())?;
                    if !matches!(reply, ServerMessage::LoggedIn { .. }) {
                        return Err(format!("login: {reply:?}"));
                    }
                    c.request(Request::Exit).map_err(|e| e.to_string())?;
                }
                Ok(())
            })
        })
        .collect();
    for w in workers {
        w.join().map_err(|_| "worker panicked")??;
    }
    Ok(())
}
