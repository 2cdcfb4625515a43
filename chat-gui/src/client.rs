//! The connection's life as the user experiences it: connecting, logging in, losing the
//! connection, waiting, reconnecting and logging in again without retyping the password.
//!
//! [`Client`] owns the [`Connection`] (whose threads own the socket) and turns its events into
//! state: the [`Phase`], form feedback and the [`Chat`]. The UI thread calls [`Client::pump`]
//! when it is woken and [`Client::tick`] to learn when a reconnection is due; neither blocks.
//!
//! Architecture Invariant: the password lives only here, in memory, for the session; it is never
//! written to the settings or a log (`Password`'s `Debug` hides it).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chat_core::client::{self, ClientOptions, Connection, Disconnect, Event, Session, Waker};
use chat_core::clock::{Clock, ClockSync, SystemClock};
use chat_core::protocol::{CloseReason, Password, Request, ServerFrame, ServerMessage};
use chat_core::tls::{ClientTls, KnownHosts};
use chat_core::validate::room_key;

use crate::backoff::Backoff;
use crate::chat::Chat;
use crate::history::{LineKind, Refusal};
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
    /// Login sent, waiting for the answer.
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
    /// The automatic login after a reconnection.
    Relogin,
    /// Re-entering the room the user was in before the connection was lost.
    Resume,
    /// `#lR`: the answer is shown as a line.
    ListRooms,
    /// `#show users`: the answer opens the users window.
    ShowUsers,
    /// A private message to this peer.
    Private(String),
    /// Any other command; errors are shown in the room.
    Command,
}

/// Answers the forms show.
#[derive(Debug, Clone, Default)]
pub struct Feedback {
    /// Why the last login failed.
    pub login: Option<Refusal>,
    /// Why the last registration failed.
    pub register: Option<Refusal>,
    /// The login just registered, to prefill the login form.
    pub registered: Option<String>,
    /// The users window was asked for and its list arrived.
    pub users_arrived: bool,
}

/// The login and password of the session, for logging in again after a reconnection.
#[derive(Clone)]
struct Credentials {
    login: String,
    password: Password,
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
    credentials: Option<Credentials>,
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
            credentials: None,
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

    /// Whether the main window is what the user should see (logged in, or getting back there).
    pub fn in_session(&self) -> bool {
        match self.phase {
            Phase::LoggedIn | Phase::Reconnecting { .. } => true,
            Phase::LoggingIn => self.pending.values().any(|p| *p == Pending::Relogin),
            _ => false,
        }
    }

