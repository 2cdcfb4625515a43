//! The connection's life as the user experiences it: connecting, logging in, losing the
//! connection, waiting, reconnecting and resuming the session without the password.
//!
//! [`Client`] owns the [`Connection`] (whose threads own the socket) and turns its events into
//! state: the [`Phase`], form feedback and the [`Chat`]. The UI thread calls [`Client::pump`]
//! when it is woken and [`Client::tick`] to learn when a reconnection or a retry is due;
//! neither blocks.
//!
//! Architecture Invariant: the password is held only while a login with it is under way (to
//! retry when the server says it is busy) and dropped when `logged_in` arrives or the login is
//! refused for good; it is never written to the settings or a log (`Password`'s `Debug` hides
//! it). After that the session token is what logs in again: `resume` after a reconnection.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chat_core::client::{self, ClientOptions, Connection, Disconnect, Event, Session, Waker};
use chat_core::clock::{Clock, ClockSync, SystemClock};
use chat_core::protocol::{CloseReason, ErrorCode, Password, Request, ServerFrame, ServerMessage};
use chat_core::tls::{ClientTls, KnownHosts};
use chat_core::validate::{login_key, room_key};

use crate::backoff::Backoff;
use crate::chat::{Chat, FirstPage};
use crate::composer::Target;
use crate::history::{Earlier, Line, LineKind, Refusal};
use crate::limits::{RECONNECT_FIRST_DELAY, RECONNECT_MAX_DELAY};

/// Where the connection stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// No connection; `last` says why, if one ended.
    Offline,
    /// The first connection to a server is being made.
    Connecting,
    /// Connected, not logged in: the login and register forms.
    Connected,
    /// Login (or resume) sent, waiting for the answer.
    LoggingIn,
    /// Logged in: the main window.
    LoggedIn,
    /// The connection was lost after logging in; the next attempt is at `retry_at` (or under way
    /// when `None`).
    Reconnecting {
        /// Failed attempts so far.
        attempt: u32,
        /// When the next attempt starts.
        retry_at: Option<Instant>,
    },
}

/// What a request was, so its reply or error can be routed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pending {
    /// A registration for this login.
    Register(String),
    /// A login typed by the user.
    Login,
    /// The automatic resume after a reconnection (the main window stays).
    Relogin,
    /// Resuming a session kept from an earlier run (the login window waits).
    Resume,
    /// Re-entering the room the user was in before the connection was lost.
    ReEnter,
    /// `#lR`: the answer is shown as a line.
    ListRooms,
    /// `#show users`: the answer opens the users window.
    ShowUsers,
    /// A private message to this peer.
    Private(String),
    /// A page of the current room's history.
    History,
    /// A page of the conversation with this peer (login key).
    PrivateHistory(String),
    /// Logging out.
    Logout,
    /// Any other command; errors are shown in the room.
    Command,
}

/// A session token of the signed-in user: what logs in again without the password.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionToken {
    /// The login as registered.
    pub login: String,
    /// The token.
    pub token: String,
    /// When it expires, ms since the Unix epoch (server time); `None` if not said.
    pub expires_ms: Option<i64>,
}

impl std::fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A token logs in as its user: keep it out of logs like a password.
        f.debug_struct("SessionToken")
            .field("login", &self.login)
            .field("expires_ms", &self.expires_ms)
            .finish_non_exhaustive()
    }
}

/// Why the last login failed, and when it can be tried again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginProblem {
    /// What the server said.
    pub refusal: Refusal,
    /// When the server said to try again (`server_busy`, `rate_limited`).
    pub retry_at: Option<Instant>,
    /// Whether the client will try again by itself then.
    pub retrying: bool,
}

/// What happened to the session token, for the settings to follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenNews {
    /// The server gave this token (at a login or resume).
    Issued(SessionToken),
    /// The token is no longer valid (refused, or logged out): forget it.
    Ended,
}

/// Answers the forms show.
#[derive(Debug, Clone, Default)]
pub struct Feedback {
    /// Why the last login failed.
    pub login: Option<LoginProblem>,
    /// Why the last registration failed.
    pub register: Option<Refusal>,
    /// The login just registered, to prefill the login form.
    pub registered: Option<String>,
    /// The users window was asked for and its list arrived.
    pub users_arrived: bool,
    /// News of the session token, for the settings.
    pub token: Option<TokenNews>,
}

/// A login with the password, under way.
struct LoginAttempt {
    login: String,
    password: Password,
}

