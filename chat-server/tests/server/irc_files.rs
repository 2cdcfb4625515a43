//! Files over IRC, over real TCP: a line or private message that carries files reaches IRC
//! clients as its text and then a line per file, with its name, type and size and a link the reader
//! opens over HTTP on the chat port without a session token. The link serves its reader under
//! the rule every download follows (whoever can read the line); forged, lapsed, or outliving
//! the reader's access, it is answered exactly as a file that does not exist.

use std::time::Duration;

use chat_core::irc::Line;
use chat_core::protocol::{Request, ServerMessage};

use super::files::{Http, bytes, download, upload};
use super::harness::signed_in;
use super::irc_actions::{TAGS, from, irc_user, server};

/// The link a file's line ends with.
fn link_of(line: &Line) -> String {
    let text = line.param(1);
    let at = text.find("http://").expect("a link");
    text[at..].to_owned()
}

/// `GET` a link without any session token: its status and body.
fn open(http: &mut Http, link: &str) -> (u16, Vec<u8>) {
    let path = &link[link.find("/files/").expect("a file's path")..];
    let a = http.request(&format!("GET {path} HTTP/1.1\r\nHost: chat\r\n\r\n"), b"");
    (a.status, a.body)
}

#[test]
fn irc_clients_see_a_lines_files_with_links_that_open_for_whoever_can_read_it() {
    let (server, irc) = server(&[]);
    let (mut ana, ana_token) = signed_in(server.addr(), "ana");
    ana.settle();
    let mut bob = irc_user(&server, irc, "bob", TAGS);
    let mut cai = irc_user(&server, irc, "cai", "");
    let mut http = Http::plain(server.addr());
    let notes = bytes(5_000);
    let id = upload(&mut http, &ana_token, "notes de clase.txt", &notes);

    ana.request(Request::CreateRoom {
        room: "aula".into(),
    });
    bob.send("JOIN #aula");
    from(&mut bob, "bob", "JOIN");
    ana.expect("bob in", |m| matches!(m, ServerMessage::Joined { .. }));
    ana.send(Request::Say {
        text: "the notes".into(),
        reply_to: None,
        attachments: vec![id.clone()],
    });
    let said = from(&mut bob, "ana", "PRIVMSG");
    assert_eq!((said.param(0), said.param(1)), ("#aula", "the notes"));
    let file = from(&mut bob, "ana", "PRIVMSG");
    assert_eq!(file.param(0), "#aula");
    assert!(
        file.param(1)
            .starts_with("[file] notes de clase.txt (application/octet-stream, 4.9 KiB) http://"),
        "{file:?}"
    );
    // Another line of the same message: the same msgid, so deleting it takes the file too.
    assert_eq!(file.tag("msgid"), said.tag("msgid"));
    let link = link_of(&file);
    // The link points at the chat port, where files are served.
    let port = server.addr().port();
    assert!(
        link.starts_with(&format!("http://127.0.0.1:{port}/files/{id}?")),
        "{link}"
    );

    // Opened with no session token: the bytes.
    assert_eq!(open(&mut http, &link), (200, notes.clone()));
    let missing = download(
        &mut http,
        &ana_token,
        "00000000000000000000000000000000",
        None,
    );
    let not_found = (missing.status, missing.body);
    assert_eq!(not_found.0, 404);
    // A link made over for another reader, or another file, is no link at all.
    let forged = link.replace("for=bob", "for=cai");
    assert_eq!(open(&mut http, &forged), not_found);
    let other = upload(&mut http, &ana_token, "otra.txt", b"otra");
    assert_eq!(open(&mut http, &link.replace(&id, &other)), not_found);
    let cut = &link[..link.len() - 1];
    assert_eq!(open(&mut http, cut), not_found);
    // Cut short of its signature, or with a lapse that is no number: still a link, not found.
    let unsigned = &link[..link.find("&sig=").expect("a signature")];
    assert_eq!(open(&mut http, unsigned), not_found);
    let until = link.find("until=").expect("a lapse") + "until=".len();
    let garbled = format!("{}x{}", &link[..until], &link[until..]);
    assert_eq!(open(&mut http, &garbled), not_found);
    // Whoever is not in the room sees neither the line nor its file.
    let came = cai.settle();
    assert!(came.iter().all(|l| l.param(0) != "#aula"), "{came:?}");

    // A week later the link has lapsed, as every link written then; the room's history,
    // read now, links the file anew.
    server.advance(Duration::from_secs(7 * 24 * 3600 + 60));
    assert_eq!(open(&mut http, &link), not_found);
    bob.send("CHATHISTORY LATEST #aula * 10");
    let again = bob.expect("the file in the history", |l| {
        l.command == "PRIVMSG" && l.param(1).starts_with("[file] notes de clase.txt")
    });
    let fresh = link_of(&again);
    assert_ne!(fresh, link);
    assert_eq!(open(&mut http, &fresh), (200, notes.clone()));
    // Out of the room, bob can no longer read the line: its link no longer opens.
    bob.send("PART #aula");
    // (Its PART of #lobby, on joining #aula, may still be unread: this is the one of #aula.)
    bob.expect("bob's PART of #aula", |l| {
        l.command == "PART" && l.param(0) == "#aula"
    });
    assert_eq!(open(&mut http, &fresh), not_found);

    // A private message of a file alone, to a client without tags: one line, the file's.
    ana.request(Request::Private {
        to: "cai".into(),
        text: String::new(),
        reply_to: None,
        attachments: vec![other.clone()],
    });
    let private = from(&mut cai, "ana", "PRIVMSG");
    assert_eq!(private.param(0), "cai");
    assert!(
        private
            .param(1)
            .starts_with("[file] otra.txt (application/octet-stream, 4 B) http://"),
        "{private:?}"
    );
    assert_eq!(open(&mut http, &link_of(&private)), (200, b"otra".to_vec()));
    // The same link is bob's to nothing: the conversation is ana's and cai's.
    let stolen = link_of(&private).replace("for=cai", "for=bob");
    assert_eq!(open(&mut http, &stolen), not_found);
}

