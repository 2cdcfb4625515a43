//! The reader's loop, for every protocol: read a unit, decode it, apply the connection's rules
//! (flood control, auto-away, the first-steps gate, settling in), handle it; between units,
//! the deadlines (the handshake's before login; keep-alive, idle and away after it).
//!
//! Everything an idle reader keeps is in [`Reading`], which moves with the connection from its
//! first thread to its readers; the loop's own frame holds little, and everything that runs per
//! unit is out of line, so an idle reader waits in two stack pages.

use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use chat_core::protocol::CloseReason;
use chat_core::transport::{FlushHint, TransportReader};

use super::flood::{Flood, FloodVerdict};
use super::protocol::{Decoder, Protocol, Read, Step};
use crate::delivery::outbox::Frame;
use crate::service::conn::Conn;
use crate::service::talk;

/// Shortest read timeout set: a deadline that has just passed is handled after this.
const MIN_READ_WAIT: Duration = Duration::from_millis(10);

/// Why [`run`] returned.
pub(super) enum Ended {
    /// The connection is over, for this reason (for the log).
    Closed(String),
    /// The client just logged in; the loop may go on, on another thread.
    LoggedIn,
    /// The client settled in (see `Traits::settles`); the loop goes on, on a normal-priority
    /// thread.
    Settled,
}

impl Ended {
    pub(super) fn into_reason(self) -> String {
        match self {
            Ended::Closed(why) => why,
            Ended::LoggedIn => "internal error: logged in twice".to_owned(),
            Ended::Settled => "internal error: settled twice".to_owned(),
        }
    }
}

/// A connection's reading state, which moves with it from its first thread to its readers:
/// bytes already read (a request pipelined after the login) stay in the decoder.
pub(super) struct Reading<D> {
    stream: TransportReader,
    decoder: D,
    flood: Flood,
    /// Until login: when the handshake must be done.
    deadline: Instant,
    last_heard: Instant,
    pinged: bool,
    idle: Idle,
    /// The socket's read timeout now in force (see [`refresh_read_timeout`]).
    read_timeout: Option<Duration>,
    /// Logged in and asked for more than keep-alives: read at normal priority.
    pub settled: bool,
}

/// When the client last did something (a request other than a keep-alive or a clock sample),
/// and whether it was marked away for lack of input.
struct Idle {
    last_input: Instant,
    away: bool,
}

