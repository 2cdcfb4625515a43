//! `idle`: N logged-in clients that only read, to measure what each costs the server in memory
//! and threads; with `--reconnect`, also how fast they all log back in with their session tokens
//! once a restarted server drops them.

use std::sync::Arc;
use std::sync::atomic::Ordering::{Acquire, Relaxed};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize};
use std::thread;
use std::time::{Duration, Instant};

use chat_core::protocol::{Request, ServerFrame, ServerMessage};
use serde::Serialize;

use crate::cli::IdleArgs;
use crate::net::{Closed, Conns, Handler, Net};
use crate::run::{
    Progress, ServerProbe, StopOnDrop, TICK, join_loops, partition, round3, secs, spawn_loops,
};
use crate::session::{Account, Auth, AuthStep, busy_delay};
use crate::usage::own_cpu_seconds;

/// Timer tag: send the login again after `server_busy`.
const RETRY_AUTH: u32 = 1;
/// Timer tag: connect again after a refused reconnect (the server is not back yet).
const RECONNECT: u32 = 2;
/// Wait before connecting again after a refused reconnect, plus a per-client spread.
const RECONNECT_DELAY: Duration = Duration::from_millis(50);
/// Longest wait for readiness, so a loop notices the stop flag.
const WAIT: Duration = Duration::from_millis(20);

#[derive(Debug, Default)]
struct IdleShared {
    logged_in: AtomicUsize,
    failed: AtomicUsize,
    disconnects: AtomicU64,
    frames: AtomicU64,
    server_busy: AtomicU64,
    stop: AtomicBool,
    /// The hold is over: a dropped client reconnects (`--reconnect`).
    reconnecting: AtomicBool,
    dropped: AtomicUsize,
    relogged: AtomicUsize,
    /// When the first client was dropped, and when the first one was back (ns since `epoch`).
    first_drop_ns: AtomicU64,
    first_back_ns: AtomicU64,
    epoch: Option<Instant>,
}

impl IdleShared {
    fn mark(&self, slot: &AtomicU64) {
        if let Some(epoch) = self.epoch {
            let ns = u64::try_from(epoch.elapsed().as_nanos())
                .unwrap_or(u64::MAX)
                .max(1);
            let _ = slot.compare_exchange(0, ns, Relaxed, Relaxed);
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    NotStarted,
    LoggingIn,
    LoggedIn,
    Gone,
    /// Dropped by the server, waiting for its turn to reconnect.
    Waiting,
    /// Reconnecting with its session token.
    Resuming,
}

struct IdleLoop<'a> {
    args: &'a IdleArgs,
    shared: &'a IdleShared,
    logins: Vec<String>,
    auth: Vec<Option<Auth>>,
    stage: Vec<Stage>,
    logging_in: usize,
    frames: u64,
    failures: Vec<String>,
    tokens: Vec<Option<String>>,
    /// Dropped clients whose turn to reconnect has come.
    to_reconnect: Vec<usize>,
}

fn run_loop(args: Arc<IdleArgs>, shared: Arc<IdleShared>, indices: Vec<usize>) -> Vec<String> {
    let n = indices.len();
    let mut net = match Net::new(args.common.addr, n) {
        Ok(net) => net,
        Err(e) => {
            shared.failed.fetch_add(n, Relaxed);
            return vec![format!("cannot start an event loop: {e}")];
        }
    };
    net.conns.set_transport(
        &args.common.transport,
        indices.first().copied().unwrap_or(0),
    );
    let mut lp = IdleLoop {
        args: &args,
        shared: &shared,
        logins: indices.iter().map(|&i| args.common.login(i)).collect(),
        auth: vec![None; n],
        stage: vec![Stage::NotStarted; n],
        logging_in: 0,
        frames: 0,
        failures: Vec::new(),
        tokens: vec![None; n],
        to_reconnect: Vec::new(),
    };
    let limit = (args.common.login_concurrency / args.common.threads).max(1) as usize;
    let mut next = 0;
    let mut published = 0;
    while !shared.stop.load(Acquire) {
        while next < n && lp.logging_in < limit {
            lp.start(&mut net.conns, next);
            next += 1;
        }
        while lp.logging_in < limit
            && let Some(local) = lp.to_reconnect.pop()
        {
            lp.reconnect(&mut net.conns, local);
        }
        net.flush(&mut lp);
        if let Err(e) = net.turn(WAIT, &mut lp) {
            lp.failures.push(format!("event loop failed: {e}"));
            break;
        }
        shared.frames.fetch_add(lp.frames - published, Relaxed);
        published = lp.frames;
    }
    lp.failures
}

impl IdleLoop<'_> {
    fn start(&mut self, conns: &mut Conns, local: usize) {
        self.stage[local] = Stage::LoggingIn;
        self.logging_in += 1;
        if let Err(e) = conns.connect(local) {
            self.fail(conns, local, format!("connect: {e}"));
            return;
        }
        let account = Account {
            login: &self.logins[local],
            password: &self.args.common.password,
        };
        self.auth[local] = Some(Auth::begin(conns, local, account));
    }

