//! `chat-server`: the headless chat server.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use chat_server::config::{DEFAULT_BCRYPT_COST, DEFAULT_BIND, DEFAULT_ROOM};
use chat_server::{ServerConfig, TlsSetting, default_data_dir};
use clap::Parser;

/// A thread-per-client chat server with accounts and rooms.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Address to listen on; port 0 picks a free port (printed at start).
    #[arg(long, env = "CHAT_BIND", default_value = DEFAULT_BIND)]
    bind: String,
    /// Directory of the account store [default: the platform's data directory].
    #[arg(long, env = "CHAT_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Name of the room every client lands in.
    #[arg(long, env = "CHAT_DEFAULT_ROOM", default_value = DEFAULT_ROOM)]
    default_room: String,
    /// bcrypt cost for new passwords (10 or more).
    #[arg(long, env = "CHAT_BCRYPT_COST", default_value_t = DEFAULT_BCRYPT_COST)]
    bcrypt_cost: u32,
    /// Serve TLS with this certificate chain (PEM) instead of the self-signed one.
    #[arg(
        long,
        env = "CHAT_TLS_CERT",
        requires = "tls_key",
        conflicts_with = "no_tls"
    )]
    tls_cert: Option<PathBuf>,
    /// The private key (PEM) of --tls-cert.
    #[arg(long, env = "CHAT_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Turn TLS off: passwords and messages then cross the network in clear. For local testing.
    #[arg(long, env = "CHAT_NO_TLS")]
    no_tls: bool,
    /// Accept a bcrypt cost below 10. For load tests only: such hashes are cheap to crack.
    #[arg(long, env = "CHAT_ALLOW_WEAK_BCRYPT")]
    allow_weak_bcrypt: bool,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let args = Args::parse();
    let Some(data_dir) = args.data_dir.or_else(default_data_dir) else {
        eprintln!("error: no data directory could be determined; pass --data-dir");
        return ExitCode::FAILURE;
    };
    let mut config = ServerConfig::new(data_dir);
    config.bind = args.bind;
    config.default_room = args.default_room;
    config.bcrypt_cost = args.bcrypt_cost;
    config.allow_weak_bcrypt = args.allow_weak_bcrypt;
    config.tls = match (args.no_tls, args.tls_cert, args.tls_key) {
        (true, _, _) => TlsSetting::Off,
        (false, Some(cert), Some(key)) => TlsSetting::Files { cert, key },
        _ => TlsSetting::SelfSigned,
    };
    if config.bcrypt_cost < chat_server::config::MIN_BCRYPT_COST {
        tracing::warn!(
            cost = config.bcrypt_cost,
            "INSECURE: weak bcrypt cost; passwords stored now are cheap to crack. Use only for benchmarks"
        );
    }
    raise_descriptor_limit();

    let (stop_tx, stop_rx) = crossbeam_channel::bounded::<()>(1);
    if let Err(e) = ctrlc::set_handler(move || {
        let _ = stop_tx.try_send(());
    }) {
        eprintln!("error: cannot handle Ctrl-C: {e}");
        return ExitCode::FAILURE;
    }
    let data_dir = config.data_dir.clone();
    let server = match chat_server::start(config) {
        Ok(server) => server,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Scripts read this line to learn the port.
    announce(&format!("listening on {}", server.local_addr()));
    match server.tls_fingerprint() {
        Some(fingerprint) => announce(&format!("TLS certificate {fingerprint}")),
        None => announce("TLS OFF: traffic is not encrypted"),
    }
    tracing::info!(data_dir = %data_dir.display(), "accounts stored here");
    let _ = stop_rx.recv();
    match server.shutdown() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error during shutdown: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Each client holds one descriptor: lift the soft limit to the hard one so the server is not
/// capped at the usual 1024 clients.
fn raise_descriptor_limit() {
    #[cfg(unix)]
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(n) => tracing::debug!(limit = n, "open file limit"),
        Err(e) => tracing::warn!("cannot raise the open file limit: {e}"),
    }
}

/// Prints a line on standard output for scripts. A closed output (the script stopped reading) is
/// no reason for the server to stop.
fn announce(line: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}").and_then(|()| out.flush());
}
