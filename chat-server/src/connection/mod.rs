//! One client connection, from accept to goodbye, whatever protocol it speaks: the one
//! connection driver. A protocol (`protocols::native`, `protocols::irc`) says how its bytes
//! become requests, what each request does and how its clients are written to
//! (`protocol::Protocol`); the driver does the rest, the same for all:
//!
//! - `accept` counts a connection in (limits per address and in all) and hands it to a
//!   first-steps thread, or tells it why not;
//! - `secure` sets up its transport within the handshake deadline (TLS, or plain);
//! - `reading` is the reader's loop: one deadline from accept to login (the TLS handshake
//!   included, time waiting for the password pool or the gate given back), the first-steps
//!   gate before login, keep-alives and the idle timeout after it, flood control, auto-away;
//! - here, the hand-overs: from the connection's first thread to a fresh reader at login, and to
//!   a normal-priority reader once the client settles in (see `threads::families`); and its
//!   last steps, on whichever thread read it last.
//!
//! Architecture Invariant: what a connection may do, and when it is dropped, does not depend on
//! its protocol; a protocol module holds only what its wire format makes different.

pub(crate) mod accept;
mod flood;
mod protocol;
mod reading;
mod secure;

use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Instant;

use chat_core::protocol::CloseReason;
use chat_core::transport::TransportReader;

pub(crate) use protocol::{Decoder, Handoff, NoHandoff, Protocol, Read, Step, Traits};
pub(crate) use secure::Security;

use crate::delivery::peer::Peer;
use crate::service::account;
use crate::service::conn::Conn;
use crate::shared::Shared;
use crate::threads::families::SETTLING;
use crate::threads::spares::{Job, Spares};
use reading::{Ended, Reading};

/// Serves one accepted connection in protocol `P` (or, when its first byte says so, hands it to
/// `H`) until it ends. Runs on the connection's first thread, which hands the connection to a
/// fresh reader thread once the client is logged in. `guard` is dropped when the connection
/// ends.
pub(crate) fn serve<P: Protocol, H: Handoff, G: Send + 'static>(
    shared: Arc<Shared>,
    stream: TcpStream,
    addr: SocketAddr,
    id: u64,
    accepted: Instant,
    security: Security,
    guard: G,
) {
    let deadline = accepted + shared.config.handshake_timeout;
    let _ = stream.set_nodelay(true);
    let _ = stream.set_write_timeout(Some(shared.config.write_timeout));
    // One descriptor per client, shared by the reader, the writer pool and whoever shuts it down.
    let Some(transport) = secure::secure(&shared, stream, addr, id, deadline, security, P::RENDER)
    else {
        return;
    };
    let mut stream = transport.reader(None);
    let (mut transport, mut deadline) = (transport, deadline);
    if H::WANTED {
        match first_byte(&shared, &mut stream, deadline) {
            Some(first) if H::claims(first) => {
                let handed = transport.clone();
                match H::serve(Arc::clone(&shared), handed, stream, addr, id, deadline) {
                    // A WebSocket carrying this protocol: from its opening on, the client has
                    // what any other has to log in.
                    Some((carrier, reader)) => {
                        (transport, stream) = (carrier, reader);
                        deadline = Instant::now() + shared.config.handshake_timeout;
                    }
                    None => {
                        drop(guard);
                        return;
                    }
                }
            }
            Some(_) => {}
            None => return,
        }
    }
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
        P::RENDER,
    );
    shared.register(&peer);
    tracing::info!(peer = id, %addr, tls = transport.is_tls(), websocket = transport.is_websocket(), protocol = P::NAME, "connected");
    let mut p = P::new(Conn::new(Arc::clone(&shared), Arc::clone(&peer)));
    let mut r = Reading::new(p.conn(), stream, deadline);
    let why = match reading::run(&mut p, &mut r) {
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
                r.settled = true;
                &shared.threads.readers
            };
            hand_over(family, Box::new((p, r)), guard);
            return;
        }
        Ended::Settled => "internal error: settled before login".to_owned(),
    };
    end::<P>(&shared, &peer, &why);
}

/// The connection's first byte, given back to the stream, by `deadline` (as the server's clock
/// reads it): `None` if the client closed, failed or said nothing in time.
fn first_byte(shared: &Shared, stream: &mut TransportReader, deadline: Instant) -> Option<u8> {
    let clock = &shared.config.clock;
    let deadline = clock.read(deadline);
    let mut first = [0u8; 1];
    loop {
        let left = clock.wait_for(deadline.saturating_duration_since(clock.now()));
        stream
            .set_read_timeout(Some(left.max(std::time::Duration::from_millis(1))))
            .ok()?;
        match std::io::Read::read(stream, &mut first) {
            Ok(1) => {
                stream.unread(&first);
                return Some(first[0]);
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) && clock.now() < deadline => {}
            _ => return None,
        }
    }
}

/// Moves a logged-in connection to a thread of `family`, which reads it from there on (and hands
/// it on again, to a normal-priority reader, when it settles in). Boxed, and kept boxed across
/// hand-overs, so the frames a reader waits in carry a pointer rather than copies of the
/// connection's state: those frames stay on the stack for the connection's life.
fn hand_over<P: Protocol, G: Send + 'static>(
    family: &Spares,
    mut state: Box<(P, Reading<P::Decoder>)>,
    guard: G,
) {
    let id = state.0.conn().peer.id;
    let job: Job = Box::new(move |own_thread| {
        let ended = {
            let (p, r) = &mut *state;
            if own_thread {
                reading::run(p, r)
            } else {
                p.conn().peer.close(
                    CloseReason::TooManyConnections,
                    "the server cannot take more clients now; try again later",
                );
                Ended::Closed("out of threads".to_owned())
            }
        };
        let shared = Arc::clone(&state.0.conn().shared);
        if let Ended::Settled = ended {
            hand_over(&shared.threads.readers, state, guard);
            return;
        }
        let peer = Arc::clone(&state.0.conn().peer);
        end::<P>(&shared, &peer, &ended.into_reason());
        drop(guard);
    });
    if let Err(e) = family.run(job) {
        tracing::warn!(peer = id, "cannot start a reader thread: {e}; dropped");
    }
}

/// A connection's last steps, on whichever thread read it last: the user leaves the chat, the
/// connection leaves the table, and the writers send what is left and shut the socket. Out of
/// line, like the other rare paths of the reader, to keep the frames an idle reader waits in
/// small.
#[inline(never)]
fn end<P: Protocol>(shared: &Shared, peer: &Arc<Peer>, why: &str) {
    account::leave(shared, peer);
    shared.unregister(peer);
    peer.finish();
    tracing::info!(peer = peer.id, addr = %peer.addr, login = %peer.name(), protocol = P::NAME, "disconnected: {why}");
}
