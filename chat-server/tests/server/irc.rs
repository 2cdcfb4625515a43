//! The IRC gateway over real TCP: IRC and native clients in the same rooms, every mapping of the
//! course's commands, and bad lines.

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::time::Instant;

use chat_core::irc::{Incoming, Line, LineReader, parse};
use chat_core::protocol::{Request, ServerMessage};

use super::harness::{TestServer, WAIT, password, registration};

/// A server with the IRC gateway on a free port.
fn server() -> TestServer {
    TestServer::start_with(|c| c.irc_bind = Some("127.0.0.1:0".into()))
}

fn irc_addr(server: &TestServer) -> SocketAddr {
    server.handle().irc_addr().expect("the IRC gateway is on")
}

/// An IRC client over a raw socket that keeps the lines it was not yet asked about.
pub struct Irc {
    stream: TcpStream,
    reader: LineReader,
    pending: Vec<Line>,
    pub closed: bool,
}

impl Irc {
    pub fn connect(addr: SocketAddr) -> Self {
        let stream = TcpStream::connect(addr).unwrap();
        Irc {
            stream,
            reader: LineReader::new(),
            pending: Vec::new(),
            closed: false,
        }
    }

    /// Sends bytes as they are.
    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).unwrap();
    }

    pub fn send(&mut self, line: &str) {
        self.stream
            .write_all(format!("{line}\r\n").as_bytes())
            .unwrap();
    }

    fn read(&mut self, deadline: Instant) -> Option<Line> {
        if self.closed {
            return None;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return None;
        }
        self.stream.set_read_timeout(Some(left)).unwrap();
        match self.reader.read_line(&mut self.stream) {
            Ok(Some(Incoming::Line(bytes))) => Some(parse(&bytes).unwrap()),
            Ok(Some(Incoming::TooLong)) => panic!("the server sent a line too long"),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                None
            }
            Ok(None) | Err(_) => {
                self.closed = true;
                None
            }
        }
    }

    /// The first line (kept or new) that satisfies `want`.
    pub fn expect(&mut self, what: &str, want: impl Fn(&Line) -> bool) -> Line {
        if let Some(i) = self.pending.iter().position(&want) {
            return self.pending.remove(i);
        }
        let deadline = Instant::now() + WAIT;
        loop {
            match self.read(deadline) {
                Some(line) if want(&line) => return line,
                Some(line) => self.pending.push(line),
                None => panic!(
                    "waiting for {what}: none came (closed: {}); got {:?}",
                    self.closed, self.pending
                ),
            }
        }
    }

    /// The first line with this command (or numeric).
    pub fn expect_command(&mut self, command: &str) -> Line {
        self.expect(command, |l| l.command == command)
    }

    /// Everything until the reply to a `PING` sent now (what the server queued before).
    pub fn settle(&mut self) -> Vec<Line> {
        self.send("PING settle");
        let _ = self.expect("PONG settle", |l| {
            l.command == "PONG" && l.param(1) == "settle"
        });
        std::mem::take(&mut self.pending)
    }

    /// Registers with `PASS login:password`, `NICK` and `USER`, and waits for the welcome.
    pub fn register(addr: SocketAddr, login: &str) -> Self {
        let mut c = Irc::connect(addr);
        c.send(&format!("PASS {login}:{}", password(login).expose()));
        c.send(&format!("NICK {login}"));
        c.send(&format!("USER {login} 0 * :Real Name"));
        c.expect_command("001");
        c.expect("the default room joined", |l| l.command == "366");
        c.pending.clear();
        c
    }

    /// Reads until the server closes; returns what came.
    pub fn until_closed(&mut self) -> Vec<Line> {
        let deadline = Instant::now() + WAIT;
        while let Some(line) = self.read(deadline) {
            self.pending.push(line);
        }
        assert!(self.closed, "the server did not close the connection");
        std::mem::take(&mut self.pending)
    }
}

fn registered(server: &TestServer, login: &str) {
    let mut c = server.client();
    c.request(Request::Register(registration(login)));
}

