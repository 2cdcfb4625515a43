//! What a connection may do, and when it is dropped, does not depend on its protocol: each
//! behaviour of the connection driver is one test body below, run once for a native client and
//! once for an IRC client (`native::` and `irc::` at the bottom).
//!
//! Time is the server's driven clock: a deadline is crossed by moving the clock, not by waiting.

use std::time::Duration;

use chat_core::protocol::{CloseReason, Presence, Request, ServerMessage};
use chat_server::ServerConfig;

use super::harness::{Client, TestServer, registration};
use super::irc::Irc;

/// A client of one protocol, as these tests drive it.
trait Speaker: Sized {
    /// Connects, says as little as its protocol lets it say, and waits until the server has
    /// taken the connection up, without logging in.
    fn connect(server: &TestServer) -> Self;
    /// Logs in as `login` (registered already) on a new connection, and waits until in.
    fn log_in(server: &TestServer, login: &str) -> Self;
    /// Asks something that needs no answer beyond a keep-alive's (does not settle in).
    fn keep_alive(&mut self);
    /// Says a line in the user's room and waits for it to come back.
    fn say(&mut self, text: &str);
    /// Waits for the server's keep-alive question.
    fn expect_ping(&mut self);
    /// Waits to be told the server marked the user away.
    fn expect_marked_away(&mut self);
    /// Reads until the server closes the connection; returns why it said it closed.
    fn closed(&mut self) -> CloseReason;
    /// Sends `n` lines at once without waiting for anything.
    fn blurt(&mut self, n: usize);
}

/// A server for both protocols: IRC on a port of its own, small limits, no TLS.
fn server() -> TestServer {
    server_with(|_| {})
}

fn server_with(more: impl Fn(&mut ServerConfig) + 'static) -> TestServer {
    TestServer::start_with(move |c| {
        c.irc_bind = Some("127.0.0.1:0".into());
        more(c);
    })
}

/// Registers `login` with a native client.
fn account(server: &TestServer, login: &str) {
    let mut c = server.client();
    match c.request(Request::Register(registration(login))) {
        ServerMessage::Registered { .. } => {}
        other => panic!("{other:?}"),
    }
}

/// What an IRC `ERROR :Closing link: Why (...)` says, as a close reason.
fn irc_reason(text: &str) -> CloseReason {
    let why = text
        .strip_prefix("Closing link: ")
        .and_then(|t| t.split(" (").next())
        .unwrap_or(text);
    match why {
        "Quit" => CloseReason::Exit,
        "Logged in elsewhere" => CloseReason::TakenOver,
        "SendQ exceeded" => CloseReason::SlowConsumer,
        "Server shutting down" => CloseReason::ServerShutdown,
        "Registration timeout" => CloseReason::HandshakeTimeout,
        "Ping timeout" => CloseReason::IdleTimeout,
        "Too many connections" => CloseReason::TooManyConnections,
        "Excess flood" => CloseReason::Flood,
        _ => CloseReason::ProtocolError,
    }
}

struct Native(Client);

impl Speaker for Native {
    fn connect(server: &TestServer) -> Self {
        let mut c = Client::connect(server.addr());
        // The first byte of a frame's length: a native client, not a TLS one.
        c.send_raw(&[0]);
        server.wait_connections(1);
        Native(c)
    }

    fn log_in(server: &TestServer, login: &str) -> Self {
        let mut c = server.client();
        c.login(login);
        Native(c)
    }

    fn keep_alive(&mut self) {
        assert!(matches!(self.0.request(Request::Ping), ServerMessage::Pong));
    }

    fn say(&mut self, text: &str) {
        self.0.send(Request::Say {
            attachments: Vec::new(),
            reply_to: None,
            text: text.into(),
        });
        self.0.expect(
            "my line back",
            |m| matches!(m, ServerMessage::Message { text: t, .. } if t == text),
        );
    }

    fn expect_ping(&mut self) {
        self.0.expect("ping", |m| matches!(m, ServerMessage::Ping));
    }

    fn expect_marked_away(&mut self) {
        self.0.expect("marked away", |m| {
            matches!(
                m,
                ServerMessage::Presence {
                    presence: Presence::Away,
                    ..
                }
            )
        });
    }

