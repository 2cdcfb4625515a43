//! Accounts, session tokens, kept private messages and shared files (`files`) in PostgreSQL
//! (`--accounts postgres://…`): what every node of a cluster must see alike. What was said in
//! rooms and past conversations stay in each node's sled store.
//!
//! A few connections are shared by the threads that need them (the password pool, readers
//! resuming a session, the archive of kept messages). A connection that broke (PostgreSQL
//! restarted) is dropped and made again on the next use; a statement that found it broken is
//! tried once more on a new one, so a restart costs at most the requests made while the
//! database was really down, and those get [`ServerError::Unavailable`] (a retryable error for
//! the client), never a wrong answer.
//!
//! Every call is bounded, so that a client's request is answered within two seconds whatever
//! the network does: connecting gives up after [`CONNECT_TIMEOUT`], data the database does not
//! acknowledge breaks the connection after [`TCP_USER_TIMEOUT`] (a partition: packets vanish,
//! nothing is reset), an idle connection is probed, a statement runs at most
//! [`STATEMENT_TIMEOUT`] on the server, a request waits at most [`SLOT_WAIT`] for a free
//! connection, and after a failure to connect, calls fail at once for [`DOWN_FOR`] instead of
//! each waiting for its own timeout.
//!
//! Architecture Invariant: every write is a committed statement (autocommit, or one
//! transaction) before the call returns, so a registration acknowledged to a client is in
//! PostgreSQL's write-ahead log.

mod files;

use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chat_core::protocol::{Gender, PrivateSaid};
use postgres::{Client, NoTls};

use super::{
    Account, AccountStore, Created, Kept, KeptMessages, MailStore, OFFLINE_PER_RECIPIENT,
    SessionRecord, TokenHash, TokenStore,
};
use crate::error::{Result, ServerError};

/// Connections kept open.
const CONNECTIONS: usize = 4;
/// How long connecting may take before the database counts as unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_millis(800);
/// How long sent data may stay unacknowledged before the connection counts as broken.
const TCP_USER_TIMEOUT: Duration = Duration::from_millis(800);
/// An idle connection is probed after this long, then every second.
const KEEPALIVE_IDLE: Duration = Duration::from_secs(1);
/// The longest a statement runs on the server.
const STATEMENT_TIMEOUT: Duration = Duration::from_millis(1_500);
/// The longest a call waits for a free connection.
const SLOT_WAIT: Duration = Duration::from_millis(400);
/// After a failure to connect, calls fail at once for this long.
const DOWN_FOR: Duration = Duration::from_millis(500);
/// A broken connection is replaced and the statement tried again only if it failed this fast
/// (a connection a restart closed, not one that timed out).
const RETRY_IF_FAILED_WITHIN: Duration = Duration::from_millis(200);

/// The tables, made if absent (under an advisory lock: nodes starting together race otherwise).
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS accounts (
    login_key     TEXT PRIMARY KEY,
    login         TEXT NOT NULL,
    first_names   TEXT NOT NULL,
    last_names    TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    age           SMALLINT NOT NULL,
    gender        TEXT NOT NULL,
    created_ms    BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash BYTEA PRIMARY KEY,
    login_key  TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    expires_ms BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_by_login ON sessions (login_key, created_ms);
CREATE TABLE IF NOT EXISTS kept (
    seq           BIGSERIAL PRIMARY KEY,
    recipient_key TEXT NOT NULL,
    message       BYTEA NOT NULL
);
CREATE INDEX IF NOT EXISTS kept_by_recipient ON kept (recipient_key, seq);
CREATE TABLE IF NOT EXISTS kept_dropped (
    recipient_key TEXT PRIMARY KEY,
    dropped       BIGINT NOT NULL
);
";

/// A lock number of our own for making the schema.
const SCHEMA_LOCK: i64 = 0x6368_6174; // "chat"

/// The PostgreSQL store.
pub struct Postgres {
    config: postgres::Config,
    /// Where it is, without the password (for messages).
    shown: String,
    slots: Vec<Mutex<Option<Client>>>,
    next: AtomicUsize,
    /// Until when calls fail at once (the database could not be reached a moment ago).
    down_until: Mutex<Option<Instant>>,
}

impl std::fmt::Debug for Postgres {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Postgres")
            .field("at", &self.shown)
            .finish_non_exhaustive()
    }
}

fn unavailable(e: impl std::fmt::Display) -> ServerError {
    ServerError::Unavailable {
        what: "the account database",
        reason: e.to_string(),
    }
}

