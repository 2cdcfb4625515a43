//! Flood control for one connection, as IRC servers do it ("fakelag"): a burst is free, then
//! requests are delayed to the sustained rate; a client that stays over the rate for too long is
//! disconnected. Which requests pay into it is each protocol's to say (`Traits::flood`).

use std::time::{Duration, Instant};

use crate::accounts::throttle::TokenBucket;

/// A connection's flood control.
#[derive(Debug)]
pub struct Flood {
    bucket: Option<TokenBucket>,
    throttled_since: Option<Instant>,
    kick_after: Duration,
}

/// What to do with a request under flood control.
#[derive(Debug, PartialEq, Eq)]
pub enum FloodVerdict {
    /// Handle it now.
    Go,
    /// Handle it after this delay.
    Wait(Duration),
    /// The client has been over the limit for too long.
    Disconnect,
}

impl Flood {
    /// `per_second` of 0 turns flood control off.
    pub fn new(burst: u32, per_second: f64, kick_after: Duration, now: Instant) -> Self {
        Flood {
            bucket: (per_second > 0.0).then(|| TokenBucket::new(burst, per_second, now)),
            throttled_since: None,
            kick_after,
        }
    }

    /// Accounts for one request.
    pub fn check(&mut self, now: Instant) -> FloodVerdict {
        let Some(bucket) = &mut self.bucket else {
            return FloodVerdict::Go;
        };
        match bucket.take(now) {
            Ok(()) => {
                self.throttled_since = None;
                FloodVerdict::Go
            }
            Err(wait) => {
                let since = *self.throttled_since.get_or_insert(now);
                if now.saturating_duration_since(since) >= self.kick_after {
                    return FloodVerdict::Disconnect;
                }
                // The delayed request is paid for now: the bucket is one token in debt, which
                // the wait repays.
                bucket.owe_one();
                FloodVerdict::Wait(wait)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flood_control_delays_then_disconnects_sustained_abuse() {
        let t0 = Instant::now();
        let mut f = Flood::new(2, 10.0, Duration::from_secs(1), t0);
        assert_eq!(f.check(t0), FloodVerdict::Go);
        assert_eq!(f.check(t0), FloodVerdict::Go);
        // A client that always has another request ready is paced to the rate...
        let mut now = t0;
        let mut handled = 2;
        loop {
            match f.check(now) {
                FloodVerdict::Go => {}
                FloodVerdict::Wait(d) => now += d,
                FloodVerdict::Disconnect => break,
            }
            handled += 1;
        }
        // ...and disconnected after a second of it, having had about ten requests handled.
        assert!(now >= t0 + Duration::from_millis(900), "{:?}", now - t0);
        assert!((9..=13).contains(&handled), "{handled}");

        // A client that slows down is forgiven.
        let mut g = Flood::new(1, 10.0, Duration::from_secs(1), t0);
        assert_eq!(g.check(t0), FloodVerdict::Go);
        assert!(matches!(g.check(t0), FloodVerdict::Wait(_)));
        assert_eq!(g.check(t0 + Duration::from_secs(5)), FloodVerdict::Go);

        // Off means off.
        let mut off = Flood::new(1, 0.0, Duration::from_secs(1), t0);
        for _ in 0..1000 {
            assert_eq!(off.check(t0), FloodVerdict::Go);
        }
    }
}
