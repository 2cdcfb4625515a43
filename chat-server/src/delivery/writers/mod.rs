//! The writer pool: a few threads that send every client's queued frames, and a poller thread
//! that waits for full sockets to drain. Reading stays one thread per client (`connection`).
//! The writers know a client only as a [`Recipient`]: its queue, its socket and its unsent
//! bytes, nothing of who it is or what protocol it speaks.
//!
//! A push that finds an outbox idle puts its peer on the ready queue (a broadcast puts the idle
//! members of a room there in batches). A writer takes the peer, takes everything queued, and
//! sends it with non-blocking `send` calls — the socket itself stays blocking for the reader.
//! What the socket does not take waits in the peer's [`Unsent`] bytes (where, under TLS,
//! everything is sealed into records first). When the socket is full the peer is *parked*: the
//! poller (mio: epoll, kqueue or IOCP, see `sys`) watches its socket and puts it back on the
//! ready queue once writable. A peer parked for longer than `write_timeout` is dropped, as a blocked write would
//! have been.
//!
//! A sender's own thread may write a quiet room's members itself ([`WriteHere`]), with the same
//! code and the same rules as a writer.
//!
//! Architecture Invariants:
//! - a peer is held by at most one writer (or one [`WriteHere`]) at a time (see `outbox`), so
//!   its bytes go out in the order they were queued;
//! - a writer never blocks on a socket, on any system, and never holds the hub lock;
//! - only the writer holding a peer, or the poller for a parked one, touches its `Unsent`.

use std::collections::{HashMap, VecDeque};
use std::io::{self, IoSlice};
use std::net::Shutdown;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use chat_core::transport::Transport;
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, unbounded};

mod sys;

use crate::delivery::outbox::{Frame, Outbox, Settled};

/// What a writer needs of a client: its send queue, its socket, the bytes the socket has not
/// taken yet, and the queue it is scheduled on. A connected peer (`peer`) is one.
pub(crate) trait Recipient: Send + Sync + std::fmt::Debug {
    /// Unique for the server's lifetime.
    fn id(&self) -> u64;
    fn outbox(&self) -> &Outbox;
    fn transport(&self) -> &Transport;
    /// Only the writer holding the recipient locks it (see [`Unsent`]).
    fn unsent(&self) -> MutexGuard<'_, Unsent>;
    fn ready_queue(&self) -> &ReadyQueue;
}

/// A recipient as the ready queue, the writers and the poller hold it.
pub(crate) type Held = Arc<dyn Recipient>;

/// Rounds a writer gives one peer before putting it at the back of the ready queue.
const ROUNDS_PER_TURN: usize = 4;
/// How often the poller looks for expired parked peers and for the pool's end.
const POLL_TICK: Duration = Duration::from_millis(100);
/// How long an idle writer waits before checking whether the pool ended.
const WRITER_IDLE_CHECK: Duration = Duration::from_millis(500);

/// Peers a writer takes at once from one broadcast: few enough that every writer gets a share of
/// a large room, many enough that the ready queue is not where a broadcast's time goes.
const PEERS_PER_BATCH: usize = 64;

/// What the ready queue carries: one peer, or a batch that one broadcast found idle.
#[derive(Debug)]
enum Ready {
    One(Held),
    Batch(Vec<Held>),
}

/// The queue of peers whose outbox needs a writer. Cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct ReadyQueue {
    tx: Sender<Ready>,
    /// Where writers park peers whose socket is full.
    parking: Arc<Parking>,
}

impl ReadyQueue {
    /// Puts a peer on the queue. Callers hold the peer's schedule (see `outbox`).
    pub(crate) fn schedule(&self, peer: Held) {
        self.put(Ready::One(peer));
    }

