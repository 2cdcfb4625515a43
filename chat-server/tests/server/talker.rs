//! A client that writes down everything: each request with when it was asked and how it was
//! answered, and each line, private message and room change it was told, with when. It never
//! panics at what the network does: a connection that fails is noted and made again (to the
//! next node of its list, resuming its session). `history` checks what they wrote down.

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use chat_core::frame::{FrameReader, decode, encode};
use chat_core::limits::PROTOCOL_VERSION;
use chat_core::protocol::{ClientFrame, ErrorCode, Request, ServerFrame, ServerMessage};

use super::harness::{password, registration};

/// How long an answer is waited for before the request counts as unanswered.
pub const ANSWER_WAIT: Duration = Duration::from_secs(5);

/// What was asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ask {
    Say { text: String },
    Private { to: String, text: String },
    Other(&'static str),
}

/// How it was answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// A line's own echo, a private message sent or kept, any other success.
    Done,
    Stored,
    Refused(ErrorCode),
}

/// One thing a client did or was told.
#[derive(Debug, Clone)]
pub enum Seen {
    Connected,
    /// The connection ended (the client did not ask it to).
    Disconnected,
    /// The client left (exit).
    Left,
    Asked {
        ask: Ask,
        /// The answer and when it came; none if the connection ended first, or none came in
        /// [`ANSWER_WAIT`].
        answer: Option<(Instant, Answer)>,
    },
    Line {
        room: String,
        from: String,
        text: String,
        id: u64,
    },
    Private {
        from: String,
        text: String,
        stored: bool,
    },
    Entered {
        room: String,
    },
    Closed {
        room: String,
    },
}

/// A connection.
struct Wire {
    stream: TcpStream,
    reader: FrameReader,
    next_id: u32,
}

/// A recording client.
pub struct Talker {
    pub login: String,
    nodes: Vec<SocketAddr>,
    /// The node it tries first.
    home: usize,
    wire: Option<Wire>,
    token: Option<String>,
    /// The number of the last room line received (sent when resuming).
    last_line: u64,
    pub history: Vec<(Instant, Seen)>,
}

impl Talker {
    /// A client of `login` (registered with the harness's password) that prefers node
    /// `home` of `nodes`.
    pub fn new(login: &str, nodes: Vec<SocketAddr>, home: usize) -> Self {
        Talker {
            login: login.to_owned(),
            nodes,
            home,
            wire: None,
            token: None,
            last_line: 0,
            history: Vec::new(),
        }
    }

    fn note(&mut self, seen: Seen) {
        self.history.push((Instant::now(), seen));
    }

    pub fn is_connected(&self) -> bool {
        self.wire.is_some()
    }

    /// Registers the account (on its home node).
    pub fn register(&mut self) {
        let mut wire = open(self.nodes[self.home]).expect("the home node answers");
        let reply = ask_plain(&mut wire, Request::Register(registration(&self.login)));
        assert!(
            matches!(reply, Some(ServerMessage::Registered { .. })),
            "register {}: {reply:?}",
            self.login
        );
    }

    /// Connects and logs in (resuming its session if it has one): to its home node first,
    /// then the others in turn. Whether it is in.
    pub fn connect(&mut self) -> bool {
        for i in 0..self.nodes.len() {
            let node = (self.home + i) % self.nodes.len();
            if self.connect_to(node) {
                return true;
            }
        }
        false
    }

    fn connect_to(&mut self, node: usize) -> bool {
        let Some(wire) = open(self.nodes[node]) else {
            return false;
        };
        let request = match &self.token {
            Some(token) => Request::Resume {
                token: token.clone(),
                seen: (self.last_line > 0).then_some(self.last_line),
            },
            None => Request::Login {
                login: self.login.clone(),
                password: password(&self.login),
            },
        };
        self.wire = Some(wire);
        self.note(Seen::Connected);
        match self.ask(request, Ask::Other("login"), Instant::now()) {
            Some(ServerMessage::LoggedIn { token, .. }) => {
                if token.is_some() {
                    self.token = token;
                }
                true
            }
            _ => {
                self.drop_wire();
                false
            }
        }
    }

    fn drop_wire(&mut self) {
        if self.wire.take().is_some() {
            self.note(Seen::Disconnected);
        }
    }

    /// Leaves (asks to exit, and closes).
    pub fn leave(&mut self) {
        if let Some(wire) = &mut self.wire {
            let _ = send(wire, Request::Exit);
        }
        if self.wire.take().is_some() {
            self.note(Seen::Left);
        }
    }

