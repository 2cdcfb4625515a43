//! Session tokens: what lets a client log in again (`resume`) without its password.
//!
//! A password login costs a bcrypt verify (~70 ms of a core at cost 10), so after a restart a
//! server with thousands of clients would need minutes to let them all back in. A token is 256
//! random bits handed out in `logged_in`; the client keeps it (never the password) and presents
//! it after a reconnect. Checking it is a hash and a table look-up.
//!
//! Only the token's SHA-256 is kept, in memory for look-ups and on disk (flushed before the token
//! is handed out, and before a revocation is acknowledged), with the account and an expiry.
//!
//! Architecture Invariant: a token is usable only while its record is in the table; the table and
//! the disk change together, disk first, so a token that was revoked never comes back after a
//! crash and one that was handed out is never lost by one.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use ring::digest::{SHA256, digest};
use ring::rand::{SecureRandom, SystemRandom};

use crate::error::{Result, ServerError};
use crate::store::{SessionRecord, SessionStore, TokenHash};

/// Random bytes in a token (256 bits).
const TOKEN_BYTES: usize = 32;

/// Tokens one account may hold at once: a new login beyond this revokes the account's oldest
/// token, so that logging in again and again cannot grow the table without bound.
pub const MAX_TOKENS_PER_ACCOUNT: usize = 32;

/// A token just issued: give `token` to the client, once.
#[derive(Debug, Clone)]
pub struct Issued {
    /// The token, as 64 lowercase hexadecimal digits.
    pub token: String,
    /// When it expires, ms since the Unix epoch.
    pub expires_ms: i64,
}

/// The token table.
#[derive(Debug)]
pub struct Sessions {
    table: Mutex<HashMap<TokenHash, SessionRecord>>,
    store: SessionStore,
    lifetime: Duration,
    random: SystemRandom,
}

impl Sessions {
    /// Loads every stored token that has not expired.
    pub fn load(store: SessionStore, lifetime: Duration, now_ms: i64) -> Result<Self> {
        let mut table = HashMap::new();
        let mut expired = Vec::new();
        for (hash, record) in store.all()? {
            if record.expires_ms > now_ms {
                table.insert(hash, record);
            } else {
                expired.push(hash);
            }
        }
        store.remove(&expired)?;
        Ok(Sessions {
            table: Mutex::new(table),
            store,
            lifetime,
            random: SystemRandom::new(),
        })
    }

    fn table(&self) -> MutexGuard<'_, HashMap<TokenHash, SessionRecord>> {
        // Every change below leaves the table consistent, so a poisoned lock guards valid data.
        self.table.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Tokens held now.
    pub fn len(&self) -> usize {
        self.table().len()
    }

    /// Issues a token for the account, on disk before it is returned. Touches the store: call it
    /// where store work belongs (the password pool).
    pub fn issue(&self, login_key: &str, now_ms: i64) -> Result<Issued> {
        let mut bytes = [0u8; TOKEN_BYTES];
        self.random
            .fill(&mut bytes)
            .map_err(|_| ServerError::Io(std::io::Error::other("no random numbers")))?;
        let token = hex(&bytes);
        let hash = hash_of(&bytes);
        let lifetime_ms = i64::try_from(self.lifetime.as_millis()).unwrap_or(i64::MAX);
        let record = SessionRecord {
            login_key: login_key.to_owned(),
            created_ms: now_ms,
            expires_ms: now_ms.saturating_add(lifetime_ms),
        };
        let oldest = {
            let table = self.table();
            let mut mine: Vec<(&TokenHash, &SessionRecord)> = table
                .iter()
                .filter(|(_, r)| r.login_key == login_key)
                .collect();
            if mine.len() >= MAX_TOKENS_PER_ACCOUNT {
                mine.sort_by_key(|(_, r)| r.created_ms);
                mine.iter()
                    .take(mine.len() + 1 - MAX_TOKENS_PER_ACCOUNT)
                    .map(|(h, _)| **h)
                    .collect()
            } else {
                Vec::new()
            }
        };
        self.revoke_hashes(&oldest)?;
        self.store.insert(&hash, &record)?;
        let expires_ms = record.expires_ms;
        self.table().insert(hash, record);
        Ok(Issued { token, expires_ms })
    }

    /// The login key a token stands for, if it is known and has not expired. Memory only.
    pub fn check(&self, token: &str, now_ms: i64) -> Option<(String, i64)> {
        let hash = parse(token)?;
        let table = self.table();
        let record = table.get(&hash)?;
        (record.expires_ms > now_ms).then(|| (record.login_key.clone(), record.expires_ms))
    }

    /// Revokes one token (unknown ones are ignored).
    pub fn revoke(&self, token: &str) -> Result<()> {
        match parse(token) {
            Some(hash) => self.revoke_hashes(&[hash]),
            None => Ok(()),
        }
    }

