//! Accounts, session tokens and kept messages in a real PostgreSQL (`--accounts`), shared by two
//! servers as nodes of a cluster share them; and what a PostgreSQL restart or crash does.

use std::time::{Duration, Instant};

use chat_core::protocol::{ErrorCode, Request, ServerMessage};

use super::engines::Postgres;
use super::harness::{Client, TestServer, password, registration};

/// A server whose accounts are in `pg`.
fn server_on(pg: &Postgres) -> TestServer {
    let url = pg.url();
    TestServer::start_with(move |c| {
        c.accounts_url = Some(url.clone());
        c.bcrypt_cost = 4;
        c.allow_weak_bcrypt = true;
    })
}

/// Logs in with the password and returns the session token.
fn token_of(server: &TestServer, login: &str) -> String {
    let mut c = server.client();
    match c.request(Request::Login {
        login: login.into(),
        password: password(login),
    }) {
        ServerMessage::LoggedIn {
            token: Some(token), ..
        } => token,
        other => panic!("login: {other:?}"),
    }
}

/// Registers `login` on `server` and leaves: an account that is offline.
fn offline(server: &TestServer, login: &str) {
    let mut c = server.user(login);
    c.send(Request::Exit);
    c.until_closed();
}

/// Sends `text` privately from `c` to `to`; the answer.
fn private(c: &mut Client, to: &str, text: &str) -> ServerMessage {
    c.request(Request::Private {
        attachments: Vec::new(),
        reply_to: None,
        to: to.into(),
        text: text.into(),
    })
}

#[test]
fn two_servers_share_accounts_tokens_and_kept_messages() {
    let Some(pg) = Postgres::start() else { return };
    let a = server_on(&pg);
    let b = server_on(&pg);
    // Registered on A: B knows the login is taken, and logs the user in.
    let mut c = a.client();
    assert!(matches!(
        c.request(Request::Register(registration("ada"))),
        ServerMessage::Registered { .. }
    ));
    let mut again = b.client();
    assert_eq!(
        again.refused(Request::Register(registration("ADA"))),
        ErrorCode::LoginTaken
    );
    b.client().login("ada");
    // A token issued by A resumes on B; logging out everywhere on B ends it on A too.
    let token = token_of(&a, "ada");
    let mut resumed = b.client();
    match resumed.request(Request::Resume {
        token: token.clone(),
        seen: None,
    }) {
        ServerMessage::LoggedIn { login, .. } => assert_eq!(login, "ada"),
        other => panic!("resume on B: {other:?}"),
    }
    resumed.send(Request::Logout { all: true });
    resumed.until_closed();
    let mut late = a.client();
    assert_eq!(
        late.refused(Request::Resume { token, seen: None }),
        ErrorCode::BadToken
    );
    // A message kept on A for an offline user is delivered at its login on B, once.
    offline(&a, "bea");
    let mut ada = a.client();
    ada.login("ada");
    match private(&mut ada, "bea", "te espero") {
        ServerMessage::PrivateStored { .. } => {}
        other => panic!("{other:?}"),
    }
    let mut bea = b.client();
    bea.login("bea");
    bea.expect("the kept message", |m| {
        matches!(m, ServerMessage::Private { from, text, stored: true, .. } if from == "ada" && text == "te espero")
    });
    bea.send(Request::Exit);
    bea.until_closed();
    let mut bea = a.client();
    bea.login("bea");
    let rest = bea.settle();
    assert!(
        !rest
            .iter()
            .any(|m| matches!(m, ServerMessage::Private { stored: true, .. })),
        "delivered once: {rest:?}"
    );
}

#[test]
fn a_kept_message_edited_or_deleted_before_it_is_delivered_arrives_as_it_is_now() {
    let Some(pg) = Postgres::start() else { return };
    let a = server_on(&pg);
    let b = server_on(&pg);
    offline(&a, "bea");
    let mut ada = a.user("ada");
    let id_of = |m: ServerMessage| match m {
        ServerMessage::PrivateStored { id, .. } => id,
        other => panic!("{other:?}"),
    };
    let typo = id_of(private(&mut ada, "bea", "examen el lunez"));
    let regret = id_of(private(&mut ada, "bea", "el profesor es un pesado"));
    let edited = ada.request(Request::Edit {
        target: chat_core::protocol::Target::With("bea".into()),
        line: typo,
        text: "examen el lunes".into(),
    });
    assert!(!matches!(edited, ServerMessage::Error { .. }), "{edited:?}");
    let deleted = ada.request(Request::DeleteMessage {
        target: chat_core::protocol::Target::With("bea".into()),
        line: regret,
    });
    assert!(
        !matches!(deleted, ServerMessage::Error { .. }),
        "{deleted:?}"
    );
    // At its login on the other server: the edit, not the typo; nothing of the deleted one.
    let mut bea = b.client();
    bea.login("bea");
    let came: Vec<(String, bool)> = bea
        .settle()
        .into_iter()
        .filter_map(|m| match m {
            ServerMessage::Private {
                text, stored: true, ..
            } => Some((text, true)),
            _ => None,
        })
        .collect();
    assert_eq!(came, [("examen el lunes".to_owned(), true)]);
}

