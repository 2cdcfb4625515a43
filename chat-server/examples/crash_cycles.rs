//! Crash durability: while the real server is killed with SIGKILL at random moments (and
//! restarted), clients keep writing everything the server acknowledges as durable, and every
//! acknowledged write must be found after each restart:
//!
//! - registrations (`registered`): registering the login again says `login_taken`;
//! - session tokens (`logged_in`): `resume` with the token logs in;
//! - private messages kept for an offline user (`private_stored`): delivered at its next login;
//! - shared files (`201` to the last `PATCH` of an upload): downloaded whole, byte for byte, by
//!   their owner; an upload the kill cut short resumes from what the server says it has and ends
//!   with the same bytes; and the store holds no record whose bytes are missing or different.
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
use common::{Failure, Raw, http, server_binary, sha256, spawn_server};

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
    /// Files whose upload was answered `201`.
    files: Vec<SharedFile>,
    /// Uploads announced (`201` to the `POST`) but cut short by the kill.
    cut: Vec<CutUpload>,
    /// Uploads whose last bytes were sent but whose answer the kill took: done or not, nobody
    /// was told.
    unanswered: u64,
}

/// A file the server acknowledged.
#[derive(Debug, Clone)]
struct SharedFile {
    owner: String,
    id: String,
    sha256: String,
    size: usize,
}

