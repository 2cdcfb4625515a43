//! `fanout`: N members in one room, the first K send M messages each; every member counts and
//! times what it receives.
//!
//! A *delivery* is one message arriving at one member other than its sender; the sender's own copy
//! (its *echo*) is counted apart and serves as the sender's acknowledgement for the in-flight
//! window. On an IRC port (`--irc`) there is no echo, and a delivery to one chosen member
//! acknowledges instead (see `room::irc`). The timed phase runs from the moment every member is
//! in the room to the arrival of the last expected delivery.
//!
//! A paced run may also hold reaction storms (`--storms`, `storm`) or upload rounds
//! (`--upload-rounds`, `uploads`), each in a window of its own with plain chat between them
//! (`schedule`); every delivery's latency is then also counted by whether its line was said
//! inside a window or outside (`windows`).

mod room;
mod schedule;
pub mod storm;
mod uploads;
pub mod windows;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize};
use std::thread;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::cli::{FanoutArgs, Phase};
use crate::histogram::{Histogram, Latency};
use crate::run::{
    Progress, ServerProbe, StopOnDrop, TICK, join_loops, partition, round3, secs, spawn_loops,
};
use crate::usage::{CpuClock, own_cpu_seconds};
use schedule::{Schedule, WindowsReport};
use windows::Splits;

/// The run's parameters, as the loops read them.
pub type Plan = FanoutArgs;

impl Plan {
    /// Logins one loop keeps in progress at once.
    fn login_limit_per_loop(&self) -> usize {
        (self.common.login_concurrency / self.common.threads).max(1) as usize
    }

    /// When the `j`-th message of sender `sender` is due, for a paced run (`--rate`); `None` when
    /// senders go as fast as their window allows. Sends are spread evenly (the senders take
    /// turns), or all senders send their `j`-th message together (`--phase together`).
    fn due_ns(&self, start_ns: u64, sender: usize, j: u64) -> Option<u64> {
        let rate = self.rate?;
        let turn = match self.phase {
            Phase::Spread => sender as f64,
            Phase::Together => 0.0,
        };
        let slot = j as f64 * self.senders as f64 + turn;
        Some(start_ns + (slot * 1e9 / rate) as u64)
    }

    /// Event loops to spread the members over. On an IRC port every loop needs two members or
    /// more, so that each sender's acknowledging member is in its loop (see `room::irc`).
    fn loops(&self) -> usize {
        let threads = self.common.threads as usize;
        if self.irc {
            threads.min(self.members / 2)
        } else {
            threads
        }
    }

    fn expected_deliveries(&self) -> u64 {
        self.senders as u64 * self.messages * (self.members as u64 - 1)
    }
}

/// What the coordinator and the loops share.
#[derive(Debug)]
pub struct FanoutShared {
    epoch: Instant,
    logged_in: AtomicUsize,
    in_room: AtomicUsize,
    setup_failed: AtomicUsize,
    /// Member 0 could not log in or create the room: nobody can enter it.
    creator_failed: AtomicBool,
    room_ready: AtomicBool,
    started: AtomicBool,
    start_ns: AtomicU64,
    stop: AtomicBool,
    received: AtomicU64,
    echoes: AtomicU64,
    sent: AtomicU64,
    disconnects: AtomicU64,
    loops_done: AtomicUsize,
    /// Storms' and upload rounds' windows, and what each shares with the loops.
    windows: windows::Windows,
    storm: storm::StormShared,
    uploads: uploads::UploadShared,
    /// Differs from run to run: upload rounds make content no earlier run stored.
    epoch_seed: u64,
}

impl FanoutShared {
    fn now_ns(&self) -> u64 {
        self.ns_at(Instant::now())
    }

    fn ns_at(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.epoch).as_nanos()).unwrap_or(u64::MAX)
    }

    fn start_ns(&self) -> u64 {
        self.start_ns.load(Acquire)
    }
}

