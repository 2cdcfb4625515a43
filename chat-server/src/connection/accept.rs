//! Accepting connections: each is counted in (limits per address and in all) and handed to a
//! thread for its first steps in its listener's protocol, or told why not and closed.

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use chat_core::protocol::CloseReason;

use super::{Handoff, Protocol, Security, serve};
use crate::shared::Shared;
use crate::threads::spares::Job;

/// Accepts connections speaking `P` (or handed to `H` by their first byte) on `listener`, with
/// `security`, until the server shuts down. Connection ids come from `next_id`, shared by every listener.
pub(crate) fn accept_loop<P: Protocol, H: Handoff>(
    listener: &TcpListener,
    shared: &Arc<Shared>,
    security: Security,
    next_id: &AtomicU64,
) {
    for stream in listener.incoming() {
        if shared.is_shutting_down() {
            break;
        }
        let stream = match stream {
            Ok(s) => s,
            Err(e) => {
                // Out of descriptors or memory: back off instead of spinning.
                tracing::warn!("accept failed: {e}");
                thread::sleep(Duration::from_millis(50));
                continue;
            }
        };
        let addr = match stream.peer_addr() {
            Ok(a) => a,
            Err(_) => continue,
        };
        let admission = match shared.admit(addr.ip()) {
            Ok(a) => a,
            Err(why) => {
                tracing::warn!(%addr, protocol = P::NAME, "connection refused: {why}");
                refuse::<P>(stream, why, security);
                continue;
            }
        };
        let id = next_id.fetch_add(1, Ordering::Relaxed);
        let accepted = Instant::now();
        let session_shared = Arc::clone(shared);
        let job: Job = Box::new(move |own_thread| {
            if own_thread {
                serve::<P, H, _>(
                    session_shared,
                    stream,
                    addr,
                    id,
                    accepted,
                    security,
                    admission,
                );
            } else {
                refuse::<P>(
                    stream,
                    "the server cannot take more clients now; try again later",
                    security,
                );
                drop(admission);
            }
        });
        if let Err(e) = shared.threads.handshakes.run(job) {
            tracing::warn!(%addr, "cannot start a client thread: {e}; connection refused");
        }
    }
}

/// Tells a refused connection why, in its protocol where it can be read before TLS, without
/// waiting for it, and closes it.
fn refuse<P: Protocol>(stream: TcpStream, why: &str, security: Security) {
    let goodbye = match security {
        Security::Tls => None,
        Security::AsConfigured | Security::Plain => {
            P::RENDER.goodbye(None, CloseReason::TooManyConnections, why)
        }
    };
    if let Some(frame) = goodbye
        && stream.set_nonblocking(true).is_ok()
    {
        let _ = (&stream).write(&frame);
    }
    let _ = stream.shutdown(std::net::Shutdown::Both);
}
