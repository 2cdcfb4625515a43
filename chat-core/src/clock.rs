//! Clock synchronisation with the server (Cristian's algorithm, as NTP does it per sample).
//!
//! The client asks the server's time several times; each answer, taken with the local send and
//! receive times, gives an estimate of the offset between the clocks whose error is at most half
//! that sample's round trip. The sample with the smallest round trip wins. The local clock is a
//! trait so a test can give a client a clock that is wrong by any amount.

use std::fmt;
use std::sync::Arc;
use web_time::{SystemTime, UNIX_EPOCH};

/// A source of wall-clock time.
pub trait Clock: Send + Sync + fmt::Debug {
    /// Microseconds since the Unix epoch, by this clock.
    fn now_us(&self) -> i64;
}

/// The operating system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_us(&self) -> i64 {
        match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_micros()).unwrap_or(i64::MAX),
            Err(e) => -i64::try_from(e.duration().as_micros()).unwrap_or(i64::MAX),
        }
    }
}

/// The system clock moved by a fixed amount: a wrong clock, for tests and demonstrations.
#[derive(Debug, Clone, Copy)]
pub struct SkewedClock {
    /// Added to the system time, in microseconds.
    pub skew_us: i64,
}

impl Clock for SkewedClock {
    fn now_us(&self) -> i64 {
        SystemClock.now_us() + self.skew_us
    }
}

/// Milliseconds since the Unix epoch by the system clock: the server's timestamps.
pub fn system_now_ms() -> i64 {
    SystemClock.now_us().div_euclid(1000)
}

/// One clock exchange: local send time, the server's answer, local receive time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockSample {
    /// Local time the request left, µs.
    pub sent_us: i64,
    /// The server's time in its answer, µs.
    pub server_us: i64,
    /// Local time the answer arrived, µs.
    pub received_us: i64,
}

impl ClockSample {
    /// Round trip, µs (never negative).
    pub fn round_trip_us(&self) -> i64 {
        (self.received_us - self.sent_us).max(0)
    }

    /// Server time minus local time, assuming the answer was made halfway through the trip.
    pub fn offset_us(&self) -> i64 {
        self.server_us + self.round_trip_us() / 2 - self.received_us
    }
}

/// What synchronisation concluded: how far the server's clock is from ours.
#[derive(Debug, Clone)]
pub struct ClockSync {
    clock: Arc<dyn Clock>,
    /// Server time minus local time, µs.
    pub offset_us: i64,
    /// The true offset is within this many µs of `offset_us` (half the best round trip).
    pub error_us: i64,
    /// The best sample's round trip, µs.
    pub round_trip_us: i64,
}

impl ClockSync {
    /// The estimate from the sample with the smallest round trip, or `None` without samples.
    pub fn from_samples(clock: Arc<dyn Clock>, samples: &[ClockSample]) -> Option<Self> {
        let best = samples.iter().min_by_key(|s| s.round_trip_us())?;
        Some(ClockSync {
            clock,
            offset_us: best.offset_us(),
            error_us: best.round_trip_us() / 2 + 1,
            round_trip_us: best.round_trip_us(),
        })
    }

    /// No correction: the server's time is taken to be ours (before synchronisation).
    pub fn unsynced(clock: Arc<dyn Clock>) -> Self {
        ClockSync {
            clock,
            offset_us: 0,
            error_us: i64::MAX,
            round_trip_us: 0,
        }
    }

    /// The server's time now, µs since the Unix epoch.
    pub fn server_now_us(&self) -> i64 {
        self.clock.now_us() + self.offset_us
    }

    /// The server's time now, ms since the Unix epoch.
    pub fn server_now_ms(&self) -> i64 {
        self.server_now_us().div_euclid(1000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_with_the_smallest_round_trip_wins() {
        // The server is 5 s ahead. A slow sample with asymmetric delay misleads; a fast one does not.
        let samples = [
            ClockSample {
                sent_us: 0,
                server_us: 5_000_000 + 900,
                received_us: 1_000,
            },
            ClockSample {
                sent_us: 2_000,
                server_us: 5_002_050,
                received_us: 2_100,
            },
        ];
        let sync = ClockSync::from_samples(Arc::new(SystemClock), &samples).unwrap();
        assert_eq!(sync.round_trip_us, 100);
        assert!((sync.offset_us - 5_000_000).abs() <= sync.error_us);
        assert!(ClockSync::from_samples(Arc::new(SystemClock), &[]).is_none());
    }

    #[test]
    fn a_skewed_clock_is_corrected() {
        let skewed: Arc<dyn Clock> = Arc::new(SkewedClock {
            skew_us: -42_000_000,
        });
        let sent = skewed.now_us();
        let server = SystemClock.now_us();
        let received = skewed.now_us();
        let sync = ClockSync::from_samples(
            skewed,
            &[ClockSample {
                sent_us: sent,
                server_us: server,
                received_us: received,
            }],
        )
        .unwrap();
        assert!((sync.server_now_us() - SystemClock.now_us()).abs() < 50_000);
    }
}
