//! A private message to a user on another node is answered `private_sent` only once the
//! recipient's node took it; otherwise it is kept for the recipient's next login, never both.
//!
//! The sender's node appends the message (`Private`) to the log. The node where the log says
//! the recipient is online answers `Taken`; if the sender's node has heard nothing after
//! [`EXPIRE_AFTER`], it appends `Expired`. Whichever of the two comes first in the log decides,
//! and every node reads the same log: the recipient's node delivers only if its `Taken` came
//! first, the sender's node keeps the message only if its `Expired` came first (`view` makes
//! the decision; this module hands it to the waiting sender). If the sender's node cannot read
//! the decision within [`GIVE_UP_AFTER`] (cut off from Redis meanwhile), the sender is told
//! it is not confirmed: it may still arrive.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crossbeam_channel::{Sender, bounded};

use crate::chat::bus::Handover;
use crate::error::{Result, ServerError};

/// How long the message may take to be appended to the log.
pub(super) const PUBLISHED_WITHIN: Duration = Duration::from_millis(800);
/// How long the sender waits for the recipient's node before it appends `Expired`.
const EXPIRE_AFTER: Duration = Duration::from_millis(1_000);
/// How long the sender waits in all for the decision.
const GIVE_UP_AFTER: Duration = super::REQUEST_BUDGET;
/// Decisions nobody came for (a sender that gave up first) kept at most.
const UNCLAIMED_KEPT: usize = 1_024;

/// A decision, or a sender waiting for one.
enum Slot {
    Decided(Handover),
    Waiting(Sender<Handover>),
}

/// This node's private messages being decided, by their number in the log.
#[derive(Default)]
pub(super) struct Waiting {
    slots: Mutex<BTreeMap<u64, Slot>>,
}

impl Waiting {
    fn slots(&self) -> MutexGuard<'_, BTreeMap<u64, Slot>> {
        self.slots.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The log decided message `seq` (called by the listener).
    pub fn decided(&self, seq: u64, outcome: Handover) {
        let mut slots = self.slots();
        match slots.remove(&seq) {
            Some(Slot::Waiting(sender)) => {
                let _ = sender.send(outcome);
            }
            _ => {
                slots.insert(seq, Slot::Decided(outcome));
                while slots.len() > UNCLAIMED_KEPT {
                    slots.pop_first();
                }
            }
        }
    }

    /// Waits for the decision on message `seq`, sent at `started`; `expire` appends
    /// `Expired` when the recipient's node is late.
    pub fn wait(&self, seq: u64, started: Instant, expire: impl FnOnce(u64)) -> Result<Handover> {
        let (sender, decision) = bounded(1);
        {
            let mut slots = self.slots();
            if let Some(Slot::Decided(outcome)) = slots.remove(&seq) {
                return Ok(outcome);
            }
            slots.insert(seq, Slot::Waiting(sender));
        }
        let outcome = decision
            .recv_timeout((started + EXPIRE_AFTER).saturating_duration_since(Instant::now()))
            .or_else(|_| {
                expire(seq);
                decision.recv_timeout(
                    (started + GIVE_UP_AFTER).saturating_duration_since(Instant::now()),
                )
            });
        match outcome {
            Ok(outcome) => Ok(outcome),
            Err(_) => {
                self.slots().remove(&seq);
                Err(ServerError::NotConfirmed {
                    what: "the recipient's server",
                })
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_decision_reaches_its_sender_whether_it_came_before_or_after_the_wait() {
        let waiting = Waiting::default();
        waiting.decided(7, Handover::Taken);
        let now = Instant::now();
        assert_eq!(
            waiting.wait(7, now, |_| panic!("decided")).unwrap(),
            Handover::Taken
        );
        let waiting = std::sync::Arc::new(waiting);
        let deciding = std::sync::Arc::clone(&waiting);
        let decider = std::thread::spawn(move || {
            // Decided once the sender waits (or gave up).
            while deciding.slots().get(&8).is_none() {
                std::thread::yield_now();
            }
            deciding.decided(8, Handover::Offline);
        });
        assert_eq!(
            waiting.wait(8, Instant::now(), |_| {}).unwrap(),
            Handover::Offline
        );
        decider.join().unwrap();
    }
}
