//! The connection's life, driven by events as the connection would report them, against a real
//! connection object whose requests go nowhere.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chat_core::client::{Disconnect, Event, Session};
use chat_core::clock::{ClockSync, SystemClock};
use chat_core::protocol::{CloseReason, Password, Request, ServerFrame, ServerMessage};

use super::*;
use crate::history::LineKind;
use crate::limits::{RECONNECT_FIRST_DELAY, RECONNECT_MAX_DELAY};

fn session() -> Session {
    Session {
        addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 7878)),
        host: "127.0.0.1:7878".into(),
        server: "test".into(),
        default_room: "lobby".into(),
        clock: ClockSync::unsynced(Arc::new(SystemClock)),
        tls: None,
    }
}

fn frame(re: Option<u32>, message: ServerMessage) -> Event {
    Event::Frame(ServerFrame {
        time: 1,
        re,
        message,
    })
}

/// A client with a real connection object whose requests go nowhere: a port nothing
/// listens on, so what it queues and remembers can be checked without a server.
fn connected_to_nothing() -> Client {
    let mut c = Client::new(None);
    c.addr = nowhere();
    c.open();
    c
}

/// A client at the login window, connected to nothing.
fn at_login_window() -> Client {
    let mut c = connected_to_nothing();
    c.handle(Event::Connected(session()), Instant::now());
    c
}

/// The only request the client waits an answer for, and its id.
fn only_pending(c: &Client) -> (u32, Pending) {
    assert_eq!(c.pending.len(), 1, "{:?}", c.pending);
    let (id, p) = c.pending.iter().next().unwrap();
    (*id, p.clone())
}

fn logged_in_reply(login: &str) -> ServerMessage {
    ServerMessage::LoggedIn {
        login: login.into(),
        token: Some("t0k3n".into()),
        token_expires: Some(2_000_000_000_000),
        admin: false,
    }
}

/// A client that believes it logged in as `ana`.
fn logged_in() -> Client {
    let mut c = at_login_window();
    c.login("ana", Password::from("secret-pass"));
    let (id, _) = only_pending(&c);
    c.handle(frame(Some(id), logged_in_reply("ana")), Instant::now());
    // The read markers asked for after login, answered as the server does.
    let (id, pending) = only_pending(&c);
    assert_eq!(pending, Pending::Quiet);
    c.handle(
        frame(
            Some(id),
            ServerMessage::ReadMarkers {
                markers: Vec::new(),
            },
        ),
        Instant::now(),
    );
    c
}

fn busy(code: chat_core::protocol::ErrorCode, ms: u64) -> ServerMessage {
    ServerMessage::Error {
        code,
        message: "wait".into(),
        field: None,
        retry_after_ms: Some(ms),
    }
}

#[test]
fn the_password_is_dropped_when_logged_in_and_the_token_kept() {
    let mut c = at_login_window();
    c.login("ana", Password::from("secret-pass"));
    assert!(c.holds_password());
    let (id, pending) = only_pending(&c);
    assert_eq!(pending, Pending::Login);
    c.handle(frame(Some(id), logged_in_reply("Ana")), Instant::now());
    assert!(!c.holds_password());
    assert_eq!(c.token().map(|t| t.token.as_str()), Some("t0k3n"));
    assert!(matches!(
        c.feedback.token,
        Some(TokenNews::Issued(ref t)) if t.login == "Ana"
    ));
    assert!(
        !format!("{:?}", c.token()).contains("t0k3n"),
        "the token stays out of logs"
    );
}

