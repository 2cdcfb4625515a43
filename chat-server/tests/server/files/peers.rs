//! Peers that get files wrong or drag them out, over real TCP: uploads refused by their field
//! with nothing half-stored seen, what could be read two ways refused and files served as
//! inert bytes, two requests racing on one upload, transfers that stall (the chat goes on)
//! or trickle (cut once behind the server's pace, an upload keeping what came), and an idle
//! file connection that must not hold a stopping server.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use chat_core::protocol::{Request, ServerMessage};

use super::super::harness::{TestServer, signed_in};
use super::{
    Http, begin, bytes, cancel, download, head_of, offset_of, patch, patch_head, sha256,
    tls_signed_in, upload, upload_of,
};

/// Files never hold up the chat: a member whose download has stalled (the client reads none of
/// it) and whose upload has paused mid-body gets the room's lines on their chat
/// connection, which is not taken for a slow consumer; both transfers then finish whole.
#[test]
fn lines_reach_a_member_whose_download_and_upload_have_stalled() {
    let server = TestServer::start();
    let (mut ana, _) = signed_in(server.addr(), "ana");
    let (mut bob, token) = signed_in(server.addr(), "bob");
    let mut http = Http::plain(server.addr());
    let big = bytes(20 * 1024 * 1024);
    let file = upload(&mut http, &token, "grande.bin", &big);
    // The download asked for and not read: the server's socket buffers fill and its
    // writing waits.
    let mut stalled = Http::plain(server.addr());
    stalled.send(
        &format!(
            "GET /files/{file} HTTP/1.1\r\nHost: chat\r\nAuthorization: Bearer {token}\r\n\r\n"
        ),
        b"",
    );
    // An upload whose body stops half-way, for now.
    let other = bytes(1024 * 1024);
    let id = upload_of(&mut http, &token, "otro.bin", &other);
    let mut paused = Http::plain(server.addr());
    paused.send(
        &patch_head(&token, &id, 0, other.len()),
        &other[..other.len() / 2],
    );
    std::thread::sleep(Duration::from_millis(300));
    for n in 0..20 {
        // (Each waited for while both transfers stay stalled: a line held behind either
        // would never come.)
        let text = format!("línea {n}");
        ana.send(Request::Say {
            text: text.clone(),
            reply_to: None,
            attachments: Vec::new(),
        });
        bob.expect(
            "the line",
            |m| matches!(m, ServerMessage::Message { text: t, .. } if *t == text),
        );
    }
    // Bob's chat connection is still his (not dropped as slow), and both transfers end whole.
    assert!(matches!(bob.request(Request::Ping), ServerMessage::Pong));
    paused.send("", &other[other.len() / 2..]);
    let done = paused.answer();
    assert_eq!(done.status, 201, "{:?}", done.json());
    let got = stalled.answer();
    assert_eq!(got.status, 200);
    assert!(got.body == big, "the stalled download came whole");
}

