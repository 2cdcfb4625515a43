//! TLS: encrypted sessions, certificates pinned on first use, changed certificates refused, and
//! clear failures when one side does not speak TLS.

use std::time::Duration;

use chat_core::client::{ClientOptions, Connection, Disconnect, Event, Session, connect};
use chat_core::protocol::{CloseReason, Request, ServerMessage};
use chat_core::tls::{ClientTls, KnownHosts, Trust};
use chat_server::TlsSetting;

use super::harness::{Client, TestServer, WAIT, password, registration};

fn tls_server() -> TestServer {
    TestServer::start_with(|c| c.tls = TlsSetting::SelfSigned)
}

pub fn open(server: &TestServer, tls: ClientTls) -> (Connection, Result<Session, Disconnect>) {
    let conn = connect(
        &server.addr().to_string(),
        ClientOptions {
            tls: Some(tls),
            ..ClientOptions::default()
        },
    );
    let outcome = match conn.events().recv_timeout(WAIT).unwrap() {
        Event::Connected(session) => Ok(session),
        Event::Disconnected(why) => Err(why),
        other => panic!("{other:?}"),
    };
    (conn, outcome)
}

/// The next frame whose message satisfies `want`.
pub fn wait_for(conn: &Connection, want: impl Fn(&ServerMessage) -> bool) -> ServerMessage {
    loop {
        match conn.events().recv_timeout(WAIT).unwrap() {
            Event::Frame(f) if want(&f.message) => return f.message,
            Event::Frame(_) => {}
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn chat_works_over_tls_and_the_certificate_is_pinned_on_first_use() {
    let server = tls_server();
    let fingerprint = server.handle().tls_fingerprint().unwrap().to_owned();
    let pins = KnownHosts::default();
    let tls = ClientTls {
        known_hosts: pins.clone(),
        trust_new_certificate: false,
    };

    let (ana, first) = open(&server, tls.clone());
    let info = first.unwrap().tls.unwrap();
    assert_eq!(
        (info.trust, info.fingerprint.as_str()),
        (Trust::FirstUse, fingerprint.as_str())
    );
    assert_eq!(
        pins.get(&server.addr().to_string()).unwrap(),
        Some(fingerprint.clone())
    );

    let (bob, second) = open(&server, tls);
    assert_eq!(second.unwrap().tls.unwrap().trust, Trust::Pinned);

    for (conn, login) in [(&ana, "ana"), (&bob, "bob")] {
        conn.send(Request::Register(registration(login)));
        wait_for(conn, |m| matches!(m, ServerMessage::Registered { .. }));
        conn.send(Request::Login {
            login: login.into(),
            password: password(login),
        });
        wait_for(conn, |m| matches!(m, ServerMessage::Entered { .. }));
    }
    // Large enough to span several TLS records.
    let text = "ñ".repeat(1900);
    ana.send(Request::Say {
        attachments: Vec::new(),
        reply_to: None,
        text: text.clone(),
    });
    let got = wait_for(&bob, |m| matches!(m, ServerMessage::Message { .. }));
    match got {
        ServerMessage::Message {
            room,
            from,
            text: said,
            ..
        } => assert_eq!((room.as_str(), from.as_str(), said), ("lobby", "ana", text)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_changed_certificate_is_refused_unless_the_user_accepts_it() {
    let server = tls_server();
    let host = server.addr().to_string();
    let pins = KnownHosts::default();
    pins.set(&host, "SHA256:00:11:22").unwrap();
    let (_c, outcome) = open(
        &server,
        ClientTls {
            known_hosts: pins.clone(),
            trust_new_certificate: false,
        },
    );
    match outcome {
        Err(Disconnect::CertificateChanged {
            expected,
            presented,
        }) => {
            assert_eq!(expected, "SHA256:00:11:22");
            assert_eq!(presented, server.handle().tls_fingerprint().unwrap());
            let text = Disconnect::CertificateChanged {
                expected,
                presented,
            }
            .to_string();
            assert!(text.contains("WARNING"), "{text}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(pins.get(&host).unwrap().as_deref(), Some("SHA256:00:11:22"));

    let (_c, outcome) = open(
        &server,
        ClientTls {
            known_hosts: pins.clone(),
            trust_new_certificate: true,
        },
    );
    assert_eq!(outcome.unwrap().tls.unwrap().trust, Trust::Replaced);
    assert_eq!(
        pins.get(&host).unwrap().as_deref(),
        server.handle().tls_fingerprint()
    );
}

#[test]
fn an_operators_certificate_files_are_served() {
    let dir = tempfile::tempdir().unwrap();
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    std::fs::write(dir.path().join("cert.pem"), made.cert.pem()).unwrap();
    std::fs::write(dir.path().join("key.pem"), made.signing_key.serialize_pem()).unwrap();
    let expected = chat_core::tls::fingerprint(made.cert.der());
    let mut server = tls_server();
    server.handle.take().unwrap().shutdown().unwrap();
    let mut config = chat_server::ServerConfig::new(server.dir.path());
    config.bind = "127.0.0.1:0".into();
    config.tls = TlsSetting::Files {
        cert: dir.path().join("cert.pem"),
        key: dir.path().join("key.pem"),
    };
    server.handle = Some(chat_server::start(config).unwrap());
    assert_eq!(server.handle().tls_fingerprint(), Some(expected.as_str()));
    let (_c, outcome) = open(&server, ClientTls::default());
    assert_eq!(outcome.unwrap().tls.unwrap().fingerprint, expected);
}

#[test]
fn a_plain_client_is_told_the_server_requires_tls() {
    let server = tls_server();
    let mut c = Client::connect(server.addr());
    c.send(Request::Hello {
        version: 1,
        client: "plain".into(),
    });
    let rest = c.until_closed();
    match rest.as_slice() {
        [
            ServerMessage::Goodbye {
                reason: CloseReason::ProtocolError,
                message,
            },
        ] => {
            assert!(message.contains("requires TLS"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_tls_client_on_a_plain_server_gets_a_clear_error() {
    let server = TestServer::start();
    let (_c, outcome) = open(&server, ClientTls::default());
    match outcome {
        Err(Disconnect::Tls(message)) => assert!(message.contains("TLS"), "{message}"),
        other => panic!("{other:?}"),
    }
    // The server is fine.
    let mut ana = server.user("ana");
    assert!(matches!(ana.request(Request::Ping), ServerMessage::Pong));
}

#[test]
fn a_stalled_tls_handshake_is_dropped_at_the_deadline() {
    let server = TestServer::start_with(|c| {
        c.tls = TlsSetting::SelfSigned;
        c.handshake_timeout = Duration::from_millis(300);
    });
    let mut stream = std::net::TcpStream::connect(server.addr()).unwrap();
    // A TLS record header and nothing more.
    std::io::Write::write_all(&mut stream, &[0x16, 0x03, 0x01, 0x00, 0x50]).unwrap();
    stream.set_read_timeout(Some(WAIT)).unwrap();
    let mut buf = [0u8; 64];
    // The server gives up and closes (EOF or reset), rather than waiting for ever.
    let _ = std::io::Read::read(&mut stream, &mut buf);
    server.wait_connections(0);
}
