//! The operator's settings: command-line flags, `CHAT_…` environment variables and the TOML
//! configuration file, merged into one [`ServerConfig`].
//!
//! One struct, [`Settings`], is both the flags (clap) and the file (serde), so the file mirrors
//! every flag by construction: the flag `--max-rooms` is the key `max_rooms` and the variable
//! `CHAT_MAX_ROOMS`. A flag (or its variable) wins over the file; the file wins over the defaults.
//!
//! This module reads files but never writes one: `--check-config` relies on that.

use std::fmt::Write as _;
use std::net::ToSocketAddrs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chat_server::{ServerConfig, TlsSetting};
use clap::builder::BoolishValueParser;
use serde::{Deserialize, Serialize};

/// How log lines are written to standard error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One readable line per event (coloured on a terminal).
    #[default]
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Defines every setting once: its flag and variable (the `#[arg]`), its key in the file (the
/// field's name), and how it maps to a [`ServerConfig`] field — `plain(field)` as it is,
/// `opt(field)` an optional one, `secs(field)` whole seconds of a `Duration`, `mib(field)` MiB of
/// a byte count, or `custom` for the few handled by hand below (the data directory, TLS, the log
/// format). From this one list
/// come the struct (clap and serde), [`Settings::over`]'s merge, and both directions of the
/// conversion to a configuration.
macro_rules! settings {
    ($(
        $(#[$meta:meta])*
        $name:ident: $ty:ty => $kind:ident $(($field:ident))?
    ),* $(,)?) => {
        /// Every setting an operator may give. `None` means "not given here".
        #[derive(Debug, Clone, Default, PartialEq, clap::Args, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct Settings {
            $( $(#[$meta])* pub $name: Option<$ty>, )*
        }

        impl Settings {
            /// Each setting given here, else `under`'s.
            fn merged(self, under: Settings) -> Settings {
                Settings { $( $name: self.$name.or(under.$name), )* }
            }

            /// The settings that map straight to a configuration field, from `config`.
            fn mapped_from(config: &ServerConfig) -> Settings {
                Settings { $( $name: from_config!($kind, config $(, $field)?), )* }
            }

            /// Sets the configuration fields these settings give (not the `custom` ones).
            fn apply_to(&self, c: &mut ServerConfig) -> Result<(), SettingsError> {
                $( to_config!($kind, self.$name, c, stringify!($name) $(, $field)?); )*
                Ok(())
            }
        }
    };
}

macro_rules! from_config {
    (plain, $c:expr, $field:ident) => {
        Some($c.$field.clone())
    };
    (secs, $c:expr, $field:ident) => {
        Some($c.$field.as_secs())
    };
    (mib, $c:expr, $field:ident) => {
        Some($c.$field / MIB)
    };
    (opt, $c:expr, $field:ident) => {
        $c.$field.clone()
    };
    (custom, $c:expr) => {
        None
    };
}

macro_rules! to_config {
    (plain, $value:expr, $c:expr, $key:expr, $field:ident) => {
        if let Some(v) = &$value {
            $c.$field = v.clone();
        }
    };
    (secs, $value:expr, $c:expr, $key:expr, $field:ident) => {
        if let Some(v) = $value {
            $c.$field = Duration::from_secs(v);
        }
    };
    (mib, $value:expr, $c:expr, $key:expr, $field:ident) => {
        if let Some(v) = $value {
            $c.$field = v
                .checked_mul(MIB)
                .ok_or_else(|| SettingsError(format!("{} {v} is too large", $key)))?;
        }
    };
    (opt, $value:expr, $c:expr, $key:expr, $field:ident) => {
        if let Some(v) = &$value {
            $c.$field = Some(v.clone());
        }
    };
    (custom, $value:expr, $c:expr, $key:expr) => {};
}

settings! {
    /// Address to listen on; port 0 picks a free port (printed at start) [default: 0.0.0.0:7878]
    #[arg(long, env = "CHAT_BIND", value_name = "ADDR")]
    bind: String => plain(bind),
    /// Directory of the account store and the self-signed certificate [default: $STATE_DIRECTORY
    /// under systemd, else the platform's data directory]
    #[arg(long, env = "CHAT_DATA_DIR", value_name = "DIR")]
    data_dir: PathBuf => custom,
    /// Also speak IRC on this address (irssi, WeeChat, HexChat…), plain text [default: off]
    #[arg(long, env = "CHAT_IRC_BIND", value_name = "ADDR")]
    irc_bind: String => opt(irc_bind),
    /// Also speak IRC with TLS (the server's certificate) on this address [default: off]
    #[arg(long, env = "CHAT_IRC_TLS_BIND", value_name = "ADDR")]
    irc_tls_bind: String => opt(irc_tls_bind),
    /// Let IRC clients without an account in as guests, under a nick that is no account's
    /// login. Guests are gone when they leave: nothing is kept for them [default: false]
    #[arg(long, env = "CHAT_IRC_GUESTS", value_name = "BOOL", num_args = 0..=1,
          require_equals = true, default_missing_value = "true",
          value_parser = BoolishValueParser::new())]
    irc_guests: bool => plain(irc_guests),
    /// The server's name as IRC clients see it, usually its host name [default: chat]
    #[arg(long, env = "CHAT_IRC_SERVER_NAME", value_name = "NAME")]
    irc_server_name: String => opt(irc_server_name),
    /// Where links to shared files point for IRC clients, such as
    /// https://chat.example.org:7878 [default: the address the client reached, on the chat port]
    #[arg(long, env = "CHAT_FILES_URL", value_name = "URL")]
    files_url: String => opt(files_url),
    /// Keep accounts, session tokens and kept private messages in PostgreSQL
    /// (`postgres://user@host:port/db`) instead of this machine's store: what the nodes of a
    /// cluster share [default: off]
    #[arg(long = "accounts", env = "CHAT_ACCOUNTS", value_name = "URL")]
    accounts: String => opt(accounts_url),
    /// Be a node of the cluster whose Redis is here (`redis://host:port`): rooms, users and
    /// what is said are shared with the other nodes (needs `--accounts`) [default: off]
    #[arg(long = "cluster", env = "CHAT_CLUSTER", value_name = "URL")]
    cluster: String => opt(cluster_url),
    /// This node's name in the cluster, unique among its nodes [default: host name and port]
    #[arg(long, env = "CHAT_NODE_NAME", value_name = "NAME")]
    node_name: String => opt(node_name),
    /// Name of the room every client lands in [default: lobby]
    #[arg(long, env = "CHAT_DEFAULT_ROOM", value_name = "NAME")]
    default_room: String => plain(default_room),
    /// Logins of the server's administrators, who keep order in every room (the default one
    /// too) and receive reports; repeat the flag, or separate by commas [default: none]
    #[arg(long = "admin", env = "CHAT_ADMINS", value_name = "LOGIN", value_delimiter = ',')]
    admins: Vec<String> => plain(admins),
    /// bcrypt cost for new passwords, 10 to 31 [default: 10]
    #[arg(long, env = "CHAT_BCRYPT_COST", value_name = "N")]
    bcrypt_cost: u32 => plain(bcrypt_cost),
    /// Accept a bcrypt cost below 10. For load tests only: such hashes are cheap to crack
    #[arg(long, env = "CHAT_ALLOW_WEAK_BCRYPT", value_name = "BOOL", num_args = 0..=1,
          require_equals = true, default_missing_value = "true",
          value_parser = BoolishValueParser::new())]
    allow_weak_bcrypt: bool => plain(allow_weak_bcrypt),
    /// Turn TLS off: passwords and messages then cross the network in clear. For local testing
    #[arg(long, env = "CHAT_NO_TLS", value_name = "BOOL", num_args = 0..=1,
          require_equals = true, default_missing_value = "true",
          value_parser = BoolishValueParser::new())]
    no_tls: bool => custom,
    /// Serve TLS with this certificate chain (PEM, leaf first) instead of the self-signed one
    #[arg(long, env = "CHAT_TLS_CERT", value_name = "PEM")]
    tls_cert: PathBuf => custom,
    /// The private key (PEM) of --tls-cert
    #[arg(long, env = "CHAT_TLS_KEY", value_name = "PEM")]
    tls_key: PathBuf => custom,
    /// Connections open at once, from everywhere [default: 10000]
    #[arg(long, env = "CHAT_MAX_CONNECTIONS", value_name = "N")]
    max_connections: usize => plain(max_connections),
    /// Connections open at once from one IP address; 0: no limit [default: 16]
    #[arg(long, env = "CHAT_MAX_CONNECTIONS_PER_IP", value_name = "N")]
    max_connections_per_ip: usize => plain(max_connections_per_ip),
    /// Seconds a new connection has to say hello and log in (the TLS handshake included; time
    /// waiting for the password check is not counted) [default: 60]
    #[arg(long, env = "CHAT_HANDSHAKE_TIMEOUT_SECS", value_name = "SECS")]
    handshake_timeout_secs: u64 => secs(handshake_timeout),
    /// Seconds of silence from a client before the server pings it [default: 90]
    #[arg(long, env = "CHAT_PING_INTERVAL_SECS", value_name = "SECS")]
    ping_interval_secs: u64 => secs(ping_interval),
    /// Seconds of silence after which a client is disconnected; more than the ping interval
    /// [default: 150]
    #[arg(long, env = "CHAT_IDLE_TIMEOUT_SECS", value_name = "SECS")]
    idle_timeout_secs: u64 => secs(idle_timeout),
    /// Seconds a client's socket may stay full before the client is dropped [default: 10]
    #[arg(long, env = "CHAT_WRITE_TIMEOUT_SECS", value_name = "SECS")]
    write_timeout_secs: u64 => secs(write_timeout),
    /// Requests a client may send at once before flood control slows it [default: 20]
    #[arg(long, env = "CHAT_FLOOD_BURST", value_name = "N")]
    flood_burst: u32 => plain(flood_burst),
    /// Sustained requests per second allowed per client; 0: no flood control [default: 5.0]
    #[arg(long, env = "CHAT_FLOOD_PER_SECOND", value_name = "RATE")]
    flood_per_second: f64 => plain(flood_per_second),
    /// Seconds a client may stay throttled without pause before it is disconnected [default: 10]
    #[arg(long, env = "CHAT_FLOOD_KICK_AFTER_SECS", value_name = "SECS")]
    flood_kick_after_secs: u64 => secs(flood_kick_after),
    /// Rooms that may exist at once, the default room included [default: 500]
    #[arg(long, env = "CHAT_MAX_ROOMS", value_name = "N")]
    max_rooms: usize => plain(max_rooms),
    /// Rooms one user may have created at once [default: 5]
    #[arg(long, env = "CHAT_MAX_ROOMS_PER_USER", value_name = "N")]
    max_rooms_per_user: usize => plain(max_rooms_per_user),
    /// Largest room whose members are told of each join and leave; larger rooms show only their
    /// member count [default: 100]
    #[arg(long, env = "CHAT_PRESENCE_LIMIT", value_name = "N")]
    presence_limit: usize => plain(presence_limit),
    /// Bytes a client's send queue may hold before it is dropped as too slow [default: 1048576]
    #[arg(long, env = "CHAT_MAX_SEND_QUEUE_BYTES", value_name = "BYTES")]
    max_send_queue_bytes: usize => plain(max_outbox_bytes),
    /// Failed logins (per address and per account) before each further attempt is delayed
    /// [default: 3]
    #[arg(long, env = "CHAT_LOGIN_FREE_FAILURES", value_name = "N")]
    login_free_failures: u32 => plain(login_free_failures),
    /// Longest delay, in seconds, imposed after failed logins [default: 60]
    #[arg(long, env = "CHAT_LOGIN_BACKOFF_MAX_SECS", value_name = "SECS")]
    login_backoff_max_secs: u64 => secs(login_backoff_max),
    /// Registrations one address may make in a burst [default: 10]
    #[arg(long, env = "CHAT_REGISTRATIONS_PER_IP", value_name = "N")]
    registrations_per_ip: u32 => plain(registrations_per_ip),
    /// Seconds for an address to earn back one registration [default: 60]
    #[arg(long, env = "CHAT_REGISTRATION_REFILL_SECS", value_name = "SECS")]
    registration_refill_secs: u64 => secs(registration_refill),
    /// Lines a created room keeps (and entering it shows) [default: 200]
    #[arg(long, env = "CHAT_HISTORY_PER_ROOM", value_name = "LINES")]
    history_per_room: usize => plain(history_per_room),
    /// Lines the default room keeps, on disk: they survive a restart [default: 1000]
    #[arg(long, env = "CHAT_DEFAULT_ROOM_HISTORY", value_name = "LINES")]
    default_room_history: usize => plain(default_room_history),
    /// Seconds without input after which a user is shown away [default: 600]
    #[arg(long, env = "CHAT_AWAY_AFTER_SECS", value_name = "SECS")]
    away_after_secs: u64 => secs(away_after),
    /// Days a session token lets a client log in again without its password [default: 30]
    #[arg(long, env = "CHAT_SESSION_DAYS", value_name = "DAYS")]
    session_days: u64 => custom,
    /// Threads sending queued frames to clients [default: number of cores]
    #[arg(long, env = "CHAT_WRITER_THREADS", value_name = "N")]
    writer_threads: usize => plain(writer_threads),
    /// Threads hashing passwords [default: number of cores - 1, at least 1]
    #[arg(long, env = "CHAT_HASH_WORKERS", value_name = "N")]
    hash_workers: usize => plain(hash_workers),
    /// Password jobs that may wait before logins are told the server is busy [default: 64]
    #[arg(long, env = "CHAT_HASH_QUEUE", value_name = "N")]
    hash_queue: usize => plain(hash_queue),
    /// Page cache of the account store, MiB [default: 64]
    #[arg(long, env = "CHAT_STORE_CACHE_MIB", value_name = "MIB")]
    store_cache_mib: u64 => mib(store_cache_bytes),
    /// Largest file one may share, in MiB [default: 25]
    #[arg(long, env = "CHAT_MAX_FILE_MB", value_name = "MIB")]
    max_file_mb: u64 => mib(max_file_bytes),
    /// MiB of shared files one account may keep at once [default: 500]
    #[arg(long, env = "CHAT_QUOTA_MB", value_name = "MIB")]
    quota_mb: u64 => mib(quota_bytes),
    /// Hours a shared file that no line carries any more stays before it is removed
    /// [default: 24]
    #[arg(long, env = "CHAT_FILE_GRACE_HOURS", value_name = "HOURS")]
    file_grace_hours: u64 => custom,
    /// Bytes a second an upload or a download must average after its first 20 s, or it is cut
    /// (an upload keeps what came; the client goes on later); 0: any pace [default: 500]
    #[arg(long, env = "CHAT_MIN_FILE_RATE", value_name = "BYTES")]
    min_file_rate: u64 => plain(min_file_rate),
    /// Serve the web client from this directory (built by scripts/web.sh) on the chat port, at
    /// `/` [default: off]
    #[arg(long, env = "CHAT_WEB_DIR", value_name = "DIR")]
    web_dir: PathBuf => opt(web_dir),
    /// Log format on standard error [default: text]
    #[arg(long, env = "CHAT_LOG_FORMAT", value_name = "FORMAT")]
    log_format: LogFormat => custom,
}

