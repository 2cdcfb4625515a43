//! The connection on a desktop or server: two threads own the socket (TCP, TLS when asked).

use std::fmt;
use std::io::{self, Write};
use std::net::{Shutdown, SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::thread;

use crossbeam_channel::{Receiver, Sender, unbounded};

use super::{ClientOptions, Disconnect, Event, Session, TlsInfo, servers};
use crate::clock::{ClockSample, ClockSync};
use crate::error::Error;
use crate::frame::{self, FrameReader};
use crate::limits::{CLOCK_SYNC_SAMPLES, PROTOCOL_VERSION};
use crate::protocol::{ClientFrame, ErrorCode, Request, ServerFrame, ServerMessage};
use crate::tls::{ClientTls, Trust, Verdict};
use crate::transport::{FlushHint, Transport, TransportReader, TransportWriter};

/// What the writer thread is asked to do.
enum Outgoing {
    Frame(ClientFrame),
    /// TLS has bytes of its own to send.
    Flush,
    Close,
}

/// A connection to a chat server. Dropping it closes the connection.
#[derive(Debug)]
pub struct Connection {
    outgoing: Sender<Outgoing>,
    events: Receiver<Event>,
    next_id: Arc<AtomicU32>,
}

impl fmt::Debug for Outgoing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outgoing::Frame(frame) => write!(f, "Frame({})", frame.id),
            Outgoing::Flush => f.write_str("Flush"),
            Outgoing::Close => f.write_str("Close"),
        }
    }
}

impl Connection {
    /// Queues a request and returns its id (the `re` of its reply). Requests sent before
    /// [`Event::Connected`] go out right after the handshake.
    pub fn send(&self, request: Request) -> u32 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        // A closed writer means the connection is over; the Disconnected event says why.
        let _ = self
            .outgoing
            .send(Outgoing::Frame(ClientFrame { id, request }));
        id
    }

    /// Closes the connection; [`Event::Disconnected`] follows.
    pub fn close(&self) {
        let _ = self.outgoing.send(Outgoing::Close);
    }

    /// The events, in order. Ends after [`Event::Disconnected`].
    pub fn events(&self) -> &Receiver<Event> {
        &self.events
    }

    /// The events that arrived since the last call, without waiting.
    pub fn try_events(&self) -> Vec<Event> {
        self.events.try_iter().collect()
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.close();
    }
}

/// Connects to `addr` (`host:port`) in the background. Never blocks.
pub fn connect(addr: &str, options: ClientOptions) -> Connection {
    let (out_tx, out_rx) = unbounded();
    let (ev_tx, ev_rx) = unbounded();
    let next_id = Arc::new(AtomicU32::new(1));
    let worker = Worker {
        addr: addr.to_owned(),
        options,
        events: ev_tx,
        next_id: Arc::clone(&next_id),
        keepalive: out_tx.clone(),
    };
    let spawned = thread::Builder::new()
        .name("chat-client".into())
        .spawn(move || worker.run(out_rx));
    if let Err(e) = spawned {
        // The worker (and its event sender) was consumed by the failed spawn; report through a
        // fresh channel so the caller still sees why.
        let (tx, rx) = unbounded();
        let _ = tx.send(Event::Disconnected(Disconnect::Lost(format!(
            "cannot start a thread: {e}"
        ))));
        return Connection {
            outgoing: out_tx,
            events: rx,
            next_id,
        };
    }
    Connection {
        outgoing: out_tx,
        events: ev_rx,
        next_id,
    }
}

struct Worker {
    addr: String,
    options: ClientOptions,
    events: Sender<Event>,
    next_id: Arc<AtomicU32>,
    /// For answering the server's keep-alive pings from the reader thread.
    keepalive: Sender<Outgoing>,
}

impl Worker {
    fn emit(&self, event: Event) {
        let _ = self.events.send(event);
        if let Some(wake) = &self.options.waker {
            wake();
        }
    }

