//! Shared files over real TCP and TLS on the chat's own port: uploads resumed after a dropped
//! connection, downloads from a range, byte-for-byte round trips at the edges of a chunk and at
//! the limit, a preview set once, the quota, a full disk; and the HTTP helpers the other
//! files' tests use. Who may fetch a file and how long it lives: `lifetime`; peers that get
//! files wrong or drag them out (refusals by field, stalls, trickles, races): `peers`.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use chat_core::protocol::{Request, ServerMessage};
use chat_core::tls::{ClientTls, client_config, server_name};
use chat_core::transport::Transport;
use ring::digest::{SHA256, digest};

use super::harness::{TestServer, password, signed_in};

mod lifetime;
mod peers;

/// An HTTP answer.
#[derive(Debug)]
pub(super) struct Answer {
    pub(super) status: u16,
    headers: Vec<(String, String)>,
    pub(super) body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub(super) fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

/// One HTTP connection to the chat port, plain or TLS.
pub(super) struct Http {
    transport: Transport,
    /// The last request was a `HEAD`: its answer has no body, whatever its length says.
    head_only: bool,
}

impl Http {
    pub(super) fn plain(addr: SocketAddr) -> Self {
        Http {
            transport: Transport::plain(TcpStream::connect(addr).unwrap()),
            head_only: false,
        }
    }

    fn tls(addr: SocketAddr) -> Self {
        let host = format!("127.0.0.1:{}", addr.port());
        let (config, _) = client_config(&ClientTls::default(), &host).unwrap();
        let conn = rustls::ClientConnection::new(config, server_name(&host).unwrap()).unwrap();
        Http {
            transport: Transport::tls(TcpStream::connect(addr).unwrap(), conn).unwrap(),
            head_only: false,
        }
    }

    fn send(&mut self, head: &str, body: &[u8]) {
        self.head_only = head.starts_with("HEAD ");
        let mut out = self.transport.writer();
        let mut bytes = head.as_bytes().to_vec();
        bytes.extend_from_slice(body);
        out.write_all(&bytes).unwrap();
        out.flush().unwrap();
    }

    fn answer(&mut self) -> Answer {
        let mut reader = self.transport.reader(None);
        reader.set_read_timeout(Some(super::harness::WAIT)).unwrap();
        let mut buf = Vec::new();
        let mut chunk = [0u8; 8192];
        loop {
            let mut headers = [httparse::EMPTY_HEADER; 32];
            let mut response = httparse::Response::new(&mut headers);
            if let httparse::Status::Complete(end) = response.parse(&buf).unwrap() {
                let status = response.code.unwrap();
                let headers: Vec<(String, String)> = response
                    .headers
                    .iter()
                    .map(|h| {
                        (
                            h.name.to_owned(),
                            String::from_utf8_lossy(h.value).into_owned(),
                        )
                    })
                    .collect();
                let len: usize = headers
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
                    .filter(|_| !self.head_only)
                    .map_or(0, |(_, v)| v.parse().unwrap());
                let mut body = buf[end..].to_vec();
                while body.len() < len {
                    let n = reader.read(&mut chunk).unwrap();
                    assert!(n > 0, "the body was cut short");
                    body.extend_from_slice(&chunk[..n]);
                }
                return Answer {
                    status,
                    headers,
                    body,
                };
            }
            let n = reader.read(&mut chunk).unwrap();
            assert!(
                n > 0,
                "closed before an answer: {:?}",
                String::from_utf8_lossy(&buf)
            );
            buf.extend_from_slice(&chunk[..n]);
        }
    }

