//! The web client's side of the chat port over real TCP (and TLS): a WebSocket client written
//! by others (tungstenite) chats with a native client both ways through the one connection
//! driver; what the WebSocket refuses gets its close code and leaves the server working; the
//! login deadline holds over it; and the bundle's files are served by exact name only.

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use chat_core::frame::{FrameReader, decode, encode};
use chat_core::limits::PROTOCOL_VERSION;
use chat_core::protocol::{ClientFrame, CloseReason, Request, ServerFrame, ServerMessage};
use chat_core::tls::{ClientTls, client_config, server_name};
use chat_core::transport::{Transport, TransportReader, TransportWriter};
use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::{Message, WebSocket};

use super::harness::{TestServer, WAIT, password, registration, said};

/// Both halves of a transport as one stream, for tungstenite.
struct Duplex {
    reader: TransportReader,
    writer: TransportWriter,
}

impl Read for Duplex {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.reader.read(buf)
    }
}

impl Write for Duplex {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.writer.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.writer.flush()
    }
}

/// Opens a WebSocket to the chat port's `/ws`, over TLS when `tls`.
fn open(addr: SocketAddr, tls: bool) -> WebSocket<Duplex> {
    let socket = TcpStream::connect(addr).unwrap();
    let transport = if tls {
        let host = format!("127.0.0.1:{}", addr.port());
        let (config, _) = client_config(&ClientTls::default(), &host).unwrap();
        let conn = rustls::ClientConnection::new(config, server_name(&host).unwrap()).unwrap();
        Transport::tls(socket, conn).unwrap()
    } else {
        Transport::plain(socket)
    };
    let mut reader = transport.reader(None);
    reader.set_read_timeout(Some(WAIT)).unwrap();
    let duplex = Duplex {
        reader,
        writer: transport.writer(),
    };
    let scheme = if tls { "wss" } else { "ws" };
    let (ws, answer) = tungstenite::client(format!("{scheme}://{addr}/ws"), duplex).unwrap();
    assert_eq!(answer.status(), 101);
    ws
}

/// The chat's frames read from a WebSocket's binary messages, joined as one stream.
struct Payloads {
    ws: WebSocket<Duplex>,
    buf: Vec<u8>,
    at: usize,
    /// The close frame's code, once one came.
    close: Option<u16>,
}

