//! Server settings, with the defaults a small public server should have.

use std::path::PathBuf;
use std::time::Duration;

use crate::clock::ServerClock;
use crate::error::{Result, ServerError};
use crate::tls::TlsSetting;

/// Everything the server can be told. [`ServerConfig::new`] gives the defaults for a data
/// directory; the binary fills it from flags.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Address to listen on (`host:port`; port 0 picks a free one).
    pub bind: String,
    /// The server's data: the account store in `accounts/`, a self-signed certificate in `tls/`.
    pub data_dir: PathBuf,
    /// TLS: on with a self-signed certificate by default.
    pub tls: TlsSetting,
    /// Name of the room every client lands in.
    pub default_room: String,
    /// bcrypt cost (work factor) for new passwords; at least [`MIN_BCRYPT_COST`] unless
    /// `allow_weak_bcrypt`.
    pub bcrypt_cost: u32,
    /// Accept a cost down to [`MIN_WEAK_BCRYPT_COST`]: for load tests only, where thousands of
    /// accounts must log in quickly. Such hashes are cheap to crack.
    pub allow_weak_bcrypt: bool,
    /// Threads that hash and verify passwords, so logins cannot starve chat traffic.
    pub hash_workers: usize,
    /// Password jobs that may wait for a worker before logins are told the server is busy.
    pub hash_queue: usize,
    /// Threads that write queued frames to clients' sockets (shared by all clients).
    pub writer_threads: usize,
    /// Bytes a client's send queue may hold before it is disconnected as a slow consumer.
    pub max_outbox_bytes: usize,
    /// Rooms that may exist at once, the default room included.
    pub max_rooms: usize,
    /// Time a new connection has to say hello and log in.
    pub handshake_timeout: Duration,
    /// Time a client's socket may stay full (nothing of what is queued for it can be sent)
    /// before the client is dropped.
    pub write_timeout: Duration,
    /// sled's page cache, bytes.
    pub store_cache_bytes: u64,
    /// Connections open at once, from everywhere.
    pub max_connections: usize,
    /// Connections open at once from one IP address (0: no limit).
    pub max_connections_per_ip: usize,
    /// Silence from a logged-in client after which the server sends a `ping`.
    pub ping_interval: Duration,
    /// Silence after which a client is disconnected (must exceed `ping_interval`).
    pub idle_timeout: Duration,
    /// Requests a client may send at once before flood control delays it.
    pub flood_burst: u32,
    /// Sustained requests per second allowed per client (0: no flood control).
    pub flood_per_second: f64,
    /// A client delayed by flood control without pause for this long is disconnected.
    pub flood_kick_after: Duration,
    /// Rooms one user may have created at once.
    pub max_rooms_per_user: usize,
    /// Largest room whose members are told of each join and leave (`joined`, `left`); larger
    /// rooms show their member count in the room list instead.
    pub presence_limit: usize,
    /// Failed logins (per address and per account) before each further one is delayed.
    pub login_free_failures: u32,
    /// Longest delay imposed after failed logins.
    pub login_backoff_max: Duration,
    /// Registrations one address may make at once.
    pub registrations_per_ip: u32,
    /// Time to earn back one registration for an address.
    pub registration_refill: Duration,
    /// How long a session token logs in (`resume`) after the password login that issued it.
    pub session_lifetime: Duration,
    /// Lines a created room keeps in memory (and that entering it shows).
    pub history_per_room: usize,
    /// Lines the default room keeps, on disk (they survive a restart).
    pub default_room_history: usize,
    /// Time without input after which a user is shown away.
    pub away_after: Duration,
    /// Where IRC clients connect in plain text (`host:port`); off when `None`.
    pub irc_bind: Option<String>,
    /// Where IRC clients connect with TLS (the server's certificate); off when `None`.
    pub irc_tls_bind: Option<String>,
    /// Let IRC clients without an account in, as guests under a nick no account uses. Off by
    /// default: every user of the system is then an account.
    pub irc_guests: bool,
    /// The server's name on IRC (in numerics, `PONG`, users' masks); `chat` when `None`.
    pub irc_server_name: Option<String>,
    /// Accounts, session tokens and kept messages in this PostgreSQL database
    /// (`postgres://user@host:port/db`) instead of the sled store: what the nodes of a cluster
    /// share.
    pub accounts_url: Option<String>,
    /// Join the cluster whose Redis is here (`redis://host:port`); a single server when `None`.
    pub cluster_url: Option<String>,
    /// This node's name in the cluster (unique); the host name and port when `None`.
    pub node_name: Option<String>,
    /// Logins of the administrators: they keep order in every room and receive reports.
    pub admins: Vec<String>,
    /// Largest file one may share, in bytes.
    pub max_file_bytes: u64,
    /// Bytes of files one account may keep at once.
    pub quota_bytes: u64,
    /// How long a file nothing carries any more (nor ever did) stays before it is removed.
    pub file_grace: Duration,
    /// Bytes a second an upload's body or a download must average once `file_rate_grace` has
    /// passed, or it is cut (an upload keeps what came); 0: any pace.
    pub min_file_rate: u64,
    /// How long a file's bytes may take before `min_file_rate` applies.
    pub file_rate_grace: Duration,
    /// The web client's bundle (a directory with its `index.html`), served on the chat port;
    /// none when `None`.
    pub web_dir: Option<std::path::PathBuf>,
    /// Where links to shared files point for clients that cannot send a header (IRC's), such
    /// as `https://chat.example.org:7878`; when `None`, the address the client reached the
    /// server at, on the chat port.
    pub files_url: Option<String>,
    /// The time the server reads (see `clock`): the real clock; tests drive one ahead.
    pub clock: ServerClock,
}