#[test]
fn a_busy_server_is_asked_again_when_it_says() {
    use chat_core::protocol::ErrorCode;
    let mut c = at_login_window();
    c.login("ana", Password::from("secret-pass"));
    let (id, _) = only_pending(&c);
    let now = Instant::now();
    c.handle(frame(Some(id), busy(ErrorCode::ServerBusy, 2_500)), now);
    let problem = c.feedback.login.clone().unwrap();
    assert!(problem.retrying);
    assert_eq!(problem.retry_at, Some(now + Duration::from_millis(2_500)));
    assert!(c.holds_password(), "kept to try again");
    assert_eq!(c.tick(now), Some(Duration::from_millis(2_500)));
    assert_eq!(c.pending_requests(), 0);
    assert_eq!(c.tick(now + Duration::from_secs(3)), None);
    assert_eq!(only_pending(&c).1, Pending::Login, "sent again by itself");

    // Too many failures: the user is told when, and nothing is retried.
    let (id, _) = only_pending(&c);
    c.handle(frame(Some(id), busy(ErrorCode::RateLimited, 8_000)), now);
    assert!(!c.feedback.login.clone().unwrap().retrying);
    assert!(!c.holds_password());
    assert_eq!(c.phase(), &Phase::Connected);
    assert_eq!(c.tick(now + Duration::from_secs(60)), None);
    assert_eq!(c.pending_requests(), 0);
}

/// A client that lost its session's connection, connected again and sent `resume`; and the id
/// of that request.
fn resuming_after_a_lost_connection() -> (Client, u32) {
    let mut c = logged_in();
    c.handle(Event::Disconnected(Disconnect::Refused), Instant::now());
    c.reconnect_now();
    c.handle(Event::Connected(session()), Instant::now());
    let (id, pending) = only_pending(&c);
    assert_eq!(pending, Pending::Relogin);
    (c, id)
}

#[test]
fn a_refused_token_goes_back_to_the_login_window() {
    use chat_core::protocol::{ErrorCode, Field};
    let (mut c, id) = resuming_after_a_lost_connection();
    c.feedback.token = None;
    let refusal = ServerMessage::Error {
        code: ErrorCode::BadToken,
        message: "expired".into(),
        field: Some(Field::Token),
        retry_after_ms: None,
    };
    c.handle(frame(Some(id), refusal), Instant::now());
    assert_eq!(c.phase(), &Phase::Connected);
    assert!(!c.in_session());
    assert!(c.token().is_none());
    assert_eq!(c.feedback.token, Some(TokenNews::Ended));
    assert_eq!(
        c.feedback.login.as_ref().map(|p| p.refusal.code),
        Some(ErrorCode::BadToken)
    );
}

#[test]
fn a_lost_connection_waits_with_backoff_and_keeps_the_main_window() {
    let mut c = logged_in();
    assert_eq!(c.phase(), &Phase::LoggedIn);
    // The wait is drawn (full jitter) between zero and the first ceiling; a copy of the client's
    // seeded backoff draws the same one.
    c.backoff = Backoff::with_rng(
        RECONNECT_FIRST_DELAY,
        RECONNECT_MAX_DELAY,
        fastrand::Rng::with_seed(25),
    );
    let delay = c.backoff.clone().next_delay();
    assert!(Duration::ZERO < delay && delay <= RECONNECT_FIRST_DELAY);
    let now = Instant::now();
    c.handle(Event::Disconnected(Disconnect::Lost("reset".into())), now);
    assert!(
        matches!(c.phase(), Phase::Reconnecting { attempt: 1, retry_at: Some(at) } if *at == now + delay)
    );
    assert!(c.in_session());
    assert_eq!(c.tick(now), Some(delay));
    assert!(c.token().is_some());
    assert!(!c.holds_password());
}

#[test]
fn a_session_taken_over_elsewhere_does_not_reconnect() {
    let mut c = logged_in();
    let why = Disconnect::ServerClosed {
        reason: CloseReason::TakenOver,
        message: "logged in elsewhere".into(),
    };
    c.handle(Event::Disconnected(why.clone()), Instant::now());
    assert_eq!(c.phase(), &Phase::Offline);
    assert_eq!(c.last_disconnect(), Some(&why));
    assert!(c.token().is_none());
}

#[test]
fn reconnecting_resumes_the_session_with_its_token() {
    let mut c = logged_in();
    c.handle(Event::Disconnected(Disconnect::Refused), Instant::now());
    c.phase = Phase::Reconnecting {
        attempt: 1,
        retry_at: None,
    };
    c.open();
    c.handle(Event::Connected(session()), Instant::now());
    assert!(matches!(c.phase(), Phase::LoggingIn(_)));
    assert_eq!(
        c.pending.values().collect::<Vec<_>>(),
        [&Pending::Relogin],
        "the session is resumed by itself"
    );
    assert!(
        c.in_session(),
        "the main window stays while logging in again"
    );
}