/// A body or a download that trickles (a byte just before each read's timeout, as a client
/// holding the server's threads would) is cut once it falls behind the server's pace: the
/// upload keeps what came and goes on from there, the download's connection closes.
#[test]
fn bytes_that_trickle_are_cut_and_an_upload_keeps_what_came() {
    let server = TestServer::start_with(|c| {
        c.min_file_rate = 4 * 1024 * 1024;
        c.file_rate_grace = Duration::from_secs(1);
    });
    let (_bob, token) = signed_in(server.addr(), "bob");
    let mut http = Http::plain(server.addr());
    let file = bytes(100_000);
    let id = upload_of(&mut http, &token, "lento.bin", &file);
    let mut raw = TcpStream::connect(server.addr()).unwrap();
    raw.write_all(patch_head(&token, &id, 0, file.len()).as_bytes())
        .unwrap();
    raw.write_all(&file[..5_000]).unwrap();
    let mut sent = 5_000;
    let until = std::time::Instant::now() + Duration::from_secs(8);
    while sent < file.len() && std::time::Instant::now() < until {
        std::thread::sleep(Duration::from_millis(200));
        if raw.write_all(&file[sent..sent + 100]).is_err() {
            break;
        }
        sent += 100;
    }
    // Cut, its writes fail within a second or two; not cut, 9,000 bytes go in the 8 s.
    assert!(
        sent < 8_000,
        "the trickle was never cut ({sent} bytes sent in 8 s)"
    );
    let kept = offset_of(&mut http, &token, &id);
    assert!((5_000..=sent).contains(&kept), "kept {kept} of {sent}");
    let done = patch(&mut http, &token, &id, kept, &file[kept..]);
    assert_eq!(done.status, 201, "{:?}", done.json());
    let stored = done.json()["file"]["id"].as_str().unwrap().to_owned();
    assert!(download(&mut http, &token, &stored, None).body == file);

    // A download read a little at a time: its connection closes before the end.
    let big = bytes(16 * 1024 * 1024);
    let file = upload(&mut http, &token, "grande.bin", &big);
    let mut slow = TcpStream::connect(server.addr()).unwrap();
    slow.write_all(
        format!(
            "GET /files/{file} HTTP/1.1\r\nHost: chat\r\nAuthorization: Bearer {token}\r\n\r\n"
        )
        .as_bytes(),
    )
    .unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let (mut got, mut chunk) = (0usize, vec![0u8; 64 * 1024]);
    // Slowly for 3 s (well behind 4 MiB a second), then all that is left as fast as it comes:
    // a download that was not cut would come whole.
    let slowly_until = std::time::Instant::now() + Duration::from_secs(3);
    while std::time::Instant::now() < slowly_until {
        match slow.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => got += n,
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    loop {
        match slow.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => got += n,
        }
    }
    // (The answer's head is in `got` too: the whole would be more than the file.)
    assert!(
        got < big.len(),
        "read {got} bytes of a file of {}",
        big.len()
    );
}

/// A connection kept open between requests (as every client keeps one) neither holds a
/// stopping server up nor its store: the server restarts at once on the same data.
#[test]
fn an_idle_file_connection_does_not_hold_a_stopping_server() {
    let mut server = TestServer::start_with(|c| c.tls = chat_server::TlsSetting::SelfSigned);
    let (conn, token) = tls_signed_in(&server, "ana");
    drop(conn);
    let mut idle = Http::tls(server.addr());
    let id = upload(&mut idle, &token, "notas.txt", b"notas");
    // (`idle` stays open, waiting for its next request, through the restart.)
    let started = std::time::Instant::now();
    server.restart();
    assert!(
        started.elapsed() < super::super::harness::WAIT,
        "the restart waited {:?}",
        started.elapsed()
    );
    let mut http = Http::tls(server.addr());
    assert!(download(&mut http, &token, &id, None).body == b"notas");
    drop(idle);
}

/// A client that lost its connection resumes on a new one while the server still reads the
/// old one: the new request waits for the old to end, then goes on from where it left the
/// upload. (Both used to append: the old request's last bytes went in after the new one's.)
#[test]
fn two_requests_never_write_one_upload_at_once() {
    let server = TestServer::start();
    let (_c, token) = signed_in(server.addr(), "ana");
    let original = bytes(300_000);
    let mut http = Http::plain(server.addr());
    let id = upload_of(&mut http, &token, "slides.bin", &original);
    // The old connection: the whole file announced, two chunks and 1,000 bytes sent (the
    // server writes whole chunks while more is to come), then silence.
    let part = 2 * 64 * 1024;
    let mut old = Http::plain(server.addr());
    old.send(
        &patch_head(&token, &id, 0, original.len()),
        &original[..part + 1000],
    );
    let mut have = 0;
    for _ in 0..500 {
        have = offset_of(&mut http, &token, &id);
        if have == part {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(have, part, "the old request's whole chunks are written");
    // The client gives the old connection up a moment after it resumed on a new one.
    let ender = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        old.transport.shutdown(std::net::Shutdown::Write);
        old
    });
    // Resumed from what the server said: it waits for the old request, whose last bytes are
    // kept, and says where the upload is now.
    let next = patch(&mut http, &token, &id, have, &original[have..have + 1000]);
    assert_eq!(next.status, 409, "{:?}", next.json());
    assert_eq!(
        next.header("upload-offset"),
        Some(&*(part + 1000).to_string())
    );
    drop(ender.join().unwrap());
    let have = offset_of(&mut http, &token, &id);
    let done = patch(&mut http, &token, &id, have, &original[have..]);
    assert_eq!(done.status, 201, "{:?}", done.json());
    let file = done.json()["file"]["id"].as_str().unwrap().to_owned();
    assert!(download(&mut http, &token, &file, None).body == original);
}

