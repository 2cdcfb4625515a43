//! Session tokens on disk: the SHA-256 of each token, never the token, with its account and
//! expiry. A stolen copy of the store therefore logs nobody in.

use serde::{Deserialize, Serialize};

use crate::error::{Result, ServerError};

/// The SHA-256 of a session token: the key it is stored and looked up under.
pub type TokenHash = [u8; 32];

/// What is stored for one token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRecord {
    /// The account's login key (lowercased).
    pub login_key: String,
    /// When the token was issued, ms since the Unix epoch.
    pub created_ms: i64,
    /// When it stops working, ms since the Unix epoch.
    pub expires_ms: i64,
}

/// The token tree.
#[derive(Debug, Clone)]
pub struct SessionStore {
    db: sled::Db,
    tree: sled::Tree,
}

impl SessionStore {
    pub(super) fn new(db: sled::Db, tree: sled::Tree) -> Self {
        SessionStore { db, tree }
    }

    /// Stores a token's record and flushes before returning.
    pub fn insert(&self, hash: &TokenHash, record: &SessionRecord) -> Result<()> {
        let value = rmp_serde::to_vec_named(record).map_err(|e| ServerError::CorruptRecord {
            what: "session",
            reason: e.to_string(),
        })?;
        self.tree.insert(hash, value)?;
        self.db.flush()?;
        Ok(())
    }

    /// Removes tokens and flushes before returning, so a revoked token stays revoked after a
    /// crash.
    pub fn remove(&self, hashes: &[TokenHash]) -> Result<()> {
        if hashes.is_empty() {
            return Ok(());
        }
        let mut batch = sled::Batch::default();
        for hash in hashes {
            batch.remove(&hash[..]);
        }
        self.tree.apply_batch(batch)?;
        self.db.flush()?;
        Ok(())
    }

    /// Every stored token. Unreadable records are skipped and logged.
    pub fn all(&self) -> Result<Vec<(TokenHash, SessionRecord)>> {
        let mut out = Vec::new();
        for item in self.tree.iter() {
            let (k, v) = item?;
            let Ok(hash) = TokenHash::try_from(&k[..]) else {
                tracing::error!("a session key of {} bytes is not a token hash", k.len());
                continue;
            };
            match rmp_serde::from_slice::<SessionRecord>(&v) {
                Ok(record) => out.push((hash, record)),
                Err(e) => tracing::error!("unreadable session record: {e}"),
            }
        }
        Ok(out)
    }
}

/// Tokens of one machine: a table in memory for look-ups (a resume costs no disk access), and
/// sled behind it. The table and the disk change together, disk first, so a revoked token never
/// comes back after a crash and an issued one is never lost by one.
#[derive(Debug)]
pub struct LocalTokens {
    table: std::sync::Mutex<std::collections::HashMap<TokenHash, SessionRecord>>,
    store: SessionStore,
}

impl LocalTokens {
    /// Loads every stored token that has not expired at `now_ms` (and forgets the others).
    pub fn load(store: SessionStore, now_ms: i64) -> Result<Self> {
        let mut table = std::collections::HashMap::new();
        let mut expired = Vec::new();
        for (hash, record) in store.all()? {
            if record.expires_ms > now_ms {
                table.insert(hash, record);
            } else {
                expired.push(hash);
            }
        }
        store.remove(&expired)?;
        Ok(LocalTokens {
            table: std::sync::Mutex::new(table),
            store,
        })
    }

    fn table(
        &self,
    ) -> std::sync::MutexGuard<'_, std::collections::HashMap<TokenHash, SessionRecord>> {
        // Every change below leaves the table consistent, so a poisoned lock guards valid data.
        self.table.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The stored hashes matching `keep`.
    fn hashes(&self, keep: impl Fn(&SessionRecord) -> bool) -> Vec<TokenHash> {
        self.table()
            .iter()
            .filter(|(_, r)| keep(r))
            .map(|(h, _)| *h)
            .collect()
    }
}

impl super::TokenStore for LocalTokens {
    fn insert(&self, hash: &TokenHash, record: &SessionRecord, keep: usize) -> Result<()> {
        let oldest: Vec<TokenHash> = {
            let table = self.table();
            let mut mine: Vec<(&TokenHash, &SessionRecord)> = table
                .iter()
                .filter(|(_, r)| r.login_key == record.login_key)
                .collect();
            if mine.len() >= keep {
                mine.sort_by_key(|(_, r)| r.created_ms);
                mine.iter()
                    .take(mine.len() + 1 - keep)
                    .map(|(h, _)| **h)
                    .collect()
            } else {
                Vec::new()
            }
        };
        self.remove(&oldest)?;
        self.store.insert(hash, record)?;
        self.table().insert(*hash, record.clone());
        Ok(())
    }

    fn get(&self, hash: &TokenHash) -> Result<Option<SessionRecord>> {
        Ok(self.table().get(hash).cloned())
    }

    fn remove(&self, hashes: &[TokenHash]) -> Result<()> {
        if hashes.is_empty() {
            return Ok(());
        }
        // Disk first: if the removal fails, the tokens stay usable and the caller reports it.
        self.store.remove(hashes)?;
        let mut table = self.table();
        for hash in hashes {
            table.remove(hash);
        }
        Ok(())
    }

    fn remove_account(&self, login_key: &str) -> Result<()> {
        let hashes = self.hashes(|r| r.login_key == login_key);
        self.remove(&hashes)
    }

    fn sweep(&self, now_ms: i64) -> Result<()> {
        let hashes = self.hashes(|r| r.expires_ms <= now_ms);
        self.remove(&hashes)
    }

    fn count(&self) -> Option<usize> {
        Some(self.table().len())
    }
}
