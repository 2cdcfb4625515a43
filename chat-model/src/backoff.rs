//! How long to wait before the next reconnection attempt: exponential backoff with full jitter.
//!
//! The longest wait (the ceiling) doubles from a first delay up to a cap,
//! `min(cap, first * 2^failures)`, so a server that is down is not hammered and one that comes
//! back is found quickly. The wait itself is drawn at random between zero and that ceiling
//! ("full jitter", as in AWS's "Exponential Backoff And Jitter"): the clients a server restart
//! dropped all at once come back spread over the whole window rather than in lockstep, each
//! doubling of the window halving how many arrive together.
//!
//! The randomness is `fastrand`'s small generator, seeded from the system by [`Backoff::new`],
//! or with a seed of the caller's ([`Backoff::with_rng`]) so a test knows every draw.

use std::time::Duration;

/// Exponential backoff state, with its own random source.
#[derive(Debug, Clone)]
pub struct Backoff {
    first: Duration,
    max: Duration,
    failures: u32,
    rng: fastrand::Rng,
}

impl Backoff {
    /// Starts with a ceiling of `first`, doubling up to `max`; draws from a generator seeded by
    /// the system.
    pub fn new(first: Duration, max: Duration) -> Self {
        Backoff::with_rng(first, max, fastrand::Rng::new())
    }

    /// The same, drawing from `rng` (seeded by the caller).
    pub fn with_rng(first: Duration, max: Duration, rng: fastrand::Rng) -> Self {
        Backoff {
            first,
            max,
            failures: 0,
            rng,
        }
    }

    /// The longest the next wait can be: `first` doubled once per failure so far, at most `max`.
    pub fn ceiling(&self) -> Duration {
        let factor = 1u32 << self.failures.min(16);
        self.first.saturating_mul(factor).min(self.max)
    }

    /// The wait before the next attempt, anywhere from zero to [`ceiling`](Self::ceiling); each
    /// call counts one more failure.
    pub fn next_delay(&mut self) -> Duration {
        let ceiling = self.ceiling();
        self.failures = self.failures.saturating_add(1);
        let ceiling_ns = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(self.rng.u64(..=ceiling_ns))
    }

    /// The same, drawing from a generator seeded with `seed` (where the system gives none: a
    /// web page seeds it from the browser's).
    pub fn with_seed(first: Duration, max: Duration, seed: u64) -> Self {
        Backoff::with_rng(first, max, fastrand::Rng::with_seed(seed))
    }

    /// How many attempts have failed since the last success.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// Forgets the failures after a success.
    pub fn reset(&mut self) {
        self.failures = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seeded(seed: u64, first_s: u64, max_s: u64) -> Backoff {
        Backoff::with_seed(
            Duration::from_secs(first_s),
            Duration::from_secs(max_s),
            seed,
        )
    }

    #[test]
    fn delays_double_up_to_the_ceiling_and_reset_after_success() {
        let mut b = seeded(1, 1, 10);
        let ceilings: Vec<u64> = (0..6)
            .map(|_| {
                let ceiling = b.ceiling();
                assert!(b.next_delay() <= ceiling);
                ceiling.as_secs()
            })
            .collect();
        assert_eq!(ceilings, [1, 2, 4, 8, 10, 10]);
        assert_eq!(b.failures(), 6);
        b.reset();
        assert_eq!(b.ceiling(), Duration::from_secs(1));
        assert!(b.next_delay() <= Duration::from_secs(1));
    }

    #[test]
    fn many_failures_never_overflow() {
        let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(30));
        for _ in 0..1000 {
            assert!(b.next_delay() <= Duration::from_secs(30));
        }
    }

    #[test]
    fn every_delay_lies_between_zero_and_its_ceiling() {
        for seed in 0..50 {
            let mut b = seeded(seed, 1, 30);
            for _ in 0..40 {
                let ceiling = b.ceiling();
                assert!(b.next_delay() <= ceiling, "seed {seed}");
            }
        }
    }

    #[test]
    fn delays_spread_over_the_whole_window() {
        // At the cap, 10,000 draws: every tenth of the window gets its share (1,000 expected),
        // and the mean is near half the ceiling.
        let mut b = seeded(7, 1, 30);
        for _ in 0..5 {
            b.next_delay();
        }
        let ceiling = b.ceiling();
        assert_eq!(ceiling, Duration::from_secs(30));
        let mut tenths = [0u32; 10];
        let mut total = Duration::ZERO;
        for _ in 0..10_000 {
            let delay = b.next_delay();
            total += delay;
            let tenth = (delay.as_secs_f64() / ceiling.as_secs_f64() * 10.0) as usize;
            tenths[tenth.min(9)] += 1;
        }
        assert!(
            tenths.iter().all(|&n| (850..=1150).contains(&n)),
            "{tenths:?}"
        );
        let mean = total.as_secs_f64() / 10_000.0;
        assert!((14.0..=16.0).contains(&mean), "mean {mean} s");
    }

    #[test]
    fn clients_dropped_together_do_not_come_back_together() {
        // A hundred clients (seeded apart, as their systems seed them) lose the server at once:
        // their first attempts spread over the first second instead of all landing on it.
        let firsts: Vec<Duration> = (0..100)
            .map(|seed| seeded(seed, 1, 30).next_delay())
            .collect();
        let distinct: std::collections::BTreeSet<_> = firsts.iter().collect();
        assert!(distinct.len() >= 99);
        let early = firsts.iter().filter(|d| d.as_millis() < 500).count();
        assert!(
            (30..=70).contains(&early),
            "{early} of 100 in the first half"
        );
    }

    #[test]
    fn the_same_seed_draws_the_same_delays() {
        let (mut a, mut b) = (seeded(42, 1, 30), seeded(42, 1, 30));
        for _ in 0..20 {
            assert_eq!(a.next_delay(), b.next_delay());
        }
    }
}
