//! Every registered user's public face (login and names), in memory, ordered by login key.
//!
//! `#show users` lists every user of the system. Reading the account store for it would cost
//! O(accounts) of disk and decoding per request, on the asker's reader thread; here a page costs
//! a few binary searches and the rows it holds, wherever in the list it starts, and reader
//! threads never touch the store. The store stays the truth:
//! the directory is loaded from it at start and told of each registration after it is on disk.
//! With `irc_guests`, IRC guests are listed here too while they are online.

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
    /// By login key, sorted: a page is found by position, which a map cannot do without a walk.
    /// Boxed, so that a registration moves pointers, not people, to make room.
    people: RwLock<Vec<Entry>>,
}

#[derive(Debug)]
struct Entry {
    key: String,
    person: Box<Person>,
}

/// The directory, read-locked. Hold it briefly: registrations wait for it.
#[derive(Debug)]
pub struct View<'a> {
    people: RwLockReadGuard<'a, Vec<Entry>>,
}

impl View<'_> {
    fn position(&self, key: &str) -> Result<usize, usize> {
        self.people.binary_search_by(|e| e.key.as_str().cmp(key))
    }

    /// The user with this login key.
    pub fn get(&self, key: &str) -> Option<&Person> {
        let at = self.position(key).ok()?;
        Some(&self.people[at].person)
    }

    /// Registered users (and guests online).
    pub fn len(&self) -> usize {
        self.people.len()
    }

    /// The users whose keys are not in `online` (sorted), in key order, from the `skip`-th on.
    ///
    /// The start is found by bisection: before position `i` there are `i` users, of whom the
    /// online ones are the online keys that sort before the key at `i`. So paging to the end of
    /// 100,000 users costs the same as the first page.
    pub fn offline<'v>(
        &'v self,
        online: &'v [&'v str],
        skip: usize,
    ) -> impl Iterator<Item = &'v Person> + 'v {
        // A user can be online a moment before its entry arrives (from another node).
        let listed: Vec<&str> = online
            .iter()
            .copied()
            .filter(|k| self.position(k).is_ok())
            .collect();
        let offline_before = |i: usize| match self.people.get(i) {
            Some(e) => i - listed.partition_point(|k| *k < e.key.as_str()),
            None => i - listed.len(),
        };
        let (mut lo, mut hi) = (0, self.people.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if offline_before(mid) < skip {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        self.people[lo..]
            .iter()
            .filter(move |e| listed.binary_search(&e.key.as_str()).is_err())
            .map(|e| &*e.person)
    }
}

impl Directory {
    /// A directory of these accounts.
    pub fn new<'a>(accounts: impl IntoIterator<Item = &'a Account>) -> Self {
        let mut people: Vec<Entry> = accounts
            .into_iter()
            .map(|a| Entry {
                key: chat_core::validate::login_key(&a.login),
                person: Box::new(Person::from(a)),
            })
            .collect();
        people.sort_by(|a, b| a.key.cmp(&b.key));
        people.dedup_by(|a, b| a.key == b.key);
        Directory {
            people: RwLock::new(people),
        }
    }

    /// The directory for a walk in login-key order or a lookup.
    pub fn read(&self) -> View<'_> {
        // Each change (an insert or a removal) leaves the list valid at every step.
        View {
            people: self.people.read().unwrap_or_else(|p| p.into_inner()),
        }
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Vec<Entry>> {
        self.people.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Lists `person` under `key`, replacing whoever was there.
    fn put(people: &mut Vec<Entry>, key: String, person: Person) {
        match people.binary_search_by(|e| e.key.cmp(&key)) {
            Ok(at) => *people[at].person = person,
            Err(at) => people.insert(
                at,
                Entry {
                    key,
                    person: Box::new(person),
                },
            ),
        }
    }

    /// Adds a user who has just registered.
    pub fn insert(&self, account: &Account) {
        let key = chat_core::validate::login_key(&account.login);
        Self::put(&mut self.write(), key, Person::from(account));
    }

    /// Adds a user registered on another node of the cluster.
    #[cfg_attr(not(feature = "cluster"), allow(dead_code))]
    pub fn insert_person(&self, person: Person) {
        let key = chat_core::validate::login_key(&person.login);
        Self::put(&mut self.write(), key, person);
    }

    /// Lists an IRC guest under `login` while it is online, unless the name is an account's or
    /// another guest's (then `false`). Checked and taken under one lock, so two guests cannot
    /// both get a name.
    pub fn admit_guest(&self, login: &str, real_name: &str) -> bool {
        let key = chat_core::validate::login_key(login);
        let mut people = self.write();
        let Err(at) = people.binary_search_by(|e| e.key.cmp(&key)) else {
            return false;
        };
        let person = Person {
            login: login.to_owned(),
            first_names: real_name.to_owned(),
            last_names: String::new(),
            guest: true,
        };
        people.insert(
            at,
            Entry {
                key,
                person: Box::new(person),
            },
        );
        true
    }

    /// Unlists a guest that left. An account registered under its name meanwhile stays.
    pub fn remove_guest(&self, key: &str) {
        let mut people = self.write();
        if let Ok(at) = people.binary_search_by(|e| e.key.as_str().cmp(key))
            && people[at].person.guest
        {
            people.remove(at);
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

#[cfg(test)]
mod tests {
    use super::*;
    use chat_core::protocol::Gender;

    fn account(login: &str) -> Account {
        Account {
            login: login.into(),
            first_names: "F".into(),
            last_names: "L".into(),
            password_hash: String::new(),
            age: 20,
            gender: Gender::PreferNotToSay,
            created_ms: 0,
        }
    }

    #[test]
    fn every_offline_page_starts_where_a_walk_would() {
        let logins: Vec<String> = (0..60).map(|i| format!("u{i:02}")).collect();
        let accounts: Vec<Account> = logins.iter().rev().map(|l| account(l)).collect();
        let directory = Directory::new(&accounts);
        // Online: some listed users, runs of neighbours, the ends, and one not listed yet.
        let online = [
            "u00",
            "u01",
            "u02",
            "u17",
            "u30",
            "u31",
            "u59",
            "zz-not-listed",
        ];
        let view = directory.read();
        let walk: Vec<&str> = logins
            .iter()
            .map(String::as_str)
            .filter(|l| !online.contains(l))
            .collect();
        for skip in 0..=walk.len() + 2 {
            let page: Vec<&str> = view
                .offline(&online, skip)
                .map(|p| p.login.as_str())
                .collect();
            assert_eq!(page, walk.get(skip..).unwrap_or(&[]), "skip {skip}");
        }
        let none: Vec<&str> = view.offline(&[], 10).map(|p| p.login.as_str()).collect();
        assert_eq!(
            none,
            logins[10..].iter().map(String::as_str).collect::<Vec<_>>()
        );
    }

    #[test]
    fn registrations_and_guests_keep_the_order() {
        let directory = Directory::new(&[account("m")]);
        directory.insert(&account("z"));
        directory.insert(&account("a"));
        assert!(directory.admit_guest("k", "Guest"));
        assert!(!directory.admit_guest("M", "Guest"), "an account's name");
        let view = directory.read();
        let all: Vec<&str> = view.offline(&[], 0).map(|p| p.login.as_str()).collect();
        assert_eq!(all, ["a", "k", "m", "z"]);
        drop(view);
        directory.remove_guest("k");
        directory.remove_guest("m");
        assert_eq!(directory.len(), 3, "only guests are removed");
    }
}
