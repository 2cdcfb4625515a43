//! Password hashing and checking on a small, bounded pool of threads.
//!
//! bcrypt is slow on purpose (~70 ms at cost 10). Running it on the connection's own thread would
//! let a storm of logins take every core from chat traffic; here at most `workers` hashes run at
//! once and at most `queue` wait, and beyond that a login is told the server is busy.

use std::sync::{Arc, OnceLock};
use std::thread;

use chat_core::protocol::Password;
use crossbeam_channel::{Sender, TrySendError, bounded};

use crate::error::{Result, ServerError};

enum Job {
    Hash {
        password: Password,
        reply: Sender<Result<String>>,
    },
    Verify {
        password: Password,
        hash: Option<String>,
        reply: Sender<Result<bool>>,
    },
}

/// Why a password job did not run.
#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    /// Too many jobs are waiting.
    #[error("too many logins at once; try again in a moment")]
    Busy,
    /// The job ran and failed.
    #[error(transparent)]
    Failed(#[from] ServerError),
}

/// A handle on the hashing threads; cheap to clone. The threads end when every handle is gone.
#[derive(Clone)]
pub struct PasswordPool {
    jobs: Sender<Job>,
}

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
        // Checking an unknown login still costs one verify, against this hash, so that a wrong
        // login and a wrong password take the same time.
        let decoy: Arc<OnceLock<String>> = Arc::new(OnceLock::new());
        for i in 0..workers {
            let rx = rx.clone();
            let decoy = Arc::clone(&decoy);
            thread::Builder::new()
                .name(format!("password-{i}"))
                .stack_size(256 * 1024)
                .spawn(move || {
                    for job in rx {
                        run(job, cost, &decoy);
                    }
                })?;
        }
        Ok(PasswordPool { jobs: tx })
    }

    /// The bcrypt hash of `password`.
    pub fn hash(&self, password: Password) -> Result<String, PoolError> {
        let (reply, rx) = bounded(1);
        self.submit(Job::Hash { password, reply })?;
        rx.recv()
            .map_err(|_| PoolError::Busy)?
            .map_err(PoolError::from)
    }

    /// Whether `password` matches `hash`; with no hash (unknown login) it does the same work and
    /// says no.
    pub fn verify(&self, password: Password, hash: Option<String>) -> Result<bool, PoolError> {
        let (reply, rx) = bounded(1);
        self.submit(Job::Verify {
            password,
            hash,
            reply,
        })?;
        rx.recv()
            .map_err(|_| PoolError::Busy)?
            .map_err(PoolError::from)
    }

    fn submit(&self, job: Job) -> Result<(), PoolError> {
        self.jobs.try_send(job).map_err(|e| match e {
            TrySendError::Full(_) | TrySendError::Disconnected(_) => PoolError::Busy,
        })
    }
}

fn run(job: Job, cost: u32, decoy: &OnceLock<String>) {
    match job {
        Job::Hash { password, reply } => {
            let hashed =
                bcrypt::non_truncating_hash(password.expose(), cost).map_err(ServerError::from);
            let _ = reply.send(hashed);
        }
        Job::Verify {
            password,
            hash,
            reply,
        } => {
            let result = match hash {
                Some(hash) => bcrypt::non_truncating_verify(password.expose(), &hash)
                    .map_err(ServerError::from),
                None => {
                    let decoy = decoy
                        .get_or_init(|| bcrypt::hash("decoy password", cost).unwrap_or_default());
                    let _ = bcrypt::verify(password.expose(), decoy);
                    Ok(false)
                }
            };
            let _ = reply.send(result);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
                .filter(|r| matches!(r, Ok(Err(PoolError::Busy))))
                .count()
        });
        assert!(
            busy >= 1,
            "six cost-12 hashes on one worker with one slot must overflow"
        );
    }
}
