//! A client's send queue, bounded in bytes, and the hand-over to the writer pool.
//!
//! Broadcasts push one shared, already-encoded frame (`Arc<[u8]>`) into each member's outbox. A
//! push never blocks: when the queue is full the push fails and the caller disconnects the client
//! as a slow consumer, so a room never waits for its slowest member.
//!
//! Architecture Invariant: an outbox is *scheduled* from the push that finds it idle until the
//! writer that took it settles it idle again (or finishes it). While scheduled it is in exactly
//! one place — the ready queue, a writer's hands, or parked in the poller — so a client's bytes
//! are written by one writer at a time, in the order they were queued.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};

/// An encoded frame (length prefix included), shared between every outbox it was pushed to.
pub type Frame = std::sync::Arc<[u8]>;

/// Frames' worth of queue storage an idle client keeps (16 bytes each).
const KEPT_FRAMES: usize = 16;

/// Why a push failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushError {
    /// The queue holds as many bytes as it may.
    Full,
    /// The outbox is closed; the client is leaving.
    Closed,
}

/// What the caller of a successful push (or close) must do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum Wake {
    /// Nothing: a writer already has this outbox.
    No,
    /// The outbox was idle: put its peer on the ready queue.
    Schedule,
}

/// What a writer does with an outbox after a round of sending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    /// More frames arrived: take them too.
    More,
    /// The socket is full: wait until it is writable.
    Park,
    /// Everything is sent; the outbox is idle until the next push.
    Idle,
    /// Closed and everything is sent: shut the socket.
    Finished,
}

#[derive(Debug, Default)]
struct Queue {
    /// The oldest queued frame; `None` only while `rest` is empty too. A client that keeps up
    /// has at most one frame waiting when a writer comes by, so it lives here, and queueing it
    /// allocates nothing.
    first: Option<Frame>,
    /// Frames queued after `first`, in order.
    rest: VecDeque<Frame>,
    /// Bytes in `first` and `rest`.
    bytes: usize,
    /// Bytes a writer has taken but not yet sent.
    unsent: usize,
    closed: bool,
    scheduled: bool,
    /// Closed, and a writer sent everything (or gave up): nothing more will be written.
    done: bool,
}

impl Queue {
    fn wake(&mut self) -> Wake {
        if self.scheduled {
            Wake::No
        } else {
            self.scheduled = true;
            Wake::Schedule
        }
    }

    fn push_back(&mut self, frame: Frame) {
        self.bytes += frame.len();
        if self.first.is_none() {
            self.first = Some(frame);
        } else {
            if self.rest.capacity() == 0 {
                // Room for a round's worth at once, rather than growing 4, 8, 16 on the way.
                self.rest.reserve(KEPT_FRAMES / 2);
            }
            self.rest.push_back(frame);
        }
    }

    fn is_empty(&self) -> bool {
        self.first.is_none()
    }

    /// Bytes of the frame just pushed (the last one queued).
    fn first_len_or_last(&self) -> usize {
        self.rest
            .back()
            .or(self.first.as_ref())
            .map_or(0, |f| f.len())
    }

    fn clear(&mut self) {
        self.first = None;
        self.rest = VecDeque::new();
        self.bytes = 0;
    }
}

/// What a writer took from an outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Taken {
    /// The outbox is closed: these are the last frames.
    pub(crate) last: bool,
    /// Bytes taken in an earlier round are still unsent (they go first).
    pub(crate) leftover: bool,
}

/// A bounded queue of frames for one client.
#[derive(Debug)]
pub struct Outbox {
    queue: Mutex<Queue>,
    max_bytes: usize,
}

