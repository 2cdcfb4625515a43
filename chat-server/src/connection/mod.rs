//! One client connection, from accept to goodbye: the reader thread's loop, its deadlines, and
//! the hand-over from the connection's first thread to its reader thread at login. What each
//! request does is `cmd`'s; writing is the writer pool's (`writers`): handlers only queue frames.
//!
//! A connection goes through three phases: it must say `hello` first, then may only `clock`,
//! `register`, `login`, `resume`, `ping` or `exit` until logged in, then may do everything. A
//! request out of phase gets a typed error and the connection stays open.
//!
//! One deadline runs from accept to login, the TLS handshake included (`secure`); the time a
//! login or registration waits for the password pool is added back to it, since the client
//! cannot shorten that wait.

pub(crate) mod accept;
pub(crate) mod ceiling;
pub(crate) mod gate;
mod secure;
pub(crate) mod spares;
pub(crate) mod threads;
pub mod tls;

use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use chat_core::Error as CoreError;
use chat_core::frame::{self, FrameReader};
use chat_core::protocol::{
    self as wire_protocol, ClientFrame, CloseReason, Request, ServerMessage,
};
use chat_core::transport::{FlushHint, Transport, TransportReader};

use crate::accounts::throttle::{Flood, FloodVerdict};
use crate::connection::spares::{Job, Spares};
use crate::connection::threads::SETTLING;
use crate::delivery::outbox::Frame;
use crate::delivery::peer::Peer;
use crate::protocols::native::wire;
use crate::protocols::native::{self, Next, Refusal};
use crate::shared::Shared;

/// Stack for a logged-in client's reader thread: decoding is depth-limited and nothing recurses
/// deeply. Only the pages a thread touches count in memory, not this size.
pub const READER_STACK_BYTES: usize = 256 * 1024;

/// Stack for a connection's first thread, which runs the TLS handshake, hello and login. More
/// than four times [`READER_STACK_BYTES`], so the C library never hands one of these stacks,
/// with the pages login touched, to a logged-in client's reader (it reuses a cached stack only
/// for a request at least a quarter of its size).
pub const HANDSHAKE_STACK_BYTES: usize = 2 * 1024 * 1024;

/// Where a connection is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    AwaitHello,
    AwaitLogin,
    LoggedIn,
}

/// A connection as its handlers see it.
pub(crate) struct Session {
    pub shared: Arc<Shared>,
    pub peer: Arc<Peer>,
    pub phase: Phase,
    /// The token this session logged in with or was given, for `logout`.
    pub token: Option<String>,
    /// Time spent waiting for the password pool since the last frame, which the handshake
    /// deadline does not count.
    pub deadline_credit: Duration,
}

impl Session {
    /// Queues a reply to request `re`.
    pub fn reply(&self, re: u32, message: ServerMessage) {
        match wire::frame(Some(re), message) {
            Some(frame) => {
                self.peer.send(&frame);
            }
            None => self.error(
                Some(re),
                Refusal::new(
                    wire_protocol::ErrorCode::Internal,
                    "the reply was too large to send",
                ),
            ),
        }
    }

    /// Queues an already encoded frame.
    pub fn send(&self, frame: &Frame) {
        self.peer.send(frame);
    }

    /// Queues an event.
    pub fn event(&self, message: ServerMessage) {
        if let Some(frame) = wire::event(message) {
            self.peer.send(&frame);
        }
    }

    /// Queues an error, as the reply to `re` when there is one.
    #[inline(never)]
    pub fn error(&self, re: Option<u32>, refusal: Refusal) {
        if let Some(frame) = wire::frame(re, refusal.into_message()) {
            self.peer.send(&frame);
        }
    }
}