/// Whether `c`, just logged in, got a kept message (everything up to now read).
fn got_kept(c: &mut Client) -> bool {
    c.settle()
        .iter()
        .any(|m| matches!(m, ServerMessage::Private { stored: true, .. }))
}

/// A kept message delivered while PostgreSQL refuses to forget it (a real refusal: a trigger
/// that fails every deletion of a kept message, while reading them works) is not delivered
/// again, neither at the next login on the same server nor, once PostgreSQL takes deletions
/// again, on another: the server tries the forgetting again until it holds.
#[test]
fn a_kept_message_the_database_could_not_forget_at_once_is_delivered_once() {
    let Some(pg) = Postgres::start() else { return };
    let a = server_on(&pg);
    let b = server_on(&pg);
    offline(&a, "bea");
    let mut ada = a.user("ada");
    match private(&mut ada, "bea", "¿vienes?") {
        ServerMessage::PrivateStored { .. } => {}
        other => panic!("{other:?}"),
    }
    pg.sql(
        "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS \
         $$ BEGIN RAISE EXCEPTION 'no deleting now'; END $$; \
         CREATE TRIGGER refuse BEFORE DELETE ON kept FOR EACH ROW EXECUTE FUNCTION refuse();",
    );
    let mut bea = a.client();
    bea.login("bea");
    bea.expect(
        "the kept message",
        |m| matches!(m, ServerMessage::Private { text, stored: true, .. } if text == "¿vienes?"),
    );
    bea.send(Request::Exit);
    bea.until_closed();
    assert_eq!(
        pg.sql("SELECT count(*) FROM kept"),
        "1",
        "still kept in PostgreSQL"
    );
    let mut bea = a.client();
    bea.login("bea");
    assert!(!got_kept(&mut bea), "delivered again on the same server");
    bea.send(Request::Exit);
    bea.until_closed();
    pg.sql("DROP TRIGGER refuse ON kept");
    let deadline = Instant::now() + Duration::from_secs(10);
    while pg.sql("SELECT count(*) FROM kept") != "0" {
        assert!(Instant::now() < deadline, "never forgotten in PostgreSQL");
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut bea = b.client();
    bea.login("bea");
    assert!(!got_kept(&mut bea), "delivered again on the other server");
}

/// A private message to an offline user while PostgreSQL is paused (SIGSTOP: its connections
/// stay open and nothing is answered, so no timeout of the connection ends the wait) is
/// answered within two seconds, `server_busy` "not confirmed"; once PostgreSQL goes on, the
/// message was kept after all and is delivered, once.
#[test]
fn a_private_message_kept_while_postgresql_is_paused_is_answered_within_two_seconds() {
    let Some(pg) = Postgres::start() else { return };
    let server = server_on(&pg);
    offline(&server, "bea");
    let mut ada = server.user("ada");
    ada.settle();
    pg.pause();
    let asked = Instant::now();
    let answer = private(&mut ada, "bea", "¿sigues ahí?");
    let took = asked.elapsed();
    pg.resume();
    assert!(
        matches!(
            answer,
            ServerMessage::Error {
                code: ErrorCode::ServerBusy,
                ..
            }
        ),
        "{answer:?}"
    );
    assert!(took < Duration::from_secs(2), "answered after {took:?}");
    // Kept once PostgreSQL answers again: delivered at bea's login, once.
    let deadline = Instant::now() + Duration::from_secs(10);
    while pg.sql("SELECT count(*) FROM kept") != "1" {
        assert!(Instant::now() < deadline, "never kept");
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut bea = server.client();
    bea.login("bea");
    let got = bea.settle();
    let kept = got
        .iter()
        .filter(|m| matches!(m, ServerMessage::Private { text, stored: true, .. } if text == "¿sigues ahí?"))
        .count();
    assert_eq!(kept, 1, "{got:?}");
}

#[test]
fn a_postgresql_outage_gives_retryable_errors_and_open_sessions_keep_chatting() {
    let Some(pg) = Postgres::start() else { return };
    let server = server_on(&pg);
    let mut ana = server.user("ana");
    let mut luis = server.user("luis");
    luis.settle();
    // Registered, acknowledged: then PostgreSQL dies without a shutdown.
    let mut c = server.client();
    assert!(matches!(
        c.request(Request::Register(registration("cleo"))),
        ServerMessage::Registered { .. }
    ));
    pg.kill();
    // Logins fail with an error worth retrying, never a wrong answer.
    let mut d = server.client();
    match d.request(Request::Login {
        login: "cleo".into(),
        password: password("cleo"),
    }) {
        ServerMessage::Error {
            code,
            retry_after_ms,
            ..
        } => {
            assert_eq!(code, ErrorCode::ServerBusy);
            assert!(retry_after_ms.is_some());
        }
        other => panic!("login with the database down: {other:?}"),
    }
    // Those logged in keep chatting.
    ana.send(Request::Say {
        attachments: Vec::new(),
        reply_to: None,
        text: "¿seguimos?".into(),
    });
    luis.expect(
        "ana's line",
        |m| matches!(m, ServerMessage::Message { text, .. } if text == "¿seguimos?"),
    );
    // PostgreSQL is back: the acknowledged registration is there, and logins work again, at
    // the latest once the server's pool has reconnected (it says when to try again, as a client
    // does: a login the moment the database is back may still be told to wait).
    pg.up();
    let mut e = server.client();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match e.request(Request::Login {
            login: "cleo".into(),
            password: password("cleo"),
        }) {
            ServerMessage::LoggedIn { .. } => break,
            ServerMessage::Error {
                code: ErrorCode::ServerBusy,
                retry_after_ms: Some(ms),
                ..
            } if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(ms.min(2_000)));
            }
            other => panic!("login with the database back: {other:?}"),
        }
    }
}

