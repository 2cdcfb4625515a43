//! Crash durability: while the real server is killed with SIGKILL at random moments (and
//! restarted), clients keep writing everything the server acknowledges as durable, and every
//! acknowledged write must be found after each restart:
//!
//! - registrations (`registered`): registering the login again says `login_taken`;
//! - session tokens (`logged_in`): `resume` with the token logs in;
//! - private messages kept for an offline user (`private_stored`): delivered at its next login.
//!
//! ```sh
//! cargo build --release -p chat-server
//! cargo run --release -p chat-server --example crash_cycles -- 1000
//! ```

mod common;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use chat_core::protocol::{ErrorCode, Gender, Password, Registration, Request, ServerMessage};
use common::{Failure, Raw, server_binary, spawn_server};

const PASSWORD: &str = "crash-password";

fn registration(login: &str) -> Request {
    Request::Register(Registration {
        first_names: "Crash".into(),
        last_names: "Test".into(),
        login: login.into(),
        password: Password(PASSWORD.into()),
        age: 30,
        gender: Gender::PreferNotToSay,
    })
}

fn login(login: &str) -> Request {
    Request::Login {
        login: login.into(),
        password: Password(PASSWORD.into()),
    }
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

/// Everything the server acknowledged as durable.
#[derive(Debug, Default)]
struct Acknowledged {
    registrations: Vec<String>,
    /// (login, token)
    tokens: Vec<(String, String)>,
    /// (recipient, text)
    kept: Vec<(String, String)>,
}

type Shared = Arc<Mutex<Acknowledged>>;

fn lock(shared: &Shared) -> Result<std::sync::MutexGuard<'_, Acknowledged>, Failure> {
    shared.lock().map_err(|_| "poisoned".into())
}

fn is_taken(reply: &ServerMessage) -> bool {
    matches!(
        reply,
        ServerMessage::Error {
            code: ErrorCode::LoginTaken,
            ..
        }
    )
}

/// Checks acknowledged writes against a freshly started server: every registration and every
/// `sample`-th token (all with `sample` 1); kept messages only when `kept` (delivering them
/// forgets them).
fn check(
    addr: SocketAddr,
    acked: &Acknowledged,
    sample: usize,
    kept: bool,
) -> Result<u64, Failure> {
    let mut lost = 0;
    let mut c = Raw::connect(addr)?;
    for login in &acked.registrations {
        if !is_taken(&c.request(registration(login))?) {
            eprintln!("lost registration {login}");
            lost += 1;
        }
    }
    for (login, token) in acked.tokens.iter().step_by(sample.max(1)) {
        let mut r = Raw::connect(addr)?;
        match r.request(Request::Resume {
            token: token.clone(),
        })? {
            ServerMessage::LoggedIn { login: got, .. } if got == *login => {}
            other => {
                eprintln!("lost token of {login}: {other:?}");
                lost += 1;
            }
        }
    }
    if kept {
        let mut recipients: Vec<&String> = acked.kept.iter().map(|(r, _)| r).collect();
        recipients.sort();
        recipients.dedup();
        for recipient in recipients {
            let mut r = Raw::connect(addr)?;
            r.request(login(recipient))?;
            let got: Vec<String> = r
                .events()?
                .into_iter()
                .filter_map(|m| match m {
                    ServerMessage::Private {
                        text, stored: true, ..
                    } => Some(text),
                    _ => None,
                })
                .collect();
            for (_, text) in acked.kept.iter().filter(|(to, _)| to == recipient) {
                if !got.contains(text) {
                    eprintln!("lost kept message {text:?} to {recipient}");
                    lost += 1;
                }
            }
        }
    }
    Ok(lost)
}