/// Seconds in a day, for `session_days`.
const DAY_SECS: u64 = 24 * 3600;

/// A setting that cannot be used; the message names the key and the file.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SettingsError(String);

const MIB: u64 = 1024 * 1024;

impl Settings {
    /// Reads a configuration file. Unknown keys are an error naming the key.
    pub fn from_file(path: &Path) -> Result<Settings, SettingsError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            SettingsError(format!(
                "cannot read the configuration file {}: {e}",
                path.display()
            ))
        })?;
        toml::from_str(&text)
            .map_err(|e| SettingsError(format!("configuration file {}: {e}", path.display())))
    }

    /// These settings, with `under`'s wherever these say nothing. TLS is one setting: if any of
    /// `no_tls`, `tls_cert`, `tls_key` is given here, `under`'s three are ignored, so a flag
    /// `--no-tls` simply turns off the file's certificate.
    #[must_use]
    pub fn over(self, mut under: Settings) -> Settings {
        if self.no_tls.is_some() || self.tls_cert.is_some() || self.tls_key.is_some() {
            under.no_tls = None;
            under.tls_cert = None;
            under.tls_key = None;
        }
        self.merged(under)
    }

    /// Every value of `config`, as the file would spell it.
    pub fn from_config(config: &ServerConfig, log_format: LogFormat) -> Settings {
        let (no_tls, tls_cert, tls_key) = match &config.tls {
            TlsSetting::Off => (true, None, None),
            TlsSetting::SelfSigned => (false, None, None),
            TlsSetting::Files { cert, key } => (false, Some(cert.clone()), Some(key.clone())),
        };
        Settings {
            data_dir: Some(config.data_dir.clone()),
            no_tls: Some(no_tls),
            tls_cert,
            tls_key,
            session_days: Some(config.session_lifetime.as_secs() / DAY_SECS),
            file_grace_hours: Some(config.file_grace.as_secs() / 3600),
            log_format: Some(log_format),
            ..Settings::mapped_from(config)
        }
    }

    /// The server configuration: these settings over the defaults, checked.
    /// `default_data_dir` is asked only when no data directory was given.
    pub fn to_config(
        &self,
        default_data_dir: impl FnOnce() -> Option<PathBuf>,
    ) -> Result<ServerConfig, SettingsError> {
        let data_dir = self
            .data_dir
            .clone()
            .or_else(default_data_dir)
            .ok_or_else(|| {
                SettingsError("no data directory could be determined; set data_dir".into())
            })?;
        let mut c = ServerConfig::new(data_dir);
        c.tls = self.tls()?;
        self.apply_to(&mut c)?;
        if let Some(days) = self.session_days {
            let secs = days
                .checked_mul(DAY_SECS)
                .ok_or_else(|| SettingsError(format!("session_days {days} is too large")))?;
            c.session_lifetime = Duration::from_secs(secs);
        }
        if let Some(hours) = self.file_grace_hours {
            let secs = hours
                .checked_mul(3600)
                .ok_or_else(|| SettingsError(format!("file_grace_hours {hours} is too large")))?;
            c.file_grace = Duration::from_secs(secs);
        }
        if c.registration_refill.is_zero() {
            return Err(SettingsError(
                "registration_refill_secs must be at least 1".into(),
            ));
        }
        c.validate().map_err(|e| SettingsError(e.to_string()))?;
        Ok(c)
    }

    fn tls(&self) -> Result<TlsSetting, SettingsError> {
        match (self.no_tls.unwrap_or(false), &self.tls_cert, &self.tls_key) {
            (true, None, None) => Ok(TlsSetting::Off),
            (true, _, _) => Err(SettingsError(
                "no_tls and tls_cert/tls_key contradict each other: choose one".into(),
            )),
            (false, Some(cert), Some(key)) => Ok(TlsSetting::Files {
                cert: cert.clone(),
                key: key.clone(),
            }),
            (false, None, None) => Ok(TlsSetting::SelfSigned),
            (false, _, _) => Err(SettingsError(
                "tls_cert and tls_key go together: give both or neither".into(),
            )),
        }
    }

    /// The settings as a TOML document (keys not given are left out).
    pub fn to_toml(&self) -> String {
        toml::to_string(self).unwrap_or_else(|e| format!("# cannot show the settings: {e}\n"))
    }
}

