//! `logins`: C connections, each in a loop of connect, `hello`, `login` (or `resume` with the
//! session token, `--resume`), `exit`, for S seconds. Every account is logged in once with its
//! password (and registered if needed) before the clock starts, so the timed cycles measure
//! logins only.

use std::sync::Arc;
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize};
use std::thread;
use std::time::{Duration, Instant};

use chat_core::protocol::{Request, ServerFrame, ServerMessage};
use serde::Serialize;

use crate::cli::LoginsArgs;
use crate::histogram::Histogram;
use crate::net::{Closed, Conns, Handler, Net};
use crate::run::{
    Progress, ServerProbe, StopOnDrop, TICK, join_loops, partition, round3, secs, spawn_loops,
};
use crate::session::{Account, Auth, AuthStep, busy_delay};
use crate::usage::own_cpu_seconds;

/// Timer tags.
const RETRY_AUTH: u32 = 1;
const RESTART: u32 = 2;
/// Wait before a slot whose cycle failed starts again.
const RESTART_DELAY: Duration = Duration::from_millis(10);
/// Longest wait for readiness, so a loop notices the shared flags.
const WAIT: Duration = Duration::from_millis(5);

#[derive(Debug, Default)]
struct LoginsShared {
    warmed: AtomicUsize,
    warm_failed: AtomicUsize,
    started: AtomicBool,
    stop: AtomicBool,
    ok: AtomicU64,
    failed: AtomicU64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Idle,
    LoggingIn,
    Exiting,
    /// Warmed up, waiting for the timed phase.
    Parked,
    Gone,
}

#[derive(Debug)]
struct Slot {
    login: String,
    /// The session token of the last login.
    token: Option<String>,
    stage: Stage,
    auth: Option<Auth>,
    warm: bool,
    connected_at: Instant,
}

#[derive(Debug, Default)]
struct LoopCounts {
    latency: Histogram,
    server_busy: u64,
    registered: u64,
    failures: Vec<String>,
}

struct LoginsLoop<'a> {
    args: &'a LoginsArgs,
    shared: &'a LoginsShared,
    slots: Vec<Slot>,
    counting: bool,
    counts: LoopCounts,
}

fn run_loop(args: Arc<LoginsArgs>, shared: Arc<LoginsShared>, indices: Vec<usize>) -> LoopCounts {
    let mut net = match Net::new(args.common.addr, indices.len()) {
        Ok(net) => net,
        Err(e) => {
            shared.warm_failed.fetch_add(indices.len(), Relaxed);
            let mut counts = LoopCounts::default();
            counts
                .failures
                .push(format!("cannot start an event loop: {e}"));
            return counts;
        }
    };
    net.conns.set_transport(
        &args.common.transport,
        indices.first().copied().unwrap_or(0),
    );
    let mut lp = LoginsLoop {
        args: &args,
        shared: &shared,
        slots: indices
            .iter()
            .map(|&i| Slot {
                login: args.common.login(i),
                token: None,
                stage: Stage::Idle,
                auth: None,
                warm: false,
                connected_at: Instant::now(),
            })
            .collect(),
        counting: false,
        counts: LoopCounts::default(),
    };
    let limit = (args.common.login_concurrency / args.common.threads).max(1) as usize;
    let mut next_warm = 0;
    while !shared.stop.load(Acquire) {
        if !lp.counting && shared.started.load(Acquire) {
            lp.counting = true;
            for slot in 0..lp.slots.len() {
                if lp.slots[slot].stage == Stage::Parked {
                    lp.start_cycle(&mut net.conns, slot);
                }
            }
        }
        // Warm-up is bounded like any login phase; the timed cycles are exactly C at once.
        let warming = lp
            .slots
            .iter()
            .filter(|s| !s.warm && s.stage != Stage::Idle && s.stage != Stage::Gone)
            .count();
        for _ in warming..limit {
            if next_warm >= lp.slots.len() {
                break;
            }
            lp.start_cycle(&mut net.conns, next_warm);
            next_warm += 1;
        }
        net.flush(&mut lp);
        if let Err(e) = net.turn(WAIT, &mut lp) {
            lp.counts.failures.push(format!("event loop failed: {e}"));
            break;
        }
    }
    lp.counts
}