#[test]
fn bad_uploads_are_refused_by_field_and_nothing_half_stored_is_seen() {
    let server = TestServer::start_with(|c| {
        c.max_file_bytes = 250_000;
        c.quota_bytes = 400_000;
    });
    let (_c, token) = signed_in(server.addr(), "ana");
    let mut http = Http::plain(server.addr());
    // A path, `..` anywhere, a control character, nothing, and a `%` that escapes nothing
    // (a name must read one way only).
    for name in [
        "a%2Fb", "..", "a..b", "..oculto", "x%01y", "", "50%", "%zz.txt",
    ] {
        let answer = begin(&mut http, &token, name, b"hola");
        assert_eq!(answer.status, 400, "{name}");
        assert_eq!(answer.json()["field"], "name", "{name}");
    }
    // A media type is one `type/subtype`.
    for mime in ["png", "a/b/c", "/png", "image/", "image/p ng"] {
        let answer = http.request(
            &format!(
                "POST /uploads HTTP/1.1\r\nHost: chat\r\nAuthorization: Bearer {token}\r\n\
                 Upload-Name: x.png\r\nUpload-Type: {mime}\r\nUpload-Length: 4\r\n\
                 Upload-Sha256: {}\r\nContent-Length: 0\r\n\r\n",
                sha256(b"hola")
            ),
            b"",
        );
        assert_eq!(answer.status, 400, "{mime}");
        assert_eq!(answer.json()["field"], "type", "{mime}");
    }
    // A body's length is digits too: a sign is refused, not read.
    let signed = http.request(
        &format!(
            "POST /uploads HTTP/1.1\r\nHost: chat\r\nAuthorization: Bearer {token}\r\n\
             Content-Length: +0\r\n\r\n"
        ),
        b"",
    );
    assert_eq!(signed.status, 400, "{:?}", signed.json());
    let mut http = Http::plain(server.addr());
    // Numbers are digits, and a picture's side fits an attachment's.
    for (header, value) in [
        ("Upload-Length", "+4"),
        ("Upload-Length", "4.0"),
        ("Upload-Width", "4294967296"),
        ("Upload-Height", "-1"),
    ] {
        let length = if header == "Upload-Length" {
            value
        } else {
            "4"
        };
        let extra = if header == "Upload-Length" {
            String::new()
        } else {
            format!("{header}: {value}\r\n")
        };
        let answer = http.request(
            &format!(
                "POST /uploads HTTP/1.1\r\nHost: chat\r\nAuthorization: Bearer {token}\r\n\
                 Upload-Name: x.png\r\nUpload-Type: image/png\r\nUpload-Length: {length}\r\n\
                 {extra}Upload-Sha256: {}\r\nContent-Length: 0\r\n\r\n",
                sha256(b"hola")
            ),
            b"",
        );
        assert_eq!(answer.status, 400, "{header}: {value}");
        assert_eq!(answer.json()["field"], "size", "{header}: {value}");
    }
    // Without a session token: not even asked.
    let anonymous = http.request(
        "POST /uploads HTTP/1.1\r\nHost: chat\r\nContent-Length: 0\r\n\r\n",
        b"",
    );
    assert_eq!(anonymous.status, 401);
    // Bytes that are not the announced file: refused, and nothing stored.
    let id = begin(&mut http, &token, "x.bin", &bytes(1_000)).json()["upload"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut other = bytes(1_000);
    other[500] ^= 1;
    let refused = patch(&mut http, &token, &id, 0, &other);
    assert_eq!(refused.status, 400);
    assert_eq!(refused.json()["field"], "sha256");
    assert_eq!(server.handle().stored_objects(), 0);
    // A length that would wrap around past the size (half the file in, then "2^64 - 1 more"):
    // refused by its size, before a byte is taken.
    let id = begin(&mut http, &token, "y.bin", &bytes(1_000)).json()["upload"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(patch(&mut http, &token, &id, 0, &bytes(500)).status, 204);
    let mut huge = Http::plain(server.addr());
    let wrapped = huge.request(
        &format!(
            "PATCH /uploads/{id} HTTP/1.1\r\nHost: chat\r\nAuthorization: Bearer {token}\r\n\
             Upload-Offset: 500\r\nContent-Length: {}\r\n\r\n",
            u64::MAX
        ),
        &bytes(4_000),
    );
    assert_eq!(wrapped.status, 400, "{:?}", wrapped.json());
    assert_eq!(wrapped.json()["field"], "size");
    let status = head_of(&mut http, &token, &id);
    assert_eq!(
        status.header("upload-offset"),
        Some("500"),
        "nothing more was taken"
    );
    // A HEAD refused is a head alone (its length says the body a GET would have): the next
    // answer on the connection is read from where it starts.
    let missing = head_of(&mut http, &token, &"0".repeat(32));
    assert_eq!(missing.status, 404);
    assert!(missing.body.is_empty());
    let status = head_of(&mut http, &token, &id);
    assert_eq!(status.status, 204, "the answer after it is read whole");
    // The quota counts what the account keeps (each upload under way, however small, as much
    // as a preview may weigh: 64 KiB).
    upload(&mut http, &token, "one.bin", &bytes(200_000));
    let over = begin(&mut http, &token, "two.bin", &bytes(200_000));
    assert_eq!(over.status, 507);
    assert_eq!(over.json()["code"], "quota_exceeded");
    assert_eq!(over.json()["field"], "size");
    // An unfinished upload holds its whole length: cancelled, it frees it at once. Nobody else
    // may cancel it (to them it does not exist).
    let fits_after = bytes(100_000);
    assert_eq!(begin(&mut http, &token, "z.bin", &fits_after).status, 507);
    let (_b, bea) = signed_in(server.addr(), "bea");
    let delete = |http: &mut Http, token: &str| cancel(http, token, &id);
    assert_eq!(delete(&mut http, &bea).status, 404);
    assert_eq!(delete(&mut http, &token).status, 204);
    assert_eq!(delete(&mut http, &token).status, 404, "gone");
    assert_eq!(begin(&mut http, &token, "z.bin", &fits_after).status, 201);
}

#[test]
fn what_could_be_read_two_ways_is_refused_and_files_are_served_as_inert_bytes() {
    let server = TestServer::start();
    let (_c, token) = signed_in(server.addr(), "ana");
    let mut http = Http::plain(server.addr());
    let post = |name: &str| {
        format!(
            "POST /uploads HTTP/1.1\r\nHost: chat\r\nAuthorization: Bearer {token}\r\n\
             Upload-Name: {name}\r\nUpload-Type: text/plain\r\nUpload-Length: 4\r\n\
             Upload-Sha256: {}\r\nContent-Length: 0\r\n\r\n",
            sha256(b"hola")
        )
    };
    // A name with a direction override (`factura\u{202e}fdp.exe` reads `facturaexe.pdf`),
    // and one in raw bytes past ASCII rather than percent-encoded.
    for name in ["factura%E2%80%AEfdp.exe", "se\u{f1}al.txt"] {
        let answer = http.request(&post(name), b"");
        assert_eq!(answer.status, 400, "{name}: {:?}", answer.json());
        assert_eq!(answer.json()["field"], "name", "{name}");
    }
    assert_eq!(http.request(&post("se%C3%B1al.txt"), b"").status, 201);
    // Two lengths that differ: which one a proxy in front read is unknown.
    let mut twice = Http::plain(server.addr());
    let answer = twice.request(
        &format!(
            "PATCH /uploads/x HTTP/1.1\r\nHost: chat\r\nAuthorization: Bearer {token}\r\n\
             Upload-Offset: 0\r\nContent-Length: 0\r\nContent-Length: 4\r\n\r\n"
        ),
        b"",
    );
    assert_eq!(answer.status, 400, "{:?}", answer.json());
    // A file is served as what its uploader said, never sniffed or run by a browser.
    let page = upload(
        &mut http,
        &token,
        "pagina.html",
        b"<script>alert(1)</script>",
    );
    let got = download(&mut http, &token, &page, None);
    assert_eq!(got.header("x-content-type-options"), Some("nosniff"));
    assert!(
        got.header("content-security-policy")
            .is_some_and(|p| p.starts_with("sandbox")),
        "{:?}",
        got.headers
    );
    // A range that is no range is ignored (the whole file); one past what 64 bits hold ends
    // at the file's end.
    let whole = download(&mut http, &token, &page, Some("bytes=abc"));
    assert_eq!((whole.status, whole.body.len()), (200, 25));
    let huge = download(
        &mut http,
        &token,
        &page,
        Some("bytes=20-99999999999999999999999"),
    );
    assert_eq!((huge.status, &huge.body[..]), (206, &b"ript>"[..]));
}
