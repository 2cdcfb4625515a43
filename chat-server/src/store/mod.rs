//! What the server keeps on disk, in one sled database: accounts, session tokens, and what was
//! said (see `said`).
//!
//! Architecture Invariants:
//! - a write the server acknowledges (a registration, a session token, a revocation) is
//!   acknowledged only after `flush()` returned, so it survives `kill -9`;
//! - a store that fails to open stops the server; it is never replaced or repaired silently.

mod accounts;
mod said;
mod sessions;

use std::path::Path;

pub use accounts::{Account, Accounts, Created};
pub use said::{CONVERSATION_KEPT, Kept, KeptMessages, OFFLINE_PER_RECIPIENT, SaidStore};
pub use sessions::{SessionRecord, SessionStore, TokenHash};

use crate::error::{Result, ServerError};

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
    /// Opens (or creates) the store in `dir`, with a page cache of `cache_bytes`.
    pub fn open(dir: &Path, cache_bytes: u64) -> Result<Self> {
        let open_err = |source| ServerError::StoreOpen {
            path: dir.to_owned(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(|e| open_err(sled::Error::Io(e)))?;
        let db = sled::Config::new()
            .path(dir)
            .cache_capacity(cache_bytes)
            .open()
            .map_err(open_err)?;
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