    fn closed(&mut self) -> CloseReason {
        let rest = self.0.until_closed();
        rest.iter()
            .find_map(|m| match m {
                ServerMessage::Goodbye { reason, .. } => Some(*reason),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no goodbye in {rest:?}"))
    }

    fn blurt(&mut self, n: usize) {
        let line = chat_core::frame::encode(&chat_core::protocol::ClientFrame {
            id: 1,
            request: Request::Say {
                attachments: Vec::new(),
                reply_to: None,
                text: "bla".into(),
            },
        })
        .unwrap();
        self.0.send_raw(&line.repeat(n));
    }
}

struct OverIrc(Irc);

impl Speaker for OverIrc {
    fn connect(server: &TestServer) -> Self {
        let c = Irc::connect(server.handle().irc_addr().unwrap());
        server.wait_connections(1);
        OverIrc(c)
    }

    fn log_in(server: &TestServer, login: &str) -> Self {
        OverIrc(Irc::register(server.handle().irc_addr().unwrap(), login))
    }

    fn keep_alive(&mut self) {
        self.0.settle();
    }

    fn say(&mut self, text: &str) {
        self.0.send("CAP REQ :echo-message");
        self.0.expect_command("CAP");
        self.0.send(&format!("PRIVMSG #lobby :{text}"));
        self.0.expect("my line back", |l| {
            l.command == "PRIVMSG" && l.param(1) == text
        });
    }

    fn expect_ping(&mut self) {
        self.0.expect_command("PING");
    }

    fn expect_marked_away(&mut self) {
        self.0.expect_command("306");
    }

    fn closed(&mut self) -> CloseReason {
        let rest = self.0.until_closed();
        rest.iter()
            .find(|l| l.command == "ERROR")
            .map(|l| irc_reason(l.param(0)))
            .unwrap_or_else(|| panic!("no ERROR in {rest:?}"))
    }

    fn blurt(&mut self, n: usize) {
        let lines = "PRIVMSG #lobby :bla\r\n".repeat(n);
        self.0.send_raw(lines.as_bytes());
    }
}

/// A connection that does not log in in time is told so and closed.
fn the_handshake_has_one_deadline<S: Speaker>() {
    let server = server();
    let mut late = S::connect(&server);
    server.advance(Duration::from_secs(61));
    assert_eq!(late.closed(), CloseReason::HandshakeTimeout);
}

/// Before login, requests wait behind the first-steps gate.
fn first_steps_pass_the_gate<S: Speaker>() {
    let server = server();
    account(&server, "gina");
    let before = server.handle().counts().gated;
    let _gina = S::log_in(&server, "gina");
    assert!(server.handle().counts().gated > before);
}

/// A client that only keeps alive stays below the chat; its first real request settles it in.
fn a_client_settles_in_with_its_first_real_request<S: Speaker>() {
    let server = server();
    account(&server, "sol");
    let mut sol = S::log_in(&server, "sol");
    sol.keep_alive();
    let settled = |s: &TestServer| s.handle().counts().settled;
    if cfg!(target_os = "linux") {
        assert_eq!(settled(&server), 0, "keep-alives do not settle a client in");
    }
    sol.say("hola");
    sol.keep_alive();
    if cfg!(target_os = "linux") {
        assert_eq!(settled(&server), 1);
    }
}

/// A silent client is asked, then dropped if it does not answer.
fn a_silent_client_is_pinged_then_dropped<S: Speaker>() {
    let server = server_with(|c| c.away_after = Duration::from_secs(3600));
    account(&server, "tito");
    let mut tito = S::log_in(&server, "tito");
    server.advance(Duration::from_secs(91));
    tito.expect_ping();
    server.advance(Duration::from_secs(151));
    assert_eq!(tito.closed(), CloseReason::IdleTimeout);
}

/// No input for a while: the user is shown away, and told.
fn an_idle_user_is_shown_away<S: Speaker>() {
    let server = server();
    account(&server, "ines");
    let mut ines = S::log_in(&server, "ines");
    server.advance(Duration::from_secs(601));
    ines.expect_marked_away();
}

/// Too much, too fast, for too long (here: at once): dropped for flooding.
fn a_flooding_client_is_dropped<S: Speaker>() {
    let server = server_with(|c| {
        c.flood_burst = 2;
        c.flood_per_second = 1.0;
        c.flood_kick_after = Duration::ZERO;
    });
    account(&server, "rafa");
    let mut rafa = S::log_in(&server, "rafa");
    rafa.blurt(10);
    assert_eq!(rafa.closed(), CloseReason::Flood);
}

/// Logging in again elsewhere closes the first session, which is told why.
fn a_second_login_takes_over<S: Speaker>() {
    let server = server();
    account(&server, "luz");
    let mut first = S::log_in(&server, "luz");
    let _second = S::log_in(&server, "luz");
    assert_eq!(first.closed(), CloseReason::TakenOver);
}

/// A server that stops tells every client why.
fn shutdown_says_goodbye<S: Speaker>() {
    let mut server = server();
    account(&server, "eva");
    let mut eva = S::log_in(&server, "eva");
    let handle = server.handle.take().unwrap();
    let stopping = std::thread::spawn(move || handle.shutdown().unwrap());
    assert_eq!(eva.closed(), CloseReason::ServerShutdown);
    stopping.join().unwrap();
}

macro_rules! for_each_protocol {
    ($($test:ident),* $(,)?) => {
        mod native {
            $(#[test] fn $test() { super::$test::<super::Native>() })*
        }
        mod irc {
            $(#[test] fn $test() { super::$test::<super::OverIrc>() })*
        }
    };
}

for_each_protocol!(
    the_handshake_has_one_deadline,
    first_steps_pass_the_gate,
    a_client_settles_in_with_its_first_real_request,
    a_silent_client_is_pinged_then_dropped,
    an_idle_user_is_shown_away,
    a_flooding_client_is_dropped,
    a_second_login_takes_over,
    shutdown_says_goodbye,
);
