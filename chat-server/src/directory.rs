//! Every registered user's public face (login and names), in memory, ordered by login key.
//!
//! `#show users` lists every user of the system. Reading the account store for it would cost
//! O(accounts) of disk and decoding per request, on the asker's reader thread; here it costs a
//! walk of an in-memory map, and reader threads never touch the store. The store stays the truth:
//! the directory is loaded from it at start and told of each registration after it is on disk.
//! With `irc_guests`, IRC guests are listed here too while they are online.

use std::collections::BTreeMap;
use std::sync::{RwLock, RwLockReadGuard};

use crate::store::Account;

/// What others may see of a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// Login as registered.
    pub login: String,
    /// First names.
    pub first_names: String,
    /// Last names.
    pub last_names: String,
    /// An IRC guest (no account): listed while online, and nothing is kept for it.
    pub guest: bool,
}

impl From<&Account> for Person {
    fn from(a: &Account) -> Self {
        Person {
            login: a.login.clone(),
            first_names: a.first_names.clone(),
            last_names: a.last_names.clone(),
            guest: false,
        }
    }
}

/// The directory; `Sync`.
#[derive(Debug, Default)]
pub struct Directory {
    people: RwLock<BTreeMap<String, Person>>,
}

impl Directory {
    /// A directory of these accounts.
    pub fn new<'a>(accounts: impl IntoIterator<Item = &'a Account>) -> Self {
        let people = accounts
            .into_iter()
            .map(|a| (chat_core::validate::login_key(&a.login), Person::from(a)))
            .collect();
        Directory {
            people: RwLock::new(people),
        }
    }

    /// The map, for a walk in login-key order. Hold it briefly: registrations wait for it.
    pub fn read(&self) -> RwLockReadGuard<'_, BTreeMap<String, Person>> {
        // Each change (an insert or a removal) leaves the map valid at every step.
        self.people.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds a user who has just registered.
    pub fn insert(&self, account: &Account) {
        let key = chat_core::validate::login_key(&account.login);
        self.people
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key, Person::from(account));
    }

    /// Adds a user registered on another node of the cluster.
    pub fn insert_person(&self, person: Person) {
        let key = chat_core::validate::login_key(&person.login);
        self.people
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key, person);
    }

    /// Lists an IRC guest under `login` while it is online, unless the name is an account's or
    /// another guest's (then `false`). Checked and taken under one lock, so two guests cannot
    /// both get a name.
    pub fn admit_guest(&self, login: &str, real_name: &str) -> bool {
        let key = chat_core::validate::login_key(login);
        let mut people = self.people.write().unwrap_or_else(|p| p.into_inner());
        if people.contains_key(&key) {
            return false;
        }
        people.insert(
            key,
            Person {
                login: login.to_owned(),
                first_names: real_name.to_owned(),
                last_names: String::new(),
                guest: true,
            },
        );
        true
    }

    /// Unlists a guest that left. An account registered under its name meanwhile stays.
    pub fn remove_guest(&self, key: &str) {
        let mut people = self.people.write().unwrap_or_else(|p| p.into_inner());
        if people.get(key).is_some_and(|p| p.guest) {
            people.remove(key);
        }
    }

    /// The user with this login key.
    pub fn get(&self, key: &str) -> Option<Person> {
        self.read().get(key).cloned()
    }

    /// Registered users (and guests online).
    pub fn len(&self) -> usize {
        self.read().len()
    }
}
