//! Threads kept for reuse. A connection runs on two threads in turn (its first thread for the
//! handshake and login, then a reader), and starting and ending a thread costs system calls that
//! stop every core the server runs on (stack and signal-stack mappings change, and each change
//! flushes the other cores' address caches): with clients coming and going quickly, that cost
//! passed the cost of the logins themselves. A thread that finished its job waits here a while
//! for the next one instead of ending; a job finds a waiting thread, or a new one starts.
//!
//! The number of waiting threads is bounded, and each waits at most `linger`, so an idle server
//! keeps few. Dropping the `Spares` lets the waiting threads end at once.
//!
//! A family may run at a lower priority ([`Spares::lower_priority`]: the first steps of a
//! connection and its fresh reader, so a storm of arrivals yields the cores to the chat of those
//! logged in), and may have its new threads started by a thread of its own
//! ([`Spares::started_apart`]: the readers of clients that settled in, which a lower-priority
//! thread asks for, and which would otherwise inherit its priority for good, since an
//! unprivileged thread cannot raise its priority again).

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
    /// With `started_apart`: the thread that starts new threads for jobs no waiting one took.
    starter: Option<Sender<Job>>,
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
    /// The nice value each thread of the family runs at, at least (Linux; `None`: inherited
    /// from whoever started it).
    nice: Option<i32>,
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
                nice: None,
            }),
            starter: None,
        }
    }

    /// The family's threads run `nice` steps below the priority of the thread that calls this
    /// (on Linux; elsewhere as is), whichever thread starts them: one started by a thread already
    /// that low is not lowered further.
    pub(crate) fn lower_priority(mut self, nice: i32) -> Self {
        if let Some(state) = Arc::get_mut(&mut self.shared) {
            // 19 is the lowest priority there is.
            state.nice = Some((current_nice() + nice).min(19));
        }
        self
    }

    /// New threads of the family are started by a thread of its own, at the priority of the
    /// thread that calls this, whoever asks for them later. If that thread cannot be started,
    /// new threads start on the asker's thread as before.
    pub(crate) fn started_apart(mut self) -> Self {
        let (starter, jobs) = crossbeam_channel::unbounded::<Job>();
        let state = Arc::clone(&self.shared);
        let spawned = thread::Builder::new()
            .name(format!("{}-starter", state.name))
            .stack_size(64 * 1024)
            .spawn(move || {
                for job in jobs {
                    if let Err(e) = start(&state, job) {
                        tracing::warn!("cannot start a {} thread: {e}", state.name);
                    }
                }
            });
        if spawned.is_ok() {
            self.starter = Some(starter);
        }
        self
    }

    /// Runs `job` on a waiting thread, or on a new one. If no thread can be started (the system
    /// is out of threads or memory), runs `job(false)` here and returns the error (with
    /// `started_apart`, on the starter's thread, which logs it).
    pub(crate) fn run(&self, job: Job) -> io::Result<()> {
        let job = match self.jobs.try_send(job) {
            Ok(()) => return Ok(()),
            Err(TrySendError::Full(job) | TrySendError::Disconnected(job)) => job,
        };
        let job = match &self.starter {
            Some(starter) => match starter.send(job) {
                Ok(()) => return Ok(()),
                Err(back) => back.into_inner(),
            },
            None => job,
        };
        start(&self.shared, job)
    }

    /// Threads waiting for a job now.
    #[cfg(test)]
    fn waiting(&self) -> usize {
        self.shared.waiting.load(Ordering::Relaxed)
    }
}

/// Starts a thread of the family for `job`; it then waits for further jobs (`serve`).
fn start(shared: &Arc<SpareState>, job: Job) -> io::Result<()> {
    let (hand, take) = bounded::<Job>(1);
    let state = Arc::clone(shared);
    let n = state.next.fetch_add(1, Ordering::Relaxed);
    let spawned = thread::Builder::new()
        .name(format!("{}-{n}", state.name))
        .stack_size(state.stack_bytes)
        .spawn(move || {
            lower_priority(state.nice);
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

/// The calling thread's nice value (Linux; elsewhere 0).
fn current_nice() -> i32 {
    #[cfg(target_os = "linux")]
    let nice = rustix::process::getpriority_process(Some(rustix::thread::gettid())).unwrap_or(0);
    #[cfg(not(target_os = "linux"))]
    let nice = 0;
    nice
}

/// Lowers the calling thread's priority to nice value `nice` if it runs higher. On Linux a thread
/// has its own nice value; elsewhere it would be the whole process's, so nothing is done.
fn lower_priority(nice: Option<i32>) {
    #[cfg(target_os = "linux")]
    if let Some(nice) = nice.filter(|&nice| nice > current_nice()) {
        let tid = rustix::thread::gettid();
        if let Err(e) = rustix::process::setpriority_process(Some(tid), nice) {
            tracing::debug!("cannot lower a thread's priority: {e}");
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = nice;
}

/// Lowers the calling thread to the lowest priority (nice 19, Linux): for bulk work that may
/// take whatever the chat leaves, such as hashing a file's bytes.
pub(crate) fn lowest_priority() {
    lower_priority(Some(19));
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

    #[cfg(target_os = "linux")]
    #[test]
    fn a_lower_priority_thread_asking_for_a_reader_started_apart_gets_one_at_normal_priority() {
        let nice = current_nice;
        let normal = nice();
        let readers =
            Arc::new(Spares::new("reader", 64 * 1024, 4, Duration::from_secs(5)).started_apart());
        // Lowered as far as the first steps, and started by them: not lowered twice.
        let fresh =
            Arc::new(Spares::new("fresh", 64 * 1024, 4, Duration::from_secs(5)).lower_priority(5));
        let first = Spares::new("first", 64 * 1024, 4, Duration::from_secs(5)).lower_priority(5);
        let (tx, rx) = crossbeam_channel::unbounded();
        let (asked, fresh_asked) = (Arc::clone(&readers), Arc::clone(&fresh));
        first
            .run(Box::new(move |_| {
                let reader_tx = tx.clone();
                asked
                    .run(Box::new(move |_| {
                        reader_tx.send(("reader", nice())).unwrap()
                    }))
                    .unwrap();
                let fresh_tx = tx.clone();
                fresh_asked
                    .run(Box::new(move |_| fresh_tx.send(("fresh", nice())).unwrap()))
                    .unwrap();
                tx.send(("first", nice())).unwrap();
            }))
            .unwrap();
        let mut seen: Vec<(&str, i32)> = (0..3)
            .map(|_| rx.recv_timeout(Duration::from_secs(5)).unwrap())
            .collect();
        seen.sort_unstable();
        let lowered = (normal + 5).min(19);
        assert_eq!(
            seen,
            [("first", lowered), ("fresh", lowered), ("reader", normal)]
        );
    }
}
