//! The upload request path, whole: a real server (sled store in a temporary directory, plain TCP
//! on 127.0.0.1) started once, and each input sent to its chat port as HTTP, as raw bytes or as
//! uploads whose headers, offsets and bodies the input chooses. The server must answer with
//! well-formed HTTP or close, keep every file it acknowledges byte for byte, and keep serving:
//! after each input a fresh request must be answered. A panic on any server thread aborts.
#![no_main]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::OnceLock;
use std::time::Duration;

use chat_core::frame::{FrameReader, decode, encode};
use chat_core::limits::PROTOCOL_VERSION;
use chat_core::protocol::{
    ClientFrame, Gender, Password, Registration, Request, ServerFrame, ServerMessage,
};
use libfuzzer_sys::fuzz_target;
use ring::digest::{SHA256, digest};

struct Server {
    addr: SocketAddr,
    token: String,
    _handle: chat_server::ServerHandle,
}

fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        std::panic::set_hook(Box::new(|info| {
            eprintln!("panic: {info}");
            std::process::abort();
        }));
        let dir = Box::leak(Box::new(tempfile::tempdir().expect("a temporary directory")));
        let mut config = chat_server::ServerConfig::new(dir.path().join("data"));
        config.bind = "127.0.0.1:0".into();
        config.tls = chat_server::TlsSetting::Off;
        config.bcrypt_cost = 4;
        config.allow_weak_bcrypt = true;
        // Small limits, so that inputs reach them.
        config.max_file_bytes = 4096;
        config.quota_bytes = 64 * 1024;
        let handle = chat_server::start(config).expect("the server starts");
        let addr = handle.local_addr();
        let token = log_in(addr);
        Server {
            addr,
            token,
            _handle: handle,
        }
    })
}

/// Registers an account over the chat protocol and returns its session token.
fn log_in(addr: SocketAddr) -> String {
    let mut socket = TcpStream::connect(addr).expect("connect");
    let mut frames = FrameReader::new();
    let mut ask = |id: u32, request: Request| -> ServerMessage {
        let bytes = encode(&ClientFrame { id, request }).expect("encode");
        socket.write_all(&bytes).expect("send");
        loop {
            let body = frames.read_frame(&mut socket).expect("read").expect("open");
            let frame: ServerFrame = decode(body).expect("decode");
            if frame.re == Some(id) {
                return frame.message;
            }
        }
    };
    ask(1, Request::Hello {
        version: PROTOCOL_VERSION,
        client: "fuzz".into(),
    });
    let password = Password("password-fuzz".into());
    ask(2, Request::Register(Registration {
        first_names: "Fuzz".into(),
        last_names: "Er".into(),
        login: "fuzz".into(),
        password: password.clone(),
        age: 30,
        gender: Gender::PreferNotToSay,
    }));
    match ask(3, Request::Login {
        login: "fuzz".into(),
        password,
    }) {
        ServerMessage::LoggedIn { token: Some(token), .. } => token,
        other => panic!("login: {other:?}"),
    }
}

/// Sends `bytes` on a fresh connection and reads what comes back for a moment: it must be
/// HTTP responses (or nothing, or a close).
fn exchange(addr: SocketAddr, bytes: &[u8]) -> Vec<u8> {
    let mut socket = TcpStream::connect(addr).expect("connect");
    // Until the server closes (it sees the end of the request first); long, as a loaded machine
    // may be slow.
    socket.set_read_timeout(Some(Duration::from_secs(10))).ok();
    socket.set_write_timeout(Some(Duration::from_secs(2))).ok();
    let _ = socket.write_all(bytes);
    let _ = socket.shutdown(std::net::Shutdown::Write);
    let mut got = Vec::new();
    let mut chunk = [0u8; 8192];
    while let Ok(n) = socket.read(&mut chunk) {
        if n == 0 || got.len() > 1 << 20 {
            break;
        }
        got.extend_from_slice(&chunk[..n]);
    }
    if !got.is_empty() {
        assert!(got.starts_with(b"HTTP/1.1 "), "not HTTP: {:?}", String::from_utf8_lossy(&got));
    }
    got
}

/// The status and body of the first response in `bytes`.
fn first(bytes: &[u8]) -> Option<(u16, Vec<u8>)> {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut response = httparse::Response::new(&mut headers);
    let httparse::Status::Complete(end) = response.parse(bytes).ok()? else {
        return None;
    };
    let len: usize = response
        .headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("content-length"))
        .and_then(|h| std::str::from_utf8(h.value).ok()?.parse().ok())
        .unwrap_or(0);
    Some((response.code?, bytes.get(end..end + len)?.to_vec()))
}