impl Postgres {
    /// Connects to `url` (`postgres://user@host:port/db`) and makes the tables if absent.
    /// Fails if the database cannot be reached now: a node does not start without its
    /// accounts.
    pub fn connect(url: &str) -> Result<Self> {
        let mut config = postgres::Config::from_str(url)
            .map_err(|e| ServerError::Config(format!("--accounts {url:?}: {e}")))?;
        config.connect_timeout(CONNECT_TIMEOUT);
        config.tcp_user_timeout(TCP_USER_TIMEOUT);
        config.keepalives(true);
        config.keepalives_idle(KEEPALIVE_IDLE);
        config.keepalives_interval(Duration::from_secs(1));
        config.keepalives_retries(1);
        let timeout = format!("-c statement_timeout={}", STATEMENT_TIMEOUT.as_millis());
        let options = match config.get_options() {
            Some(given) => format!("{given} {timeout}"),
            None => timeout,
        };
        config.options(&options);
        if config.get_application_name().is_none() {
            config.application_name("chat-server");
        }
        let shown = format!(
            "{:?}:{:?}/{}",
            config.get_hosts(),
            config.get_ports(),
            config.get_dbname().unwrap_or("")
        );
        let store = Postgres {
            config,
            shown,
            slots: (0..CONNECTIONS).map(|_| Mutex::new(None)).collect(),
            next: AtomicUsize::new(0),
            down_until: Mutex::new(None),
        };
        store.with(|c| {
            let mut tx = c.transaction()?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK])?;
            tx.batch_execute(SCHEMA)?;
            tx.batch_execute(files::SCHEMA)?;
            tx.commit()
        })?;
        store.fill_file_owners()?;
        Ok(store)
    }

    /// A free connection slot, waiting at most [`SLOT_WAIT`] for one.
    fn slot(&self) -> Result<MutexGuard<'_, Option<Client>>> {
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let deadline = Instant::now() + SLOT_WAIT;
        loop {
            for i in 0..self.slots.len() {
                let slot = &self.slots[(start + i) % self.slots.len()];
                match slot.try_lock() {
                    Ok(guard) => return Ok(guard),
                    // A panic while holding a connection leaves at worst a broken connection,
                    // which the next use finds and replaces.
                    Err(std::sync::TryLockError::Poisoned(p)) => return Ok(p.into_inner()),
                    Err(std::sync::TryLockError::WouldBlock) => {}
                }
            }
            if Instant::now() >= deadline {
                return Err(unavailable("every connection is busy"));
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    fn down_until(&self) -> MutexGuard<'_, Option<Instant>> {
        self.down_until.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A new connection, unless the database could not be reached a moment ago.
    fn open(&self) -> Result<Client> {
        if self
            .down_until()
            .is_some_and(|until| Instant::now() < until)
        {
            return Err(unavailable("it could not be reached a moment ago"));
        }
        self.config.connect(NoTls).map_err(|e| {
            *self.down_until() = Some(Instant::now() + DOWN_FOR);
            unavailable(e)
        })
    }

    /// Runs `f` on a connection; a connection found broken at once (closed by a restart) is
    /// replaced and `f` tried once more.
    fn with<T>(&self, mut f: impl FnMut(&mut Client) -> Result<T, postgres::Error>) -> Result<T> {
        let mut slot = self.slot()?;
        for attempt in 0..2 {
            let reused = slot.is_some();
            if slot.is_none() {
                *slot = Some(self.open()?);
            }
            let Some(client) = slot.as_mut() else {
                continue;
            };
            let started = Instant::now();
            match f(client) {
                Ok(v) => return Ok(v),
                Err(e) if e.code() == Some(&postgres::error::SqlState::QUERY_CANCELED) => {
                    // Ran past the statement timeout: the database is there but too slow now.
                    return Err(unavailable(e));
                }
                Err(e) if e.as_db_error().is_some() && !ends_connection(&e) => {
                    return Err(ServerError::Database(
                        e.as_db_error()
                            .map_or_else(|| e.to_string(), ToString::to_string),
                    ));
                }
                Err(e) => {
                    // The connection is broken (closed, reset, timed out): make a new one.
                    *slot = None;
                    let fast = started.elapsed() < RETRY_IF_FAILED_WITHIN;
                    if !reused || attempt == 1 || !fast {
                        return Err(unavailable(e));
                    }
                    tracing::warn!("the account database connection broke ({e}); reconnecting");
                }
            }
        }
        Err(unavailable("no connection"))
    }
}

/// Whether the database ended the connection (its backend quit: a restart, the postmaster
/// gone; such a message waits in the socket until the next statement reads it), rather than
/// refusing one statement.
fn ends_connection(e: &postgres::Error) -> bool {
    e.as_db_error().is_some_and(|d| {
        matches!(d.severity(), "FATAL" | "PANIC")
            || d.code().code().starts_with("08")
            || d.code().code().starts_with("57P")
    })
}

fn gender_name(g: Gender) -> &'static str {
    match g {
        Gender::Female => "female",
        Gender::Male => "male",
        Gender::NonBinary => "non_binary",
        Gender::Other => "other",
        Gender::PreferNotToSay => "prefer_not_to_say",
    }
}

