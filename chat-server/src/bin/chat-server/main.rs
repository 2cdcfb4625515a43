//! `chat-server`: the headless chat server.
//!
//! Exit codes: 0 after a clean stop (SIGTERM or Ctrl-C: clients told, store flushed) and for a
//! good `--check-config`; 1 when the server cannot start or fails while stopping; 2 for a bad
//! command line or configuration.

mod probe;
mod settings;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use chat_server::config::DEFAULT_BIND;
use chat_server::{ServerConfig, default_data_dir};
use clap::{Parser, Subcommand};

use settings::{LogFormat, Settings};

/// A thread-per-client chat server with accounts and rooms.
///
/// Every flag can also be set by its environment variable (shown below) or by the key of the
/// same name in the configuration file (`--max-rooms` is `max_rooms`). A flag or variable wins
/// over the file; the file wins over the defaults. `RUST_LOG` sets the log level.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    #[command(subcommand)]
    command: Option<Command>,
    /// Read settings from this TOML file (see deploy/chat-server.toml).
    #[arg(long, env = "CHAT_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// Check the configuration, print the effective settings and exit (0: good, 2: not).
    /// Creates nothing and listens on nothing.
    #[arg(long)]
    check_config: bool,
    #[command(flatten)]
    settings: Settings,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Connect to the running server and exit 0 if it answers, 1 if not (a health check).
    /// It finds the server through the same settings: `chat-server --config FILE probe`.
    Probe(probe::ProbeArgs),
}

/// The process exit code for a bad configuration (the same as clap's for a bad command line).
const EXIT_CONFIG: u8 = 2;

fn main() -> ExitCode {
    let args = Args::parse();
    let file = match &args.config {
        Some(path) => match Settings::from_file(path) {
            Ok(file) => file,
            Err(e) => return config_error(&e),
        },
        None => Settings::default(),
    };
    let settings = args.settings.over(file);
    if let Some(Command::Probe(probe)) = &args.command {
        // The probe finds the server through the server's own settings.
        let bind = settings.bind.as_deref().unwrap_or(DEFAULT_BIND);
        let plain = settings.no_tls.unwrap_or(false);
        return probe::run(probe, probe::Target::local(bind, plain));
    }
    let log_format = settings.log_format.unwrap_or_default();
    let config = match settings.to_config(data_dir_default) {
        Ok(config) => config,
        Err(e) => return config_error(&e),
    };
    if args.check_config {
        return check_config(&config, log_format);
    }
    init_logging(log_format);
    serve(config, log_format)
}

fn config_error(e: &settings::SettingsError) -> ExitCode {
    eprintln!("error: {e}");
    ExitCode::from(EXIT_CONFIG)
}

/// Where the data lives when no `data_dir` is given: the directory systemd made for the service
/// (`StateDirectory=` sets `$STATE_DIRECTORY`), else the platform's data directory.
fn data_dir_default() -> Option<PathBuf> {
    std::env::var_os("STATE_DIRECTORY")
        .and_then(|dirs| std::env::split_paths(&dirs).next())
        .filter(|dir| !dir.as_os_str().is_empty())
        .or_else(default_data_dir)
}

fn check_config(config: &ServerConfig, log_format: LogFormat) -> ExitCode {
    match settings::check(config) {
        Ok(report) => {
            print!(
                "# configuration is valid\n{report}{}",
                Settings::from_config(config, log_format).to_toml()
            );
            ExitCode::SUCCESS
        }
        Err(e) => config_error(&e),
    }
}

/// Logs go to standard error: readable text (coloured only on a terminal) or one JSON object
/// per line. `RUST_LOG` chooses what is logged (default `info`).
fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.with_ansi(std::io::stderr().is_terminal()).init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .init(),
    }
}

/// Runs the server until SIGTERM or Ctrl-C, then drains it.
fn serve(config: ServerConfig, log_format: LogFormat) -> ExitCode {
    let fail = |what: &str, e: &dyn std::fmt::Display| {
        // One line either way: a log collector reads JSON, a person reads text.
        match log_format {
            LogFormat::Json => tracing::error!("{what}: {e}"),
            LogFormat::Text => eprintln!("error: {what}: {e}"),
        }
        ExitCode::FAILURE
    };
    if config.bcrypt_cost < chat_server::config::MIN_BCRYPT_COST {
        tracing::warn!(
            cost = config.bcrypt_cost,
            "INSECURE: weak bcrypt cost; passwords stored now are cheap to crack. Use only for benchmarks"
        );
    }
    raise_descriptor_limit(config.max_connections);

    let (stop_tx, stop_rx) = crossbeam_channel::bounded::<()>(1);
    if let Err(e) = ctrlc::set_handler(move || {
        let _ = stop_tx.try_send(());
    }) {
        return fail("cannot handle SIGTERM and Ctrl-C", &e);
    }
    let data_dir = config.data_dir.clone();
    let server = match chat_server::start(config) {
        Ok(server) => server,
        Err(e) => return fail("cannot start", &e),
    };
    // Scripts read these two lines to learn the port and the certificate.
    announce(&format!("listening on {}", server.local_addr()));
    if let Some(addr) = server.irc_addr() {
        announce(&format!("irc listening on {addr}"));
    }
    if let Some(addr) = server.irc_tls_addr() {
        announce(&format!("irc tls listening on {addr}"));
    }
    match server.tls_fingerprint() {
        Some(fingerprint) => announce(&format!("TLS certificate {fingerprint}")),
        None => announce("TLS OFF: traffic is not encrypted"),
    }
    tracing::info!(data_dir = %data_dir.display(), "accounts stored here");
    let _ = stop_rx.recv();
    tracing::info!("stop requested");
    match server.shutdown() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail("shutdown failed", &e),
    }
}

/// Each client holds one descriptor: lift the soft limit to the hard one so the server is not
/// capped at the usual 1024 clients.
#[cfg(unix)]
fn raise_descriptor_limit(max_connections: usize) {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(n) if n < max_connections as u64 + 64 => tracing::warn!(
            limit = n,
            max_connections,
            "the open file limit is below max_connections: clients past it are refused"
        ),
        Ok(n) => tracing::debug!(limit = n, "open file limit"),
        Err(e) => tracing::warn!("cannot raise the open file limit: {e}"),
    }
}

/// Windows has no per-process limit of this kind to raise: a socket is a handle, and handles are
/// bounded by memory.
#[cfg(not(unix))]
fn raise_descriptor_limit(_max_connections: usize) {}

/// Prints a line on standard output for scripts. A closed output (the script stopped reading) is
/// no reason for the server to stop.
fn announce(line: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}").and_then(|()| out.flush());
}