/// Something to send again when the server said when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Retry {
    /// The login with the password (the server was busy).
    Login,
    /// Resuming with the token.
    Resume,
}

/// The client's side of one server.
pub struct Client {
    addr: String,
    phase: Phase,
    last: Option<Disconnect>,
    /// Why the session's connection was lost, kept while reconnecting: later failed attempts
    /// say only that the server cannot be reached yet.
    lost: Option<Disconnect>,
    connection: Option<Connection>,
    session: Option<Session>,
    token: Option<SessionToken>,
    attempt: Option<LoginAttempt>,
    retry: Option<(Instant, Retry)>,
    /// Resume with the token as soon as the connection is up (a session kept from before).
    resume_when_connected: bool,
    /// The login under way is the automatic one after a reconnection: the main window stays.
    relogin: bool,
    pending: HashMap<u32, Pending>,
    backoff: Backoff,
    logging_out: bool,
    clock: Arc<dyn Clock>,
    waker: Option<Waker>,
    known_hosts: KnownHosts,
    trust_new_certificate: bool,
    /// The signed-in user's view; reset when another user logs in.
    pub chat: Chat,
    /// Answers for the forms.
    pub feedback: Feedback,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("addr", &self.addr)
            .field("phase", &self.phase)
            .finish_non_exhaustive()
    }
}

impl Default for Client {
    fn default() -> Self {
        Client::new(None)
    }
}

impl Client {
    /// A client with no connection. `waker` is called from the network thread after each event.
    pub fn new(waker: Option<Waker>) -> Self {
        Client {
            addr: String::new(),
            phase: Phase::Offline,
            last: None,
            lost: None,
            connection: None,
            session: None,
            token: None,
            attempt: None,
            retry: None,
            resume_when_connected: false,
            relogin: false,
            pending: HashMap::new(),
            backoff: Backoff::new(RECONNECT_FIRST_DELAY, RECONNECT_MAX_DELAY),
            logging_out: false,
            clock: Arc::new(SystemClock),
            waker,
            known_hosts: KnownHosts::default(),
            trust_new_certificate: false,
            chat: Chat::default(),
            feedback: Feedback::default(),
        }
    }

    /// Where the certificates of servers trusted on first use are remembered.
    pub fn set_known_hosts(&mut self, known_hosts: KnownHosts) {
        self.known_hosts = known_hosts;
    }

    /// Connects again, accepting (and pinning) a server certificate that differs from the one
    /// remembered. Only after the user read the warning and chose to.
    pub fn trust_new_certificate(&mut self) {
        let addr = self.addr.clone();
        self.trust_new_certificate = true;
        self.connect(&addr);
    }

    /// Sets the callback that wakes the UI.
    pub fn set_waker(&mut self, waker: Waker) {
        self.waker = Some(waker);
    }

    /// Where the connection stands.
    pub fn phase(&self) -> &Phase {
        &self.phase
    }

    /// Why the last connection ended, if it did.
    pub fn last_disconnect(&self) -> Option<&Disconnect> {
        self.last.as_ref()
    }

    /// Why the logged-in session's connection was lost, while reconnecting.
    pub fn lost_because(&self) -> Option<&Disconnect> {
        self.lost.as_ref()
    }

    /// The server address in use.
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// What the handshake learned (server, default room, clock), while connected.
    pub fn session(&self) -> Option<&Session> {
        self.session.as_ref()
    }

    /// The clock synchronisation of the current connection.
    pub fn clock(&self) -> Option<&ClockSync> {
        self.session.as_ref().map(|s| &s.clock)
    }

    /// The server's time now (the local time corrected by the synchronisation), ms.
    pub fn server_now_ms(&self) -> i64 {
        match self.clock() {
            Some(sync) => sync.server_now_ms(),
            None => self.clock.now_us().div_euclid(1000),
        }
    }

    /// Whether a password is held in memory (only while a login with it is under way).
    pub fn holds_password(&self) -> bool {
        self.attempt.is_some()
    }

    /// The session token held in memory, if logged in (or resuming).
    pub fn token(&self) -> Option<&SessionToken> {
        self.token.as_ref()
    }

    /// The login whose kept session is being resumed (no password typed), while it is.
    pub fn resuming_login(&self) -> Option<&str> {
        (self.phase == Phase::LoggingIn && !self.relogin)
            .then_some(self.token.as_ref())
            .flatten()
            .map(|t| t.login.as_str())
    }

