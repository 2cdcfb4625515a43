//! `chat-server probe`: a health check that needs nothing but this binary. It connects to a
//! running server as a client would (TLS or plain), says hello, and reports whether the server
//! answered. Container health checks and monitoring scripts use its exit code.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use chat_core::client::{ClientOptions, Event, connect};
use chat_core::tls::ClientTls;

/// Checks that a server answers.
#[derive(Debug, clap::Args)]
pub struct ProbeArgs {
    /// The server to ask [default: the server's own `bind` setting (flag, CHAT_BIND or
    /// configuration file) with 0.0.0.0 read as 127.0.0.1]
    #[arg(long, value_name = "ADDR")]
    pub addr: Option<String>,
    /// Seconds to wait for the whole handshake.
    #[arg(long, default_value_t = 5, value_name = "SECS")]
    pub timeout_secs: u64,
}

/// Where and how to reach the local server, from the server's own settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// `host:port`.
    pub addr: String,
    /// The server runs without TLS.
    pub plain: bool,
}

impl Target {
    /// The server's listening address as a client reaches it from the same machine.
    pub fn local(bind: &str, plain: bool) -> Target {
        let addr = match bind.parse::<SocketAddr>() {
            Ok(a) if a.ip().is_unspecified() => {
                let ip: IpAddr = if a.is_ipv4() {
                    Ipv4Addr::LOCALHOST.into()
                } else {
                    Ipv6Addr::LOCALHOST.into()
                };
                SocketAddr::new(ip, a.port()).to_string()
            }
            _ => bind.to_owned(),
        };
        Target { addr, plain }
    }
}

/// Exit code 0 when the server completed the handshake, 1 otherwise (with the reason on
/// standard error).
pub fn run(args: &ProbeArgs, server: Target) -> ExitCode {
    let addr = args.addr.clone().unwrap_or(server.addr);
    let timeout = Duration::from_secs(args.timeout_secs.max(1));
    let options = ClientOptions {
        client_name: format!("chat-server-probe/{}", env!("CARGO_PKG_VERSION")),
        timeout,
        // Any certificate is accepted and pinned in memory only: this checks that the server
        // answers, not who it is.
        tls: if server.plain {
            None
        } else {
            Some(ClientTls::default())
        },
        ..ClientOptions::default()
    };
    let connection = connect(&addr, options);
    let deadline = Instant::now() + timeout;
    loop {
        match connection.events().recv_deadline(deadline) {
            Ok(Event::Connected(session)) => {
                let tls = session
                    .tls
                    .map_or_else(|| "TLS off".to_owned(), |t| t.fingerprint);
                println!("ok: {} answers ({}, {tls})", session.addr, session.server);
                // Close properly (TLS close_notify) so the server logs a plain goodbye.
                connection.close();
                let closing = Instant::now() + Duration::from_secs(1);
                while let Ok(event) = connection.events().recv_deadline(closing) {
                    if matches!(event, Event::Disconnected(_)) {
                        break;
                    }
                }
                return ExitCode::SUCCESS;
            }
            Ok(Event::Frame(_)) => {}
            Ok(Event::Disconnected(reason)) => {
                eprintln!("probe {addr}: {reason}");
                return ExitCode::FAILURE;
            }
            Err(_) => {
                eprintln!("probe {}: no answer within {} s", addr, timeout.as_secs());
                return ExitCode::FAILURE;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_local_target_reads_an_unspecified_bind_as_loopback() {
        assert_eq!(Target::local("0.0.0.0:7878", false).addr, "127.0.0.1:7878");
        assert_eq!(Target::local("[::]:9000", true).addr, "[::1]:9000");
        assert_eq!(Target::local("10.0.0.5:7878", false).addr, "10.0.0.5:7878");
        assert_eq!(
            Target::local("chat.example:7878", false).addr,
            "chat.example:7878"
        );
    }
}
