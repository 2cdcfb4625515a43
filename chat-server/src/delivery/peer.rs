//! One connected client as the rest of the server sees it: an id, an address, a login once
//! logged in, and an outbox. Anyone may queue a frame for a peer or tell it to go; only the
//! peer's reader thread reads its socket, and only the writer that holds it (see `writers`)
//! writes to it. How its frames are written is its protocol's [`Render`].

use std::net::{Shutdown, SocketAddr};
use std::sync::atomic::{AtomicU16, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};

use chat_core::protocol::CloseReason;
use chat_core::transport::Transport;

use crate::delivery::event::Event;
use crate::delivery::outbox::{Frame, Outbox, PushError, Wake};
use crate::delivery::writers::{ReadyQueue, Recipient, Unsent, WriteHere};
use crate::links::ReaderLinks;

/// How a protocol writes for its clients: each event, and the last words before a close. A
/// protocol module implements it once (a unit struct); every peer of that protocol points at it.
pub(crate) trait Render: Send + Sync + std::fmt::Debug {
    /// The bytes of `event` for `peer`, or `None` when this protocol shows nothing of it. Bytes
    /// that do not depend on the recipient are written once per event (`Event::written`).
    fn event(&self, event: &Event, peer: &Peer) -> Option<Frame>;

    /// A goodbye saying why the connection closes (`re`: the request it answers, where the
    /// protocol numbers requests).
    fn goodbye(&self, re: Option<u32>, reason: CloseReason, message: &str) -> Option<Frame>;
}

/// A connected client.
#[derive(Debug)]
pub struct Peer {
    /// Unique for the server's lifetime.
    pub id: u64,
    /// Remote address.
    pub addr: SocketAddr,
    /// Frames waiting to be written.
    pub outbox: Outbox,
    /// The socket: shut down by anyone, written by the writer that holds the peer.
    socket: Transport,
    /// Set once, at login.
    login: OnceLock<Login>,
    /// Bytes taken from the outbox and not yet sent; only the writer holding the peer locks it.
    unsent: Mutex<Unsent>,
    /// Where the peer goes when its outbox needs a writer.
    ready: ReadyQueue,
    /// This peer, to put on the ready queue.
    me: Weak<Peer>,
    /// The backlog at which senders found this peer not reading (0: not found so); see
    /// `cmd::talk`.
    stalled_at: AtomicUsize,
    /// How this peer's protocol writes.
    render: &'static dyn Render,
    /// What the client asked its protocol for (IRC capabilities), as the protocol counts it.
    options: AtomicU16,
    /// What the user said on leaving (IRC `QUIT :message`), shown to IRC clients.
    quit: OnceLock<String>,
    /// The user name the client gave of itself (IRC `USER`), shown in IRC's masks and `WHOIS`.
    user_name: OnceLock<String>,
    /// How the files its events carry are linked, for a client that cannot fetch them with a
    /// session token (IRC's).
    file_links: OnceLock<ReaderLinks>,
    /// Room lines numbered at most this were received already (on a connection before this
    /// one, whose session this one resumed): not delivered again. 0: none.
    lines_above: AtomicU64,
}

/// Queues one event for every peer of `members` (written once per protocol, see `event`), and
/// hands the peers whose outbox was idle to the writers in batches rather than one by one: a
/// broadcast to a thousand members costs a few trips through the ready queue, not a thousand.
/// Returns the member furthest behind, if one is far enough behind that the sender should wait
/// for it (see `Outbox::is_pressing`).
pub(crate) fn broadcast<'a>(
    members: impl IntoIterator<Item = &'a Arc<Peer>>,
    event: &Event,
    mut here: Option<&mut WriteHere>,
) -> Option<Arc<Peer>> {
    let mut idle = None;
    let mut behind: Option<(&Arc<Peer>, usize)> = None;
    for member in members {
        let Some(frame) = member.render.event(event, member) else {
            continue;
        };
        let pushed = member.push(&frame);
        if pushed.wake == Wake::Schedule {
            match here.as_deref_mut() {
                Some(here) => here.add(Arc::clone(member) as _),
                None => idle
                    .get_or_insert_with(|| member.ready.batch())
                    .add(Arc::clone(member) as _),
            }
        }
        if member.outbox.is_pressing(pushed.backlog)
            && behind.is_none_or(|(_, most)| pushed.backlog > most)
        {
            behind = Some((member, pushed.backlog));
        }
    }
    if let Some(idle) = idle {
        idle.finish();
    }
    behind.map(|(member, _)| Arc::clone(member))
}

