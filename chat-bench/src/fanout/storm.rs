//! Reaction storms in a paced fan-out (`--storms`): while the room chats, member 0 says a line,
//! then every member reacts to it, the reactions spread evenly over `--react-within` seconds, and
//! each member waits for a `reactions` event showing every one of them (the server gathers a
//! line's reactions and sends the whole set every 200 ms, so the last event a member gets must
//! hold them all). A storm's window, for the latency split, runs from its first reaction to the
//! moment the last member saw the complete set.
//!
//! This is the coordinator's half and what it shares with the loops; what a loop does is in
//! `room/storm.rs`.

use std::sync::Mutex;
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use std::sync::atomic::{AtomicU64, AtomicUsize};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::windows::Windows;
use super::{FanoutShared, Plan};
use crate::run::round3;

/// The emoji members put, the (i mod `--emoji`)-th by member i: twenty, the most a line may
/// carry.
pub const EMOJI: [&str; chat_core::limits::REACTIONS_PER_LINE] = [
    "👍", "❤️", "😂", "🎉", "😮", "😢", "🙏", "🔥", "👀", "✅", "💯", "🚀", "👏", "🤔", "😍", "🙌",
    "💡", "⭐", "🍕", "🎶",
];

/// How long before the first reaction is due the loops are told of a storm's line.
pub const LEAD: Duration = Duration::from_millis(20);

/// The first few failures kept.
const FAILURES_KEPT: usize = 5;

/// What the coordinator and the loops share about storms.
#[derive(Debug, Default)]
pub struct StormShared {
    /// The storm asked for: 1, 2, … (0: none yet). Member 0's loop then says its line.
    pub asked: AtomicU64,
    /// The storm whose line is known: its reactions are due from `start_ns` on.
    pub ready: AtomicU64,
    /// That storm's line.
    pub line: AtomicU64,
    /// When its first reaction is due (ns since the run's epoch).
    pub start_ns: AtomicU64,
    /// Members whose `reactions` event for it showed every reaction.
    pub complete: AtomicUsize,
    /// When the last of them saw it (ns since the run's epoch).
    pub done_ns: AtomicU64,
    /// `reactions` events for the storm's line, all members together.
    pub events: AtomicU64,
    /// Over the run: reactions sent, refused, and events that said otherwise after a member had
    /// seen every reaction.
    pub sent: AtomicU64,
    pub refused: AtomicU64,
    pub wrong_after_complete: AtomicU64,
    pub failures: Mutex<Vec<String>>,
}

impl StormShared {
    pub fn fail(&self, why: String) {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if failures.len() < FAILURES_KEPT {
            failures.push(why);
        }
    }
}

/// The text of storm `n`'s line.
pub fn line_text(n: u64) -> String {
    format!("storm {n}: a question for everyone, react to it")
}

/// How many members put emoji `e` of `kinds` in a room of `members`: those with i mod kinds = e.
pub fn expected_count(members: usize, kinds: usize, e: usize) -> u32 {
    let count = members.saturating_sub(e).div_ceil(kinds.max(1));
    u32::try_from(count).unwrap_or(u32::MAX)
}

/// What one storm came to.
#[derive(Debug, Serialize)]
pub struct StormRecord {
    pub line: u64,
    /// Members that saw every reaction.
    pub complete: usize,
    /// From the first reaction due to the last member's complete set (or to giving up), ms.
    pub took_ms: f64,
    /// `reactions` events per member.
    pub events_per_member: f64,
}

/// The coordinator's side of the storms.
#[derive(Debug, Default)]
pub struct StormRunner {
    /// The storm under way and when it was asked for.
    current: Option<(u64, Instant)>,
    opened: bool,
    pub records: Vec<StormRecord>,
}

impl StormRunner {
    /// Asks for the next storm.
    pub fn begin(&mut self, shared: &FanoutShared) {
        let n = shared.storm.asked.load(Relaxed) + 1;
        shared.storm.asked.store(n, Release);
        self.current = Some((n, Instant::now()));
        self.opened = false;
    }

