//! What every subcommand's coordinator shares: spreading clients over loop threads, reading the
//! server's numbers, timing the run, and printing progress.

use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::usage::{CpuClock, CpuReading, ProcessSample};

/// How often the coordinator looks at the shared counters.
pub const TICK: Duration = Duration::from_millis(2);
/// How often progress goes to stderr.
pub const PROGRESS_EVERY: Duration = Duration::from_secs(1);

/// Splits client indices `0..n` over `threads` loops, round robin (so client 0 is in loop 0, and
/// senders, the first indices, are spread evenly).
pub fn partition(n: usize, threads: usize) -> Vec<Vec<usize>> {
    let threads = threads.clamp(1, n.max(1));
    let mut parts = vec![Vec::with_capacity(n / threads + 1); threads];
    for i in 0..n {
        parts[i % threads].push(i);
    }
    parts
}

/// Starts one named thread per part, each running `body(part)`.
pub fn spawn_loops<T, F>(parts: Vec<Vec<usize>>, body: F) -> std::io::Result<Vec<JoinHandle<T>>>
where
    T: Send + 'static,
    F: Fn(Vec<usize>) -> T + Send + Clone + 'static,
{
    parts
        .into_iter()
        .enumerate()
        .map(|(n, part)| {
            let body = body.clone();
            thread::Builder::new()
                .name(format!("bench-loop-{n}"))
                .spawn(move || body(part))
        })
        .collect()
}

/// Waits for every loop and collects what they return; a loop that panicked is reported.
pub fn join_loops<T>(handles: Vec<JoinHandle<T>>) -> Vec<T> {
    handles
        .into_iter()
        .filter_map(|h| match h.join() {
            Ok(t) => Some(t),
            Err(_) => {
                eprintln!("chat-bench: an event loop panicked; its numbers are missing");
                None
            }
        })
        .collect()
}

/// The server's processes, when their pids were given (`--server-pid`, repeatable).
#[derive(Debug, Clone)]
pub struct ServerProbe(pub Vec<u32>);

/// The server's CPU time over a window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ServerCpu {
    pub seconds: f64,
    /// How it was counted: in nanoseconds if it was for every process, else in clock ticks.
    pub clock: CpuClock,
}

impl ServerProbe {
    /// Reads the server's CPU, memory and threads now, added up over its processes; `None`
    /// without a pid or when `/proc` could not be read (said on stderr).
    pub fn sample(&self) -> Option<ProcessSample> {
        if self.0.is_empty() {
            return None;
        }
        let mut total = ProcessSample {
            cpu_s: 0.0,
            rss_kb: 0,
            peak_rss_kb: 0,
            threads: 0,
        };
        for &pid in &self.0 {
            let sample = ProcessSample::read(pid)
                .map_err(|e| eprintln!("chat-bench: cannot read server process {pid}: {e}"))
                .ok()?;
            total.cpu_s += sample.cpu_s;
            total.rss_kb += sample.rss_kb;
            total.peak_rss_kb += sample.peak_rss_kb;
            total.threads += sample.threads;
        }
        Some(total)
    }

    /// Reads the CPU time of each of the server's processes now, to subtract from a later
    /// reading ([`ServerProbe::cpu_between`]); `None` as for [`ServerProbe::sample`].
    pub fn cpu(&self) -> Option<Vec<CpuReading>> {
        if self.0.is_empty() {
            return None;
        }
        self.0
            .iter()
            .map(|&pid| {
                CpuReading::read(pid)
                    .map_err(|e| eprintln!("chat-bench: cannot read server process {pid}: {e}"))
                    .ok()
            })
            .collect()
    }

    /// The CPU time all the server's processes used from `start` to `end` (two [`ServerProbe::cpu`]
    /// readings).
    pub fn cpu_between(start: &[CpuReading], end: &[CpuReading]) -> ServerCpu {
        let mut total = ServerCpu {
            seconds: 0.0,
            clock: CpuClock::Schedstat,
        };
        for (a, b) in start.iter().zip(end) {
            let (seconds, clock) = a.seconds_until(b);
            total.seconds += seconds;
            if clock == CpuClock::Stat {
                total.clock = CpuClock::Stat;
            }
        }
        total
    }
}

/// Prints a progress line at most once per [`PROGRESS_EVERY`].
#[derive(Debug)]
pub struct Progress {
    start: Instant,
    last: Instant,
}

impl Progress {
    pub fn new() -> Progress {
        let now = Instant::now();
        Progress {
            start: now,
            last: now,
        }
    }

    /// Prints `line()` if a second has passed since the last one.
    pub fn tick(&mut self, line: impl FnOnce() -> String) {
        if self.last.elapsed() >= PROGRESS_EVERY {
            self.last = Instant::now();
            eprintln!("[{:6.1}s] {}", self.start.elapsed().as_secs_f64(), line());
        }
    }
}

/// Sets `stop` when dropped, so loops end even when the coordinator returns early.
#[derive(Debug)]
pub struct StopOnDrop<'a>(pub &'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Release);
    }
}

/// Seconds with three decimals, for reports.
pub fn secs(d: Duration) -> f64 {
    round3(d.as_secs_f64())
}

/// Rounds to three decimals.
pub fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_is_round_robin_and_complete() {
        let parts = partition(7, 3);
        assert_eq!(parts, vec![vec![0, 3, 6], vec![1, 4], vec![2, 5]]);
        assert_eq!(partition(2, 8).len(), 2);
        assert_eq!(partition(5, 1), vec![vec![0, 1, 2, 3, 4]]);
    }
}