    pub(super) fn request(&mut self, head: &str, body: &[u8]) -> Answer {
        self.send(head, body);
        self.answer()
    }
}

pub(super) fn sha256(bytes: &[u8]) -> String {
    hex::encode(digest(&SHA256, bytes))
}

/// Announces a file; the answer.
pub(super) fn begin(http: &mut Http, token: &str, name: &str, bytes: &[u8]) -> Answer {
    http.request(
        &format!(
            "POST /uploads HTTP/1.1\r\nHost: chat\r\nAuthorization: Bearer {token}\r\n\
             Upload-Name: {name}\r\nUpload-Type: application/octet-stream\r\n\
             Upload-Length: {}\r\nUpload-Sha256: {}\r\nContent-Length: 0\r\n\r\n",
            bytes.len(),
            sha256(bytes)
        ),
        b"",
    )
}

/// Announces a file; its upload's id.
fn upload_of(http: &mut Http, token: &str, name: &str, bytes: &[u8]) -> String {
    begin(http, token, name, bytes).json()["upload"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// `HEAD /uploads/{id}`: where upload `id` is.
fn head_of(http: &mut Http, token: &str, id: &str) -> Answer {
    http.request(
        &format!(
            "HEAD /uploads/{id} HTTP/1.1\r\nHost: chat\r\nAuthorization: Bearer {token}\r\n\r\n"
        ),
        b"",
    )
}

/// How many bytes upload `id` has.
fn offset_of(http: &mut Http, token: &str, id: &str) -> usize {
    head_of(http, token, id)
        .header("upload-offset")
        .unwrap()
        .parse()
        .unwrap()
}

/// `DELETE /uploads/{id}`: cancels upload `id`.
pub(super) fn cancel(http: &mut Http, token: &str, id: &str) -> Answer {
    http.request(
        &format!(
            "DELETE /uploads/{id} HTTP/1.1\r\nHost: chat\r\nAuthorization: Bearer {token}\r\n\r\n"
        ),
        b"",
    )
}

/// The head of a `PATCH` that sends `length` bytes from `offset`.
fn patch_head(token: &str, id: &str, offset: usize, length: usize) -> String {
    format!(
        "PATCH /uploads/{id} HTTP/1.1\r\nHost: chat\r\nAuthorization: Bearer {token}\r\n\
         Upload-Offset: {offset}\r\nContent-Length: {length}\r\n\r\n"
    )
}

/// Sends `bytes` from `offset` to upload `id`.
pub(super) fn patch(http: &mut Http, token: &str, id: &str, offset: usize, bytes: &[u8]) -> Answer {
    http.request(&patch_head(token, id, offset, bytes.len()), bytes)
}

/// Uploads a whole file in one go; its id.
pub(super) fn upload(http: &mut Http, token: &str, name: &str, bytes: &[u8]) -> String {
    let begun = begin(http, token, name, bytes);
    let done = if bytes.is_empty() {
        begun
    } else {
        assert_eq!(begun.status, 201, "{:?}", begun.json());
        let id = begun.json()["upload"].as_str().unwrap().to_owned();
        patch(http, token, &id, 0, bytes)
    };
    assert_eq!(done.status, 201, "{:?}", done.json());
    done.json()["file"]["id"].as_str().unwrap().to_owned()
}

pub(super) fn download(http: &mut Http, token: &str, id: &str, range: Option<&str>) -> Answer {
    let range = range.map_or_else(String::new, |r| format!("Range: {r}\r\n"));
    http.request(
        &format!(
            "GET /files/{id} HTTP/1.1\r\nHost: chat\r\nAuthorization: Bearer {token}\r\n{range}\r\n"
        ),
        b"",
    )
}

pub(super) fn bytes(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 31 % 251) as u8).collect()
}

/// Registers and logs `login` in over TLS; the connection and the session token.
fn tls_signed_in(server: &TestServer, login: &str) -> (chat_core::client::Connection, String) {
    let (conn, _) = super::tls::open(server, ClientTls::default());
    conn.send(Request::Register(super::harness::registration(login)));
    super::tls::wait_for(&conn, |m| matches!(m, ServerMessage::Registered { .. }));
    conn.send(Request::Login {
        login: login.into(),
        password: password(login),
    });
    match super::tls::wait_for(&conn, |m| matches!(m, ServerMessage::LoggedIn { .. })) {
        ServerMessage::LoggedIn { token, .. } => (conn, token.unwrap()),
        _ => unreachable!(),
    }
}

#[test]
fn files_round_trip_byte_for_byte_at_the_edges_and_the_limit_over_tls_too() {
    let limit = 300 * 1024;
    let server = TestServer::start_with(move |c| c.max_file_bytes = limit as u64);
    let (_c, token) = signed_in(server.addr(), "ana");
    let mut http = Http::plain(server.addr());
    for size in [0, 1, 65_535, 65_536, 65_537, limit] {
        let original = bytes(size);
        let id = upload(&mut http, &token, &format!("f{size}.bin"), &original);
        let got = download(&mut http, &token, &id, None);
        assert_eq!(got.status, 200);
        assert!(got.body == original, "{size} bytes came back different");
        assert_eq!(
            got.header("content-length"),
            Some(size.to_string().as_str())
        );
        // An upload's answer is the attachment map a line carries: nothing it lacks is there.
        if size == 1 {
            let upload = begin(&mut http, &token, "again.bin", &original).json();
            let upload = upload["upload"].as_str().unwrap();
            let file = patch(&mut http, &token, upload, 0, &original).json();
            assert_eq!(file["file"]["size"], 1, "{file}");
            assert!(file["file"].get("width").is_none(), "{file}");
            assert!(file["file"].get("preview").is_none(), "{file}");
        }
        // An empty file has no range to give (HTTP's `Content-Range` cannot say an empty one).
        if size == 0 {
            for range in ["bytes=0-", "bytes=-5"] {
                let got = download(&mut http, &token, &id, Some(range));
                assert_eq!(got.status, 416, "{range}");
                assert_eq!(got.header("content-range"), Some("bytes */0"));
            }
        }
    }
    // The scheme of `Authorization` is read in any case, as HTTP says.
    let x = upload(&mut http, &token, "x.bin", b"x");
    let lower = http.request(
        &format!("GET /files/{x} HTTP/1.1\r\nHost: chat\r\nAuthorization: bearer {token}\r\n\r\n"),
        b"",
    );
    assert_eq!(lower.status, 200);
    // The limit plus one is refused by its field, before any byte is sent.
    let over = begin(&mut http, &token, "big.bin", &bytes(limit + 1));
    assert_eq!(over.status, 413);
    assert_eq!(over.json()["code"], "file_too_large");
    assert_eq!(over.json()["field"], "size");

    // The same over TLS, on a TLS server's one port (the chat and files share it).
    let server = TestServer::start_with(|c| c.tls = chat_server::TlsSetting::SelfSigned);
    let (_conn, token) = tls_signed_in(&server, "tls");
    // Every edge again, and the default limit (25 MiB) itself and one byte past it.
    let mut tls = Http::tls(server.addr());
    let limit = usize::try_from(chat_server::ServerConfig::new("unused").max_file_bytes).unwrap();
    assert_eq!(limit, 25 * 1024 * 1024);
    for size in [0, 1, 65_535, 65_536, 65_537, limit] {
        let original = bytes(size);
        let id = upload(&mut tls, &token, &format!("tls{size}.bin"), &original);
        let got = download(&mut tls, &token, &id, None);
        assert_eq!(got.status, 200);
        assert!(
            got.body == original,
            "{size} bytes came back different over TLS"
        );
    }
    let over = begin(&mut tls, &token, "big.bin", &bytes(limit + 1));
    assert_eq!(over.status, 413);
    assert_eq!(over.json()["field"], "size");
}

#[test]
fn an_upload_cut_off_resumes_where_it_stopped_and_a_download_from_a_range() {
    let server = TestServer::start();
    let (_c, token) = signed_in(server.addr(), "ana");
    let original = bytes(500_000);
    let mut http = Http::plain(server.addr());
    let id = upload_of(&mut http, &token, "video.bin", &original);
    // A PATCH for the whole file whose connection drops after 200,000 bytes.
    {
        let mut cut = Http::plain(server.addr());
        cut.send(
            &patch_head(&token, &id, 0, original.len()),
            &original[..200_000],
        );
        cut.transport.shutdown(std::net::Shutdown::Both);
    }
    // The server says how far it got, in time; the rest goes from there.
    let have = (0..500)
        .find_map(|_| {
            let have = offset_of(&mut http, &token, &id);
            if have == 200_000 {
                Some(have)
            } else {
                std::thread::sleep(Duration::from_millis(10));
                None
            }
        })
        .expect("the server kept the bytes that came");
    // Sending from a wrong offset is refused with where to go on from.
    let wrong = patch(&mut http, &token, &id, 0, &original[..10]);
    assert_eq!(wrong.status, 409);
    assert_eq!(wrong.header("upload-offset"), Some("200000"));
    // The rest, as curl sends a large body: asking first whether to (`Expect: 100-continue`),
    // and told to go on at once.
    http.send(
        &format!(
            "PATCH /uploads/{id} HTTP/1.1\r\nHost: chat\r\nAuthorization: Bearer {token}\r\n\
             Upload-Offset: {have}\r\nContent-Length: {}\r\nExpect: 100-continue\r\n\r\n",
            original.len() - have
        ),
        b"",
    );
    assert_eq!(http.answer().status, 100, "asked for the body");
    http.send("", &original[have..]);
    let done = http.answer();
    assert_eq!(done.status, 201, "{:?}", done.json());
    let file = done.json()["file"]["id"].as_str().unwrap().to_owned();
    // A download resumed from a range.
    let tail = download(&mut http, &token, &file, Some("bytes=400000-"));
    assert_eq!(tail.status, 206);
    assert_eq!(
        tail.header("content-range"),
        Some("bytes 400000-499999/500000")
    );
    assert!(tail.body == original[400_000..]);
    // A unit the server does not know is ignored, as HTTP says: the whole file.
    let whole = download(&mut http, &token, &file, Some("items=0-3"));
    assert_eq!(whole.status, 200);
    assert!(whole.body == original);
}

/// `PUT /files/{id}/preview` with `bytes`.
pub(super) fn put_preview(http: &mut Http, token: &str, id: &str, bytes: &[u8]) -> Answer {
    http.request(
        &format!(
            "PUT /files/{id}/preview HTTP/1.1\r\nHost: chat\r\nAuthorization: Bearer {token}\r\n\
             Content-Length: {}\r\n\r\n",
            bytes.len()
        ),
        bytes,
    )
}

#[test]
fn a_preview_is_its_uploaders_to_set_once_and_a_file_named_twice_is_carried_once() {
    let server = TestServer::start();
    let (mut ana, token) = signed_in(server.addr(), "ana");
    let (mut bob, bob_token) = signed_in(server.addr(), "bob");
    let mut http = Http::plain(server.addr());
    let id = upload(&mut http, &token, "foto.png", &bytes(2_000));
    let mut small = b"\x89PNG\r\n\x1a\n".to_vec();
    small.extend_from_slice(&bytes(100));
    assert_eq!(
        put_preview(&mut http, &bob_token, &id, &small).status,
        404,
        "not his"
    );
    assert_eq!(
        put_preview(&mut http, &token, &id, b"GIF89a....").status,
        400
    );
    let mut large = b"\x89PNG\r\n\x1a\n".to_vec();
    large.extend_from_slice(&bytes(64 * 1024));
    // (Refused before its body is read, on a connection that then closes.)
    let mut once = Http::plain(server.addr());
    assert_eq!(put_preview(&mut once, &token, &id, &large).status, 413);
    assert_eq!(put_preview(&mut http, &token, &id, &small).status, 204);
    // The same again (an answer lost on the way) is taken; another is not: readers fetch a
    // preview once and keep it.
    assert_eq!(put_preview(&mut http, &token, &id, &small).status, 204);
    let mut other = small.clone();
    other.push(0);
    assert_eq!(put_preview(&mut http, &token, &id, &other).status, 400);
    let shown = http.request(
        &format!(
            "GET /files/{id}/preview HTTP/1.1\r\nHost: chat\r\nAuthorization: Bearer {token}\r\n\r\n"
        ),
        b"",
    );
    assert_eq!((shown.status, &shown.body), (200, &small));
    // A file named twice in one line is carried once.
    bob.settle();
    ana.send(Request::Say {
        text: "la foto".into(),
        reply_to: None,
        attachments: vec![id.clone(), id.clone()],
    });
    let carried = match bob.expect(
        "the line",
        |m| matches!(m, ServerMessage::Message { text, .. } if text == "la foto"),
    ) {
        ServerMessage::Message { attachments, .. } => attachments,
        _ => unreachable!(),
    };
    assert_eq!(carried.len(), 1, "{carried:?}");
}

#[test]
fn small_and_empty_files_count_against_the_quota_and_uploads_under_way_are_bounded() {
    let server = TestServer::start_with(|c| c.quota_bytes = 1024 * 1024);
    let (_c, token) = signed_in(server.addr(), "ana");
    let mut http = Http::plain(server.addr());
    // An empty file whose SHA-256 is not that of nothing: refused, and no upload is left
    // behind (it could never be sent, named or cancelled).
    let wrong = http.request(
        &format!(
            "POST /uploads HTTP/1.1\r\nHost: chat\r\nAuthorization: Bearer {token}\r\n\
             Upload-Name: nada.txt\r\nUpload-Type: text/plain\r\nUpload-Length: 0\r\n\
             Upload-Sha256: {}\r\nContent-Length: 0\r\n\r\n",
            sha256(b"algo")
        ),
        b"",
    );
    assert_eq!(wrong.status, 400, "{:?}", wrong.json());
    assert_eq!(wrong.json()["field"], "sha256");
    assert_eq!(server.handle().unfinished_uploads(), 0);
    // Each file counts at least as much as the preview it may be given (64 KiB): sixteen
    // empty files fill a quota of 1 MiB, and the seventeenth is refused.
    let mut files = Vec::new();
    for n in 0..16 {
        files.push(upload(&mut http, &token, &format!("vacio{n}.txt"), b""));
    }
    let over = begin(&mut http, &token, "otro.txt", b"");
    assert_eq!(over.status, 507, "{:?}", over.json());
    assert_eq!(over.json()["code"], "quota_exceeded");
    // Uploads under way are bounded per account: past 64 the next waits (429, told when to
    // ask again) until one ends.
    let server = TestServer::start_with(|c| c.quota_bytes = 1024 * 1024 * 1024);
    let (_c, token) = signed_in(server.addr(), "bea");
    let mut http = Http::plain(server.addr());
    let under_way: Vec<String> = (0..chat_server::store::files::MAX_UNDER_WAY)
        .map(|n| upload_of(&mut http, &token, &format!("parte{n}.bin"), &bytes(10 + n)))
        .collect();
    let one_more = begin(&mut http, &token, "una.bin", &bytes(5));
    assert_eq!(one_more.status, 429, "{:?}", one_more.json());
    assert_eq!(one_more.json()["code"], "rate_limited");
    assert!(one_more.header("retry-after").is_some());
    assert_eq!(cancel(&mut http, &token, &under_way[0]).status, 204);
    assert_eq!(begin(&mut http, &token, "una.bin", &bytes(5)).status, 201);
}

/// A small file system of its own, mounted (as root, as CI runs) for as long as it lives.
struct SmallDisk {
    path: std::path::PathBuf,
}

impl SmallDisk {
    fn mount(path: &std::path::Path, size: &str) -> Option<Self> {
        std::fs::create_dir_all(path).unwrap();
        let mounted = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(path)
            .status()
            .is_ok_and(|s| s.success());
        if !mounted {
            super::engines::missing("mount (as root), for a small file system");
            return None;
        }
        Some(SmallDisk {
            path: path.to_owned(),
        })
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.path)
            .status();
    }
}

