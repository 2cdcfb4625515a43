//! The first bytes of a connection: plain or TLS, and the TLS handshake, all within the
//! connection's handshake deadline.
//!
//! A client that speaks the other transport (TLS to a plain server, plain to a TLS server) is
//! told, where it can understand, and closed.

use std::io::Write;
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Instant;

use chat_core::protocol::{CloseReason, ServerMessage};
use chat_core::transport::Transport;

use crate::protocols::native::wire;
use crate::shared::Shared;

/// The first byte of a TLS handshake record.
const TLS_HANDSHAKE_RECORD: u8 = 0x16;

/// Sets up the transport the server is configured for, by `deadline`.
pub(super) fn secure(
    shared: &Shared,
    stream: TcpStream,
    addr: SocketAddr,
    id: u64,
    deadline: Instant,
) -> Option<Transport> {
    let left = deadline.saturating_duration_since(Instant::now());
    let _ = stream.set_read_timeout(Some(left.max(std::time::Duration::from_millis(1))));
    let mut first = [0u8; 1];
    let peeked = match stream.peek(&mut first) {
        Ok(1) => first[0],
        Ok(_) => return None,
        Err(e) => {
            tracing::debug!(peer = id, %addr, "no first byte: {e}");
            if shared.tls.is_none() {
                say_goodbye(
                    &stream,
                    CloseReason::HandshakeTimeout,
                    "hello and login were not completed in time",
                );
            }
            let _ = stream.shutdown(Shutdown::Both);
            return None;
        }
    };
    let Some(tls) = &shared.tls else {
        if peeked == TLS_HANDSHAKE_RECORD {
            tracing::info!(peer = id, %addr, "a TLS client reached this plain-TCP server; closed");
            return None;
        }
        return Some(Transport::plain(stream));
    };
    if peeked != TLS_HANDSHAKE_RECORD {
        // Our frames start with a length below 16 MiB, so a plain client's first byte is 0: it
        // can read a plain goodbye.
        tracing::info!(peer = id, %addr, "a plain client reached this TLS server; closed");
        say_goodbye(
            &stream,
            CloseReason::ProtocolError,
            "this server requires TLS: connect with encryption turned on",
        );
        let _ = stream.shutdown(Shutdown::Both);
        return None;
    }
    let conn = match rustls::ServerConnection::new(Arc::clone(&tls.config)) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(peer = id, "TLS setup failed: {e}");
            return None;
        }
    };
    match Transport::tls_until(stream, conn, deadline) {
        Ok(t) => {
            // The write timeout stands for the writer pool's blocking fall-backs.
            let _ = t
                .socket()
                .set_write_timeout(Some(shared.config.write_timeout));
            Some(t)
        }
        Err(e) => {
            // The socket went with the failed handshake and is closed.
            tracing::info!(peer = id, %addr, "TLS handshake failed: {e}");
            None
        }
    }
}

fn say_goodbye(stream: &TcpStream, reason: CloseReason, message: &str) {
    if let Some(frame) = wire::event(ServerMessage::Goodbye {
        reason,
        message: message.into(),
    }) {
        let mut stream = stream;
        let _ = stream.write_all(&frame);
    }
}