#[derive(Debug, Serialize)]
struct Params {
    addr: String,
    members: usize,
    senders: usize,
    messages: u64,
    window: u64,
    rate: Option<f64>,
    phase: Phase,
    size: usize,
    room: String,
    threads: u64,
    timeout_s: u64,
    tls: bool,
    irc: bool,
}

#[derive(Debug, Serialize)]
struct FanoutReport {
    command: &'static str,
    params: Params,
    /// `complete`, `timeout`, `stalled` or `setup_failed`.
    outcome: &'static str,
    deliveries_per_sec: f64,
    expected: u64,
    received: u64,
    lost: u64,
    /// The senders' own copies: acknowledgements, not deliveries (none on IRC).
    echoes: u64,
    sent: u64,
    disconnects: u64,
    login_failures: u64,
    latency_us: Latency,
    duration_s: f64,
    setup_s: f64,
    bench_cpu_s: f64,
    bench_cpu_total_s: f64,
    /// The server's CPU time (user + system, every thread; with several `--server-pid`, every
    /// process) over the timed phase.
    #[serde(skip_serializing_if = "Option::is_none")]
    server_cpu_s: Option<f64>,
    /// `server_cpu_s` per delivery received, in µs: what a delivery costs the server, whatever
    /// the generator costs beside it.
    #[serde(skip_serializing_if = "Option::is_none")]
    server_cpu_us_per_delivery: Option<f64>,
    /// How `server_cpu_s` was counted: `schedstat` (ns) or `stat` (clock ticks).
    #[serde(skip_serializing_if = "Option::is_none")]
    server_cpu_clock: Option<CpuClock>,
    #[serde(skip_serializing_if = "Option::is_none")]
    server_rss_kb: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    server_threads: Option<u64>,
    registered: u64,
    server_busy: u64,
    foreign_messages: u64,
    closes: BTreeMap<String, u64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    failures: Vec<String>,
    /// Reaction storms or upload rounds, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    windows: Option<WindowsReport>,
}

/// A run stops making progress when nothing is sent or received for this long (or three paced
/// intervals, if longer).
const STALL_AFTER: Duration = Duration::from_secs(10);