/// The files' disk fills in the middle of an upload: refused by its field, nothing stored,
/// the chat going on; once space is freed, files go again.
#[test]
fn a_full_disk_refuses_an_upload_clearly_and_the_chat_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let Some(_disk) = SmallDisk::mount(&data.join("files"), "1m") else {
        return;
    };
    let server = TestServer::start_with(move |c| c.data_dir = data.clone());
    let (mut ana, token) = signed_in(server.addr(), "ana");
    let (mut bob, _) = signed_in(server.addr(), "bob");
    let mut http = Http::plain(server.addr());
    let large = bytes(2 * 1024 * 1024);
    let id = upload_of(&mut http, &token, "video.bin", &large);
    let full = patch(&mut http, &token, &id, 0, &large);
    assert_eq!(full.status, 507, "{:?}", full.json());
    assert_eq!(full.json()["code"], "storage_full");
    assert_eq!(full.json()["field"], "size");
    // Nothing of it is a file, and the chat is not held up.
    assert_eq!(server.handle().stored_objects(), 0);
    ana.send(Request::Say {
        text: "el disco está lleno".into(),
        reply_to: None,
        attachments: Vec::new(),
    });
    bob.expect(
        "ana's line",
        |m| matches!(m, ServerMessage::Message { text, .. } if text == "el disco está lleno"),
    );
    // The upload cancelled, its bytes go, and a file that fits is stored.
    let mut http = Http::plain(server.addr());
    assert_eq!(cancel(&mut http, &token, &id).status, 204);
    let small = bytes(100_000);
    let file = upload(&mut http, &token, "notas.bin", &small);
    assert!(download(&mut http, &token, &file, None).body == small);
}
