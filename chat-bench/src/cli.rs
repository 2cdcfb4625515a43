//! The command line: subcommands, their flags, and the checks that keep every run on this machine
//! and bounded in count and time.

use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::payload::STAMP_CHARS;

/// Most members, clients or concurrent connections one run may ask for.
pub const MAX_CLIENTS: usize = 100_000;
/// Most messages one sender may send in a run.
pub const MAX_MESSAGES_PER_SENDER: u64 = 10_000_000;
/// Longest run allowed, whatever `--timeout` says.
pub const MAX_TIMEOUT_S: u64 = 3_600;
/// Most event-loop threads.
pub const MAX_THREADS: usize = 16;
/// Most clients uploading at once.
pub const MAX_UPLOADERS: usize = 100;
/// Largest file one upload may send, in MiB.
pub const MAX_UPLOAD_MIB: u64 = 1024;

/// Load generator for chat-server: fan-out, idle clients, logins. Prints one JSON object on
/// stdout per run and progress on stderr. Talks only to loopback addresses.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// N members in one room, K of them sending M messages each; measures deliveries/s and
    /// latency.
    Fanout(FanoutArgs),
    /// N logged-in clients doing nothing; measures the server's memory per client.
    Idle(IdleArgs),
    /// C connections logging in and out in a loop for S seconds; measures logins/s.
    Logins(LoginsArgs),
    /// The fan-out latency run with no chat server: a stand-in in this process only writes each
    /// message to every member. Measures what the kernel and the generator alone cost here.
    Floor(FloorArgs),
    /// N threads, each blocked reading a loopback socket as the server's reader threads wait:
    /// measures what one thread per client costs in memory before any client state.
    IdleFloor(IdleFloorArgs),
    /// One file up and down over HTTP on the chat port, in turn with the same bytes over a bare
    /// stream (TLS with `--tls`) to this process: measures files' speed against the stream's.
    Files(FilesArgs),
}

/// Flags every subcommand shares.
#[derive(Debug, Args)]
pub struct Common {
    /// Server address; only loopback (127.0.0.0/8, ::1) is accepted.
    #[arg(long, default_value = "127.0.0.1:7878", value_parser = parse_loopback)]
    pub addr: SocketAddr,
    /// Another node of the same cluster (repeatable): clients connect to `--addr` and these in
    /// turn (client 0 to `--addr`, client 1 to the first `--also`, …), so a room's members are
    /// spread over every node.
    #[arg(long, value_parser = parse_loopback)]
    pub also: Vec<SocketAddr>,
    /// Logins are PREFIX0, PREFIX1, … (registered when they do not exist).
    #[arg(long, default_value = "bench")]
    pub prefix: String,
    /// Password of every benchmark account.
    #[arg(long, default_value = "bench-password")]
    pub password: String,
    /// Give up after this many seconds, report what was measured and exit non-zero.
    #[arg(long, default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..=MAX_TIMEOUT_S))]
    pub timeout: u64,
    /// Event-loop threads the clients are spread over.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=MAX_THREADS as u64))]
    pub threads: u64,
    /// Most connections logging in at once (the rest wait their turn).
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub login_concurrency: u64,
    /// PID of the server, to report its CPU time, memory and threads from /proc (Linux).
    /// Repeatable: the figures of several processes (a cluster's nodes) are added up.
    #[arg(long)]
    pub server_pid: Vec<u32>,
    /// Speak TLS (the server's default), trusting the certificate the server presents as the
    /// desktop client does on first use.
    #[arg(long)]
    pub tls: bool,
    /// Speak the chat protocol over a WebSocket (`GET /ws` on the chat port, as the web client
    /// does; over TLS with `--tls`): the same frames, in masked binary messages.
    #[arg(long)]
    pub ws: bool,
    /// Spread the clients' source addresses over this many loopback addresses (127.0.1.1, …):
    /// one address has only about 28,000 ephemeral ports. 0: let the system choose.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=60_000))]
    pub sources: u64,
    /// How connections are made, filled from the flags above by [`Common::prepare`].
    #[arg(skip)]
    pub transport: Transport,
}

/// How paced senders share out their sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// Evenly spread: one sender after the other.
    Spread,
    /// All at once, then a pause.
    Together,
}