    /// Connects a dropped client again and resumes its session.
    fn reconnect(&mut self, conns: &mut Conns, local: usize) {
        self.stage[local] = Stage::Resuming;
        self.logging_in += 1;
        if conns.connect(local).is_err() {
            self.retry_later(conns, local);
            return;
        }
        self.auth[local] = Some(match &self.tokens[local] {
            Some(token) => Auth::resume(conns, local, token),
            None => Auth::begin(
                conns,
                local,
                Account {
                    login: &self.logins[local],
                    password: &self.args.common.password,
                },
            ),
        });
    }

    /// A reconnect failed (the server is not back yet): try again shortly.
    fn retry_later(&mut self, conns: &mut Conns, local: usize) {
        conns.close(local);
        self.logging_in -= 1;
        self.stage[local] = Stage::Waiting;
        let spread = Duration::from_micros((local as u64 % 50) * 1_000);
        conns.after(RECONNECT_DELAY + spread, local, RECONNECT);
    }

    fn fail(&mut self, conns: &mut Conns, local: usize, why: String) {
        conns.close(local);
        if matches!(self.stage[local], Stage::LoggingIn | Stage::Resuming) {
            self.logging_in -= 1;
        }
        self.stage[local] = Stage::Gone;
        self.shared.failed.fetch_add(1, Relaxed);
        if self.failures.len() < 5 {
            self.failures.push(format!("{}: {why}", self.logins[local]));
        }
    }
}

