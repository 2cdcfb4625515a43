//! Upload rounds in a paced fan-out (`--upload-rounds`): while the room chats, the first
//! `--uploaders` members each upload a file at once, over HTTP on the chat port (TLS with
//! `--tls`), with the session token their chat connection logged in with; that connection stays
//! in the room and goes on reading (and, for a sender, saying) lines meanwhile. A round's window,
//! for the latency split, runs from its start to the end of its last upload; the server's
//! resident memory is read before, throughout (every tick of the coordinator) and after.
//!
//! Each uploader is a blocking thread of its own. Its file is made and hashed once for every
//! round before the run starts (the first bytes differ from round to round, so that no upload
//! finds its content stored already), so that nothing but the uploads runs in a window.

use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use std::sync::atomic::{AtomicU64, AtomicUsize};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::windows::Windows;
use super::{FanoutShared, Plan};
use crate::files::stream::Stream;
use crate::files::{MIB, content, http};
use crate::run::{ServerProbe, round3};

/// How often an uploader waiting for its round looks again.
const WAIT: Duration = Duration::from_millis(1);
/// The first few failures kept.
const FAILURES_KEPT: usize = 5;

/// What the coordinator and the uploaders share.
#[derive(Debug, Default)]
pub struct UploadShared {
    /// By uploader: the session token its member logged in with.
    tokens: Mutex<Vec<Option<String>>>,
    /// Uploaders whose files are made and hashed.
    prepared: AtomicUsize,
    /// The round the coordinator started: 1, 2, … (0: none yet).
    go: AtomicU64,
    /// Uploads ended, failed ones included, over the run.
    ended: AtomicUsize,
    /// When the last upload of the round ended (ns since the run's epoch).
    end_ns: AtomicU64,
    /// Seconds each upload of the round took.
    took: Mutex<Vec<f64>>,
    failures: Mutex<Vec<String>>,
}

impl UploadShared {
    /// Keeps the token member `index` logged in with, when it uploads.
    pub fn set_token(&self, index: usize, token: &str) {
        let mut tokens = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(slot) = tokens.get_mut(index) {
            *slot = Some(token.to_owned());
        }
    }

    fn token(&self, index: usize) -> Option<String> {
        let tokens = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        tokens.get(index).cloned().flatten()
    }

    fn fail(&self, why: String) {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if failures.len() < FAILURES_KEPT {
            failures.push(why);
        }
    }
}

/// Starts the uploader threads, which make their files and then wait for their rounds.
pub fn spawn(plan: &Arc<Plan>, shared: &Arc<FanoutShared>) -> std::io::Result<Vec<JoinHandle<()>>> {
    let uploaders = plan.uploads.uploaders;
    *shared
        .uploads
        .tokens
        .lock()
        .unwrap_or_else(|p| p.into_inner()) = vec![None; uploaders];
    (0..uploaders)
        .map(|u| {
            let (plan, shared) = (Arc::clone(plan), Arc::clone(shared));
            thread::Builder::new()
                .name(format!("bench-upload-{u}"))
                .spawn(move || uploader(&plan, &shared, u))
        })
        .collect()
}

/// The first bytes of uploader `u`'s file in round `round`, which make it differ from every
/// other.
fn tag(bytes: &mut [u8], seed: u64, u: usize, round: u64) {
    let mut head = [0u8; 24];
    head[..8].copy_from_slice(&seed.to_le_bytes());
    head[8..16].copy_from_slice(&(u as u64).to_le_bytes());
    head[16..].copy_from_slice(&round.to_le_bytes());
    let n = head.len().min(bytes.len());
    bytes[..n].copy_from_slice(&head[..n]);
}

