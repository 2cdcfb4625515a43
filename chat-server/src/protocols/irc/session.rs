//! One IRC connection, from accept to `QUIT`: the line loop with its deadlines, registration
//! (`CAP`, `NICK`, `USER`, `PASS` or SASL PLAIN) and the hand-over to a reader thread once the
//! client is logged in. Commands after registration are in `commands`.
//!
//! A client must log in to register: `PASS login:password` (or `PASS password` with the login as
//! nick), or SASL PLAIN. Without valid credentials it gets `464` with a hint where accounts are
//! made, then `ERROR`, and never a half-registered session. The nick is the login.
//!
//! With `irc_guests` on, a client that gives no credentials registers as a guest under its nick,
//! if no account and no other guest has that name (else `433`, and it may pick another).

use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use chat_core::irc::{self, Incoming, Line, LineReader};
use chat_core::protocol::{CloseReason, ErrorCode, Password};
use chat_core::transport::{FlushHint, Transport, TransportReader};
use chat_core::validate;

use super::caps::{Caps, OFFERED};
use super::commands;
use super::render::{self, mask, numeric, server};
use crate::accounts::throttle::{Flood, FloodVerdict};
use crate::connection::refresh_read_timeout;
use crate::connection::spares::Job;
use crate::delivery::event::Event;
use crate::delivery::outbox::Frame;
use crate::delivery::peer::{Login, Peer};
use crate::protocols::native::{self as native_cmd, Refusal};
use crate::shared::Shared;

/// Bytes of one `AUTHENTICATE` chunk; a shorter one (or `+`) ends the message.
const SASL_CHUNK: usize = 400;
/// Longest SASL message accepted (a login, a password and separators, in base64).
const SASL_MAX: usize = 1_024;
/// Bytes of tags a client may send, `@` included.
const CLIENT_TAGS_BYTES: usize = 4_095;
/// Shortest read timeout set.
const MIN_READ_WAIT: Duration = Duration::from_millis(10);

/// Where SASL authentication is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Sasl {
    Idle,
    /// `AUTHENTICATE PLAIN` accepted: base64 chunks expected.
    Receiving(String),
    /// The message grew too long and was refused: its remaining chunks are ignored.
    Discarding,
    /// Authenticated as this login.
    Done(String),
}

/// An IRC connection as its handlers see it.
pub(crate) struct IrcSession {
    pub shared: Arc<Shared>,
    pub peer: Arc<Peer>,
    pub registered: bool,
    /// The nick the client asked for (before registration); the login after.
    pub nick: String,
    user: bool,
    /// The real name `USER` gave.
    real_name: String,
    pass: Option<String>,
    /// Logged in as a guest (no account).
    pub guest: bool,
    pub caps: Caps,
    /// `CAP LS` or `CAP REQ` came and `CAP END` not yet: registration waits.
    negotiating: bool,
    sasl: Sasl,
    /// Time spent waiting for the password pool, which the handshake deadline does not count.
    deadline_credit: Duration,
}

/// Why the loop returned.
pub(crate) enum Ended {
    Closed(String),
    LoggedIn,
}

/// The reading state, moved from the first thread to the reader thread at login.
struct Reading {
    stream: TransportReader,
    lines: LineReader,
    flood: Flood,
    deadline: Instant,
    last_heard: Instant,
    pinged: bool,
    read_timeout: Option<Duration>,
}

/// Takes the user out of the chat (offline, a guest's nick free again); done again does nothing.
pub(super) fn leave(shared: &Shared, peer: &Arc<Peer>, guest: bool) {
    shared.hub.logout(peer);
    if guest {
        shared
            .directory
            .remove_guest(&validate::login_key(peer.name()));
    }
}

impl IrcSession {
    /// Queues IRC text (whole lines with CR LF) for the client.
    pub fn send_text(&self, text: String) {
        if !text.is_empty() {
            self.peer.send(&Frame::from(text.into_bytes()));
        }
    }