impl Read for Payloads {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.at == self.buf.len() {
            match self.ws.read() {
                Ok(Message::Binary(bytes)) => (self.buf, self.at) = (bytes.to_vec(), 0),
                Ok(Message::Close(frame)) => {
                    self.close = Some(frame.map_or(1005, |f| u16::from(f.code)));
                    return Ok(0);
                }
                Ok(_) => {}
                Err(tungstenite::Error::Io(e)) => return Err(e),
                Err(_) => return Ok(0),
            }
        }
        let n = out.len().min(self.buf.len() - self.at);
        out[..n].copy_from_slice(&self.buf[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// A chat client in a browser's place: the native protocol in binary messages.
struct WebClient {
    payloads: Payloads,
    frames: FrameReader,
    next_id: u32,
    pending: VecDeque<ServerFrame>,
    closed: bool,
}

impl WebClient {
    fn connect(addr: SocketAddr, tls: bool) -> Self {
        WebClient {
            payloads: Payloads {
                ws: open(addr, tls),
                buf: Vec::new(),
                at: 0,
                close: None,
            },
            frames: FrameReader::new(),
            next_id: 1,
            pending: VecDeque::new(),
            closed: false,
        }
    }

    fn send(&mut self, request: Request) -> u32 {
        let id = self.next_id;
        self.next_id += 1;
        let bytes = encode(&ClientFrame { id, request }).unwrap();
        self.payloads
            .ws
            .send(Message::Binary(bytes.into()))
            .unwrap();
        id
    }

    fn next(&mut self) -> Option<ServerFrame> {
        if self.closed {
            return None;
        }
        match self.frames.read_frame(&mut self.payloads) {
            Ok(Some(body)) => Some(decode(body).unwrap()),
            Ok(None) | Err(_) => {
                self.closed = true;
                None
            }
        }
    }

    fn expect(&mut self, what: &str, want: impl Fn(&ServerMessage) -> bool) -> ServerFrame {
        if let Some(i) = self.pending.iter().position(|f| want(&f.message)) {
            return self.pending.remove(i).unwrap();
        }
        loop {
            match self.next() {
                Some(f) if want(&f.message) => return f,
                Some(f) => self.pending.push_back(f),
                None => panic!("waiting for {what}: closed; got {:?}", self.pending),
            }
        }
    }

    fn request(&mut self, request: Request) -> ServerMessage {
        let id = self.send(request);
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(i) = self.pending.iter().position(|f| f.re == Some(id)) {
                return self.pending.remove(i).unwrap().message;
            }
            assert!(Instant::now() < deadline, "no reply");
            match self.next() {
                Some(f) => self.pending.push_back(f),
                None => panic!("closed before the reply; got {:?}", self.pending),
            }
        }
    }

    /// Registers and logs in as `login`, with a clock sample on the way (as the web client
    /// does on connect).
    fn sign_up(&mut self, login: &str) {
        let welcome = self.request(Request::Hello {
            version: PROTOCOL_VERSION,
            client: "web tests".into(),
        });
        assert!(
            matches!(welcome, ServerMessage::Welcome { .. }),
            "{welcome:?}"
        );
        let time = self.request(Request::Clock);
        assert!(matches!(time, ServerMessage::Clock { .. }), "{time:?}");
        let registered = self.request(Request::Register(registration(login)));
        assert!(
            matches!(registered, ServerMessage::Registered { .. }),
            "{registered:?}"
        );
        let logged = self.request(Request::Login {
            login: login.into(),
            password: password(login),
        });
        assert!(
            matches!(logged, ServerMessage::LoggedIn { .. }),
            "{logged:?}"
        );
        self.expect("entered", |m| matches!(m, ServerMessage::Entered { .. }));
    }

    /// Everything until the connection ends, and the close frame's code.
    fn until_closed(&mut self) -> (Vec<ServerMessage>, Option<u16>) {
        while let Some(f) = self.next() {
            self.pending.push_back(f);
        }
        let got = self.pending.drain(..).map(|f| f.message).collect();
        (got, self.payloads.close)
    }
}

fn say(text: &str) -> Request {
    Request::Say {
        attachments: Vec::new(),
        reply_to: None,
        text: text.into(),
    }
}

#[test]
fn a_browser_and_a_native_client_chat_both_ways_over_the_websocket() {
    let server = TestServer::start();
    let mut ana = server.user("ana");
    let mut web = WebClient::connect(server.addr(), false);
    web.sign_up("beto");
    // Many lines and a long one: messages may join or cut frames; none is lost or changed.
    let long = "x".repeat(1_900);
    for i in 0..50 {
        web.send(say(&format!("line {i}")));
    }
    web.send(say(&long));
    for i in 0..50 {
        let text = format!("line {i}");
        ana.expect("the browser's line", |m| said(m, "beto", &text));
    }
    ana.expect("the long line", |m| said(m, "beto", &long));
    ana.send(say("hola, beto"));
    web.expect("the native client's line", |m| said(m, "ana", "hola, beto"));
    // A ping of the chat's own, answered in order.
    assert!(matches!(web.request(Request::Ping), ServerMessage::Pong));
}

#[test]
fn the_websocket_runs_over_tls_with_the_servers_certificate() {
    let server = TestServer::start_with(|c| c.tls = chat_server::TlsSetting::SelfSigned);
    let mut ana = WebClient::connect(server.addr(), true);
    ana.sign_up("ana");
    let mut beto = WebClient::connect(server.addr(), true);
    beto.sign_up("beto");
    beto.send(say("hola por wss"));
    ana.expect("beto's line", |m| said(m, "beto", "hola por wss"));
    ana.send(say("y vuelta"));
    beto.expect("ana's line", |m| said(m, "ana", "y vuelta"));
}

#[test]
fn a_websocket_ping_gets_its_pong() {
    let server = TestServer::start();
    let mut ws = open(server.addr(), false);
    // Nothing else is sent: the pong must not wait for the next data frame, nor for the
    // server's next look at an idle connection (the read fails after this long).
    ws.get_mut()
        .reader
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    ws.send(Message::Ping(b"are you there".to_vec().into()))
        .unwrap();
    match ws.read().unwrap() {
        Message::Pong(payload) => assert_eq!(&payload[..], b"are you there"),
        other => panic!("expected a pong, got {other:?}"),
    }
}

/// Sends `message`, then expects the close frame `code` and the server still chatting.
fn refused_with(server: &TestServer, message: Message, code: u16) {
    let mut web = WebClient::connect(server.addr(), false);
    web.payloads.ws.send(message).unwrap();
    let (_, close) = web.until_closed();
    assert_eq!(close, Some(code));
    let mut ana = server.user(&format!("ana{code}"));
    ana.send(say("still here"));
    let login = format!("ana{code}");
    ana.expect("the server still chats", |m| said(m, &login, "still here"));
}

#[test]
fn a_text_frame_is_refused_with_1003_and_the_server_goes_on() {
    let server = TestServer::start();
    refused_with(&server, Message::Text("hello".into()), 1003);
}

#[test]
fn a_frame_longer_than_a_chat_frame_is_refused_with_1009() {
    let server = TestServer::start();
    let huge = vec![0u8; chat_core::websocket::MAX_DATA_FRAME_BYTES as usize + 1];
    refused_with(&server, Message::Binary(huge.into()), 1009);
}

#[test]
fn a_frame_the_chat_cannot_read_ends_the_connection_with_a_goodbye() {
    let server = TestServer::start();
    let mut web = WebClient::connect(server.addr(), false);
    // A length prefix beyond the chat's largest frame.
    let mut bytes = u32::MAX.to_be_bytes().to_vec();
    bytes.extend_from_slice(b"junk");
    web.payloads.ws.send(Message::Binary(bytes.into())).unwrap();
    let (got, close) = web.until_closed();
    assert!(
        got.iter()
            .any(|m| matches!(m, ServerMessage::Goodbye { .. })),
        "{got:?}"
    );
    assert_eq!(close, Some(u16::from(CloseCode::Normal)));
}

#[test]
fn a_message_fragmented_without_end_meets_the_login_deadline() {
    let server = TestServer::start_with(|c| c.handshake_timeout = Duration::from_millis(500));
    let mut web = WebClient::connect(server.addr(), false);
    // Half a chat frame in the first fragment of a message that never ends.
    let hello = encode(&ClientFrame {
        id: 1,
        request: Request::Hello {
            version: PROTOCOL_VERSION,
            client: "x".repeat(40),
        },
    })
    .unwrap();
    let started = Instant::now();
    web.payloads
        .ws
        .write(Message::Frame(
            tungstenite::protocol::frame::Frame::message(
                hello[..20].to_vec(),
                tungstenite::protocol::frame::coding::OpCode::Data(
                    tungstenite::protocol::frame::coding::Data::Binary,
                ),
                false,
            ),
        ))
        .unwrap();
    web.payloads.ws.flush().unwrap();
    let (got, _) = web.until_closed();
    assert!(
        got.iter().any(|m| matches!(
            m,
            ServerMessage::Goodbye {
                reason: CloseReason::HandshakeTimeout,
                ..
            }
        )),
        "{got:?}"
    );
    assert!(started.elapsed() < WAIT);
}

/// One HTTP request on its own connection: the status, the headers and the body.
fn get(addr: SocketAddr, request: &str) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let mut socket = TcpStream::connect(addr).unwrap();
    socket.set_read_timeout(Some(WAIT)).unwrap();
    socket.write_all(request.as_bytes()).unwrap();
    let mut all = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut response = httparse::Response::new(&mut headers);
        if let Ok(httparse::Status::Complete(end)) = response.parse(&all) {
            let headers: Vec<(String, String)> = response
                .headers
                .iter()
                .map(|h| {
                    (
                        h.name.to_ascii_lowercase(),
                        String::from_utf8_lossy(h.value).into_owned(),
                    )
                })
                .collect();
            let len: usize = headers
                .iter()
                .find(|(n, _)| n == "content-length")
                .map_or(0, |(_, v)| v.parse().unwrap());
            if all.len() >= end + len {
                let status = response.code.unwrap();
                return (status, headers, all[end..end + len].to_vec());
            }
        }
        let n = socket.read(&mut chunk).unwrap();
        assert!(n > 0, "closed: {:?}", String::from_utf8_lossy(&all));
        all.extend_from_slice(&chunk[..n]);
    }
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

#[test]
fn the_bundles_files_are_served_by_exact_name_and_nothing_else() {
    let root = tempfile::tempdir().unwrap();
    let bundle = root.path().join("web");
    std::fs::create_dir_all(bundle.join("private")).unwrap();
    std::fs::write(bundle.join("index.html"), "<html>chat</html>").unwrap();
    std::fs::write(bundle.join("chat-gui_bg.wasm"), b"\0asm\x01\0\0\0").unwrap();
    std::fs::write(bundle.join("chat-gui_bg.wasm.gz"), b"\x1f\x8b gzip form").unwrap();
    std::fs::write(bundle.join("private").join("key.txt"), "hidden").unwrap();
    std::fs::write(root.path().join("outside.txt"), "outside").unwrap();
    let dir = bundle.clone();
    let server = TestServer::start_with(move |c| c.web_dir = Some(dir.clone()));
    let addr = server.addr();

    let (status, headers, body) = get(addr, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(status, 200);
    assert_eq!(body, b"<html>chat</html>");
    assert_eq!(
        header(&headers, "content-type"),
        Some("text/html; charset=utf-8")
    );
    let (status, headers, body) = get(addr, "GET /chat-gui_bg.wasm HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(status, 200);
    assert_eq!(body, b"\0asm\x01\0\0\0");
    assert_eq!(header(&headers, "content-type"), Some("application/wasm"));
    assert_eq!(header(&headers, "content-encoding"), None);
    // Its gzip form, to a browser that accepts it, under the file's own name and type.
    let (status, headers, body) = get(
        addr,
        "GET /chat-gui_bg.wasm HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip, deflate, br\r\n\r\n",
    );
    assert_eq!(status, 200);
    assert_eq!(body, b"\x1f\x8b gzip form");
    assert_eq!(header(&headers, "content-encoding"), Some("gzip"));
    assert_eq!(header(&headers, "content-type"), Some("application/wasm"));
    assert_eq!(header(&headers, "vary"), Some("Accept-Encoding"));
    let (_, headers, body) = get(
        addr,
        "GET /chat-gui_bg.wasm HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip;q=0\r\n\r\n",
    );
    assert_eq!(body, b"\0asm\x01\0\0\0");
    assert_eq!(header(&headers, "content-encoding"), None);
    for path in [
        "/private/key.txt",
        "/private",
        "/private/",
        "/../outside.txt",
        "/%2e%2e/outside.txt",
        "/..%2foutside.txt",
        "/nothing.js",
        "/chat-gui_bg.wasm.gz",
    ] {
        let (status, _, body) = get(addr, &format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n"));
        assert_eq!(status, 404, "{path}: {}", String::from_utf8_lossy(&body));
    }
    let (status, _, _) = get(
        addr,
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
    );
    assert_eq!(status, 404);
    // And the chat goes on beside it.
    let mut ana = server.user("ana");
    ana.send(say("hola"));
    ana.expect("echo", |m| said(m, "ana", "hola"));
}

#[test]
fn without_a_bundle_the_page_says_so_and_a_bad_bundle_stops_the_start() {
    let server = TestServer::start();
    let (status, _, body) = get(server.addr(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&body).contains("web client is not installed"));
    let (status, _, _) = get(server.addr(), "GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(status, 404);

    let empty = tempfile::tempdir().unwrap();
    let mut config = chat_server::ServerConfig::new(empty.path().join("accounts"));
    config.bind = "127.0.0.1:0".into();
    config.tls = chat_server::TlsSetting::Off;
    config.web_dir = Some(empty.path().to_owned());
    let Err(error) = chat_server::start(config) else {
        panic!("a bundle without index.html was accepted");
    };
    assert!(error.to_string().contains("index.html"), "{error}");
}

#[test]
fn ws_without_an_upgrade_or_in_another_version_is_refused() {
    let server = TestServer::start();
    let (status, headers, _) = get(server.addr(), "GET /ws HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(status, 426);
    assert_eq!(header(&headers, "upgrade"), Some("websocket"));
    // One `Connection`: the upgrade it asks for, and that it closes.
    let connection: Vec<&str> = headers
        .iter()
        .filter(|(n, _)| n == "connection")
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(connection, ["Upgrade, close"]);
    let (status, _, _) = get(
        server.addr(),
        "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n",
    );
    assert_eq!(status, 400);
}

#[test]
fn plain_http_on_a_tls_port_is_told_to_use_https() {
    let server = TestServer::start_with(|c| c.tls = chat_server::TlsSetting::SelfSigned);
    // A browser sent to http:// instead of https:// reads why, in HTTP.
    let (status, _, body) = get(server.addr(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(status, 400);
    assert!(
        String::from_utf8_lossy(&body).contains("https://"),
        "{body:?}"
    );
    // And the server goes on: a WebSocket over TLS still opens.
    drop(open(server.addr(), true));
}
