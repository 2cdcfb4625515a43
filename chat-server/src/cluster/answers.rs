//! What becomes of an event given to the link, told to its sender: waited for (a request that
//! needs its number) or not (a connection's room lines: many in flight, sharing the link's
//! round trips to Redis). Each is answered exactly once: by the link when the log answers, or,
//! if the link is stuck (cut off, a round trip to Redis may take a second before it fails, then
//! a reconnection half of one), by the `cluster-deadlines` thread a little after the request's
//! deadline, so that every request is answered within two seconds whatever the network does.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, bounded, unbounded};

use super::{Appended, Cluster, Outgoing, unreachable};
use crate::chat::bus::{Answer, BusEvent};
use crate::error::{Result, ServerError};

/// How long past its deadline an event's sender waits for the link's answer: the link answers
/// every event it was given by the deadline (appended, or not because too late), unless a
/// round trip is under way.
pub(super) const SLACK: Duration = Duration::from_millis(50);

/// Why an event has no number, as its sender hears it.
pub(super) fn result_of(what: Appended) -> Result<u64> {
    match what {
        Appended::Not => Err(unreachable("the event could not be appended")),
        Appended::InDoubt => Err(ServerError::NotConfirmed {
            what: "the cluster (Redis)",
        }),
    }
}

/// An event's answer, not yet given.
pub(super) struct Pending {
    answer: Mutex<Option<Answer>>,
}

impl Pending {
    pub fn new(answer: Answer) -> Arc<Self> {
        Arc::new(Pending {
            answer: Mutex::new(Some(answer)),
        })
    }

    /// Gives the answer, unless it was given already.
    pub fn settle(&self, result: Result<u64>) {
        let answer = self.answer.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(answer) = answer {
            answer(result);
        }
    }
}

/// The events waiting for an answer, in the order of their deadlines (every event's deadline
/// is its request's start plus one budget, so the order they come in, give or take the
/// microseconds between taking the time and queueing).
pub(super) struct Deadlines {
    tx: Sender<(Instant, Arc<Pending>)>,
    rx: Receiver<(Instant, Arc<Pending>)>,
}

impl Default for Deadlines {
    fn default() -> Self {
        let (tx, rx) = unbounded();
        Deadlines { tx, rx }
    }
}

impl Deadlines {
    /// Answers `pending` "not confirmed" at `deadline` (plus [`SLACK`]) if nothing did before.
    pub fn watch(&self, deadline: Instant, pending: Arc<Pending>) {
        let _ = self.tx.send((deadline + SLACK, pending));
    }
}

impl Cluster {
    /// Appends an event and waits (until `deadline`) for its number.
    pub(super) fn publish_until(&self, event: BusEvent, deadline: Instant) -> Result<u64> {
        let (confirm, confirmed) = bounded(1);
        let pending = Pending::new(Box::new(move |result| {
            let _ = confirm.send(result);
        }));
        self.queue(event, deadline, &pending);
        // A little past the deadline: the link answers every event it was given by then.
        let wait = deadline.saturating_duration_since(Instant::now()) + SLACK;
        confirmed
            .recv_timeout(wait)
            .unwrap_or_else(|_| result_of(Appended::InDoubt))
    }

    /// Appends an event without waiting: `answer` is given its number once it is in the log,
    /// or why it is not, by `deadline` (and a few ms) at the latest, whatever Redis does.
    pub fn publish_answered(&self, event: BusEvent, deadline: Instant, answer: Answer) {
        let pending = Pending::new(answer);
        if self.queue(event, deadline, &pending) {
            self.deadlines.watch(deadline, pending);
        }
    }

    /// Queues an event for the link, `pending` its answer; answers it at once (`false`) if
    /// it cannot be queued.
    fn queue(&self, event: BusEvent, deadline: Instant, pending: &Arc<Pending>) -> bool {
        if !self.is_up() {
            pending.settle(Err(unreachable("not connected")));
            return false;
        }
        let item = Outgoing::Publish {
            event,
            failed: None,
            confirm: Some(Arc::clone(pending)),
            deadline: Some(deadline),
        };
        if self.outgoing.try_send(item).is_err() {
            pending.settle(Err(unreachable("too many events waiting")));
            return false;
        }
        true
    }
}

/// The `cluster-deadlines` thread: answers what the link did not answer in time, until
/// `stopping`.
pub(super) fn run(deadlines: &Deadlines, stopping: impl Fn() -> bool) {
    loop {
        match deadlines.rx.recv_timeout(Duration::from_millis(250)) {
            Ok((at, pending)) => {
                let left = at.saturating_duration_since(Instant::now());
                if !left.is_zero() {
                    std::thread::sleep(left);
                }
                pending.settle(result_of(Appended::InDoubt));
            }
            Err(RecvTimeoutError::Timeout) if stopping() => return,
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_is_given_once_whoever_gives_it_first() {
        let (tx, rx) = crossbeam_channel::unbounded();
        let pending = Pending::new(Box::new(move |r: Result<u64>| {
            let _ = tx.send(r.ok());
        }));
        pending.settle(Ok(7));
        pending.settle(result_of(Appended::InDoubt));
        assert_eq!(rx.try_iter().collect::<Vec<_>>(), vec![Some(7)]);
    }

    #[test]
    fn an_event_the_link_never_answered_is_answered_not_confirmed_at_its_deadline() {
        let deadlines = Arc::new(Deadlines::default());
        let (tx, rx) = crossbeam_channel::unbounded();
        let pending = Pending::new(Box::new(move |r: Result<u64>| {
            let _ = tx.send(r);
        }));
        let asked = Instant::now();
        deadlines.watch(asked + Duration::from_millis(30), Arc::clone(&pending));
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let thread = {
            let (deadlines, stop) = (Arc::clone(&deadlines), Arc::clone(&stop));
            std::thread::spawn(move || {
                run(&deadlines, || {
                    stop.load(std::sync::atomic::Ordering::Relaxed)
                });
            })
        };
        let answer = rx.recv_timeout(Duration::from_secs(5)).expect("an answer");
        assert!(matches!(answer, Err(ServerError::NotConfirmed { .. })));
        assert!(asked.elapsed() >= Duration::from_millis(30) + SLACK);
        // The link's answer, too late, is not given a second time.
        pending.settle(Ok(9));
        assert!(rx.try_recv().is_err());
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        thread.join().expect("the deadline thread stops");
    }

    #[test]
    fn what_became_of_an_event_is_told_as_its_sender_hears_it() {
        assert!(matches!(
            result_of(Appended::InDoubt),
            Err(ServerError::NotConfirmed { .. })
        ));
        assert!(matches!(
            result_of(Appended::Not),
            Err(ServerError::Unavailable { .. })
        ));
    }
}