    /// Queues one line.
    pub fn send_line(&self, line: &Line) {
        self.send_text(irc::to_string(line));
    }

    /// Queues a numeric reply to this client.
    pub fn numeric(&self, code: &str, params: &[&str]) {
        let nick = if self.nick.is_empty() {
            "*"
        } else {
            &self.nick
        };
        self.send_line(&numeric(code, nick, params));
    }

    /// Queues a server `NOTICE` to this client.
    pub fn notice(&self, text: &str) {
        let nick = if self.nick.is_empty() {
            "*"
        } else {
            &self.nick
        };
        self.send_line(&render::line(None, "NOTICE", &[nick, text]));
    }

    /// This client's mask.
    pub fn mask(&self) -> String {
        mask(&self.nick)
    }
}

/// Serves one accepted IRC connection (`tls`: the TLS port). Runs on the connection's first
/// thread, which hands the connection to a reader thread at login, as native connections do.
pub(crate) fn serve<G: Send + 'static>(
    shared: Arc<Shared>,
    stream: TcpStream,
    addr: SocketAddr,
    id: u64,
    accepted: Instant,
    tls: bool,
    guard: G,
) {
    let deadline = accepted + shared.config.handshake_timeout;
    let _ = stream.set_nodelay(true);
    let transport = if tls {
        let Some(config) = shared.tls.as_ref().map(|t| Arc::clone(&t.config)) else {
            return;
        };
        let Ok(conn) = rustls::ServerConnection::new(config) else {
            return;
        };
        match Transport::tls_until(stream, conn, deadline) {
            Ok(t) => t,
            Err(e) => {
                tracing::info!(peer = id, %addr, "IRC TLS handshake failed: {e}");
                return;
            }
        }
    } else {
        Transport::plain(stream)
    };
    let _ = transport
        .socket()
        .set_write_timeout(Some(shared.config.write_timeout));
    if transport.prepare_for_pool().is_err() {
        return;
    }
    let peer = Peer::new(
        id,
        addr,
        transport.clone(),
        shared.config.max_outbox_bytes,
        shared.writers.ready(),
        &super::render::IrcRender,
    );
    shared.register(&peer);
    tracing::info!(peer = id, %addr, tls, "IRC client connected");
    let mut session = IrcSession {
        shared: Arc::clone(&shared),
        peer: Arc::clone(&peer),
        registered: false,
        nick: String::new(),
        user: false,
        real_name: String::new(),
        pass: None,
        guest: false,
        caps: Caps::NONE,
        negotiating: false,
        sasl: Sasl::Idle,
        deadline_credit: Duration::ZERO,
    };
    let flush_peer = Arc::downgrade(&peer);
    let hint: FlushHint = Arc::new(move || {
        if let Some(peer) = flush_peer.upgrade() {
            peer.send(&Frame::from(Vec::new()));
        }
    });
    let config = &shared.config;
    let now = Instant::now();
    let mut reading = Reading {
        stream: transport.reader(Some(hint)),
        lines: LineReader::new(),
        flood: Flood::new(
            config.flood_burst,
            config.flood_per_second,
            config.flood_kick_after,
            now,
        ),
        deadline,
        last_heard: now,
        pinged: false,
        read_timeout: None,
    };
    let why = match session.run(&mut reading) {
        Ended::Closed(why) => why,
        Ended::LoggedIn => {
            let mut state = Box::new((session, reading));
            let job: Job = Box::new(move |own_thread| {
                let (session, reading) = &mut *state;
                let why = if own_thread {
                    match session.run(reading) {
                        Ended::Closed(why) => why,
                        Ended::LoggedIn => "internal error: logged in twice".to_owned(),
                    }
                } else {
                    session.peer.close(
                        CloseReason::TooManyConnections,
                        "the server cannot take more clients now",
                    );
                    "out of threads".to_owned()
                };
                end(&session.shared, &session.peer, session.guest, &why);
                drop(guard);
            });
            if let Err(e) = shared.threads.readers.run(job) {
                tracing::warn!(peer = id, "cannot start a reader thread: {e}; dropped");
            }
            return;
        }
    };
    end(&shared, &peer, session.guest, &why);
}