/// Splits `input` into up to `n` pieces at `\n`.
fn pieces(input: &[u8], n: usize) -> Vec<&[u8]> {
    input.splitn(n, |b| *b == b'\n').collect()
}

fn text(bytes: &[u8]) -> String {
    // Header values may be any bytes but CR and LF (which would end them).
    bytes
        .iter()
        .map(|&b| if b == b'\r' || b == b'\n' { ' ' } else { char::from(b) })
        .collect()
}

fuzz_target!(|input: &[u8]| {
    let server = server();
    let Some((&mode, rest)) = input.split_first() else {
        return;
    };
    let token = &server.token;
    match mode % 3 {
        // Anything at all, as a request: its first byte a capital letter, as HTTP's are (any
        // other first byte is the chat protocol's).
        0 => {
            let Some((&first, tail)) = rest.split_first() else {
                return;
            };
            let mut request = vec![b'A' + first % 26];
            request.extend_from_slice(tail);
            exchange(server.addr, &request);
        }
        // An announcement with the input's headers.
        1 => {
            let p = pieces(rest, 6);
            let field = |i: usize| p.get(i).map_or(String::new(), |b| text(b));
            let request = format!(
                "POST /uploads HTTP/1.1\r\nAuthorization: Bearer {token}\r\nUpload-Name: {}\r\n\
                 Upload-Type: {}\r\nUpload-Length: {}\r\nUpload-Sha256: {}\r\n\
                 Upload-Width: {}\r\nContent-Length: 0\r\n\r\n",
                field(0),
                field(1),
                field(2),
                field(3),
                field(4),
            );
            exchange(server.addr, request.as_bytes());
        }
        // A whole upload of the input's bytes, in two parts at an offset it chooses, its
        // announced SHA-256 right or wrong; once acknowledged, it must download identical.
        _ => {
            let Some((&cut, body)) = rest.split_first() else {
                return;
            };
            let lie = cut & 0x80 != 0;
            let sha = if lie {
                hex(&digest(&SHA256, b"something else"))
            } else {
                hex(&digest(&SHA256, body))
            };
            let begin = format!(
                "POST /uploads HTTP/1.1\r\nAuthorization: Bearer {token}\r\n\
                 Upload-Name: fuzz.bin\r\nUpload-Type: application/octet-stream\r\n\
                 Upload-Length: {}\r\nUpload-Sha256: {sha}\r\nContent-Length: 0\r\n\r\n",
                body.len()
            );
            let answer = exchange(server.addr, begin.as_bytes());
            let Some((status, json)) = first(&answer) else {
                panic!("no answer to an announcement: {:?}", String::from_utf8_lossy(&answer));
            };
            if status != 201 {
                return;
            }
            let json = String::from_utf8_lossy(&json).into_owned();
            let Some(upload) = json
                .split("\"upload\":\"")
                .nth(1)
                .and_then(|s| s.split('"').next())
                .map(str::to_owned)
            else {
                return;
            };
            let at = usize::from(cut & 0x7F).min(body.len());
            let mut last = (0u16, Vec::new());
            for (offset, part) in [(0, &body[..at]), (at, &body[at..])] {
                let mut patch = format!(
                    "PATCH /uploads/{upload} HTTP/1.1\r\nAuthorization: Bearer {token}\r\n\
                     Upload-Offset: {offset}\r\nContent-Length: {}\r\n\r\n",
                    part.len()
                )
                .into_bytes();
                patch.extend_from_slice(part);
                let answer = exchange(server.addr, &patch);
                last = first(&answer).unwrap_or_default();
            }
            if last.0 == 201 {
                assert!(!lie, "a file whose SHA-256 did not match was acknowledged");
                let json = String::from_utf8_lossy(&last.1).into_owned();
                let id = json
                    .split("\"id\":\"")
                    .nth(1)
                    .and_then(|s| s.split('"').next())
                    .expect("an acknowledged file has an id");
                let get = format!(
                    "GET /files/{id} HTTP/1.1\r\nAuthorization: Bearer {token}\r\n\
                     Connection: close\r\n\r\n"
                );
                let (status, got) = first(&exchange(server.addr, get.as_bytes())).expect("an answer");
                assert_eq!(status, 200);
                assert!(got == body, "an acknowledged file came back changed");
            }
        }
    }
    // Still serving.
    let answer = exchange(server.addr, b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n");
    assert_eq!(first(&answer).map(|(s, _)| s), Some(200), "the server stopped answering");
});

fn hex(digest: &ring::digest::Digest) -> String {
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}