    /// A batch to put peers in as they are found idle; see [`ReadyBatch`].
    pub(crate) fn batch(&self) -> ReadyBatch<'_> {
        ReadyBatch {
            queue: self,
            peers: Vec::new(),
        }
    }

    /// A queue no writer serves: what is put on it is never written (for tests of what other
    /// threads write).
    #[cfg(test)]
    pub(crate) fn unserved() -> io::Result<Self> {
        let (tx, _) = unbounded();
        let (poller, _) = sys::poller()?;
        Ok(Self {
            tx,
            parking: Arc::new(Parking {
                poller,
                parked: Mutex::new(Parked::default()),
                write_timeout: Duration::from_secs(1),
            }),
        })
    }

    fn put(&self, ready: Ready) {
        // The queue is unbounded and lives as long as any peer: this cannot fail while the
        // pool runs; after it ended there is no one to write anyway.
        let _ = self.tx.send(ready);
    }
}

/// Peers found idle whose frames the thread that queued them writes itself, once it let go of
/// every lock (see [`write_here`]); any left when this is dropped are written then.
#[derive(Debug, Default)]
pub(crate) struct WriteHere {
    peers: Vec<Held>,
}

impl WriteHere {
    /// Adds a peer whose schedule the caller holds.
    pub(crate) fn add(&mut self, peer: Held) {
        self.peers.push(peer);
    }

    /// Writes them now (dropping does the same; this names the moment).
    pub(crate) fn now(self) {
        drop(self);
    }
}

impl Drop for WriteHere {
    fn drop(&mut self) {
        if self.peers.is_empty() {
            return;
        }
        let mut scratch = Scratch::default();
        for peer in self.peers.drain(..) {
            write_peer(&peer, &mut scratch, peer.ready_queue());
        }
    }
}

/// Peers found idle by one broadcast, handed to the writers [`PEERS_PER_BATCH`] at a time as the
/// broadcast goes: the first writer starts on the first members while the rest are still being
/// queued for. Callers hold each peer's schedule; [`ReadyBatch::finish`] hands on the last few.
#[derive(Debug)]
pub(crate) struct ReadyBatch<'a> {
    queue: &'a ReadyQueue,
    peers: Vec<Held>,
}

impl ReadyBatch<'_> {
    pub(crate) fn add(&mut self, peer: Held) {
        self.peers.push(peer);
        if self.peers.len() == PEERS_PER_BATCH {
            let full = std::mem::replace(&mut self.peers, Vec::with_capacity(PEERS_PER_BATCH));
            self.queue.put(Ready::Batch(full));
        }
    }

    pub(crate) fn finish(mut self) {
        match self.peers.len() {
            0 => {}
            1 => self.queue.put(Ready::One(self.peers.remove(0))),
            _ => self.queue.put(Ready::Batch(self.peers)),
        }
    }
}

/// Frames taken from a peer's outbox and not yet sent. Locked only by the writer holding the peer
/// (or the poller dropping a parked one).
///
/// On plain TCP the shared frames themselves wait here and go out in vectored sends: a broadcast
/// is never copied per member. Under TLS each batch is sealed into `sealed` first.
#[derive(Debug, Default)]
pub(crate) struct Unsent {
    frames: VecDeque<Frame>,
    /// Bytes of the first frame already sent.
    offset: usize,
    /// Bytes in `frames`, less `offset`.
    frame_bytes: usize,
    /// TLS records not yet sent (sealed frames and protocol messages).
    sealed: Vec<u8>,
    /// Bytes of `sealed` already sent.
    sealed_sent: usize,
    /// A TLS close_notify is queued (after the last frame).
    notified: bool,
    /// The socket's registration with the poller, once it was first parked.
    registration: sys::Registration,
}

/// Frames handed to one vectored send at most (Linux accepts up to 1024).
const FRAMES_PER_SEND: usize = 64;

impl Unsent {
    fn len(&self) -> usize {
        self.frame_bytes + self.sealed.len() - self.sealed_sent
    }

    /// Takes over a batch of frames (plain TCP), without copying them.
    fn push_frames(&mut self, batch: &mut VecDeque<Frame>) {
        self.frame_bytes += batch.iter().map(|f| f.len()).sum::<usize>();
        if self.frames.is_empty() {
            // The outbox's own storage becomes ours: no allocation per batch.
            std::mem::swap(&mut self.frames, batch);
        } else {
            self.frames.append(batch);
        }
    }