#[test]
fn an_irc_client_registers_with_its_account_and_lands_in_the_default_room() {
    let server = server();
    registered(&server, "ana");
    let mut ana = Irc::connect(irc_addr(&server));
    ana.send("CAP LS 302");
    let ls = ana.expect_command("CAP");
    assert!(ls.param(2).contains("sasl=PLAIN"), "{ls:?}");
    ana.send("PASS ana:password-ana");
    ana.send("NICK Ana");
    ana.send("USER ana 0 * :Ana Ruiz");
    ana.send("CAP END");
    let welcome = ana.expect_command("001");
    assert_eq!(
        welcome.param(0),
        "ana",
        "the nick is the login as registered"
    );
    let isupport = ana.expect_command("005");
    for token in [
        "CHANTYPES=#",
        "CHANLIMIT=#:1",
        "NICKLEN=32",
        "CASEMAPPING=ascii",
    ] {
        assert!(
            isupport.params.iter().any(|p| p == token),
            "{token}: {isupport:?}"
        );
    }
    ana.expect_command("376");
    let join = ana.expect_command("JOIN");
    assert_eq!(join.param(0), "#lobby");
    assert!(join.source.as_deref().unwrap().starts_with("ana!"));
    let names = ana.expect_command("353");
    assert!(names.param(3).split(' ').any(|n| n == "ana"), "{names:?}");
    assert_eq!(server.handle().online_count(), 1);
}

#[test]
fn without_valid_credentials_there_is_no_half_registered_session() {
    let server = server();
    registered(&server, "bob");
    for pass in [None, Some("bob:wrong-password")] {
        let mut c = Irc::connect(irc_addr(&server));
        if let Some(pass) = pass {
            c.send(&format!("PASS {pass}"));
        }
        c.send("NICK bob");
        c.send("USER bob 0 * :Bob");
        let refused = c.expect_command("464");
        assert!(!refused.param(1).is_empty());
        let rest = c.until_closed();
        assert!(rest.iter().any(|l| l.command == "ERROR"), "{rest:?}");
        assert!(!rest.iter().any(|l| l.command == "001"));
    }
    assert_eq!(server.handle().online_count(), 0);
}

#[test]
fn sasl_plain_logs_in() {
    let server = server();
    registered(&server, "cid");
    let mut c = Irc::connect(irc_addr(&server));
    c.send("CAP REQ :sasl server-time");
    c.expect("ack", |l| l.command == "CAP" && l.param(1) == "ACK");
    c.send("NICK cid");
    c.send("USER cid 0 * :Cid");
    c.send("AUTHENTICATE PLAIN");
    c.expect("AUTHENTICATE +", |l| l.command == "AUTHENTICATE");
    use base64::Engine as _;
    let plain = base64::engine::general_purpose::STANDARD.encode("\0cid\0password-cid");
    c.send(&format!("AUTHENTICATE {plain}"));
    c.expect_command("903");
    c.send("CAP END");
    c.expect_command("001");
}