impl<D: Decoder> Reading<D> {
    /// The reading state of a connection read from `stream`, whose handshake must be done by
    /// `deadline` (on the real clock).
    pub(super) fn new(conn: &Conn, mut stream: TransportReader, deadline: Instant) -> Self {
        // When the reader's decryption leaves bytes to send (a TLS key update), an empty frame
        // wakes a writer to send them.
        let flush_peer = Arc::downgrade(&conn.peer);
        let hint: FlushHint = Arc::new(move || {
            if let Some(peer) = flush_peer.upgrade() {
                peer.send(&Frame::from(Vec::new()));
            }
        });
        stream.set_hint(Some(hint));
        let config = &conn.shared.config;
        let now = config.clock.now();
        Reading {
            stream,
            decoder: D::default(),
            flood: Flood::new(
                config.flood_burst,
                config.flood_per_second,
                config.flood_kick_after,
                now,
            ),
            deadline: config.clock.read(deadline),
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

/// Reads and handles units until the connection ends, the client logs in, or it settles in.
pub(super) fn run<P: Protocol>(p: &mut P, r: &mut Reading<P::Decoder>) -> Ended {
    let shared = Arc::clone(&p.conn().shared);
    let config = &shared.config;
    let clock = &config.clock;
    loop {
        if shared.is_shutting_down() {
            // Shutdown may not have seen this connection (it was changing threads): say
            // goodbye here too (a second goodbye is never queued).
            p.conn()
                .peer
                .close(CloseReason::ServerShutdown, "the server is shutting down");
            return Ended::Closed("server shutting down".into());
        }
        let logged_in = p.logged_in();
        // Before login the handshake deadline bounds every wait; after it, the keep-alive and
        // the time to be shown away.
        let wake_at = if !logged_in {
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
        let wait = clock.wait_for(wake_at.saturating_duration_since(clock.now()));
        refresh_read_timeout(&mut r.stream, &mut r.read_timeout, wait.max(MIN_READ_WAIT));
        let unit = match r.decoder.read(&mut r.stream) {
            Read::Unit(unit) => unit,
            Read::Timeout => {
                if let Some(ended) = timed_out(p, r, wake_at, logged_in) {
                    return ended;
                }
                continue;
            }
            Read::TooLong { len } => match p.too_long(len) {
                Step::Continue => continue,
                Step::Close(why) => return Ended::Closed(why),
            },
            Read::End => return Ended::Closed("closed by the client".into()),
            Read::Truncated => return Ended::Closed("closed in the middle of a frame".into()),
            Read::Failed(e) if p.conn().peer.outbox.is_closed() => {
                return Ended::Closed(format!("closed ({e})"));
            }
            Read::Failed(e) => return Ended::Closed(format!("read error: {e}")),
        };
        r.last_heard = clock.now();
        r.pinged = false;
        let ended = on_unit(p, unit, &mut r.flood, &mut r.idle, &mut r.settled);
        r.deadline += std::mem::take(&mut p.conn_mut().deadline_credit);
        if let Some(ended) = ended {
            return ended;
        }
    }
}

/// A read timed out: a deadline passed, or the wait was only cut short.
#[inline(never)]
fn timed_out<P: Protocol>(
    p: &mut P,
    r: &mut Reading<P::Decoder>,
    wake_at: Instant,
    logged_in: bool,
) -> Option<Ended> {
    let conn = p.conn();
    let config = &conn.shared.config;
    let now = config.clock.now();
    if now < wake_at {
        return None;
    }
    if !logged_in {
        conn.peer.close(CloseReason::HandshakeTimeout, P::LATE);
        return Some(Ended::Closed("handshake timeout".into()));
    }
    if !r.idle.away && now >= r.idle.last_input + config.away_after {
        if talk::went_idle(conn) {
            p.marked(true);
        }
        r.idle.away = true;
        return None;
    }
    if r.pinged {
        conn.peer.close(CloseReason::IdleTimeout, P::SILENT);
        return Some(Ended::Closed("idle timeout".into()));
    }
    p.ping();
    r.pinged = true;
    None
}

/// Decodes and handles one unit; `Some` when the loop must end (or hand over). Out of line, so
/// the frame an idle reader waits in (`run`) holds none of decoding's or handling's locals.
#[inline(never)]
fn on_unit<P: Protocol>(
    p: &mut P,
    unit: &[u8],
    flood: &mut Flood,
    idle: &mut Idle,
    settled: &mut bool,
) -> Option<Ended> {
    let request = p.decode(unit)?;
    let traits = p.traits(&request);
    let now = p.conn().shared.config.clock.now();
    if traits.flood {
        match flood.check(now) {
            FloodVerdict::Go => {}
            FloodVerdict::Wait(delay) => thread::sleep(delay),
            FloodVerdict::Disconnect => {
                flooding::<P>(p.conn());
                return Some(Ended::Closed("flooding".into()));
            }
        }
    }
    if traits.input {
        idle.last_input = now;
        if idle.away {
            idle.away = false;
            if talk::came_back(p.conn()) {
                p.marked(false);
            }
        }
    }
    let was_logged_in = p.logged_in();
    let settles = was_logged_in && !*settled && traits.settles;
    // Before login, behind the gate (see `threads::gate`); password checks leave it before
    // they wait for the password pool, whose queue bounds them.
    if !was_logged_in && traits.gated {
        p.conn_mut().enter_gate();
        count(&p.conn().shared.counts.gated);
    }
    let step = p.handle(request);
    p.conn_mut().leave_gate();
    if let Step::Close(why) = step {
        return Some(Ended::Closed(why));
    }
    if settles {
        *settled = true;
        count(&p.conn().shared.counts.settled);
        return Some(Ended::Settled);
    }
    (!was_logged_in && p.logged_in()).then_some(Ended::LoggedIn)
}

fn count(counter: &std::sync::atomic::AtomicU64) {
    counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
}

#[cold]
#[inline(never)]
fn flooding<P: Protocol>(conn: &Conn) {
    tracing::warn!(peer = conn.peer.id, login = %conn.peer.name(), protocol = P::NAME, "flooding");
    conn.peer.close(CloseReason::Flood, P::FLOODED);
}

/// Makes the socket's read timeout bound the next wait by `wanted`. Setting it is a system call,
/// and the reader of a busy client comes here for every request, so the timeout in force is kept
/// while it is neither more than 1/32 too long (the deadline is then missed by that much at
/// most) nor under half of what is wanted (a read that wakes early only goes round the loop).
fn refresh_read_timeout(
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

#[cfg(test)]
mod tests {
    use super::*;

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