    /// Whether the main window is what the user should see (logged in, or getting back there).
    pub fn in_session(&self) -> bool {
        match self.phase {
            Phase::LoggedIn | Phase::Reconnecting { .. } => true,
            Phase::LoggingIn => self.relogin,
            _ => false,
        }
    }

    /// Starts connecting to `addr` (`host:port`); returns at once.
    pub fn connect(&mut self, addr: &str) {
        self.addr = addr.trim().to_owned();
        self.token = None;
        self.attempt = None;
        self.retry = None;
        self.resume_when_connected = false;
        self.relogin = false;
        self.logging_out = false;
        self.backoff.reset();
        self.last = None;
        self.phase = Phase::Connecting;
        self.open();
    }

    /// Connects to `addr` and resumes the session of `token` (kept from an earlier run) as soon
    /// as connected, without the password.
    pub fn resume(&mut self, addr: &str, token: SessionToken) {
        self.connect(addr);
        self.token = Some(token);
        self.resume_when_connected = true;
    }

    fn open(&mut self) {
        self.pending.clear();
        self.session = None;
        let options = ClientOptions {
            clock: Arc::clone(&self.clock),
            waker: self.waker.clone(),
            client_name: format!("chat-gui/{}", env!("CARGO_PKG_VERSION")),
            tls: Some(ClientTls {
                known_hosts: self.known_hosts.clone(),
                trust_new_certificate: std::mem::take(&mut self.trust_new_certificate),
            }),
            ..ClientOptions::default()
        };
        self.connection = Some(client::connect(&self.addr, options));
    }

    /// Queues a request, remembering what it was for until its reply or error arrives; requests
    /// without a connection are dropped.
    pub fn send(&mut self, request: Request, pending: Pending) {
        if let Some(connection) = &self.connection {
            let id = connection.send(request);
            self.pending.insert(id, pending);
        }
    }

    /// Says a line in the room. A successful `say` has no reply, so nothing is remembered for
    /// it: an error that comes back for it is shown in the room like any unclaimed error.
    pub fn say(&mut self, text: String) {
        if let Some(connection) = &self.connection {
            connection.send(Request::Say { text });
        }
    }

    /// Tells `peer` the user is typing to them. No reply on success, so nothing is remembered.
    pub fn typing(&mut self, peer: &str) {
        if self.phase == Phase::LoggedIn
            && let Some(connection) = &self.connection
        {
            connection.send(Request::Typing {
                to: peer.to_owned(),
            });
        }
    }

    /// Requests waiting for their reply.
    pub fn pending_requests(&self) -> usize {
        self.pending.len()
    }

    /// Registers an account (the connection stays logged out).
    pub fn register(&mut self, registration: chat_core::protocol::Registration) {
        self.feedback.register = None;
        self.feedback.registered = None;
        let login = registration.login.clone();
        self.send(Request::Register(registration), Pending::Register(login));
    }

    /// Logs in with the password, which is held only until the answer (to retry if the server
    /// is busy).
    pub fn login(&mut self, login: &str, password: Password) {
        self.feedback.login = None;
        self.retry = None;
        self.attempt = Some(LoginAttempt {
            login: login.to_owned(),
            password,
        });
        self.send_login();
    }

    fn send_login(&mut self) {
        let Some(attempt) = &self.attempt else {
            return;
        };
        let request = Request::Login {
            login: attempt.login.clone(),
            password: attempt.password.clone(),
        };
        self.phase = Phase::LoggingIn;
        self.send(request, Pending::Login);
    }

    fn send_resume(&mut self) {
        let Some(token) = &self.token else {
            return;
        };
        let request = Request::Resume {
            token: token.token.clone(),
        };
        self.phase = Phase::LoggingIn;
        let pending = if self.relogin {
            Pending::Relogin
        } else {
            Pending::Resume
        };
        self.send(request, pending);
    }

    /// Leaves the session: the server forgets its token (`all`: every session of the account,
    /// on every machine), and a fresh connection opens so the login form is ready.
    pub fn logout(&mut self, all: bool) {
        self.token = None;
        self.attempt = None;
        self.retry = None;
        self.relogin = false;
        self.feedback.token = Some(TokenNews::Ended);
        self.logging_out = true;
        if self.phase == Phase::LoggedIn {
            self.send(Request::Logout { all }, Pending::Logout);
        } else {
            // Not logged in on this connection: nothing for the server to revoke here.
            self.connection = None;
        }
        if self.connection.is_none() {
            self.finish_logout();
        }
    }

    fn finish_logout(&mut self) {
        self.logging_out = false;
        self.chat = Chat::default();
        self.phase = Phase::Connecting;
        self.open();
    }