#[test]
fn a_file_sent_to_an_irc_guest_opens_for_as_long_as_the_guest_is_online() {
    let server = super::harness::TestServer::start_with(|c| {
        c.irc_bind = Some("127.0.0.1:0".into());
        c.irc_guests = true;
    });
    let addr = server.handle().irc_addr().expect("the IRC gateway is on");
    let (mut ana, ana_token) = signed_in(server.addr(), "ana");
    ana.settle();
    // No account: a guest, for whom nothing is kept.
    let mut gus = super::irc::Irc::connect(addr);
    gus.send("NICK gus");
    gus.send("USER gus 0 * :Gus Invitado");
    gus.expect_command("366");
    gus.settle();
    let mut http = Http::plain(server.addr());
    let id = upload(&mut http, &ana_token, "horario.txt", b"lunes 9:00");
    ana.request(Request::Private {
        to: "gus".into(),
        text: String::new(),
        reply_to: None,
        attachments: vec![id.clone()],
    });
    let link = link_of(&from(&mut gus, "ana", "PRIVMSG"));
    // The sweep, which finds no kept message carrying it, leaves it to the guest.
    server.handle().sweep_files();
    assert_eq!(open(&mut http, &link), (200, b"lunes 9:00".to_vec()));
    // Gone, the guest's link is no link; nothing else carries the file, and it goes.
    gus.send("QUIT");
    gus.until_closed();
    server.wait_connections(1);
    server.handle().sweep_files();
    assert_eq!(open(&mut http, &link).0, 404);
    server.advance(Duration::from_secs(25 * 3600));
    server.handle().sweep_files();
    assert_eq!(download(&mut http, &ana_token, &id, None).status, 404);
}

#[test]
fn irc_history_and_kept_messages_play_back_what_is_there_and_no_more() {
    let (server, irc) = server(&[]);
    let (mut ana, ana_token) = signed_in(server.addr(), "ana");
    ana.settle();
    let mut http = Http::plain(server.addr());
    let id = upload(&mut http, &ana_token, "horario.txt", b"lunes 9:00");
    // A message of a file alone kept for dan, offline: at his login without tags, its file
    // line, not a line of nothing but its time.
    drop(server.user("dan"));
    server.wait_connections(1);
    ana.request(Request::Private {
        to: "dan".into(),
        text: String::new(),
        reply_to: None,
        attachments: vec![id.clone()],
    });
    let mut dan = super::irc::Irc::connect(irc);
    dan.send(&format!(
        "PASS dan:{}",
        super::harness::password("dan").expose()
    ));
    dan.send("NICK dan");
    dan.send("USER dan 0 * :Dan");
    dan.expect_command("001");
    let kept = from(&mut dan, "ana", "PRIVMSG");
    // Its time leads its file line, as it leads a kept message's text.
    let line = kept.param(1);
    assert!(
        line.starts_with("[20") && line.contains("] [file] horario.txt"),
        "{kept:?}"
    );
    // A deleted line is not played back as an empty message; a reply is played back as one.
    let mut bob = irc_user(&server, irc, "bob", TAGS);
    let mut say = |text: &str, reply_to: Option<u64>| {
        ana.send(Request::Say {
            text: text.into(),
            reply_to,
            attachments: Vec::new(),
        });
        match ana.expect(
            "the line",
            |m| matches!(m, ServerMessage::Message { text: t, .. } if t == text),
        ) {
            ServerMessage::Message { id, .. } => id,
            _ => unreachable!(),
        }
    };
    let gone = say("uno", None);
    let asked = say("¿dos?", None);
    say("tres", Some(asked));
    ana.request(Request::DeleteMessage {
        target: chat_core::protocol::Target::Room("lobby".into()),
        line: gone,
    });
    bob.settle();
    bob.send("CHATHISTORY LATEST #lobby * 10");
    let reply = bob.expect("the reply in the history", |l| {
        l.command == "PRIVMSG" && l.param(1) == "tres"
    });
    assert_eq!(
        reply.tag("+draft/reply"),
        Some(asked.to_string()).as_deref()
    );
    let played = bob.settle();
    assert!(
        !played
            .iter()
            .any(|l| l.command == "PRIVMSG" && l.param(1).is_empty()),
        "{played:?}"
    );
}
