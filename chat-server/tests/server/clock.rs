//! Clock synchronisation through the real client connection.

use std::sync::Arc;
use std::time::Duration;

use chat_core::client::{ClientOptions, Event, connect};
use chat_core::clock::{Clock, SkewedClock, SystemClock};

use super::harness::{TestServer, WAIT};

#[test]
fn a_client_with_a_skewed_clock_learns_the_servers_time() {
    let server = TestServer::start();
    for skew_s in [-45, 30] {
        let clock: Arc<dyn Clock> = Arc::new(SkewedClock {
            skew_us: skew_s * 1_000_000,
        });
        let conn = connect(
            &server.addr().to_string(),
            ClientOptions {
                clock,
                tls: None,
                ..ClientOptions::default()
            },
        );
        let session = match conn.events().recv_timeout(WAIT).unwrap() {
            Event::Connected(session) => session,
            other => panic!("{other:?}"),
        };
        let sync = session.clock;
        // The server runs on the system clock: the estimate must match it closely.
        let error_us = (sync.server_now_us() - SystemClock.now_us()).abs();
        assert!(
            error_us < 5_000,
            "skew {skew_s} s: off by {error_us} µs (bound {} µs)",
            sync.error_us
        );
        assert!(
            (sync.offset_us + skew_s * 1_000_000).abs() < 5_000,
            "offset {}",
            sync.offset_us
        );
        assert!(sync.round_trip_us < Duration::from_millis(100).as_micros() as i64);
    }
}

#[test]
fn the_client_connection_reports_refused_and_version_errors_in_words() {
    use chat_core::client::Disconnect;
    let server = TestServer::start();
    let addr = server.addr().to_string();
    drop(server);
    let conn = connect(&addr, plain());
    match conn.events().recv_timeout(WAIT).unwrap() {
        Event::Disconnected(Disconnect::Refused) => {}
        other => panic!("{other:?}"),
    }
    let conn = connect("no-such-host.invalid:7878", plain());
    assert!(matches!(
        conn.events().recv_timeout(WAIT).unwrap(),
        Event::Disconnected(Disconnect::Unresolved(_))
    ));
}

fn plain() -> ClientOptions {
    ClientOptions {
        tls: None,
        ..ClientOptions::default()
    }
}

#[test]
fn a_list_of_servers_connects_to_the_first_that_answers() {
    let gone = TestServer::start();
    let gone_addr = gone.addr().to_string();
    drop(gone);
    let server = TestServer::start();
    let list = format!("{gone_addr}, no-such-host.invalid:7878 ,{}", server.addr());
    let conn = connect(&list, plain());
    match conn.events().recv_timeout(WAIT).unwrap() {
        Event::Connected(session) => assert_eq!(session.addr, server.addr()),
        other => panic!("{other:?}"),
    }
    // None answers: the last reason is reported.
    let conn = connect(&format!("{gone_addr},{gone_addr}"), plain());
    assert!(matches!(
        conn.events().recv_timeout(WAIT).unwrap(),
        Event::Disconnected(chat_core::client::Disconnect::Refused)
    ));
}

#[test]
fn a_ping_sent_through_the_client_connection_gets_its_pong() {
    let server = TestServer::start();
    let conn = connect(&server.addr().to_string(), plain());
    assert!(matches!(
        conn.events().recv_timeout(WAIT).unwrap(),
        Event::Connected(_)
    ));
    let id = conn.send(chat_core::protocol::Request::Ping);
    loop {
        match conn.events().recv_timeout(WAIT).unwrap() {
            Event::Frame(f) if f.re == Some(id) => {
                assert_eq!(f.message, chat_core::protocol::ServerMessage::Pong);
                break;
            }
            Event::Frame(_) => {}
            other => panic!("{other:?}"),
        }
    }
}
