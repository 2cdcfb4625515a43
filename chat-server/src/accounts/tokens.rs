//! Session tokens: what lets a client log in again (`resume`) without its password.
//!
//! A password login costs a bcrypt verify (~70 ms of a core at cost 10), so after a restart a
//! server with thousands of clients would need minutes to let them all back in. A token is 256
//! random bits handed out in `logged_in`; the client keeps it (never the password) and presents
//! it after a reconnect. Checking it is a hash and a table look-up.
//!
//! Only the token's SHA-256 is kept, with the account and an expiry, in a [`TokenStore`]: this
//! machine's (memory and sled, `LocalTokens`) or one the nodes of a cluster share. A token is
//! written there before it is handed out, and removed there before a revocation is
//! acknowledged.

use std::sync::Arc;
use std::time::Duration;

use ring::digest::{SHA256, digest};
use ring::rand::{SecureRandom, SystemRandom};

use crate::error::{Result, ServerError};
use crate::store::{SessionRecord, TokenHash, TokenStore};

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

/// Issues, checks and revokes tokens.
#[derive(Debug)]
pub struct Sessions {
    store: Arc<dyn TokenStore>,
    lifetime: Duration,
    random: SystemRandom,
}

impl Sessions {
    /// Tokens in `store`, each valid for `lifetime` from its issue.
    pub fn new(store: Arc<dyn TokenStore>, lifetime: Duration) -> Self {
        Sessions {
            store,
            lifetime,
            random: SystemRandom::new(),
        }
    }

    /// Tokens held now, if the store counts them cheaply.
    pub fn len(&self) -> Option<usize> {
        self.store.count()
    }

    /// Issues a token for the account, stored before it is returned. Touches the store: call it
    /// where store work belongs (the password pool).
    pub fn issue(&self, login_key: &str, now_ms: i64) -> Result<Issued> {
        let mut bytes = [0u8; TOKEN_BYTES];
        self.random
            .fill(&mut bytes)
            .map_err(|_| ServerError::Io(std::io::Error::other("no random numbers")))?;
        let token = hex::encode(bytes);
        let hash = hash_of(&bytes);
        let lifetime_ms = i64::try_from(self.lifetime.as_millis()).unwrap_or(i64::MAX);
        let record = SessionRecord {
            login_key: login_key.to_owned(),
            created_ms: now_ms,
            expires_ms: now_ms.saturating_add(lifetime_ms),
        };
        self.store.insert(&hash, &record, MAX_TOKENS_PER_ACCOUNT)?;
        Ok(Issued {
            token,
            expires_ms: record.expires_ms,
        })
    }

    /// The login key a token stands for, if it is known and has not expired. On this machine's
    /// store, memory only.
    pub fn check(&self, token: &str, now_ms: i64) -> Result<Option<(String, i64)>> {
        let Some(hash) = parse(token) else {
            return Ok(None);
        };
        Ok(self
            .store
            .get(&hash)?
            .filter(|r| r.expires_ms > now_ms)
            .map(|r| (r.login_key, r.expires_ms)))
    }

    /// Revokes one token (unknown ones are ignored).
    pub fn revoke(&self, token: &str) -> Result<()> {
        match parse(token) {
            Some(hash) => self.store.remove(&[hash]),
            None => Ok(()),
        }
    }

    /// Revokes every token of an account.
    pub fn revoke_all(&self, login_key: &str) -> Result<()> {
        self.store.remove_account(login_key)
    }

    /// Forgets tokens that expired (in the store too).
    pub fn sweep(&self, now_ms: i64) -> Result<()> {
        self.store.sweep(now_ms)
    }
}

fn hash_of(bytes: &[u8]) -> TokenHash {
    let mut out = [0u8; 32];
    out.copy_from_slice(digest(&SHA256, bytes).as_ref());
    out
}

/// A token's hash, if the text is a token at all (64 hexadecimal digits, any case).
fn parse(token: &str) -> Option<TokenHash> {
    let mut bytes = [0u8; TOKEN_BYTES];
    hex::decode_to_slice(token, &mut bytes).ok()?;
    Some(hash_of(&bytes))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::store::{LocalTokens, Store};

    const DAY_MS: i64 = 24 * 3600 * 1000;

    fn open(dir: &std::path::Path) -> Sessions {
        let store = Store::open(dir, 1 << 20).unwrap();
        let tokens = LocalTokens::load(store.sessions, 0).unwrap();
        Sessions::new(Arc::new(tokens), Duration::from_secs(30 * 24 * 3600))
    }

    impl Sessions {
        fn check_ok(&self, token: &str, now_ms: i64) -> Option<(String, i64)> {
            self.check(token, now_ms).unwrap()
        }
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
            assert_eq!(sessions.check_ok(&kept.token, 2_000).unwrap().0, "ana");
            assert_eq!(
                sessions
                    .check_ok(&kept.token.to_uppercase(), 2_000)
                    .unwrap()
                    .0,
                "ana"
            );
            sessions.revoke(&revoked.token).unwrap();
            assert!(sessions.check_ok(&revoked.token, 2_000).is_none());
            assert!(
                sessions.check_ok(&kept.token, kept.expires_ms).is_none(),
                "expired"
            );
        }
        let sessions = open(dir.path());
        assert_eq!(sessions.check_ok(&kept.token, 2_000).unwrap().0, "ana");
        assert!(sessions.check_ok(&revoked.token, 2_000).is_none());
        for bad in ["", "zz", &"g".repeat(64), &kept.token[1..]] {
            assert!(sessions.check_ok(bad, 2_000).is_none(), "{bad:?}");
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
        assert!(sessions.check_ok(&a1.token, 10).is_none());
        assert!(sessions.check_ok(&a2.token, 10).is_none());
        assert!(sessions.check_ok(&b.token, 10).is_some());
        drop(sessions);
        let sessions = open(dir.path());
        assert_eq!(sessions.len().unwrap(), 1);
    }

    #[test]
    fn an_account_holds_a_bounded_number_of_tokens_and_loses_the_oldest() {
        let dir = tempfile::tempdir().unwrap();
        let sessions = open(dir.path());
        let first = sessions.issue("ana", 0).unwrap();
        for t in 1..MAX_TOKENS_PER_ACCOUNT as i64 + 5 {
            sessions.issue("ana", t).unwrap();
        }
        assert_eq!(sessions.len().unwrap(), MAX_TOKENS_PER_ACCOUNT);
        assert!(sessions.check_ok(&first.token, 100).is_none());
    }

    #[test]
    fn expired_tokens_are_swept_from_disk_too() {
        let dir = tempfile::tempdir().unwrap();
        {
            let sessions = open(dir.path());
            sessions.issue("ana", 0).unwrap();
            sessions.sweep(31 * DAY_MS).unwrap();
            assert_eq!(sessions.len().unwrap(), 0);
        }
        assert_eq!(open(dir.path()).len(), Some(0));
    }
}