/// How the generator's connections are made.
#[derive(Debug, Clone, Default)]
pub struct Transport {
    /// TLS configuration, when on.
    pub tls: Option<Arc<rustls::ClientConfig>>,
    /// Source addresses to spread connections over; empty: the system's choice.
    pub sources: Arc<Vec<IpAddr>>,
    /// Servers to spread connections over (client index modulo their number); empty: `--addr`.
    pub servers: Arc<Vec<SocketAddr>>,
    /// The chat protocol goes over a WebSocket.
    pub ws: bool,
}

impl Common {
    /// Builds [`Common::transport`] from the flags.
    pub fn prepare(&mut self) -> Result<(), String> {
        if self.tls {
            let trust = chat_core::tls::ClientTls {
                known_hosts: chat_core::tls::KnownHosts::default(),
                trust_new_certificate: true,
            };
            let (config, _) = chat_core::tls::client_config(&trust, &self.addr.to_string())
                .map_err(|e| format!("TLS: {e}"))?;
            self.transport.tls = Some(config);
        }
        self.transport.ws = self.ws;
        self.transport.sources = Arc::new(loopback_sources(self.sources as usize));
        if !self.also.is_empty() {
            let servers = std::iter::once(self.addr).chain(self.also.iter().copied());
            self.transport.servers = Arc::new(servers.collect());
        }
        Ok(())
    }

    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout)
    }

    /// The login of client `index`.
    pub fn login(&self, index: usize) -> String {
        format!("{}{index}", self.prefix)
    }

    /// Checks that logins `PREFIX0`..`PREFIX{count-1}` and the password are valid.
    fn check_accounts(&self, count: usize) -> Result<(), String> {
        let last = self.login(count.saturating_sub(1));
        chat_core::validate::login(&last)
            .map_err(|e| format!("--prefix gives login {last:?}: {e}"))?;
        chat_core::validate::password(&self.password).map_err(|e| format!("--password: {e}"))
    }
}

#[derive(Debug, Args)]
pub struct FanoutArgs {
    #[command(flatten)]
    pub common: Common,
    /// Members in the room.
    #[arg(long, short = 'n')]
    pub members: usize,
    /// Members that send (the first K).
    #[arg(long, short = 'k')]
    pub senders: usize,
    /// Messages each sender sends.
    #[arg(long, short = 'm')]
    pub messages: u64,
    /// Most messages of one sender in flight (sent, its own echo not yet back).
    #[arg(long, default_value_t = 256)]
    pub window: u64,
    /// Messages per second over all senders, evenly paced (default: as fast as the window allows).
    #[arg(long)]
    pub rate: Option<f64>,
    /// With `--rate`: `spread`, senders take turns evenly; `together`, every sender sends its
    /// next message at the same instant (a burst of K messages, K × (N − 1) deliveries, then a
    /// pause), as a class does when a question is asked.
    #[arg(long, value_enum, default_value_t = Phase::Spread)]
    pub phase: Phase,
    /// Characters per message.
    #[arg(long, default_value_t = 64)]
    pub size: usize,
    /// Room the members meet in.
    #[arg(long, default_value = "bench")]
    pub room: String,
    /// Let members acknowledge every message at once, as Linux does for a connection that only
    /// receives (by default members ask for delayed acknowledgements, as a client that also
    /// talks gets; see the README).
    #[arg(long)]
    pub immediate_acks: bool,
    /// `--addr` is an IRC port (chat-server's `--irc-bind`, or an IRC daemon): members register
    /// with NICK and USER under their login and no password (chat-server needs `--irc-guests`),
    /// JOIN #ROOM and PRIVMSG it. IRC sends no echo: a sender's window is acknowledged by the
    /// deliveries at one other member (see `fanout/room/irc.rs`). `--size` is at most 290.
    #[arg(long)]
    pub irc: bool,
    /// With `--storms` or `--upload-rounds`: seconds of plain chat before the first storm or
    /// round and between two of them.
    #[arg(long, default_value_t = 2.0)]
    pub calm: f64,
    #[command(flatten)]
    pub storms: StormArgs,
    #[command(flatten)]
    pub uploads: UploadArgs,
}