    /// Drops the connection and any reconnection: back to the connect window.
    pub fn disconnect(&mut self) {
        self.token = None;
        self.attempt = None;
        self.retry = None;
        self.relogin = false;
        self.resume_when_connected = false;
        self.logging_out = false;
        self.connection = None;
        self.session = None;
        self.pending.clear();
        self.chat = Chat::default();
        self.phase = Phase::Offline;
    }

    /// Reconnects now instead of waiting for the backoff.
    pub fn reconnect_now(&mut self) {
        if let Phase::Reconnecting { attempt, .. } = self.phase {
            self.phase = Phase::Reconnecting {
                attempt,
                retry_at: None,
            };
            self.open();
        }
    }

    /// Opens the conversation with `peer` and, the first time, asks for the messages the server
    /// keeps of it. Asked before anything is sent to them, so what the user sends next comes
    /// after that page and is never in it.
    pub fn open_conversation(&mut self, peer: &str) {
        self.chat.open_conversation(peer);
        self.ask_first_page(peer);
    }

    fn ask_first_page(&mut self, peer: &str) {
        if self.phase != Phase::LoggedIn {
            return;
        }
        let c = self.chat.conversation_mut(peer);
        if c.first_page != FirstPage::NotAsked {
            return;
        }
        c.first_page = FirstPage::Asked;
        let with = c.peer.clone();
        self.send(
            Request::PrivateHistory { with, before: None },
            Pending::PrivateHistory(login_key(peer)),
        );
    }

    /// Asks for the page of lines before the oldest held in `target`, if the server keeps
    /// earlier ones and none is on its way.
    pub fn load_earlier(&mut self, target: &Target) {
        if self.phase != Phase::LoggedIn {
            return;
        }
        match target {
            Target::Room => {
                let Some(room) = self.chat.room_name().map(str::to_owned) else {
                    return;
                };
                let Some(h) = self.chat.current_history_mut() else {
                    return;
                };
                let Some(before) = h.oldest_id().filter(|_| h.earlier == Earlier::More) else {
                    return;
                };
                h.earlier = Earlier::Loading;
                self.send(
                    Request::History {
                        room,
                        before: Some(before),
                    },
                    Pending::History,
                );
            }
            Target::Private(key) => {
                let Some(c) = self.chat.conversation(key) else {
                    return;
                };
                let Some(before) = c
                    .history
                    .oldest_id()
                    .filter(|_| c.history.earlier == Earlier::More)
                else {
                    return;
                };
                let with = c.peer.clone();
                self.chat.conversation_mut(key).history.earlier = Earlier::Loading;
                self.send(
                    Request::PrivateHistory {
                        with,
                        before: Some(before),
                    },
                    Pending::PrivateHistory(key.clone()),
                );
            }
        }
    }

    /// Handles every event waiting on the connection. Returns whether anything happened.
    pub fn pump(&mut self, now: Instant) -> bool {
        let mut events = Vec::new();
        if let Some(connection) = &self.connection {
            events.extend(connection.events().try_iter());
        }
        let any = !events.is_empty();
        for event in events {
            self.handle(event, now);
        }
        any
    }

    /// Starts a reconnection or a retry that is due; returns how long until the next one is,
    /// so the UI can ask to be woken then.
    pub fn tick(&mut self, now: Instant) -> Option<Duration> {
        if let Some((at, what)) = self.retry {
            if at > now {
                return Some(at - now);
            }
            self.retry = None;
            if let Some(problem) = &mut self.feedback.login {
                problem.retry_at = None;
            }
            match what {
                Retry::Login => self.send_login(),
                Retry::Resume => self.send_resume(),
            }
            return None;
        }
        let Phase::Reconnecting {
            attempt,
            retry_at: Some(at),
        } = self.phase
        else {
            return None;
        };
        if at <= now {
            self.phase = Phase::Reconnecting {
                attempt,
                retry_at: None,
            };
            self.open();
            None
        } else {
            Some(at - now)
        }
    }

    /// Applies one event of the connection.
    pub fn handle(&mut self, event: Event, now: Instant) {
        match event {
            Event::Connected(session) => self.connected(session),
            Event::Frame(frame) => self.frame(frame, now),
            Event::Disconnected(why) => self.disconnected(why, now),
        }
    }

