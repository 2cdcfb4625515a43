//! The connect, register and login windows.

use super::support::*;

#[test]
fn registering_validates_as_you_type_then_logs_in_by_itself() {
    let server = TestServer::start();
    let mut h = gui(&server.addr);
    connect(&mut h);
    click(&mut h, "Create an account");
    wait_for_text(&mut h, "Confirm password");

    // A login too short is refused beside the field before anything is sent.
    // The rule shows under the field all along; a login too short turns it into a warning
    // before anything is sent.
    assert!(shows(&h, "3 to 32 characters"));
    type_into(&mut h, "Login", "al");
    wait_for_text(&mut h, "⚠ 3 to 32 characters");
    type_into(&mut h, "Login", "ice");
    wait_until(&mut h, "the warning to go", |h| !shows(h, "⚠ 3 to 32"));

    type_into(&mut h, "First names", "Alicia María");
    type_into(&mut h, "Last names", "Núñez");
    type_into(&mut h, "Password", PASSWORD);
    type_into(&mut h, "Confirm password", "something-else");
    wait_for_text(&mut h, "The passwords do not match.");
    set_field(&mut h, "Confirm password", PASSWORD);
    type_into(&mut h, "Age", "twenty");
    // Pressing the button with a field at fault says which, beside the button.
    click(&mut h, "Create account");
    wait_for_text(&mut h, "Check the fields marked ⚠: Age");
    set_field(&mut h, "Age", "29");
    click(&mut h, "Create account");

    // The account is made and logs in with the password just typed: nobody types it twice.
    wait_for_text(&mut h, "You are in lobby");
    assert!(shows(&h, "alice at"), "the status bar names the user");
    assert!(
        shows(&h, "Server time"),
        "the status bar shows the server clock"
    );
    assert!(shows(&h, "round trip"));
    assert!(shows(&h, "lobby, 1 member"), "the room list counts members");
}

#[test]
fn the_server_refuses_a_taken_login_beside_the_field() {
    let server = TestServer::start();
    server.register("taken");
    let mut h = gui(&server.addr);
    connect(&mut h);
    click(&mut h, "Create an account");
    type_into(&mut h, "First names", "Tom");
    type_into(&mut h, "Last names", "Tester");
    type_into(&mut h, "Login", "Taken");
    type_into(&mut h, "Password", PASSWORD);
    type_into(&mut h, "Confirm password", PASSWORD);
    type_into(&mut h, "Age", "40");
    click(&mut h, "Create account");
    wait_for_text(&mut h, "That login is taken; choose another.");
}

#[test]
fn a_wrong_password_is_refused_inline() {
    let server = TestServer::start();
    server.register("bruno");
    let mut h = gui(&server.addr);
    connect(&mut h);
    set_field(&mut h, "Login", "bruno");
    type_into(&mut h, "Password", "not-the-password");
    enter(&mut h);
    wait_for_text(&mut h, "Wrong login or password.");
    assert!(field(&h, "Password").is_some());
}

#[test]
fn a_refused_connection_is_explained_in_plain_words() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut h = gui(&format!("127.0.0.1:{port}"));
    click(&mut h, "Connect");
    wait_for_text(&mut h, "The server refused the connection.");
}

#[test]
fn the_interface_switches_to_spanish_while_running() {
    let server = TestServer::start();
    let mut h = gui(&server.addr);
    click(&mut h, "Español");
    wait_for_text(&mut h, "Conectarse a un servidor de chat");
    click(&mut h, "Conectar");
    wait_until(&mut h, "the Spanish login window", |h| {
        field(h, "Contraseña").is_some()
    });
    assert_eq!(
        h.state().settings.locale,
        Some(chat_gui::i18n::Language::SPANISH)
    );
}

#[test]
fn host_here_starts_a_server_inside_the_client_and_connects_to_it() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let options = chat_gui::AppOptions {
        host_data_dir: Some(dir.path().to_path_buf()),
        host_bind_ip: Some("127.0.0.1".into()),
        ..chat_gui::AppOptions::default()
    };
    let mut h = gui_with("unused:1", options);
    set_field(&mut h, "Port", &port.to_string());
    click(&mut h, "Start server");
    wait_until(&mut h, "the login window of the hosted server", |h| {
        field(h, "Password").is_some()
    });
    assert_eq!(h.state().settings.address, format!("127.0.0.1:{port}"));
    assert!(shows(&h, &format!("127.0.0.1:{port}")));
}
