//! Starts servers and drives raw protocol clients for the tests.

use std::collections::VecDeque;
use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use chat_core::frame::{FrameReader, decode, encode};
use chat_core::limits::PROTOCOL_VERSION;
use chat_core::protocol::{
    ClientFrame, Gender, Password, Registration, Request, ServerFrame, ServerMessage,
};
use chat_server::{ServerClock, ServerConfig, ServerHandle};
use tempfile::TempDir;

/// How long a test waits for something the server should send.
pub const WAIT: Duration = Duration::from_secs(10);

/// A server on a free loopback port with its own store, on a clock the test drives.
pub struct TestServer {
    pub handle: Option<ServerHandle>,
    pub dir: TempDir,
    /// The server's clock: [`TestServer::advance`] crosses a deadline without waiting for it.
    pub clock: ServerClock,
    configure: Box<dyn Fn(&mut ServerConfig)>,
}

impl TestServer {
    pub fn start() -> Self {
        Self::start_with(|_| {})
    }

    pub fn start_with(configure: impl Fn(&mut ServerConfig) + 'static) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let clock = ServerClock::driven();
        let handle = Self::launch(&dir, &clock, &configure);
        TestServer {
            handle: Some(handle),
            dir,
            clock,
            configure: Box::new(configure),
        }
    }

    fn launch(
        dir: &TempDir,
        clock: &ServerClock,
        configure: &dyn Fn(&mut ServerConfig),
    ) -> ServerHandle {
        let mut config = ServerConfig::new(dir.path().join("accounts"));
        config.bind = "127.0.0.1:0".into();
        config.clock = clock.clone();
        // The raw protocol clients below speak plain TCP; the tls module tests TLS.
        config.tls = chat_server::TlsSetting::Off;
        configure(&mut config);
        chat_server::start(config).unwrap()
    }

    pub fn addr(&self) -> SocketAddr {
        self.handle.as_ref().unwrap().local_addr()
    }

    pub fn handle(&self) -> &ServerHandle {
        self.handle.as_ref().unwrap()
    }

    /// Stops the server (flushing the store) and starts a new one on the same store.
    pub fn restart(&mut self) {
        self.handle.take().unwrap().shutdown().unwrap();
        self.handle = Some(Self::launch(&self.dir, &self.clock, &self.configure));
    }

    /// Moves the server's clock ahead: its deadlines, expiries and rate limits see the time
    /// pass at once.
    pub fn advance(&self, by: Duration) {
        self.clock.advance(by);
    }

    /// A client that has said hello.
    pub fn client(&self) -> Client {
        let mut c = Client::connect(self.addr());
        c.hello();
        c
    }

    /// A client registered (password `password-<login>`) and logged in, its login events
    /// consumed.
    pub fn user(&self, login: &str) -> Client {
        let mut c = self.client();
        match c.request(Request::Register(registration(login))) {
            ServerMessage::Registered { .. } => {}
            other => panic!("register {login}: {other:?}"),
        }
        c.login(login);
        c
    }