    fn connected(&mut self, session: Session) {
        self.session = Some(session);
        self.last = None;
        let reconnecting = matches!(self.phase, Phase::Reconnecting { .. });
        if self.token.is_some() && (reconnecting || self.resume_when_connected) {
            self.resume_when_connected = false;
            self.relogin = reconnecting;
            self.send_resume();
        } else {
            self.phase = Phase::Connected;
        }
    }

    fn frame(&mut self, frame: ServerFrame, now: Instant) {
        let pending = frame.re.and_then(|re| self.pending.remove(&re));
        let time = frame.time;
        match (&frame.message, pending) {
            (
                ServerMessage::Error {
                    code,
                    message,
                    field,
                    retry_after_ms,
                },
                pending,
            ) => {
                tracing::debug!(?code, ?field, message, "request refused");
                let refusal = Refusal {
                    code: *code,
                    field: *field,
                };
                let retry_at = retry_after_ms.map(|ms| now + Duration::from_millis(ms));
                self.refused(time, refusal, retry_at, pending);
            }
            (ServerMessage::Registered { login }, _) => {
                self.feedback.registered = Some(login.clone());
            }
            (
                ServerMessage::LoggedIn {
                    login,
                    token,
                    token_expires,
                },
                pending,
            ) => self.logged_in(time, login, token.as_deref(), *token_expires, pending),
            (ServerMessage::Rooms { .. }, Some(Pending::ListRooms)) => {
                self.chat.apply(time, &frame.message);
                let rooms = self.chat.rooms.clone();
                self.chat.note(time, LineKind::RoomList(rooms));
            }
            (ServerMessage::Users { .. }, Some(Pending::ShowUsers)) => {
                self.chat.apply(time, &frame.message);
                self.feedback.users_arrived = true;
            }
            (message, _) => {
                self.chat.apply(time, message);
                if let ServerMessage::Private { from, .. } = message {
                    // A conversation that starts with their message shows what came before.
                    self.ask_first_page(from);
                }
            }
        }
    }

    fn logged_in(
        &mut self,
        time: i64,
        login: &str,
        token: Option<&str>,
        expires_ms: Option<i64>,
        pending: Option<Pending>,
    ) {
        // The password has done its work.
        self.attempt = None;
        self.retry = None;
        let again = pending == Some(Pending::Relogin) && self.chat.is_me(login);
        let room_before = again
            .then(|| self.chat.room_name().map(str::to_owned))
            .flatten();
        if !self.chat.is_me(login) || self.chat.me.is_empty() {
            self.chat = Chat::new(login);
        }
        if let Some(token) = token {
            let token = SessionToken {
                login: login.to_owned(),
                token: token.to_owned(),
                expires_ms,
            };
            if self.token.as_ref() != Some(&token) {
                self.feedback.token = Some(TokenNews::Issued(token.clone()));
            }
            self.token = Some(token);
        }
        self.phase = Phase::LoggedIn;
        self.relogin = false;
        self.feedback.login = None;
        self.backoff.reset();
        self.lost = None;
        self.chat.pages_lost();
        if again {
            self.chat.note(time, LineKind::ConnectionBack);
        }
        let default = self.session.as_ref().map(|s| room_key(&s.default_room));
        if let Some(room) = room_before.filter(|r| Some(room_key(r)) != default) {
            self.send(Request::EnterRoom { room }, Pending::ReEnter);
        }
        let asked: Vec<String> = self
            .chat
            .conversations()
            .filter(|c| c.first_page == FirstPage::NotAsked)
            .map(|c| c.peer.clone())
            .collect();
        for peer in asked {
            self.ask_first_page(&peer);
        }
    }