/// Runs a fan-out and returns its report and whether it completed cleanly.
pub fn run(args: FanoutArgs) -> std::io::Result<(String, bool)> {
    let plan = Arc::new(args);
    let shared = Arc::new(FanoutShared {
        epoch: Instant::now(),
        logged_in: AtomicUsize::new(0),
        in_room: AtomicUsize::new(0),
        setup_failed: AtomicUsize::new(0),
        creator_failed: AtomicBool::new(false),
        room_ready: AtomicBool::new(false),
        started: AtomicBool::new(false),
        start_ns: AtomicU64::new(0),
        stop: AtomicBool::new(false),
        received: AtomicU64::new(0),
        echoes: AtomicU64::new(0),
        sent: AtomicU64::new(0),
        disconnects: AtomicU64::new(0),
        loops_done: AtomicUsize::new(0),
        windows: windows::Windows::default(),
        storm: storm::StormShared::default(),
        uploads: uploads::UploadShared::default(),
        epoch_seed: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64),
    });
    let n = plan.members;
    let expected = plan.expected_deliveries();
    let server = ServerProbe(plan.common.server_pid.clone());
    let deadline = shared.epoch + plan.common.timeout();
    let stall_after = STALL_AFTER.max(plan.rate.map_or(Duration::ZERO, |r| {
        Duration::from_secs_f64((3.0 / r).min(3600.0))
    }));

    let parts = partition(n, plan.loops());
    let loops = parts.len();
    let handles = {
        let (plan, shared) = (plan.clone(), shared.clone());
        spawn_loops(parts, move |part| {
            room::run(plan.clone(), shared.clone(), part)
        })?
    };
    let stopper = StopOnDrop(&shared.stop);
    let mut schedule = Schedule::new(&plan);
    let uploaders = if plan.uploads.upload_rounds > 0 {
        uploads::spawn(&plan, &shared)?
    } else {
        Vec::new()
    };

    let mut progress = Progress::new();
    let mut outcome = "timeout";
    let mut at_start = None;
    let mut last_activity = (0u64, Instant::now());
    while Instant::now() < deadline {
        thread::sleep(TICK);
        let in_room = shared.in_room.load(Relaxed);
        let failed = shared.setup_failed.load(Relaxed);
        if !shared.started.load(Relaxed) {
            if in_room + failed >= n && shared.room_ready.load(Relaxed) {
                at_start = Some((own_cpu_seconds(), server.cpu(), shared.now_ns()));
                shared.start_ns.store(shared.now_ns(), Release);
                shared.started.store(true, Release);
                if let Some(schedule) = schedule.as_mut() {
                    schedule.start();
                }
                last_activity = (0, Instant::now());
                eprintln!("all {in_room} members in the room ({failed} failed); sending");
            } else if shared.creator_failed.load(Relaxed) {
                outcome = "setup_failed";
                break;
            }
            progress.tick(|| {
                let logged_in = shared.logged_in.load(Relaxed);
                format!("logged in {logged_in}/{n}, in room {in_room}/{n}, failed {failed}")
            });
            continue;
        }
        if let Some(schedule) = schedule.as_mut() {
            schedule.tick(&plan, &shared, &server);
        }
        if shared.loops_done.load(Relaxed) >= loops
            && !schedule.as_ref().is_some_and(Schedule::busy)
        {
            outcome = "complete";
            break;
        }
        let received = shared.received.load(Relaxed);
        let activity = received + shared.echoes.load(Relaxed) + shared.sent.load(Relaxed);
        if activity != last_activity.0 {
            last_activity = (activity, Instant::now());
        } else if last_activity.1.elapsed() >= stall_after {
            outcome = "stalled";
            break;
        }
        progress.tick(|| {
            format!(
                "received {received}/{expected}, sent {}, disconnects {}",
                shared.sent.load(Relaxed),
                shared.disconnects.load(Relaxed)
            )
        });
    }
    let end_cpu = own_cpu_seconds();
    let end_server_cpu = server.cpu();
    let end_server = server.sample();
    let stopped_ns = shared.now_ns();
    drop(stopper);
    let reports = join_loops(handles);
    join_loops(uploaders);

    let mut latency = Histogram::new();
    let mut splits = Splits::default();
    let mut total = room::LoopReport::default();
    let mut finished_ns = Some(0u64);
    for r in &reports {
        latency.merge(&r.latency);
        if let Some(s) = &r.splits {
            splits.merge(s);
        }
        total.received += r.received;
        total.echoes += r.echoes;
        total.sent += r.sent;
        total.foreign += r.foreign;
        total.disconnects += r.disconnects;
        total.login_failures += r.login_failures;
        total.registered += r.registered;
        total.server_busy += r.server_busy;
        for (k, v) in &r.closes {
            *total.closes.entry(k.clone()).or_default() += v;
        }
        total.failures.extend(r.failures.iter().cloned());
        finished_ns = match (finished_ns, r.finished_ns) {
            (Some(a), Some(b)) => Some(a.max(b)),
            _ => None,
        };
    }
    if reports.len() < loops {
        finished_ns = None;
    }
    let start_ns = at_start.as_ref().map_or(stopped_ns, |&(_, _, ns)| ns);
    let end_ns = match (outcome, finished_ns) {
        ("complete", Some(ns)) => ns,
        _ => stopped_ns,
    };
    let duration = Duration::from_nanos(end_ns.saturating_sub(start_ns));
    let (bench_cpu, server_cpu) = match &at_start {
        Some((cpu0, server0, _)) => (
            end_cpu - cpu0,
            server0
                .as_deref()
                .zip(end_server_cpu.as_deref())
                .map(|(a, b)| ServerProbe::cpu_between(a, b)),
        ),
        None => (0.0, None),
    };
    let lost = expected.saturating_sub(total.received);
    let (windows, windows_clean) = match schedule {
        Some(schedule) => {
            let (report, clean) = schedule.report(&plan, &shared, &splits);
            (Some(report), clean)
        }
        None => (None, true),
    };
    let clean = outcome == "complete" && lost == 0 && total.disconnects == 0 && windows_clean;
    let report = FanoutReport {
        command: "fanout",
        params: Params {
            addr: plan.common.addr.to_string(),
            members: plan.members,
            senders: plan.senders,
            messages: plan.messages,
            window: plan.window,
            rate: plan.rate,
            phase: plan.phase,
            size: plan.size,
            room: plan.room.clone(),
            threads: plan.common.threads,
            timeout_s: plan.common.timeout,
            tls: plan.common.tls,
            irc: plan.irc,
        },
        outcome,
        deliveries_per_sec: if duration.is_zero() {
            0.0
        } else {
            (total.received as f64 / duration.as_secs_f64()).round()
        },
        expected,
        received: total.received,
        lost,
        echoes: total.echoes,
        sent: total.sent,
        disconnects: total.disconnects,
        login_failures: total.login_failures,
        latency_us: Latency::of(&latency),
        duration_s: secs(duration),
        setup_s: secs(Duration::from_nanos(start_ns)),
        bench_cpu_s: round3(bench_cpu),
        bench_cpu_total_s: round3(end_cpu),
        server_cpu_s: server_cpu.map(|c| round3(c.seconds)),
        server_cpu_us_per_delivery: server_cpu
            .filter(|_| total.received > 0)
            .map(|c| round3(c.seconds * 1e6 / total.received as f64)),
        server_cpu_clock: server_cpu.map(|c| c.clock),
        server_rss_kb: end_server.map(|s| s.rss_kb),
        server_threads: end_server.map(|s| s.threads),
        registered: total.registered,
        server_busy: total.server_busy,
        foreign_messages: total.foreign,
        closes: total.closes,
        failures: total.failures,
        windows,
    };
    Ok((serde_json::to_string(&report)?, clean))
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command};

    fn plan(extra: &[&str]) -> Plan {
        let mut argv = vec!["chat-bench", "fanout", "-n", "5", "-k", "2", "-m", "10"];
        argv.extend_from_slice(extra);
        match Cli::try_parse_from(argv).expect("valid flags").command {
            Command::Fanout(args) => args,
            other => panic!("parsed as {other:?}"),
        }
    }

    #[test]
    fn expected_deliveries_leave_out_the_senders_echoes() {
        assert_eq!(plan(&[]).expected_deliveries(), 2 * 10 * 4);
    }

    #[test]
    fn paced_senders_take_turns_at_the_requested_rate() {
        let p = plan(&["--rate", "1000"]);
        // 1000 messages/s over 2 senders: one every ms, alternating.
        assert_eq!(p.due_ns(5, 0, 0), Some(5));
        assert_eq!(p.due_ns(5, 1, 0), Some(5 + 1_000_000));
        assert_eq!(p.due_ns(5, 0, 1), Some(5 + 2_000_000));
        assert_eq!(p.due_ns(5, 1, 3), Some(5 + 7_000_000));
    }

    #[test]
    fn senders_in_phase_send_together() {
        let p = plan(&["--rate", "1000", "--phase", "together"]);
        // 1000 messages/s from 2 senders: both every 2 ms, at the same instant.
        assert_eq!(p.due_ns(5, 0, 0), Some(5));
        assert_eq!(p.due_ns(5, 1, 0), Some(5));
        assert_eq!(p.due_ns(5, 0, 3), Some(5 + 6_000_000));
        assert_eq!(p.due_ns(5, 1, 3), Some(5 + 6_000_000));
    }

    #[test]
    fn every_irc_loop_holds_two_members_or_more() {
        assert_eq!(plan(&["--threads", "4"]).loops(), 4);
        assert_eq!(plan(&["--threads", "4", "--irc"]).loops(), 2);
        assert_eq!(plan(&["--threads", "2", "--irc"]).loops(), 2);
    }

    #[test]
    fn unpaced_senders_have_no_due_time() {
        assert_eq!(plan(&[]).due_ns(0, 0, 7), None);
    }
}
