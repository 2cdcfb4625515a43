//! One client connection, from hello to goodbye: the reader thread's loop and the request
//! handlers. Writing is the writer pool's (see `writers`): handlers only queue frames.
//!
//! A connection goes through three phases: it must say `hello` first, then may only `clock`,
//! `register`, `login` or `exit` until logged in, then may do everything. A request out of phase
//! gets a typed error and the connection stays open.

use std::io::Write;
use std::net::{IpAddr, Shutdown, SocketAddr, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use chat_core::Error as CoreError;
use chat_core::clock::{Clock, SystemClock, system_now_ms};
use chat_core::frame::{self, FrameReader};
use chat_core::limits::{CLIENT_NAME_MAX_BYTES, MAX_LISTED, PROTOCOL_VERSION};
use chat_core::protocol::{
    ClientFrame, CloseReason, ErrorCode, Field, Registration, Request, ServerMessage, UserInfo,
};
use chat_core::transport::{FlushHint, Transport, TransportReader};
use chat_core::validate;

use crate::hub::HubError;
use crate::outbox::Frame;
use crate::passwords::{Hasher, PoolError};
use crate::peer::{Login, Peer};
use crate::server::Shared;
use crate::store::{Account, Created};
use crate::throttle::{Flood, FloodVerdict};
use crate::wire;

/// Stack for a logged-in client's reader thread: decoding is depth-limited and nothing recurses
/// deeply. Only the pages a thread touches count in memory, not this size.
pub const READER_STACK_BYTES: usize = 256 * 1024;

/// Stack for a connection's first thread, which runs the TLS handshake, hello and login. More
/// than four times [`READER_STACK_BYTES`], so the C library never hands one of these stacks,
/// with the pages login touched, to a logged-in client's reader (it reuses a cached stack only
/// for a request at least a quarter of its size).
pub const HANDSHAKE_STACK_BYTES: usize = 2 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    AwaitHello,
    AwaitLogin,
    LoggedIn,
}

/// What the loop does after a request.
enum Next {
    Continue,
    Close,
}

/// A handler's failure: a wire error for the request.
struct Refusal {
    code: ErrorCode,
    message: String,
    field: Option<Field>,
}

impl Refusal {
    fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Refusal {
            code,
            message: message.into(),
            field: None,
        }
    }
}

impl From<CoreError> for Refusal {
    fn from(e: CoreError) -> Self {
        Refusal {
            code: e.code(),
            field: e.field(),
            message: e.to_string(),
        }
    }
}

impl From<PoolError> for Refusal {
    fn from(e: PoolError) -> Self {
        match e {
            PoolError::Busy => Refusal::new(ErrorCode::ServerBusy, e.to_string()),
            PoolError::Failed(e) => {
                tracing::error!("password job failed: {e}");
                Refusal::new(
                    ErrorCode::Internal,
                    "the server could not check the password",
                )
            }
        }
    }
}

impl From<HubError> for Refusal {
    fn from(e: HubError) -> Self {
        Refusal::new(e.code(), e.to_string())
    }
}

type Handled = Result<Next, Refusal>;

/// Chat requests pay into flood control; the handshake, keep-alives and `exit` do not (logins and
/// registrations have limits of their own).
fn counts_as_flood(request: &Request) -> bool {
    !matches!(
        request,
        Request::Hello { .. }
            | Request::Clock
            | Request::Ping
            | Request::Exit
            | Request::Register(_)
            | Request::Login { .. }
    )
}

struct Session {
    shared: Arc<Shared>,
    peer: Arc<Peer>,
    phase: Phase,
}

