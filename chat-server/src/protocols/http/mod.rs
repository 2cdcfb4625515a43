//! HTTP on the chat's own port (a classroom server needs one open port): the native port hands
//! a connection here when its first byte is a letter (an HTTP method) rather than the zero byte
//! that starts every native frame; TLS, when on, is already undone. What is served: shared
//! files (`files`: resumable uploads, downloads with ranges), and the web client (`web`: its
//! page and files, and the WebSocket that carries its chat connection back to the driver).
//!
//! One request at a time per connection, kept alive between requests; each has deadlines of
//! its own, and a request's head and bodies are bounded before anything is allocated for them.

mod files;
mod pace;
mod request;
mod response;
pub(crate) mod web;

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chat_core::transport::{Transport, TransportReader};

use crate::connection::Handoff;
use crate::shared::Shared;
use request::{Head, ReadHead};
use response::Response;
use web::Upgrade;

/// Longest a kept-alive connection waits for its next request.
const IDLE: Duration = Duration::from_secs(30);
/// Longest a closing connection reads and drops what its client still sends.
const LINGER: Duration = Duration::from_secs(2);
/// Most bytes read and dropped while closing.
const LINGER_MAX_BYTES: usize = 4 * 1024 * 1024;
/// Longest a request's head may take to arrive once it began.
const HEAD_DEADLINE: Duration = Duration::from_secs(10);

/// The native port's HTTP side.
#[derive(Debug)]
pub(crate) struct Http;

impl Handoff for Http {
    const WANTED: bool = true;

    fn claims(first: u8) -> bool {
        first.is_ascii_uppercase()
    }

    fn serve(
        shared: Arc<Shared>,
        transport: Transport,
        mut stream: TransportReader,
        addr: SocketAddr,
        id: u64,
        deadline: Instant,
    ) -> Option<(Transport, TransportReader)> {
        let mut out = transport.writer();
        let socket = transport.socket();
        let _ = socket.set_write_timeout(Some(shared.config.write_timeout));
        let mut first = true;
        loop {
            if shared.is_shutting_down() {
                break;
            }
            let wait = if first {
                deadline.saturating_duration_since(Instant::now())
            } else {
                IDLE
            };
            first = false;
            let stopping = || shared.is_shutting_down();
            let head = match request::read_head(&mut stream, wait, HEAD_DEADLINE, &stopping) {
                ReadHead::Head(head) => head,
                ReadHead::Closed => break,
                ReadHead::Bad(why) => {
                    let _ = Response::error(400, "bad_request", None, &why)
                        .closing()
                        .send(&mut out);
                    break;
                }
            };
            // The path without its query: a link's signature is as good as a password.
            let path = head.path.split('?').next().unwrap_or_default();
            tracing::debug!(peer = id, %addr, method = %head.method, path, "http");
            if head.path.split('?').next() == Some("/ws") {
                match web::upgrade(&head) {
                    Upgrade::Accept(answer) => {
                        if answer.send(&mut out).is_err() {
                            break;
                        }
                        tracing::debug!(peer = id, %addr, "WebSocket opened");
                        // The reader's WebSocket is the writers': pongs and closes it
                        // queues go out with the next bytes.
                        let stream = stream.into_websocket();
                        return Some((stream.transport().clone(), stream));
                    }
                    Upgrade::Refuse(answer) => {
                        let _ = answer.send(&mut out);
                        break;
                    }
                }
            }
            let keep = route(&shared, &head, &mut stream, &mut out);
            if !keep || head.closes() {
                break;
            }
        }
        let _ = out.close_notify();
        linger(&transport, &mut stream);
        None
    }
}

/// Closes a connection whose client may still be sending (a body not read): the writing side
/// first, then what still comes is read and dropped for a moment, so the client reads the last
/// answer before the connection goes (closing with unread bytes would reset it, and the answer
/// could be lost).
fn linger(transport: &Transport, stream: &mut TransportReader) {
    transport.shutdown(std::net::Shutdown::Write);
    let until = Instant::now() + LINGER;
    let mut sink = [0u8; 16 * 1024];
    let mut dropped = 0usize;
    while dropped < LINGER_MAX_BYTES {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
            break;
        }
        match std::io::Read::read(stream, &mut sink) {
            Ok(0) | Err(_) => break,
            Ok(n) => dropped += n,
        }
    }
    transport.shutdown(std::net::Shutdown::Both);
}

/// Answers one request; whether the connection may serve another.
fn route(
    shared: &Shared,
    head: &Head,
    body: &mut TransportReader,
    out: &mut chat_core::transport::TransportWriter,
) -> bool {
    let path = head.path.split('?').next().unwrap_or_default();
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let response = match (head.method.as_str(), parts.as_slice()) {
        (_, ["uploads", ..] | ["files", ..]) => {
            // A client that waits to be asked for its body (curl does, over 1 MiB) is asked
            // at once rather than after its own timeout.
            let waits = head
                .header("expect")
                .is_some_and(|e| e.eq_ignore_ascii_case("100-continue"));
            if waits && head.content_length().is_some_and(|n| n > 0) {
                let asked = out
                    .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
                    .and_then(|()| out.flush());
                if asked.is_err() {
                    return false;
                }
            }
            files::route(shared, head, &parts, body)
        }
        ("GET" | "HEAD", [name]) if shared.web.is_some() => shared
            .web
            .as_ref()
            .and_then(|web| web.serve(head, name))
            .unwrap_or_else(|| Response::error(404, "not_found", None, "nothing here")),
        ("GET" | "HEAD", [""]) => Response::text(
            200,
            "This is a chat server: connect with the chat client (or any client of its \
             protocol) to this address. The web client is not installed here (see the \
             server's web_dir).\n",
        ),
        _ => Response::error(404, "not_found", None, "nothing here"),
    };
    let response = if head.method == "HEAD" {
        response.without_body()
    } else {
        response
    };
    let keep = response.keeps_alive();
    response
        .send_paced(out, pace::Pace::new(&shared.config))
        .is_ok()
        && keep
}