/// One uploader: its file for every round, then an upload each time a round starts.
fn uploader(plan: &Plan, shared: &FanoutShared, u: usize) {
    let uploads = &plan.uploads;
    lower_priority(uploads.uploaders_nice);
    let size = usize::try_from(uploads.upload_mib).unwrap_or(0) * MIB;
    let patch = usize::try_from(uploads.patch_mib).unwrap_or(0) * MIB;
    let seed = shared.epoch_seed;
    let mut bytes = content::Content::new(seed ^ (u as u64 + 1), size).bytes;
    let rounds = u64::from(uploads.upload_rounds);
    let hashes: Vec<String> = (1..=rounds)
        .map(|round| {
            tag(&mut bytes, seed, u, round);
            content::sha256_hex(&bytes)
        })
        .collect();
    shared.uploads.prepared.fetch_add(1, Release);
    let addr = plan.common.addr;
    let tls = plan.common.transport.tls.as_ref();
    for round in 1..=rounds {
        while shared.uploads.go.load(Acquire) < round {
            if shared.stop.load(Acquire) {
                return;
            }
            thread::sleep(WAIT);
        }
        tag(&mut bytes, seed, u, round);
        let started = Instant::now();
        let result = match shared.uploads.token(u) {
            Some(token) => Stream::connect(addr, tls).and_then(|mut stream| {
                let name = format!("upload-{u}-{round}.bin");
                let sha = &hashes[usize::try_from(round - 1).unwrap_or(0)];
                http::upload(&mut stream, &token, &name, &bytes, sha, patch)
            }),
            None => Err(std::io::Error::other("its member never logged in")),
        };
        let took = started.elapsed();
        let end_ns = shared.now_ns();
        let uploads = &shared.uploads;
        match result {
            Ok(_) => uploads
                .took
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(took.as_secs_f64()),
            Err(e) => uploads.fail(format!("uploader {u}, round {round}: {e}")),
        }
        uploads.end_ns.fetch_max(end_ns, Relaxed);
        uploads.ended.fetch_add(1, Release);
    }
}

