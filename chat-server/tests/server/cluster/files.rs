//! Every node serves every file, to whoever can read the line that carries it.

use std::time::Instant;

use chat_core::protocol::{Request, ServerMessage};

use super::super::files::{Http, begin, bytes, cancel, download, patch, sha256, upload};
use super::super::harness::signed_in;
use super::super::irc_actions::{from as said_by, irc_user};
use super::{Cluster, NodeProcess};

/// The most a node's memory (its peak resident set) may grow while it serves a file from the
/// store the nodes share: a few chunks, whatever the file's size.
const DOWNLOAD_GROWTH_MAX_KB: u64 = 8 * 1024;

/// A process's peak resident set, in KiB (`VmHWM` in `/proc/<pid>/status`).
fn peak_rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

#[test]
fn every_node_serves_every_file_byte_for_byte_to_whoever_can_read_its_line() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let [n1, n2, n3] = [&cluster.nodes[0], &cluster.nodes[1], &cluster.nodes[2]];
    let (mut ana, ana_token) = signed_in(n1.addr(), "ana");
    let (mut bea, bea_token) = signed_in(n2.addr(), "bea");
    let (mut cai, cai_token) = signed_in(n3.addr(), "cai");
    for c in [&mut ana, &mut bea, &mut cai] {
        c.settle();
    }
    // Several chunks of the shared store, the last one short.
    let photo = bytes(3 * 256 * 1024 + 12_345);
    let (mut h1, mut h2, mut h3) = (
        Http::plain(n1.addr()),
        Http::plain(n2.addr()),
        Http::plain(n3.addr()),
    );
    let id = upload(&mut h1, &ana_token, "foto.png", &photo);
    // Its uploader has it on every node; anyone else, before a line carries it, is told
    // exactly what a file that does not exist is told.
    assert!(download(&mut h2, &ana_token, &id, None).body == photo);
    let missing = download(&mut h2, &bea_token, &"0".repeat(32), None);
    let hidden = download(&mut h2, &bea_token, &id, None);
    assert_eq!(missing.status, 404);
    assert_eq!(
        (hidden.status, &hidden.body),
        (missing.status, &missing.body)
    );
    // Said in a room made on n1 and entered from n2: its member on n2 fetches it there, whole
    // or from a range across chunks; cai on n3, elsewhere, may not.
    ana.request(Request::CreateRoom {
        room: "aula".into(),
    });
    bea.request(Request::EnterRoom {
        room: "aula".into(),
    });
    ana.send(Request::Say {
        text: "la foto".into(),
        reply_to: None,
        attachments: vec![id.clone()],
    });
    bea.expect(
        "the line with the file",
        |m| matches!(m, ServerMessage::Message { attachments, .. } if attachments.len() == 1),
    );
    assert!(download(&mut h2, &bea_token, &id, None).body == photo);
    // And on a node her chat connection is not on (behind a load balancer her file requests
    // may go anywhere), once that node has applied the line.
    let elsewhere = (0..200)
        .map(|_| {
            let answer = download(&mut h3, &bea_token, &id, None);
            if answer.status == 404 {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            answer
        })
        .find(|a| a.status != 404)
        .expect("n3 serves the file to a member of the room on n2");
    assert!(elsewhere.body == photo);
    let (from, to) = (256 * 1024 - 10, 2 * 256 * 1024 + 10);
    let part = download(
        &mut h2,
        &bea_token,
        &id,
        Some(&format!("bytes={from}-{to}")),
    );
    assert_eq!(part.status, 206);
    assert!(part.body == photo[from..=to]);
    let tail = download(&mut h2, &bea_token, &id, Some("bytes=-100"));
    assert!(tail.body == photo[photo.len() - 100..]);
    let refused = download(&mut h3, &cai_token, &id, None);
    assert_eq!((refused.status, &refused.body), (404, &missing.body));
    // The same content under another name, in a private message from n1 to cai on n3: the two
    // of the conversation, on their own nodes; bea may not.
    let again = upload(&mut h1, &ana_token, "copia.png", &photo);
    ana.request(Request::Private {
        to: "cai".into(),
        text: String::new(),
        reply_to: None,
        attachments: vec![again.clone()],
    });
    cai.expect(
        "the private file",
        |m| matches!(m, ServerMessage::Private { attachments, .. } if attachments.len() == 1),
    );
    assert!(download(&mut h3, &cai_token, &again, None).body == photo);
    assert_eq!(download(&mut h2, &bea_token, &again, None).status, 404);
    // An IRC user on n1 is shown the file as a link made by n1; the link opens on n2 too
    // (behind a load balancer a link may be opened on any node).
    let irc = n1.handle().irc_addr().expect("the IRC gateway is on");
    let mut dan = irc_user(n1, irc, "dan", "");
    ana.request(Request::Private {
        to: "dan".into(),
        text: "toma".into(),
        reply_to: None,
        attachments: vec![id.clone()],
    });
    assert_eq!(said_by(&mut dan, "ana", "PRIVMSG").param(1), "toma");
    let line = said_by(&mut dan, "ana", "PRIVMSG");
    let text = line.param(1);
    let path = &text[text.find("/files/").expect("a link")..];
    // (once n2 has read the message's files from the log)
    let opened = (0..200)
        .map(|_| {
            let answer = h2.request(&format!("GET {path} HTTP/1.1\r\nHost: chat\r\n\r\n"), b"");
            if answer.status == 404 {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            answer
        })
        .find(|a| a.status != 404)
        .expect("a link made by n1 opens on n2");
    assert_eq!(opened.status, 200);
    assert!(opened.body == photo);
    // Uploaded through n2 (a load balancer sent it there), sent from n1 to cai on n3: n2,
    // which decides when the file goes, keeps neither of the two but learns of the message,
    // and keeps the file past its grace, until the message is deleted.
    let through_n2 = upload(&mut h2, &ana_token, "apuntes.pdf", &bytes(4_000));
    let sent = match ana.request(Request::Private {
        to: "cai".into(),
        text: String::new(),
        reply_to: None,
        attachments: vec![through_n2.clone()],
    }) {
        ServerMessage::PrivateSent { id, .. } => id,
        other => panic!("{other:?}"),
    };
    cai.expect(
        "the file sent through another node",
        |m| matches!(m, ServerMessage::Private { id, .. } if *id == sent),
    );
    let past_grace = || {
        n2.advance(std::time::Duration::from_secs(25 * 3600));
        n2.handle().sweep_files();
    };
    past_grace();
    past_grace();
    assert!(download(&mut h3, &cai_token, &through_n2, None).body == bytes(4_000));
    ana.request(Request::DeleteMessage {
        target: chat_core::protocol::Target::With("cai".into()),
        line: sent,
    });
    cai.expect(
        "the deletion",
        |m| matches!(m, ServerMessage::MessageDeleted { line, .. } if *line == sent),
    );
    // (n2 reads the same log: a few rounds of its sweep, each past the grace, at most.)
    let gone = (0..8).any(|_| {
        past_grace();
        let gone = download(&mut h2, &ana_token, &through_n2, None).status == 404;
        if !gone {
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        gone
    });
    assert!(
        gone,
        "deleted, the message no longer holds the file on its uploader's node"
    );
    // A large file served by a node that never had it (its own process) streams: the node's
    // memory grows by a few chunks at most.
    let large = bytes(20 * 1024 * 1024 + 7);
    let big = upload(&mut h1, &ana_token, "grande.bin", &large);
    let dir = tempfile::tempdir().unwrap();
    let n4 = NodeProcess::start(&cluster.redis, &cluster.pg, "n4", dir.path());
    let mut h4 = Http::plain(n4.addr);
    assert!(download(&mut h4, &ana_token, &id, None).body == photo);
    let before = peak_rss_kb(n4.child.id());
    let started = Instant::now();
    let got = download(&mut h4, &ana_token, &big, None);
    let took = started.elapsed();
    let grew = peak_rss_kb(n4.child.id()).saturating_sub(before);
    eprintln!(
        "20 MiB from the shared store through another node in {took:?}; its peak memory grew \
         {grew} KiB"
    );
    assert!(got.body == large, "the large file differs");
    assert!(
        grew <= DOWNLOAD_GROWTH_MAX_KB,
        "a node grew {grew} KiB serving a 20 MiB file"
    );

    // A picture's preview given through another node than the one it was uploaded through
    // (its uploader reconnected there) shows on every node, its own included.
    let picture = b"\x89PNG\r\n\x1a\n a picture".to_vec();
    let answer = h1.request(
        &format!(
            "POST /uploads HTTP/1.1\r\nHost: chat\r\nAuthorization: Bearer {ana_token}\r\n\
             Upload-Name: pizarra.png\r\nUpload-Type: image/png\r\nUpload-Length: {}\r\n\
             Upload-Sha256: {}\r\nUpload-Width: 640\r\nUpload-Height: 480\r\n\
             Content-Length: 0\r\n\r\n",
            picture.len(),
            sha256(&picture)
        ),
        b"",
    );
    let upload_id = answer.json()["upload"].as_str().unwrap().to_owned();
    let board = patch(&mut h1, &ana_token, &upload_id, 0, &picture).json()["file"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let small = b"\x89PNG\r\n\x1a\n small".to_vec();
    let put = h2.request(
        &format!(
            "PUT /files/{board}/preview HTTP/1.1\r\nHost: chat\r\n\
             Authorization: Bearer {ana_token}\r\nContent-Length: {}\r\n\r\n",
            small.len()
        ),
        &small,
    );
    assert_eq!(put.status, 204);
    for http in [&mut h1, &mut h2, &mut h3] {
        let shown = http.request(
            &format!(
                "GET /files/{board}/preview HTTP/1.1\r\nHost: chat\r\n\
                 Authorization: Bearer {ana_token}\r\n\r\n"
            ),
            b"",
        );
        assert_eq!((shown.status, &shown.body), (200, &small));
    }

    // The quota counts the account's files on every node: through n2, which holds none of
    // them now, ana may begin an upload of what is left of it, and not a byte more.
    let charged =
        |b: &[u8]| usize::try_from(chat_server::store::files::charged(b.len() as u64)).unwrap();
    let held = 2 * charged(&photo) + charged(&large) + charged(&picture);
    let left = usize::try_from(super::QUOTA).unwrap() - held;
    let over = begin(&mut h2, &ana_token, "mas.bin", &bytes(left + 1));
    assert_eq!(over.status, 507, "{:?}", over.json());
    assert_eq!(over.json()["code"], "quota_exceeded");
    let fits = begin(&mut h2, &ana_token, "justo.bin", &bytes(left));
    assert_eq!(fits.status, 201, "{:?}", fits.json());
    // That upload under way counts too, on its node and on every other.
    let more = begin(&mut h2, &ana_token, "otro.bin", b"x");
    assert_eq!(more.status, 507, "{:?}", more.json());
    let elsewhere = begin(&mut h3, &ana_token, "otro.bin", b"x");
    assert_eq!(elsewhere.status, 507, "{:?}", elsewhere.json());
    // Cancelled, its room is free on every node.
    let upload = fits.json()["upload"].as_str().unwrap().to_owned();
    assert_eq!(cancel(&mut h2, &ana_token, &upload).status, 204);
    let now_fits = begin(&mut h3, &ana_token, "otro.bin", &bytes(left));
    assert_eq!(now_fits.status, 201, "{:?}", now_fits.json());
}
