//! Crash durability: registers accounts while the real server is killed with SIGKILL at random
//! moments, restarts it, and checks that every acknowledged registration is still there.
//!
//! ```sh
//! cargo build --release -p chat-server
//! cargo run --release -p chat-server --example crash_cycles -- 100
//! ```

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use chat_core::protocol::{ErrorCode, Gender, Password, Registration, Request, ServerMessage};
use common::{Failure, Raw, server_binary, spawn_server};

fn registration(login: &str) -> Request {
    Request::Register(Registration {
        first_names: "Crash".into(),
        last_names: "Test".into(),
        login: login.into(),
        password: Password("crash-password".into()),
        age: 30,
        gender: Gender::PreferNotToSay,
    })
}

/// A small pseudo-random generator, seeded from the clock: kill moments differ run to run.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % below.max(1)
    }
}

fn main() -> Result<(), Failure> {
    let cycles: u32 = std::env::args().nth(1).map_or(Ok(100), |a| a.parse())?;
    let bin = server_binary()?;
    let dir = std::env::temp_dir().join(format!("chat-crash-{}", std::process::id()));
    let seed = SystemTime::now().duration_since(UNIX_EPOCH)?.as_nanos() as u64;
    let mut rng = Lcg(seed);
    let acknowledged: Arc<Mutex<Vec<String>>> = Arc::default();
    let started = Instant::now();
    let mut attempted = 0u64;
    for cycle in 0..cycles {
        let (mut child, addr) = spawn_server(&bin, &dir)?;
        // Everything acknowledged before this start must be there: registering it again says taken.
        let mut check = Raw::connect(addr)?;
        for login in acknowledged.lock().map_err(|_| "poisoned")?.iter() {
            match check.request(registration(login))? {
                ServerMessage::Error {
                    code: ErrorCode::LoginTaken,
                    ..
                } => {}
                other => {
                    return Err(
                        format!("cycle {cycle}: acknowledged {login} is gone ({other:?})").into(),
                    );
                }
            }
        }
        drop(check);
        // Writers register as fast as they can until the kill.
        let stop = Arc::new(AtomicBool::new(false));
        let writers: Vec<_> = (0..4)
            .map(|w| {
                let (stop, acknowledged) = (Arc::clone(&stop), Arc::clone(&acknowledged));
                std::thread::spawn(move || -> u64 {
                    let mut tried = 0;
                    let Ok(mut c) = Raw::connect(addr) else {
                        return 0;
                    };
                    let mut i = 0;
                    while !stop.load(Ordering::Relaxed) {
                        let login = format!("c{cycle}w{w}n{i}");
                        i += 1;
                        tried += 1;
                        match c.request(registration(&login)) {
                            Ok(ServerMessage::Registered { .. }) => {
                                if let Ok(mut a) = acknowledged.lock() {
                                    a.push(login);
                                }
                            }
                            Ok(_) => {}
                            Err(_) => break, // killed mid-request: not acknowledged
                        }
                    }
                    tried
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(20 + rng.next(300)));
        child.kill()?; // SIGKILL
        child.wait()?;
        stop.store(true, Ordering::Relaxed);
        for w in writers {
            attempted += w.join().map_err(|_| "writer panicked")?;
        }
    }
    // A last start: the store opens and holds everything.
    let (mut child, addr) = spawn_server(&bin, &dir)?;
    let mut check = Raw::connect(addr)?;
    let all = acknowledged.lock().map_err(|_| "poisoned")?.clone();
    let mut lost = 0;
    for login in &all {
        if !matches!(
            check.request(registration(login))?,
            ServerMessage::Error {
                code: ErrorCode::LoginTaken,
                ..
            }
        ) {
            lost += 1;
        }
    }
    child.kill()?;
    child.wait()?;
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "{{\"cycles\": {cycles}, \"registrations_attempted\": {attempted}, \"acknowledged\": {}, \"lost\": {lost}, \"seconds\": {:.1}}}",
        all.len(),
        started.elapsed().as_secs_f64()
    );
    if lost > 0 {
        return Err(format!("{lost} acknowledged registrations lost").into());
    }
    Ok(())
}