/// `--check-config`: everything the server would check at start, without writing anything:
/// the data directory and the self-signed certificate are not created, the store is not opened
/// and nothing listens. Returns a report for people.
pub fn check(config: &ServerConfig) -> Result<String, SettingsError> {
    let mut report = String::new();
    let addrs: Vec<_> = config
        .bind
        .to_socket_addrs()
        .map_err(|e| SettingsError(format!("bind {:?}: {e}", config.bind)))?
        .collect();
    let _ = writeln!(
        report,
        "# bind: {} resolves to {}",
        config.bind,
        addrs
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    );
    let dir = &config.data_dir;
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => {
            let store = if config.accounts_dir().exists() {
                "holds an account store"
            } else {
                "has no account store yet; one is made at start"
            };
            let _ = writeln!(report, "# data_dir: {} exists and {store}", dir.display());
        }
        Ok(_) => {
            return Err(SettingsError(format!(
                "data_dir {} exists but is not a directory",
                dir.display()
            )));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let _ = writeln!(
                report,
                "# data_dir: {} does not exist yet; it is made at start",
                dir.display()
            );
        }
        Err(e) => {
            return Err(SettingsError(format!("data_dir {}: {e}", dir.display())));
        }
    }
    let self_signed = dir.join("tls");
    let made_at_start = config.tls == TlsSetting::SelfSigned
        && !self_signed.join("cert.pem").exists()
        && !self_signed.join("key.pem").exists();
    if made_at_start {
        let _ = writeln!(
            report,
            "# TLS: a self-signed certificate is made in {} at start",
            self_signed.display()
        );
    } else {
        // With a certificate on disk (or given), loading only reads.
        match chat_server::tls::load(&config.tls, dir).map_err(|e| SettingsError(e.to_string()))? {
            Some(tls) => {
                let _ = writeln!(
                    report,
                    "# TLS: certificate {} from {}",
                    tls.fingerprint,
                    tls.cert_path.display()
                );
            }
            None => {
                let _ = writeln!(report, "# TLS: OFF, traffic is not encrypted");
            }
        }
    }
    Ok(report)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const EXAMPLE: &str = include_str!("../../../../deploy/chat-server.toml");

    /// The example file with every `# key = value` line uncommented.
    fn example_uncommented() -> String {
        EXAMPLE
            .lines()
            .filter_map(|l| {
                let l = l.strip_prefix("# ")?;
                let (key, _) = l.split_once(" = ")?;
                key.chars()
                    .all(|c| c.is_ascii_lowercase() || c == '_')
                    .then_some(l)
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn the_example_file_lists_every_key_with_its_default() {
        let example: toml::Table = toml::from_str(&example_uncommented()).unwrap();
        let dir = PathBuf::from("/var/lib/chat-server");
        let defaults = ServerConfig::new(&dir);
        let all: toml::Table =
            toml::from_str(&Settings::from_config(&defaults, LogFormat::Text).to_toml()).unwrap();
        let mut keys: Vec<_> = all.keys().cloned().collect();
        // Optional settings are absent from the defaults.
        keys.extend(
            [
                "tls_cert",
                "tls_key",
                "irc_bind",
                "irc_tls_bind",
                "irc_server_name",
                "files_url",
                "web_dir",
                "accounts",
                "cluster",
                "node_name",
            ]
            .map(str::to_owned),
        );
        for key in &keys {
            assert!(example.contains_key(key), "example file lacks {key}");
        }
        for (key, value) in &example {
            assert!(keys.contains(key), "example file has unknown key {key}");
            // Machine-dependent or optional values are shown as examples, not defaults.
            if [
                "data_dir",
                "hash_workers",
                "writer_threads",
                "tls_cert",
                "tls_key",
                "irc_bind",
                "irc_tls_bind",
                "irc_server_name",
                "files_url",
                "web_dir",
                "accounts",
                "cluster",
                "node_name",
            ]
            .contains(&key.as_str())
            {
                continue;
            }
            assert_eq!(Some(value), all.get(key), "default of {key}");
        }
        // And it parses as a configuration.
        let parsed: Settings = toml::from_str(&example_uncommented()).unwrap();
        assert!(parsed.no_tls.is_some());
    }

    #[test]
    fn unknown_keys_are_refused_by_name() {
        let err = toml::from_str::<Settings>("max_room = 3\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("max_room"), "{err}");
    }

    #[test]
    fn a_flag_wins_over_the_file_and_the_file_over_the_defaults() {
        let file: Settings =
            toml::from_str("bcrypt_cost = 12\nmax_rooms = 42\ntls_cert = \"c\"\ntls_key = \"k\"\n")
                .unwrap();
        let flags = Settings {
            bcrypt_cost: Some(11),
            no_tls: Some(true),
            ..Settings::default()
        };
        let config = flags
            .over(file)
            .to_config(|| Some(PathBuf::from("d")))
            .unwrap();
        assert_eq!(config.bcrypt_cost, 11);
        assert_eq!(config.max_rooms, 42);
        assert_eq!(config.max_rooms_per_user, 5);
        assert_eq!(config.tls, TlsSetting::Off);
        assert_eq!(config.data_dir, PathBuf::from("d"));
    }

    #[test]
    fn the_effective_settings_round_trip() {
        let mut config = ServerConfig::new("/srv/chat");
        config.max_rooms = 7;
        config.tls = TlsSetting::Files {
            cert: "/c.pem".into(),
            key: "/k.pem".into(),
        };
        let text = Settings::from_config(&config, LogFormat::Json).to_toml();
        let back: Settings = toml::from_str(&text).unwrap();
        let again = back.to_config(|| None).unwrap();
        assert_eq!(again.max_rooms, 7);
        assert_eq!(again.tls, config.tls);
        assert_eq!(back.log_format, Some(LogFormat::Json));
    }

    #[test]
    fn contradictory_tls_settings_are_refused() {
        let half: Settings = toml::from_str("tls_cert = \"c\"\n").unwrap();
        assert!(half.to_config(|| Some("d".into())).is_err());
        let both: Settings = toml::from_str("no_tls = true\ntls_key = \"k\"\n").unwrap();
        assert!(both.to_config(|| Some("d".into())).is_err());
    }
}