    fn refused(
        &mut self,
        time: i64,
        refusal: Refusal,
        retry_at: Option<Instant>,
        pending: Option<Pending>,
    ) {
        let busy = matches!(refusal.code, ErrorCode::ServerBusy | ErrorCode::RateLimited);
        match pending {
            Some(Pending::Register(_)) => self.feedback.register = Some(refusal),
            Some(Pending::Login) => {
                // A busy server is asked again when it says; other refusals need the user.
                let retrying = refusal.code == ErrorCode::ServerBusy && retry_at.is_some();
                if let (true, Some(at)) = (retrying, retry_at) {
                    self.retry = Some((at, Retry::Login));
                } else {
                    self.attempt = None;
                    self.phase = Phase::Connected;
                }
                self.feedback.login = Some(LoginProblem {
                    refusal,
                    retry_at,
                    retrying,
                });
            }
            Some(Pending::Relogin | Pending::Resume) if busy && retry_at.is_some() => {
                if let Some(at) = retry_at {
                    self.retry = Some((at, Retry::Resume));
                }
                self.feedback.login = Some(LoginProblem {
                    refusal,
                    retry_at,
                    retrying: true,
                });
            }
            Some(Pending::Relogin | Pending::Resume) => {
                // The token is no longer valid: the password is needed.
                self.token = None;
                self.relogin = false;
                self.feedback.token = Some(TokenNews::Ended);
                self.chat = Chat::default();
                self.phase = Phase::Connected;
                self.feedback.login = Some(LoginProblem {
                    refusal,
                    retry_at: None,
                    retrying: false,
                });
            }
            Some(Pending::ReEnter | Pending::Logout) => {}
            Some(Pending::History) => {
                if let Some(h) = self.chat.current_history_mut() {
                    h.earlier = Earlier::None;
                }
            }
            Some(Pending::PrivateHistory(key)) => {
                let c = self.chat.conversation_mut(&key);
                c.first_page = FirstPage::Arrived;
                c.history.earlier = Earlier::None;
            }
            Some(Pending::Private(peer)) => {
                self.chat
                    .conversation_mut(&peer)
                    .history
                    .push(Line::new(time, LineKind::Refused(refusal)));
            }
            Some(Pending::ListRooms | Pending::ShowUsers | Pending::Command) | None => {
                self.chat.note(time, LineKind::Refused(refusal));
            }
        }
    }

