//! Losing the server: the banner, the automatic reconnection and the re-login.

use super::support::*;

#[test]
fn a_lost_server_shows_the_banner_then_reconnects_and_logs_in_again() {
    let mut server = TestServer::start();
    server.register("jade");
    let mut h = signed_in(&server, "jade");
    say(&mut h, "before the outage");
    wait_for_text(&mut h, "before the outage");

    server.stop();
    wait_for_text(&mut h, "Connection lost");
    assert!(shows(&h, "the server is shutting down"));
    assert!(shows(&h, "Reconnect now"));
    // The history stays on screen while disconnected.
    assert!(shows(&h, "before the outage"));

    server.restart();
    wait_for_text(&mut h, "Connected again");
    wait_until(&mut h, "the banner to go", |h| !shows(h, "Reconnect now"));
    say(&mut h, "after the outage");
    wait_for_text(&mut h, "after the outage");
}

#[test]
fn a_changed_certificate_is_refused_with_a_warning_until_the_user_trusts_it() {
    let mut first = TestServer::start();
    let mut h = gui(&first.addr);
    connect(&mut h);
    assert!(
        shows(&h, "Encrypted"),
        "the status bar says the connection is encrypted"
    );
    click(&mut h, "Change server");
    first.stop();

    // Another server (another self-signed certificate) at the same address.
    let other = tempfile::tempdir().unwrap();
    let _impostor = start_server_at(other.path().to_path_buf(), &first.addr);
    click(&mut h, "Connect");
    wait_for_text(&mut h, "the server's certificate changed");
    click(&mut h, "Trust the new certificate");
    wait_until(&mut h, "the login window", |h| {
        field(h, "Password").is_some()
    });
}

#[test]
fn logging_out_returns_to_the_login_window_with_the_login_remembered() {
    let (_server, [mut h]) = together(["lena"]);
    click(&mut h, "Log out");
    wait_until(&mut h, "the login window", |h| {
        field(h, "Password").is_some()
    });
    assert_eq!(
        field(&h, "Login").and_then(|n| n.value()).as_deref(),
        Some("lena")
    );
    assert_eq!(
        field(&h, "Password").and_then(|n| n.value()).as_deref(),
        Some("")
    );
    assert_eq!(h.state().settings.last_login, "lena");
    assert!(
        field(&h, "Password").unwrap().is_focused(),
        "the keyboard waits in the password field"
    );
}
