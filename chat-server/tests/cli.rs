//! The binary as an operator runs it: the configuration file, `--check-config`, the `probe`
//! health check, JSON logs and a clean stop on SIGTERM.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[cfg(unix)]
use std::io::{BufRead, BufReader};
use std::path::Path;
#[cfg(unix)]
use std::process::Stdio;
use std::process::{Command, Output};

fn chat_server() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_chat-server"));
    // The tests' own environment must not leak into the settings under test.
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("CHAT_") {
            command.env_remove(key);
        }
    }
    command.env_remove("STATE_DIRECTORY");
    command
}

fn run(command: &mut Command) -> (Output, String, String) {
    let out = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out, stdout, stderr)
}

fn write_config(dir: &Path, text: &str) -> std::path::PathBuf {
    let path = dir.join("chat-server.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn check_config_shows_flags_over_the_file_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config = write_config(
        dir.path(),
        &format!(
            "data_dir = {:?}\nbcrypt_cost = 12\nmax_rooms = 42\n",
            data.display().to_string()
        ),
    );
    let (out, stdout, stderr) = run(chat_server().arg("--config").arg(&config).args([
        "--check-config",
        "--bcrypt-cost",
        "11",
    ]));
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("bcrypt_cost = 11\n"), "{stdout}");
    assert!(stdout.contains("max_rooms = 42\n"), "{stdout}");
    assert!(stdout.contains("max_rooms_per_user = 5\n"), "{stdout}");
    assert!(!data.exists(), "--check-config made the data directory");
}

#[test]
fn check_config_names_an_unknown_key_and_a_missing_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), "max_room = 3\n");
    let (out, _, stderr) = run(chat_server()
        .arg("--config")
        .arg(&config)
        .arg("--check-config"));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.contains("max_room"), "{stderr}");

    let missing = dir.path().join("missing-cert.pem");
    let (out, _, stderr) = run(chat_server()
        .arg("--data-dir")
        .arg(dir.path())
        .arg("--tls-cert")
        .arg(&missing)
        .arg("--tls-key")
        .arg(dir.path().join("key.pem"))
        .arg("--check-config"));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.contains("missing-cert.pem"), "{stderr}");
}

#[test]
fn probe_fails_when_nothing_answers() {
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = free.local_addr().unwrap().to_string();
    drop(free);
    let (out, _, stderr) = run(chat_server().args(["probe", "--addr", &addr]));
    assert_eq!(out.status.code(), Some(1), "{stderr}");
}

/// The systemd unit's command line (`--config FILE`, TLS on): it serves, answers the probe,
/// logs JSON lines and stops with exit code 0 on SIGTERM.
#[cfg(unix)]
#[test]
fn started_from_a_config_file_it_answers_probes_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        &format!(
            "bind = \"127.0.0.1:0\"\ndata_dir = {:?}\nlog_format = \"json\"\n",
            dir.path().join("data").display().to_string()
        ),
    );
    let mut child = chat_server()
        .arg("--config")
        .arg(&config)
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let (mut listening, mut certificate) = (String::new(), String::new());
    stdout.read_line(&mut listening).unwrap();
    stdout.read_line(&mut certificate).unwrap();
    let addr = listening
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("{listening:?}"))
        .to_owned();
    let fingerprint = certificate
        .trim()
        .strip_prefix("TLS certificate ")
        .unwrap_or_else(|| panic!("{certificate:?}"))
        .to_owned();

    let (out, said, stderr) = run(chat_server().args(["probe", "--addr", &addr]));
    assert!(out.status.success(), "{stderr}");
    assert!(said.contains(&fingerprint), "{said}");

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{:?}", out.status);
    let logs = String::from_utf8_lossy(&out.stderr);
    assert!(logs.contains("store flushed"), "{logs}");
    for line in logs.lines() {
        assert!(
            line.starts_with('{') && line.ends_with('}') && line.contains("\"level\""),
            "not a JSON log line: {line}"
        );
    }
}