/// Serves one accepted connection until it ends. Runs on the connection's first thread, which
/// hands the connection to a fresh reader thread once the client is logged in (see [`Reading`]).
/// `guard` is dropped when the connection ends.
pub(crate) fn serve<G: Send + 'static>(
    shared: Arc<Shared>,
    stream: TcpStream,
    addr: SocketAddr,
    id: u64,
    guard: G,
) {
    let _ = stream.set_nodelay(true);
    let _ = stream.set_write_timeout(Some(shared.config.write_timeout));
    let _ = stream.set_read_timeout(Some(shared.config.handshake_timeout));
    // One descriptor per client, shared by the reader, the writer pool and whoever shuts it down.
    let transport = match secure(&shared, stream, addr, id) {
        Some(t) => t,
        None => return,
    };
    let peer = Peer::new(
        id,
        addr,
        transport.clone(),
        shared.config.max_outbox_bytes,
        shared.writers.ready(),
    );
    shared.register(&peer);
    tracing::info!(peer = id, %addr, tls = transport.is_tls(), "connected");
    let mut session = Session {
        shared: Arc::clone(&shared),
        peer: Arc::clone(&peer),
        phase: Phase::AwaitHello,
    };
    let mut reading = Reading::new(&session, &transport);
    let why = match session.run(&mut reading) {
        Ended::Closed(why) => why,
        Ended::LoggedIn => {
            // Login touched deep stack (the store, the hash pool, the first broadcasts) and left
            // freed blocks in this thread's allocator cache. A long-lived idle client should
            // keep neither: continue on a new thread and let this one end, which returns both.
            // Boxed, so the thread's start-up frames carry a pointer rather than copies of the
            // connection's state: those frames stay on the stack for the connection's life.
            let mut state = Box::new((session, reading));
            let spawned = thread::Builder::new()
                .name(format!("reader-{id}"))
                .stack_size(READER_STACK_BYTES)
                .spawn(move || {
                    let (session, reading) = &mut *state;
                    let why = session.run(reading).into_reason();
                    end(&session.shared, &session.peer, &why);
                    drop(guard);
                });
            match spawned {
                Ok(_) => return,
                Err(e) => {
                    tracing::warn!(peer = id, "cannot start a reader thread: {e}; dropped");
                    peer.close(CloseReason::ServerShutdown, "the server is out of threads");
                    "out of threads".to_owned()
                }
            }
        }
    };
    end(&shared, &peer, &why);
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
}

impl Ended {
    fn into_reason(self) -> String {
        match self {
            Ended::Closed(why) => why,
            Ended::LoggedIn => "internal error: logged in twice".to_owned(),
        }
    }
}

/// A connection's reading state, which moves with it from its first thread to its reader thread:
/// bytes already read (a request pipelined after the login) stay in `frames`.
struct Reading {
    stream: TransportReader,
    frames: FrameReader,
    flood: Flood,
    deadline: Instant,
    last_heard: Instant,
    pinged: bool,
    /// The socket's read timeout now in force (see [`refresh_read_timeout`]).
    read_timeout: Option<Duration>,
}

impl Reading {
    fn new(session: &Session, transport: &Transport) -> Self {
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
            deadline: now + config.handshake_timeout,
            last_heard: now,
            pinged: false,
            read_timeout: None,
        }
    }
}

/// Shortest read timeout set: a deadline that has just passed is handled after this.
const MIN_READ_WAIT: Duration = Duration::from_millis(10);

/// Makes the socket's read timeout bound the next wait by `wanted`. Setting it is a system call,
/// and the reader of a busy client comes here for every request, so the timeout in force is kept
/// while it is neither more than 1/32 too long (the deadline is then missed by that much at
/// most) nor under half of what is wanted (a read that wakes early only goes round the loop).
fn refresh_read_timeout(socket: &TcpStream, current: &mut Option<Duration>, wanted: Duration) {
    if !current.is_some_and(|in_force| timeout_fits(in_force, wanted)) {
        let _ = socket.set_read_timeout(Some(wanted));
        *current = Some(wanted);
    }
}

/// Whether a read timeout of `in_force` may stand for a wait of `wanted` (see
/// [`refresh_read_timeout`]).
fn timeout_fits(in_force: Duration, wanted: Duration) -> bool {
    in_force <= wanted + wanted / 32 && in_force >= wanted / 2
}

/// The first byte of a TLS handshake record.
const TLS_HANDSHAKE_RECORD: u8 = 0x16;

