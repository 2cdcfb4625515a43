//! Password hashing and checking, with the account lookups that go with them, on a small,
//! bounded pool of threads.
//!
//! bcrypt is slow on purpose (~70 ms at cost 10). Running it on the connection's own thread would
//! let a storm of logins take every core from chat traffic; here at most `workers` hashes run at
//! once and at most `queue` wait, and beyond that a login is told the server is busy.
//!
//! A login or registration runs here whole (store lookup, hash, store write), not only its hash:
//! the store keeps per-thread state for every thread that touches it, which the pool's few
//! long-lived threads pay once instead of every short-lived connection thread.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use chat_core::protocol::Password;
use crossbeam_channel::{Sender, TrySendError, bounded};

use crate::error::{Result, ServerError};

type Job = Box<dyn FnOnce(&Hasher) + Send>;

/// Why a password job did not run.
#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    /// Too many jobs are waiting; the queue should have room again after about `retry_after`.
    #[error("too many logins at once; try again in a moment")]
    Busy {
        /// How long the jobs ahead should take to clear, by the recent pace.
        retry_after: Duration,
    },
    /// The job ran and failed.
    #[error(transparent)]
    Failed(#[from] ServerError),
}

/// What a job gets to hash and verify with, on a pool thread.
#[derive(Debug)]
pub struct Hasher {
    cost: u32,
    /// Checking an unknown login still costs one verify, against this hash, so that a wrong
    /// login and a wrong password take the same time.
    decoy: Arc<OnceLock<String>>,
}

impl Hasher {
    /// The bcrypt hash of `password`.
    pub fn hash(&self, password: &Password) -> Result<String> {
        Ok(bcrypt::non_truncating_hash(password.expose(), self.cost)?)
    }

    /// Whether `password` matches `hash`; with no hash (unknown login) it does the same work and
    /// says no.
    pub fn verify(&self, password: &Password, hash: Option<&str>) -> Result<bool> {
        match hash {
            Some(hash) => Ok(bcrypt::non_truncating_verify(password.expose(), hash)?),
            None => {
                let decoy = self
                    .decoy
                    .get_or_init(|| bcrypt::hash("decoy password", self.cost).unwrap_or_default());
                let _ = bcrypt::verify(password.expose(), decoy);
                Ok(false)
            }
        }
    }
}

/// A handle on the hashing threads; cheap to clone. The threads end when every handle is gone.
#[derive(Clone)]
pub struct PasswordPool {
    jobs: Sender<Job>,
    workers: usize,
    /// How long a job has taken lately (a moving average), in microseconds: what a full queue
    /// tells a refused client to wait.
    pace_us: Arc<AtomicU64>,
}

/// Where the pace starts before any job ran: a bcrypt check at cost 10 on a small machine.
const FIRST_PACE: Duration = Duration::from_millis(80);

impl std::fmt::Debug for PasswordPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordPool")
            .field("waiting", &self.jobs.len())
            .finish()
    }
}

impl PasswordPool {
    /// Starts `workers` threads hashing at `cost`, with room for `queue` waiting jobs.
    pub fn start(workers: usize, queue: usize, cost: u32) -> Result<Self> {
        let (tx, rx) = bounded::<Job>(queue);
        let decoy: Arc<OnceLock<String>> = Arc::new(OnceLock::new());
        let pace_us = Arc::new(AtomicU64::new(
            u64::try_from(FIRST_PACE.as_micros()).unwrap_or(u64::MAX),
        ));
        for i in 0..workers {
            let rx = rx.clone();
            let hasher = Hasher {
                cost,
                decoy: Arc::clone(&decoy),
            };
            let pace = Arc::clone(&pace_us);
            thread::Builder::new()
                .name(format!("password-{i}"))
                .stack_size(256 * 1024)
                .spawn(move || {
                    for job in rx {
                        let started = Instant::now();
                        job(&hasher);
                        let took = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
                        let before = pace.load(Ordering::Relaxed);
                        pace.store((before * 7 + took) / 8, Ordering::Relaxed);
                    }
                })?;
        }
        Ok(PasswordPool {
            jobs: tx,
            workers: workers.max(1),
            pace_us,
        })
    }

    /// Runs `job` on a pool thread and waits for its result, or says busy at once when too many
    /// jobs wait. `job` must not submit to the pool itself: it would wait for its own thread.
    pub fn run<T, F>(&self, job: F) -> Result<T, PoolError>
    where
        T: Send + 'static,
        F: FnOnce(&Hasher) -> T + Send + 'static,
    {
        let (reply, rx) = bounded(1);
        let job: Job = Box::new(move |hasher| {
            let _ = reply.send(job(hasher));
        });
        self.jobs.try_send(job).map_err(|e| match e {
            TrySendError::Full(_) | TrySendError::Disconnected(_) => PoolError::Busy {
                retry_after: self.clearing_time(),
            },
        })?;
        rx.recv().map_err(|_| PoolError::Busy {
            retry_after: self.clearing_time(),
        })
    }

    /// How long the jobs waiting now should take to clear, at the recent pace.
    pub fn clearing_time(&self) -> Duration {
        let waiting = u64::try_from(self.jobs.len()).unwrap_or(u64::MAX);
        let workers = u64::try_from(self.workers).unwrap_or(1);
        let pace = self.pace_us.load(Ordering::Relaxed);
        Duration::from_micros(pace.saturating_mul(waiting + 1) / workers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl PasswordPool {
        fn hash(&self, password: Password) -> Result<String, PoolError> {
            Ok(self.run(move |h| h.hash(&password))??)
        }

        fn verify(&self, password: Password, hash: Option<String>) -> Result<bool, PoolError> {
            Ok(self.run(move |h| h.verify(&password, hash.as_deref()))??)
        }
    }

    #[test]
    fn hashes_verify_and_wrong_passwords_do_not() {
        let pool = PasswordPool::start(1, 4, 4).unwrap();
        let hash = pool.hash("correct horse".into()).unwrap();
        assert!(hash.starts_with("$2"));
        assert!(
            pool.verify("correct horse".into(), Some(hash.clone()))
                .unwrap()
        );
        assert!(!pool.verify("correct horsf".into(), Some(hash)).unwrap());
        assert!(!pool.verify("correct horse".into(), None).unwrap());
    }

    #[test]
    fn a_full_queue_says_busy_instead_of_waiting() {
        let pool = PasswordPool::start(1, 1, 12).unwrap();
        let busy = std::thread::scope(|s| {
            let handles: Vec<_> = (0..6)
                .map(|_| s.spawn(|| pool.hash("some password".into())))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join())
                .filter(|r| matches!(r, Ok(Err(PoolError::Busy { .. }))))
                .count()
        });
        assert!(
            busy >= 1,
            "six cost-12 hashes on one worker with one slot must overflow"
        );
        // The refusal says how long to wait: at least one job's time at the pace measured.
        assert!(
            pool.clearing_time() >= Duration::from_millis(50),
            "{:?}",
            pool.clearing_time()
        );
    }
}