    /// Sends `request` and waits for its answer (for a line, its echo), noting everything read
    /// meanwhile. Returns the answer's message.
    pub fn ask(&mut self, request: Request, ask: Ask, asked: Instant) -> Option<ServerMessage> {
        let Some(wire) = &mut self.wire else {
            return None;
        };
        let Ok(id) = send(wire, request) else {
            self.drop_wire();
            return None;
        };
        self.history.push((
            asked,
            Seen::Asked {
                ask: ask.clone(),
                answer: None,
            },
        ));
        let at = self.history.len() - 1;
        let deadline = asked + ANSWER_WAIT;
        loop {
            let frame = self.next_frame(deadline)?;
            let answer = match (&ask, &frame.message) {
                (_, ServerMessage::Error { code, .. }) if frame.re == Some(id) => {
                    Some(Answer::Refused(*code))
                }
                (Ask::Say { text }, ServerMessage::Message { from, text: t, .. })
                    if *from == self.login && t == text =>
                {
                    Some(Answer::Done)
                }
                (_, ServerMessage::PrivateStored { .. }) if frame.re == Some(id) => {
                    Some(Answer::Stored)
                }
                _ if frame.re == Some(id) => Some(Answer::Done),
                _ => None,
            };
            if let Some(answer) = answer {
                if let (_, Seen::Asked { answer: slot, .. }) = &mut self.history[at] {
                    *slot = Some((Instant::now(), answer));
                }
                return Some(frame.message);
            }
        }
    }

    /// Reads and notes what comes for `wait`.
    pub fn listen(&mut self, wait: Duration) {
        let deadline = Instant::now() + wait;
        while self.next_frame(deadline).is_some() {}
    }

    /// The next frame, noted if it is an event worth noting; `None` at the deadline or when
    /// the connection ends.
    fn next_frame(&mut self, deadline: Instant) -> Option<ServerFrame> {
        let wire = self.wire.as_mut()?;
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return None;
        }
        let _ = wire.stream.set_read_timeout(Some(left));
        let frame = match wire.reader.read_frame(&mut wire.stream) {
            Ok(Some(body)) => match decode::<ServerFrame>(body) {
                Ok(frame) => frame,
                Err(_) => {
                    self.drop_wire();
                    return None;
                }
            },
            Err(e) if e.is_timeout() => return None,
            Ok(None) | Err(_) => {
                self.drop_wire();
                return None;
            }
        };
        match &frame.message {
            ServerMessage::Message {
                room,
                from,
                text,
                id,
                ..
            } => {
                self.last_line = self.last_line.max(*id);
                self.note(Seen::Line {
                    room: room.clone(),
                    from: from.clone(),
                    text: text.clone(),
                    id: *id,
                });
            }
            ServerMessage::Private {
                from, text, stored, ..
            } => self.note(Seen::Private {
                from: from.clone(),
                text: text.clone(),
                stored: *stored,
            }),
            ServerMessage::Entered { room, .. } => self.note(Seen::Entered { room: room.clone() }),
            ServerMessage::RoomClosed { room, .. } => {
                self.note(Seen::Closed { room: room.clone() });
            }
            ServerMessage::Goodbye { .. } => {
                self.drop_wire();
                return Some(frame);
            }
            _ => {}
        }
        Some(frame)
    }
}

fn send(wire: &mut Wire, request: Request) -> std::io::Result<u32> {
    let id = wire.next_id;
    wire.next_id += 1;
    let bytes = encode(&ClientFrame { id, request }).map_err(std::io::Error::other)?;
    wire.stream.write_all(&bytes)?;
    Ok(id)
}

/// A connection that said hello, or `None`.
fn open(addr: SocketAddr) -> Option<Wire> {
    let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(1)).ok()?;
    stream.set_nodelay(true).ok()?;
    let _ = stream.set_write_timeout(Some(Duration::from_secs(2)));
    let mut wire = Wire {
        stream,
        reader: FrameReader::new(),
        next_id: 1,
    };
    let hello = Request::Hello {
        version: PROTOCOL_VERSION,
        client: "partition-tests".into(),
    };
    matches!(
        ask_plain(&mut wire, hello),
        Some(ServerMessage::Welcome { .. })
    )
    .then_some(wire)
}

/// A request and its reply, without noting anything (setting up).
fn ask_plain(wire: &mut Wire, request: Request) -> Option<ServerMessage> {
    let id = send(wire, request).ok()?;
    let deadline = Instant::now() + ANSWER_WAIT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return None;
        }
        let _ = wire.stream.set_read_timeout(Some(left));
        let body = wire.reader.read_frame(&mut wire.stream).ok()??;
        let frame: ServerFrame = decode(body).ok()?;
        if frame.re == Some(id) {
            return Some(frame.message);
        }
    }
}