/// What queueing one frame for a peer did.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pushed {
    /// Whether the frame was queued (not: the peer is leaving, or was just dropped as too slow).
    pub queued: bool,
    /// Whether the caller must put the peer on the ready queue.
    pub wake: Wake,
    /// Bytes the peer now has to catch up on.
    pub backlog: usize,
}

/// A peer's login: as registered, and as a key.
#[derive(Debug, Clone)]
pub struct Login {
    /// As registered.
    pub name: String,
    /// Lowercased, for look-ups.
    pub key: String,
    /// A guest (an IRC client let in without an account): nothing is kept for or from it.
    pub guest: bool,
}

impl Peer {
    /// A peer with an empty outbox of `max_outbox_bytes`, written by the pool behind `ready`, in
    /// the way `render` writes.
    pub(crate) fn new(
        id: u64,
        addr: SocketAddr,
        socket: Transport,
        max_outbox_bytes: usize,
        ready: ReadyQueue,
        render: &'static dyn Render,
    ) -> Arc<Self> {
        Arc::new_cyclic(|me| Peer {
            id,
            addr,
            outbox: Outbox::new(max_outbox_bytes),
            socket,
            login: OnceLock::new(),
            unsent: Mutex::new(Unsent::default()),
            ready,
            me: Weak::clone(me),
            stalled_at: AtomicUsize::new(0),
            render,
            options: AtomicU16::new(0),
            quit: OnceLock::new(),
            user_name: OnceLock::new(),
            file_links: OnceLock::new(),
            lines_above: AtomicU64::new(0),
        })
    }

    /// Notes what the user said on leaving (the first time only).
    pub fn set_quit_message(&self, message: String) {
        let _ = self.quit.set(message);
    }

    /// What IRC clients see as this user's `QUIT` message.
    pub fn quit_message(&self) -> &str {
        self.quit.get().map_or("Quit", String::as_str)
    }

    /// Notes the user name the client gave of itself (the first time only).
    pub fn set_user_name(&self, name: String) {
        let _ = self.user_name.set(name);
    }

    /// The user name the client gave of itself, if its protocol asks for one (IRC `USER`).
    pub fn user_name(&self) -> Option<&str> {
        self.user_name.get().map(String::as_str)
    }

    /// Links the files this peer's events carry (the first time only).
    pub(crate) fn set_file_links(&self, links: ReaderLinks) {
        let _ = self.file_links.set(links);
    }

    /// How the files this peer's events carry are linked, if its protocol links them.
    pub(crate) fn file_links(&self) -> Option<&ReaderLinks> {
        self.file_links.get()
    }

