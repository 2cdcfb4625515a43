//! Who left lately: the newest departures of logged-in users, for IRC's `WHOWAS`. Bounded in
//! count ([`DEPARTURES_KEPT`]) and kept in memory only: a restart forgets them, as IRC daemons
//! do.

use std::collections::VecDeque;
use std::sync::Mutex;

/// Departures kept, all users together; the oldest goes first.
pub const DEPARTURES_KEPT: usize = 1_000;

/// One user who left.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Departure {
    /// The login as registered (a guest's nick).
    pub login: String,
    /// The user name the client gave (IRC `USER`), or the login.
    pub user_name: String,
    /// The real name shown for the user: an account's names, a guest's `USER` real name.
    pub real_name: String,
    /// When it left, ms since the epoch.
    pub left_ms: i64,
}

/// The newest departures, newest last.
#[derive(Debug, Default)]
pub struct Departures {
    kept: Mutex<VecDeque<Departure>>,
}

impl Departures {
    /// Notes a departure, forgetting the oldest past [`DEPARTURES_KEPT`].
    pub fn add(&self, departure: Departure) {
        let mut kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        if kept.len() >= DEPARTURES_KEPT {
            kept.pop_front();
        }
        kept.push_back(departure);
    }

    /// The departures of the user with login key `key` (see `validate::login_key`), newest
    /// first, at most `count` of them.
    pub fn of(&self, key: &str, count: usize) -> Vec<Departure> {
        let kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        kept.iter()
            .rev()
            .filter(|d| chat_core::validate::login_key(&d.login) == key)
            .take(count)
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gone(login: &str, at: i64) -> Departure {
        Departure {
            login: login.into(),
            user_name: login.into(),
            real_name: String::new(),
            left_ms: at,
        }
    }

    #[test]
    fn departures_come_newest_first_and_the_oldest_are_forgotten() {
        let departures = Departures::default();
        departures.add(gone("Ana", 1));
        departures.add(gone("bob", 2));
        departures.add(gone("ana", 3));
        let found = departures.of("ana", 10);
        assert_eq!(found.iter().map(|d| d.left_ms).collect::<Vec<_>>(), [3, 1]);
        assert_eq!(departures.of("ana", 1).len(), 1);
        for i in 0..DEPARTURES_KEPT {
            departures.add(gone("carla", 10 + i64::try_from(i).unwrap_or(0)));
        }
        assert!(departures.of("ana", 10).is_empty());
        assert_eq!(departures.of("carla", usize::MAX).len(), DEPARTURES_KEPT);
    }
}
