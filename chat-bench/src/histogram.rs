//! Latency histograms: the `hdrhistogram` crate, with the exact maximum kept beside it, and the
//! percentiles a report prints.
//!
//! Values are nanoseconds, counted to three significant digits: every value up to 2,047 exactly,
//! larger ones in buckets no wider than 1/1,024 of their lower bound. A percentile is the highest
//! value of the bucket that holds the value of that rank (never below the truth, at most 0.1 %
//! above it), clamped to the largest value recorded; the maximum is exact. Values above
//! [`HIGHEST_NS`] (no run lasts that long) are counted as [`HIGHEST_NS`], but still set the
//! maximum.

use hdrhistogram::Histogram as Hdr;

use crate::cli::MAX_TIMEOUT_S;

/// The largest value told apart from larger ones: the longest run allowed.
const HIGHEST_NS: u64 = MAX_TIMEOUT_S * 1_000_000_000;
/// Significant decimal digits every value keeps.
const SIGNIFICANT_DIGITS: u8 = 3;

/// Counts of values (nanoseconds, in this program), and the largest one.
#[derive(Clone)]
pub struct Histogram {
    counts: Hdr<u64>,
    max: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Histogram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Histogram")
            .field("count", &self.counts.len())
            .field("max", &self.max)
            .finish_non_exhaustive()
    }
}

impl Histogram {
    /// An empty histogram.
    pub fn new() -> Self {
        Self {
            counts: Hdr::new_with_bounds(1, HIGHEST_NS, SIGNIFICANT_DIGITS)
                .expect("constant bounds: 1 <= HIGHEST_NS / 2, 3 digits <= 5"),
            max: 0,
        }
    }

    /// Counts one value.
    pub fn record(&mut self, value: u64) {
        self.counts.saturating_record(value);
        self.max = self.max.max(value);
    }

    /// Adds every value counted by `other`.
    pub fn merge(&mut self, other: &Histogram) {
        self.counts
            .add(&other.counts)
            .expect("histograms made by `new` share their bounds");
        self.max = self.max.max(other.max);
    }

    /// How many values were recorded.
    pub fn count(&self) -> u64 {
        self.counts.len()
    }

    /// The largest value recorded (0 when empty).
    pub fn max(&self) -> u64 {
        self.max
    }

    /// The value below or at which `percent` of the recorded values lie (0 when empty).
    pub fn percentile(&self, percent: f64) -> u64 {
        if self.counts.is_empty() {
            return 0;
        }
        self.counts
            .value_at_percentile(percent.clamp(0.0, 100.0))
            .min(self.max)
    }
}

/// A histogram's percentiles for a report, in microseconds.
#[derive(Debug, serde::Serialize)]
pub struct Latency {
    pub p50: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
}

impl Latency {
    pub fn of(h: &Histogram) -> Latency {
        let us = |ns: u64| crate::run::round3(ns as f64 / 1e3);
        Latency {
            p50: us(h.percentile(50.0)),
            p99: us(h.percentile(99.0)),
            p999: us(h.percentile(99.9)),
            max: us(h.max()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_values_are_exact() {
        let mut h = Histogram::new();
        for v in 1..=2000 {
            h.record(v);
        }
        assert_eq!(h.count(), 2000);
        assert_eq!(h.percentile(50.0), 1000);
        assert_eq!(h.percentile(99.0), 1980);
        assert_eq!(h.percentile(100.0), 2000);
        assert_eq!(h.max(), 2000);
    }

    #[test]
    fn large_values_are_within_a_tenth_of_a_percent_and_never_below_the_truth() {
        let mut h = Histogram::new();
        for v in 1..=100_000u64 {
            h.record(v * 1_000 + 7);
        }
        for (percent, truth) in [
            (50.0, 50_000_007u64),
            (99.0, 99_000_007),
            (99.9, 99_900_007),
        ] {
            let got = h.percentile(percent);
            assert!(got >= truth, "p{percent}: {got} < {truth}");
            assert!(
                got as f64 <= truth as f64 * 1.001,
                "p{percent}: {got} vs {truth}"
            );
        }
        // The top bucket is cut at the exact maximum.
        assert_eq!(h.percentile(100.0), 100_000_007);
        assert_eq!(h.max(), 100_000_007);
    }

    #[test]
    fn values_beyond_the_range_are_counted_and_set_the_exact_maximum() {
        let mut h = Histogram::new();
        h.record(5);
        h.record(u64::MAX);
        assert_eq!(h.count(), 2);
        assert_eq!(h.max(), u64::MAX);
        assert_eq!(h.percentile(50.0), 5);
        let top = h.percentile(100.0);
        assert!(
            (HIGHEST_NS..=HIGHEST_NS + HIGHEST_NS / 1000).contains(&top),
            "{top}"
        );
    }

    #[test]
    fn merge_adds_counts_and_keeps_the_larger_max() {
        let mut a = Histogram::new();
        let mut b = Histogram::new();
        a.record(10);
        b.record(20);
        b.record(5_000_000);
        a.merge(&b);
        assert_eq!(a.count(), 3);
        assert_eq!(a.max(), 5_000_000);
        assert_eq!(a.percentile(50.0), 20);
    }

    #[test]
    fn an_empty_histogram_reports_zeros() {
        let h = Histogram::new();
        assert_eq!(h.percentile(99.0), 0);
        assert_eq!(h.max(), 0);
        let latency = Latency::of(&h);
        assert_eq!((latency.p50, latency.max), (0.0, 0.0));
    }

    #[test]
    fn latency_is_reported_in_microseconds() {
        let mut h = Histogram::new();
        h.record(1_500);
        h.record(2_000_000);
        let latency = Latency::of(&h);
        assert_eq!(latency.p50, 1.5);
        assert_eq!(latency.max, 2_000.0);
        assert!((2_000.0..=2_002.0).contains(&latency.p99), "{latency:?}");
    }
}
