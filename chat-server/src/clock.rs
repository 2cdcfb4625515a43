//! The server's clock: the one place the chat reads the time for what depends on it (deadlines,
//! keep-alives, being shown away, session expiry, failed-login back-off, flood control, the
//! times of lines and messages, clock synchronisation).
//!
//! It is the real clock, which tests may drive ahead ([`ServerClock::driven`],
//! [`ServerClock::advance`]) to cross a deadline without waiting for it. A driven clock still
//! runs at real speed between jumps, so sockets, TLS handshakes and the writers' timeouts, which
//! measure real waits on real sockets, keep reading `Instant::now()` themselves.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How long a thread waiting for a deadline of a driven clock sleeps at most, so a jump is seen
/// soon.
const DRIVEN_TICK: Duration = Duration::from_millis(20);

/// The time as the server reads it. Cheap to clone: clones share one clock.
#[derive(Debug, Clone, Default)]
pub struct ServerClock {
    /// Nanoseconds this clock is ahead of the real one.
    ahead_ns: Arc<AtomicU64>,
    /// Whether tests drive it.
    driven: bool,
}

impl ServerClock {
    /// The real clock.
    pub fn real() -> Self {
        Self::default()
    }

    /// A clock tests drive: the real clock, moved ahead by each [`ServerClock::advance`].
    pub fn driven() -> Self {
        ServerClock {
            ahead_ns: Arc::new(AtomicU64::new(0)),
            driven: true,
        }
    }

    /// Moves the clock ahead by `by`: whatever waits for a deadline sees it within a few
    /// milliseconds. Does nothing to the real clock.
    pub fn advance(&self, by: Duration) {
        if self.driven {
            let ns = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
            self.ahead_ns.fetch_add(ns, Ordering::AcqRel);
        }
    }

    /// How far ahead of the real clock this one is.
    pub fn ahead(&self) -> Duration {
        Duration::from_nanos(self.ahead_ns.load(Ordering::Acquire))
    }

    /// Now, for deadlines and rates.
    pub fn now(&self) -> Instant {
        Instant::now() + self.ahead()
    }

    /// Now, ms since the epoch: the time of lines and messages, and of session tokens.
    pub fn now_ms(&self) -> i64 {
        chat_core::clock::system_now_ms()
            + i64::try_from(self.ahead().as_millis()).unwrap_or(i64::MAX / 2)
    }

    /// Now, µs since the epoch: what clock synchronisation gives clients.
    pub fn now_us(&self) -> i64 {
        chat_core::clock::Clock::now_us(&chat_core::clock::SystemClock)
            + i64::try_from(self.ahead().as_micros()).unwrap_or(i64::MAX / 2)
    }

    /// A real instant (of the real clock) as this clock reads it.
    pub fn read(&self, real: Instant) -> Instant {
        real + self.ahead()
    }

    /// How long to wait for a deadline `wanted` away: all of it on the real clock; a tick at
    /// most on a driven one, so that a jump is seen.
    pub fn wait_for(&self, wanted: Duration) -> Duration {
        if self.driven {
            wanted.min(DRIVEN_TICK)
        } else {
            wanted
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_driven_clock_jumps_and_the_real_one_does_not() {
        let real = ServerClock::real();
        real.advance(Duration::from_secs(60));
        assert_eq!(real.ahead(), Duration::ZERO);
        assert_eq!(
            real.wait_for(Duration::from_secs(90)),
            Duration::from_secs(90)
        );

        let driven = ServerClock::driven();
        let shared = driven.clone();
        let before = driven.now_ms();
        shared.advance(Duration::from_secs(60));
        assert!(driven.now_ms() - before >= 60_000);
        assert!(driven.now() >= Instant::now() + Duration::from_secs(59));
        assert_eq!(driven.wait_for(Duration::from_secs(90)), DRIVEN_TICK);
    }
}
