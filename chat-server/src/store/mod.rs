//! What the server keeps on disk, in one sled database: accounts, session tokens, and what was
//! said (see `said`).
//!
//! Accounts, session tokens and private messages kept for offline users are reached through
//! three small traits ([`AccountStore`], [`TokenStore`], [`MailStore`]): sled on this machine
//! by default, or PostgreSQL (`postgres`) when the nodes of a cluster must share them.
//!
//! Architecture Invariants:
//! - a write the server acknowledges (a registration, a session token, a revocation) is
//!   acknowledged only after `flush()` returned, so it survives `kill -9`;
//! - a store that fails to open stops the server; it is never replaced or repaired silently.

mod accounts;
pub(crate) mod archive;
pub mod files;
mod forgetting;
#[cfg(feature = "cluster")]
mod postgres;
mod said;
mod sessions;

use std::path::Path;

pub use accounts::{Account, Accounts, Created};
pub use forgetting::Forgetting;
#[cfg(feature = "cluster")]
pub use postgres::Postgres;
pub use said::{CONVERSATION_KEPT, Kept, KeptMessages, OFFLINE_PER_RECIPIENT, Place, SaidStore};
pub use sessions::{LocalTokens, SessionRecord, SessionStore, TokenHash};

use chat_core::protocol::PrivateSaid;

use crate::error::{Result, ServerError};

/// How long opening waits for another holder of the store's lock to let go.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// The database and its trees. Cheap to clone (sled's handles are shared).
#[derive(Debug, Clone)]
pub struct Store {
    db: sled::Db,
    /// Registered users.
    pub accounts: Accounts,
    /// Session tokens (their hashes).
    pub sessions: SessionStore,
    /// What was said: the default room's history, kept and past private messages.
    pub said: SaidStore,
}

impl Store {
    /// The shared files, with their bytes under `root`.
    pub fn files(&self, root: &Path) -> Result<files::FileStore> {
        files::FileStore::open(&self.db, root)
    }

    /// Opens (or creates) the store in `dir`, with a page cache of `cache_bytes`.
    pub fn open(dir: &Path, cache_bytes: u64) -> Result<Self> {
        let open_err = |source| ServerError::StoreOpen {
            path: dir.to_owned(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(|e| open_err(sled::Error::Io(e)))?;
        // sled's file lock outlives a closed database for a moment (its flusher thread lets go
        // of it last): a store just closed in this process, or by a server that is stopping,
        // is waited for briefly; one held by a running server is an error after that.
        let deadline = std::time::Instant::now() + LOCK_WAIT;
        let db = loop {
            match sled::Config::new()
                .path(dir)
                .cache_capacity(cache_bytes)
                .open()
            {
                Ok(db) => break db,
                Err(sled::Error::Io(e))
                    if e.to_string().contains("could not acquire lock")
                        && std::time::Instant::now() < deadline =>
                {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                Err(e) => return Err(open_err(e)),
            }
        };
        let accounts = Accounts::new(db.clone(), db.open_tree("accounts").map_err(open_err)?);
        let sessions = SessionStore::new(db.clone(), db.open_tree("sessions").map_err(open_err)?);
        let said = SaidStore::open(&db).map_err(open_err)?;
        Ok(Store {
            db,
            accounts,
            sessions,
            said,
        })
    }

    /// Writes everything to disk.
    pub fn flush(&self) -> Result<()> {
        self.db.flush()?;
        Ok(())
    }
}

/// Where accounts live.
pub trait AccountStore: Send + Sync + std::fmt::Debug {
    /// Stores a new account unless its login is taken (in any case); durable before `Yes`.
    fn create(&self, account: &Account) -> Result<Created>;
    /// The account with this login (any case).
    fn get(&self, login: &str) -> Result<Option<Account>>;
    /// Every account, ordered by login key.
    fn all(&self) -> Result<Vec<Account>>;
    /// Whether this machine alone writes the store (so the directory loaded at start, plus this
    /// server's registrations, is every account).
    fn is_local(&self) -> bool {
        false
    }
}

impl AccountStore for Accounts {
    fn create(&self, account: &Account) -> Result<Created> {
        Accounts::create(self, account)
    }

    fn get(&self, login: &str) -> Result<Option<Account>> {
        Accounts::get(self, login)
    }

    fn all(&self) -> Result<Vec<Account>> {
        Accounts::all(self)
    }

    fn is_local(&self) -> bool {
        true
    }
}

/// Where session tokens (their hashes) live.
pub trait TokenStore: Send + Sync + std::fmt::Debug {
    /// Stores a token, then drops the account's oldest beyond `keep`; durable before it returns.
    fn insert(&self, hash: &TokenHash, record: &SessionRecord, keep: usize) -> Result<()>;
    /// A token's record, if it is stored (expired or not).
    fn get(&self, hash: &TokenHash) -> Result<Option<SessionRecord>>;
    /// Removes tokens; durable before it returns.
    fn remove(&self, hashes: &[TokenHash]) -> Result<()>;
    /// Removes every token of an account; durable before it returns.
    fn remove_account(&self, login_key: &str) -> Result<()>;
    /// Removes tokens expired at `now_ms`.
    fn sweep(&self, now_ms: i64) -> Result<()>;
    /// Tokens held (for the start-up log); `None` when counting would cost a query.
    fn count(&self) -> Option<usize> {
        None
    }
}

/// Where private messages for offline users wait.
pub trait MailStore: Send + Sync + std::fmt::Debug {
    /// Keeps a message for its offline recipient; durable before it returns.
    fn keep(&self, said: &PrivateSaid) -> Result<()>;
    /// The messages kept for a user (oldest first, with their sequence numbers) and how many
    /// were dropped; `None` when there are none.
    fn kept_for(&self, recipient_key: &str) -> Result<Option<KeptMessages>>;
    /// Forgets a user's kept messages up to `up_to`, once handed to the user's connection.
    fn delivered(&self, recipient_key: &str, up_to: u64) -> Result<()>;
    /// A private message changed (edited, deleted, its reactions): a copy of it still kept for
    /// its recipient is rewritten, so it arrives as it is now. The machine's own mailbox is
    /// rewritten with its conversation (`SaidStore::replace_private`): nothing to do here.
    fn changed(&self, _said: &PrivateSaid) -> Result<()> {
        Ok(())
    }
    /// Whether message `id` still waits for `recipient_key` here. The machine's own mailbox is
    /// asked through the archive, with its conversations (`archive::Whereabouts`).
    fn holds(&self, _recipient_key: &str, _id: u64) -> Result<bool> {
        Ok(false)
    }
    /// Whether this store is the machine's own (the archive keeps conversations with the kept
    /// messages), rather than shared by nodes.
    fn is_local(&self) -> bool {
        false
    }
}