/// The lowest bcrypt cost accepted (about 70 ms per hash on a 2-core machine).
pub const MIN_BCRYPT_COST: u32 = 10;
/// The lowest bcrypt cost accepted with `allow_weak_bcrypt` (bcrypt's own minimum).
pub const MIN_WEAK_BCRYPT_COST: u32 = 4;
/// Default bcrypt cost.
pub const DEFAULT_BCRYPT_COST: u32 = 10;
/// Default listening address.
pub const DEFAULT_BIND: &str = "0.0.0.0:7878";
/// Default name of the default room.
pub const DEFAULT_ROOM: &str = "lobby";

impl ServerConfig {
    /// The defaults, keeping accounts in `data_dir`.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        ServerConfig {
            bind: DEFAULT_BIND.to_owned(),
            data_dir: data_dir.into(),
            tls: TlsSetting::SelfSigned,
            default_room: DEFAULT_ROOM.to_owned(),
            bcrypt_cost: DEFAULT_BCRYPT_COST,
            allow_weak_bcrypt: false,
            hash_workers: (cores - 1).max(1),
            hash_queue: 64,
            writer_threads: cores,
            max_outbox_bytes: 1024 * 1024,
            max_rooms: 500,
            handshake_timeout: Duration::from_secs(60),
            write_timeout: Duration::from_secs(10),
            store_cache_bytes: 64 * 1024 * 1024,
            max_connections: 10_000,
            max_connections_per_ip: 16,
            ping_interval: Duration::from_secs(90),
            idle_timeout: Duration::from_secs(150),
            flood_burst: 20,
            flood_per_second: 5.0,
            flood_kick_after: Duration::from_secs(10),
            max_rooms_per_user: 5,
            presence_limit: 100,
            login_free_failures: 3,
            login_backoff_max: Duration::from_secs(60),
            registrations_per_ip: 10,
            registration_refill: Duration::from_secs(60),
            session_lifetime: Duration::from_secs(30 * 24 * 3600),
            history_per_room: 200,
            default_room_history: 1_000,
            away_after: Duration::from_secs(600),
            irc_bind: None,
            irc_tls_bind: None,
            irc_guests: false,
            irc_server_name: None,
            accounts_url: None,
            cluster_url: None,
            node_name: None,
            admins: Vec::new(),
            max_file_bytes: 25 * 1024 * 1024,
            quota_bytes: 500 * 1024 * 1024,
            file_grace: Duration::from_secs(24 * 3600),
            min_file_rate: 500,
            file_rate_grace: Duration::from_secs(20),
            web_dir: None,
            files_url: None,
            clock: ServerClock::real(),
        }
    }

    /// Where the account store lives.
    pub fn accounts_dir(&self) -> PathBuf {
        self.data_dir.join("accounts")
    }

    /// Checks every value; the error says which one is wrong and why.
    pub fn validate(&self) -> Result<()> {
        chat_core::validate::room(&self.default_room).map_err(|e| {
            ServerError::Config(format!("default room {:?}: {e}", self.default_room))
        })?;
        if let Some(name) = &self.irc_server_name {
            let fits = !name.is_empty()
                && name.len() <= 63
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
            if !fits {
                return Err(ServerError::Config(format!(
                    "irc_server_name {name:?}: use a host name (letters, digits, dots and \
                     dashes, at most 63)"
                )));
            }
        }
        if let Some(url) = &self.files_url {
            let fits = (url.starts_with("http://") || url.starts_with("https://"))
                && !url.contains(['?', '#', ' '])
                && url.chars().all(|c| c.is_ascii_graphic());
            if !fits {
                return Err(ServerError::Config(format!(
                    "files_url {url:?}: an http:// or https:// address, such as \
                     https://chat.example.org:7878"
                )));
            }
        }
        if self.cluster_url.is_some() && self.accounts_url.is_none() {
            return Err(ServerError::Config(
                "a node of a cluster keeps its accounts where the other nodes see them: give \
                 accounts = \"postgres://…\" (--accounts) with cluster (--cluster)"
                    .into(),
            ));
        }
        let min_cost = if self.allow_weak_bcrypt {
            MIN_WEAK_BCRYPT_COST
        } else {
            MIN_BCRYPT_COST
        };
        if !(min_cost..=31).contains(&self.bcrypt_cost) {
            return Err(ServerError::Config(format!(
                "bcrypt cost must be {min_cost} to 31, not {}{}",
                self.bcrypt_cost,
                if self.allow_weak_bcrypt {
                    ""
                } else {
                    " (lower costs need --allow-weak-bcrypt, for benchmarks only)"
                }
            )));
        }
        if self.hash_workers == 0 || self.hash_queue == 0 {
            return Err(ServerError::Config(
                "hash workers and queue must be at least 1".into(),
            ));
        }
        if self.writer_threads == 0 {
            return Err(ServerError::Config(
                "writer threads must be at least 1".into(),
            ));
        }
        if self.max_outbox_bytes < chat_core::limits::MAX_FRAME_BYTES {
            return Err(ServerError::Config(format!(
                "the send queue must hold at least one frame ({} bytes)",
                chat_core::limits::MAX_FRAME_BYTES
            )));
        }
        if self.idle_timeout <= self.ping_interval {
            return Err(ServerError::Config(
                "the idle timeout must be longer than the ping interval".into(),
            ));
        }
        if !self.flood_per_second.is_finite() || self.flood_per_second < 0.0 {
            return Err(ServerError::Config(
                "flood rate must be 0 (off) or positive".into(),
            ));
        }
        if self.max_connections == 0 || self.max_rooms_per_user == 0 {
            return Err(ServerError::Config(
                "max connections and rooms per user must be at least 1".into(),
            ));
        }
        if self.max_rooms == 0 {
            return Err(ServerError::Config("max rooms must be at least 1".into()));
        }
        if self.history_per_room > 100_000 || self.default_room_history > 100_000 {
            return Err(ServerError::Config(
                "room history is kept in memory: at most 100,000 lines a room".into(),
            ));
        }
        if self.away_after.is_zero() {
            return Err(ServerError::Config(
                "the idle time before away must be at least 1 second".into(),
            ));
        }
        Ok(())
    }
}