#[test]
fn saying_lines_leaves_nothing_waiting_for_a_reply() {
    let mut c = logged_in();
    for n in 0..100 {
        c.say(format!("line {n}"), None);
    }
    assert_eq!(c.pending_requests(), 0);
    c.send(Request::ListRooms { offset: 0 }, Pending::ListRooms);
    assert_eq!(
        c.pending_requests(),
        1,
        "requests with a reply are remembered"
    );
}

#[test]
fn the_reason_for_losing_the_session_outlives_failed_attempts() {
    let mut c = logged_in();
    let shutdown = Disconnect::ServerClosed {
        reason: CloseReason::ServerShutdown,
        message: "bye".into(),
    };
    c.handle(Event::Disconnected(shutdown.clone()), Instant::now());
    c.reconnect_now();
    c.handle(Event::Disconnected(Disconnect::Refused), Instant::now());
    assert!(matches!(c.phase(), Phase::Reconnecting { attempt: 2, .. }));
    assert_eq!(c.lost_because(), Some(&shutdown));
    assert_eq!(c.last_disconnect(), Some(&Disconnect::Refused));
}

#[test]
fn a_refused_first_connection_goes_back_offline_with_the_reason() {
    let mut c = Client::new(None);
    c.phase = Phase::Connecting { resume: false };
    c.handle(Event::Disconnected(Disconnect::Refused), Instant::now());
    assert_eq!(c.phase(), &Phase::Offline);
    assert_eq!(c.last_disconnect(), Some(&Disconnect::Refused));
}

#[test]
fn errors_are_routed_to_the_request_that_failed() {
    use chat_core::protocol::{ErrorCode, Field};
    let mut c = logged_in();
    c.handle(
        frame(
            None,
            ServerMessage::Entered {
                room: "lobby".into(),
                creator: None,
                members: vec!["ana".into()],
                member_count: 1,
                away: Vec::new(),
                admins: Vec::new(),
                voiced: Vec::new(),
                topic: None,
                history: Vec::new(),
                more_history: false,
            },
        ),
        Instant::now(),
    );
    c.pending.insert(8, Pending::Private("bob".into()));
    c.pending.insert(9, Pending::Command);
    let error = |code| ServerMessage::error(code, "no");
    c.handle(
        frame(Some(8), error(ErrorCode::UserOffline)),
        Instant::now(),
    );
    c.handle(
        frame(Some(9), error(ErrorCode::RoomNotFound)),
        Instant::now(),
    );
    let private = &c.chat.conversation("bob").unwrap().history;
    assert!(
        matches!(&private.get(0).unwrap().kind, LineKind::Refused(r) if r.code == ErrorCode::UserOffline)
    );
    let room = c.chat.current_history().unwrap();
    assert!(
        room.iter()
            .any(|l| matches!(&l.kind, LineKind::Refused(r) if r.code == ErrorCode::RoomNotFound))
    );

    c.pending.insert(10, Pending::Register("ana".into()));
    c.handle(
        frame(
            Some(10),
            ServerMessage::Error {
                code: ErrorCode::LoginTaken,
                message: "taken".into(),
                field: Some(Field::Login),
                retry_after_ms: None,
            },
        ),
        Instant::now(),
    );
    assert_eq!(
        c.feedback.register.as_ref().unwrap().field,
        Some(Field::Login)
    );
}

/// A free port nothing listens on.
fn nowhere() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap();
    format!("127.0.0.1:{port}")
}

fn kept_token() -> SessionToken {
    SessionToken {
        login: "ana".into(),
        token: "kept".into(),
        expires_ms: None,
    }
}