impl Handler for IdleLoop<'_> {
    fn on_frame(&mut self, conns: &mut Conns, local: usize, frame: ServerFrame, _at: Instant) {
        self.frames += 1;
        match &frame.message {
            ServerMessage::Ping => {
                conns.send(local, Request::Ping);
                return;
            }
            ServerMessage::LoggedIn {
                token: Some(token), ..
            } => self.tokens[local] = Some(token.clone()),
            _ => {}
        }
        if !matches!(self.stage[local], Stage::LoggingIn | Stage::Resuming) {
            return;
        }
        let account = Account {
            login: &self.logins[local],
            password: &self.args.common.password,
        };
        let Some(auth) = self.auth[local].as_mut() else {
            return;
        };
        match auth.on_frame(conns, local, account, &frame) {
            AuthStep::Pending | AuthStep::Registered => {}
            AuthStep::Busy => {
                self.shared.server_busy.fetch_add(1, Relaxed);
                conns.after(busy_delay(local), local, RETRY_AUTH);
            }
            AuthStep::LoggedIn => {
                self.logging_in -= 1;
                if self.stage[local] == Stage::Resuming {
                    self.shared.relogged.fetch_add(1, Relaxed);
                    self.shared.mark(&self.shared.first_back_ns);
                } else {
                    self.shared.logged_in.fetch_add(1, Relaxed);
                }
                self.stage[local] = Stage::LoggedIn;
            }
            AuthStep::Failed(why) => self.fail(conns, local, why),
        }
    }

    fn on_message(&mut self, _conns: &mut Conns, _local: usize, _text: &[u8], _at: Instant) {
        self.frames += 1;
    }

    fn on_closed(&mut self, conns: &mut Conns, local: usize, why: Closed) {
        match self.stage[local] {
            Stage::LoggingIn => {
                let why = match why {
                    Closed::ByServer => "closed by the server".to_owned(),
                    Closed::Failed(e) => e.to_string(),
                };
                self.fail(conns, local, why);
            }
            Stage::LoggedIn if self.shared.reconnecting.load(Acquire) => {
                conns.close(local);
                self.stage[local] = Stage::Waiting;
                self.shared.dropped.fetch_add(1, Relaxed);
                self.shared.mark(&self.shared.first_drop_ns);
                self.to_reconnect.push(local);
            }
            Stage::LoggedIn => {
                self.stage[local] = Stage::Gone;
                self.shared.disconnects.fetch_add(1, Relaxed);
            }
            Stage::Resuming => self.retry_later(conns, local),
            Stage::NotStarted | Stage::Gone | Stage::Waiting => {}
        }
    }

    fn on_timer(&mut self, conns: &mut Conns, local: usize, tag: u32) {
        if tag == RECONNECT && self.stage[local] == Stage::Waiting {
            self.to_reconnect.push(local);
            return;
        }
        if tag == RETRY_AUTH && matches!(self.stage[local], Stage::LoggingIn | Stage::Resuming) {
            let account = Account {
                login: &self.logins[local],
                password: &self.args.common.password,
            };
            if let Some(auth) = self.auth[local].as_mut() {
                auth.retry(conns, local, account);
            }
        }
    }
}

#[derive(Debug, Serialize)]
struct IdleReport {
    command: &'static str,
    addr: String,
    threads: u64,
    /// `complete`, `timeout` or `login_failed`.
    outcome: &'static str,
    clients: usize,
    logged_in: usize,
    login_failures: usize,
    disconnects: u64,
    login_s: f64,
    logins_per_sec: f64,
    hold_s: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    server_rss_kb_before: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    server_rss_kb_after: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rss_per_client_bytes: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    server_threads_before: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    server_threads_after: Option<u64>,
    /// Server CPU over the whole run (logins and hold).
    #[serde(skip_serializing_if = "Option::is_none")]
    server_cpu_s: Option<f64>,
    /// Frames the clients received (join notices, room lists, …).
    frames_received: u64,
    server_busy: u64,
    bench_cpu_s: f64,
    /// `--reconnect`: clients dropped by the server, and logged back in with their tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    reconnect: Option<ReconnectReport>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    failures: Vec<String>,
}

#[derive(Debug, Serialize)]
struct ReconnectReport {
    dropped: usize,
    relogged: usize,
    /// From the first client dropped to the last one logged back in.
    since_drop_s: f64,
    /// From the first client logged back in (the server answering again) to the last.
    since_first_back_s: f64,
}

