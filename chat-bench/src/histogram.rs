//! A log-linear latency histogram: fixed memory, constant-time recording, under 1 % error.
//!
//! Values below [`SUB_BUCKETS`] are counted exactly. Above that, every power of two is split into
//! [`SUB_BUCKETS`]` / 2` equal buckets, so a bucket is never wider than 1/64 of its lower bound. A
//! percentile is reported as the highest value its bucket holds (never below the truth, at most
//! 1.6 % above it), clamped to the largest value recorded.

/// Exactly counted values, and twice the number of buckets per power of two above them.
const SUB_BUCKETS: u64 = 128;
/// `log2(SUB_BUCKETS)`.
const SUB_BUCKET_BITS: u32 = 7;
/// Buckets per power of two above the exact range.
const HALF: u64 = SUB_BUCKETS / 2;
/// Enough buckets for every `u64`.
const BUCKETS: usize = ((64 - SUB_BUCKET_BITS as usize + 1) * HALF as usize) + HALF as usize;

/// Counts of values (nanoseconds, in this program) by bucket.
#[derive(Clone)]
pub struct Histogram {
    counts: Vec<u64>,
    count: u64,
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
            .field("count", &self.count)
            .field("max", &self.max)
            .finish_non_exhaustive()
    }
}

impl Histogram {
    /// An empty histogram.
    pub fn new() -> Self {
        Self {
            counts: vec![0; BUCKETS],
            count: 0,
            max: 0,
        }
    }

    /// Counts one value.
    pub fn record(&mut self, value: u64) {
        self.counts[bucket_of(value)] += 1;
        self.count += 1;
        self.max = self.max.max(value);
    }

    /// Adds every value counted by `other`.
    pub fn merge(&mut self, other: &Histogram) {
        for (mine, theirs) in self.counts.iter_mut().zip(&other.counts) {
            *mine += theirs;
        }
        self.count += other.count;
        self.max = self.max.max(other.max);
    }

    /// How many values were recorded.
    #[cfg(test)]
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The largest value recorded (0 when empty).
    pub fn max(&self) -> u64 {
        self.max
    }

    /// The value below or at which `percent` of the recorded values lie (0 when empty).
    pub fn percentile(&self, percent: f64) -> u64 {
        if self.count == 0 {
            return 0;
        }
        let wanted = ((percent.clamp(0.0, 100.0) / 100.0) * self.count as f64).ceil() as u64;
        let rank = wanted.max(1);
        let mut seen = 0;
        for (index, &n) in self.counts.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return highest_in_bucket(index).min(self.max);
            }
        }
        self.max
    }
}

/// The bucket that counts `value`.
fn bucket_of(value: u64) -> usize {
    if value < SUB_BUCKETS {
        return value as usize;
    }
    let msb = 63 - value.leading_zeros();
    let shift = msb + 1 - SUB_BUCKET_BITS;
    let mantissa = value >> shift;
    (u64::from(shift) * HALF + mantissa) as usize
}

/// The largest value that lands in bucket `index`.
fn highest_in_bucket(index: usize) -> u64 {
    let index = index as u64;
    if index < SUB_BUCKETS {
        return index;
    }
    let shift = index / HALF - 1;
    let mantissa = index % HALF + HALF;
    ((mantissa + 1) << shift).saturating_sub(1)
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
        for v in 1..=100 {
            h.record(v);
        }
        assert_eq!(h.count(), 100);
        assert_eq!(h.percentile(50.0), 50);
        assert_eq!(h.percentile(99.0), 99);
        assert_eq!(h.percentile(100.0), 100);
        assert_eq!(h.max(), 100);
    }

    #[test]
    fn large_values_are_within_two_percent_and_never_below_the_truth() {
        let mut h = Histogram::new();
        for v in 1..=100_000u64 {
            h.record(v * 1_000);
        }
        for (percent, truth) in [
            (50.0, 50_000_000u64),
            (99.0, 99_000_000),
            (99.9, 99_900_000),
        ] {
            let got = h.percentile(percent);
            assert!(got >= truth, "p{percent}: {got} < {truth}");
            assert!(
                got as f64 <= truth as f64 * 1.02,
                "p{percent}: {got} vs {truth}"
            );
        }
        assert_eq!(h.percentile(100.0), 100_000_000);
    }

    #[test]
    fn every_value_lands_in_a_bucket_that_holds_it() {
        let mut v = 1u64;
        while v < u64::MAX / 3 {
            for probe in [v, v + 1, v * 3 / 2] {
                let b = bucket_of(probe);
                assert!(b < BUCKETS);
                assert!(highest_in_bucket(b) >= probe, "{probe} above its bucket");
                if b > 0 {
                    assert!(highest_in_bucket(b - 1) < probe, "{probe} below its bucket");
                }
            }
            v *= 3;
        }
        assert!(bucket_of(u64::MAX) < BUCKETS);
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
    }
}