    /// Revokes every token of an account.
    pub fn revoke_all(&self, login_key: &str) -> Result<()> {
        let hashes: Vec<TokenHash> = self
            .table()
            .iter()
            .filter(|(_, r)| r.login_key == login_key)
            .map(|(h, _)| *h)
            .collect();
        self.revoke_hashes(&hashes)
    }

    /// Forgets tokens that expired (on disk too).
    pub fn sweep(&self, now_ms: i64) -> Result<()> {
        let expired: Vec<TokenHash> = self
            .table()
            .iter()
            .filter(|(_, r)| r.expires_ms <= now_ms)
            .map(|(h, _)| *h)
            .collect();
        self.revoke_hashes(&expired)
    }

    /// Disk first: if the removal fails, the tokens stay usable and the caller reports it.
    fn revoke_hashes(&self, hashes: &[TokenHash]) -> Result<()> {
        if hashes.is_empty() {
            return Ok(());
        }
        self.store.remove(hashes)?;
        let mut table = self.table();
        for hash in hashes {
            table.remove(hash);
        }
        Ok(())
    }
}

fn hash_of(bytes: &[u8]) -> TokenHash {
    let mut out = [0u8; 32];
    out.copy_from_slice(digest(&SHA256, bytes).as_ref());
    out
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    out
}

/// A token's hash, if the text is a token at all (64 hexadecimal digits, any case).
fn parse(token: &str) -> Option<TokenHash> {
    if token.len() != TOKEN_BYTES * 2 {
        return None;
    }
    let mut bytes = [0u8; TOKEN_BYTES];
    for (i, pair) in token.as_bytes().chunks(2).enumerate() {
        let digit = |c: u8| char::from(c).to_digit(16);
        let (hi, lo) = (digit(pair[0])?, digit(pair[1])?);
        bytes[i] = u8::try_from(hi * 16 + lo).ok()?;
    }
    Some(hash_of(&bytes))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::store::Store;

    const DAY_MS: i64 = 24 * 3600 * 1000;

    fn open(dir: &std::path::Path) -> Sessions {
        let store = Store::open(dir, 1 << 20).unwrap();
        Sessions::load(store.sessions, Duration::from_secs(30 * 24 * 3600), 0).unwrap()
    }

    #[test]
    fn a_token_logs_in_until_it_expires_or_is_revoked_and_survives_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let (kept, revoked);
        {
            let sessions = open(dir.path());
            kept = sessions.issue("ana", 1_000).unwrap();
            revoked = sessions.issue("ana", 1_000).unwrap();
            assert_eq!(kept.token.len(), 64);
            assert_ne!(kept.token, revoked.token);
            assert_eq!(kept.expires_ms, 1_000 + 30 * DAY_MS);
            assert_eq!(sessions.check(&kept.token, 2_000).unwrap().0, "ana");
            assert_eq!(
                sessions.check(&kept.token.to_uppercase(), 2_000).unwrap().0,
                "ana"
            );
            sessions.revoke(&revoked.token).unwrap();
            assert!(sessions.check(&revoked.token, 2_000).is_none());
            assert!(
                sessions.check(&kept.token, kept.expires_ms).is_none(),
                "expired"
            );
        }
        let sessions = open(dir.path());
        assert_eq!(sessions.check(&kept.token, 2_000).unwrap().0, "ana");
        assert!(sessions.check(&revoked.token, 2_000).is_none());
        for bad in ["", "zz", &"g".repeat(64), &kept.token[1..]] {
            assert!(sessions.check(bad, 2_000).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn logout_everywhere_revokes_every_token_of_the_account_only() {
        let dir = tempfile::tempdir().unwrap();
        let sessions = open(dir.path());
        let a1 = sessions.issue("ana", 1).unwrap();
        let a2 = sessions.issue("ana", 2).unwrap();
        let b = sessions.issue("bob", 3).unwrap();
        sessions.revoke_all("ana").unwrap();
        assert!(sessions.check(&a1.token, 10).is_none());
        assert!(sessions.check(&a2.token, 10).is_none());
        assert!(sessions.check(&b.token, 10).is_some());
        drop(sessions);
        let sessions = open(dir.path());
        assert_eq!(sessions.len(), 1);
    }

    #[test]
    fn an_account_holds_a_bounded_number_of_tokens_and_loses_the_oldest() {
        let dir = tempfile::tempdir().unwrap();
        let sessions = open(dir.path());
        let first = sessions.issue("ana", 0).unwrap();
        for t in 1..MAX_TOKENS_PER_ACCOUNT as i64 + 5 {
            sessions.issue("ana", t).unwrap();
        }
        assert_eq!(sessions.len(), MAX_TOKENS_PER_ACCOUNT);
        assert!(sessions.check(&first.token, 100).is_none());
    }

    #[test]
    fn expired_tokens_are_swept_from_disk_too() {
        let dir = tempfile::tempdir().unwrap();
        {
            let sessions = open(dir.path());
            sessions.issue("ana", 0).unwrap();
            sessions.sweep(31 * DAY_MS).unwrap();
            assert_eq!(sessions.len(), 0);
        }
        assert_eq!(open(dir.path()).len(), 0);
    }
}