    fn run(self, outgoing: Receiver<Outgoing>) {
        let (transport, session) = match self.handshake() {
            Ok(ok) => ok,
            Err(reason) => return self.emit(Event::Disconnected(reason)),
        };
        let closing = Arc::new(AtomicBool::new(false));
        let writer = transport.writer();
        let writer_closing = Arc::clone(&closing);
        let writer_transport = transport.clone();
        let spawned = thread::Builder::new()
            .name("chat-client-writer".into())
            .spawn(move || write_loop(writer, &writer_transport, outgoing, &writer_closing));
        if let Err(e) = spawned {
            return self.emit(Event::Disconnected(Disconnect::Lost(e.to_string())));
        }
        self.emit(Event::Connected(session));
        let reason = self.read_loop(&transport, &closing);
        self.emit(Event::Disconnected(reason));
    }

    /// Connects to the first server of the list that answers (`host:port`, or several separated
    /// by commas: the nodes of a cluster, tried in turn), sets up TLS if asked, says hello and
    /// synchronises the clock.
    fn handshake(&self) -> Result<(Transport, Session), Disconnect> {
        let mut last = Disconnect::Unresolved(format!("{} has no address", self.addr));
        for server in servers(&self.addr) {
            match self.handshake_with(server) {
                Ok(done) => return Ok(done),
                // Another node may answer; anything else (a changed certificate, another
                // protocol version) is for the user to see.
                Err(
                    e @ (Disconnect::Unresolved(_)
                    | Disconnect::Refused
                    | Disconnect::TimedOut
                    | Disconnect::Lost(_)),
                ) => {
                    last = e;
                }
                Err(e) => return Err(e),
            }
        }
        Err(last)
    }

    fn handshake_with(&self, server: &str) -> Result<(Transport, Session), Disconnect> {
        let host = server;
        let timeout = self.options.timeout;
        let addrs: Vec<SocketAddr> = server
            .to_socket_addrs()
            .map_err(|e| Disconnect::Unresolved(e.to_string()))?
            .collect();
        let mut last = Disconnect::Unresolved(format!("{server} has no address"));
        let mut connected = None;
        for addr in addrs {
            match TcpStream::connect_timeout(&addr, timeout) {
                Ok(s) => {
                    connected = Some((s, addr));
                    break;
                }
                Err(e) => last = classify(&e),
            }
        }
        let (stream, addr) = connected.ok_or(last)?;
        let setup = stream
            .set_nodelay(true)
            .and_then(|()| stream.set_read_timeout(Some(timeout)))
            .and_then(|()| stream.set_write_timeout(Some(timeout)));
        setup.map_err(|e| classify(&e))?;
        let (transport, tls) = match &self.options.tls {
            None => (Transport::plain(stream), None),
            Some(tls) => secure(stream, tls, server)?,
        };
        let mut reader = transport.reader(None);
        let mut writer = transport.writer();
        let mut frames = FrameReader::new();

        let hello = Request::Hello {
            version: PROTOCOL_VERSION,
            client: self.options.client_name.clone(),
        };
        let (server, default_room) =
            match self.exchange(&mut writer, &mut reader, &mut frames, hello)? {
                ServerMessage::Welcome {
                    server,
                    default_room,
                    ..
                } => (server, default_room),
                ServerMessage::Error {
                    code: ErrorCode::VersionMismatch,
                    message,
                    ..
                } => {
                    return Err(Disconnect::VersionMismatch(message));
                }
                other => return Err(unexpected(&other)),
            };

        let clock = Arc::clone(&self.options.clock);
        let mut samples = Vec::with_capacity(CLOCK_SYNC_SAMPLES);
        for _ in 0..CLOCK_SYNC_SAMPLES {
            let sent_us = clock.now_us();
            let reply = self.exchange(&mut writer, &mut reader, &mut frames, Request::Clock)?;
            let received_us = clock.now_us();
            match reply {
                ServerMessage::Clock { server_time_us } => samples.push(ClockSample {
                    sent_us,
                    server_us: server_time_us,
                    received_us,
                }),
                other => return Err(unexpected(&other)),
            }
        }
        let clock = ClockSync::from_samples(clock, &samples)
            .ok_or_else(|| Disconnect::Lost("no clock samples".into()))?;
        transport
            .socket()
            .set_read_timeout(None)
            .map_err(|e| classify(&e))?;
        Ok((
            transport,
            Session {
                addr,
                host: host.to_owned(),
                server,
                default_room,
                clock,
                tls,
            },
        ))
    }
}

