//! A connection's room lines on their way into the cluster's log. A sender does not wait for
//! each line to be in the log before reading its next request (its lines share the link's
//! round trips to Redis, as a busy room's lines must for the cluster to keep up), but it may
//! have only so many in flight: past that, its reader waits for one to be answered, and the
//! client feels it as TCP back-pressure, as on one server it feels a slow room.

use std::sync::{Arc, Condvar, Mutex};
use std::time::Instant;

/// Lines of one connection in flight at most. The link appends up to 256 events per round
/// trip; a few busy senders fill one.
pub(crate) const LINES_IN_FLIGHT: usize = 64;

/// How many of a connection's lines are in flight.
#[derive(Debug, Default)]
pub(crate) struct InFlight {
    count: Mutex<usize>,
    freed: Condvar,
}

/// One line's place in flight, given back when dropped (once the line is answered).
#[derive(Debug)]
pub(crate) struct Slot(Arc<InFlight>);

impl InFlight {
    /// A place for one more line, waiting for one until `deadline`; `None` if none was freed
    /// by then.
    pub fn take(self: &Arc<Self>, deadline: Instant) -> Option<Slot> {
        let mut count = self.count.lock().unwrap_or_else(|p| p.into_inner());
        while *count >= LINES_IN_FLIGHT {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            count = self
                .freed
                .wait_timeout(count, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        *count += 1;
        Some(Slot(Arc::clone(self)))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut count = self.0.count.lock().unwrap_or_else(|p| p.into_inner());
        *count = count.saturating_sub(1);
        self.0.freed.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_sender_with_every_place_taken_waits_for_one_to_be_given_back() {
        let lines = Arc::new(InFlight::default());
        let soon = || Instant::now() + Duration::from_millis(20);
        let mut slots: Vec<Slot> = (0..LINES_IN_FLIGHT)
            .map(|_| lines.take(soon()).expect("a place"))
            .collect();
        assert!(lines.take(soon()).is_none(), "no place past the limit");
        let given_back = slots.pop();
        let answered = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(30));
            drop(given_back);
        });
        let waited = Instant::now();
        assert!(
            lines
                .take(Instant::now() + Duration::from_secs(5))
                .is_some()
        );
        assert!(waited.elapsed() >= Duration::from_millis(20));
        answered.join().expect("the answering thread");
    }
}