#[test]
fn logging_out_keeps_the_main_window_until_the_server_closes_the_connection() {
    let mut c = logged_in();
    c.logout(false);
    assert_eq!(c.phase(), &Phase::LoggingOut);
    assert!(c.phase().is_logged_in());
    assert!(c.in_session());
    assert!(c.token().is_none());
    assert_eq!(only_pending(&c).1, Pending::Logout);
    let goodbye = Disconnect::ServerClosed {
        reason: CloseReason::Exit,
        message: "bye".into(),
    };
    c.handle(Event::Disconnected(goodbye), Instant::now());
    assert_eq!(
        c.phase(),
        &Phase::Connecting { resume: false },
        "a fresh connection for the login form"
    );
    assert!(!c.in_session());
    assert!(c.chat.me.is_empty());
}

#[test]
fn a_kept_session_is_resumed_once_connected_and_only_on_that_connection() {
    let mut c = Client::new(None);
    c.resume(&nowhere(), kept_token());
    assert_eq!(c.phase(), &Phase::Connecting { resume: true });
    c.handle(Event::Connected(session()), Instant::now());
    assert!(matches!(c.phase(), Phase::LoggingIn(l) if l.resuming_kept_session()));
    assert_eq!(c.resuming_login(), Some("ana"));
    assert!(!c.in_session(), "the login window waits");
    assert!(!c.holds_password());
    assert_eq!(only_pending(&c).1, Pending::Resume);

    // Logging out before it is answered: the next connection resumes nothing.
    c.logout(false);
    assert_eq!(c.phase(), &Phase::Connecting { resume: false });
    c.handle(Event::Connected(session()), Instant::now());
    assert_eq!(c.phase(), &Phase::Connected);
    assert_eq!(c.pending_requests(), 0);
}

#[test]
fn a_busy_server_gets_the_resume_again_when_it_says() {
    use chat_core::protocol::ErrorCode;
    let (mut c, id) = resuming_after_a_lost_connection();
    let now = Instant::now();
    c.handle(frame(Some(id), busy(ErrorCode::ServerBusy, 1_500)), now);
    assert!(
        matches!(c.phase(), Phase::LoggingIn(l) if l.after_reconnection() && l.retry_at() == Some(now + Duration::from_millis(1_500)))
    );
    assert!(c.in_session(), "the main window stays");
    assert_eq!(c.tick(now), Some(Duration::from_millis(1_500)));
    assert_eq!(c.tick(now + Duration::from_secs(2)), None);
    assert_eq!(only_pending(&c).1, Pending::Relogin, "sent again by itself");
    assert!(matches!(c.phase(), Phase::LoggingIn(l) if l.retry_at().is_none()));
}

fn entered_lobby(members: &[&str]) -> ServerMessage {
    ServerMessage::Entered {
        room: "lobby".into(),
        creator: None,
        members: members.iter().map(|m| (*m).to_owned()).collect(),
        member_count: u32::try_from(members.len()).unwrap(),
        away: Vec::new(),
        history: Vec::new(),
        more_history: false,
        admins: Vec::new(),
        voiced: Vec::new(),
        topic: None,
    }
}

fn presence_asks(c: &Client) -> usize {
    c.pending
        .values()
        .filter(|p| **p == Pending::Presence)
        .count()
}

#[test]
fn a_conversation_peer_who_leaves_the_room_is_unknown_until_the_users_list_says() {
    use chat_core::protocol::{Presence, UserInfo};
    let mut c = logged_in();
    let now = Instant::now();
    c.handle(frame(None, entered_lobby(&["ana", "bob"])), now);
    c.open_conversation("bob");
    assert_eq!(c.chat.presence.presence("bob"), Presence::Online);
    assert_eq!(
        presence_asks(&c),
        0,
        "bob's presence is known: nothing to ask"
    );

    c.handle(
        frame(
            None,
            ServerMessage::Left {
                room: "lobby".into(),
                login: "bob".into(),
            },
        ),
        now,
    );
    c.ask_presence();
    assert_eq!(c.chat.presence.presence("bob"), Presence::Unknown);
    assert_eq!(presence_asks(&c), 1, "the users list is asked for");
    c.ask_presence();
    assert_eq!(presence_asks(&c), 1, "one list at a time");

    let id = c
        .pending
        .iter()
        .find(|(_, p)| **p == Pending::Presence)
        .map(|(id, _)| *id)
        .unwrap();
    let bob = UserInfo {
        login: "bob".into(),
        first_names: "Bob".into(),
        last_names: "B".into(),
        online: false,
        room: None,
        presence: Presence::Offline,
        away_text: None,
    };
    c.handle(
        frame(
            Some(id),
            ServerMessage::Users {
                users: vec![bob],
                total: 1,
                offset: 0,
            },
        ),
        now,
    );
    assert_eq!(c.chat.presence.presence("bob"), Presence::Offline);
    assert!(!c.feedback.users_arrived, "the users window stays closed");
    assert!(
        !c.chat
            .history("lobby")
            .is_some_and(|h| h.iter().any(|l| matches!(l.kind, LineKind::Refused(_)))),
    );
}