/// An upload the kill interrupted.
#[derive(Debug, Clone)]
struct CutUpload {
    owner: String,
    upload: String,
    bytes: Vec<u8>,
    /// Whether its last bytes had gone out (then it may have ended before the kill).
    last_sent: bool,
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
            seen: None,
        })? {
            ServerMessage::LoggedIn { login: got, .. } if got == *login => {}
            other => {
                eprintln!("lost token of {login}: {other:?}");
                lost += 1;
            }
        }
    }
    let mut tokens = std::collections::HashMap::new();
    for file in acked.files.iter().step_by(sample.max(1)) {
        if !tokens.contains_key(&file.owner) {
            tokens.insert(file.owner.clone(), token_of(addr, &file.owner)?);
        }
        let got = http(
            addr,
            &format!(
                "GET /files/{} HTTP/1.1\r\nHost: chat\r\nAuthorization: Bearer {}\r\n\r\n",
                file.id, tokens[&file.owner]
            ),
            b"",
        )?;
        if got.status != 200 || got.body.len() != file.size || sha256(&got.body) != file.sha256 {
            eprintln!(
                "lost file {} of {}: status {}",
                file.id, file.owner, got.status
            );
            lost += 1;
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

/// A session token for `who`, from a password login.
fn token_of(addr: SocketAddr, who: &str) -> Result<String, Failure> {
    match Raw::connect(addr)?.request(login(who))? {
        ServerMessage::LoggedIn {
            token: Some(token), ..
        } => Ok(token),
        other => Err(format!("{who} cannot log in: {other:?}").into()),
    }
}

/// Resumes the uploads the last kill cut short from where the server says they are; each must
/// end with a file of exactly the announced bytes. Returns how many acknowledged uploads were
/// lost (gone although announced, or ended with other bytes).
fn resume_cut(addr: SocketAddr, acked: &Shared) -> Result<u64, Failure> {
    let cut = std::mem::take(&mut lock(acked)?.cut);
    let mut lost = 0;
    for upload in cut {
        let token = token_of(addr, &upload.owner)?;
        let auth = format!("Host: chat\r\nAuthorization: Bearer {token}\r\n");
        let head = http(
            addr,
            &format!("HEAD /uploads/{} HTTP/1.1\r\n{auth}\r\n", upload.upload),
            b"",
        )?;
        let Some(have) = head
            .header("Upload-Offset")
            .and_then(|v| v.parse::<usize>().ok())
        else {
            if upload.last_sent {
                lock(acked)?.unanswered += 1;
            } else {
                eprintln!("lost upload {} (HEAD {})", upload.upload, head.status);
                lost += 1;
            }
            continue;
        };
        let rest = upload.bytes.get(have..).unwrap_or_default();
        let done = http(
            addr,
            &format!(
                "PATCH /uploads/{} HTTP/1.1\r\n{auth}Upload-Offset: {have}\r\n\
                 Content-Length: {}\r\n\r\n",
                upload.upload,
                rest.len()
            ),
            rest,
        )?;
        match done.json()["file"]["id"].as_str() {
            Some(id) if done.status == 201 => lock(acked)?.files.push(SharedFile {
                owner: upload.owner,
                id: id.to_owned(),
                sha256: sha256(&upload.bytes),
                size: upload.bytes.len(),
            }),
            _ => {
                eprintln!(
                    "upload {} did not resume from {have}: {} {:?}",
                    upload.upload,
                    done.status,
                    done.json()
                );
                lost += 1;
            }
        }
    }
    Ok(lost)
}

/// Uploads files in two `PATCH`es each until a request fails (the kill): of up to 256 KiB, and
/// every fourth of 2 to 4 MiB, whose halves (over 1 MiB) the server hashes on a thread beside
/// the copy.
fn uploader(cycle: u32, addr: SocketAddr, stop: &AtomicBool, acked: &Shared) -> u64 {
    let owner = format!("up{cycle}");
    let token = match token_of(addr, &owner) {
        Ok(token) => token,
        Err(e) => {
            eprintln!("uploader: {e}");
            return 0;
        }
    };
    let auth = format!("Host: chat\r\nAuthorization: Bearer {token}\r\n");
    let mut rng = Lcg(u64::from(cycle) << 20);
    let mut tried = 0;
    while !stop.load(Ordering::Relaxed) {
        tried += 1;
        let size = if tried % 4 == 0 {
            2 * 1024 * 1024 + rng.next(2 * 1024 * 1024) as usize
        } else {
            1 + rng.next(256 * 1024) as usize
        };
        let mut bytes = format!("{owner}/{tried}/").into_bytes();
        bytes.extend((0..size).map(|i| (i * 131 % 251) as u8));
        let Ok(begun) = http(
            addr,
            &format!(
                "POST /uploads HTTP/1.1\r\n{auth}Upload-Name: f{tried}.bin\r\n\
                 Upload-Type: application/octet-stream\r\n\
                 Upload-Length: {}\r\nUpload-Sha256: {}\r\nContent-Length: 0\r\n\r\n",
                bytes.len(),
                sha256(&bytes)
            ),
            b"",
        ) else {
            break;
        };
        let Some(upload) = begun.json()["upload"].as_str().map(str::to_owned) else {
            eprintln!(
                "uploader: POST answered {} {:?}",
                begun.status,
                begun.json()
            );
            break;
        };
        let half = bytes.len() / 2;
        let patch = |from: usize, to: usize| {
            http(
                addr,
                &format!(
                    "PATCH /uploads/{upload} HTTP/1.1\r\n{auth}Upload-Offset: {from}\r\n\
                     Content-Length: {}\r\n\r\n",
                    to - from
                ),
                &bytes[from..to],
            )
        };
        let cut = |last_sent| CutUpload {
            owner: owner.clone(),
            upload: upload.clone(),
            bytes: bytes.clone(),
            last_sent,
        };
        if patch(0, half).is_err() {
            if let Ok(mut a) = acked.lock() {
                a.cut.push(cut(false));
            }
            break;
        }
        match patch(half, bytes.len()) {
            Ok(done) if done.status == 201 => {
                if let (Some(id), Ok(mut a)) = (done.json()["file"]["id"].as_str(), acked.lock()) {
                    a.files.push(SharedFile {
                        owner: owner.clone(),
                        id: id.to_owned(),
                        sha256: sha256(&bytes),
                        size: bytes.len(),
                    });
                }
            }
            _ => {
                if let Ok(mut a) = acked.lock() {
                    a.cut.push(cut(true));
                }
                break;
            }
        }
    }
    tried
}

/// Every file record of the store in `dir` names bytes that are there, whole and unchanged.
/// Returns how many do not.
fn check_store(dir: &std::path::Path) -> Result<u64, Failure> {
    let store = chat_server::store::Store::open(&dir.join("accounts"), 16 << 20)?;
    let files = store.files(&dir.join("files"))?;
    let mut bad = 0;
    for record in files.records() {
        let record = record?;
        let mut bytes = Vec::new();
        let whole = files
            .bytes(&record, 0)
            .and_then(|mut f| std::io::Read::read_to_end(&mut f, &mut bytes))
            .is_ok();
        if !whole || bytes.len() as u64 != record.size || sha256(&bytes) != record.sha256 {
            eprintln!("file {} has not its bytes", record.id);
            bad += 1;
        }
    }
    Ok(bad)
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
        lost += resume_cut(addr, &acked)?;
        let before = lock(&acked)?;
        lost += check(addr, &before, 16, false)?;
        drop(before);
        // This cycle's sender and offline recipient.
        let mut setup = Raw::connect(addr)?;
        for who in [
            format!("sender{cycle}"),
            format!("inbox{cycle}"),
            format!("up{cycle}"),
        ] {
            let reply = setup.request(registration(&who))?;
            if matches!(reply, ServerMessage::Registered { .. }) {
                lock(&acked)?.registrations.push(who);
            }
        }
        drop(setup);
        let stop = Arc::new(AtomicBool::new(false));
        let writers: Vec<_> = (0..4)
            .map(|kind| {
                let (stop, acked) = (Arc::clone(&stop), Arc::clone(&acked));
                std::thread::spawn(move || {
                    if kind == 3 {
                        uploader(cycle, addr, &stop, &acked)
                    } else {
                        writer(kind, cycle, addr, &stop, &acked)
                    }
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
    // A last start: the store opens and holds everything, every token and kept message too.
    let (mut child, addr) = spawn_server(&bin, &dir, &[])?;
    opened += 1;
    lost += resume_cut(addr, &acked)?;
    let acked = lock(&acked)?;
    lost += check(addr, &acked, 1, true)?;
    child.kill()?;
    child.wait()?;
    let damaged = check_store(&dir)?;
    lost += damaged;
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "{{\"cycles\": {cycles}, \"store_opened\": {opened}, \"writes_attempted\": {attempted}, \
         \"registrations\": {}, \"tokens\": {}, \"kept_messages\": {}, \"files\": {}, \
         \"uploads_unanswered\": {}, \"files_damaged\": {damaged}, \"lost\": {lost}, \
         \"seconds\": {:.1}}}",
        acked.registrations.len(),
        acked.tokens.len(),
        acked.kept.len(),
        acked.files.len(),
        acked.unanswered,
        started.elapsed().as_secs_f64()
    );
    if lost > 0 {
        return Err(format!("{lost} acknowledged writes lost").into());
    }
    if acked.files.is_empty() || acked.kept.is_empty() || acked.tokens.is_empty() {
        return Err("some kind of write was never acknowledged: this run proves nothing".into());
    }
    Ok(())
}