/// Reaction storms in a paced fan-out: the room chats at `--rate` while, now and then, every
/// member reacts to one line.
#[derive(Debug, Args)]
pub struct StormArgs {
    /// Reaction storms to run while the room chats (needs `--rate`): member 0 says a line, then
    /// every member reacts to it within `--react-within` seconds, and each waits for a
    /// `reactions` event that shows every reaction; `--calm` seconds of plain chat come before
    /// each storm.
    #[arg(long, default_value_t = 0)]
    pub storms: u32,
    /// Different emoji the members put on the line (member i puts the (i mod E)-th); 20 is the
    /// most a line may carry, and makes the largest `reactions` events.
    #[arg(long, default_value_t = 20)]
    pub emoji: usize,
    /// Seconds over which the members' reactions are spread, evenly.
    #[arg(long, default_value_t = 1.0)]
    pub react_within: f64,
    /// Seconds a storm may take, from its first reaction to the last member's complete count,
    /// before it is called incomplete.
    #[arg(long, default_value_t = 15.0)]
    pub storm_timeout: f64,
}

/// Uploads in a paced fan-out: the room chats at `--rate` while, now and then, some members
/// upload a file each over HTTP on the chat port.
#[derive(Debug, Args)]
pub struct UploadArgs {
    /// Rounds of uploads to run while the room chats (needs `--rate`): in each, the first
    /// `--uploaders` members upload a file of `--upload-mib` at once (new content every time,
    /// with their session's token); `--calm` seconds of plain chat come before each round.
    #[arg(long, default_value_t = 0)]
    pub upload_rounds: u32,
    /// Members that upload in each round (the first ones; they chat too when they are among
    /// the senders).
    #[arg(long, default_value_t = 10)]
    pub uploaders: usize,
    /// Size of each file, in MiB.
    #[arg(long, default_value_t = 25)]
    pub upload_mib: u64,
    /// Bytes sent per `PATCH` request, in MiB (0: the whole file in one).
    #[arg(long, default_value_t = 0)]
    pub patch_mib: u64,
    /// Nice value the uploading threads run at (Linux): 0 keeps the generator's; 19 has their
    /// own work (making TLS records of 250 MiB a round) yield to the members it times, as
    /// uploaders on other machines would.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(i32).range(0..=19))]
    pub uploaders_nice: i32,
}

impl FanoutArgs {
    pub fn check(&self) -> Result<(), String> {
        if !(2..=MAX_CLIENTS).contains(&self.members) {
            return Err(format!("--members must be 2..={MAX_CLIENTS}"));
        }
        if !(1..=self.members).contains(&self.senders) {
            return Err("--senders must be 1..=--members".into());
        }
        if !(1..=MAX_MESSAGES_PER_SENDER).contains(&self.messages) {
            return Err(format!("--messages must be 1..={MAX_MESSAGES_PER_SENDER}"));
        }
        if self.window == 0 {
            return Err("--window must be at least 1".into());
        }
        if let Some(rate) = self.rate
            && !(rate.is_finite() && rate > 0.0)
        {
            return Err("--rate must be a positive number of messages per second".into());
        }
        let max = if self.irc {
            crate::irc::TEXT_MAX_BYTES
        } else {
            chat_core::limits::TEXT_MAX_CHARS
        };
        if !(STAMP_CHARS..=max).contains(&self.size) {
            let irc = if self.irc { " with --irc" } else { "" };
            return Err(format!("--size must be {STAMP_CHARS}..={max}{irc}"));
        }
        chat_core::validate::room(&self.room).map_err(|e| format!("--room: {e}"))?;
        self.check_windows()?;
        self.common.check_accounts(self.members)
    }