/// Sets up the transport the server is configured for. A client speaking the other one (TLS to
/// a plain server, plain to a TLS server) is told, where it can understand, and closed.
fn secure(shared: &Shared, stream: TcpStream, addr: SocketAddr, id: u64) -> Option<Transport> {
    let mut first = [0u8; 1];
    let peeked = match stream.peek(&mut first) {
        Ok(1) => first[0],
        Ok(_) => return None,
        Err(e) => {
            tracing::debug!(peer = id, %addr, "no first byte: {e}");
            if shared.tls.is_none()
                && let Some(frame) = wire::event(ServerMessage::Goodbye {
                    reason: CloseReason::HandshakeTimeout,
                    message: "hello and login were not completed in time".into(),
                })
            {
                let _ = (&stream).write_all(&frame);
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
        if let Some(frame) = wire::event(ServerMessage::Goodbye {
            reason: CloseReason::ProtocolError,
            message: "this server requires TLS: connect with encryption turned on".into(),
        }) {
            let _ = (&stream).write_all(&frame);
        }
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
    match Transport::tls(stream, conn) {
        Ok(t) => Some(t),
        Err(e) => {
            tracing::info!(peer = id, %addr, "TLS handshake failed: {e}");
            None
        }
    }
}

impl Session {
    /// Reads and handles frames until the connection ends, or until the client logs in.
    fn run(&mut self, r: &mut Reading) -> Ended {
        let shared = Arc::clone(&self.shared);
        let config = &shared.config;
        let peer = Arc::clone(&self.peer);
        let socket = peer.transport().socket();
        loop {
            if self.shared.is_shutting_down() {
                return Ended::Closed("server shutting down".into());
            }
            // Before login the handshake deadline bounds every wait; after it, the keep-alive.
            let wake_at = if self.phase != Phase::LoggedIn {
                r.deadline
            } else if r.pinged {
                r.last_heard + config.idle_timeout
            } else {
                r.last_heard + config.ping_interval
            };
            let wait = wake_at.saturating_duration_since(Instant::now());
            refresh_read_timeout(socket, &mut r.read_timeout, wait.max(MIN_READ_WAIT));
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
            if let Some(ended) = self.on_frame(body, &mut r.flood) {
                return ended;
            }
        }
    }

    /// Decodes and handles one frame; `Some` when the loop must end (or hand over). Out of line,
    /// so the frame an idle reader waits in (`run`) holds none of decoding's or handling's locals.
    #[inline(never)]
    fn on_frame(&mut self, body: &[u8], flood: &mut Flood) -> Option<Ended> {
        let frame: ClientFrame = match frame::decode(body) {
            Ok(frame) => frame,
            Err(e) => {
                self.malformed(e);
                return None;
            }
        };
        if counts_as_flood(&frame.request) {
            match flood.check(Instant::now()) {
                FloodVerdict::Go => {}
                FloodVerdict::Wait(delay) => thread::sleep(delay),
                FloodVerdict::Disconnect => {
                    self.flooding();
                    return Some(Ended::Closed("flooding".into()));
                }
            }
        }
        let id = frame.id;
        let was = self.phase;
        match self.handle(id, frame.request) {
            Ok(Next::Continue) => {}
            Ok(Next::Close) => return Some(Ended::Closed("said goodbye".into())),
            Err(refusal) => self.error(Some(id), refusal),
        }
        (was != Phase::LoggedIn && self.phase == Phase::LoggedIn).then_some(Ended::LoggedIn)
    }

    fn reply(&self, re: u32, message: ServerMessage) {
        match wire::frame(Some(re), message) {
            Some(frame) => {
                self.peer.send(&frame);
            }
            None => self.error(
                Some(re),
                Refusal::new(ErrorCode::Internal, "the reply was too large to send"),
            ),
        }
    }

    #[cold]
    #[inline(never)]
    fn malformed(&self, e: CoreError) {
        tracing::debug!(peer = self.peer.id, "malformed frame: {e}");
        self.error(None, Refusal::from(e));
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

    #[inline(never)]
    fn error(&self, re: Option<u32>, refusal: Refusal) {
        let message = ServerMessage::Error {
            code: refusal.code,
            message: refusal.message,
            field: refusal.field,
        };
        if let Some(frame) = wire::frame(re, message) {
            self.peer.send(&frame);
        }
    }

    /// Dispatches by phase. The handlers stay out of line (`#[inline(never)]`): inlined, all their
    /// locals would sit in this frame on every request, a keep-alive `ping` included; stack a
    /// reader touches once stays resident for the life of its connection.
    #[inline(never)]
    fn handle(&mut self, id: u32, request: Request) -> Handled {
        match (self.phase, request) {
            (Phase::AwaitHello, Request::Hello { version, client }) => {
                self.hello(id, version, &client)
            }
            (Phase::AwaitHello, _) => Err(Refusal::new(
                ErrorCode::HelloRequired,
                "say hello (with the protocol version) first",
            )),
            (_, Request::Hello { .. }) => {
                Err(Refusal::new(ErrorCode::Invalid, "hello was already said"))
            }
            (_, Request::Clock) => {
                let server_time_us = SystemClock.now_us();
                self.reply(id, ServerMessage::Clock { server_time_us });
                Ok(Next::Continue)
            }
            (_, Request::Ping) => {
                self.reply(id, ServerMessage::Pong);
                Ok(Next::Continue)
            }
            (_, Request::Exit) => {
                self.peer
                    .close_replying(Some(id), CloseReason::Exit, "goodbye");
                Ok(Next::Close)
            }
            (Phase::AwaitLogin, Request::Register(r)) => self.register(id, r),
            (Phase::AwaitLogin, Request::Login { login, password }) => {
                self.login(id, &login, password)
            }
            (Phase::LoggedIn, Request::Register(_) | Request::Login { .. }) => Err(Refusal::new(
                ErrorCode::AlreadyLoggedIn,
                "this connection is already logged in",
            )),
            (Phase::AwaitLogin, _) => Err(Refusal::new(ErrorCode::LoginRequired, "log in first")),
            (Phase::LoggedIn, request) => self.command(id, request),
        }
    }

    #[inline(never)]
    fn hello(&mut self, id: u32, version: u32, client: &str) -> Handled {
        if version != PROTOCOL_VERSION {
            let message =
                format!("this server speaks protocol version {PROTOCOL_VERSION}, not {version}");
            self.error(Some(id), Refusal::new(ErrorCode::VersionMismatch, message));
            self.peer
                .close(CloseReason::ProtocolError, "protocol version mismatch");
            return Ok(Next::Close);
        }
        if client.len() > CLIENT_NAME_MAX_BYTES || client.chars().any(char::is_control) {
            return Err(Refusal {
                code: ErrorCode::Invalid,
                message: format!(
                    "the client name must be at most {CLIENT_NAME_MAX_BYTES} bytes, without control characters"
                ),
                field: Some(Field::Client),
            });
        }
        tracing::debug!(peer = self.peer.id, client = ?client, "hello");
        self.phase = Phase::AwaitLogin;
        self.reply(
            id,
            ServerMessage::Welcome {
                version: PROTOCOL_VERSION,
                server: format!("chat-server/{}", env!("CARGO_PKG_VERSION")),
                default_room: self.shared.config.default_room.clone(),
            },
        );
        Ok(Next::Continue)
    }

    #[inline(never)]
    fn register(&mut self, id: u32, r: Registration) -> Handled {
        validate::registration(&r)?;
        let shared = Arc::clone(&self.shared);
        let ip = self.peer.addr.ip();
        let login = self
            .shared
            .passwords
            .run(move |hasher| create_account(&shared, hasher, ip, r))??;
        tracing::info!(peer = self.peer.id, login = ?login, "registered");
        self.reply(id, ServerMessage::Registered { login });
        Ok(Next::Continue)
    }

    #[inline(never)]
    fn login(&mut self, id: u32, login: &str, password: chat_core::protocol::Password) -> Handled {
        let ip = self.peer.addr.ip();
        let key = validate::login_key(login);
        let now = Instant::now();
        let blocked = self
            .shared
            .login_ip
            .check(&ip, now)
            .and_then(|()| self.shared.login_account.check(&key, now));
        if let Err(wait) = blocked {
            return Err(Refusal::new(
                ErrorCode::RateLimited,
                format!("too many failed logins; try again in {}", seconds(wait)),
            ));
        }
        let accounts = self.shared.accounts.clone();
        let known = validate::login(login).is_ok().then(|| login.to_owned());
        let checked = self.shared.passwords.run(move |hasher| {
            let account = match known {
                Some(login) => accounts.get(&login)?,
                None => None,
            };
            let hash = account.as_ref().map(|a| a.password_hash.as_str());
            let ok = hasher.verify(&password, hash)?;
            Ok::<_, crate::error::ServerError>(account.filter(|_| ok))
        })?;
        let Some(account) = checked.map_err(internal)? else {
            tracing::info!(peer = self.peer.id, addr = %self.peer.addr, login = ?login, "failed login");
            let now = Instant::now();
            self.shared.login_ip.fail(&ip, now);
            self.shared.login_account.fail(&key, now);
            return Err(Refusal::new(
                ErrorCode::BadCredentials,
                "wrong login or password",
            ));
        };
        self.shared.login_ip.clear(&ip);
        self.shared.login_account.clear(&key);
        self.peer.set_login(Login {
            name: account.login.clone(),
            key,
        });
        let (_, entered) = self.shared.hub.login(&self.peer)?;
        self.phase = Phase::LoggedIn;
        tracing::info!(peer = self.peer.id, login = ?account.login, "logged in");
        self.reply(
            id,
            ServerMessage::LoggedIn {
                login: account.login,
            },
        );
        self.event(entered);
        self.event(ServerMessage::Rooms {
            rooms: self.shared.hub.rooms(),
        });
        Ok(Next::Continue)
    }

    fn event(&self, message: ServerMessage) {
        if let Some(frame) = wire::event(message) {
            self.peer.send(&frame);
        }
    }

    #[inline(never)]
    fn command(&mut self, id: u32, request: Request) -> Handled {
        let hub = &self.shared.hub;
        match request {
            Request::Say { text } => {
                validate::text(&text)?;
                hub.say(&self.peer, text)?;
            }
            Request::CreateRoom { room } => {
                validate::room(&room)?;
                let entered = hub.create_room(&self.peer, &room)?;
                self.reply(id, entered);
            }
            Request::EnterRoom { room } => {
                let entered = hub.enter_room(&self.peer, &room)?;
                self.reply(id, entered);
            }
            Request::LeaveRoom => {
                let entered = hub.leave_room(&self.peer)?;
                self.reply(id, entered);
            }
            Request::ListRooms => self.reply(id, ServerMessage::Rooms { rooms: hub.rooms() }),
            Request::DeleteRoom { room } => {
                let room = hub.delete_room(&self.peer, &room)?;
                self.reply(id, ServerMessage::RoomDeleted { room });
            }
            Request::ShowUsers => {
                let message = self.users()?;
                self.reply(id, message);
            }
            Request::Private { to, text } => {
                validate::text(&text)?;
                let key = validate::login_key(&to);
                match hub.private(&self.peer, &key, &text)? {
                    Some(to) => self.reply(id, ServerMessage::PrivateSent { to, text }),
                    None => {
                        let known = validate::login(&to).is_ok()
                            && self.shared.accounts.get(&to).map_err(internal)?.is_some();
                        return Err(if known {
                            Refusal::new(ErrorCode::UserOffline, format!("{to} is not connected"))
                        } else {
                            Refusal::new(
                                ErrorCode::UserNotFound,
                                format!("there is no user called {to:?}"),
                            )
                        });
                    }
                }
            }
            Request::Hello { .. }
            | Request::Clock
            | Request::Register(_)
            | Request::Login { .. }
            | Request::Ping
            | Request::Exit => {
                return Err(Refusal::new(ErrorCode::Internal, "request out of place"));
            }
        }
        Ok(Next::Continue)
    }

    #[inline(never)]
    fn users(&self) -> Result<ServerMessage, Refusal> {
        let accounts = self.shared.accounts.all().map_err(internal)?;
        let whereabouts = self.shared.hub.whereabouts();
        let total = u32::try_from(accounts.len()).unwrap_or(u32::MAX);
        let mut users: Vec<UserInfo> = accounts
            .into_iter()
            .map(|a| {
                let room = whereabouts.get(&validate::login_key(&a.login)).cloned();
                UserInfo {
                    online: room.is_some(),
                    room,
                    login: a.login,
                    first_names: a.first_names,
                    last_names: a.last_names,
                }
            })
            .collect();
        users.sort_by(|a, b| {
            b.online
                .cmp(&a.online)
                .then_with(|| a.login.to_lowercase().cmp(&b.login.to_lowercase()))
        });
        users.truncate(MAX_LISTED);
        Ok(ServerMessage::Users { users, total })
    }
}

/// A registration, on a password-pool thread: refuses a taken login before spending a hash or the
/// address's registration budget, then stores the account (flushed) and returns its login.
fn create_account(
    shared: &Shared,
    hasher: &Hasher,
    ip: IpAddr,
    r: Registration,
) -> Result<String, Refusal> {
    if shared.accounts.get(&r.login).map_err(internal)?.is_some() {
        return Err(login_taken());
    }
    if let Err(wait) = shared.registrations.take(&ip, Instant::now()) {
        return Err(Refusal::new(
            ErrorCode::RateLimited,
            format!(
                "too many new accounts from your address; try again in {}",
                seconds(wait)
            ),
        ));
    }
    let password_hash = hasher.hash(&r.password).map_err(|e| {
        tracing::error!("password hashing failed: {e}");
        Refusal::new(
            ErrorCode::Internal,
            "the server could not hash the password",
        )
    })?;
    let account = Account {
        login: r.login,
        first_names: r.first_names,
        last_names: r.last_names,
        password_hash,
        age: r.age,
        gender: r.gender,
        created_ms: system_now_ms(),
    };
    match shared.accounts.create(&account).map_err(internal)? {
        Created::Yes => Ok(account.login),
        Created::LoginTaken => Err(login_taken()),
    }
}

/// A wait in whole seconds, for people.
fn seconds(wait: Duration) -> String {
    match wait.as_secs_f64().ceil() as u64 {
        1 => "1 second".into(),
        n => format!("{n} seconds"),
    }
}

fn login_taken() -> Refusal {
    Refusal {
        code: ErrorCode::LoginTaken,
        message: "that login is taken; choose another".into(),
        field: Some(Field::Login),
    }
}

fn internal(e: crate::error::ServerError) -> Refusal {
    tracing::error!("{e}");
    Refusal::new(ErrorCode::Internal, "the server failed; try again")
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
