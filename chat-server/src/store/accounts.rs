//! Accounts on disk.
//!
//! Architecture Invariant: a registration is acknowledged only after `flush()` has returned, so
//! an acknowledged account survives `kill -9`; and logins are unique regardless of case because
//! the lowercased login is the key and creation is a compare-and-swap from "absent".

use chat_core::protocol::Gender;
use serde::{Deserialize, Serialize};

use crate::error::{Result, ServerError};

/// One registered user, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// Login as typed at registration.
    pub login: String,
    /// First names.
    pub first_names: String,
    /// Last names.
    pub last_names: String,
    /// bcrypt hash of the password (never the password).
    pub password_hash: String,
    /// Age in years at registration.
    pub age: u8,
    /// Gender.
    pub gender: Gender,
    /// Registration time, ms since the Unix epoch.
    pub created_ms: i64,
}

/// The account store.
#[derive(Debug, Clone)]
pub struct Accounts {
    db: sled::Db,
    accounts: sled::Tree,
}

/// Outcome of [`Accounts::create`].
#[derive(Debug, PartialEq, Eq)]
pub enum Created {
    /// Stored and flushed.
    Yes,
    /// Someone has that login already (in any case).
    LoginTaken,
}

impl Accounts {
    pub(super) fn new(db: sled::Db, accounts: sled::Tree) -> Self {
        Accounts { db, accounts }
    }

    /// Stores a new account unless its login is taken, and flushes before returning `Yes`.
    pub fn create(&self, account: &Account) -> Result<Created> {
        let key = chat_core::validate::login_key(&account.login);
        let value = rmp_serde::to_vec_named(account).map_err(|e| ServerError::CorruptAccount {
            login: key.clone(),
            reason: e.to_string(),
        })?;
        match self
            .accounts
            .compare_and_swap(key.as_bytes(), None as Option<&[u8]>, Some(value))?
        {
            Ok(()) => {
                self.db.flush()?;
                Ok(Created::Yes)
            }
            Err(_) => Ok(Created::LoginTaken),
        }
    }

    /// Stores many new accounts with one flush (an import, or seeding a benchmark); those whose
    /// login is taken are skipped. Returns how many were stored.
    pub fn create_all(&self, accounts: &[Account]) -> Result<usize> {
        let mut stored = 0;
        for account in accounts {
            let key = chat_core::validate::login_key(&account.login);
            let value =
                rmp_serde::to_vec_named(account).map_err(|e| ServerError::CorruptAccount {
                    login: key.clone(),
                    reason: e.to_string(),
                })?;
            if self
                .accounts
                .compare_and_swap(key.as_bytes(), None as Option<&[u8]>, Some(value))?
                .is_ok()
            {
                stored += 1;
            }
        }
        self.db.flush()?;
        Ok(stored)
    }

    /// The account with this login (any case).
    pub fn get(&self, login: &str) -> Result<Option<Account>> {
        let key = chat_core::validate::login_key(login);
        self.accounts
            .get(key.as_bytes())?
            .map(|v| decode(&key, &v))
            .transpose()
    }

    /// Every account, ordered by lowercased login. Unreadable records are skipped and logged.
    pub fn all(&self) -> Result<Vec<Account>> {
        let mut out = Vec::new();
        for item in self.accounts.iter() {
            let (k, v) = item?;
            let key = String::from_utf8_lossy(&k).into_owned();
            match decode(&key, &v) {
                Ok(account) => out.push(account),
                Err(e) => tracing::error!("{e}"),
            }
        }
        Ok(out)
    }

    /// Number of accounts.
    pub fn len(&self) -> usize {
        self.accounts.len()
    }

    /// Whether there are no accounts.
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty()
    }
}

fn decode(key: &str, bytes: &[u8]) -> Result<Account> {
    rmp_serde::from_slice(bytes).map_err(|e| ServerError::CorruptAccount {
        login: key.to_owned(),
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    fn account(login: &str) -> Account {
        Account {
            login: login.into(),
            first_names: "José".into(),
            last_names: "Ñúñez".into(),
            password_hash: "$2b$10$x".into(),
            age: 30,
            gender: Gender::PreferNotToSay,
            created_ms: 1,
        }
    }

    #[test]
    fn logins_are_unique_regardless_of_case_and_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = Store::open(dir.path(), 1 << 20).unwrap().accounts;
            assert_eq!(store.create(&account("Ana")).unwrap(), Created::Yes);
            assert_eq!(store.create(&account("ANA")).unwrap(), Created::LoginTaken);
        }
        let store = Store::open(dir.path(), 1 << 20).unwrap().accounts;
        assert_eq!(store.get("aNa").unwrap().unwrap(), account("Ana"));
        assert_eq!(store.all().unwrap().len(), 1);
        assert!(store.get("bob").unwrap().is_none());
    }

    #[test]
    fn a_store_that_cannot_open_is_an_error_and_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        std::fs::create_dir_all(&path).unwrap();
        std::fs::write(path.join("conf"), b"this is not sled's configuration").unwrap();
        let err = Store::open(&path, 1 << 20).unwrap_err();
        assert!(matches!(err, ServerError::StoreOpen { .. }), "{err}");
        assert_eq!(
            std::fs::read(path.join("conf")).unwrap(),
            b"this is not sled's configuration"
        );
    }
}