    /// Takes over the frames `staged` could not send (this one holds none).
    fn adopt(&mut self, staged: &mut Unsent) {
        debug_assert!(self.frames.is_empty());
        std::mem::swap(&mut self.frames, &mut staged.frames);
        self.offset = std::mem::take(&mut staged.offset);
        self.frame_bytes = std::mem::take(&mut staged.frame_bytes);
    }

    /// Sends until everything went or the socket is full. Returns whether it was full. Frames
    /// sent whole go to `spent`, for the writer to drop later in one go (see [`Scratch`]).
    fn send(&mut self, transport: &Transport, spent: &mut Vec<Frame>) -> io::Result<bool> {
        while self.sealed_sent < self.sealed.len() {
            match sys::send(transport, &self.sealed[self.sealed_sent..])? {
                Some(n) => self.sealed_sent += n,
                None => return Ok(true),
            }
        }
        self.sealed.clear();
        self.sealed_sent = 0;
        while let Some(front) = self.frames.front() {
            let sent = if self.frames.len() == 1 {
                // One frame, the usual case at a steady pace: a plain send, which spares building
                // the array of buffers and the kernel reading a message header.
                sys::send(transport, &front[self.offset..])?
            } else {
                let mut slices = [IoSlice::new(&[]); FRAMES_PER_SEND];
                let mut count = 0;
                for (i, frame) in self.frames.iter().take(FRAMES_PER_SEND).enumerate() {
                    let skip = if i == 0 { self.offset } else { 0 };
                    slices[i] = IoSlice::new(&frame[skip..]);
                    count += 1;
                }
                sys::send_vectored(transport, &slices[..count])?
            };
            let Some(mut n) = sent else {
                return Ok(true);
            };
            self.frame_bytes -= n;
            while n > 0 {
                let Some(front) = self.frames.front() else {
                    break;
                };
                let rest = front.len() - self.offset;
                if n >= rest {
                    n -= rest;
                    self.offset = 0;
                    spent.extend(self.frames.pop_front());
                } else {
                    self.offset += n;
                    n = 0;
                }
            }
            // Empty frames (a flush hint) are done as soon as they are reached.
            while self.frames.front().is_some_and(|f| f.len() == self.offset) {
                spent.extend(self.frames.pop_front());
                self.offset = 0;
            }
        }
        Ok(false)
    }

    /// Frees what a parked or idle peer need not keep: sent TLS bytes, and emptied buffers (a
    /// fresh one per round costs an allocation; keeping one costs memory per idle client).
    fn trim(&mut self) {
        if self.sealed_sent > 0 && self.sealed_sent * 2 >= self.sealed.len() {
            self.sealed.drain(..self.sealed_sent);
            self.sealed_sent = 0;
        }
        if self.sealed.is_empty() {
            self.sealed = Vec::new();
        }
        if self.frames.is_empty() {
            self.frames = VecDeque::new();
        }
    }

    fn release(&mut self) {
        self.registration = sys::Registration::default();
        self.frames = VecDeque::new();
        self.offset = 0;
        self.frame_bytes = 0;
        self.sealed = Vec::new();
        self.sealed_sent = 0;
    }
}

/// Peers waiting for their socket to drain.
#[derive(Debug, Default)]
struct Parked {
    peers: HashMap<u64, (Held, Instant)>,
    /// The poller ended: nobody would wake a peer parked now.
    poller_gone: bool,
}

#[derive(Debug)]
struct Parking {
    poller: sys::Poller,
    parked: Mutex<Parked>,
    write_timeout: Duration,
}

impl Parking {
    fn parked(&self) -> MutexGuard<'_, Parked> {
        self.parked.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Parks a peer whose socket is full, until it is writable or `write_timeout` passed.
    fn park(&self, peer: &Held, unsent: &mut Unsent) {
        let mut parked = self.parked();
        if parked.poller_gone {
            drop(parked);
            abandon(&**peer, unsent);
            return;
        }
        parked.peers.insert(
            peer.id(),
            (Arc::clone(peer), Instant::now() + self.write_timeout),
        );
        drop(parked);
        if let Err(e) = self
            .poller
            .watch(peer.transport(), peer.id(), &mut unsent.registration)
        {
            tracing::warn!(peer = peer.id(), "cannot wait for the socket: {e}");
            self.parked().peers.remove(&peer.id());
            abandon(&**peer, unsent);
        }
    }
}