/// What one writer does until `stop`: returns how many writes it attempted.
fn writer(kind: usize, cycle: u32, addr: SocketAddr, stop: &AtomicBool, acked: &Shared) -> u64 {
    let mut tried = 0;
    let Ok(mut c) = Raw::connect(addr) else {
        return 0;
    };
    let mut i = 0;
    let sender = format!("sender{cycle}");
    let recipient = format!("inbox{cycle}");
    if kind == 2 {
        // The sender of kept messages logs in first; its messages go to an offline recipient.
        if !matches!(
            c.request(login(&sender)),
            Ok(ServerMessage::LoggedIn { .. })
        ) {
            return 0;
        }
    }
    while !stop.load(Ordering::Relaxed) {
        i += 1;
        tried += 1;
        let result = match kind {
            // Registrations.
            0 => {
                let login = format!("c{cycle}n{i}");
                c.request(registration(&login)).map(|reply| {
                    if matches!(reply, ServerMessage::Registered { .. })
                        && let Ok(mut a) = acked.lock()
                    {
                        a.registrations.push(login);
                    }
                })
            }
            // Tokens: a new account logs in on a new connection and gets one (an account keeps
            // a bounded number of tokens, so each token has an account of its own).
            1 => {
                let who = format!("t{cycle}n{i}");
                c.request(registration(&who)).and_then(|_| {
                    Raw::connect(addr).and_then(|mut fresh| {
                        fresh.request(login(&who)).map(|reply| {
                            if let ServerMessage::LoggedIn {
                                token: Some(token), ..
                            } = reply
                                && let Ok(mut a) = acked.lock()
                            {
                                a.tokens.push((who.clone(), token));
                            }
                        })
                    })
                })
            }
            // Private messages kept for an offline user.
            _ => {
                let text = format!("k{cycle}-{i}");
                c.request(Request::Private {
                    attachments: Vec::new(),
                    reply_to: None,
                    to: recipient.clone(),
                    text: text.clone(),
                })
                .map(|reply| {
                    if matches!(reply, ServerMessage::PrivateStored { .. })
                        && let Ok(mut a) = acked.lock()
                    {
                        a.kept.push((recipient.clone(), text));
                    }
                })
            }
        };
        if result.is_err() {
            break; // killed mid-request: not acknowledged
        }
    }
    tried
}

fn main() -> Result<(), Failure> {
    let cycles: u32 = std::env::args().nth(1).map_or(Ok(100), |a| a.parse())?;
    let bin = server_binary()?;
    let dir = std::env::temp_dir().join(format!("chat-crash-{}", std::process::id()));
    let seed = SystemTime::now().duration_since(UNIX_EPOCH)?.as_nanos() as u64;
    let mut rng = Lcg(seed);
    let acked: Shared = Arc::default();
    let started = Instant::now();
    let mut attempted = 0u64;
    let mut lost = 0;
    let mut opened = 0;
    for cycle in 0..cycles {
        let (mut child, addr) = spawn_server(&bin, &dir, &[])?;
        opened += 1;
        // Everything acknowledged before this start must be there (tokens sampled; kept
        // messages at the end, as reading them delivers them).
        let before = lock(&acked)?;
        lost += check(addr, &before, 16, false)?;
        drop(before);
        // This cycle's sender and offline recipient.
        let mut setup = Raw::connect(addr)?;
        for who in [format!("sender{cycle}"), format!("inbox{cycle}")] {
            let reply = setup.request(registration(&who))?;
            if matches!(reply, ServerMessage::Registered { .. }) {
                lock(&acked)?.registrations.push(who);
            }
        }
        drop(setup);
        let stop = Arc::new(AtomicBool::new(false));
        let writers: Vec<_> = (0..3)
            .map(|kind| {
                let (stop, acked) = (Arc::clone(&stop), Arc::clone(&acked));
                std::thread::spawn(move || writer(kind, cycle, addr, &stop, &acked))
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
    // A last start: the store opens and holds everything, every token and kept message too.
    let (mut child, addr) = spawn_server(&bin, &dir, &[])?;
    opened += 1;
    let acked = lock(&acked)?;
    lost += check(addr, &acked, 1, true)?;
    child.kill()?;
    child.wait()?;
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "{{\"cycles\": {cycles}, \"store_opened\": {opened}, \"writes_attempted\": {attempted}, \
         \"registrations\": {}, \"tokens\": {}, \"kept_messages\": {}, \"lost\": {lost}, \
         \"seconds\": {:.1}}}",
        acked.registrations.len(),
        acked.tokens.len(),
        acked.kept.len(),
        started.elapsed().as_secs_f64()
    );
    if lost > 0 {
        return Err(format!("{lost} acknowledged writes lost").into());
    }
    Ok(())
}
