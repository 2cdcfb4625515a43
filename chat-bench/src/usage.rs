//! What the operating system says about this process and the server's: CPU time, resident memory,
//! threads, and the open-file limit that bounds how many clients one run can hold.

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
        let threads = parse_status_field(&status, "Threads:").ok_or_else(|| bad(pid, "status"))?;
        Ok(ProcessSample {
            cpu_s: ticks as f64 / clock_ticks_per_second(),
            rss_kb,
            threads,
        })
    }
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
        let status = "Name:\tchat-server\nVmPeak:\t  99999 kB\nVmRSS:\t   12345 kB\nThreads:\t17\n";
        assert_eq!(parse_status_field(status, "VmRSS:"), Some(12345));
        assert_eq!(parse_status_field(status, "Threads:"), Some(17));
        assert_eq!(parse_status_field(status, "VmSwap:"), None);
    }

    #[test]
    fn this_process_can_be_read() {
        let sample = ProcessSample::read(std::process::id()).expect("own /proc entry");
        assert!(sample.rss_kb > 0);
        assert!(sample.threads >= 1);
        assert!(own_cpu_seconds() >= 0.0);
    }
}