#[test]
fn irc_and_native_clients_talk_in_the_same_rooms_both_ways() {
    let server = server();
    registered(&server, "irene");
    let mut irene = Irc::register(irc_addr(&server), "irene");
    let mut nina = server.user("nina");
    // Native joins are seen on IRC.
    irene.expect("nina joins", |l| {
        l.command == "JOIN" && l.source.as_deref().unwrap_or("").starts_with("nina!")
    });
    // IRC to native.
    irene.send("PRIVMSG #lobby :hola desde IRC");
    nina.expect("irene's line", |m| {
        matches!(m, ServerMessage::Message { from, text, .. } if from == "irene" && text == "hola desde IRC")
    });
    // Native to IRC.
    nina.send(Request::Say {
        attachments: Vec::new(),
        reply_to: None,
        text: "hola desde el cliente".into(),
    });
    let got = irene.expect("nina's line", |l| l.command == "PRIVMSG");
    assert_eq!(got.params, ["#lobby", "hola desde el cliente"]);
    assert!(got.source.as_deref().unwrap().starts_with("nina!nina@"));
    // No echo of one's own line without echo-message.
    let rest = irene.settle();
    assert!(!rest.iter().any(|l| l.command == "PRIVMSG"), "{rest:?}");
    // Private messages both ways.
    irene.send("PRIVMSG Nina :psst");
    nina.expect("private from irene", |m| {
        matches!(m, ServerMessage::Private { from, text, .. } if from == "irene" && text == "psst")
    });
    nina.request(Request::Private {
        attachments: Vec::new(),
        reply_to: None,
        to: "irene".into(),
        text: "dime".into(),
    });
    let private = irene.expect("private from nina", |l| {
        l.command == "PRIVMSG" && l.param(0) == "irene"
    });
    assert_eq!(private.param(1), "dime");
    // Both are in #show users.
    match nina.request(Request::ShowUsers { offset: 0 }) {
        ServerMessage::Users { users, .. } => {
            let irene = users.iter().find(|u| u.login == "irene").unwrap();
            assert_eq!(irene.room.as_deref(), Some("lobby"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn join_moves_creating_the_room_part_goes_back_and_a_closed_room_parts_with_its_reason() {
    let server = server();
    for login in ["olga", "pepe"] {
        registered(&server, login);
    }
    let mut olga = Irc::register(irc_addr(&server), "olga");
    let mut pepe = Irc::register(irc_addr(&server), "pepe");
    // JOIN of a room that does not exist creates it: PART the old one, then JOIN.
    olga.send("JOIN #aula");
    let part = olga.expect_command("PART");
    assert_eq!(part.param(0), "#lobby");
    let join = olga.expect("olga in #aula", |l| {
        l.command == "JOIN" && l.source.as_deref().unwrap_or("").starts_with("olga!")
    });
    assert_eq!(join.param(0), "#aula");
    // Its creator is its operator; until a topic is set, TOPIC says whose room it is.
    assert_eq!(olga.expect_command("353").param(3), "@olga");
    olga.send("TOPIC #aula");
    let topic = olga.expect_command("331");
    assert!(
        topic.param(2).contains("olga created the room"),
        "331 says who created it: {topic:?}"
    );
    // One room at a time: extra channels are refused.
    pepe.send("JOIN #aula,#otra");
    pepe.expect("405 for the second", |l| {
        l.command == "405" && l.param(1) == "#otra"
    });
    pepe.expect("pepe in #aula", |l| {
        l.command == "JOIN" && l.param(0) == "#aula"
    });
    olga.expect("pepe joins", |l| {
        l.command == "JOIN" && l.source.as_deref().unwrap_or("").starts_with("pepe!")
    });
    // LIST counts members.
    pepe.send("LIST");
    let aula = pepe.expect("aula listed", |l| {
        l.command == "322" && l.param(1) == "#aula"
    });
    assert_eq!(aula.param(2), "2");
    pepe.expect_command("323");
    // PART takes pepe back to the default room.
    pepe.send("PART #aula :me voy");
    pepe.expect("part", |l| l.command == "PART" && l.param(0) == "#aula");
    pepe.expect("back in the lobby", |l| {
        l.command == "JOIN" && l.param(0) == "#lobby"
    });
    pepe.send("JOIN #aula");
    pepe.expect("pepe in #aula again", |l| {
        l.command == "JOIN" && l.param(0) == "#aula"
    });
    // The creator leaves: the room closes; pepe gets a PART with the reason, then the lobby.
    olga.send("QUIT :bye");
    let closed = pepe.expect("the room closed", |l| {
        l.command == "PART"
            && l.param(0) == "#aula"
            && l.source.as_deref().unwrap_or("").starts_with("pepe!")
    });
    assert!(closed.param(1).contains("creator"), "{closed:?}");
    pepe.expect("moved to the lobby", |l| {
        l.command == "JOIN" && l.param(0) == "#lobby"
    });
}

#[test]
fn names_who_whois_topic_away_motd_lusers_and_unknown_commands() {
    let server = server();
    registered(&server, "quim");
    let mut quim = Irc::register(irc_addr(&server), "quim");
    let mut rosa = server.user("rosa");
    quim.expect("rosa joins", |l| {
        l.command == "JOIN" && l.source.as_deref().unwrap_or("").starts_with("rosa!")
    });
    quim.send("NAMES #lobby");
    let names = quim.expect_command("353");
    let listed: Vec<&str> = names.param(3).split(' ').collect();
    assert!(
        listed.contains(&"quim") && listed.contains(&"rosa"),
        "{names:?}"
    );
    quim.expect_command("366");
    quim.send("WHOIS rosa");
    let who = quim.expect_command("311");
    assert_eq!(who.param(1), "rosa");
    assert!(who.param(5).contains("José María"), "real name: {who:?}");
    quim.expect("rosa's room", |l| {
        l.command == "319" && l.param(2) == "#lobby"
    });
    quim.expect_command("318");
    quim.send("WHO #lobby");
    quim.expect("a WHO row", |l| l.command == "352");
    quim.expect_command("315");
    quim.send("TOPIC #lobby");
    quim.expect_command("331");
    // Only administrators set the default room's topic.
    quim.send("TOPIC #lobby :nuevo");
    quim.expect_command("482");
    quim.send("MOTD");
    quim.expect_command("376");
    quim.send("LUSERS");
    let lusers = quim.expect_command("251");
    assert!(lusers.param(1).contains("2 users"), "{lusers:?}");
    quim.send("FROBNICATE now");
    assert_eq!(quim.expect_command("421").param(1), "FROBNICATE");
    // AWAY is the chat's presence.
    quim.send("AWAY :en clase");
    quim.expect_command("306");
    rosa.expect("quim away", |m| {
        matches!(m, ServerMessage::Presence { login, presence: chat_core::protocol::Presence::Away, .. } if login == "quim")
    });
    quim.send("AWAY");
    quim.expect_command("305");
}

#[test]
fn logging_in_on_one_protocol_ends_the_session_on_the_other() {
    let server = server();
    registered(&server, "sara");
    let mut native = server.client();
    native.login("sara");
    let _irc = Irc::register(irc_addr(&server), "sara");
    let rest = native.until_closed();
    assert!(
        rest.iter().any(|m| matches!(
            m,
            ServerMessage::Goodbye {
                reason: chat_core::protocol::CloseReason::TakenOver,
                ..
            }
        )),
        "{rest:?}"
    );
    // And the other way round.
    let mut irc = Irc::register(irc_addr(&server), "sara");
    let mut again = server.client();
    again.login("sara");
    let rest = irc.until_closed();
    assert!(rest.iter().any(|l| l.command == "ERROR"), "{rest:?}");
}

#[test]
fn bad_lines_are_answered_and_the_connection_keeps_working() {
    let server = server();
    registered(&server, "tito");
    let mut tito = Irc::register(irc_addr(&server), "tito");
    // A line of 10 KB.
    tito.send(&format!("PRIVMSG #lobby :{}", "x".repeat(10_000)));
    tito.expect_command("417");
    // NUL bytes.
    tito.stream.write_all(b"PRIVMSG #lobby :a\0b\r\n").unwrap();
    tito.expect("FAIL INVALID_UTF8", |l| l.command == "FAIL");
    // JOIN 0 and JOIN with nothing.
    tito.send("JOIN");
    tito.expect_command("461");
    tito.send("JOIN #sala");
    tito.expect("in #sala", |l| l.command == "JOIN" && l.param(0) == "#sala");
    tito.send("JOIN 0");
    tito.expect("back in the lobby", |l| {
        l.command == "JOIN" && l.param(0) == "#lobby"
    });
    // A line with no CR LF yet is kept until it ends (chat-core's line reader is tested cut at
    // every byte; here the line crosses two segments).
    tito.stream.write_all(b"PING :partial").unwrap();
    tito.stream.flush().unwrap();
    tito.stream.write_all(b"-line\r\n").unwrap();
    tito.expect("the whole line's PONG", |l| {
        l.command == "PONG" && l.param(1) == "partial-line"
    });
    // Still talking.
    tito.send("LUSERS");
    tito.expect_command("251");
}

#[test]
fn guests_join_under_a_free_nick_and_leave_nothing_behind() {
    let server = TestServer::start_with(|c| {
        c.irc_bind = Some("127.0.0.1:0".into());
        c.irc_guests = true;
    });
    let addr = irc_addr(&server);
    let mut nina = server.user("nina");
    // No credentials: a guest, listed with the real name USER gave.
    let mut gus = Irc::connect(addr);
    gus.send("NICK gus");
    gus.send("USER gus 0 * :Gus Invitado");
    gus.expect_command("001");
    gus.expect_command("366");
    match nina.request(Request::ShowUsers { offset: 0 }) {
        ServerMessage::Users { users, .. } => {
            let gus = users.iter().find(|u| u.login == "gus").expect("gus listed");
            assert_eq!(gus.first_names, "Gus Invitado");
        }
        other => panic!("{other:?}"),
    }
    // An account's name, or a guest's, is refused with 433; another nick is then fine.
    for taken in ["nina", "GUS"] {
        let mut other = Irc::connect(addr);
        other.send(&format!("NICK {taken}"));
        other.send("USER x 0 * :X");
        other.expect("433", |l| l.command == "433" && l.param(1) == taken);
        other.send("NICK otro");
        other.expect_command("001");
        other.send("QUIT");
        other.until_closed();
    }
    // Private messages reach a guest while it is online, both ways.
    nina.request(Request::Private {
        attachments: Vec::new(),
        reply_to: None,
        to: "gus".into(),
        text: "hola".into(),
    });
    let got = gus.expect("nina's private", |l| {
        l.command == "PRIVMSG" && l.param(0) == "gus"
    });
    assert_eq!(got.param(1), "hola");
    gus.send("PRIVMSG nina :qué tal");
    nina.expect(
        "gus's private",
        |m| matches!(m, ServerMessage::Private { from, .. } if from == "gus"),
    );
    // Gone: not listed, and nothing is kept for it.
    gus.send("QUIT :adiós");
    gus.until_closed();
    nina.settle();
    let refused = nina.refused(Request::Private {
        attachments: Vec::new(),
        reply_to: None,
        to: "gus".into(),
        text: "¿sigues?".into(),
    });
    assert_eq!(refused, chat_core::protocol::ErrorCode::UserNotFound);
    match nina.request(Request::ShowUsers { offset: 0 }) {
        ServerMessage::Users { users, .. } => {
            assert!(!users.iter().any(|u| u.login == "gus"), "{users:?}");
        }
        other => panic!("{other:?}"),
    }
    match nina.request(Request::PrivateHistory {
        with: "gus".into(),
        before: None,
    }) {
        ServerMessage::Error { code, .. } => {
            assert_eq!(code, chat_core::protocol::ErrorCode::UserNotFound)
        }
        ServerMessage::PrivateHistory { messages, .. } => {
            assert!(messages.is_empty(), "{messages:?}")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn notices_stay_notices_quits_are_quits_and_lines_carry_their_number() {
    let server = server();
    for login in ["uma", "vito"] {
        registered(&server, login);
    }
    let addr = irc_addr(&server);
    let mut uma = Irc::connect(addr);
    uma.send("CAP REQ :message-tags");
    uma.send("PASS uma:password-uma");
    uma.send("NICK uma");
    // USER needs a real name.
    uma.send("USER uma 0 * :");
    uma.expect("461 for USER", |l| {
        l.command == "461" && l.param(1) == "USER"
    });
    uma.send("USER uma 0 * :Uma");
    uma.send("CAP END");
    uma.expect_command("001");
    uma.expect_command("366");
    let mut vito = Irc::register(addr, "vito");
    uma.expect("vito joins", |l| {
        l.command == "JOIN" && l.param(0) == "#lobby"
    });
    // A NOTICE reaches the room as a NOTICE, with the line's number for tag-aware clients.
    vito.send("NOTICE #lobby :aviso");
    let notice = uma.expect("the notice", |l| {
        l.command == "NOTICE" && l.param(0) == "#lobby"
    });
    assert_eq!(notice.param(1), "aviso");
    assert!(notice.tag("msgid").is_some(), "{notice:?}");
    assert!(notice.tag("time").is_some(), "{notice:?}");
    vito.send("PRIVMSG uma :directo");
    let private = uma.expect("the private", |l| {
        l.command == "PRIVMSG" && l.param(0) == "uma"
    });
    assert!(
        private.tag("msgid").is_some_and(|id| id.starts_with('p')),
        "{private:?}"
    );
    // PING needs a token; LIST takes channels.
    vito.send("PING");
    vito.expect("461 for PING", |l| {
        l.command == "461" && l.param(1) == "PING"
    });
    vito.send("LIST #nada");
    vito.expect_command("321");
    vito.expect_command("323");
    assert!(
        !vito.settle().iter().any(|l| l.command == "322"),
        "no such room: nothing listed"
    );
    // Leaving the server is a QUIT with its message, not a PART.
    vito.send("QUIT :hasta luego");
    vito.until_closed();
    let quit = uma.expect("vito quits", |l| {
        l.source.as_deref().unwrap_or("").starts_with("vito!")
            && matches!(l.command.as_str(), "QUIT" | "PART")
    });
    assert_eq!(quit.command, "QUIT");
    assert_eq!(quit.param(0), "Quit: hasta luego");
}
