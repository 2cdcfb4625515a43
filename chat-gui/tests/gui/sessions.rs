//! Sessions: the password is gone once logged in, a restarted server takes the session back by
//! its token, "keep me signed in" resumes at the next start, logging out forgets it, and a
//! session that ended asks for the password with the login filled in.

use chat_gui::settings::{KeptSession, Settings};
use egui_kittest::kittest::Queryable;

use super::support::*;

#[test]
fn a_restarted_server_takes_the_session_back_without_the_password() {
    let mut server = TestServer::start();
    server.register("jade");
    let mut h = signed_in(&server, "jade");
    assert!(!h.state().holds_password(), "dropped once logged in");
    assert!(h.state().client.token().is_some());
    say(&mut h, "before the restart");
    wait_for_text(&mut h, "before the restart");

    server.stop();
    wait_for_text(&mut h, "Connection lost");
    server.restart();
    wait_for_text(&mut h, "Connected again");
    assert!(!h.state().holds_password());
    assert_eq!(h.state().client.chat.me, "jade");
    say(&mut h, "after the restart");
    wait_for_text(&mut h, "after the restart");
    // The default room's lines were on disk: the restart lost none, and none shows twice.
    let copies = h
        .state()
        .client
        .chat
        .current_history()
        .unwrap()
        .iter()
        .filter(|l| l.said().is_some_and(|(_, t)| t == "before the restart"))
        .count();
    assert_eq!(copies, 1);
}

#[test]
fn keep_me_signed_in_resumes_at_the_next_start_and_logging_out_forgets_it() {
    let server = TestServer::start();
    server.register("kai");
    let mut h = gui(&server.addr);
    connect(&mut h);
    assert!(!h.state().settings.keep_signed_in, "off by default");
    h.get_by_label("Keep me signed in on this computer").click();
    h.step();
    log_in(&mut h, "kai");
    let settings = h.state().settings.clone();
    let kept = settings.sessions.get(&server.addr).expect("a kept session");
    assert_eq!(kept.login, "kai");
    assert!(!format!("{settings:?}").contains(PASSWORD));
    drop(h);

    // The next start: straight back in, nothing typed.
    let mut next = gui_with_settings(settings);
    wait_for_text(&mut next, "You are in lobby");
    click(&mut next, "Log out");
    wait_until(&mut next, "the login window", |h| {
        field(h, "Password").is_some()
    });
    let settings = next.state().settings.clone();
    assert!(settings.sessions.is_empty(), "logging out forgets it");

    // And the start after that asks again.
    let mut third = gui_with_settings(settings);
    for _ in 0..5 {
        third.step();
    }
    assert!(!third.state().client.in_session());
    assert!(shows(&third, "Connect"));
}

#[test]
fn a_session_that_ended_asks_for_the_password_with_the_login_filled_in() {
    let server = TestServer::start();
    server.register("lia");
    let mut settings = Settings {
        address: server.addr.clone(),
        keep_signed_in: true,
        ..Settings::default()
    };
    settings.sessions.insert(
        server.addr.clone(),
        KeptSession {
            login: "lia".into(),
            token: "0".repeat(64),
            expires_ms: None,
        },
    );
    let mut h = gui_with_settings(settings);
    wait_for_text(&mut h, "Your session has ended; log in with your password.");
    assert_eq!(value(&h, "Login"), "lia");
    assert!(h.state().settings.sessions.is_empty());
    type_into(&mut h, "Password", PASSWORD);
    enter(&mut h);
    wait_for_text(&mut h, "You are in lobby");
}
