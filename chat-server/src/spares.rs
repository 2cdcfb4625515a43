//! Threads kept for reuse. A connection runs on two threads in turn (its first thread for the
//! handshake and login, then a reader), and starting and ending a thread costs system calls that
//! stop every core the server runs on (stack and signal-stack mappings change, and each change
//! flushes the other cores' address caches): with clients coming and going quickly, that cost
//! passed the cost of the logins themselves. A thread that finished its job waits here a while
//! for the next one instead of ending; a job finds a waiting thread, or a new one starts.
//!
//! The number of waiting threads is bounded, and each waits at most `linger`, so an idle server
//! keeps few. Dropping the `Spares` lets the waiting threads end at once.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, TrySendError, bounded};

/// A job: `true` when it runs on a thread of its own; `false` when no thread could be started,
/// in which case it runs at once on the caller's thread and should only clean up (refuse the
/// client, close the socket).
pub(crate) type Job = Box<dyn FnOnce(bool) + Send>;

/// A family of reusable threads with one stack size.
#[derive(Debug)]
pub(crate) struct Spares {
    /// Zero capacity: a send succeeds only when a spare thread is waiting for it.
    jobs: Sender<Job>,
    shared: Arc<SpareState>,
}

#[derive(Debug)]
struct SpareState {
    name: &'static str,
    stack_bytes: usize,
    waiting_rx: Receiver<Job>,
    /// Threads waiting for a job now.
    waiting: AtomicUsize,
    max_waiting: usize,
    linger: Duration,
    next: AtomicU64,
}

impl Spares {
    /// Threads named `name-N` with stacks of `stack_bytes`; at most `max_waiting` wait for a job
    /// at once, each for at most `linger`.
    pub(crate) fn new(
        name: &'static str,
        stack_bytes: usize,
        max_waiting: usize,
        linger: Duration,
    ) -> Self {
        let (jobs, waiting_rx) = bounded(0);
        Spares {
            jobs,
            shared: Arc::new(SpareState {
                name,
                stack_bytes,
                waiting_rx,
                waiting: AtomicUsize::new(0),
                max_waiting,
                linger,
                next: AtomicU64::new(1),
            }),
        }
    }

    /// Runs `job` on a waiting thread, or on a new one. If no thread can be started (the system
    /// is out of threads or memory), runs `job(false)` here and returns the error.
    pub(crate) fn run(&self, job: Job) -> io::Result<()> {
        let job = match self.jobs.try_send(job) {
            Ok(()) => return Ok(()),
            Err(TrySendError::Full(job) | TrySendError::Disconnected(job)) => job,
        };
        let (hand, take) = bounded::<Job>(1);
        let state = Arc::clone(&self.shared);
        let n = state.next.fetch_add(1, Ordering::Relaxed);
        let spawned = thread::Builder::new()
            .name(format!("{}-{n}", state.name))
            .stack_size(state.stack_bytes)
            .spawn(move || {
                if let Ok(job) = take.recv() {
                    job(true);
                }
                state.serve();
            });
        match spawned {
            Ok(_) => {
                // The thread waits on the other end: this cannot fail.
                let _ = hand.send(job);
                Ok(())
            }
            Err(e) => {
                job(false);
                Err(e)
            }
        }
    }

    /// Threads waiting for a job now.
    #[cfg(test)]
    fn waiting(&self) -> usize {
        self.shared.waiting.load(Ordering::Relaxed)
    }
}

impl SpareState {
    /// After a job: wait for the next one while there is room among the waiting threads, and
    /// not longer than `linger`.
    fn serve(&self) {
        loop {
            if self.waiting.fetch_add(1, Ordering::AcqRel) >= self.max_waiting {
                self.waiting.fetch_sub(1, Ordering::AcqRel);
                return;
            }
            let next = self.waiting_rx.recv_timeout(self.linger);
            self.waiting.fetch_sub(1, Ordering::AcqRel);
            match next {
                Ok(job) => job(true),
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => return,
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::sync::Mutex;
    use std::time::Instant;

    use super::*;

    fn wait_until(what: &str, done: impl Fn() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(5);
        while !done() {
            assert!(Instant::now() < deadline, "{what}");
            thread::sleep(Duration::from_millis(1));
        }
    }

    #[test]
    fn a_finished_thread_runs_the_next_job_instead_of_a_new_thread() {
        let spares = Spares::new("test", 64 * 1024, 4, Duration::from_secs(5));
        let names = Arc::new(Mutex::new(Vec::new()));
        for _ in 0..3 {
            let names = Arc::clone(&names);
            spares
                .run(Box::new(move |own| {
                    assert!(own);
                    let name = thread::current().name().unwrap_or("?").to_owned();
                    names.lock().unwrap().push(name);
                }))
                .unwrap();
            wait_until("the thread is back", || spares.waiting() == 1);
            // Counted as waiting just before it starts to wait: give it time to get there.
            thread::sleep(Duration::from_millis(20));
        }
        let names = names.lock().unwrap();
        assert_eq!(names.len(), 3);
        assert!(names.iter().all(|n| n == &names[0]), "{names:?}");
    }

    #[test]
    fn waiting_threads_are_bounded_and_end_with_the_spares() {
        let spares = Spares::new("test", 64 * 1024, 2, Duration::from_secs(60));
        let gate = Arc::new(std::sync::Barrier::new(6));
        for _ in 0..5 {
            let gate = Arc::clone(&gate);
            spares
                .run(Box::new(move |_| {
                    gate.wait();
                }))
                .unwrap();
        }
        gate.wait();
        wait_until("two wait, three ended", || spares.waiting() == 2);
        let state = Arc::clone(&spares.shared);
        drop(spares);
        wait_until("the waiting ones end", || {
            state.waiting.load(Ordering::Relaxed) == 0
        });
    }
}