    /// Checks the flags of reaction storms and upload rounds.
    fn check_windows(&self) -> Result<(), String> {
        let (storms, uploads) = (&self.storms, &self.uploads);
        if storms.storms == 0 && uploads.upload_rounds == 0 {
            return Ok(());
        }
        if storms.storms > 0 && uploads.upload_rounds > 0 {
            return Err("--storms and --upload-rounds go in separate runs".into());
        }
        if self.rate.is_none() || self.irc {
            return Err("--storms and --upload-rounds need --rate (and the chat protocol)".into());
        }
        if !(self.calm.is_finite() && (0.0..=600.0).contains(&self.calm)) {
            return Err("--calm must be 0..=600 seconds".into());
        }
        if !(1..=chat_core::limits::REACTIONS_PER_LINE).contains(&storms.emoji) {
            let most = chat_core::limits::REACTIONS_PER_LINE;
            return Err(format!("--emoji must be 1..={most}"));
        }
        if !(storms.react_within.is_finite() && (0.0..=600.0).contains(&storms.react_within)) {
            return Err("--react-within must be 0..=600 seconds".into());
        }
        if !(storms.storm_timeout.is_finite() && (1.0..=3600.0).contains(&storms.storm_timeout)) {
            return Err("--storm-timeout must be 1..=3600 seconds".into());
        }
        if uploads.upload_rounds > 0 {
            if !(1..=self.members.min(MAX_UPLOADERS)).contains(&uploads.uploaders) {
                return Err(format!(
                    "--uploaders must be 1..=--members and at most {MAX_UPLOADERS}"
                ));
            }
            if !(1..=MAX_UPLOAD_MIB).contains(&uploads.upload_mib) {
                return Err(format!("--upload-mib must be 1..={MAX_UPLOAD_MIB}"));
            }
            if uploads.patch_mib > uploads.upload_mib {
                return Err("--patch-mib must be at most --upload-mib".into());
            }
        }
        Ok(())
    }
}

#[derive(Debug, Args)]
pub struct FloorArgs {
    /// Members, each one connection to the stand-in.
    #[arg(long, short = 'n')]
    pub members: usize,
    /// Messages in all, each written to every member.
    #[arg(long, short = 'm')]
    pub messages: u64,
    /// Messages per second, evenly paced.
    #[arg(long, default_value_t = 100.0)]
    pub rate: f64,
    /// Messages sent at the same instant, in one write to each member (the floor of `fanout
    /// --phase together` with this many senders); the rate counts each of them.
    #[arg(long, default_value_t = 1)]
    pub burst: u64,
    /// Characters per message.
    #[arg(long, default_value_t = 64)]
    pub size: usize,
    /// Threads of the stand-in writing to the members (a server's writer pool).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=MAX_THREADS as u64))]
    pub writers: u64,
    /// Event-loop threads the members are spread over.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=MAX_THREADS as u64))]
    pub threads: u64,
    /// Let members acknowledge every message at once (see `fanout --immediate-acks`).
    #[arg(long)]
    pub immediate_acks: bool,
    /// Give up after this many seconds, report what was measured and exit non-zero.
    #[arg(long, default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..=MAX_TIMEOUT_S))]
    pub timeout: u64,
}

impl FloorArgs {
    pub fn check(&self) -> Result<(), String> {
        if !(1..=MAX_CLIENTS).contains(&self.members) {
            return Err(format!("--members must be 1..={MAX_CLIENTS}"));
        }
        if !(1..=MAX_MESSAGES_PER_SENDER).contains(&self.messages) {
            return Err(format!("--messages must be 1..={MAX_MESSAGES_PER_SENDER}"));
        }
        if !(self.rate.is_finite() && self.rate > 0.0) {
            return Err("--rate must be a positive number of messages per second".into());
        }
        let max = chat_core::limits::TEXT_MAX_CHARS;
        if !(STAMP_CHARS..=max).contains(&self.size) {
            return Err(format!("--size must be {STAMP_CHARS}..={max}"));
        }
        if !(1..=1000).contains(&self.burst) {
            return Err("--burst must be 1..=1000".into());
        }
        Ok(())
    }
}

#[derive(Debug, Args)]
pub struct IdleFloorArgs {
    /// Threads (and connections) to hold.
    #[arg(long, short = 'n')]
    pub threads: usize,
    /// Stack reserved per thread, in KiB (the server's reader threads reserve 256).
    #[arg(long, default_value_t = 256)]
    pub stack_kib: usize,
    /// Seconds to hold them once all wait.
    #[arg(long, default_value_t = 2.0)]
    pub hold: f64,
}

impl IdleFloorArgs {
    pub fn check(&self) -> Result<(), String> {
        if !(1..=MAX_CLIENTS).contains(&self.threads) {
            return Err(format!("--threads must be 1..={MAX_CLIENTS}"));
        }
        if !(16..=8192).contains(&self.stack_kib) {
            return Err("--stack-kib must be 16..=8192".into());
        }
        if !(self.hold.is_finite() && (0.0..=600.0).contains(&self.hold)) {
            return Err("--hold must be 0..=600 seconds".into());
        }
        Ok(())
    }
}