/// The running pool. Dropping it lets its threads end once every parked peer is settled and the
/// ready queue is empty.
#[derive(Debug)]
pub(crate) struct WriterPool {
    ready: ReadyQueue,
    stop: Arc<AtomicBool>,
}

impl WriterPool {
    /// Starts `threads` writers and the poller. A peer parked longer than `write_timeout` is
    /// dropped.
    pub(crate) fn start(threads: usize, write_timeout: Duration) -> io::Result<Self> {
        let (tx, rx) = unbounded();
        let stop = Arc::new(AtomicBool::new(false));
        let (poller, poll_loop) = sys::poller()?;
        let ready = ReadyQueue {
            tx,
            parking: Arc::new(Parking {
                poller,
                parked: Mutex::new(Parked::default()),
                write_timeout,
            }),
        };
        for i in 0..threads.max(1) {
            let (rx, ready, stop) = (rx.clone(), ready.clone(), Arc::clone(&stop));
            thread::Builder::new()
                .name(format!("writer-{i}"))
                .spawn(move || writer_loop(&rx, &ready, &stop))?;
        }
        let (ready_for_poller, stop_for_poller) = (ready.clone(), Arc::clone(&stop));
        thread::Builder::new()
            .name("write-poller".into())
            .spawn(move || poller_loop(poll_loop, &ready_for_poller, &stop_for_poller))?;
        Ok(WriterPool { ready, stop })
    }

    /// The queue new peers are scheduled on.
    pub(crate) fn ready(&self) -> ReadyQueue {
        self.ready.clone()
    }
}

impl Drop for WriterPool {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
    }
}

/// A writer's reusable buffers.
///
/// `batch` receives what a peer's outbox held and `direct` sends it: on plain TCP, with nothing
/// left over from an earlier round, frames go out from the writer's own buffers and the peer's
/// [`Unsent`] is not touched unless the socket refuses some. Sent frames wait in `spent` until
/// the writer is through with a ready batch, so the shared frame's reference count, which every
/// member's copy changes, is changed in a run rather than between two other cores' changes.
#[derive(Debug, Default)]
struct Scratch {
    batch: VecDeque<Frame>,
    direct: Unsent,
    spent: Vec<Frame>,
    plaintext: Vec<u8>,
}

/// Frames a writer keeps room for between ready batches.
const SCRATCH_KEPT_FRAMES: usize = 4096;

impl Scratch {
    /// After a ready batch: drops the sent frames and gives back storage a burst left large.
    fn settle(&mut self) {
        self.spent.clear();
        if self.spent.capacity() > SCRATCH_KEPT_FRAMES {
            self.spent = Vec::new();
        }
        if self.batch.capacity() > SCRATCH_KEPT_FRAMES {
            self.batch = VecDeque::new();
        }
        if self.plaintext.capacity() > 64 * 1024 {
            self.plaintext = Vec::new();
        }
    }
}

