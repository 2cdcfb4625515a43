//! The program's command line, run as a process with no display at all.

use std::process::Command;

fn without_display(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_chat-gui"))
        .args(args)
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .unwrap()
}

#[test]
fn version_and_help_print_and_exit_without_a_display() {
    let version = without_display(&["--version"]);
    assert!(version.status.success(), "{version:?}");
    let text = String::from_utf8_lossy(&version.stdout);
    assert_eq!(
        text.trim(),
        format!("chat-gui {}", env!("CARGO_PKG_VERSION"))
    );

    let help = without_display(&["--help"]);
    assert!(help.status.success(), "{help:?}");
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(text.contains("Usage: chat-gui"), "{text}");

    let wrong = without_display(&["--no-such-flag"]);
    assert_eq!(wrong.status.code(), Some(2), "{wrong:?}");
}