/// Serves one accepted connection until it ends. Runs on the connection's first thread, which
/// hands the connection to a fresh reader thread once the client is logged in (see [`Reading`]).
/// `guard` is dropped when the connection ends.
pub(crate) fn serve<G: Send + 'static>(
    shared: Arc<Shared>,
    stream: TcpStream,
    addr: SocketAddr,
    id: u64,
    accepted: Instant,
    guard: G,
) {
    let deadline = accepted + shared.config.handshake_timeout;
    let _ = stream.set_nodelay(true);
    let _ = stream.set_write_timeout(Some(shared.config.write_timeout));
    // One descriptor per client, shared by the reader, the writer pool and whoever shuts it down.
    let Some(transport) = secure::secure(&shared, stream, addr, id, deadline) else {
        return;
    };
    if let Err(e) = transport.prepare_for_pool() {
        tracing::warn!(peer = id, "cannot ready the socket for the writers: {e}");
        return;
    }
    let peer = Peer::new(
        id,
        addr,
        transport.clone(),
        shared.config.max_outbox_bytes,
        shared.writers.ready(),
        &crate::protocols::native::render::NativeRender,
    );
    shared.register(&peer);
    tracing::info!(peer = id, %addr, tls = transport.is_tls(), "connected");
    let mut session = Session {
        shared: Arc::clone(&shared),
        peer: Arc::clone(&peer),
        phase: Phase::AwaitHello,
        token: None,
        deadline_credit: Duration::ZERO,
    };
    let mut reading = Reading::new(&session, &transport, deadline);
    let why = match session.run(&mut reading) {
        Ended::Closed(why) => why,
        Ended::LoggedIn => {
            // Login touched deep stack (the store, the hash pool, the first broadcasts) and left
            // freed blocks in this thread's allocator cache. A long-lived idle client should
            // keep neither: continue on a reader thread (a spare one, or a new one, with a small
            // stack) while this one goes back to wait for the next connection's first steps.
            // A fresh reader, at this thread's priority, until the client settles in.
            let family = if SETTLING {
                &shared.threads.fresh_readers
            } else {
                reading.settled = true;
                &shared.threads.readers
            };
            hand_over(family, Box::new((session, reading)), guard);
            return;
        }
        Ended::Settled => "internal error: settled before login".to_owned(),
    };
    end(&shared, &peer, &why);
}

/// Moves a logged-in connection to a thread of `family`, which reads it from there on (and hands
/// it on again, to a normal-priority reader, when it settles in). Boxed, and kept boxed across
/// hand-overs, so the frames a reader waits in carry a pointer rather than copies of the
/// connection's state: those frames stay on the stack for the connection's life.
fn hand_over<G: Send + 'static>(family: &Spares, mut state: Box<(Session, Reading)>, guard: G) {
    let id = state.0.peer.id;
    let job: Job = Box::new(move |own_thread| {
        let ended = {
            let (session, reading) = &mut *state;
            if own_thread {
                session.run(reading)
            } else {
                session.peer.close(
                    CloseReason::TooManyConnections,
                    "the server cannot take more clients now; try again later",
                );
                Ended::Closed("out of threads".to_owned())
            }
        };
        if let Ended::Settled = ended {
            let shared = Arc::clone(&state.0.shared);
            hand_over(&shared.threads.readers, state, guard);
            return;
        }
        end(&state.0.shared, &state.0.peer, &ended.into_reason());
        drop(guard);
    });
    if let Err(e) = family.run(job) {
        tracing::warn!(peer = id, "cannot start a reader thread: {e}; dropped");
    }
}

/// A connection's last steps, on whichever thread read it last. Out of line, like the other
/// rare paths of the reader, to keep the frames an idle reader waits in small.
#[inline(never)]
fn end(shared: &Shared, peer: &Arc<Peer>, why: &str) {
    shared.hub.logout(peer);
    shared.unregister(peer);
    // The writer pool sends what is left, then shuts the socket.
    peer.finish();
    tracing::info!(peer = peer.id, addr = %peer.addr, login = %peer.name(), "disconnected: {why}");
}

/// Why [`Session::run`] returned.
enum Ended {
    /// The connection is over, for this reason (for the log).
    Closed(String),
    /// The client just logged in; the loop may go on, on another thread.
    LoggedIn,
    /// The client settled in: it asked for something beyond keep-alives and `exit` (see
    /// [`settles`]); the loop goes on, on a normal-priority thread.
    Settled,
}

impl Ended {
    fn into_reason(self) -> String {
        match self {
            Ended::Closed(why) => why,
            Ended::LoggedIn => "internal error: logged in twice".to_owned(),
            Ended::Settled => "internal error: settled twice".to_owned(),
        }
    }
}

/// A connection's reading state, which moves with it from its first thread to its reader thread:
/// bytes already read (a request pipelined after the login) stay in `frames`.
struct Reading {
    stream: TransportReader,
    frames: FrameReader,
    flood: Flood,
    /// Until login: when the handshake must be done.
    deadline: Instant,
    last_heard: Instant,
    pinged: bool,
    idle: Idle,
    /// The socket's read timeout now in force (see [`refresh_read_timeout`]).
    read_timeout: Option<Duration>,
    /// Logged in and asked for more than keep-alives (see [`settles`]): read at normal priority.
    settled: bool,
}

impl Reading {
    fn new(session: &Session, transport: &Transport, deadline: Instant) -> Self {
        let flush_peer = Arc::downgrade(&session.peer);
        let hint: FlushHint = Arc::new(move || {
            if let Some(peer) = flush_peer.upgrade() {
                peer.send(&Frame::from(Vec::new()));
            }
        });
        let config = &session.shared.config;
        let now = Instant::now();
        Reading {
            stream: transport.reader(Some(hint)),
            frames: FrameReader::new(),
            flood: Flood::new(
                config.flood_burst,
                config.flood_per_second,
                config.flood_kick_after,
                now,
            ),
            deadline,
            last_heard: now,
            pinged: false,
            idle: Idle {
                last_input: now,
                away: false,
            },
            read_timeout: None,
            settled: false,
        }
    }
}

