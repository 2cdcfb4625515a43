//! What the operating system says about this process and the server's: CPU time, resident memory,
//! threads, and the open-file limit that bounds how many clients one run can hold.

use std::collections::HashMap;
use std::fs;
use std::io;

#[cfg(unix)]
use nix::sys::resource::{Resource, UsageWho, getrlimit, getrusage, setrlimit};
#[cfg(unix)]
use nix::sys::time::TimeValLike;
#[cfg(unix)]
use nix::unistd::{SysconfVar, sysconf};

/// Raises the soft limit on open files to the hard limit; returns the limit now in force.
#[cfg(unix)]
pub fn raise_open_file_limit() -> io::Result<u64> {
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).map_err(io::Error::from)?;
    if soft < hard {
        setrlimit(Resource::RLIMIT_NOFILE, hard, hard).map_err(io::Error::from)?;
    }
    Ok(hard.max(soft))
}

/// Elsewhere there is no such limit to raise.
#[cfg(not(unix))]
pub fn raise_open_file_limit() -> io::Result<u64> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "no open-file limit on this system",
    ))
}

/// CPU time this process has used; measured on Unix only (0 elsewhere).
#[cfg(not(unix))]
pub fn own_cpu_seconds() -> f64 {
    0.0
}

/// CPU time (user + system) this process has used, all threads, in seconds.
#[cfg(unix)]
pub fn own_cpu_seconds() -> f64 {
    match getrusage(UsageWho::RUSAGE_SELF) {
        Ok(usage) => {
            let micros =
                usage.user_time().num_microseconds() + usage.system_time().num_microseconds();
            micros as f64 / 1e6
        }
        Err(_) => 0.0,
    }
}

/// CPU time (user + system) the calling thread has used, in seconds; Linux only (0 elsewhere).
pub fn thread_cpu_seconds() -> f64 {
    #[cfg(target_os = "linux")]
    if let Ok(usage) = getrusage(UsageWho::RUSAGE_THREAD) {
        let micros = usage.user_time().num_microseconds() + usage.system_time().num_microseconds();
        return micros as f64 / 1e6;
    }
    0.0
}

/// A reading of another process from `/proc`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProcessSample {
    /// User + system CPU time, in seconds.
    pub cpu_s: f64,
    /// Resident set size, in KiB.
    pub rss_kb: u64,
    /// The largest resident set size since the process started (`VmHWM`), in KiB.
    pub peak_rss_kb: u64,
    /// Threads.
    pub threads: u64,
}

impl ProcessSample {
    /// Reads `/proc/PID/stat` and `/proc/PID/status`.
    pub fn read(pid: u32) -> io::Result<ProcessSample> {
        let stat = fs::read_to_string(format!("/proc/{pid}/stat"))?;
        let status = fs::read_to_string(format!("/proc/{pid}/status"))?;
        let ticks = parse_stat_cpu_ticks(&stat).ok_or_else(|| bad(pid, "stat"))?;
        let rss_kb = parse_status_field(&status, "VmRSS:").ok_or_else(|| bad(pid, "status"))?;
        let peak_rss_kb =
            parse_status_field(&status, "VmHWM:").ok_or_else(|| bad(pid, "status"))?;
        let threads = parse_status_field(&status, "Threads:").ok_or_else(|| bad(pid, "status"))?;
        Ok(ProcessSample {
            cpu_s: ticks as f64 / clock_ticks_per_second(),
            rss_kb,
            peak_rss_kb,
            threads,
        })
    }
}

/// How a process's CPU time over a window was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CpuClock {
    /// Nanoseconds: each thread's run time, `/proc/PID/task/TID/schedstat`, added up.
    Schedstat,
    /// Clock ticks (usually 10 ms): `utime + stime` of `/proc/PID/stat`.
    Stat,
}