    /// Waits until the server counts `n` connections (a closed client is gone server-side).
    pub fn wait_connections(&self, n: usize) {
        let deadline = Instant::now() + WAIT;
        while self.handle().connection_count() != n {
            assert!(
                Instant::now() < deadline,
                "connections: {} != {n}",
                self.handle().connection_count()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// A client at `addr` registered as `login` (password `password-<login>`) and logged in, with
/// the session token it was given.
pub fn signed_in(addr: SocketAddr, login: &str) -> (Client, String) {
    let mut c = Client::connect(addr);
    c.hello();
    c.request(Request::Register(registration(login)));
    match c.request(Request::Login {
        login: login.into(),
        password: password(login),
    }) {
        ServerMessage::LoggedIn {
            token: Some(token), ..
        } => (c, token),
        other => panic!("login {login}: {other:?}"),
    }
}

pub fn password(login: &str) -> Password {
    Password(format!("password-{login}"))
}

pub fn registration(login: &str) -> Registration {
    Registration {
        first_names: "José María".into(),
        last_names: format!("Ñúñez {login}"),
        login: login.into(),
        password: password(login),
        age: 21,
        gender: Gender::PreferNotToSay,
    }
}

/// A protocol client over a raw socket that keeps frames it was not yet asked about.
pub struct Client {
    pub stream: TcpStream,
    reader: FrameReader,
    next_id: u32,
    pending: VecDeque<ServerFrame>,
    closed: bool,
}

impl Client {
    pub fn connect(addr: SocketAddr) -> Self {
        let stream = TcpStream::connect(addr).unwrap();
        stream.set_nodelay(true).unwrap();
        Client {
            stream,
            reader: FrameReader::new(),
            next_id: 1,
            pending: VecDeque::new(),
            closed: false,
        }
    }

    pub fn hello(&mut self) {
        match self.request(Request::Hello {
            version: PROTOCOL_VERSION,
            client: "tests".into(),
        }) {
            ServerMessage::Welcome { .. } => {}
            other => panic!("hello: {other:?}"),
        }
    }

    pub fn login(&mut self, login: &str) {
        match self.request(Request::Login {
            login: login.into(),
            password: password(login),
        }) {
            ServerMessage::LoggedIn { .. } => {}
            other => panic!("login {login}: {other:?}"),
        }
        self.expect("entered after login", |m| {
            matches!(m, ServerMessage::Entered { .. })
        });
        self.expect("rooms after login", |m| {
            matches!(m, ServerMessage::Rooms { .. })
        });
    }

    pub fn send(&mut self, request: Request) -> u32 {
        let id = self.next_id;
        self.next_id += 1;
        self.send_raw(&encode(&ClientFrame { id, request }).unwrap());
        id
    }

    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).unwrap();
    }

    /// The next frame from the socket, or `None` at end of stream / after `deadline`.
    fn read_frame(&mut self, deadline: Instant) -> Option<ServerFrame> {
        if self.closed {
            return None;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return None;
        }
        self.stream.set_read_timeout(Some(left)).unwrap();
        match self.reader.read_frame(&mut self.stream) {
            Ok(Some(body)) => Some(decode(body).unwrap()),
            Err(e) if e.is_timeout() => None,
            Ok(None) | Err(_) => {
                self.closed = true;
                None
            }
        }
    }

    /// The first frame (kept or new) that satisfies `want`; the others stay kept.
    pub fn expect_frame(&mut self, what: &str, want: impl Fn(&ServerFrame) -> bool) -> ServerFrame {
        if let Some(i) = self.pending.iter().position(&want) {
            return self.pending.remove(i).unwrap();
        }
        let deadline = Instant::now() + WAIT;
        loop {
            match self.read_frame(deadline) {
                Some(f) if want(&f) => return f,
                Some(f) => self.pending.push_back(f),
                None => panic!(
                    "waiting for {what}: none came (closed: {}); got {:?}",
                    self.closed, self.pending
                ),
            }
        }
    }

    /// Every frame (kept or new) up to the first that satisfies `want`, that one last; none
    /// stays kept.
    pub fn frames_until(
        &mut self,
        what: &str,
        want: impl Fn(&ServerFrame) -> bool,
    ) -> Vec<ServerFrame> {
        let mut frames: Vec<ServerFrame> = Vec::new();
        while let Some(f) = self.pending.pop_front() {
            let done = want(&f);
            frames.push(f);
            if done {
                return frames;
            }
        }
        let deadline = Instant::now() + WAIT;
        loop {
            match self.read_frame(deadline) {
                Some(f) => {
                    let done = want(&f);
                    frames.push(f);
                    if done {
                        return frames;
                    }
                }
                None => panic!(
                    "waiting for {what}: none came (closed: {}); got {frames:?}",
                    self.closed
                ),
            }
        }
    }

    /// The first message that satisfies `want`.
    pub fn expect(&mut self, what: &str, want: impl Fn(&ServerMessage) -> bool) -> ServerMessage {
        self.expect_frame(what, |f| want(&f.message)).message
    }

    /// Sends a request and returns its reply.
    pub fn request(&mut self, request: Request) -> ServerMessage {
        let id = self.send(request);
        self.expect_frame("a reply", |f| f.re == Some(id)).message
    }

    /// Sends a request that must fail, and returns the error code.
    pub fn refused(&mut self, request: Request) -> chat_core::protocol::ErrorCode {
        match self.request(request) {
            ServerMessage::Error { code, .. } => code,
            other => panic!("expected an error, got {other:?}"),
        }
    }

    /// Reads until the server closes the connection; returns everything not yet consumed.
    pub fn until_closed(&mut self) -> Vec<ServerMessage> {
        let deadline = Instant::now() + WAIT;
        while self
            .read_frame(deadline)
            .map(|f| self.pending.push_back(f))
            .is_some()
        {}
        assert!(self.closed, "the server did not close the connection");
        self.pending.drain(..).map(|f| f.message).collect()
    }

    /// Everything queued for this client until now (and what was kept), consumed: a `ping` is
    /// sent and everything before its `pong` is returned. The server answers a client's requests
    /// in order, after whatever it queued for the client before, so once an action elsewhere is
    /// complete, what it did not send here will never come: absence is proven, not waited for.
    pub fn settle(&mut self) -> Vec<ServerMessage> {
        let id = self.send(Request::Ping);
        let deadline = Instant::now() + WAIT;
        loop {
            match self.read_frame(deadline) {
                Some(f) if f.re == Some(id) => break,
                Some(f) => self.pending.push_back(f),
                None => panic!("no pong (closed: {}); got {:?}", self.closed, self.pending),
            }
        }
        self.pending.drain(..).map(|f| f.message).collect()
    }
}

/// The `entered` reply's room and members.
pub fn entered(message: &ServerMessage) -> (String, Vec<String>) {
    match message {
        ServerMessage::Entered { room, members, .. } => (room.clone(), members.clone()),
        other => panic!("expected entered, got {other:?}"),
    }
}

/// Whether `message` is the room message `text` from `from`.
pub fn said(message: &ServerMessage, from: &str, text: &str) -> bool {
    matches!(message, ServerMessage::Message { from: f, text: t, .. } if f == from && t == text)
}