fn gender_named(name: &str) -> Gender {
    match name {
        "female" => Gender::Female,
        "male" => Gender::Male,
        "non_binary" => Gender::NonBinary,
        "other" => Gender::Other,
        _ => Gender::PreferNotToSay,
    }
}

const ACCOUNT_COLUMNS: &str =
    "login, first_names, last_names, password_hash, age, gender, created_ms";

fn account(row: &postgres::Row) -> Result<Account, postgres::Error> {
    let age: i16 = row.try_get(4)?;
    let gender: String = row.try_get(5)?;
    Ok(Account {
        login: row.try_get(0)?,
        first_names: row.try_get(1)?,
        last_names: row.try_get(2)?,
        password_hash: row.try_get(3)?,
        age: u8::try_from(age).unwrap_or(0),
        gender: gender_named(&gender),
        created_ms: row.try_get(6)?,
    })
}

impl AccountStore for Postgres {
    fn create(&self, a: &Account) -> Result<Created> {
        let key = chat_core::validate::login_key(&a.login);
        let added = self.with(|c| {
            c.execute(
                "INSERT INTO accounts (login_key, login, first_names, last_names, password_hash, \
                 age, gender, created_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                 ON CONFLICT (login_key) DO NOTHING",
                &[
                    &key,
                    &a.login,
                    &a.first_names,
                    &a.last_names,
                    &a.password_hash,
                    &i16::from(a.age),
                    &gender_name(a.gender),
                    &a.created_ms,
                ],
            )
        })?;
        Ok(if added == 1 {
            Created::Yes
        } else {
            Created::LoginTaken
        })
    }

    fn get(&self, login: &str) -> Result<Option<Account>> {
        let key = chat_core::validate::login_key(login);
        self.with(|c| {
            c.query_opt(
                &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE login_key = $1"),
                &[&key],
            )?
            .as_ref()
            .map(account)
            .transpose()
        })
    }

    fn all(&self) -> Result<Vec<Account>> {
        self.with(|c| {
            c.query(
                &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts ORDER BY login_key"),
                &[],
            )?
            .iter()
            .map(account)
            .collect()
        })
    }
}

impl TokenStore for Postgres {
    fn insert(&self, hash: &TokenHash, record: &SessionRecord, keep: usize) -> Result<()> {
        let keep = i64::try_from(keep).unwrap_or(i64::MAX);
        self.with(|c| {
            let mut tx = c.transaction()?;
            tx.execute(
                "INSERT INTO sessions (token_hash, login_key, created_ms, expires_ms) \
                 VALUES ($1, $2, $3, $4)",
                &[
                    &&hash[..],
                    &record.login_key,
                    &record.created_ms,
                    &record.expires_ms,
                ],
            )?;
            tx.execute(
                "DELETE FROM sessions WHERE token_hash IN (SELECT token_hash FROM sessions \
                 WHERE login_key = $1 ORDER BY created_ms DESC OFFSET $2)",
                &[&record.login_key, &keep],
            )?;
            tx.commit()
        })
    }

    fn get(&self, hash: &TokenHash) -> Result<Option<SessionRecord>> {
        self.with(|c| {
            let row = c.query_opt(
                "SELECT login_key, created_ms, expires_ms FROM sessions WHERE token_hash = $1",
                &[&&hash[..]],
            )?;
            row.map(|r| {
                Ok(SessionRecord {
                    login_key: r.try_get(0)?,
                    created_ms: r.try_get(1)?,
                    expires_ms: r.try_get(2)?,
                })
            })
            .transpose()
        })
    }

    fn remove(&self, hashes: &[TokenHash]) -> Result<()> {
        if hashes.is_empty() {
            return Ok(());
        }
        let keys: Vec<&[u8]> = hashes.iter().map(|h| &h[..]).collect();
        self.with(|c| c.execute("DELETE FROM sessions WHERE token_hash = ANY($1)", &[&keys]))?;
        Ok(())
    }

    fn remove_account(&self, login_key: &str) -> Result<()> {
        self.with(|c| c.execute("DELETE FROM sessions WHERE login_key = $1", &[&login_key]))?;
        Ok(())
    }

    fn sweep(&self, now_ms: i64) -> Result<()> {
        self.with(|c| c.execute("DELETE FROM sessions WHERE expires_ms <= $1", &[&now_ms]))?;
        Ok(())
    }
}