impl LoginsLoop<'_> {
    fn start_cycle(&mut self, conns: &mut Conns, slot: usize) {
        self.slots[slot].stage = Stage::LoggingIn;
        self.slots[slot].connected_at = Instant::now();
        if let Err(e) = conns.connect(slot) {
            self.cycle_failed(conns, slot, format!("connect: {e}"), false);
            return;
        }
        let s = &mut self.slots[slot];
        let account = Account {
            login: &s.login,
            password: &self.args.common.password,
        };
        s.auth = Some(match &s.token {
            Some(token) if self.args.resume && s.warm => Auth::resume(conns, slot, token),
            _ => Auth::begin(conns, slot, account),
        });
    }

    /// A cycle ended without a login: count it and start again shortly (or give the slot up when
    /// it can never log in).
    fn cycle_failed(&mut self, conns: &mut Conns, slot: usize, why: String, permanent: bool) {
        conns.close(slot);
        if self.counting {
            self.shared.failed.fetch_add(1, Relaxed);
        }
        if self.counts.failures.len() < 5 {
            self.counts
                .failures
                .push(format!("{}: {why}", self.slots[slot].login));
        }
        if permanent {
            self.slots[slot].stage = Stage::Gone;
            if !self.slots[slot].warm {
                self.shared.warm_failed.fetch_add(1, Relaxed);
            }
        } else {
            self.slots[slot].stage = Stage::Idle;
            conns.after(RESTART_DELAY, slot, RESTART);
        }
    }

    fn logged_in(&mut self, conns: &mut Conns, slot: usize) {
        let s = &mut self.slots[slot];
        if !s.warm {
            s.warm = true;
            self.shared.warmed.fetch_add(1, Relaxed);
        } else if self.counting {
            let took = s.connected_at.elapsed();
            self.counts
                .latency
                .record(u64::try_from(took.as_nanos()).unwrap_or(u64::MAX));
            self.shared.ok.fetch_add(1, Relaxed);
        }
        s.stage = Stage::Exiting;
        conns.send(slot, Request::Exit);
    }

    /// The server said goodbye or closed after `exit`: next cycle, or wait for the timed phase.
    fn cycle_done(&mut self, conns: &mut Conns, slot: usize) {
        conns.close(slot);
        if self.counting {
            self.start_cycle(conns, slot);
        } else {
            self.slots[slot].stage = Stage::Parked;
        }
    }
}

impl Handler for LoginsLoop<'_> {
    fn on_frame(&mut self, conns: &mut Conns, slot: usize, frame: ServerFrame, _at: Instant) {
        if let ServerMessage::LoggedIn {
            token: Some(token), ..
        } = &frame.message
        {
            self.slots[slot].token = Some(token.clone());
        }
        match self.slots[slot].stage {
            Stage::LoggingIn => {
                let s = &mut self.slots[slot];
                let account = Account {
                    login: &s.login,
                    password: &self.args.common.password,
                };
                let Some(auth) = s.auth.as_mut() else {
                    return;
                };
                match auth.on_frame(conns, slot, account, &frame) {
                    AuthStep::Pending => {}
                    AuthStep::Registered => self.counts.registered += 1,
                    AuthStep::Busy => {
                        self.counts.server_busy += 1;
                        conns.after(busy_delay(slot), slot, RETRY_AUTH);
                    }
                    AuthStep::LoggedIn => self.logged_in(conns, slot),
                    AuthStep::Failed(why) => self.cycle_failed(conns, slot, why, true),
                }
            }
            Stage::Exiting => {
                if let ServerMessage::Goodbye { .. } = frame.message {
                    self.cycle_done(conns, slot);
                }
            }
            Stage::Idle | Stage::Parked | Stage::Gone => {}
        }
    }

    fn on_message(&mut self, _conns: &mut Conns, _slot: usize, _text: &[u8], _at: Instant) {}

    fn on_closed(&mut self, conns: &mut Conns, slot: usize, why: Closed) {
        match self.slots[slot].stage {
            Stage::LoggingIn => {
                let why = match why {
                    Closed::ByServer => "closed by the server".to_owned(),
                    Closed::Failed(e) => e.to_string(),
                };
                self.cycle_failed(conns, slot, why, false);
            }
            Stage::Exiting => self.cycle_done(conns, slot),
            Stage::Idle | Stage::Parked | Stage::Gone => {}
        }
    }

    fn on_timer(&mut self, conns: &mut Conns, slot: usize, tag: u32) {
        match (tag, self.slots[slot].stage) {
            (RETRY_AUTH, Stage::LoggingIn) => {
                let s = &mut self.slots[slot];
                let account = Account {
                    login: &s.login,
                    password: &self.args.common.password,
                };
                if let Some(auth) = s.auth.as_mut() {
                    auth.retry(conns, slot, account);
                }
            }
            (RESTART, Stage::Idle) if self.counting || !self.slots[slot].warm => {
                self.start_cycle(conns, slot);
            }
            (RESTART, Stage::Idle) => self.slots[slot].stage = Stage::Parked,
            _ => {}
        }
    }
}

