//! The connection's life as the user experiences it: connecting, logging in, losing the
//! connection, waiting, reconnecting and resuming the session without the password.
//!
//! [`Client`] owns the [`Connection`] (whose threads own the socket) and turns its events into
//! state: the [`Phase`], form feedback and the [`Chat`]. The UI thread calls [`Client::pump`]
//! when it is woken and [`Client::tick`] to learn when a reconnection or a retry is due;
//! neither blocks.
//!
//! The files: `phase` (where the connection stands, and what each stage holds), `pending` and
//! `feedback` (the types the windows see), `account` (registering, logging in and out, resuming),
//! `events` (what the connection reports: connected, a frame, disconnected), `paging` (asking
//! for earlier lines), `files` (lines that carry files, and where the files are).
//!
//! Architecture Invariant: the password is held only while a login with it is under way (to
//! retry when the server says it is busy) and dropped when `logged_in` arrives or the login is
//! refused for good; it is never written to the settings or a log (`Password`'s `Debug` hides
//! it). After that the session token is what logs in again: `resume` after a reconnection.

mod account;
mod events;
mod feedback;
mod files;
mod paging;
mod pending;
mod phase;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use web_time::Instant;

use chat_core::client::{self, ClientOptions, Connection, Disconnect, Event, Session, Waker};
use chat_core::clock::{Clock, ClockSync, SystemClock};
use chat_core::protocol::Request;
use chat_core::tls::{ClientTls, KnownHosts};

pub use self::feedback::{Feedback, LoginProblem, SessionToken, TokenNews};
pub use self::pending::Pending;
pub use self::phase::{LoggingIn, Phase};
use crate::backoff::Backoff;
use crate::chat::Chat;
use crate::limits::{RECONNECT_FIRST_DELAY, RECONNECT_MAX_DELAY};

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
    pending: HashMap<u32, Pending>,
    /// The files of private messages sent and not yet answered, by request.
    files_sent: HashMap<u32, (String, Vec<chat_core::protocol::Attachment>)>,
    backoff: Backoff,
    clock: Arc<dyn Clock>,
    waker: Option<Waker>,
    known_hosts: KnownHosts,
    trust_new_certificate: bool,
    /// The signed-in user is one of the server's administrators.
    admin: bool,
    /// The number of the last room line received, sent when resuming after a lost connection.
    last_line: u64,
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
            pending: HashMap::new(),
            files_sent: HashMap::new(),
            backoff: Backoff::new(RECONNECT_FIRST_DELAY, RECONNECT_MAX_DELAY),
            clock: Arc::new(SystemClock),
            waker,
            known_hosts: KnownHosts::default(),
            trust_new_certificate: false,
            admin: false,
            last_line: 0,
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

    /// Whether the signed-in user is one of the server's administrators (as `logged_in` said).
    pub fn admin(&self) -> bool {
        self.admin && self.phase.is_logged_in()
    }

    /// Whether a password is held in memory (only while a login with it is under way).
    pub fn holds_password(&self) -> bool {
        matches!(&self.phase, Phase::LoggingIn(login) if login.holds_password())
    }

    /// The session token held in memory, if logged in (or resuming).
    pub fn token(&self) -> Option<&SessionToken> {
        self.token.as_ref()
    }

    /// The login whose kept session is being resumed (no password typed), while it is.
    pub fn resuming_login(&self) -> Option<&str> {
        match &self.phase {
            Phase::LoggingIn(login) if login.resuming_kept_session() => {
                self.token.as_ref().map(|t| t.login.as_str())
            }
            _ => None,
        }
    }

    /// Whether the main window is what the user should see (logged in, or getting back there).
    pub fn in_session(&self) -> bool {
        match &self.phase {
            Phase::LoggedIn | Phase::LoggingOut | Phase::Reconnecting { .. } => true,
            Phase::LoggingIn(login) => login.after_reconnection(),
            Phase::Offline | Phase::Connecting { .. } | Phase::Connected => false,
        }
    }

    /// Starts connecting to `addr` (`host:port`); returns at once. Whatever the last
    /// connection showed is forgotten: this may be another server.
    pub fn connect(&mut self, addr: &str) {
        self.addr = addr.trim().to_owned();
        self.chat = Chat::default();
        self.token = None;
        self.backoff.reset();
        self.last = None;
        self.phase = Phase::Connecting { resume: false };
        self.open();
    }

    /// Connects to `addr` and resumes the session of `token` (kept from an earlier run) as soon
    /// as connected, without the password.
    pub fn resume(&mut self, addr: &str, token: SessionToken) {
        self.connect(addr);
        self.token = Some(token);
        self.phase = Phase::Connecting { resume: true };
    }

    fn open(&mut self) {
        self.pending.clear();
        self.files_sent.clear();
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

    /// Says a line in the room, answering line `reply_to` if given. A successful `say` has no
    /// reply, so nothing is remembered for it: an error that comes back for it is shown in the
    /// room like any unclaimed error.
    pub fn say(&mut self, text: String, reply_to: Option<u64>) {
        if let Some(connection) = &self.connection {
            connection.send(Request::Say {
                attachments: Vec::new(),
                reply_to,
                text,
            });
        }
    }

    /// Tells `peer` the user is typing to them. No reply on success, so nothing is remembered.
    pub fn typing(&mut self, peer: &str) {
        if self.phase.is_logged_in()
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

    /// Drops the connection and any reconnection: back to the connect window.
    pub fn disconnect(&mut self) {
        self.token = None;
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
            events.extend(connection.try_events());
        }
        let any = !events.is_empty();
        for event in events {
            self.handle(event, now);
        }
        if any {
            self.ask_presence();
        }
        any
    }

    /// Starts a reconnection or a retry that is due; returns how long until the next one is,
    /// so the UI can ask to be woken then.
    pub fn tick(&mut self, now: Instant) -> Option<Duration> {
        match &mut self.phase {
            Phase::LoggingIn(login) => {
                let at = login.retry_at?;
                if at > now {
                    return Some(at - now);
                }
                login.retry_at = None;
                let after_reconnection = login.after_reconnection();
                let with_password = login.holds_password();
                if let Some(problem) = &mut self.feedback.login {
                    problem.retry_at = None;
                }
                if with_password {
                    self.send_login();
                } else {
                    self.send_resume(after_reconnection);
                }
                None
            }
            Phase::Reconnecting {
                attempt,
                retry_at: Some(at),
            } => {
                if *at > now {
                    return Some(*at - now);
                }
                let attempt = *attempt;
                self.phase = Phase::Reconnecting {
                    attempt,
                    retry_at: None,
                };
                self.open();
                None
            }
            _ => None,
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
}
