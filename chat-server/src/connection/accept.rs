//! Accepting connections: each is counted in (limits per address and in all) and handed to a
//! thread for its first steps in its listener's protocol, or told why not and closed.

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use chat_core::protocol::{CloseReason, ServerMessage};

use crate::connection;
use crate::connection::spares::Job;
use crate::protocols::native::wire;
use crate::shared::Shared;

/// What a listener's connections speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Listening {
    /// The native protocol (TLS or plain as configured).
    Native,
    /// IRC, plain or TLS.
    Irc { tls: bool },
}

/// Accepts connections on `listener` until the server shuts down.
pub(crate) fn accept_loop(
    listener: &TcpListener,
    shared: &Arc<Shared>,
    kind: Listening,
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
                tracing::warn!(%addr, "connection refused: {why}");
                refuse(stream, why, kind);
                continue;
            }
        };
        let id = next_id.fetch_add(1, Ordering::Relaxed);
        let accepted = Instant::now();
        let session_shared = Arc::clone(shared);
        let job: Job = Box::new(move |own_thread| match (own_thread, kind) {
            (true, Listening::Native) => {
                connection::serve(session_shared, stream, addr, id, accepted, admission);
            }
            (true, Listening::Irc { tls }) => {
                crate::protocols::irc::serve(
                    session_shared,
                    stream,
                    addr,
                    id,
                    accepted,
                    tls,
                    admission,
                );
            }
            (false, _) => {
                refuse(
                    stream,
                    "the server cannot take more clients now; try again later",
                    kind,
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
fn refuse(stream: TcpStream, why: &str, kind: Listening) {
    let goodbye = match kind {
        Listening::Native => wire::event(ServerMessage::Goodbye {
            reason: CloseReason::TooManyConnections,
            message: why.to_owned(),
        }),
        Listening::Irc { tls: false } => {
            let line = chat_core::irc::Line::new("ERROR", &[&format!("Closing link: {why}")]);
            Some(crate::delivery::outbox::Frame::from(
                chat_core::irc::to_string(&line).into_bytes(),
            ))
        }
        Listening::Irc { tls: true } => None,
    };
    if let Some(frame) = goodbye
        && stream.set_nonblocking(true).is_ok()
    {
        let _ = (&stream).write(&frame);
    }
    let _ = stream.shutdown(std::net::Shutdown::Both);
}