#[derive(Debug, Serialize)]
struct LatencyMs {
    p50: f64,
    p99: f64,
    max: f64,
}

#[derive(Debug, Serialize)]
struct LoginsReport {
    command: &'static str,
    addr: String,
    threads: u64,
    concurrency: usize,
    /// Logged in with session tokens (`resume`) rather than passwords.
    resume: bool,
    /// `complete`, `timeout` or `warmup_failed`.
    outcome: &'static str,
    logins_per_sec: f64,
    ok: u64,
    failed: u64,
    server_busy: u64,
    latency_ms: LatencyMs,
    duration_s: f64,
    warmup_s: f64,
    registered: u64,
    bench_cpu_s: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    server_cpu_s: Option<f64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    failures: Vec<String>,
}

/// Warms every account up, then cycles logins for the given seconds.
pub fn run(args: LoginsArgs) -> std::io::Result<(String, bool)> {
    let args = Arc::new(args);
    let shared = Arc::new(LoginsShared::default());
    let server = ServerProbe(args.common.server_pid.clone());
    let c = args.concurrency;
    let began = Instant::now();
    let deadline = began + args.common.timeout();
    let handles = {
        let (args, shared) = (args.clone(), shared.clone());
        let parts = partition(c, args.common.threads as usize);
        spawn_loops(parts, move |part| {
            run_loop(args.clone(), shared.clone(), part)
        })?
    };
    let stopper = StopOnDrop(&shared.stop);
    let mut progress = Progress::new();
    let mut outcome = "timeout";
    let mut timed: Option<(Instant, f64, Option<crate::usage::ProcessSample>)> = None;
    let run_for = Duration::from_secs_f64(args.seconds);
    while Instant::now() < deadline {
        thread::sleep(TICK);
        match &timed {
            None => {
                let warmed = shared.warmed.load(Relaxed);
                let warm_failed = shared.warm_failed.load(Relaxed);
                if warm_failed > 0 && warmed + warm_failed >= c {
                    outcome = "warmup_failed";
                    break;
                }
                if warmed >= c {
                    timed = Some((Instant::now(), own_cpu_seconds(), server.sample()));
                    shared.started.store(true, Release);
                    eprintln!(
                        "{c} accounts ready; logging in and out for {} s",
                        args.seconds
                    );
                }
                progress.tick(|| format!("warm-up: {warmed}/{c} accounts ready"));
            }
            Some((at, _, _)) => {
                if at.elapsed() >= run_for {
                    outcome = "complete";
                    break;
                }
                progress.tick(|| {
                    format!(
                        "logins ok {}, failed {}",
                        shared.ok.load(Relaxed),
                        shared.failed.load(Relaxed)
                    )
                });
            }
        }
    }
    shared.stop.store(true, Release);
    let ok = shared.ok.load(Relaxed);
    let failed = shared.failed.load(Relaxed);
    let end_server = server.sample();
    let end_cpu = own_cpu_seconds();
    drop(stopper);
    let mut total = LoopCounts::default();
    for counts in join_loops(handles) {
        total.latency.merge(&counts.latency);
        total.server_busy += counts.server_busy;
        total.registered += counts.registered;
        total.failures.extend(counts.failures);
    }
    total.failures.truncate(5);
    let (duration, bench_cpu, server_cpu, warmup) = match timed {
        Some((at, cpu0, server0)) => (
            at.elapsed(),
            end_cpu - cpu0,
            server0
                .zip(end_server)
                .map(|(a, b)| round3(b.cpu_s - a.cpu_s)),
            at.duration_since(began),
        ),
        None => (Duration::ZERO, 0.0, None, began.elapsed()),
    };
    let ms = |ns: u64| round3(ns as f64 / 1e6);
    let report = LoginsReport {
        command: "logins",
        addr: args.common.addr.to_string(),
        threads: args.common.threads,
        concurrency: c,
        resume: args.resume,
        outcome,
        logins_per_sec: round3(ok as f64 / duration.as_secs_f64().max(1e-9)),
        ok,
        failed,
        server_busy: total.server_busy,
        latency_ms: LatencyMs {
            p50: ms(total.latency.percentile(50.0)),
            p99: ms(total.latency.percentile(99.0)),
            max: ms(total.latency.max()),
        },
        duration_s: secs(duration),
        warmup_s: secs(warmup),
        registered: total.registered,
        bench_cpu_s: round3(bench_cpu),
        server_cpu_s: server_cpu,
        failures: total.failures,
    };
    let clean = outcome == "complete" && ok > 0;
    Ok((serde_json::to_string(&report)?, clean))
}
