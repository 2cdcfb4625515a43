//! The event loop one thread runs: many client connections on one `mio::Poll`, timers, and the
//! hand-off of every frame that arrives to the subcommand's [`Handler`].
//!
//! A turn waits for readiness (or the next timer), reads every ready socket until it is empty,
//! gives each frame to the handler, fires due timers, then flushes every connection the handler
//! queued output on — so requests queued in one turn leave in one write per connection.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chat_core::irc::Line;
use chat_core::protocol::{Request, ServerFrame};
use mio::{Events, Poll, Registry, Token};

use crate::conn::{Conn, READ_CHUNK_BYTES, ReadStatus, Wire};
use crate::inbox::{Inbox, Incoming, ReactionCounts};

/// Readiness events taken from the kernel per wait.
const EVENTS_PER_WAIT: usize = 1024;

/// Why a connection ended.
#[derive(Debug)]
pub enum Closed {
    /// The server closed it.
    ByServer,
    /// Connecting, reading, writing or decoding failed.
    Failed(io::Error),
}

/// What a subcommand does with what the loop sees. `client` is the index the connection was
/// opened under.
pub trait Handler {
    /// A frame arrived; `at` is when its bytes were read.
    fn on_frame(&mut self, conns: &mut Conns, client: usize, frame: ServerFrame, at: Instant);
    /// A `message` event arrived, with this text (its bytes, not checked to be UTF-8).
    fn on_message(&mut self, conns: &mut Conns, client: usize, text: &[u8], at: Instant);
    /// The connection is gone (already removed from `conns`).
    fn on_closed(&mut self, conns: &mut Conns, client: usize, why: Closed);
    /// A timer set with [`Conns::after`] is due.
    fn on_timer(&mut self, conns: &mut Conns, client: usize, tag: u32);
    /// A `reactions` event arrived (read in place: see [`crate::inbox`]).
    fn on_reactions(
        &mut self,
        conns: &mut Conns,
        client: usize,
        counts: &ReactionCounts,
        at: Instant,
    ) {
        let _ = (conns, client, counts, at);
    }
    /// An IRC line other than a channel `PRIVMSG` arrived (connections opened with
    /// [`Wire::Irc`] only; channel messages go to `on_message`).
    fn on_line(&mut self, conns: &mut Conns, client: usize, line: &Line, at: Instant) {
        let _ = (conns, client, line, at);
    }
}

/// The connections of one loop, by client index, and the timers the handler set.
#[derive(Debug)]
pub struct Conns {
    registry: Registry,
    addr: SocketAddr,
    slots: Vec<Option<Conn>>,
    /// Bumped on every connect, so the loop notices a connection replaced under it.
    generation: Vec<u32>,
    /// Clients with output queued this turn (may repeat; flushing twice is harmless).
    dirty: Vec<usize>,
    timers: BinaryHeap<Reverse<(Instant, usize, u32)>>,
    /// Connections that failed while flushing, reported to the handler after the flush pass.
    failed: Vec<(usize, io::Error)>,
    /// New connections ask for delayed acknowledgements (see `Conn`).
    delayed_acks: bool,
    /// New connections speak TLS with this configuration.
    tls: Option<Arc<rustls::ClientConfig>>,
    /// Source addresses new connections are spread over (client index modulo their number);
    /// empty: the system's choice.
    sources: Arc<Vec<IpAddr>>,
    source_offset: usize,
    /// Nodes new connections are spread over, like `sources`; empty: `addr`.
    servers: Arc<Vec<SocketAddr>>,
    /// What new connections speak.
    wire: Wire,
}

impl Conns {
    /// Opens a connection for `client`, replacing any it had.
    pub fn connect(&mut self, client: usize) -> io::Result<()> {
        self.close(client);
        let source = match self.sources.len() {
            0 => None,
            n => self.sources.get((client + self.source_offset) % n).copied(),
        };
        let addr = match self.servers.len() {
            0 => self.addr,
            n => self.servers[(client + self.source_offset) % n],
        };
        let conn = Conn::connect(
            addr,
            source,
            &self.registry,
            Token(client),
            self.delayed_acks,
            self.tls.as_ref(),
            self.wire,
        )?;
        self.slots[client] = Some(conn);
        self.generation[client] = self.generation[client].wrapping_add(1);
        Ok(())
    }