/// Keep-alive pings whose `pong` is awaited, at most (older ones are forgotten: their answer,
/// if it comes, goes to the application, which ignores an unknown `re`).
const KEEPALIVES_REMEMBERED: usize = 16;

/// The TLS handshake with `server`, and the pin bookkeeping around it (each server of a list
/// has its own certificate, pinned on first use).
pub(crate) fn secure(
    stream: TcpStream,
    tls: &ClientTls,
    server: &str,
) -> Result<(Transport, Option<TlsInfo>), Disconnect> {
    let tls_error = |e: io::Error| Disconnect::Tls(e.to_string());
    let (config, verdict) = crate::tls::client_config(tls, server).map_err(tls_error)?;
    let name = crate::tls::server_name(server).map_err(tls_error)?;
    let conn =
        rustls::ClientConnection::new(config, name).map_err(|e| Disconnect::Tls(e.to_string()))?;
    let result = Transport::tls(stream, conn);
    let verdict = verdict.lock().unwrap_or_else(|p| p.into_inner()).take();
    match (result, verdict) {
        (Ok(transport), Some(Verdict::Trusted { trust, fingerprint })) => {
            if matches!(trust, Trust::FirstUse | Trust::Replaced) {
                tls.known_hosts.set(server, &fingerprint).map_err(|e| {
                    Disconnect::Tls(format!("cannot remember the server's certificate: {e}"))
                })?;
            }
            Ok((transport, Some(TlsInfo { fingerprint, trust })))
        }
        (Ok(_), _) => Err(Disconnect::Tls(
            "the server's certificate was not checked".into(),
        )),
        (
            Err(_),
            Some(Verdict::Changed {
                expected,
                presented,
            }),
        ) => Err(Disconnect::CertificateChanged {
            expected,
            presented,
        }),
        (Err(e), _)
            if matches!(
                e.kind(),
                io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
            ) =>
        {
            Err(Disconnect::TimedOut)
        }
        (Err(e), _) if e.kind() == io::ErrorKind::InvalidData => {
            Err(Disconnect::Tls(format!("{e} (is the server using TLS?)")))
        }
        (Err(e), _)
            if matches!(
                e.kind(),
                io::ErrorKind::UnexpectedEof
                    | io::ErrorKind::ConnectionReset
                    | io::ErrorKind::ConnectionAborted
            ) =>
        {
            Err(Disconnect::Tls(
                "the server closed the connection during the TLS handshake (is it using TLS?)"
                    .into(),
            ))
        }
        (Err(e), _) => Err(classify(&e)),
    }
}

