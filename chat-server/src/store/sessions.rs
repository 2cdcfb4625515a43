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