/// A file recorded just as the last other file with the same content goes: the node asked
/// whether the content was whole, heard yes and sent no bytes, and another node then removed
/// the last file with it. Its record is refused (the node then sends the bytes) rather than
/// marking the content whole with no bytes; and a preview kept for a file already removed
/// does not bring its record back.
#[test]
fn a_file_is_never_recorded_on_a_content_whose_bytes_went() {
    use chat_server::store::files::{FileRecord, SharedContents};
    let Some(pg) = Postgres::start() else { return };
    let store = chat_server::store::Postgres::connect(&pg.url()).unwrap();
    let bytes = b"los apuntes".to_vec();
    let sha256 = "ab".repeat(32);
    let record = |id: &str| FileRecord {
        id: id.repeat(32),
        sha256: sha256.clone(),
        size: bytes.len() as u64,
        name: "apuntes.txt".into(),
        mime: "text/plain".into(),
        owner: "ana".into(),
        created_ms: 0,
        width: None,
        height: None,
        preview: None,
        refs: Vec::new(),
        unused_since: None,
    };
    let (first, second) = (record("1"), record("2"));
    store.put_chunk(&sha256, 0, &bytes).unwrap();
    assert!(store.put_record(&first, true).unwrap());
    assert!(
        store.has_content(&sha256).unwrap(),
        "whole: no bytes to send"
    );
    store.remove(&first.id).unwrap();
    assert!(!store.has_content(&sha256).unwrap());
    assert!(
        !store.put_record(&second, false).unwrap(),
        "its content went: refused"
    );
    assert!(store.record(&second.id).unwrap().is_none());
    assert!(!store.has_content(&sha256).unwrap(), "not marked whole");
    store.put_chunk(&sha256, 0, &bytes).unwrap();
    assert!(store.put_record(&second, true).unwrap());
    assert_eq!(store.chunk(&sha256, 0).unwrap(), Some(bytes.clone()));
    // Her quota counts the file (as every file, at least the smallest charge): room for an
    // upload of what is left, not a byte more.
    let c = chat_server::store::files::SMALLEST_CHARGE;
    assert!(!store.reserve("u1", "ana", c + 1, 2 * c, 0).unwrap());
    assert!(store.reserve("u1", "ana", c, 2 * c, 0).unwrap());
    assert!(
        !store.reserve("u2", "ana", 1, 2 * c, 0).unwrap(),
        "the first upload under way counts, as the smallest charge"
    );
    // A preview for a file removed meanwhile changes nothing.
    store.remove(&second.id).unwrap();
    let mut late = second.clone();
    late.preview = Some(b"\x89PNG".to_vec());
    store.update_record(&late).unwrap();
    assert!(store.record(&second.id).unwrap().is_none());
    store.unreserve("u1").unwrap();
    assert!(
        store.reserve("u3", "ana", 1, c, 5).unwrap(),
        "nothing counts any more"
    );
    // An upload never ended (its node stopped for good) gives its room back once it lapses.
    assert!(!store.reserve("u4", "ana", 1, c, 6).unwrap());
    store.lapse_reservations(6).unwrap();
    assert!(store.reserve("u4", "ana", 1, c, 6).unwrap());
}