    /// Queues `request` on `client`'s connection; its id, or `None` when it has none.
    pub fn send(&mut self, client: usize, request: Request) -> Option<u32> {
        let conn = self.slots.get_mut(client)?.as_mut()?;
        let id = conn.send(request);
        self.dirty.push(client);
        Some(id)
    }

    /// Queues `text` as it is (whole IRC lines) on `client`'s connection; `false` when it has none.
    pub fn send_text(&mut self, client: usize, text: &str) -> bool {
        let Some(conn) = self.slots.get_mut(client).and_then(Option::as_mut) else {
            return false;
        };
        conn.send_bytes(text.as_bytes());
        self.dirty.push(client);
        true
    }

    /// What connections opened from now on speak (the chat protocol unless told).
    pub fn set_wire(&mut self, wire: Wire) {
        self.wire = wire;
    }

    /// Whether connections opened from now on ask for delayed acknowledgements (the default).
    pub fn set_delayed_acks(&mut self, on: bool) {
        self.delayed_acks = on;
    }

    /// How connections opened from now on connect: TLS or not, and from which addresses
    /// (`offset`: this loop's first client's index in the whole run, so that the run as a whole
    /// spreads evenly).
    pub fn set_transport(&mut self, transport: &crate::cli::Transport, offset: usize) {
        self.tls = transport.tls.clone();
        if transport.ws && self.wire == Wire::Native {
            self.wire = Wire::WebSocket;
        }
        self.sources = Arc::clone(&transport.sources);
        self.servers = Arc::clone(&transport.servers);
        self.source_offset = offset;
    }

    /// Whether `client` has an open connection.
    pub fn is_open(&self, client: usize) -> bool {
        matches!(self.slots.get(client), Some(Some(_)))
    }

    /// Closes `client`'s connection, if any. The handler is not told.
    pub fn close(&mut self, client: usize) {
        if let Some(mut conn) = self.slots.get_mut(client).and_then(Option::take) {
            conn.deregister(&self.registry);
        }
    }

    /// Calls the handler's `on_timer(client, tag)` once `delay` has passed.
    pub fn after(&mut self, delay: Duration, client: usize, tag: u32) {
        self.timers
            .push(Reverse((Instant::now() + delay, client, tag)));
    }

    fn flush_dirty(&mut self) {
        let mut dirty = std::mem::take(&mut self.dirty);
        for &client in &dirty {
            if let Some(conn) = self.slots[client].as_mut()
                && let Err(e) = conn.flush()
            {
                self.close(client);
                self.failed.push((client, e));
            }
        }
        dirty.clear();
        self.dirty = dirty;
    }
}

/// One thread's event loop.
#[derive(Debug)]
pub struct Net {
    poll: Poll,
    events: Events,
    scratch: Vec<u8>,
    inbox: Inbox,
    pub conns: Conns,
}

impl Net {
    /// A loop for `clients` connections to `addr`.
    pub fn new(addr: SocketAddr, clients: usize) -> io::Result<Net> {
        let poll = Poll::new()?;
        let registry = poll.registry().try_clone()?;
        Ok(Net {
            poll,
            events: Events::with_capacity(EVENTS_PER_WAIT),
            scratch: vec![0; READ_CHUNK_BYTES],
            inbox: Inbox::default(),
            conns: Conns {
                registry,
                addr,
                slots: (0..clients).map(|_| None).collect(),
                generation: vec![0; clients],
                dirty: Vec::new(),
                timers: BinaryHeap::new(),
                failed: Vec::new(),
                delayed_acks: true,
                tls: None,
                sources: Arc::new(Vec::new()),
                source_offset: 0,
                servers: Arc::new(Vec::new()),
                wire: Wire::Native,
            },
        })
    }