/// Logs the clients in, holds them, and reports the server's memory before and after.
pub fn run(args: IdleArgs) -> std::io::Result<(String, bool)> {
    let args = Arc::new(args);
    let shared = Arc::new(IdleShared {
        epoch: Some(Instant::now()),
        ..IdleShared::default()
    });
    let server = ServerProbe(args.common.server_pid.clone());
    let n = args.clients;
    let started = Instant::now();
    let deadline = started + args.common.timeout();
    let before = server.sample();

    let handles = {
        let (args, shared) = (args.clone(), shared.clone());
        let parts = partition(n, args.common.threads as usize);
        spawn_loops(parts, move |part| {
            run_loop(args.clone(), shared.clone(), part)
        })?
    };
    let stopper = StopOnDrop(&shared.stop);
    let mut progress = Progress::new();
    let mut outcome = "timeout";
    let mut login_time = None;
    let mut hold_started = None;
    let mut after_hold = None;
    while Instant::now() < deadline {
        thread::sleep(TICK);
        let logged_in = shared.logged_in.load(Relaxed);
        let failed = shared.failed.load(Relaxed);
        match hold_started {
            None if logged_in + failed >= n => {
                login_time = Some(started.elapsed());
                hold_started = Some(Instant::now());
                eprintln!(
                    "{logged_in} logged in, {failed} failed; holding {} s",
                    args.hold
                );
            }
            Some(at) if at.elapsed().as_secs_f64() >= args.hold && !args.reconnect => {
                outcome = if failed == 0 {
                    "complete"
                } else {
                    "login_failed"
                };
                break;
            }
            Some(at) if at.elapsed().as_secs_f64() >= args.hold => {
                if !shared.reconnecting.swap(true, Relaxed) {
                    after_hold = server.sample();
                    eprintln!("ready: restart the server now; clients log back in when dropped");
                }
                if shared.relogged.load(Relaxed) + failed >= logged_in {
                    outcome = if failed == 0 {
                        "complete"
                    } else {
                        "login_failed"
                    };
                    break;
                }
            }
            _ => {}
        }
        progress.tick(|| {
            let disconnects = shared.disconnects.load(Relaxed);
            let (dropped, relogged) = (shared.dropped.load(Relaxed), shared.relogged.load(Relaxed));
            format!(
                "logged in {logged_in}/{n}, failed {failed}, disconnects {disconnects}, \
                 dropped {dropped}, back {relogged}"
            )
        });
    }
    let hold = hold_started.map_or(Duration::ZERO, |at| at.elapsed());
    let after = if args.reconnect {
        after_hold
    } else {
        server.sample()
    };
    drop(stopper);
    let failures = join_loops(handles).into_iter().flatten().take(5).collect();

    let logged_in = shared.logged_in.load(Relaxed);
    let disconnects = shared.disconnects.load(Relaxed);
    let login_s = login_time.unwrap_or_else(|| started.elapsed());
    let rss_per_client = before.zip(after).map(|(b, a)| {
        round3((a.rss_kb as f64 - b.rss_kb as f64) * 1024.0 / logged_in.max(1) as f64)
    });
    let report = IdleReport {
        command: "idle",
        addr: args.common.addr.to_string(),
        threads: args.common.threads,
        outcome,
        clients: n,
        logged_in,
        login_failures: shared.failed.load(Relaxed),
        disconnects,
        login_s: secs(login_s),
        logins_per_sec: round3(logged_in as f64 / login_s.as_secs_f64().max(1e-9)),
        hold_s: secs(hold),
        server_rss_kb_before: before.map(|s| s.rss_kb),
        server_rss_kb_after: after.map(|s| s.rss_kb),
        rss_per_client_bytes: rss_per_client,
        server_threads_before: before.map(|s| s.threads),
        server_threads_after: after.map(|s| s.threads),
        server_cpu_s: before.zip(after).map(|(b, a)| round3(a.cpu_s - b.cpu_s)),
        frames_received: shared.frames.load(Relaxed),
        server_busy: shared.server_busy.load(Relaxed),
        bench_cpu_s: round3(own_cpu_seconds()),
        reconnect: args.reconnect.then(|| {
            let at = |slot: &AtomicU64| Duration::from_nanos(slot.load(Relaxed));
            let end = started.elapsed();
            ReconnectReport {
                dropped: shared.dropped.load(Relaxed),
                relogged: shared.relogged.load(Relaxed),
                since_drop_s: secs(end.saturating_sub(at(&shared.first_drop_ns))),
                since_first_back_s: secs(end.saturating_sub(at(&shared.first_back_ns))),
            }
        }),
        failures,
    };
    let clean = outcome == "complete" && disconnects == 0;
    Ok((serde_json::to_string(&report)?, clean))
}