/// The CPU time a process has used so far, read two ways, to subtract from a later reading.
///
/// `/proc/PID/stat` counts every thread, those that have ended included, but in clock ticks, each
/// reading up to two ticks short (user and system time are truncated apart). The threads' own
/// `schedstat` counts nanoseconds, but only for the threads living at the reading: one that ends
/// between two readings takes its time with it. [`CpuReading::seconds_until`] uses the
/// nanoseconds when the two agree within the ticks' resolution, the ticks otherwise.
#[derive(Debug, Clone)]
pub struct CpuReading {
    /// `utime + stime`, in clock ticks.
    ticks: u64,
    /// Each living thread's time on a CPU, in ns, by thread id; `None` when it could not be read.
    threads_ns: Option<HashMap<u32, u64>>,
}

impl CpuReading {
    /// Reads `/proc/PID/stat`, then `/proc/PID/task/*/schedstat`.
    pub fn read(pid: u32) -> io::Result<CpuReading> {
        let stat = fs::read_to_string(format!("/proc/{pid}/stat"))?;
        let ticks = parse_stat_cpu_ticks(&stat).ok_or_else(|| bad(pid, "stat"))?;
        Ok(CpuReading {
            ticks,
            threads_ns: read_threads_ns(pid).ok(),
        })
    }

    /// CPU seconds used from this reading to `later`, and how they were counted.
    pub fn seconds_until(&self, later: &CpuReading) -> (f64, CpuClock) {
        self.seconds_until_at(later, clock_ticks_per_second())
    }

    fn seconds_until_at(&self, later: &CpuReading, ticks_per_s: f64) -> (f64, CpuClock) {
        let stat_s = later.ticks.saturating_sub(self.ticks) as f64 / ticks_per_s;
        if let (Some(before), Some(after)) = (&self.threads_ns, &later.threads_ns) {
            let ns: u64 = after
                .iter()
                .map(|(tid, &ns)| ns.saturating_sub(before.get(tid).copied().unwrap_or(0)))
                .sum();
            let schedstat_s = ns as f64 / 1e9;
            if (schedstat_s - stat_s).abs() <= 2.0 / ticks_per_s {
                return (schedstat_s, CpuClock::Schedstat);
            }
        }
        (stat_s, CpuClock::Stat)
    }
}

/// The run time of every thread of `pid` now, in ns, by thread id. A thread that ends while the
/// list is read is left out, as if it had ended just before: its entry can vanish, or answer
/// `ESRCH` or nothing once opened, depending on the moment it ends.
fn read_threads_ns(pid: u32) -> io::Result<HashMap<u32, u64>> {
    let mut threads = HashMap::new();
    for entry in fs::read_dir(format!("/proc/{pid}/task"))? {
        let Ok(entry) = entry else { continue };
        let Some(tid) = entry.file_name().to_str().and_then(|s| s.parse().ok()) else {
            continue;
        };
        let ns = fs::read_to_string(entry.path().join("schedstat"))
            .ok()
            .and_then(|text| parse_schedstat_ns(&text));
        if let Some(ns) = ns {
            threads.insert(tid, ns);
        }
    }
    if threads.is_empty() {
        // Not one thread readable: the kernel keeps no schedstat.
        return Err(bad(pid, "task/*/schedstat"));
    }
    Ok(threads)
}

/// The time on a CPU (first field, ns) of a `schedstat` line: "run_ns wait_ns timeslices".
fn parse_schedstat_ns(schedstat: &str) -> Option<u64> {
    schedstat.split_whitespace().next()?.parse().ok()
}

fn bad(pid: u32, file: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("cannot read /proc/{pid}/{file}"),
    )
}

/// The usual tick rate where `sysconf` is not available (`/proc` is not either).
#[cfg(not(unix))]
fn clock_ticks_per_second() -> f64 {
    100.0
}

/// `sysconf(_SC_CLK_TCK)`, the unit of the times in `/proc/PID/stat`.
#[cfg(unix)]
fn clock_ticks_per_second() -> f64 {
    match sysconf(SysconfVar::CLK_TCK) {
        Ok(Some(ticks)) if ticks > 0 => ticks as f64,
        _ => 100.0,
    }
}