impl MailStore for Postgres {
    fn keep(&self, said: &PrivateSaid) -> Result<()> {
        let recipient_key = chat_core::validate::login_key(&said.to);
        let kept = Kept { said: said.clone() };
        let message = rmp_serde::to_vec_named(&kept).map_err(|e| ServerError::CorruptRecord {
            what: "kept message",
            reason: e.to_string(),
        })?;
        let most = i64::try_from(OFFLINE_PER_RECIPIENT).unwrap_or(i64::MAX);
        self.with(|c| {
            let mut tx = c.transaction()?;
            tx.execute(
                "INSERT INTO kept (recipient_key, message) VALUES ($1, $2)",
                &[&recipient_key, &message],
            )?;
            let dropped = tx.execute(
                "DELETE FROM kept WHERE seq IN (SELECT seq FROM kept WHERE recipient_key = $1 \
                 ORDER BY seq DESC OFFSET $2)",
                &[&recipient_key, &most],
            )?;
            if dropped > 0 {
                tx.execute(
                    "INSERT INTO kept_dropped (recipient_key, dropped) VALUES ($1, $2) \
                     ON CONFLICT (recipient_key) DO UPDATE \
                     SET dropped = kept_dropped.dropped + EXCLUDED.dropped",
                    &[&recipient_key, &i64::try_from(dropped).unwrap_or(i64::MAX)],
                )?;
            }
            tx.commit()
        })
    }

    fn kept_for(&self, recipient_key: &str) -> Result<Option<KeptMessages>> {
        let (rows, dropped) = self.with(|c| {
            let rows = c.query(
                "SELECT seq, message FROM kept WHERE recipient_key = $1 ORDER BY seq",
                &[&recipient_key],
            )?;
            let dropped: Option<i64> = c
                .query_opt(
                    "SELECT dropped FROM kept_dropped WHERE recipient_key = $1",
                    &[&recipient_key],
                )?
                .map(|r| r.try_get(0))
                .transpose()?;
            let rows = rows
                .iter()
                .map(|r| Ok((r.try_get::<_, i64>(0)?, r.try_get::<_, Vec<u8>>(1)?)))
                .collect::<Result<Vec<_>, postgres::Error>>()?;
            Ok((rows, dropped.unwrap_or(0)))
        })?;
        if rows.is_empty() && dropped == 0 {
            return Ok(None);
        }
        let mut messages = Vec::with_capacity(rows.len());
        for (seq, bytes) in rows {
            match rmp_serde::from_slice::<Kept>(&bytes) {
                Ok(kept) => messages.push((u64::try_from(seq).unwrap_or(0), kept)),
                Err(e) => tracing::error!("an unreadable kept message: {e}"),
            }
        }
        Ok(Some(KeptMessages {
            messages,
            dropped: u64::try_from(dropped).unwrap_or(0),
        }))
    }

    fn changed(&self, said: &PrivateSaid) -> Result<()> {
        let recipient_key = chat_core::validate::login_key(&said.to);
        let kept = rmp_serde::to_vec_named(&Kept { said: said.clone() }).map_err(|e| {
            ServerError::CorruptRecord {
                what: "kept message",
                reason: e.to_string(),
            }
        })?;
        self.with(|c| {
            let mut tx = c.transaction()?;
            // A recipient's kept messages are few (at most `OFFLINE_PER_RECIPIENT`) and
            // changes rare: read through, rather than a column for every message's id.
            let rows = tx.query(
                "SELECT seq, message FROM kept WHERE recipient_key = $1 FOR UPDATE",
                &[&recipient_key],
            )?;
            for row in rows {
                let (seq, bytes): (i64, Vec<u8>) = (row.try_get(0)?, row.try_get(1)?);
                let same = rmp_serde::from_slice::<Kept>(&bytes)
                    .is_ok_and(|k| k.said.id == said.id && k.said.from == said.from);
                if same {
                    tx.execute(
                        "UPDATE kept SET message = $1 WHERE seq = $2",
                        &[&kept, &seq],
                    )?;
                }
            }
            tx.commit()
        })
    }

    fn holds(&self, recipient_key: &str, id: u64) -> Result<bool> {
        let rows = self.with(|c| {
            c.query(
                "SELECT message FROM kept WHERE recipient_key = $1",
                &[&recipient_key],
            )
        })?;
        Ok(rows.iter().any(|row| {
            row.try_get::<_, Vec<u8>>(0)
                .ok()
                .and_then(|bytes| rmp_serde::from_slice::<Kept>(&bytes).ok())
                .is_some_and(|k| k.said.id == id)
        }))
    }

    fn delivered(&self, recipient_key: &str, up_to: u64) -> Result<()> {
        let up_to = i64::try_from(up_to).unwrap_or(i64::MAX);
        self.with(|c| {
            let mut tx = c.transaction()?;
            tx.execute(
                "DELETE FROM kept WHERE recipient_key = $1 AND seq <= $2",
                &[&recipient_key, &up_to],
            )?;
            tx.execute(
                "DELETE FROM kept_dropped WHERE recipient_key = $1",
                &[&recipient_key],
            )?;
            tx.commit()
        })
    }
}
