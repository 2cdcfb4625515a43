//! Who is online, away or offline, as far as the server told this user, and who is typing a
//! private message to them.
//!
//! The server tells presence for the members of the user's room (`entered`, `joined`,
//! `presence`), for conversation partners of this session (`presence`), and in the users list.
//! Anyone else's presence is unknown, and shown as such rather than guessed.
//!
//! Typing notices carry the server time they end at; nothing here runs a timer: the window,
//! which repaints once a second anyway, stops showing one once its time has passed.

use std::collections::HashMap;

use chat_core::protocol::Presence;
use chat_core::validate::login_key;

/// One user's presence and away message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// Online, away or offline.
    pub presence: Presence,
    /// The away message, when away and one was given.
    pub text: Option<String>,
}

/// What is known of everyone's presence.
#[derive(Debug, Clone, Default)]
pub struct Presences {
    of: HashMap<String, Status>,
    typing: HashMap<String, i64>,
}

impl Presences {
    /// The presence of `login`, if the server told it.
    pub fn of(&self, login: &str) -> Option<&Status> {
        self.of.get(&login_key(login))
    }

    /// The presence of `login`, or `Unknown`.
    pub fn presence(&self, login: &str) -> Presence {
        self.of(login).map_or(Presence::Unknown, |s| s.presence)
    }

    /// Records what the server said of `login`.
    pub fn set(&mut self, login: &str, presence: Presence, text: Option<String>) {
        let text = text.filter(|_| presence == Presence::Away);
        self.of.insert(login_key(login), Status { presence, text });
        if presence == Presence::Offline {
            self.stopped_typing(login);
        }
    }

    /// The members listed on entering a room: those in `away` are away, the others online.
    pub fn entered(&mut self, members: &[String], away: &[String]) {
        for member in members {
            let is_away = away.iter().any(|a| login_key(a) == login_key(member));
            let known_text = self.of(member).and_then(|s| s.text.clone());
            if is_away {
                self.set(member, Presence::Away, known_text);
            } else {
                self.set(member, Presence::Online, None);
            }
        }
    }

    /// `from` is typing to this user until `until` (server time, ms).
    pub fn typing(&mut self, from: &str, until: i64) {
        self.typing.insert(login_key(from), until);
    }

    /// `from` sent their message (or left): they are no longer typing.
    pub fn stopped_typing(&mut self, from: &str) {
        self.typing.remove(&login_key(from));
    }

    /// Whether `from` is typing to this user at server time `now_ms`.
    pub fn is_typing(&self, from: &str, now_ms: i64) -> bool {
        self.typing
            .get(&login_key(from))
            .is_some_and(|until| now_ms < *until)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entering_a_room_tells_who_is_away_and_offline_ends_typing() {
        let mut p = Presences::default();
        assert_eq!(p.presence("ana"), Presence::Unknown);
        p.set("Bob", Presence::Away, Some("lunch".into()));
        p.entered(&["ana".into(), "bob".into()], &["BOB".into()]);
        assert_eq!(p.presence("ana"), Presence::Online);
        assert_eq!(
            p.of("bob"),
            Some(&Status {
                presence: Presence::Away,
                text: Some("lunch".into())
            }),
            "the away message known stays"
        );
        p.set("bob", Presence::Online, Some("ignored".into()));
        assert_eq!(
            p.of("bob").unwrap().text,
            None,
            "only the away have a message"
        );

        p.typing("bob", 1_000);
        assert!(p.is_typing("BOB", 999));
        assert!(!p.is_typing("bob", 1_000), "it ends at its time by itself");
        p.set("bob", Presence::Offline, None);
        assert!(!p.is_typing("bob", 0));
    }
}
