//! Kept messages forgotten even when their store cannot be reached at that moment.
//!
//! Messages kept for an offline user are handed to the user's connection at login, then
//! forgotten in their store (`MailStore::delivered`). If the store cannot be reached for that
//! second step (PostgreSQL behind a partition, restarting), the messages stay kept, and the
//! next login delivers them again: nothing lost, but the user gets them twice. [`Forgetting`]
//! wraps a store so that this does not happen: a forgetting that failed is remembered and tried
//! again every second until the store takes it (it is idempotent: "up to this number"), and
//! until then a login on this server is not given those messages again.
//!
//! What it cannot cover: the server stopping before the store takes it, or (in a cluster) the
//! user logging in on another node that reaches the store while this one does not. Both give
//! the messages twice, never lose them.

use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::time::Duration;

use chat_core::protocol::PrivateSaid;

use super::{KeptMessages, MailStore};
use crate::error::Result;

/// How long a failed forgetting waits before it is tried again.
const RETRY_EVERY: Duration = Duration::from_secs(1);

/// A [`MailStore`] whose forgettings are tried again until they hold.
#[derive(Debug)]
pub struct Forgetting {
    inner: Arc<dyn MailStore>,
    pending: Arc<Pending>,
}

/// Forgettings not yet taken by the store, shared with the retrying thread (which holds the
/// store itself only while it retries: a server that stops lets its store go at once).
#[derive(Debug, Default)]
struct Pending {
    /// Recipient key → up to which number.
    marks: Mutex<HashMap<String, u64>>,
    /// Wakes the retrying thread when a forgetting fails.
    wake: Condvar,
}

impl Pending {
    fn marks(&self) -> MutexGuard<'_, HashMap<String, u64>> {
        self.marks.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Forgetting {
    /// Wraps `inner`; a thread tries failed forgettings again while the wrapper lives.
    pub fn new(inner: Arc<dyn MailStore>) -> Arc<Self> {
        let me = Arc::new(Forgetting {
            inner,
            pending: Arc::default(),
        });
        let (weak, pending) = (Arc::downgrade(&me), Arc::clone(&me.pending));
        let spawned = std::thread::Builder::new()
            .name("mail-forget".into())
            .spawn(move || retry(&weak, &pending));
        if let Err(e) = spawned {
            // Without it, a failed forgetting waits for the next login (as before).
            tracing::error!("cannot start the thread that forgets kept messages again: {e}");
        }
        me
    }

    /// Tries every pending forgetting once.
    fn retry_pending(&self) {
        let due: Vec<(String, u64)> = self
            .pending
            .marks()
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect();
        for (key, up_to) in due {
            if self.inner.delivered(&key, up_to).is_ok() {
                let mut marks = self.pending.marks();
                // A later failure for the same user may have raised the mark meanwhile.
                if marks.get(&key) == Some(&up_to) {
                    marks.remove(&key);
                }
            }
        }
    }
}

/// The retrying thread: every second while something is pending; ends with its store.
fn retry(store: &Weak<Forgetting>, pending: &Pending) {
    loop {
        let marks = pending.marks();
        let wait = if marks.is_empty() {
            4 * RETRY_EVERY
        } else {
            RETRY_EVERY
        };
        let (marks, _) = pending
            .wake
            .wait_timeout(marks, wait)
            .unwrap_or_else(|p| p.into_inner());
        let due = !marks.is_empty();
        drop(marks);
        let Some(store) = store.upgrade() else {
            return;
        };
        if due {
            store.retry_pending();
        }
    }
}

impl MailStore for Forgetting {
    fn keep(&self, said: &PrivateSaid) -> Result<()> {
        self.inner.keep(said)
    }

    fn changed(&self, said: &PrivateSaid) -> Result<()> {
        self.inner.changed(said)
    }

    fn holds(&self, recipient_key: &str, id: u64) -> Result<bool> {
        self.inner.holds(recipient_key, id)
    }

    fn kept_for(&self, recipient_key: &str) -> Result<Option<KeptMessages>> {
        let Some(mut kept) = self.inner.kept_for(recipient_key)? else {
            return Ok(None);
        };
        let mark = self.pending.marks().get(recipient_key).copied();
        if let Some(up_to) = mark {
            // Delivered already; their store has not yet taken that (nor the dropped count,
            // which was told then).
            kept.messages.retain(|(seq, _)| *seq > up_to);
            kept.dropped = 0;
            if kept.messages.is_empty() {
                return Ok(None);
            }
        }
        Ok(Some(kept))
    }

    fn delivered(&self, recipient_key: &str, up_to: u64) -> Result<()> {
        let result = self.inner.delivered(recipient_key, up_to);
        let mut marks = self.pending.marks();
        match &result {
            Ok(()) => {
                if marks.get(recipient_key).is_some_and(|&p| p <= up_to) {
                    marks.remove(recipient_key);
                }
            }
            Err(_) => {
                let mark = marks.entry(recipient_key.to_owned()).or_default();
                *mark = (*mark).max(up_to);
                self.pending.wake.notify_one();
            }
        }
        result
    }

    fn is_local(&self) -> bool {
        self.inner.is_local()
    }
}
