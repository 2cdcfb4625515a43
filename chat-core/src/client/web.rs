//! The connection in a browser: the page's WebSocket ([`PageSocket`]) carries the same frames, and
//! the steps the native threads take in a row (hello, clock synchronisation, then frames) are
//! taken one WebSocket event at a time.
//!
//! There are no threads: the WebSocket's callback handles each event the moment it arrives
//! (deframes the bytes, moves the handshake on, answers keep-alives), queues what the
//! application is to see and calls the waker (the UI's `request_repaint`); the UI's frame takes
//! the queue with [`Connection::try_events`]. So a clock sample's reply is timed when it
//! arrives, not at the next frame, and the samples follow one another at the network's pace:
//! the synchronisation's error is the network's, not the page's frame rate. The server's message
//! boundaries mean nothing (docs/PROTOCOL.md, "The web"): bytes are joined and frames read from
//! them as from a socket.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{self, Read};
use std::net::SocketAddr;
use std::rc::Rc;

use web_time::Instant;

use super::page_socket::{PageSocket, SocketEvent};
use super::{ClientOptions, Disconnect, Event, Session, TlsInfo};
use crate::clock::{ClockSample, ClockSync};
use crate::frame::{self, FrameReader};
use crate::limits::{CLOCK_SYNC_SAMPLES, PROTOCOL_VERSION};
use crate::protocol::{ClientFrame, ErrorCode, Request, ServerFrame, ServerMessage};
use crate::tls::Trust;

/// Keep-alive pings whose `pong` is awaited, at most (as natively).
const KEEPALIVES_REMEMBERED: usize = 16;

/// A connection to a chat server over the page's WebSocket. Dropping it closes the connection.
pub struct Connection {
    /// Shared with the WebSocket's callback, which holds it weakly: a page runs one thing at a
    /// time, so the callback and the UI never hold it at once.
    inner: Rc<RefCell<Inner>>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection").finish_non_exhaustive()
    }
}

/// Where the handshake stands.
enum Stage {
    /// Waiting for the WebSocket to open.
    Opening,
    /// Hello sent with this id.
    Hello { id: u32 },
    /// Welcomed; clock request `id` sent at `sent_us`.
    Clock {
        server: String,
        default_room: String,
        id: u32,
        sent_us: i64,
        samples: Vec<ClockSample>,
    },
    /// Requests flow.
    Open,
    /// Over: nothing more is read or sent.
    Closed,
}

struct Inner {
    options: ClientOptions,
    /// Whether the WebSocket is `wss:` (TLS, checked by the browser).
    secure: bool,
    /// The page's server, `host:port`, as the WebSocket's address names it.
    host: String,
    sender: Option<PageSocket>,
    /// A socket closed from inside its own callback, dropped on the UI's next frame (see
    /// [`PageSocket`]).
    retired: Option<PageSocket>,
    stage: Stage,
    started: Instant,
    next_id: u32,
    /// Requests sent before the handshake ended; they go out right after it.
    queued: Vec<ClientFrame>,
    /// Bytes received and not yet read as frames.
    bytes: Joined,
    frames: FrameReader,
    keepalives: VecDeque<u32>,
    goodbye: Option<Disconnect>,
    /// Events to hand out on the next `try_events`.
    ready: Vec<Event>,
}

/// The binary messages received, joined into one stream; reading past the end is
/// `WouldBlock` (more may come), which [`FrameReader`] treats as a pause, keeping a partial frame.
#[derive(Default)]
struct Joined(VecDeque<u8>);

impl Read for Joined {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.0.is_empty() {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        self.0.read(buf)
    }
}

/// Opens a WebSocket to `url` (`wss://host:port/ws`) and says hello once it is open. Never
/// blocks.
pub fn connect(url: &str, options: ClientOptions) -> Connection {
    let waker = options.waker.clone();
    let inner = Rc::new(RefCell::new(Inner {
        options,
        secure: url.starts_with("wss:"),
        host: url
            .split("://")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .unwrap_or_default()
            .to_owned(),
        sender: None,
        retired: None,
        stage: Stage::Opening,
        started: Instant::now(),
        next_id: 1,
        queued: Vec::new(),
        bytes: Joined::default(),
        frames: FrameReader::new(),
        keepalives: VecDeque::new(),
        goodbye: None,
        ready: Vec::new(),
    }));
    // The socket's callback holds the connection weakly: dropping the connection ends it.
    let shared = Rc::downgrade(&inner);
    let on_event = move |event: SocketEvent| {
        let Some(inner) = shared.upgrade() else {
            return;
        };
        inner.borrow_mut().on_socket(event);
        if let Some(wake) = &waker {
            wake();
        }
    };
    match PageSocket::open(url, on_event) {
        Ok(socket) => inner.borrow_mut().sender = Some(socket),
        Err(e) => inner.borrow_mut().end(Disconnect::Unresolved(e)),
    }
    Connection { inner }
}