/// `utime + stime` (fields 14 and 15) of a `/proc/PID/stat` line. The command name (field 2) may
/// hold spaces and parentheses, so the fields are counted from the last `)`.
fn parse_stat_cpu_ticks(stat: &str) -> Option<u64> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace();
    // Field 3 (state) is the first after the name; utime is field 14.
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// The first number on the line of `/proc/PID/status` that starts with `key`.
fn parse_status_field(status: &str, key: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix(key))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_times_are_found_after_a_name_with_spaces_and_parentheses() {
        let stat = "4242 (chat (server) x) S 1 4242 4242 0 -1 4194560 500 0 0 0 1234 567 0 0 \
                    20 0 9 0 100 1000000 300 18446744073709551615";
        assert_eq!(parse_stat_cpu_ticks(stat), Some(1234 + 567));
    }

    #[test]
    fn status_fields_are_read_by_name() {
        let status = "Name:\tchat-server\nVmPeak:\t  99999 kB\nVmHWM:\t   23456 kB\n\
                      VmRSS:\t   12345 kB\nThreads:\t17\n";
        assert_eq!(parse_status_field(status, "VmRSS:"), Some(12345));
        assert_eq!(parse_status_field(status, "Threads:"), Some(17));
        assert_eq!(parse_status_field(status, "VmHWM:"), Some(23456));
        assert_eq!(parse_status_field(status, "VmSwap:"), None);
    }

    #[test]
    fn schedstat_gives_the_run_time_in_nanoseconds() {
        assert_eq!(
            parse_schedstat_ns("83615324 340144470 260\n"),
            Some(83_615_324)
        );
        assert_eq!(parse_schedstat_ns(""), None);
        assert_eq!(parse_schedstat_ns("x 1 2"), None);
    }

    fn reading(ticks: u64, threads: &[(u32, u64)]) -> CpuReading {
        CpuReading {
            ticks,
            threads_ns: Some(threads.iter().copied().collect()),
        }
    }

    #[test]
    fn threads_nanoseconds_are_used_when_they_agree_with_the_ticks() {
        let before = reading(100, &[(1, 5_000_000), (2, 1_000_000_000)]);
        // Thread 3 started in the window: all of its time counts.
        let after = reading(
            251,
            &[(1, 505_000_000), (2, 1_900_000_000), (3, 123_456_789)],
        );
        let (s, clock) = before.seconds_until_at(&after, 100.0);
        assert_eq!(clock, CpuClock::Schedstat);
        assert!((s - 1.523_456_789).abs() < 1e-9, "{s}");
    }

    #[test]
    fn the_ticks_are_used_when_a_thread_ended_in_the_window() {
        // Thread 2 ran 0.9 s and ended: the ticks saw it, the living threads cannot.
        let before = reading(100, &[(1, 0), (2, 0)]);
        let after = reading(200, &[(1, 100_000_000)]);
        assert_eq!(
            before.seconds_until_at(&after, 100.0),
            (1.0, CpuClock::Stat)
        );
        let unreadable = CpuReading {
            ticks: 150,
            threads_ns: None,
        };
        assert_eq!(
            before.seconds_until_at(&unreadable, 100.0),
            (0.5, CpuClock::Stat)
        );
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn this_process_cpu_can_be_read() {
        let before = CpuReading::read(std::process::id()).expect("own /proc entry");
        let threads = before.threads_ns.as_ref().expect("own schedstat");
        assert!(threads.contains_key(&std::process::id()));
        let start = std::time::Instant::now();
        let mut x = 0u64;
        while start.elapsed() < std::time::Duration::from_millis(50) {
            x = std::hint::black_box(x.wrapping_add(1));
        }
        let after = CpuReading::read(std::process::id()).expect("own /proc entry");
        let (s, _) = before.seconds_until(&after);
        assert!(s > 0.0 && s < 10.0, "{s}");
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn this_process_can_be_read() {
        let sample = ProcessSample::read(std::process::id()).expect("own /proc entry");
        assert!(sample.rss_kb > 0);
        assert!(sample.peak_rss_kb >= sample.rss_kb);
        assert!(sample.threads >= 1);
        assert!(own_cpu_seconds() >= 0.0);
    }
}
