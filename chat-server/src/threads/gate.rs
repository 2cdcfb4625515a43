//! How many connections may run their first steps (hello, resume, the login's broadcasts) at
//! once: as many as there are cores.
//!
//! With one thread per connection, a storm of a thousand clients logging in with session tokens
//! is a thousand runnable threads, and the kernel shares the cores among them fairly: a room's
//! senders and the writers then wait behind the whole crowd for their turn (a chat p99 of half a
//! second at 2,300 logins/s here). Behind the gate, the crowd waits asleep, and at most one
//! login per core competes with the chat. The gate is held only while a whole frame is handled,
//! never while waiting for the network, so a slow client cannot hold it; password checks leave
//! it before they wait for the password pool, whose queue bounds them already.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// A counting semaphore; `Sync`.
#[derive(Debug)]
pub(crate) struct Gate {
    free: Mutex<usize>,
    opened: Condvar,
}

/// A place behind the gate, given back on drop.
#[derive(Debug)]
pub(crate) struct Pass {
    gate: Arc<Gate>,
}

impl Gate {
    /// A gate letting `places` through at once (at least one).
    pub fn new(places: usize) -> Self {
        Gate {
            free: Mutex::new(places.max(1)),
            opened: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, usize> {
        // A count is valid at every step.
        self.free.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits for a place; returns it and how long the wait took.
    pub fn enter(self: &Arc<Self>) -> (Pass, Duration) {
        let started = Instant::now();
        let mut free = self.lock();
        while *free == 0 {
            free = self.opened.wait(free).unwrap_or_else(|p| p.into_inner());
        }
        *free -= 1;
        (
            Pass {
                gate: Arc::clone(self),
            },
            started.elapsed(),
        )
    }
}

impl Drop for Pass {
    fn drop(&mut self) {
        *self.gate.lock() += 1;
        self.gate.opened.notify_one();
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn no_more_than_the_places_are_inside_at_once() {
        let gate = Arc::new(Gate::new(2));
        let inside = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (gate, inside, most) = (gate.clone(), inside.clone(), most.clone());
                std::thread::spawn(move || {
                    for _ in 0..50 {
                        let (_pass, _) = gate.enter();
                        let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        std::thread::yield_now();
                        inside.fetch_sub(1, Ordering::SeqCst);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let most = most.load(Ordering::SeqCst);
        assert!((1..=2).contains(&most), "{most} inside at once");
        assert_eq!(*gate.lock(), 2, "every place was given back");
    }
}