impl Connection {
    /// Queues a request and returns its id (the `re` of its reply). Requests sent before
    /// [`Event::Connected`] go out right after the handshake.
    pub fn send(&self, request: Request) -> u32 {
        let mut inner = self.inner.borrow_mut();
        let id = inner.take_id();
        let frame = ClientFrame { id, request };
        match inner.stage {
            Stage::Open => inner.write(&frame),
            Stage::Closed => {}
            _ => inner.queued.push(frame),
        }
        id
    }

    /// Closes the connection; [`Event::Disconnected`] follows.
    pub fn close(&self) {
        self.inner.borrow_mut().end(Disconnect::ClosedByClient);
    }

    /// The events since the last call, in order (the WebSocket's callback has already read
    /// them and moved the handshake on). Ends after [`Event::Disconnected`].
    pub fn try_events(&self) -> Vec<Event> {
        let mut inner = self.inner.borrow_mut();
        inner.retired = None;
        let handshaking = !matches!(inner.stage, Stage::Open | Stage::Closed);
        if handshaking && inner.started.elapsed() > inner.options.timeout {
            inner.end(Disconnect::TimedOut);
        }
        std::mem::take(&mut inner.ready)
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.close();
    }
}

impl Inner {
    fn take_id(&mut self) -> u32 {
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1).max(1);
        id
    }

    fn emit(&mut self, event: Event) {
        self.ready.push(event);
    }

    /// Ends the connection once, saying why; later events of the socket are ignored.
    fn end(&mut self, why: Disconnect) {
        if matches!(self.stage, Stage::Closed) {
            return;
        }
        self.stage = Stage::Closed;
        if let Some(socket) = self.sender.take() {
            socket.close();
            self.retired = Some(socket);
        }
        self.queued.clear();
        self.emit(Event::Disconnected(why));
    }

    fn write(&mut self, frame: &ClientFrame) {
        match frame::encode(frame) {
            Ok(bytes) => {
                if let Some(socket) = &self.sender {
                    socket.send(&bytes);
                }
            }
            Err(e) => tracing::warn!("request {} not sent: {e}", frame.id),
        }
    }

    fn request(&mut self, request: Request) -> u32 {
        let id = self.take_id();
        self.write(&ClientFrame { id, request });
        id
    }

    fn on_socket(&mut self, event: SocketEvent) {
        if matches!(self.stage, Stage::Closed) {
            return;
        }
        match event {
            SocketEvent::Opened => {
                let hello = Request::Hello {
                    version: PROTOCOL_VERSION,
                    client: self.options.client_name.clone(),
                };
                let id = self.request(hello);
                self.stage = Stage::Hello { id };
            }
            SocketEvent::Binary(bytes) => {
                self.bytes.0.extend(bytes);
                self.read_frames();
            }
            SocketEvent::Text => {
                self.end(Disconnect::Lost(
                    "the server sent a message that is not binary".into(),
                ));
            }
            SocketEvent::Error => {
                let why = if matches!(self.stage, Stage::Opening) {
                    // The browser tells a page nothing more (a refusal, a certificate it does
                    // not trust and a wrong address all look the same).
                    tracing::warn!("WebSocket failed to open");
                    Disconnect::Refused
                } else {
                    self.goodbye
                        .take()
                        .unwrap_or_else(|| Disconnect::Lost("the WebSocket failed".into()))
                };
                self.end(why);
            }
            SocketEvent::Closed(code) => {
                let why = self.goodbye.take().unwrap_or_else(|| {
                    if matches!(self.stage, Stage::Opening) {
                        Disconnect::Refused
                    } else {
                        Disconnect::Lost(format!("the server closed the connection ({code})"))
                    }
                });
                self.end(why);
            }
        }
    }

    fn read_frames(&mut self) {
        loop {
            let decoded = match self.frames.read_frame(&mut self.bytes) {
                Ok(Some(body)) => frame::decode::<ServerFrame>(body),
                Ok(None) => return,
                Err(e) if e.is_timeout() => return,
                Err(e) => return self.end(Disconnect::Lost(e.to_string())),
            };
            match decoded {
                Ok(frame) => self.on_frame(frame),
                Err(e) => return self.end(Disconnect::Lost(e.to_string())),
            }
            if matches!(self.stage, Stage::Closed) {
                return;
            }
        }
    }

    fn on_frame(&mut self, frame: ServerFrame) {
        if let ServerMessage::Goodbye { reason, message } = &frame.message {
            let why = Disconnect::ServerClosed {
                reason: *reason,
                message: message.clone(),
            };
            if !matches!(self.stage, Stage::Open) {
                return self.end(why);
            }
            self.goodbye = Some(why);
        }
        match std::mem::replace(&mut self.stage, Stage::Opening) {
            Stage::Hello { id } if frame.re == Some(id) => self.welcomed(frame.message),
            Stage::Clock {
                server,
                default_room,
                id,
                sent_us,
                mut samples,
            } if frame.re == Some(id) => {
                let received_us = self.options.clock.now_us();
                let ServerMessage::Clock { server_time_us } = frame.message else {
                    return self.end(unexpected(&frame.message));
                };
                samples.push(ClockSample {
                    sent_us,
                    server_us: server_time_us,
                    received_us,
                });
                self.clock_sample(server, default_room, samples);
            }
            Stage::Open => {
                self.stage = Stage::Open;
                self.on_open_frame(frame);
            }
            // Anything else before the handshake's answer (an event, another reply) is not for
            // the application yet.
            other => self.stage = other,
        }
    }

    fn welcomed(&mut self, message: ServerMessage) {
        match message {
            ServerMessage::Welcome {
                server,
                default_room,
                ..
            } => self.clock_sample(server, default_room, Vec::new()),
            ServerMessage::Error {
                code: ErrorCode::VersionMismatch,
                message,
                ..
            } => self.end(Disconnect::VersionMismatch(message)),
            other => self.end(unexpected(&other)),
        }
    }

    /// Asks the next clock sample, or, with all of them, says the connection is up.
    fn clock_sample(&mut self, server: String, default_room: String, samples: Vec<ClockSample>) {
        if samples.len() < CLOCK_SYNC_SAMPLES {
            let sent_us = self.options.clock.now_us();
            let id = self.request(Request::Clock);
            self.stage = Stage::Clock {
                server,
                default_room,
                id,
                sent_us,
                samples,
            };
            return;
        }
        let Some(clock) = ClockSync::from_samples(self.options.clock.clone(), &samples) else {
            return self.end(Disconnect::Lost("no clock samples".into()));
        };
        self.stage = Stage::Open;
        self.emit(Event::Connected(Session {
            // A page is not told the address its WebSocket reached.
            addr: SocketAddr::from(([0, 0, 0, 0], 0)),
            host: self.host.clone(),
            server,
            default_room,
            clock,
            // Over `wss:` the browser checked the certificate, which the page cannot see.
            tls: self.secure.then(|| TlsInfo {
                fingerprint: String::new(),
                trust: Trust::Browser,
            }),
        }));
        for frame in std::mem::take(&mut self.queued) {
            self.write(&frame);
        }
    }

    fn on_open_frame(&mut self, frame: ServerFrame) {
        match frame {
            ServerFrame {
                message: ServerMessage::Ping,
                ..
            } => {
                let id = self.request(Request::Ping);
                self.keepalives.push_back(id);
                if self.keepalives.len() > KEEPALIVES_REMEMBERED {
                    self.keepalives.pop_front();
                }
            }
            ServerFrame {
                re: Some(re),
                message: ServerMessage::Pong,
                ..
            } if self.keepalives.contains(&re) => {
                self.keepalives.retain(|k| *k != re);
            }
            frame => self.emit(Event::Frame(frame)),
        }
    }
}

fn unexpected(message: &ServerMessage) -> Disconnect {
    match message {
        ServerMessage::Error { message, .. } => Disconnect::Lost(message.clone()),
        other => Disconnect::Lost(format!("unexpected reply {other:?}")),
    }
}