#[test]
fn during_an_outage_no_presence_is_known_not_even_ones_own() {
    use chat_core::protocol::Presence;
    let mut c = logged_in();
    let now = Instant::now();
    c.handle(frame(None, entered_lobby(&["ana", "bob"])), now);
    assert_eq!(c.chat.presence.presence("ana"), Presence::Online);
    c.handle(Event::Disconnected(Disconnect::Lost("reset".into())), now);
    assert!(matches!(c.phase(), Phase::Reconnecting { .. }));
    for who in ["ana", "bob"] {
        assert_eq!(c.chat.presence.presence(who), Presence::Unknown, "{who}");
    }
}

#[test]
fn a_message_kept_for_later_says_its_recipient_is_offline() {
    use chat_core::protocol::Presence;
    let mut c = logged_in();
    let now = Instant::now();
    c.handle(frame(None, entered_lobby(&["ana", "bob"])), now);
    c.open_conversation("bob");
    c.handle(
        frame(
            None,
            ServerMessage::PrivateStored {
                to: "bob".into(),
                text: "hi".into(),
                id: 1,
            },
        ),
        now,
    );
    assert_eq!(c.chat.presence.presence("bob"), Presence::Offline);
}

/// After `#exit`, connecting (to this server or another) starts from nothing: the first
/// server's rooms and lines are not shown above the new server's.
#[test]
fn connecting_again_after_an_exit_forgets_what_the_last_server_said() {
    let mut c = logged_in();
    let now = Instant::now();
    c.handle(frame(None, entered_lobby(&["ana", "bob"])), now);
    c.handle(
        frame(
            None,
            ServerMessage::Message {
                room: "lobby".into(),
                from: "bob".into(),
                text: "from the first server".into(),
                id: 7,
                reply_to: None,
                attachments: Vec::new(),
            },
        ),
        now,
    );
    assert!(c.chat.history("lobby").is_some_and(|h| !h.is_empty()));
    c.handle(
        Event::Disconnected(Disconnect::ServerClosed {
            reason: CloseReason::Exit,
            message: "bye".into(),
        }),
        now,
    );
    c.connect("127.0.0.1:1");
    assert!(
        c.chat.history("lobby").is_none_or(|h| h.is_empty()),
        "the last server's lines are gone"
    );
}

#[test]
fn ones_own_moderation_in_ones_room_is_shown_once() {
    let mut c = logged_in();
    c.handle(frame(None, entered_lobby(&["ana", "beto"])), Instant::now());
    c.send(
        Request::Moderate {
            room: "lobby".into(),
            action: chat_core::protocol::ModAction::Mute,
            login: Some("beto".into()),
            seconds: Some(600),
        },
        Pending::Command,
    );
    let (id, _) = only_pending(&c);
    let moderated = ServerMessage::Moderated {
        room: "lobby".into(),
        action: chat_core::protocol::ModAction::Mute,
        login: Some("beto".into()),
        until: Some(600_000),
        seconds: None,
        by: "ana".into(),
    };
    // The room's event and the answer, in either order the server may send them.
    c.handle(frame(None, moderated.clone()), Instant::now());
    c.handle(frame(Some(id), moderated), Instant::now());
    let history = c.chat.history("lobby").unwrap();
    let shown = history
        .iter()
        .filter(|line| matches!(line.kind, LineKind::Moderated { .. }))
        .count();
    assert_eq!(shown, 1);
}