    /// Looks at the storm under way: opens its window once its line is known, and closes it
    /// (returning `true`) once every one of `members` saw every reaction, or when it took longer
    /// than `timeout`.
    pub fn poll(
        &mut self,
        shared: &FanoutShared,
        windows: &Windows,
        members: usize,
        timeout: Duration,
    ) -> bool {
        let Some((n, asked_at)) = self.current else {
            return true;
        };
        let storm = &shared.storm;
        let ready = storm.ready.load(Acquire) == n;
        let start_ns = storm.start_ns.load(Acquire);
        if ready && !self.opened {
            windows.open(start_ns);
            self.opened = true;
        }
        let complete = storm.complete.load(Acquire);
        let done = ready && complete >= members;
        if !done && asked_at.elapsed() < timeout + LEAD {
            return false;
        }
        let end_ns = if done {
            storm.done_ns.load(Acquire)
        } else {
            shared.now_ns()
        };
        if !self.opened {
            windows.open(end_ns);
        }
        windows.close(end_ns);
        self.records.push(StormRecord {
            line: storm.line.load(Relaxed),
            complete,
            took_ms: round3(end_ns.saturating_sub(start_ns.min(end_ns)) as f64 / 1e6),
            events_per_member: round3(storm.events.load(Relaxed) as f64 / members.max(1) as f64),
        });
        if !done {
            storm.fail(format!(
                "storm {n}: {complete} of {members} members saw every reaction in {timeout:?}"
            ));
        }
        self.current = None;
        true
    }
}

/// What the report says of the storms.
#[derive(Debug, Serialize)]
pub struct StormsReport {
    pub asked: u32,
    pub done: usize,
    /// Storms in which every member saw every reaction.
    pub complete: usize,
    pub emoji: usize,
    pub react_within_s: f64,
    pub reactions_sent: u64,
    pub reactions_refused: u64,
    pub wrong_after_complete: u64,
    pub storms: Vec<StormRecord>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<String>,
}

impl StormsReport {
    pub fn new(runner: StormRunner, plan: &Plan, shared: &FanoutShared) -> StormsReport {
        let storm = &shared.storm;
        let members = plan.members;
        StormsReport {
            asked: plan.storms.storms,
            done: runner.records.len(),
            complete: runner
                .records
                .iter()
                .filter(|r| r.complete >= members)
                .count(),
            emoji: plan.storms.emoji,
            react_within_s: plan.storms.react_within,
            reactions_sent: storm.sent.load(Relaxed),
            reactions_refused: storm.refused.load(Relaxed),
            wrong_after_complete: storm.wrong_after_complete.load(Relaxed),
            storms: runner.records,
            failures: storm
                .failures
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone(),
        }
    }

    /// Whether every storm asked for ran and came out exact.
    pub fn clean(&self) -> bool {
        self.done == self.asked as usize
            && self.complete == self.done
            && self.reactions_refused == 0
            && self.wrong_after_complete == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_emoji_is_one_symbol_within_the_servers_limit_and_all_differ() {
        let mut seen = std::collections::HashSet::new();
        for e in EMOJI {
            assert!(e.len() <= chat_core::limits::EMOJI_MAX_BYTES, "{e}");
            assert!(
                !e.chars().any(|c| c.is_whitespace() || c.is_control()),
                "{e}"
            );
            assert!(seen.insert(e), "{e} twice");
        }
    }

    #[test]
    fn expected_counts_add_up_to_the_members() {
        for (members, kinds) in [(1000, 20), (1000, 1), (999, 7), (5, 20)] {
            let total: u32 = (0..kinds).map(|e| expected_count(members, kinds, e)).sum();
            assert_eq!(total as usize, members, "{members} members, {kinds} emoji");
        }
        assert_eq!(expected_count(1000, 20, 0), 50);
        assert_eq!(expected_count(5, 20, 7), 0);
    }
}