#[derive(Debug, Args)]
pub struct FilesArgs {
    #[command(flatten)]
    pub common: Common,
    /// Size of the file, in MiB.
    #[arg(long, default_value_t = 25)]
    pub mib: u64,
    /// Rounds, each the bytes up and down the bare stream and as a file, in alternating order
    /// (new content every round, so that no upload finds its content stored already).
    #[arg(long, default_value_t = 5)]
    pub rounds: u32,
    /// Bytes sent per `PATCH` request, in MiB (0: the whole file in one).
    #[arg(long, default_value_t = 0)]
    pub patch_mib: u64,
}

impl FilesArgs {
    pub fn check(&self) -> Result<(), String> {
        if !(1..=MAX_UPLOAD_MIB).contains(&self.mib) {
            return Err(format!("--mib must be 1..={MAX_UPLOAD_MIB}"));
        }
        if !(1..=1000).contains(&self.rounds) {
            return Err("--rounds must be 1..=1000".into());
        }
        if self.patch_mib > self.mib {
            return Err("--patch-mib must be at most --mib".into());
        }
        self.common.check_accounts(1)
    }
}

#[derive(Debug, Args)]
pub struct IdleArgs {
    #[command(flatten)]
    pub common: Common,
    /// Clients to log in.
    #[arg(long, short = 'n')]
    pub clients: usize,
    /// Seconds to hold the clients once all are logged in.
    #[arg(long, default_value_t = 5.0)]
    pub hold: f64,
    /// After the hold, wait for the server to drop every client (restart it meanwhile), then log
    /// each one back in with its session token, and report how long that took.
    #[arg(long)]
    pub reconnect: bool,
}

impl IdleArgs {
    pub fn check(&self) -> Result<(), String> {
        if !(1..=MAX_CLIENTS).contains(&self.clients) {
            return Err(format!("--clients must be 1..={MAX_CLIENTS}"));
        }
        if !(self.hold.is_finite() && self.hold >= 0.0 && self.hold < self.common.timeout as f64) {
            return Err("--hold must be 0 or more seconds and less than --timeout".into());
        }
        self.common.check_accounts(self.clients)
    }
}

#[derive(Debug, Args)]
pub struct LoginsArgs {
    #[command(flatten)]
    pub common: Common,
    /// Connections logging in at once, each with its own account.
    #[arg(long, short = 'c')]
    pub concurrency: usize,
    /// Seconds to keep logging in.
    #[arg(long, short = 's')]
    pub seconds: f64,
    /// Log in with the session token of the warm-up login (`resume`) instead of the password.
    #[arg(long)]
    pub resume: bool,
}

impl LoginsArgs {
    pub fn check(&self) -> Result<(), String> {
        if !(1..=MAX_CLIENTS).contains(&self.concurrency) {
            return Err(format!("--concurrency must be 1..={MAX_CLIENTS}"));
        }
        if !(self.seconds.is_finite()
            && self.seconds > 0.0
            && self.seconds < self.common.timeout as f64)
        {
            return Err("--seconds must be more than 0 and less than --timeout".into());
        }
        self.common.check_accounts(self.concurrency)
    }
}

/// `n` loopback addresses to connect from: 127.0.1.1 upwards, skipping .0 and .255.
pub fn loopback_sources(n: usize) -> Vec<IpAddr> {
    (0..n)
        .map(|i| {
            let (hi, lo) = (1 + i / 254, 1 + i % 254);
            IpAddr::V4(std::net::Ipv4Addr::new(127, 0, hi as u8, lo as u8))
        })
        .collect()
}

/// Resolves `text` and accepts it only when every address it names is a loopback address.
pub fn parse_loopback(text: &str) -> Result<SocketAddr, String> {
    let addrs: Vec<SocketAddr> = text
        .to_socket_addrs()
        .map_err(|e| format!("{text:?} is not a host:port address: {e}"))?
        .collect();
    let Some(&first) = addrs.first() else {
        return Err(format!("{text:?} names no address"));
    };
    if let Some(outside) = addrs.iter().find(|a| !is_loopback(a.ip())) {
        return Err(format!(
            "{outside} is not a loopback address: chat-bench only drives a server on this machine \
             (127.0.0.0/8 or ::1)"
        ));
    }
    if first.port() == 0 {
        return Err("port 0 is not a server's port".into());
    }
    Ok(first)
}

fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_addresses_are_accepted() {
        for ok in [
            "127.0.0.1:7878",
            "127.1.2.3:1",
            "[::1]:7878",
            "[::ffff:127.0.0.1]:80",
        ] {
            assert!(parse_loopback(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn other_addresses_are_refused_with_a_reason() {
        for bad in [
            "10.0.0.1:7878",
            "192.168.1.1:7878",
            "8.8.8.8:53",
            "0.0.0.0:7878",
            "[::]:7878",
            "[2001:db8::1]:7878",
            "[::ffff:10.0.0.1]:7878",
        ] {
            let err = parse_loopback(bad).expect_err(bad);
            assert!(err.contains("not a loopback address"), "{bad}: {err}");
        }
    }

    #[test]
    fn malformed_addresses_and_port_zero_are_refused() {
        assert!(parse_loopback("127.0.0.1").is_err());
        assert!(parse_loopback("127.0.0.1:0").is_err());
        assert!(parse_loopback("not an address").is_err());
    }

    #[test]
    fn a_non_loopback_addr_flag_stops_the_command_line() {
        let result = Cli::try_parse_from([
            "chat-bench",
            "fanout",
            "--addr",
            "10.1.1.1:7878",
            "-n",
            "3",
            "-k",
            "1",
            "-m",
            "1",
        ]);
        assert!(result.is_err());
    }

    fn fanout(extra: &[&str]) -> Result<(), String> {
        let mut argv = vec!["chat-bench", "fanout", "-n", "3", "-k", "1", "-m", "10"];
        argv.extend_from_slice(extra);
        match Cli::try_parse_from(argv)
            .map_err(|e| e.to_string())?
            .command
        {
            Command::Fanout(args) => args.check(),
            other => panic!("parsed as {other:?}"),
        }
    }

    #[test]
    fn fanout_bounds_are_checked() {
        assert_eq!(fanout(&[]), Ok(()));
        assert!(fanout(&["-k", "4"]).is_err());
        assert!(fanout(&["-n", "1"]).is_err());
        assert!(fanout(&["--size", "10"]).is_err());
        assert!(fanout(&["--size", "2001"]).is_err());
        assert!(fanout(&["--rate", "0"]).is_err());
        assert!(fanout(&["--window", "0"]).is_err());
        assert!(fanout(&["--timeout", "0"]).is_err());
        assert!(fanout(&["--room", "no spaces"]).is_err());
        assert!(fanout(&["--prefix", "a-very-long-prefix-for-a-login-x"]).is_err());
    }

    #[test]
    fn storms_and_upload_rounds_need_a_pace_and_sane_bounds() {
        assert_eq!(fanout(&["--storms", "3", "--rate", "10"]), Ok(()));
        assert!(fanout(&["--storms", "3"]).is_err(), "no --rate");
        assert!(fanout(&["--storms", "3", "--rate", "10", "--emoji", "21"]).is_err());
        assert!(fanout(&["--storms", "3", "--rate", "10", "--emoji", "0"]).is_err());
        assert!(fanout(&["--storms", "1", "--rate", "10", "--irc"]).is_err());
        assert_eq!(
            fanout(&["--upload-rounds", "2", "--rate", "10", "--uploaders", "3"]),
            Ok(())
        );
        assert!(fanout(&["--upload-rounds", "2", "--rate", "10", "--uploaders", "4"]).is_err());
        assert!(fanout(&["--upload-rounds", "1", "--rate", "10", "--upload-mib", "0"]).is_err());
        assert!(fanout(&["--upload-rounds", "1", "--storms", "1", "--rate", "10"]).is_err());
        assert!(fanout(&["--storms", "1", "--rate", "10", "--calm", "-1"]).is_err());
    }

    #[test]
    fn an_irc_message_fits_one_line() {
        assert_eq!(fanout(&["--irc", "--size", "290"]), Ok(()));
        assert!(fanout(&["--irc", "--size", "291"]).is_err());
        assert_eq!(fanout(&["--size", "291"]), Ok(()));
    }
}
