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

/// Every setting an operator may give. `None` means "not given here".
#[derive(Debug, Clone, Default, PartialEq, clap::Args, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Address to listen on; port 0 picks a free port (printed at start) [default: 0.0.0.0:7878]
    #[arg(long, env = "CHAT_BIND", value_name = "ADDR")]
    pub bind: Option<String>,
    /// Directory of the account store and the self-signed certificate [default: $STATE_DIRECTORY
    /// under systemd, else the platform's data directory]
    #[arg(long, env = "CHAT_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Name of the room every client lands in [default: lobby]
    #[arg(long, env = "CHAT_DEFAULT_ROOM", value_name = "NAME")]
    pub default_room: Option<String>,
    /// bcrypt cost for new passwords, 10 to 31 [default: 10]
    #[arg(long, env = "CHAT_BCRYPT_COST", value_name = "N")]
    pub bcrypt_cost: Option<u32>,
    /// Accept a bcrypt cost below 10. For load tests only: such hashes are cheap to crack
    #[arg(long, env = "CHAT_ALLOW_WEAK_BCRYPT", value_name = "BOOL", num_args = 0..=1,
          require_equals = true, default_missing_value = "true",
          value_parser = BoolishValueParser::new())]
    pub allow_weak_bcrypt: Option<bool>,
    /// Turn TLS off: passwords and messages then cross the network in clear. For local testing
    #[arg(long, env = "CHAT_NO_TLS", value_name = "BOOL", num_args = 0..=1,
          require_equals = true, default_missing_value = "true",
          value_parser = BoolishValueParser::new())]
    pub no_tls: Option<bool>,
    /// Serve TLS with this certificate chain (PEM, leaf first) instead of the self-signed one
    #[arg(long, env = "CHAT_TLS_CERT", value_name = "PEM")]
    pub tls_cert: Option<PathBuf>,
    /// The private key (PEM) of --tls-cert
    #[arg(long, env = "CHAT_TLS_KEY", value_name = "PEM")]
    pub tls_key: Option<PathBuf>,
    /// Connections open at once, from everywhere [default: 10000]
    #[arg(long, env = "CHAT_MAX_CONNECTIONS", value_name = "N")]
    pub max_connections: Option<usize>,
    /// Connections open at once from one IP address; 0: no limit [default: 16]
    #[arg(long, env = "CHAT_MAX_CONNECTIONS_PER_IP", value_name = "N")]
    pub max_connections_per_ip: Option<usize>,
    /// Seconds a new connection has to say hello and log in [default: 60]
    #[arg(long, env = "CHAT_HANDSHAKE_TIMEOUT_SECS", value_name = "SECS")]
    pub handshake_timeout_secs: Option<u64>,
    /// Seconds of silence from a client before the server pings it [default: 90]
    #[arg(long, env = "CHAT_PING_INTERVAL_SECS", value_name = "SECS")]
    pub ping_interval_secs: Option<u64>,
    /// Seconds of silence after which a client is disconnected; more than the ping interval
    /// [default: 150]
    #[arg(long, env = "CHAT_IDLE_TIMEOUT_SECS", value_name = "SECS")]
    pub idle_timeout_secs: Option<u64>,
    /// Seconds a blocked write to a client may take before the client is dropped [default: 10]
    #[arg(long, env = "CHAT_WRITE_TIMEOUT_SECS", value_name = "SECS")]
    pub write_timeout_secs: Option<u64>,
    /// Requests a client may send at once before flood control slows it [default: 20]
    #[arg(long, env = "CHAT_FLOOD_BURST", value_name = "N")]
    pub flood_burst: Option<u32>,
    /// Sustained requests per second allowed per client; 0: no flood control [default: 5.0]
    #[arg(long, env = "CHAT_FLOOD_PER_SECOND", value_name = "RATE")]
    pub flood_per_second: Option<f64>,
    /// Seconds a client may stay throttled without pause before it is disconnected [default: 10]
    #[arg(long, env = "CHAT_FLOOD_KICK_AFTER_SECS", value_name = "SECS")]
    pub flood_kick_after_secs: Option<u64>,
    /// Rooms that may exist at once, the default room included [default: 500]
    #[arg(long, env = "CHAT_MAX_ROOMS", value_name = "N")]
    pub max_rooms: Option<usize>,
    /// Rooms one user may have created at once [default: 5]
    #[arg(long, env = "CHAT_MAX_ROOMS_PER_USER", value_name = "N")]
    pub max_rooms_per_user: Option<usize>,
    /// Largest room whose members are told of each join and leave; larger rooms show only their
    /// member count [default: 100]
    #[arg(long, env = "CHAT_PRESENCE_LIMIT", value_name = "N")]
    pub presence_limit: Option<usize>,
    /// Bytes a client's send queue may hold before it is dropped as too slow [default: 1048576]
    #[arg(long, env = "CHAT_MAX_SEND_QUEUE_BYTES", value_name = "BYTES")]
    pub max_send_queue_bytes: Option<usize>,
    /// Failed logins (per address and per account) before each further one is delayed
    /// [default: 3]
    #[arg(long, env = "CHAT_LOGIN_FREE_FAILURES", value_name = "N")]
    pub login_free_failures: Option<u32>,
    /// Longest delay, in seconds, imposed after failed logins [default: 60]
    #[arg(long, env = "CHAT_LOGIN_BACKOFF_MAX_SECS", value_name = "SECS")]
    pub login_backoff_max_secs: Option<u64>,
    /// Registrations one address may make in a burst [default: 10]
    #[arg(long, env = "CHAT_REGISTRATIONS_PER_IP", value_name = "N")]
    pub registrations_per_ip: Option<u32>,
    /// Seconds for an address to earn back one registration [default: 60]
    #[arg(long, env = "CHAT_REGISTRATION_REFILL_SECS", value_name = "SECS")]
    pub registration_refill_secs: Option<u64>,
    /// Threads sending queued frames to clients [default: number of cores]
    #[arg(long, env = "CHAT_WRITER_THREADS", value_name = "N")]
    pub writer_threads: Option<usize>,
    /// Threads hashing passwords [default: number of cores - 1, at least 1]
    #[arg(long, env = "CHAT_HASH_WORKERS", value_name = "N")]
    pub hash_workers: Option<usize>,
    /// Password jobs that may wait before logins are told the server is busy [default: 64]
    #[arg(long, env = "CHAT_HASH_QUEUE", value_name = "N")]
    pub hash_queue: Option<usize>,
    /// Page cache of the account store, MiB [default: 64]
    #[arg(long, env = "CHAT_STORE_CACHE_MIB", value_name = "MIB")]
    pub store_cache_mib: Option<u64>,
    /// Log format on standard error [default: text]
    #[arg(long, env = "CHAT_LOG_FORMAT", value_name = "FORMAT")]
    pub log_format: Option<LogFormat>,
}

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
    pub fn over(self, under: Settings) -> Settings {
        let tls_here = self.no_tls.is_some() || self.tls_cert.is_some() || self.tls_key.is_some();
        let (no_tls, tls_cert, tls_key) = if tls_here {
            (self.no_tls, self.tls_cert, self.tls_key)
        } else {
            (under.no_tls, under.tls_cert, under.tls_key)
        };
        Settings {
            bind: self.bind.or(under.bind),
            data_dir: self.data_dir.or(under.data_dir),
            default_room: self.default_room.or(under.default_room),
            bcrypt_cost: self.bcrypt_cost.or(under.bcrypt_cost),
            allow_weak_bcrypt: self.allow_weak_bcrypt.or(under.allow_weak_bcrypt),
            no_tls,
            tls_cert,
            tls_key,
            max_connections: self.max_connections.or(under.max_connections),
            max_connections_per_ip: self.max_connections_per_ip.or(under.max_connections_per_ip),
            handshake_timeout_secs: self.handshake_timeout_secs.or(under.handshake_timeout_secs),
            ping_interval_secs: self.ping_interval_secs.or(under.ping_interval_secs),
            idle_timeout_secs: self.idle_timeout_secs.or(under.idle_timeout_secs),
            write_timeout_secs: self.write_timeout_secs.or(under.write_timeout_secs),
            flood_burst: self.flood_burst.or(under.flood_burst),
            flood_per_second: self.flood_per_second.or(under.flood_per_second),
            flood_kick_after_secs: self.flood_kick_after_secs.or(under.flood_kick_after_secs),
            max_rooms: self.max_rooms.or(under.max_rooms),
            max_rooms_per_user: self.max_rooms_per_user.or(under.max_rooms_per_user),
            presence_limit: self.presence_limit.or(under.presence_limit),
            max_send_queue_bytes: self.max_send_queue_bytes.or(under.max_send_queue_bytes),
            login_free_failures: self.login_free_failures.or(under.login_free_failures),
            login_backoff_max_secs: self.login_backoff_max_secs.or(under.login_backoff_max_secs),
            registrations_per_ip: self.registrations_per_ip.or(under.registrations_per_ip),
            registration_refill_secs: self
                .registration_refill_secs
                .or(under.registration_refill_secs),
            writer_threads: self.writer_threads.or(under.writer_threads),
            hash_workers: self.hash_workers.or(under.hash_workers),
            hash_queue: self.hash_queue.or(under.hash_queue),
            store_cache_mib: self.store_cache_mib.or(under.store_cache_mib),
            log_format: self.log_format.or(under.log_format),
        }
    }

    /// Every value of `config`, as the file would spell it.
    pub fn from_config(config: &ServerConfig, log_format: LogFormat) -> Settings {
        let (no_tls, tls_cert, tls_key) = match &config.tls {
            TlsSetting::Off => (true, None, None),
            TlsSetting::SelfSigned => (false, None, None),
            TlsSetting::Files { cert, key } => (false, Some(cert.clone()), Some(key.clone())),
        };
        Settings {
            bind: Some(config.bind.clone()),
            data_dir: Some(config.data_dir.clone()),
            default_room: Some(config.default_room.clone()),
            bcrypt_cost: Some(config.bcrypt_cost),
            allow_weak_bcrypt: Some(config.allow_weak_bcrypt),
            no_tls: Some(no_tls),
            tls_cert,
            tls_key,
            max_connections: Some(config.max_connections),
            max_connections_per_ip: Some(config.max_connections_per_ip),
            handshake_timeout_secs: Some(config.handshake_timeout.as_secs()),
            ping_interval_secs: Some(config.ping_interval.as_secs()),
            idle_timeout_secs: Some(config.idle_timeout.as_secs()),
            write_timeout_secs: Some(config.write_timeout.as_secs()),
            flood_burst: Some(config.flood_burst),
            flood_per_second: Some(config.flood_per_second),
            flood_kick_after_secs: Some(config.flood_kick_after.as_secs()),
            max_rooms: Some(config.max_rooms),
            max_rooms_per_user: Some(config.max_rooms_per_user),
            presence_limit: Some(config.presence_limit),
            max_send_queue_bytes: Some(config.max_outbox_bytes),
            login_free_failures: Some(config.login_free_failures),
            login_backoff_max_secs: Some(config.login_backoff_max.as_secs()),
            registrations_per_ip: Some(config.registrations_per_ip),
            registration_refill_secs: Some(config.registration_refill.as_secs()),
            writer_threads: Some(config.writer_threads),
            hash_workers: Some(config.hash_workers),
            hash_queue: Some(config.hash_queue),
            store_cache_mib: Some(config.store_cache_bytes / MIB),
            log_format: Some(log_format),
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
        let secs = Duration::from_secs;
        set(&mut c.bind, self.bind.clone());
        set(&mut c.default_room, self.default_room.clone());
        set(&mut c.bcrypt_cost, self.bcrypt_cost);
        set(&mut c.allow_weak_bcrypt, self.allow_weak_bcrypt);
        set(&mut c.max_connections, self.max_connections);
        set(&mut c.max_connections_per_ip, self.max_connections_per_ip);
        set(
            &mut c.handshake_timeout,
            self.handshake_timeout_secs.map(secs),
        );
        set(&mut c.ping_interval, self.ping_interval_secs.map(secs));
        set(&mut c.idle_timeout, self.idle_timeout_secs.map(secs));
        set(&mut c.write_timeout, self.write_timeout_secs.map(secs));
        set(&mut c.flood_burst, self.flood_burst);
        set(&mut c.flood_per_second, self.flood_per_second);
        set(
            &mut c.flood_kick_after,
            self.flood_kick_after_secs.map(secs),
        );
        set(&mut c.max_rooms, self.max_rooms);
        set(&mut c.max_rooms_per_user, self.max_rooms_per_user);
        set(&mut c.presence_limit, self.presence_limit);
        set(&mut c.max_outbox_bytes, self.max_send_queue_bytes);
        set(&mut c.login_free_failures, self.login_free_failures);
        set(
            &mut c.login_backoff_max,
            self.login_backoff_max_secs.map(secs),
        );
        set(&mut c.registrations_per_ip, self.registrations_per_ip);
        set(
            &mut c.registration_refill,
            self.registration_refill_secs.map(secs),
        );
        set(&mut c.writer_threads, self.writer_threads);
        set(&mut c.hash_workers, self.hash_workers);
        set(&mut c.hash_queue, self.hash_queue);
        if let Some(mib) = self.store_cache_mib {
            c.store_cache_bytes = mib
                .checked_mul(MIB)
                .ok_or_else(|| SettingsError(format!("store_cache_mib {mib} is too large")))?;
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

fn set<T>(field: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *field = v;
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

    const EXAMPLE: &str = include_str!("../../deploy/chat-server.toml");

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
        keys.extend(["tls_cert".to_owned(), "tls_key".to_owned()]);
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