    /// Waits at most `timeout` (less when a timer is due sooner) and handles what happened.
    pub fn turn(&mut self, timeout: Duration, handler: &mut impl Handler) -> io::Result<()> {
        let now = Instant::now();
        let timeout = match self.conns.timers.peek() {
            Some(Reverse((due, _, _))) => timeout.min(due.saturating_duration_since(now)),
            None => timeout,
        };
        match self.poll.poll(&mut self.events, Some(timeout)) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
        let ready: Vec<(usize, bool, bool, bool)> = self
            .events
            .iter()
            .map(|e| {
                let closing = e.is_read_closed() || e.is_error();
                (
                    e.token().0,
                    e.is_readable() || closing,
                    closing,
                    e.is_writable(),
                )
            })
            .collect();
        for (client, readable, closing, writable) in ready {
            let mut tls = false;
            if let Some(conn) = self.conns.slots.get_mut(client).and_then(Option::as_mut) {
                tls = conn.is_tls();
                if writable && conn.has_output() {
                    self.conns.dirty.push(client);
                }
            }
            // A TLS session that waited for its own records to go out reads on once they can.
            if readable || (writable && tls) {
                self.read_all(client, closing, handler);
            }
        }
        let now = Instant::now();
        while let Some(&Reverse((due, client, tag))) = self.conns.timers.peek() {
            if due > now {
                break;
            }
            self.conns.timers.pop();
            handler.on_timer(&mut self.conns, client, tag);
        }
        self.flush(handler);
        Ok(())
    }

    /// Flushes queued output, telling the handler of connections that failed meanwhile.
    pub fn flush(&mut self, handler: &mut impl Handler) {
        // A handler may queue more output while hearing of a failure: loop until quiet.
        loop {
            self.conns.flush_dirty();
            if self.conns.failed.is_empty() {
                break;
            }
            for (client, e) in std::mem::take(&mut self.conns.failed) {
                handler.on_closed(&mut self.conns, client, Closed::Failed(e));
            }
        }
    }

    /// Reads `client`'s socket until it is empty, handing each frame to the handler. `closing`:
    /// the event said the server closed (see [`Conn::read_chunk`]).
    fn read_all(&mut self, client: usize, closing: bool, handler: &mut impl Handler) {
        let mut at = Instant::now();
        let Some(&generation) = self.conns.generation.get(client) else {
            return;
        };
        loop {
            let Some(conn) = self.conns.slots.get_mut(client).and_then(Option::as_mut) else {
                return;
            };
            let status = conn.read_chunk(&mut self.scratch, &mut self.inbox, &mut at, closing);
            let Inbox { items, copied } = &mut self.inbox;
            for item in items.drain(..) {
                if self.conns.generation[client] != generation || !self.conns.is_open(client) {
                    break;
                }
                match item {
                    Incoming::Message(text) => {
                        let text = Inbox::text(copied, &self.scratch, &text);
                        handler.on_message(&mut self.conns, client, text, at);
                    }
                    Incoming::Frame(frame) => handler.on_frame(&mut self.conns, client, *frame, at),
                    Incoming::Reactions(counts) => {
                        handler.on_reactions(&mut self.conns, client, &counts, at);
                    }
                    Incoming::Line(line) => hand_line(handler, &mut self.conns, client, line, at),
                }
            }
            self.inbox.clear();
            if self.conns.generation[client] != generation {
                // The handler closed or replaced this connection; what was read is moot.
                return;
            }
            // A TLS handshake answers what it read.
            if let Some(conn) = self.conns.slots.get(client).and_then(Option::as_ref)
                && conn.has_output()
            {
                self.conns.dirty.push(client);
            }
            let why = match status {
                Ok(ReadStatus::More) => continue,
                Ok(ReadStatus::Drained) => return,
                Ok(ReadStatus::Closed) => Closed::ByServer,
                Err(e) => Closed::Failed(e),
            };
            if self.conns.is_open(client) {
                self.conns.close(client);
                handler.on_closed(&mut self.conns, client, why);
            }
            return;
        }
    }
}

/// Gives an IRC line to the handler and drops it, out of line, so that [`Net::read_all`]'s loop,
/// which every message of the chat protocol goes through, stays as small as it was.
#[inline(never)]
fn hand_line(
    handler: &mut impl Handler,
    conns: &mut Conns,
    client: usize,
    line: Box<Line>,
    at: Instant,
) {
    handler.on_line(conns, client, &line, at);
}
