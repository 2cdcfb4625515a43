//! The first bytes of a connection: plain or TLS, and the TLS handshake, all within the
//! connection's handshake deadline.
//!
//! A client that speaks the other transport (TLS to a plain port, plain to a TLS one) is told,
//! where it can understand, and closed.

use std::io::{self, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chat_core::protocol::CloseReason;
use chat_core::transport::Transport;

use crate::delivery::peer::Render;
use crate::shared::Shared;

/// The first byte of a TLS handshake record.
const TLS_HANDSHAKE_RECORD: u8 = 0x16;

/// What plain HTTP on a TLS port is told.
const PLAIN_HTTP_WORDS: &str = "This server speaks HTTPS: use https:// with the same address.\n";

/// What a listener's connections must use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Security {
    /// TLS when the server has a certificate, else plain; a client using the other one is told
    /// and closed (the native port).
    AsConfigured,
    /// Plain text (an IRC port).
    Plain,
    /// TLS (an IRC TLS port).
    Tls,
}

/// Sets up the transport `security` asks for, by `deadline`. `render` writes the goodbye of a
/// client that came with the wrong one.
pub(super) fn secure(
    shared: &Shared,
    stream: TcpStream,
    addr: SocketAddr,
    id: u64,
    deadline: Instant,
    security: Security,
    render: &dyn Render,
) -> Option<Transport> {
    let tls = match security {
        Security::Plain => return Some(Transport::plain(stream)),
        Security::Tls => {
            let Some(tls) = &shared.tls else {
                tracing::error!(peer = id, "a TLS port without a certificate");
                return None;
            };
            tls
        }
        Security::AsConfigured => {
            let peeked = match first_byte(shared, &stream, deadline) {
                Ok(Some(byte)) => byte,
                Ok(None) => return None,
                Err(e) => {
                    tracing::debug!(peer = id, %addr, "no first byte: {e}");
                    if shared.tls.is_none() {
                        say_goodbye(
                            &stream,
                            render,
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
            if peeked.is_ascii_alphabetic() {
                // Plain HTTP (a browser sent to http:// instead of https://): told in HTTP.
                tracing::info!(peer = id, %addr, "plain HTTP reached this TLS server; closed");
                // Written here: the connection has no protocol yet to answer in.
                let answer = format!(
                    "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n\
                     Content-Length: {}\r\nConnection: close\r\n\r\n{PLAIN_HTTP_WORDS}",
                    PLAIN_HTTP_WORDS.len()
                );
                let _ = (&stream).write_all(answer.as_bytes());
                let _ = stream.shutdown(Shutdown::Both);
                return None;
            }
            if peeked != TLS_HANDSHAKE_RECORD {
                // Native frames start with a length below 16 MiB, so a plain client's first
                // byte is 0: it can read a plain goodbye.
                tracing::info!(peer = id, %addr, "a plain client reached this TLS server; closed");
                say_goodbye(
                    &stream,
                    render,
                    CloseReason::ProtocolError,
                    "this server requires TLS: connect with encryption turned on",
                );
                let _ = stream.shutdown(Shutdown::Both);
                return None;
            }
            tls
        }
    };
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

/// The connection's first byte, left in the socket, by `deadline` (as the server's clock reads
/// it; the real clock's instant). `None` if the client closed first.
fn first_byte(shared: &Shared, stream: &TcpStream, deadline: Instant) -> io::Result<Option<u8>> {
    let clock = &shared.config.clock;
    let deadline = clock.read(deadline);
    let mut first = [0u8; 1];
    loop {
        let left = clock.wait_for(deadline.saturating_duration_since(clock.now()));
        stream.set_read_timeout(Some(left.max(Duration::from_millis(1))))?;
        match stream.peek(&mut first) {
            Ok(1) => return Ok(Some(first[0])),
            Ok(_) => return Ok(None),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) && clock.now() < deadline => {}
            Err(e) => return Err(e),
        }
    }
}

fn say_goodbye(stream: &TcpStream, render: &dyn Render, reason: CloseReason, message: &str) {
    if let Some(frame) = render.goodbye(None, reason, message) {
        let mut stream = stream;
        let _ = stream.write_all(&frame);
    }
}
