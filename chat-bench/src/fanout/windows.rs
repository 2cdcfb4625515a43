//! Windows of disturbance in a paced fan-out — reaction storms (`--storms`), upload rounds
//! (`--upload-rounds`) — and the latency of deliveries split by whether their line was *said*
//! inside one. The coordinator opens and closes windows; every loop classifies each delivery by
//! the send time in its stamp, against its own copy of the windows, renewed only when the
//! coordinator changed them. A window still open holds every line said since it opened.

use std::sync::Mutex;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::{Acquire, Release};

use serde::Serialize;

use crate::histogram::{Histogram, Latency};
use crate::run::round3;

/// The windows so far, as the coordinator sets them.
#[derive(Debug, Default)]
pub struct Windows {
    /// Bumped on every change of `list`.
    generation: AtomicU64,
    /// Each window's start and end (ns since the run's epoch); `u64::MAX` as the end while open.
    list: Mutex<Vec<(u64, u64)>>,
}

impl Windows {
    fn change(&self, change: impl FnOnce(&mut Vec<(u64, u64)>)) {
        change(&mut self.list.lock().unwrap_or_else(|p| p.into_inner()));
        self.generation.fetch_add(1, Release);
    }

    /// Opens a window at `start_ns` (which may be a moment ahead).
    pub fn open(&self, start_ns: u64) {
        self.change(|list| list.push((start_ns, u64::MAX)));
    }

    /// Closes the open window at `end_ns`.
    pub fn close(&self, end_ns: u64) {
        self.change(|list| {
            if let Some(last) = list.last_mut() {
                last.1 = end_ns;
            }
        });
    }

    /// Seconds inside windows, and the number of windows.
    pub fn busy(&self) -> (f64, usize) {
        let list = self.list.lock().unwrap_or_else(|p| p.into_inner());
        let ns: u64 = list.iter().map(|&(s, e)| e.saturating_sub(s)).sum();
        (ns as f64 / 1e9, list.len())
    }
}

/// A loop's copy of the [`Windows`].
#[derive(Debug, Default)]
pub struct WindowView {
    generation: u64,
    list: Vec<(u64, u64)>,
}

impl WindowView {
    /// Whether a line said at `sent_ns` was said inside a window.
    pub fn holds(&mut self, windows: &Windows, sent_ns: u64) -> bool {
        let generation = windows.generation.load(Acquire);
        if generation != self.generation {
            self.list
                .clone_from(&windows.list.lock().unwrap_or_else(|p| p.into_inner()));
            self.generation = generation;
        }
        self.list
            .iter()
            .rev()
            .any(|&(s, e)| s <= sent_ns && sent_ns < e)
    }
}

/// Latencies of lines said outside any window (`quiet`) and inside one (`busy`).
#[derive(Debug, Default)]
pub struct Split {
    pub quiet: Histogram,
    pub busy: Histogram,
}

impl Split {
    pub fn record(&mut self, busy: bool, ns: u64) {
        if busy {
            self.busy.record(ns);
        } else {
            self.quiet.record(ns);
        }
    }

    pub fn merge(&mut self, other: &Split) {
        self.quiet.merge(&other.quiet);
        self.busy.merge(&other.busy);
    }

    pub fn report(&self) -> SplitReport {
        let (quiet, busy) = (Latency::of(&self.quiet), Latency::of(&self.busy));
        SplitReport {
            p99_ratio: (quiet.p99 > 0.0).then(|| round3(busy.p99 / quiet.p99)),
            quiet_deliveries: self.quiet.count(),
            busy_deliveries: self.busy.count(),
            quiet,
            busy,
        }
    }
}

/// Every delivery's latency split by window, and (in upload rounds) two views of the same.
#[derive(Debug, Default)]
pub struct Splits {
    /// Every delivery.
    pub all: Split,
    /// Deliveries to members that do not upload.
    pub to_others: Split,
    /// Deliveries of lines said by members that upload.
    pub from_uploaders: Split,
}

impl Splits {
    pub fn merge(&mut self, other: &Splits) {
        self.all.merge(&other.all);
        self.to_others.merge(&other.to_others);
        self.from_uploaders.merge(&other.from_uploaders);
    }
}

/// Latency outside and inside windows, and the ratio of their p99.
#[derive(Debug, Serialize)]
pub struct SplitReport {
    pub quiet_deliveries: u64,
    pub busy_deliveries: u64,
    pub quiet: Latency,
    pub busy: Latency,
    /// `busy.p99 / quiet.p99`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p99_ratio: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_classified_by_when_they_were_said() {
        let windows = Windows::default();
        let mut view = WindowView::default();
        assert!(!view.holds(&windows, 5));
        windows.open(100);
        assert!(!view.holds(&windows, 99));
        assert!(view.holds(&windows, 100));
        assert!(view.holds(&windows, 10_000), "open: everything since");
        windows.close(200);
        assert!(view.holds(&windows, 199));
        assert!(!view.holds(&windows, 200));
        windows.open(300);
        windows.close(400);
        assert!(view.holds(&windows, 150), "an earlier window still counts");
        assert!(view.holds(&windows, 350));
        assert!(!view.holds(&windows, 250));
        assert_eq!(windows.busy(), (200.0 / 1e9, 2));
    }
}