/// Runs the calling thread at nice value `nice` (Linux, where a thread has its own; 0 leaves it
/// as it is).
fn lower_priority(nice: i32) {
    #[cfg(target_os = "linux")]
    if nice > 0 {
        let tid = rustix::thread::gettid();
        if let Err(e) = rustix::process::setpriority_process(Some(tid), nice) {
            eprintln!("chat-bench: cannot lower an uploader's priority: {e}");
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = nice;
}

/// What one round came to.
#[derive(Debug, Serialize)]
pub struct RoundRecord {
    /// From the start of the round to the end of its last upload.
    pub took_s: f64,
    /// Uploads that succeeded, and their slowest and mean times.
    pub uploaded: usize,
    pub slowest_s: f64,
    pub mean_s: f64,
    /// All the round's bytes over `took_s`, MB/s (10^6 bytes).
    pub mbps: f64,
    /// The server's resident memory before the round, the most seen during it (read every
    /// tick, and from `VmHWM` when that rose), and the difference (KiB).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rss_before_kb: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rss_peak_kb: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rss_growth_kb: Option<u64>,
}

/// The round under way.
#[derive(Debug)]
struct Round {
    n: u64,
    start_ns: u64,
    /// RSS and VmHWM before it, and the most RSS read since.
    before: Option<(u64, u64)>,
    peak_kb: u64,
}

/// The coordinator's side of the upload rounds.
#[derive(Debug, Default)]
pub struct UploadRunner {
    current: Option<Round>,
    pub records: Vec<RoundRecord>,
}

impl UploadRunner {
    /// Whether every uploader is ready for a round.
    pub fn can_begin(&self, plan: &Plan, shared: &FanoutShared) -> bool {
        shared.uploads.prepared.load(Acquire) >= plan.uploads.uploaders
    }

    /// Starts the next round.
    pub fn begin(&mut self, shared: &FanoutShared, windows: &Windows, server: &ServerProbe) {
        let before = server.sample().map(|s| (s.rss_kb, s.peak_rss_kb));
        let uploads = &shared.uploads;
        uploads
            .took
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
        uploads.end_ns.store(0, Relaxed);
        let n = uploads.go.load(Relaxed) + 1;
        let start_ns = shared.now_ns();
        windows.open(start_ns);
        uploads.go.store(n, Release);
        self.current = Some(Round {
            n,
            start_ns,
            peak_kb: before.map_or(0, |b| b.0),
            before,
        });
    }

    /// Reads the server's memory, and ends the round (returning `true`) once every upload of it
    /// ended.
    pub fn poll(
        &mut self,
        plan: &Plan,
        shared: &FanoutShared,
        windows: &Windows,
        server: &ServerProbe,
    ) -> bool {
        let Some(round) = self.current.as_mut() else {
            return true;
        };
        let now = server.sample();
        if let Some(s) = now {
            round.peak_kb = round.peak_kb.max(s.rss_kb);
        }
        let uploaders = plan.uploads.uploaders;
        let all = uploaders * usize::try_from(round.n).unwrap_or(usize::MAX);
        if shared.uploads.ended.load(Acquire) < all {
            return false;
        }
        let end_ns = shared.uploads.end_ns.load(Relaxed).max(round.start_ns);
        windows.close(end_ns);
        let took: Vec<f64> = shared
            .uploads
            .took
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let took_s = (end_ns - round.start_ns) as f64 / 1e9;
        let bytes = plan.uploads.upload_mib as f64 * MIB as f64 * took.len() as f64;
        let peak = match (round.before, now) {
            (Some((_, hwm_before)), Some(s)) if s.peak_rss_kb > hwm_before => {
                Some(round.peak_kb.max(s.peak_rss_kb))
            }
            (Some(_), _) => Some(round.peak_kb),
            _ => None,
        };
        self.records.push(RoundRecord {
            took_s: round3(took_s),
            uploaded: took.len(),
            slowest_s: round3(took.iter().copied().fold(0.0, f64::max)),
            mean_s: round3(took.iter().sum::<f64>() / took.len().max(1) as f64),
            mbps: (bytes / took_s.max(1e-9) / 1e5).round() / 10.0,
            rss_before_kb: round.before.map(|b| b.0),
            rss_peak_kb: peak,
            rss_growth_kb: round.before.zip(peak).map(|(b, p)| p.saturating_sub(b.0)),
        });
        self.current = None;
        true
    }
}

/// What the report says of the upload rounds.
#[derive(Debug, Serialize)]
pub struct UploadsReport {
    pub asked: u32,
    pub done: usize,
    pub uploaders: usize,
    pub bytes_each: u64,
    pub rounds: Vec<RoundRecord>,
    /// The most the server's resident memory grew in a round (KiB).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_rss_growth_kb: Option<u64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<String>,
}

impl UploadsReport {
    pub fn new(runner: UploadRunner, plan: &Plan, shared: &FanoutShared) -> UploadsReport {
        UploadsReport {
            asked: plan.uploads.upload_rounds,
            done: runner.records.len(),
            uploaders: plan.uploads.uploaders,
            bytes_each: plan.uploads.upload_mib * MIB as u64,
            max_rss_growth_kb: runner.records.iter().filter_map(|r| r.rss_growth_kb).max(),
            rounds: runner.records,
            failures: shared
                .uploads
                .failures
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone(),
        }
    }

    /// Whether every round asked for ran and every upload in it succeeded.
    pub fn clean(&self) -> bool {
        self.done == self.asked as usize
            && self.failures.is_empty()
            && self.rounds.iter().all(|r| r.uploaded == self.uploaders)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_round_and_uploader_gets_other_bytes() {
        let mut a = vec![7u8; 64];
        let mut b = a.clone();
        tag(&mut a, 1, 0, 1);
        tag(&mut b, 1, 0, 2);
        assert_ne!(a, b);
        tag(&mut b, 1, 1, 1);
        assert_ne!(a, b);
        assert_eq!(a[24..], [7u8; 40]);
        let mut short = vec![0u8; 5];
        tag(&mut short, 1, 2, 3);
    }

    /// The priority is the uploading thread's own: the thread that asked for it runs at 19,
    /// the one that started it keeps its own.
    #[cfg(target_os = "linux")]
    #[test]
    fn an_uploader_lowers_its_own_thread_only() {
        let own = || rustix::process::getpriority_process(Some(rustix::thread::gettid()));
        let before = own().expect("own priority");
        let lowered = std::thread::spawn(move || {
            lower_priority(19);
            own().expect("the thread's priority")
        })
        .join()
        .expect("the thread ends");
        assert_eq!(lowered, 19);
        assert_eq!(own().expect("own priority"), before);
    }
}