/// When the client last did something (a request other than a keep-alive or a clock sample),
/// and whether it was marked away for lack of input.
struct Idle {
    last_input: Instant,
    away: bool,
}

/// Shortest read timeout set: a deadline that has just passed is handled after this.
const MIN_READ_WAIT: Duration = Duration::from_millis(10);

/// Makes the socket's read timeout bound the next wait by `wanted`. Setting it is a system call,
/// and the reader of a busy client comes here for every request, so the timeout in force is kept
/// while it is neither more than 1/32 too long (the deadline is then missed by that much at
/// most) nor under half of what is wanted (a read that wakes early only goes round the loop).
pub(crate) fn refresh_read_timeout(
    reader: &mut TransportReader,
    current: &mut Option<Duration>,
    wanted: Duration,
) {
    if !current.is_some_and(|in_force| timeout_fits(in_force, wanted)) {
        let _ = reader.set_read_timeout(Some(wanted));
        *current = Some(wanted);
    }
}

/// Whether a read timeout of `in_force` may stand for a wait of `wanted` (see
/// [`refresh_read_timeout`]).
fn timeout_fits(in_force: Duration, wanted: Duration) -> bool {
    in_force <= wanted + wanted / 32 && in_force >= wanted / 2
}

impl Session {
    /// Reads and handles frames until the connection ends, or until the client logs in.
    fn run(&mut self, r: &mut Reading) -> Ended {
        let shared = Arc::clone(&self.shared);
        let config = &shared.config;
        loop {
            if self.shared.is_shutting_down() {
                // Shutdown may not have seen this connection (it was changing threads): say
                // goodbye here too (a second goodbye is never queued).
                self.peer
                    .close(CloseReason::ServerShutdown, "the server is shutting down");
                return Ended::Closed("server shutting down".into());
            }
            // Before login the handshake deadline bounds every wait; after it, the keep-alive
            // and the time to be shown away.
            let wake_at = if self.phase != Phase::LoggedIn {
                r.deadline
            } else {
                let keepalive = if r.pinged {
                    r.last_heard + config.idle_timeout
                } else {
                    r.last_heard + config.ping_interval
                };
                if r.idle.away {
                    keepalive
                } else {
                    keepalive.min(r.idle.last_input + config.away_after)
                }
            };
            let wait = wake_at.saturating_duration_since(Instant::now());
            refresh_read_timeout(&mut r.stream, &mut r.read_timeout, wait.max(MIN_READ_WAIT));
            let body = match r.frames.read_frame(&mut r.stream) {
                Ok(Some(body)) => body,
                Ok(None) => return Ended::Closed("closed by the client".into()),
                Err(e) if e.is_timeout() => {
                    let now = Instant::now();
                    if now < wake_at {
                        continue;
                    }
                    if self.phase != Phase::LoggedIn {
                        self.peer.close(
                            CloseReason::HandshakeTimeout,
                            "hello and login were not completed in time",
                        );
                        return Ended::Closed("handshake timeout".into());
                    }
                    if !r.idle.away && now >= r.idle.last_input + config.away_after {
                        self.went_idle();
                        r.idle.away = true;
                        continue;
                    }
                    if r.pinged {
                        self.peer.close(
                            CloseReason::IdleTimeout,
                            "nothing heard from you for too long",
                        );
                        return Ended::Closed("idle timeout".into());
                    }
                    self.event(ServerMessage::Ping);
                    r.pinged = true;
                    continue;
                }
                Err(e @ CoreError::FrameTooLarge { .. }) => {
                    self.error(None, Refusal::from(e));
                    self.peer
                        .close(CloseReason::ProtocolError, "frame too large");
                    return Ended::Closed("oversized frame".into());
                }
                Err(CoreError::Truncated) => {
                    return Ended::Closed("closed in the middle of a frame".into());
                }
                Err(e) if self.peer.outbox.is_closed() => {
                    return Ended::Closed(format!("closed ({e})"));
                }
                Err(e) => return Ended::Closed(format!("read error: {e}")),
            };
            r.last_heard = Instant::now();
            r.pinged = false;
            let ended = self.on_frame(body, &mut r.flood, &mut r.idle, &mut r.settled);
            r.deadline += std::mem::take(&mut self.deadline_credit);
            if let Some(ended) = ended {
                return ended;
            }
        }
    }