    /// Starts connecting to `addr` (`host:port`); returns at once.
    pub fn connect(&mut self, addr: &str) {
        self.addr = addr.trim().to_owned();
        self.credentials = None;
        self.logging_out = false;
        self.backoff.reset();
        self.last = None;
        self.phase = Phase::Connecting;
        self.open();
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

    /// Logs in; the credentials are kept in memory to log in again after a reconnection.
    pub fn login(&mut self, login: &str, password: Password) {
        self.feedback.login = None;
        self.credentials = Some(Credentials {
            login: login.to_owned(),
            password: password.clone(),
        });
        self.phase = Phase::LoggingIn;
        self.send(
            Request::Login {
                login: login.to_owned(),
                password,
            },
            Pending::Login,
        );
    }

    /// Leaves the session: says goodbye, forgets the password, and opens a fresh connection so
    /// the login form is ready.
    pub fn logout(&mut self) {
        self.credentials = None;
        self.logging_out = true;
        self.send(Request::Exit, Pending::Command);
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
        self.credentials = None;
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

    /// Starts a reconnection that is due; returns how long until the next one is, so the UI can
    /// ask to be woken then.
    pub fn tick(&mut self, now: Instant) -> Option<Duration> {
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
            Event::Frame(frame) => self.frame(frame),
            Event::Disconnected(why) => self.disconnected(why, now),
        }
    }

    fn connected(&mut self, session: Session) {
        self.session = Some(session);
        self.last = None;
        match (&self.phase, self.credentials.clone()) {
            (Phase::Reconnecting { .. }, Some(c)) => {
                self.phase = Phase::LoggingIn;
                self.send(
                    Request::Login {
                        login: c.login,
                        password: c.password,
                    },
                    Pending::Relogin,
                );
            }
            _ => self.phase = Phase::Connected,
        }
    }

    fn frame(&mut self, frame: ServerFrame) {
        let pending = frame.re.and_then(|re| self.pending.remove(&re));
        let time = frame.time;
        match (&frame.message, pending) {
            (
                ServerMessage::Error {
                    code,
                    message,
                    field,
                    ..
                },
                pending,
            ) => {
                tracing::debug!(?code, ?field, message, "request refused");
                let refusal = Refusal {
                    code: *code,
                    field: *field,
                };
                self.refused(time, refusal, pending);
            }
            (ServerMessage::Registered { login }, _) => {
                self.feedback.registered = Some(login.clone());
            }
            (ServerMessage::LoggedIn { login, .. }, pending) => {
                let resume = (pending == Some(Pending::Relogin) && self.chat.is_me(login))
                    .then(|| self.chat.room_name().map(str::to_owned))
                    .flatten();
                if !self.chat.is_me(login) || self.chat.me.is_empty() {
                    self.chat = Chat::new(login);
                }
                if let Some(c) = &mut self.credentials {
                    c.login = login.clone();
                }
                self.phase = Phase::LoggedIn;
                self.backoff.reset();
                self.lost = None;
                if pending == Some(Pending::Relogin) {
                    self.chat.note(time, LineKind::ConnectionBack);
                }
                let default = self.session.as_ref().map(|s| room_key(&s.default_room));
                if let Some(room) = resume.filter(|r| Some(room_key(r)) != default) {
                    self.send(Request::EnterRoom { room }, Pending::Resume);
                }
            }
            (ServerMessage::Rooms { .. }, Some(Pending::ListRooms)) => {
                self.chat.apply(time, &frame.message);
                let rooms = self.chat.rooms.clone();
                self.chat.note(time, LineKind::RoomList(rooms));
            }
            (ServerMessage::Users { .. }, Some(Pending::ShowUsers)) => {
                self.chat.apply(time, &frame.message);
                self.feedback.users_arrived = true;
            }
            (message, _) => self.chat.apply(time, message),
        }
    }

    fn refused(&mut self, time: i64, refusal: Refusal, pending: Option<Pending>) {
        match pending {
            Some(Pending::Register(_)) => self.feedback.register = Some(refusal),
            Some(Pending::Login | Pending::Relogin) => {
                // A refused automatic login (the password changed, say) needs the user.
                self.credentials = None;
                self.chat = Chat::default();
                self.phase = Phase::Connected;
                self.feedback.login = Some(refusal);
            }
            Some(Pending::Resume) => {}
            Some(Pending::Private(peer)) => {
                self.chat
                    .conversation_mut(&peer)
                    .history
                    .push(crate::history::Line {
                        time_ms: time,
                        kind: LineKind::Refused(refusal),
                    });
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
        if was_in_session && recoverable && self.credentials.is_some() {
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
            self.credentials = None;
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

    /// A client that believes it logged in as `ana`.
    fn logged_in() -> Client {
        let mut c = connected_to_nothing();
        c.handle(Event::Connected(session()), Instant::now());
        c.credentials = Some(Credentials {
            login: "ana".into(),
            password: Password::from("secret-pass"),
        });
        c.phase = Phase::LoggingIn;
        c.pending.insert(7, Pending::Login);
        c.handle(
            frame(
                Some(7),
                ServerMessage::LoggedIn {
                    login: "ana".into(),
                    token: None,
                    token_expires: None,
                },
            ),
            Instant::now(),
        );
        c
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
        assert!(c.credentials.is_some());
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
        assert!(c.credentials.is_none());
    }

    #[test]
    fn reconnecting_logs_in_again_with_the_remembered_password() {
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
            "the login is sent again by itself"
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
