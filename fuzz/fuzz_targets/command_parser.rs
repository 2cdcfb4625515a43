//! Arbitrary typed lines: the `#` parser must answer a command or an error, and every command it
//! accepts must pass the server's validation and encode into a frame.
#![no_main]

use chat_core::command::{Command, parse};
use chat_core::frame::encode;
use chat_core::protocol::{ClientFrame, Request};
use chat_core::validate;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(line) = std::str::from_utf8(data) else { return };
    let Ok(command) = parse(line) else { return };
    match &command {
        Command::Say(text) => assert!(validate::text(text).is_ok()),
        Command::CreateRoom(room) | Command::EnterRoom(room) | Command::DeleteRoom(room) => {
            assert!(validate::room(room).is_ok())
        }
        Command::Private { to, text } => {
            assert!(validate::login(to).is_ok() && validate::text(text).is_ok())
        }
        _ => {}
    }
    if let Some(request) = command.into_request() {
        assert!(!matches!(request, Request::Hello { .. }));
        assert!(encode(&ClientFrame { id: 1, request }).is_ok());
    }
});
