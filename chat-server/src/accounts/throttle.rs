//! Rate limits: token buckets (registrations per address; flood control, in `connection`, is
//! one) and exponential backoff after failed logins (per address and per account).
//!
//! Every keyed table is bounded: idle entries are swept, and a table that still overflows is
//! cleared with a warning rather than allowed to grow without bound.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Most keys a table tracks.
const MAX_KEYS: usize = 100_000;
/// An entry untouched this long is forgotten.
const FORGET_AFTER: Duration = Duration::from_secs(15 * 60);

/// Before `key` is added to a full table: forgets the entries `keep` rejects, and clears the
/// table (with a warning) if that is not enough, so no table outgrows [`MAX_KEYS`].
fn make_room<K: Hash + Eq, V>(
    table: &mut HashMap<K, V>,
    key: &K,
    mut keep: impl FnMut(&mut V) -> bool,
) {
    if table.contains_key(key) || table.len() < MAX_KEYS {
        return;
    }
    table.retain(|_, v| keep(v));
    if table.len() >= MAX_KEYS {
        tracing::warn!("rate-limit table full; clearing it");
        table.clear();
    }
}

/// A token bucket: `capacity` tokens, refilled at `per_second`.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    capacity: f64,
    per_second: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    /// A full bucket.
    pub fn new(capacity: u32, per_second: f64, now: Instant) -> Self {
        TokenBucket {
            capacity: f64::from(capacity.max(1)),
            per_second,
            tokens: f64::from(capacity.max(1)),
            last: now,
        }
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.per_second).min(self.capacity);
        self.last = now;
    }

    /// Takes a token, or says how long until one is there.
    pub fn take(&mut self, now: Instant) -> Result<(), Duration> {
        self.refill(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else if self.per_second <= 0.0 {
            Err(Duration::MAX)
        } else {
            Err(Duration::from_secs_f64(
                (1.0 - self.tokens) / self.per_second,
            ))
        }
    }

    /// Takes a token the bucket does not have: it is in debt until refilled.
    pub fn owe_one(&mut self) {
        self.tokens -= 1.0;
    }

    /// Whether the bucket is full (an idle key that can be forgotten).
    fn is_full(&mut self, now: Instant) -> bool {
        self.refill(now);
        self.tokens >= self.capacity
    }
}

/// Token buckets by key (registrations per address).
#[derive(Debug)]
pub struct KeyedBuckets<K> {
    table: Mutex<HashMap<K, TokenBucket>>,
    capacity: u32,
    per_second: f64,
}