    /// The server's address this peer reached.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.socket.socket().local_addr().ok()
    }

    /// What the client asked its protocol for (IRC capabilities).
    pub fn options(&self) -> u16 {
        self.options.load(Ordering::Relaxed)
    }

    /// Records what the client asked its protocol for.
    pub(crate) fn set_options(&self, options: u16) {
        self.options.store(options, Ordering::Relaxed);
    }

    /// Queues an event, written in this peer's protocol. Returns what the push did (nothing
    /// queued when the protocol shows nothing of the event).
    pub(crate) fn event(&self, event: &Event) -> Pushed {
        match self.render.event(event, self) {
            Some(frame) => self.send_measured(&frame),
            None => Pushed {
                queued: false,
                wake: Wake::No,
                backlog: 0,
            },
        }
    }

    /// Room lines numbered `seen` or below reached this client already: they are not
    /// delivered again (see [`Peer::wants_line`]).
    pub(crate) fn lines_above(&self, seen: u64) {
        self.lines_above.store(seen, Ordering::Relaxed);
    }

    /// Whether room line `id`, read from a cluster's log, is for this client: not if it is at
    /// or below the last line the client received before resuming. A node delivers lines in
    /// increasing numbers, so the first line above it ends the check.
    pub(crate) fn wants_line(&self, id: u64) -> bool {
        let above = self.lines_above.load(Ordering::Relaxed);
        if above == 0 {
            return true;
        }
        if id <= above {
            return false;
        }
        self.lines_above.store(0, Ordering::Relaxed);
        true
    }

    /// A goodbye in this peer's protocol (`re`: the request it answers).
    fn goodbye(&self, re: Option<u32>, reason: CloseReason, message: &str) -> Option<Frame> {
        self.render.goodbye(re, reason, message)
    }

    fn wake(&self, wake: Wake) {
        if wake == Wake::Schedule
            && let Some(me) = self.me.upgrade()
        {
            self.ready.schedule(me);
        }
    }

    /// Closes the outbox (after what is queued) and wakes the writer, which sends the rest and
    /// shuts the socket.
    pub fn finish(&self) {
        let wake = self.outbox.close_with(None);
        self.wake(wake);
    }

    /// The backlog at which a sender found this peer not reading, if one did.
    pub(crate) fn stalled_at(&self) -> Option<usize> {
        match self.stalled_at.load(Ordering::Relaxed) {
            0 => None,
            n => Some(n),
        }
    }

    /// Records (or clears) that this peer was found not reading at `backlog`.
    pub(crate) fn set_stalled_at(&self, backlog: Option<usize>) {
        self.stalled_at.store(
            backlog.unwrap_or(0).max(usize::from(backlog.is_some())),
            Ordering::Relaxed,
        );
    }

    /// The login, once logged in.
    pub fn login(&self) -> Option<&Login> {
        self.login.get()
    }

    /// Records the login; a connection logs in at most once.
    pub fn set_login(&self, login: Login) -> bool {
        self.login.set(login).is_ok()
    }

    /// The login name for logs and events (`-` before login).
    pub fn name(&self) -> &str {
        self.login().map_or("-", |l| l.name.as_str())
    }

    /// Queues a frame. A full outbox disconnects the peer as a slow consumer: the room never
    /// waits for it. Returns whether the frame was queued.
    pub fn send(&self, frame: &Frame) -> bool {
        self.send_measured(frame).queued
    }

    /// [`Peer::send`], saying how far behind the peer now is.
    pub(crate) fn send_measured(&self, frame: &Frame) -> Pushed {
        let pushed = self.push(frame);
        self.wake(pushed.wake);
        pushed
    }

    /// Queues a frame without waking a writer (see [`Pushed`]). A full outbox disconnects the
    /// peer, as in [`Peer::send`].
    fn push(&self, frame: &Frame) -> Pushed {
        let refused = |wake| Pushed {
            queued: false,
            wake,
            backlog: 0,
        };
        match self.outbox.push_measured(Frame::clone(frame)) {
            Ok((wake, backlog)) => Pushed {
                queued: true,
                wake,
                backlog,
            },
            Err(PushError::Closed) => refused(Wake::No),
            Err(PushError::Full) => {
                tracing::warn!(peer = self.id, login = %self.name(), "send queue full: disconnecting a slow consumer");
                let goodbye = self.goodbye(
                    None,
                    CloseReason::SlowConsumer,
                    "you were not reading messages fast enough",
                );
                let wake = self.outbox.abort_with(goodbye);
                self.socket.shutdown(Shutdown::Read);
                refused(wake)
            }
        }
    }

    /// Says goodbye after what is already queued, then closes the connection.
    pub fn close(&self, reason: CloseReason, message: &str) {
        self.close_replying(None, reason, message);
    }

    /// [`Peer::close`], with the goodbye answering request `re` (for `exit`).
    pub fn close_replying(&self, re: Option<u32>, reason: CloseReason, message: &str) {
        let goodbye = self.goodbye(re, reason, message);
        let wake = self.outbox.close_with(goodbye);
        self.wake(wake);
        // Unblocks the reader thread, which then cleans up; the writer still sends the goodbye.
        self.socket.shutdown(Shutdown::Read);
    }
}

impl Recipient for Peer {
    fn id(&self) -> u64 {
        self.id
    }

    fn outbox(&self) -> &Outbox {
        &self.outbox
    }

    fn transport(&self) -> &Transport {
        &self.socket
    }

    fn unsent(&self) -> MutexGuard<'_, Unsent> {
        // Only the writer holding the peer changes it, one step at a time.
        self.unsent.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn ready_queue(&self) -> &ReadyQueue {
        &self.ready
    }
}
