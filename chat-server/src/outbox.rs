//! A client's send queue, bounded in bytes, and the writer that drains it.
//!
//! Broadcasts push one shared, already-encoded frame (`Arc<[u8]>`) into each member's outbox;
//! the client's writer thread takes everything queued at once and writes it in as few system calls
//! as it can. A push never blocks: when the queue is full the push fails and the caller
//! disconnects the client as a slow consumer, so a room never waits for its slowest member.

use std::collections::VecDeque;
use std::io::Write;
use std::sync::{Condvar, Mutex, MutexGuard};

/// An encoded frame (length prefix included), shared between every outbox it was pushed to.
pub type Frame = std::sync::Arc<[u8]>;

/// Why a push failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushError {
    /// The queue holds as many bytes as it may.
    Full,
    /// The outbox is closed; the client is leaving.
    Closed,
}

#[derive(Debug, Default)]
struct Queue {
    frames: VecDeque<Frame>,
    bytes: usize,
    closed: bool,
}

/// A bounded queue of frames for one client.
#[derive(Debug)]
pub struct Outbox {
    queue: Mutex<Queue>,
    ready: Condvar,
    max_bytes: usize,
}

/// Frames are copied into one buffer of up to this many bytes per write.
const WRITE_CHUNK_BYTES: usize = 64 * 1024;

impl Outbox {
    /// An empty outbox holding at most `max_bytes` (a single larger frame is still accepted into
    /// an empty queue).
    pub fn new(max_bytes: usize) -> Self {
        Outbox {
            queue: Mutex::new(Queue::default()),
            ready: Condvar::new(),
            max_bytes,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Queue> {
        // A panic while holding this lock leaves the queue consistent (every change is one step).
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues a frame without blocking.
    pub fn push(&self, frame: Frame) -> Result<(), PushError> {
        let mut q = self.lock();
        if q.closed {
            return Err(PushError::Closed);
        }
        if q.bytes + frame.len() > self.max_bytes && !q.frames.is_empty() {
            return Err(PushError::Full);
        }
        q.bytes += frame.len();
        q.frames.push_back(frame);
        let was_empty = q.frames.len() == 1;
        drop(q);
        if was_empty {
            self.ready.notify_one();
        }
        Ok(())
    }

    /// Queues a last frame and closes: the writer sends what is queued, then stops.
    pub fn close_with(&self, last: Option<Frame>) {
        let mut q = self.lock();
        if !q.closed {
            if let Some(frame) = last {
                q.bytes += frame.len();
                q.frames.push_back(frame);
            }
            q.closed = true;
        }
        drop(q);
        self.ready.notify_one();
    }

    /// Drops everything queued, queues `last` alone and closes (for a slow consumer, whose
    /// backlog will never be read in time).
    pub fn abort_with(&self, last: Option<Frame>) {
        let mut q = self.lock();
        q.frames.clear();
        q.bytes = 0;
        if let Some(frame) = last {
            q.bytes = frame.len();
            q.frames.push_back(frame);
        }
        q.closed = true;
        drop(q);
        self.ready.notify_one();
    }

    /// Whether the outbox was closed.
    pub fn is_closed(&self) -> bool {
        self.lock().closed
    }

    /// Waits for frames and moves all of them into `batch`. `false` once closed and empty.
    fn take(&self, batch: &mut VecDeque<Frame>) -> bool {
        let mut q = self.lock();
        while q.frames.is_empty() && !q.closed {
            q = self.ready.wait(q).unwrap_or_else(|p| p.into_inner());
        }
        if q.frames.is_empty() {
            return false;
        }
        std::mem::swap(&mut q.frames, batch);
        q.bytes = 0;
        true
    }

    /// Writes queued frames to `sink` until the outbox is closed and drained, or a write fails.
    /// Returns the write error, if any; on return the outbox is closed.
    pub fn drain_into<W: Write>(&self, sink: &mut W) -> std::io::Result<()> {
        let mut batch = VecDeque::new();
        let mut buf: Vec<u8> = Vec::new();
        let result = loop {
            if !self.take(&mut batch) {
                break Ok(());
            }
            if let Err(e) = write_batch(sink, &mut batch, &mut buf).and_then(|()| sink.flush()) {
                break Err(e);
            }
            if buf.capacity() > WRITE_CHUNK_BYTES {
                buf = Vec::new();
            }
            if batch.capacity() > 1024 {
                batch = VecDeque::new();
            }
        };
        self.abort_with(None);
        result
    }
}

fn write_batch<W: Write>(
    sink: &mut W,
    batch: &mut VecDeque<Frame>,
    buf: &mut Vec<u8>,
) -> std::io::Result<()> {
    if batch.len() == 1 {
        if let Some(frame) = batch.pop_front() {
            sink.write_all(&frame)?;
        }
        return Ok(());
    }
    buf.clear();
    for frame in batch.drain(..) {
        if buf.len() + frame.len() > WRITE_CHUNK_BYTES && !buf.is_empty() {
            sink.write_all(buf)?;
            buf.clear();
        }
        buf.extend_from_slice(&frame);
    }
    if !buf.is_empty() {
        sink.write_all(buf)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn frame(n: usize) -> Frame {
        Arc::from(vec![7u8; n])
    }

    #[test]
    fn a_full_outbox_refuses_instead_of_blocking() {
        let outbox = Outbox::new(100);
        outbox.push(frame(60)).unwrap();
        assert_eq!(outbox.push(frame(60)), Err(PushError::Full));
        outbox.push(frame(40)).unwrap();
    }

    #[test]
    fn a_frame_larger_than_the_bound_still_fits_an_empty_queue() {
        let outbox = Outbox::new(10);
        outbox.push(frame(50)).unwrap();
    }

    #[test]
    fn closing_sends_what_is_queued_then_the_last_frame() {
        let outbox = Outbox::new(1000);
        outbox.push(frame(3)).unwrap();
        outbox.push(frame(4)).unwrap();
        outbox.close_with(Some(frame(5)));
        assert_eq!(outbox.push(frame(1)), Err(PushError::Closed));
        let mut sink = Vec::new();
        outbox.drain_into(&mut sink).unwrap();
        assert_eq!(sink.len(), 12);
    }

    #[test]
    fn aborting_drops_the_backlog() {
        let outbox = Outbox::new(1000);
        outbox.push(frame(300)).unwrap();
        outbox.abort_with(Some(frame(2)));
        let mut sink = Vec::new();
        outbox.drain_into(&mut sink).unwrap();
        assert_eq!(sink, vec![7, 7]);
    }
}