fn writer_loop(rx: &Receiver<Ready>, ready: &ReadyQueue, stop: &AtomicBool) {
    let mut scratch = Scratch::default();
    loop {
        match rx.recv_timeout(WRITER_IDLE_CHECK) {
            Ok(Ready::One(peer)) => {
                write_peer(&peer, &mut scratch, ready);
                scratch.settle();
            }
            Ok(Ready::Batch(peers)) => {
                for peer in &peers {
                    write_peer(peer, &mut scratch, ready);
                    if scratch.spent.len() >= SCRATCH_KEPT_FRAMES {
                        scratch.spent.clear();
                    }
                }
                scratch.settle();
            }
            Err(RecvTimeoutError::Timeout) => {
                if stop.load(Ordering::Acquire)
                    && ready.parking.parked().poller_gone
                    && rx.is_empty()
                {
                    return;
                }
            }
            Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

/// Sends what the peer has queued, for a few rounds at most; then parks it, lets it idle,
/// finishes it, or puts it back at the end of the ready queue.
fn write_peer(peer: &Held, scratch: &mut Scratch, ready: &ReadyQueue) {
    let transport = peer.transport();
    for _ in 0..ROUNDS_PER_TURN {
        let taken = peer.outbox().take(&mut scratch.batch);
        // The peer's unsent bytes, locked only when this round needs them.
        let mut held = None;
        let sent = if taken.leftover || transport.seals() {
            let unsent = held.insert(peer.unsent());
            stage(transport, scratch, unsent, taken.last)
                .and_then(|()| unsent.send(transport, &mut scratch.spent))
        } else {
            scratch.direct.push_frames(&mut scratch.batch);
            let sent = scratch.direct.send(transport, &mut scratch.spent);
            if scratch.direct.len() > 0 {
                held.insert(peer.unsent()).adopt(&mut scratch.direct);
            }
            sent
        };
        let unsent_bytes = held.as_ref().map_or(0, |u| u.len());
        let blocked = match sent {
            Ok(blocked) => blocked,
            Err(e) => {
                tracing::debug!(peer = peer.id(), "write failed: {e}");
                abandon(&**peer, held.get_or_insert_with(|| peer.unsent()));
                return;
            }
        };
        match peer.outbox().settle(unsent_bytes, blocked) {
            Settled::More => {}
            Settled::Park => {
                // Only after a round that left bytes, which are then held.
                let unsent = held.get_or_insert_with(|| peer.unsent());
                unsent.trim();
                ready.parking.park(peer, unsent);
                return;
            }
            Settled::Idle => {
                if let Some(unsent) = held.as_mut() {
                    unsent.trim();
                }
                return;
            }
            Settled::Finished => {
                transport.shutdown(Shutdown::Both);
                if let Some(unsent) = held.as_mut() {
                    unsent.release();
                }
                return;
            }
        }
    }
    ready.schedule(Arc::clone(peer));
}

/// Moves the taken frames to the unsent ones (sealed into TLS records when encrypted, with a
/// close_notify after the last).
fn stage(
    transport: &Transport,
    scratch: &mut Scratch,
    unsent: &mut Unsent,
    last: bool,
) -> io::Result<()> {
    if transport.seals() {
        scratch.plaintext.clear();
        for frame in scratch.batch.drain(..) {
            scratch.plaintext.extend_from_slice(&frame);
        }
        // Also collects what the reader's decryption left to send (an empty push wakes us).
        transport.seal_into(&scratch.plaintext, &mut unsent.sealed)?;
        if last && !unsent.notified {
            unsent.notified = true;
            transport.close_notify_into(&mut unsent.sealed)?;
        }
    } else {
        unsent.push_frames(&mut scratch.batch);
    }
    Ok(())
}

/// The connection is gone or hopeless: shut it and forget what it had queued.
fn abandon(peer: &dyn Recipient, unsent: &mut Unsent) {
    peer.outbox().abandon();
    peer.transport().shutdown(Shutdown::Both);
    unsent.release();
}

fn poller_loop(mut poll_loop: sys::PollLoop, ready: &ReadyQueue, stop: &AtomicBool) {
    let parking = &*ready.parking;
    let mut woken = Vec::new();
    let mut last_sweep = Instant::now();
    loop {
        if let Err(e) = poll_loop.wait(&mut woken, POLL_TICK) {
            tracing::error!("waiting for sockets failed: {e}");
            thread::sleep(POLL_TICK);
        }
        for id in woken.drain(..) {
            let peer = parking.parked().peers.remove(&id);
            if let Some((peer, _)) = peer {
                ready.schedule(peer);
            }
        }
        let now = Instant::now();
        if now.duration_since(last_sweep) >= POLL_TICK {
            last_sweep = now;
            let mut expired = Vec::new();
            parking.parked().peers.retain(|_, (peer, deadline)| {
                let keep = *deadline > now;
                if !keep {
                    expired.push(Arc::clone(peer));
                }
                keep
            });
            for peer in expired {
                tracing::debug!(peer = peer.id(), "write timed out: dropping the connection");
                abandon(&*peer, &mut peer.unsent());
            }
        }
        if stop.load(Ordering::Acquire) {
            let mut parked = parking.parked();
            if parked.peers.is_empty() {
                parked.poller_gone = true;
                return;
            }
        }
    }
}