impl<K: Hash + Eq + Clone + std::fmt::Debug> KeyedBuckets<K> {
    /// `capacity` at once per key, refilled at `per_second`.
    pub fn new(capacity: u32, per_second: f64) -> Self {
        KeyedBuckets {
            table: Mutex::new(HashMap::new()),
            capacity,
            per_second,
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<K, TokenBucket>> {
        self.table.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes a token for `key`, or says how long until one is there.
    pub fn take(&self, key: &K, now: Instant) -> Result<(), Duration> {
        let mut table = self.lock();
        make_room(&mut table, key, |b| !b.is_full(now));
        table
            .entry(key.clone())
            .or_insert_with(|| TokenBucket::new(self.capacity, self.per_second, now))
            .take(now)
    }

    /// Forgets keys whose buckets are full again.
    pub fn sweep(&self, now: Instant) {
        self.lock().retain(|_, b| !b.is_full(now));
    }
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
    /// Set only once the free failures are used up. A fresh entry must not carry a time: a
    /// `check` that read the clock a moment before another thread's first failure would take the
    /// entry's creation time for a block.
    blocked_until: Option<Instant>,
}

/// Exponential backoff after repeated failures, by key: the first `free` failures cost nothing;
/// the failure that uses up the last free one blocks the key for 1 s, and each further one for
/// twice as long as the one before (2 s, 4 s, … up to `max`). With 3 free failures, the fourth
/// attempt is the first one delayed.
#[derive(Debug)]
pub struct FailedLogins<K> {
    table: Mutex<HashMap<K, Failures>>,
    free: u32,
    max: Duration,
}

impl<K: Hash + Eq + Clone> FailedLogins<K> {
    /// A tracker with `free` failures before any delay, and delays up to `max`.
    pub fn new(free: u32, max: Duration) -> Self {
        FailedLogins {
            table: Mutex::new(HashMap::new()),
            free,
            max,
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<K, Failures>> {
        self.table.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `Err(remaining)` while `key` is blocked.
    pub fn check(&self, key: &K, now: Instant) -> Result<(), Duration> {
        match self.lock().get(key) {
            Some(Failures {
                blocked_until: Some(until),
                ..
            }) if *until > now => Err(*until - now),
            _ => Ok(()),
        }
    }

    /// Records a failure for `key`.
    pub fn fail(&self, key: &K, now: Instant) {
        let mut table = self.lock();
        make_room(&mut table, key, |f| {
            now.saturating_duration_since(f.last) < FORGET_AFTER
        });
        let f = table.entry(key.clone()).or_insert(Failures {
            count: 0,
            last: now,
            blocked_until: None,
        });
        f.count = f.count.saturating_add(1);
        f.last = now;
        if f.count >= self.free.max(1) {
            let exponent = (f.count - self.free.max(1)).min(20);
            let delay = Duration::from_secs(1u64 << exponent).min(self.max);
            f.blocked_until = Some(now + delay);
        }
    }

    /// Forgets `key`'s failures (after a success).
    pub fn clear(&self, key: &K) {
        self.lock().remove(key);
    }

    /// Forgets keys with no failure for a while.
    pub fn sweep(&self, now: Instant) {
        self.lock()
            .retain(|_, f| now.saturating_duration_since(f.last) < FORGET_AFTER);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_allows_a_burst_then_the_rate() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(3, 2.0, t0);
        for _ in 0..3 {
            b.take(t0).unwrap();
        }
        let wait = b.take(t0).unwrap_err();
        assert!(wait > Duration::from_millis(400) && wait <= Duration::from_millis(500));
        b.take(t0 + Duration::from_millis(500)).unwrap();
    }

    #[test]
    fn failed_logins_double_the_wait_after_the_free_failures_and_clears() {
        let t0 = Instant::now();
        let b = FailedLogins::new(3, Duration::from_secs(60));
        b.fail(&"ana", t0);
        b.fail(&"ana", t0);
        b.check(&"ana", t0).unwrap();
        // The third failure uses up the free ones: the fourth attempt waits.
        b.fail(&"ana", t0);
        assert_eq!(b.check(&"ana", t0), Err(Duration::from_secs(1)));
        b.fail(&"ana", t0);
        assert_eq!(b.check(&"ana", t0), Err(Duration::from_secs(2)));
        for _ in 0..30 {
            b.fail(&"ana", t0);
        }
        assert_eq!(b.check(&"ana", t0), Err(Duration::from_secs(60)));
        b.clear(&"ana");
        b.check(&"ana", t0).unwrap();
    }

    #[test]
    fn a_free_failure_blocks_no_one_who_read_the_clock_just_before_it() {
        // One thread reads the clock to check a login; another records the first failure of
        // the same address a moment later; then the first one checks.
        let checked_at = Instant::now();
        let failed_at = checked_at + Duration::from_millis(1);
        let b = FailedLogins::new(1_000_000, Duration::from_secs(60));
        b.fail(&"127.0.0.1", failed_at);
        assert_eq!(b.check(&"127.0.0.1", checked_at), Ok(()));
    }

    #[test]
    fn keyed_buckets_limit_each_key_alone() {
        let t0 = Instant::now();
        let k = KeyedBuckets::new(2, 1.0 / 60.0);
        k.take(&1, t0).unwrap();
        k.take(&1, t0).unwrap();
        assert!(k.take(&1, t0).is_err());
        k.take(&2, t0).unwrap();
    }
}
