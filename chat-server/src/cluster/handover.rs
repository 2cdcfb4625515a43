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
//!
//! So it does, either way: a message whose sender stopped waiting (it gave up, or the answer to
//! its append was lost and it never learnt its number) is still decided by the log, and one the
//! log decides to keep is kept by the sender's node once nobody can be waiting for it any more
//! ([`Waiting::unclaimed`]). Never both: delivered only if taken, kept only if expired.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crossbeam_channel::{Sender, bounded};

use chat_core::protocol::PrivateSaid;

use crate::chat::bus::Handover;
use crate::error::{Result, ServerError};

/// How long the message may take to be appended to the log.
pub(super) const PUBLISHED_WITHIN: Duration = Duration::from_millis(800);
/// How long the sender waits for the recipient's node before it appends `Expired`.
const EXPIRE_AFTER: Duration = Duration::from_millis(1_000);
/// How long the sender waits in all for the decision.
const GIVE_UP_AFTER: Duration = super::REQUEST_BUDGET;
/// How old a decision nobody came for is when its sender certainly stopped waiting.
pub(super) const UNCLAIMED_AFTER: Duration = GIVE_UP_AFTER;
/// Decisions nobody came for (a sender that gave up first) kept at most.
const UNCLAIMED_KEPT: usize = 1_024;

/// A decision (with its message, and when it came), or a sender waiting for one.
enum Slot {
    Decided {
        outcome: Handover,
        said: Box<PrivateSaid>,
        at: Instant,
    },
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
    pub fn decided(&self, seq: u64, outcome: Handover, said: Box<PrivateSaid>) {
        let mut slots = self.slots();
        match slots.remove(&seq) {
            Some(Slot::Waiting(sender)) => {
                // Sent under the lock: a sender giving up looks once more under it.
                let _ = sender.send(outcome);
            }
            _ => {
                let at = Instant::now();
                slots.insert(seq, Slot::Decided { outcome, said, at });
                while slots.len() > UNCLAIMED_KEPT {
                    slots.pop_first();
                }
            }
        }
    }

    /// The messages decided to be kept whose senders stopped waiting, among decisions older
    /// than `older_than` (which forgets them). No sender comes for a decision older than
    /// [`UNCLAIMED_AFTER`]: each waits at most [`GIVE_UP_AFTER`] from before its message was
    /// appended.
    pub fn unclaimed(&self, older_than: Duration) -> Vec<PrivateSaid> {
        let mut kept = Vec::new();
        self.slots().retain(|_, slot| match slot {
            Slot::Decided { outcome, said, at } if at.elapsed() >= older_than => {
                if *outcome == Handover::Offline {
                    kept.push(std::mem::take(&mut **said));
                }
                false
            }
            _ => true,
        });
        kept
    }

    /// Waits for the decision on message `seq`, sent at `started`; `expire` appends
    /// `Expired` when the recipient's node is late.
    pub fn wait(
        &self,
        seq: u64,
        started: Instant,
        deadline: Instant,
        expire: impl FnOnce(u64),
    ) -> Result<Handover> {
        // A request that waited for something else first (its number) has less time: the
        // sender gives up at its deadline, and expires the message early enough before it
        // that the expiry can be read back.
        let give_up = deadline.min(started + GIVE_UP_AFTER);
        let expire_at = (started + EXPIRE_AFTER).min(
            give_up
                .checked_sub(GIVE_UP_AFTER - EXPIRE_AFTER)
                .unwrap_or(started),
        );
        let (sender, decision) = bounded(1);
        {
            let mut slots = self.slots();
            if let Some(Slot::Decided { outcome, .. }) = slots.remove(&seq) {
                return Ok(outcome);
            }
            slots.insert(seq, Slot::Waiting(sender));
        }
        let outcome = decision
            .recv_timeout(expire_at.saturating_duration_since(Instant::now()))
            .or_else(|_| {
                expire(seq);
                decision.recv_timeout(give_up.saturating_duration_since(Instant::now()))
            });
        match outcome {
            Ok(outcome) => Ok(outcome),
            Err(_) => {
                let mut slots = self.slots();
                slots.remove(&seq);
                // Decided while giving up: the answer is here after all.
                if let Ok(outcome) = decision.try_recv() {
                    return Ok(outcome);
                }
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
        waiting.decided(7, Handover::Taken, said("one"));
        let now = Instant::now();
        assert_eq!(
            waiting
                .wait(7, now, now + GIVE_UP_AFTER, |_| panic!("decided"))
                .unwrap(),
            Handover::Taken
        );
        let waiting = std::sync::Arc::new(waiting);
        let deciding = std::sync::Arc::clone(&waiting);
        let decider = std::thread::spawn(move || {
            // Decided once the sender waits (or gave up).
            while deciding.slots().get(&8).is_none() {
                std::thread::yield_now();
            }
            deciding.decided(8, Handover::Offline, said("two"));
        });
        assert_eq!(
            waiting
                .wait(8, Instant::now(), Instant::now() + GIVE_UP_AFTER, |_| {})
                .unwrap(),
            Handover::Offline
        );
        decider.join().unwrap();
        assert!(waiting.unclaimed(Duration::ZERO).is_empty());
    }

    /// A request that spent most of its time before the handover (waiting for its number)
    /// expires the message at once and gives up at its deadline, not a whole handover later.
    #[test]
    fn a_sender_with_little_time_left_expires_at_once_and_gives_up_at_its_deadline() {
        let waiting = Waiting::default();
        let started = Instant::now();
        let deadline = started + Duration::from_millis(300);
        let expired_after = std::cell::Cell::new(None);
        let outcome = waiting.wait(9, started, deadline, |_| {
            expired_after.set(Some(started.elapsed()));
        });
        assert!(matches!(outcome, Err(ServerError::NotConfirmed { .. })));
        let gave_up_after = started.elapsed();
        // Expired before the 300 ms were out (no decision could come), given up at them: far
        // below the handover's own second and 1.6 s.
        assert!(
            expired_after
                .get()
                .is_some_and(|e| e < Duration::from_millis(300))
        );
        assert!(
            gave_up_after < EXPIRE_AFTER,
            "gave up after {gave_up_after:?}"
        );
    }

    #[test]
    fn a_message_to_be_kept_whose_sender_stopped_waiting_is_kept_by_its_node() {
        let waiting = Waiting::default();
        // The sender gave up (or never learnt the numbers): nobody waits for 3 and 4.
        waiting.decided(3, Handover::Offline, said("kept"));
        waiting.decided(4, Handover::Taken, said("delivered there"));
        assert!(waiting.unclaimed(Duration::from_secs(60)).is_empty());
        let kept = waiting.unclaimed(Duration::ZERO);
        assert_eq!(
            kept.iter().map(|s| s.text.as_str()).collect::<Vec<_>>(),
            ["kept"]
        );
        assert!(waiting.slots().is_empty());
    }

    fn said(text: &str) -> Box<PrivateSaid> {
        Box::new(PrivateSaid {
            text: text.into(),
            ..Default::default()
        })
    }
}