    fn disconnected(&mut self, why: Disconnect, now: Instant) {
        // The window words the reason in its language; the system's details go to the log.
        tracing::info!(addr = %self.addr, "disconnected: {why}");
        let was_in_session = self.in_session();
        self.connection = None;
        self.pending.clear();
        self.retry = None;
        self.attempt = None;
        if self.logging_out {
            self.finish_logout();
            return;
        }
        let recoverable = match &why {
            Disconnect::ServerClosed { reason, .. } => matches!(
                reason,
                CloseReason::ServerShutdown
                    | CloseReason::IdleTimeout
                    | CloseReason::SlowConsumer
                    | CloseReason::TooManyConnections
            ),
            Disconnect::Lost(_)
            | Disconnect::TimedOut
            | Disconnect::Refused
            | Disconnect::Unresolved(_) => true,
            // A changed certificate needs the user's decision; the others will not heal by waiting.
            Disconnect::VersionMismatch(_)
            | Disconnect::ClosedByClient
            | Disconnect::CertificateChanged { .. }
            | Disconnect::Tls(_) => false,
        };
        if was_in_session && recoverable && self.token.is_some() {
            if matches!(self.phase, Phase::LoggedIn) {
                let time = self.server_now_ms();
                self.chat.note(time, LineKind::ConnectionLost);
                self.lost = Some(why.clone());
            }
            let delay = self.backoff.next_delay();
            self.phase = Phase::Reconnecting {
                attempt: self.backoff.failures(),
                retry_at: Some(now + delay),
            };
        } else {
            self.session = None;
            self.token = None;
            self.relogin = false;
            self.resume_when_connected = false;
            self.lost = None;
            self.phase = Phase::Offline;
        }
        self.last = Some(why);
    }
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv4Addr, SocketAddr};

    use super::*;

    fn session() -> Session {
        Session {
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 7878)),
            server: "test".into(),
            default_room: "lobby".into(),
            clock: ClockSync::unsynced(Arc::new(SystemClock)),
            tls: None,
        }
    }

    fn frame(re: Option<u32>, message: ServerMessage) -> Event {
        Event::Frame(ServerFrame {
            time: 1,
            re,
            message,
        })
    }

    /// A client with a real connection object whose requests go nowhere: a port nothing
    /// listens on, so what it queues and remembers can be checked without a server.
    fn connected_to_nothing() -> Client {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap();
        let mut c = Client::new(None);
        c.addr = format!("127.0.0.1:{port}");
        c.open();
        c
    }

    /// A client at the login window, connected to nothing.
    fn at_login_window() -> Client {
        let mut c = connected_to_nothing();
        c.handle(Event::Connected(session()), Instant::now());
        c
    }

    /// The only request the client waits an answer for, and its id.
    fn only_pending(c: &Client) -> (u32, Pending) {
        assert_eq!(c.pending.len(), 1, "{:?}", c.pending);
        let (id, p) = c.pending.iter().next().unwrap();
        (*id, p.clone())
    }

    fn logged_in_reply(login: &str) -> ServerMessage {
        ServerMessage::LoggedIn {
            login: login.into(),
            token: Some("t0k3n".into()),
            token_expires: Some(2_000_000_000_000),
        }
    }

    /// A client that believes it logged in as `ana`.
    fn logged_in() -> Client {
        let mut c = at_login_window();
        c.login("ana", Password::from("secret-pass"));
        let (id, _) = only_pending(&c);
        c.handle(frame(Some(id), logged_in_reply("ana")), Instant::now());
        c
    }

    fn busy(code: chat_core::protocol::ErrorCode, ms: u64) -> ServerMessage {
        ServerMessage::Error {
            code,
            message: "wait".into(),
            field: None,
            retry_after_ms: Some(ms),
        }
    }

    #[test]
    fn the_password_is_dropped_when_logged_in_and_the_token_kept() {
        let mut c = at_login_window();
        c.login("ana", Password::from("secret-pass"));
        assert!(c.holds_password());
        let (id, pending) = only_pending(&c);
        assert_eq!(pending, Pending::Login);
        c.handle(frame(Some(id), logged_in_reply("Ana")), Instant::now());
        assert!(!c.holds_password());
        assert_eq!(c.token().map(|t| t.token.as_str()), Some("t0k3n"));
        assert!(matches!(
            c.feedback.token,
            Some(TokenNews::Issued(ref t)) if t.login == "Ana"
        ));
        assert!(
            !format!("{:?}", c.token()).contains("t0k3n"),
            "the token stays out of logs"
        );
    }

    #[test]
    fn a_busy_server_is_asked_again_when_it_says() {
        use chat_core::protocol::ErrorCode;
        let mut c = at_login_window();
        c.login("ana", Password::from("secret-pass"));
        let (id, _) = only_pending(&c);
        let now = Instant::now();
        c.handle(frame(Some(id), busy(ErrorCode::ServerBusy, 2_500)), now);
        let problem = c.feedback.login.clone().unwrap();
        assert!(problem.retrying);
        assert_eq!(problem.retry_at, Some(now + Duration::from_millis(2_500)));
        assert!(c.holds_password(), "kept to try again");
        assert_eq!(c.tick(now), Some(Duration::from_millis(2_500)));
        assert_eq!(c.pending_requests(), 0);
        assert_eq!(c.tick(now + Duration::from_secs(3)), None);
        assert_eq!(only_pending(&c).1, Pending::Login, "sent again by itself");

        // Too many failures: the user is told when, and nothing is retried.
        let (id, _) = only_pending(&c);
        c.handle(frame(Some(id), busy(ErrorCode::RateLimited, 8_000)), now);
        assert!(!c.feedback.login.clone().unwrap().retrying);
        assert!(!c.holds_password());
        assert_eq!(c.phase(), &Phase::Connected);
        assert_eq!(c.tick(now + Duration::from_secs(60)), None);
        assert_eq!(c.pending_requests(), 0);
    }

    #[test]
    fn a_refused_token_goes_back_to_the_login_window() {
        use chat_core::protocol::{ErrorCode, Field};
        let mut c = logged_in();
        c.handle(Event::Disconnected(Disconnect::Refused), Instant::now());
        c.reconnect_now();
        c.handle(Event::Connected(session()), Instant::now());
        let (id, pending) = only_pending(&c);
        assert_eq!(pending, Pending::Relogin);
        c.feedback.token = None;
        let refusal = ServerMessage::Error {
            code: ErrorCode::BadToken,
            message: "expired".into(),
            field: Some(Field::Token),
            retry_after_ms: None,
        };
        c.handle(frame(Some(id), refusal), Instant::now());
        assert_eq!(c.phase(), &Phase::Connected);
        assert!(!c.in_session());
        assert!(c.token().is_none());
        assert_eq!(c.feedback.token, Some(TokenNews::Ended));
        assert_eq!(
            c.feedback.login.as_ref().map(|p| p.refusal.code),
            Some(ErrorCode::BadToken)
        );
    }

    #[test]
    fn a_lost_connection_waits_with_backoff_and_keeps_the_main_window() {
        let mut c = logged_in();
        assert_eq!(c.phase(), &Phase::LoggedIn);
        let now = Instant::now();
        c.handle(Event::Disconnected(Disconnect::Lost("reset".into())), now);
        assert!(
            matches!(c.phase(), Phase::Reconnecting { attempt: 1, retry_at: Some(at) } if *at == now + RECONNECT_FIRST_DELAY)
        );
        assert!(c.in_session());
        assert_eq!(c.tick(now), Some(RECONNECT_FIRST_DELAY));
        assert!(c.token().is_some());
        assert!(!c.holds_password());
    }

    #[test]
    fn a_session_taken_over_elsewhere_does_not_reconnect() {
        let mut c = logged_in();
        let why = Disconnect::ServerClosed {
            reason: CloseReason::TakenOver,
            message: "logged in elsewhere".into(),
        };
        c.handle(Event::Disconnected(why.clone()), Instant::now());
        assert_eq!(c.phase(), &Phase::Offline);
        assert_eq!(c.last_disconnect(), Some(&why));
        assert!(c.token().is_none());
    }

    #[test]
    fn reconnecting_resumes_the_session_with_its_token() {
        let mut c = logged_in();
        c.handle(Event::Disconnected(Disconnect::Refused), Instant::now());
        c.phase = Phase::Reconnecting {
            attempt: 1,
            retry_at: None,
        };
        c.open();
        c.handle(Event::Connected(session()), Instant::now());
        assert_eq!(c.phase(), &Phase::LoggingIn);
        assert_eq!(
            c.pending.values().collect::<Vec<_>>(),
            [&Pending::Relogin],
            "the session is resumed by itself"
        );
        assert!(
            c.in_session(),
            "the main window stays while logging in again"
        );
    }

    #[test]
    fn saying_lines_leaves_nothing_waiting_for_a_reply() {
        let mut c = logged_in();
        for n in 0..100 {
            c.say(format!("line {n}"));
        }
        assert_eq!(c.pending_requests(), 0);
        c.send(Request::ListRooms { offset: 0 }, Pending::ListRooms);
        assert_eq!(
            c.pending_requests(),
            1,
            "requests with a reply are remembered"
        );
    }

    #[test]
    fn the_reason_for_losing_the_session_outlives_failed_attempts() {
        let mut c = logged_in();
        let shutdown = Disconnect::ServerClosed {
            reason: CloseReason::ServerShutdown,
            message: "bye".into(),
        };
        c.handle(Event::Disconnected(shutdown.clone()), Instant::now());
        c.reconnect_now();
        c.handle(Event::Disconnected(Disconnect::Refused), Instant::now());
        assert!(matches!(c.phase(), Phase::Reconnecting { attempt: 2, .. }));
        assert_eq!(c.lost_because(), Some(&shutdown));
        assert_eq!(c.last_disconnect(), Some(&Disconnect::Refused));
    }

    #[test]
    fn a_refused_first_connection_goes_back_offline_with_the_reason() {
        let mut c = Client::new(None);
        c.phase = Phase::Connecting;
        c.handle(Event::Disconnected(Disconnect::Refused), Instant::now());
        assert_eq!(c.phase(), &Phase::Offline);
        assert_eq!(c.last_disconnect(), Some(&Disconnect::Refused));
    }

    #[test]
    fn errors_are_routed_to_the_request_that_failed() {
        use chat_core::protocol::{ErrorCode, Field};
        let mut c = logged_in();
        c.handle(
            frame(
                None,
                ServerMessage::Entered {
                    room: "lobby".into(),
                    creator: None,
                    members: vec!["ana".into()],
                    member_count: 1,
                    away: Vec::new(),
                    history: Vec::new(),
                    more_history: false,
                },
            ),
            Instant::now(),
        );
        c.pending.insert(8, Pending::Private("bob".into()));
        c.pending.insert(9, Pending::Command);
        let error = |code| ServerMessage::error(code, "no");
        c.handle(
            frame(Some(8), error(ErrorCode::UserOffline)),
            Instant::now(),
        );
        c.handle(
            frame(Some(9), error(ErrorCode::RoomNotFound)),
            Instant::now(),
        );
        let private = &c.chat.conversation("bob").unwrap().history;
        assert!(
            matches!(&private.get(0).unwrap().kind, LineKind::Refused(r) if r.code == ErrorCode::UserOffline)
        );
        let room = c.chat.current_history().unwrap();
        assert!(
            room.iter().any(
                |l| matches!(&l.kind, LineKind::Refused(r) if r.code == ErrorCode::RoomNotFound)
            )
        );

        c.pending.insert(10, Pending::Register("ana".into()));
        c.handle(
            frame(
                Some(10),
                ServerMessage::Error {
                    code: ErrorCode::LoginTaken,
                    message: "taken".into(),
                    field: Some(Field::Login),
                    retry_after_ms: None,
                },
            ),
            Instant::now(),
        );
        assert_eq!(
            c.feedback.register.as_ref().unwrap().field,
            Some(Field::Login)
        );
    }
}