impl Outbox {
    /// An empty outbox holding at most `max_bytes`, queued and unsent together (a single larger
    /// frame is still accepted when nothing is held).
    pub fn new(max_bytes: usize) -> Self {
        Outbox {
            queue: Mutex::new(Queue::default()),
            max_bytes,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Queue> {
        // A panic while holding this lock leaves the queue consistent (every change is one step).
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues a frame without blocking.
    pub fn push(&self, frame: Frame) -> Result<Wake, PushError> {
        self.push_measured(frame).map(|(wake, _)| wake)
    }

    /// [`Outbox::push`], also saying how many bytes the client now has to catch up on (queued
    /// and taken but unsent), measured under the same lock.
    pub fn push_measured(&self, frame: Frame) -> Result<(Wake, usize), PushError> {
        let mut q = self.lock();
        if q.closed {
            return Err(PushError::Closed);
        }
        let held = q.bytes + q.unsent;
        if held + frame.len() > self.max_bytes && held > 0 {
            return Err(PushError::Full);
        }
        q.push_back(frame);
        Ok((q.wake(), held + q.first_len_or_last()))
    }

    /// Bytes the client has to catch up on: queued, and taken by a writer but not yet sent.
    pub fn backlog(&self) -> usize {
        let q = self.lock();
        q.bytes + q.unsent
    }

    /// Whether a backlog is large enough that whoever adds to it should wait for the client: a
    /// quarter of the queue's bound.
    pub fn is_pressing(&self, backlog: usize) -> bool {
        backlog > self.max_bytes / 4
    }

    /// Whether a backlog is small enough to stop waiting for the client: an eighth of the bound.
    pub fn is_relieved(&self, backlog: usize) -> bool {
        backlog <= self.max_bytes / 8
    }

    /// Queues a last frame and closes: the writer sends what is queued, then stops.
    pub fn close_with(&self, last: Option<Frame>) -> Wake {
        let mut q = self.lock();
        if q.closed {
            return Wake::No;
        }
        if let Some(frame) = last {
            q.push_back(frame);
        }
        q.closed = true;
        q.wake()
    }

    /// Drops everything queued, queues `last` alone and closes (for a slow consumer, whose
    /// backlog will never be read in time). Bytes a writer already took still go first.
    pub fn abort_with(&self, last: Option<Frame>) -> Wake {
        let mut q = self.lock();
        q.clear();
        if let Some(frame) = last {
            q.push_back(frame);
        }
        q.closed = true;
        q.wake()
    }

    /// Whether the outbox was closed.
    pub fn is_closed(&self) -> bool {
        self.lock().closed
    }

    /// Whether the outbox is closed and a writer is through with it.
    pub fn is_done(&self) -> bool {
        self.lock().done
    }

    /// Writer side: moves every queued frame into `batch`, which must be empty (they count as
    /// unsent from now on). The queue and the writer swap storage: under the lock nothing is
    /// copied or allocated, and a busy client's queue keeps room for its next round; a client
    /// that caught up gives its storage back (see [`Outbox::settle`]).
    pub(crate) fn take(&self, batch: &mut VecDeque<Frame>) -> Taken {
        debug_assert!(batch.is_empty());
        let mut q = self.lock();
        let leftover = q.unsent > 0;
        if q.rest.is_empty() {
            // The usual case: one frame, into the writer's storage.
            batch.extend(q.first.take());
        } else {
            std::mem::swap(&mut q.rest, batch);
            if let Some(first) = q.first.take() {
                batch.push_front(first);
            }
        }
        q.unsent += q.bytes;
        q.bytes = 0;
        Taken {
            last: q.closed,
            leftover,
        }
    }

    /// Writer side, after a round of sending that left `unsent` bytes (`blocked`: the socket
    /// refused more). Marks the outbox idle when there is nothing left to do.
    pub(crate) fn settle(&self, unsent: usize, blocked: bool) -> Settled {
        let mut q = self.lock();
        q.unsent = unsent;
        if blocked && unsent > 0 {
            Settled::Park
        } else if !q.is_empty() {
            Settled::More
        } else if unsent > 0 {
            Settled::Park
        } else if q.closed {
            q.done = true;
            Settled::Finished
        } else {
            q.scheduled = false;
            // A client that caught up keeps little storage: most clients are idle most of the
            // time, and one that keeps up queues a single frame, which needs none. A small queue
            // is kept: in a busy room it fills again within a millisecond, and growing it anew
            // each round (and freeing it on the writer's thread, away from the allocator's arena
            // of the reader that grew it) took 7 % of the server's CPU at full fan-out.
            if q.rest.capacity() > KEPT_FRAMES {
                q.rest = VecDeque::new();
            }
            Settled::Idle
        }
    }

    /// Writer side: the connection is gone; forget everything and refuse further pushes. The
    /// outbox stays scheduled, so no writer takes it again.
    pub(crate) fn abandon(&self) {
        let mut q = self.lock();
        q.clear();
        q.unsent = 0;
        q.closed = true;
        q.scheduled = true;
        q.done = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn frame(n: usize) -> Frame {
        Arc::from(vec![7u8; n])
    }

    /// Takes and "sends" everything, as a writer with an endless socket would.
    fn drain(outbox: &Outbox) -> (Vec<u8>, Settled) {
        let mut sink = Vec::new();
        let mut batch = VecDeque::new();
        loop {
            outbox.take(&mut batch);
            for f in batch.drain(..) {
                sink.extend_from_slice(&f);
            }
            match outbox.settle(0, false) {
                Settled::More => continue,
                settled => return (sink, settled),
            }
        }
    }

    #[test]
    fn an_outbox_is_done_only_once_its_last_frame_is_sent() {
        let outbox = Outbox::new(100);
        assert_eq!(outbox.push(frame(10)), Ok(Wake::Schedule));
        let _ = outbox.close_with(Some(frame(5)));
        assert!(outbox.is_closed() && !outbox.is_done());
        let (sent, settled) = drain(&outbox);
        assert_eq!((sent.len(), settled), (15, Settled::Finished));
        assert!(outbox.is_done());
    }

    #[test]
    fn a_full_outbox_refuses_instead_of_blocking() {
        let outbox = Outbox::new(100);
        assert_eq!(outbox.push(frame(60)), Ok(Wake::Schedule));
        assert_eq!(outbox.push(frame(60)), Err(PushError::Full));
        assert_eq!(outbox.push(frame(40)), Ok(Wake::No));
    }

    #[test]
    fn bytes_taken_but_not_sent_still_count_against_the_bound() {
        let outbox = Outbox::new(100);
        let _ = outbox.push(frame(60)).unwrap();
        outbox.take(&mut VecDeque::new());
        assert_eq!(outbox.settle(60, true), Settled::Park);
        assert_eq!(outbox.push(frame(60)), Err(PushError::Full));
        assert_eq!(
            outbox.push(frame(40)),
            Ok(Wake::No),
            "still scheduled: parked"
        );
    }

    #[test]
    fn frames_come_out_in_the_order_they_were_queued() {
        let outbox = Outbox::new(1000);
        for n in 1..=5u8 {
            let _ = outbox.push(Arc::from(vec![n])).unwrap();
        }
        let mut batch = VecDeque::new();
        outbox.take(&mut batch);
        let order: Vec<u8> = batch.iter().map(|f| f[0]).collect();
        assert_eq!(order, [1, 2, 3, 4, 5]);
    }

    #[test]
    fn a_writer_is_told_when_bytes_of_an_earlier_round_are_still_unsent() {
        let outbox = Outbox::new(1000);
        let _ = outbox.push(frame(10)).unwrap();
        let mut batch = VecDeque::new();
        let first = outbox.take(&mut batch);
        assert!(!first.leftover && !first.last);
        batch.clear();
        assert_eq!(outbox.settle(4, true), Settled::Park);
        let second = outbox.take(&mut batch);
        assert!(second.leftover, "4 bytes of the first round go first");
        assert!(batch.is_empty());
    }

    #[test]
    fn a_frame_larger_than_the_bound_still_fits_an_empty_queue() {
        let outbox = Outbox::new(10);
        let _ = outbox.push(frame(50)).unwrap();
    }

    #[test]
    fn only_the_push_that_finds_the_outbox_idle_schedules_it() {
        let outbox = Outbox::new(1000);
        assert_eq!(outbox.push(frame(1)), Ok(Wake::Schedule));
        assert_eq!(outbox.push(frame(1)), Ok(Wake::No));
        assert_eq!(drain(&outbox), (vec![7, 7], Settled::Idle));
        assert_eq!(outbox.push(frame(1)), Ok(Wake::Schedule));
    }

    #[test]
    fn closing_sends_what_is_queued_then_the_last_frame() {
        let outbox = Outbox::new(1000);
        let _ = outbox.push(frame(3)).unwrap();
        let _ = outbox.push(frame(4)).unwrap();
        assert_eq!(outbox.close_with(Some(frame(5))), Wake::No);
        assert_eq!(outbox.push(frame(1)), Err(PushError::Closed));
        let (sink, settled) = drain(&outbox);
        assert_eq!(sink.len(), 12);
        assert_eq!(settled, Settled::Finished);
    }

    #[test]
    fn a_client_that_caught_up_keeps_a_small_queue_and_gives_a_large_one_back() {
        let outbox = Outbox::new(100_000);
        for (writer_storage, kept) in [(KEPT_FRAMES, true), (10 * KEPT_FRAMES, false)] {
            for _ in 0..3 {
                let _ = outbox.push(frame(1)).unwrap();
            }
            // The writer swaps its own storage in for the queue's frames.
            let mut batch = VecDeque::with_capacity(writer_storage);
            let _ = outbox.take(&mut batch);
            assert_eq!(batch.len(), 3);
            assert_eq!(outbox.settle(0, false), Settled::Idle);
            let capacity = outbox.lock().rest.capacity();
            assert_eq!(
                capacity >= writer_storage,
                kept,
                "{writer_storage}: {capacity}"
            );
        }
    }

    #[test]
    fn aborting_drops_the_backlog() {
        let outbox = Outbox::new(1000);
        let _ = outbox.push(frame(300)).unwrap();
        let _ = outbox.abort_with(Some(frame(2)));
        assert_eq!(drain(&outbox), (vec![7, 7], Settled::Finished));
    }
}