    /// Decodes and handles one frame; `Some` when the loop must end (or hand over). Out of line,
    /// so the frame an idle reader waits in (`run`) holds none of decoding's or handling's locals.
    #[inline(never)]
    fn on_frame(
        &mut self,
        body: &[u8],
        flood: &mut Flood,
        idle: &mut Idle,
        settled: &mut bool,
    ) -> Option<Ended> {
        let frame: ClientFrame = match frame::decode(body) {
            Ok(frame) => frame,
            Err(e) => {
                self.refused_frame(body, e);
                return None;
            }
        };
        if native::counts_as_flood(&frame.request) {
            match flood.check(Instant::now()) {
                FloodVerdict::Go => {}
                FloodVerdict::Wait(delay) => thread::sleep(delay),
                FloodVerdict::Disconnect => {
                    self.flooding();
                    return Some(Ended::Closed("flooding".into()));
                }
            }
        }
        if !matches!(frame.request, Request::Ping | Request::Clock) {
            idle.last_input = Instant::now();
            if idle.away {
                idle.away = false;
                self.came_back();
            }
        }
        let id = frame.id;
        let was = self.phase;
        let settles = was == Phase::LoggedIn && !*settled && settles(&frame.request);
        // Before login, behind the gate (see `gate`), except password checks: they wait for the
        // password pool, whose queue bounds them.
        // (The `Arc` is cloned only then: a logged-in reader's frames pay nothing for the gate.)
        let gated = (was != Phase::LoggedIn
            && !matches!(frame.request, Request::Login { .. } | Request::Register(_)))
        .then(|| Arc::clone(&self.shared));
        let _pass = gated.as_ref().map(|shared| {
            let (pass, waited) = shared.first_steps.enter();
            self.deadline_credit += waited;
            pass
        });
        match native::handle(self, id, frame.request) {
            Ok(Next::Continue) => {}
            Ok(Next::Close) => return Some(Ended::Closed("said goodbye".into())),
            Err(refusal) => self.error(Some(id), refusal),
        }
        if settles {
            *settled = true;
            return Some(Ended::Settled);
        }
        (was != Phase::LoggedIn && self.phase == Phase::LoggedIn).then_some(Ended::LoggedIn)
    }

    /// A frame the decoder refused: answered with its `id` and the field at fault when those can
    /// be read, else as `malformed` with no `re`.
    #[cold]
    #[inline(never)]
    fn refused_frame(&self, body: &[u8], e: CoreError) {
        tracing::debug!(peer = self.peer.id, "refused frame: {e}");
        match wire_protocol::diagnose(body) {
            Some(d) => self.error(
                Some(d.id),
                Refusal {
                    code: d.code,
                    message: d.message,
                    field: d.field,
                    retry_after: None,
                },
            ),
            None => self.error(None, Refusal::from(e)),
        }
    }

    /// No input for `away_after`: the user is shown away (and told, as by `#away`).
    #[cold]
    #[inline(never)]
    fn went_idle(&self) {
        if let Ok(Some(presence)) = self.shared.hub.set_away(&self.peer, None, true) {
            self.event(presence);
        }
    }

    /// Input after being shown away for lack of it: back (unless the user said `#away`).
    #[cold]
    #[inline(never)]
    fn came_back(&self) {
        if let Ok(Some(presence)) = self.shared.hub.set_back(&self.peer, true) {
            self.event(presence);
        }
    }

    #[cold]
    #[inline(never)]
    fn flooding(&self) {
        tracing::warn!(peer = self.peer.id, login = %self.peer.name(), "flooding");
        self.peer.close(
            CloseReason::Flood,
            "you sent too much, too fast, for too long",
        );
    }
}

/// Whether a logged-in client asking for `request` settled in, and is read from then on at
/// normal priority: anything but keep-alives, clock samples and leaving. A client that logs in
/// and leaves (a storm of reconnections, a script) never does, and stays below the chat of
/// those who did.
fn settles(request: &Request) -> bool {
    !matches!(
        request,
        Request::Ping | Request::Clock | Request::Exit | Request::Logout { .. }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_settles_in_with_its_first_request_beyond_keep_alives_and_leaving() {
        for quiet in [
            Request::Ping,
            Request::Clock,
            Request::Exit,
            Request::Logout { all: true },
        ] {
            assert!(!settles(&quiet), "{quiet:?}");
        }
        assert!(settles(&Request::Say { text: "hi".into() }));
        assert!(settles(&Request::LeaveRoom));
    }

    #[test]
    fn a_read_timeout_stands_while_it_neither_overshoots_nor_wakes_far_too_early() {
        let s = Duration::from_secs;
        assert!(timeout_fits(s(90), s(90)));
        assert!(timeout_fits(s(90), s(88)), "2 s late on a 90 s wait");
        assert!(!timeout_fits(s(90), s(60)), "the wait got shorter: set it");
        assert!(timeout_fits(s(60), s(90)), "waking early only loops");
        assert!(!timeout_fits(s(10), s(90)), "but not nine times over");
        assert!(!timeout_fits(
            Duration::from_millis(20),
            Duration::from_millis(10)
        ));
    }
}
