//! Refusals in Spanish: every error code the server can send is worded from its code (and
//! field) in the interface's language, never shown as the server's English sentence.

use std::time::Instant;

use chat_core::client::Event;
use chat_core::protocol::{ErrorCode, Field, ServerFrame, ServerMessage};
use chat_gui::i18n::{ERROR_CODES, Language};

use super::support::*;

/// A client in Spanish at the login window.
fn spanish_login(server: &TestServer) -> Gui {
    let mut h = gui_in(
        &server.addr,
        Language::SPANISH,
        chat_gui::AppOptions::default(),
    );
    click(&mut h, "Conectar");
    wait_until(&mut h, "the login window", |h| {
        field(h, "Contraseña").is_some()
    });
    h
}

fn spanish(server: &TestServer, login: &str) -> Gui {
    let mut h = spanish_login(server);
    set_field(&mut h, "Usuario", login);
    type_into(&mut h, "Contraseña", PASSWORD);
    enter(&mut h);
    wait_for_text(&mut h, "Está en lobby");
    h
}

/// Types a line into the Spanish message box and sends it.
fn decir(h: &mut Gui, line: &str) {
    type_into(h, "Mensaje", line);
    enter(h);
}

fn shows_error(h: &Gui, code: ErrorCode) -> bool {
    shows(h, Language::SPANISH.texts().error(code))
}

#[test]
fn every_server_error_code_is_shown_in_spanish() {
    let server = TestServer::start();
    for login in ["ana", "bob", "gus"] {
        server.register(login);
    }
    let mut ana = spanish(&server, "ana");
    let mut bob = spanish(&server, "bob");

    // The refusals a person can cause, caused for real.
    let real = [
        ("#gR nada", ErrorCode::RoomNotFound),
        ("#dR lobby", ErrorCode::DefaultRoom),
        ("#\\private nadie hola", ErrorCode::UserNotFound),
    ];
    for (line, code) in real {
        decir(&mut ana, line);
        wait_until(&mut ana, &format!("{code:?}"), |h| shows_error(h, code));
    }
    decir(&mut bob, "#cR otra");
    wait_for_text(&mut bob, "Está en otra");
    decir(&mut ana, "#dR otra");
    wait_until(&mut ana, "not_room_creator", |h| {
        shows_error(h, ErrorCode::NotRoomCreator)
    });
    decir(&mut ana, "#cR otra");
    wait_until(&mut ana, "room_exists", |h| {
        shows_error(h, ErrorCode::RoomExists)
    });
    for n in 1..=5 {
        decir(&mut ana, &format!("#cR mia{n}"));
        wait_for_text(&mut ana, &format!("Está en mia{n}"));
    }
    decir(&mut ana, "#cR mia6");
    wait_until(&mut ana, "too_many_rooms", |h| {
        shows_error(h, ErrorCode::TooManyRooms)
    });

    // The rest only a broken client or a struggling server causes: delivered the way the
    // connection delivers them, an error frame answering nothing this client asked.
    // One at a time, so each is on screen when looked for.
    for code in ERROR_CODES {
        let field = (code == ErrorCode::Invalid).then_some(Field::Room);
        let frame = ServerFrame {
            time: 1_700_000_000_000,
            re: None,
            message: ServerMessage::Error {
                code,
                message: "an English sentence that must not show".into(),
                field,
                retry_after_ms: None,
            },
        };
        ana.state_mut()
            .client
            .handle(Event::Frame(frame), Instant::now());
        ana.step();
        ana.step();
        if code == ErrorCode::Invalid {
            // Checked while it is on screen: later errors push it out of view.
            let invalid = format!(
                "{}: {}",
                Language::SPANISH.texts().field(Field::Room),
                Language::SPANISH.texts().field_rule(Field::Room)
            );
            wait_until(&mut ana, "a broken rule worded from its field", |h| {
                shows(h, &invalid)
            });
        } else {
            wait_until(&mut ana, &format!("{code:?} in Spanish"), |h| {
                shows_error(h, code)
            });
            assert!(
                !shows(&ana, Language::ENGLISH.texts().error(code)),
                "{code:?} shown in English"
            );
        }
    }
    assert!(!shows(&ana, "English sentence"));
}

#[test]
fn refusals_of_the_forms_are_in_spanish_too() {
    let server = TestServer::start();
    server.register("ana");
    let mut h = spanish_login(&server);
    set_field(&mut h, "Usuario", "ana");
    type_into(&mut h, "Contraseña", "no-es-la-clave");
    enter(&mut h);
    wait_until(&mut h, "bad_credentials", |h| {
        shows_error(h, ErrorCode::BadCredentials)
    });

    click(&mut h, "Crear una cuenta");
    type_into(&mut h, "Nombres", "Ana");
    type_into(&mut h, "Apellidos", "Pérez");
    type_into(&mut h, "Usuario", "ANA");
    type_into(&mut h, "Contraseña", PASSWORD);
    type_into(&mut h, "Confirmar contraseña", PASSWORD);
    type_into(&mut h, "Edad", "30");
    click(&mut h, "Crear cuenta");
    wait_until(&mut h, "login_taken", |h| {
        shows_error(h, ErrorCode::LoginTaken)
    });
    // A rule broken while typing reads in Spanish, with no English or stray characters.
    type_into(&mut h, "Edad", "0");
    wait_for_text(&mut h, "⚠ un número entero de 13 a 120");
}