impl Worker {
    /// Sends one request and reads until its reply.
    fn exchange(
        &self,
        writer: &mut TransportWriter,
        reader: &mut TransportReader,
        frames: &mut FrameReader,
        request: Request,
    ) -> Result<ServerMessage, Disconnect> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let bytes = frame::encode(&ClientFrame { id, request }).map_err(lost)?;
        writer.write_all(&bytes).map_err(|e| classify(&e))?;
        loop {
            let body = match frames.read_frame(reader) {
                Ok(Some(body)) => body,
                Ok(None) => {
                    return Err(Disconnect::Lost(
                        "the server closed the connection during the handshake".into(),
                    ));
                }
                Err(e) if e.is_timeout() => return Err(Disconnect::TimedOut),
                Err(e) => return Err(lost(e)),
            };
            let reply: ServerFrame = frame::decode(body).map_err(lost)?;
            if let ServerMessage::Goodbye { reason, message } = reply.message {
                return Err(Disconnect::ServerClosed { reason, message });
            }
            if reply.re == Some(id) {
                return Ok(reply.message);
            }
        }
    }

    fn read_loop(&self, transport: &Transport, closing: &AtomicBool) -> Disconnect {
        let flush = self.keepalive.clone();
        let hint: FlushHint = Arc::new(move || {
            let _ = flush.send(Outgoing::Flush);
        });
        let mut stream = transport.reader(Some(hint));
        let mut reader = FrameReader::new();
        let mut goodbye = None;
        let mut keepalives = std::collections::VecDeque::new();
        loop {
            let result = reader.read_frame(&mut stream);
            let body = match result {
                Ok(Some(body)) => body,
                Ok(None) | Err(_) if closing.load(Ordering::Acquire) => {
                    return Disconnect::ClosedByClient;
                }
                Ok(None) => {
                    return goodbye.unwrap_or_else(|| {
                        Disconnect::Lost("the server closed the connection".into())
                    });
                }
                Err(e) => return goodbye.unwrap_or_else(|| lost(e)),
            };
            match frame::decode::<ServerFrame>(body) {
                Ok(ServerFrame {
                    message: ServerMessage::Ping,
                    ..
                }) => {
                    let id = self.next_id.fetch_add(1, Ordering::Relaxed);
                    keepalives.push_back(id);
                    if keepalives.len() > KEEPALIVES_REMEMBERED {
                        keepalives.pop_front();
                    }
                    let _ = self.keepalive.send(Outgoing::Frame(ClientFrame {
                        id,
                        request: Request::Ping,
                    }));
                }
                // The answers to this connection's own keep-alives; a `pong` the application
                // asked for (a `ping` round trip: every event before it has arrived) goes on.
                Ok(ServerFrame {
                    re: Some(re),
                    message: ServerMessage::Pong,
                    ..
                }) if keepalives.contains(&re) => {
                    keepalives.retain(|k| *k != re);
                }
                Ok(frame) => {
                    if let ServerMessage::Goodbye { reason, message } = &frame.message {
                        goodbye = Some(Disconnect::ServerClosed {
                            reason: *reason,
                            message: message.clone(),
                        });
                    }
                    self.emit(Event::Frame(frame));
                }
                Err(e) => {
                    transport.shutdown(Shutdown::Both);
                    return lost(e);
                }
            }
        }
    }
}

/// Writes queued frames, as many per system call as are waiting.
fn write_loop(
    mut writer: TransportWriter,
    transport: &Transport,
    outgoing: Receiver<Outgoing>,
    closing: &AtomicBool,
) {
    let mut buf = Vec::new();
    'outer: while let Ok(first) = outgoing.recv() {
        buf.clear();
        let mut next = Some(first);
        while let Some(item) = next {
            match item {
                Outgoing::Frame(frame) => match frame::encode(&frame) {
                    Ok(bytes) => buf.extend_from_slice(&bytes),
                    Err(e) => tracing::warn!("request {} not sent: {e}", frame.id),
                },
                Outgoing::Flush => {}
                Outgoing::Close => {
                    let _ = writer.write_all(&buf);
                    closing.store(true, Ordering::Release);
                    let _ = writer.close_notify();
                    break 'outer;
                }
            }
            next = outgoing.try_recv().ok();
        }
        if writer
            .write_all(&buf)
            .and_then(|()| writer.flush())
            .is_err()
        {
            break;
        }
    }
    closing.store(true, Ordering::Release);
    transport.shutdown(Shutdown::Both);
}

pub(crate) fn classify(e: &io::Error) -> Disconnect {
    match e.kind() {
        io::ErrorKind::ConnectionRefused => Disconnect::Refused,
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => Disconnect::TimedOut,
        _ => Disconnect::Lost(e.to_string()),
    }
}

fn lost(e: Error) -> Disconnect {
    match e {
        Error::Io(io) => classify(&io),
        other => Disconnect::Lost(other.to_string()),
    }
}

fn unexpected(message: &ServerMessage) -> Disconnect {
    match message {
        ServerMessage::Error { message, .. } => Disconnect::Lost(message.clone()),
        other => Disconnect::Lost(format!("unexpected reply {other:?}")),
    }
}