#[inline(never)]
fn end(shared: &Shared, peer: &Arc<Peer>, guest: bool, why: &str) {
    leave(shared, peer, guest);
    shared.unregister(peer);
    peer.finish();
    tracing::info!(peer = peer.id, addr = %peer.addr, login = %peer.name(), "IRC client disconnected: {why}");
}

impl IrcSession {
    /// Reads and handles lines until the connection ends, or until the client registers.
    fn run(&mut self, r: &mut Reading) -> Ended {
        let shared = Arc::clone(&self.shared);
        let config = &shared.config;
        loop {
            if shared.is_shutting_down() {
                self.peer
                    .close(CloseReason::ServerShutdown, "the server is shutting down");
                return Ended::Closed("server shutting down".into());
            }
            let wake_at = if !self.registered {
                r.deadline
            } else if r.pinged {
                r.last_heard + config.idle_timeout
            } else {
                r.last_heard + config.ping_interval
            };
            let wait = wake_at.saturating_duration_since(Instant::now());
            refresh_read_timeout(&mut r.stream, &mut r.read_timeout, wait.max(MIN_READ_WAIT));
            let line = match r.lines.read_line(&mut r.stream) {
                Ok(Some(Incoming::Line(line))) => line,
                Ok(Some(Incoming::TooLong)) => {
                    self.numeric("417", &["Input line was too long"]);
                    continue;
                }
                Ok(None) => return Ended::Closed("closed by the client".into()),
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    if Instant::now() < wake_at {
                        continue;
                    }
                    if !self.registered {
                        self.peer.close(
                            CloseReason::HandshakeTimeout,
                            "registration was not completed in time",
                        );
                        return Ended::Closed("registration timeout".into());
                    }
                    if r.pinged {
                        self.peer
                            .close(CloseReason::IdleTimeout, "no reply to PING");
                        return Ended::Closed("idle timeout".into());
                    }
                    self.send_line(&Line::new("PING", &[server()]));
                    r.pinged = true;
                    continue;
                }
                Err(e) => return Ended::Closed(format!("read error: {e}")),
            };
            r.last_heard = Instant::now();
            r.pinged = false;
            let ended = self.on_line(&line, &mut r.flood);
            r.deadline += std::mem::take(&mut self.deadline_credit);
            if let Some(ended) = ended {
                return ended;
            }
        }
    }

    #[inline(never)]
    fn on_line(&mut self, bytes: &[u8], flood: &mut Flood) -> Option<Ended> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return None;
        }
        // IRCv3 gives a client's tags 4,094 bytes (with `@` and the space, 4,096).
        if bytes.first() == Some(&b'@')
            && bytes.iter().position(|b| *b == b' ').unwrap_or(bytes.len()) > CLIENT_TAGS_BYTES
        {
            self.numeric("417", &["Input line was too long"]);
            return None;
        }
        let line = match irc::parse(bytes) {
            Ok(line) => line,
            Err(irc::LineError::TooLong) => {
                self.numeric("417", &["Input line was too long"]);
                return None;
            }
            Err(irc::LineError::NotText) => {
                self.send_line(&render::line(
                    None,
                    "FAIL",
                    &[
                        "*",
                        "INVALID_UTF8",
                        "Lines must be UTF-8 text without NUL or CR",
                    ],
                ));
                return None;
            }
            Err(irc::LineError::NoCommand | irc::LineError::TooManyParams) => {
                self.numeric("421", &["*", "Unknown command"]);
                return None;
            }
        };
        if self.registered && !matches!(line.command.as_str(), "PING" | "PONG" | "QUIT") {
            match flood.check(Instant::now()) {
                FloodVerdict::Go => {}
                FloodVerdict::Wait(delay) => std::thread::sleep(delay),
                FloodVerdict::Disconnect => {
                    self.peer.close(CloseReason::Flood, "excess flood");
                    return Some(Ended::Closed("flooding".into()));
                }
            }
        }
        if self.registered {
            return commands::handle(self, &line);
        }
        self.registering(&line)
    }

    /// Commands before registration.
    #[inline(never)]
    fn registering(&mut self, line: &Line) -> Option<Ended> {
        match line.command.as_str() {
            "CAP" => self.cap(line),
            "PASS" => {
                if line.params.is_empty() {
                    self.numeric("461", &["PASS", "Not enough parameters"]);
                } else {
                    self.pass = Some(line.param(0).to_owned());
                }
            }
            "NICK" => {
                let nick = line.param(0);
                if nick.is_empty() {
                    self.numeric("431", &["No nickname given"]);
                } else if validate::login(nick).is_err() {
                    self.numeric("432", &[nick, "Erroneous nickname: nicks are logins here"]);
                } else {
                    self.nick = nick.to_owned();
                }
            }
            "USER" => {
                if line.params.len() < 4 || line.param(3).is_empty() {
                    self.numeric("461", &["USER", "Not enough parameters"]);
                } else {
                    self.user = true;
                    self.real_name = line.param(3).to_owned();
                }
            }
            "AUTHENTICATE" => self.authenticate(line),
            "PING" => commands::ping(self, line),
            "PONG" => {}
            "QUIT" => {
                self.peer.close(CloseReason::Exit, "client quit");
                return Some(Ended::Closed("quit".into()));
            }
            _ => self.numeric("451", &["You have not registered"]),
        }
        self.try_register()
    }

    /// `CAP LS`, `LIST`, `REQ` and `END`; also after registration.
    pub(crate) fn cap(&mut self, line: &Line) {
        let nick = if self.nick.is_empty() {
            "*".to_owned()
        } else {
            self.nick.clone()
        };
        let reply = |sub: &str, text: &str| render::line(None, "CAP", &[&nick, sub, text]);
        match line.param(0).to_ascii_uppercase().as_str() {
            "LS" => {
                if !self.registered {
                    self.negotiating = true;
                }
                let v302 = line.param(1).parse::<u32>().is_ok_and(|v| v >= 302);
                let names: Vec<&str> = OFFERED
                    .iter()
                    .map(|(name, _)| {
                        if v302 {
                            *name
                        } else {
                            name.split('=').next().unwrap_or(name)
                        }
                    })
                    .collect();
                self.send_line(&reply("LS", &names.join(" ")));
            }
            "LIST" => self.send_line(&reply("LIST", &self.caps.names().join(" "))),
            "REQ" => {
                if !self.registered {
                    self.negotiating = true;
                }
                let asked = line.param(1);
                let mut caps = self.caps;
                let mut ok = true;
                for name in asked.split_whitespace() {
                    let (remove, name) = match name.strip_prefix('-') {
                        Some(name) => (true, name),
                        None => (false, name),
                    };
                    match Caps::named(name) {
                        Some(cap) if remove => caps = caps.without(cap),
                        Some(cap) => caps = caps.with(cap),
                        None => ok = false,
                    }
                }
                if ok {
                    self.caps = caps;
                    self.peer.set_options(caps.bits());
                    self.send_line(&reply("ACK", asked));
                } else {
                    self.send_line(&reply("NAK", asked));
                }
            }
            "END" => self.negotiating = false,
            other => self.numeric("410", &[other, "Invalid CAP command"]),
        }
    }

    /// SASL PLAIN.
    fn authenticate(&mut self, line: &Line) {
        let arg = line.param(0);
        if matches!(self.sasl, Sasl::Done(_)) {
            self.numeric("907", &["You have already authenticated"]);
            return;
        }
        if arg == "*" {
            self.sasl = Sasl::Idle;
            self.numeric("906", &["SASL authentication aborted"]);
            return;
        }
        match &mut self.sasl {
            Sasl::Idle => {
                if !self.caps.contains(Caps::SASL) || !arg.eq_ignore_ascii_case("PLAIN") {
                    self.numeric("908", &["PLAIN", "are available SASL mechanisms"]);
                    self.numeric("904", &["SASL authentication failed"]);
                    return;
                }
                self.sasl = Sasl::Receiving(String::new());
                self.send_line(&Line::new("AUTHENTICATE", &["+"]));
            }
            Sasl::Receiving(_) if arg.len() > SASL_CHUNK => {
                self.sasl = Sasl::Idle;
                self.numeric("905", &["SASL message too long"]);
            }
            Sasl::Receiving(buffer) => {
                if arg != "+" {
                    buffer.push_str(arg);
                }
                if buffer.len() > SASL_MAX {
                    // Refused; the chunks still coming are not new attempts.
                    self.sasl = if arg.len() == SASL_CHUNK {
                        Sasl::Discarding
                    } else {
                        Sasl::Idle
                    };
                    self.numeric("904", &["SASL authentication failed"]);
                    return;
                }
                if arg.len() == SASL_CHUNK {
                    return;
                }
                let encoded = std::mem::take(buffer);
                self.sasl = Sasl::Idle;
                self.sasl_plain(&encoded);
            }
            Sasl::Discarding => {
                if arg.len() < SASL_CHUNK {
                    self.sasl = Sasl::Idle;
                }
            }
            Sasl::Done(_) => {}
        }
    }

    fn sasl_plain(&mut self, encoded: &str) {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok());
        let Some(decoded) = decoded else {
            self.numeric("904", &["SASL authentication failed"]);
            return;
        };
        let mut parts = decoded.split('\0');
        let (_authzid, login, password) = (parts.next(), parts.next(), parts.next());
        let (Some(login), Some(password)) = (login, password) else {
            self.numeric("904", &["SASL authentication failed"]);
            return;
        };
        match self.check(login, password) {
            Ok(name) => {
                let shown = if self.nick.is_empty() {
                    name.clone()
                } else {
                    self.nick.clone()
                };
                self.numeric(
                    "900",
                    &[
                        &mask(&shown),
                        &name,
                        &format!("You are now logged in as {name}"),
                    ],
                );
                self.numeric("903", &["SASL authentication successful"]);
                self.sasl = Sasl::Done(name);
            }
            Err(refusal) => {
                self.notice(&refusal.message);
                self.numeric("904", &["SASL authentication failed"]);
            }
        }
    }

    /// Checks credentials on the password pool (the same checks and back-off as native
    /// logins). Returns the login as registered.
    fn check(&mut self, login: &str, password: &str) -> Result<String, Refusal> {
        let checked = native_cmd::check_password(
            &self.shared,
            self.peer.addr.ip(),
            login,
            Password(password.to_owned()),
            false,
        );
        self.deadline_credit += checked.waited;
        checked.result.map(|(account, _)| account.login)
    }

    /// Registers once `NICK` and `USER` came and capability negotiation is over: logs in with
    /// the SASL account or `PASS`, or closes with `464`.
    fn try_register(&mut self) -> Option<Ended> {
        if self.registered || self.negotiating || self.nick.is_empty() || !self.user {
            return None;
        }
        let login = match (&self.sasl, self.pass.take()) {
            (Sasl::Done(name), _) => Ok(name.clone()),
            (_, Some(pass)) => {
                let (login, password) = match pass.split_once(':') {
                    Some((login, password)) if validate::login(login).is_ok() => {
                        (login.to_owned(), password.to_owned())
                    }
                    _ => (self.nick.clone(), pass),
                };
                self.check(&login, &password)
            }
            (_, None) if self.shared.config.irc_guests => {
                if !self
                    .shared
                    .directory
                    .admit_guest(&self.nick, &self.real_name)
                {
                    let nick = std::mem::take(&mut self.nick);
                    self.numeric("433", &[&nick, "Nickname is already in use"]);
                    if self
                        .shared
                        .directory
                        .get(&validate::login_key(&nick))
                        .is_some_and(|p| !p.guest)
                    {
                        self.notice(&format!(
                            "{nick} is an account: log in with PASS {nick}:password, or choose another nick"
                        ));
                    }
                    return None;
                }
                self.guest = true;
                Ok(self.nick.clone())
            }
            (_, None) => Err(Refusal::new(
                ErrorCode::BadCredentials,
                "a password is required",
            )),
        };
        let name = match login {
            Ok(name) => name,
            Err(refusal) => {
                let why = match refusal.code {
                    ErrorCode::BadCredentials => "Password incorrect".to_owned(),
                    _ => refusal.message.clone(),
                };
                self.numeric("464", &[&why]);
                self.notice(
                    "Log in with PASS login:password (or SASL PLAIN); accounts are made with \
                     the chat desktop client, or any client of the chat protocol",
                );
                self.peer.close(CloseReason::ProtocolError, &why);
                return Some(Ended::Closed("IRC login refused".into()));
            }
        };
        self.peer.set_login(Login {
            name: name.clone(),
            key: validate::login_key(&name),
        });
        let entered = match self.shared.hub.login(&self.peer) {
            Ok((_, entered)) => entered,
            Err(e) => {
                if self.guest {
                    self.shared
                        .directory
                        .remove_guest(&validate::login_key(&name));
                    self.guest = false;
                }
                self.peer.close(CloseReason::ProtocolError, &e.to_string());
                return Some(Ended::Closed("hub refused the login".into()));
            }
        };
        self.registered = true;
        let asked = std::mem::replace(&mut self.nick, name.clone());
        tracing::info!(peer = self.peer.id, login = ?name, "IRC client logged in");
        self.welcome();
        if asked != name {
            // The nick is the login, as registered.
            self.send_line(&render::line(Some(&mask(&asked)), "NICK", &[&name]));
        }
        self.peer.event(&Event::new(entered));
        if !self.guest {
            native_cmd::deliver_kept_to(&self.shared, &self.peer);
        }
        Some(Ended::LoggedIn)
    }

    /// `001`–`005` and the message of the day.
    fn welcome(&self) {
        let nick = self.nick.clone();
        let version = format!("chat-server-{}", env!("CARGO_PKG_VERSION"));
        self.numeric("001", &[&format!("Welcome to chat, {}", mask(&nick))]);
        self.numeric(
            "002",
            &[&format!("Your host is {}, running {version}", server())],
        );
        self.numeric("003", &["This server speaks IRC and the chat protocol"]);
        self.numeric("004", &[server(), &version, "i", "nt"]);
        self.isupport();
        commands::motd(self);
    }

    /// `005`: what this server supports.
    pub(crate) fn isupport(&self) {
        let room_len = chat_core::limits::ROOM_MAX_CHARS + 1;
        let tokens = [
            "CHANTYPES=#".to_owned(),
            "CHANLIMIT=#:1".to_owned(),
            format!("NICKLEN={}", chat_core::limits::LOGIN_MAX_CHARS),
            format!("CHANNELLEN={room_len}"),
            "CASEMAPPING=ascii".to_owned(),
            // Client tags are not passed on, but for typing notices.
            "CLIENTTAGDENY=*,-typing".to_owned(),
            "NETWORK=chat".to_owned(),
            "CHANMODES=,,,nt".to_owned(),
            "PREFIX=".to_owned(),
            "MAXTARGETS=1".to_owned(),
            "UTF8ONLY".to_owned(),
            format!("CHATHISTORY={}", chat_core::limits::MAX_LISTED),
            format!("AWAYLEN={}", chat_core::limits::TEXT_MAX_CHARS),
        ];
        // At most 13 tokens a line, as clients expect.
        for chunk in tokens.chunks(13) {
            let mut params: Vec<&str> = chunk.iter().map(String::as_str).collect();
            params.push("are supported by this server");
            self.numeric("005", &params);
        }
    }
}
