//! Who is online, away or offline, as far as the server keeps this user told, and who is typing
//! a private message to them.
//!
//! The server keeps a presence current with events for the members of the user's room
//! (`entered`, `joined`, `left`, `presence`, in rooms small enough for joins to be told), for
//! the partners of this session (those a private message was delivered to or from: `presence`),
//! and for the logins of the last `users` page it sent (`presence`, logging in and out
//! included). Anyone else's presence, known from an older page, is refreshed when it matters.
//!
//! Architecture Invariant: a presence is never shown as known when it may be wrong. What the
//! server stopped keeping current is forgotten (shown "unknown") and asked for again:
//! - `left` does not say whether someone moved to another room or logged out, and a partner in
//!   the same room gets only `left` when they log out: they become unknown.
//! - Entering another room ends the events about the old room's members: those who are not
//!   partners become unknown.
//! - While the connection is lost nothing is known, the user's own presence included.
//!
//! Forgotten logins are remembered in [`Presences::to_ask`] until the client asks the server
//! (a `users` list); a reply to a private message also tells (`private_stored`: offline;
//! `private_sent`: connected).
//!
//! Typing notices carry the server time they end at; nothing here runs a timer: the window,
//! which repaints once a second anyway, stops showing one once its time has passed.

use std::collections::{HashMap, HashSet};

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
    /// Partners of this session (login keys): the server tells their changes.
    partners: HashSet<String>,
    /// Logins whose presence became unknown since the server was last asked (login keys).
    unasked: HashSet<String>,
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
        if presence == Presence::Unknown {
            self.forget(login);
            return;
        }
        let text = text.filter(|_| presence == Presence::Away);
        let key = login_key(login);
        self.unasked.remove(&key);
        self.of.insert(key, Status { presence, text });
        if presence == Presence::Offline {
            self.stopped_typing(login);
        }
    }

    /// The server no longer keeps `login`'s presence current: unknown until asked again.
    pub fn forget(&mut self, login: &str) {
        let key = login_key(login);
        if self.of.remove(&key).is_some() {
            self.unasked.insert(key);
        }
    }

    /// The connection is lost: nothing is known until the server answers again, and the
    /// partners of the lost session are no one's partners in the next.
    pub fn lost(&mut self) {
        self.unasked.extend(self.of.drain().map(|(key, _)| key));
        self.typing.clear();
        self.partners.clear();
    }

    /// `login` is to be shown (a conversation opens): ask the server if their presence is not
    /// known.
    pub fn wanted(&mut self, login: &str) {
        let key = login_key(login);
        if !self.of.contains_key(&key) {
            self.unasked.insert(key);
        }
    }

    /// Whether `login`'s presence became unknown (or is wanted) and the server was not asked
    /// since.
    pub fn to_ask(&self, login: &str) -> bool {
        self.unasked.contains(&login_key(login))
    }

    /// The server is being asked for everyone's presence (a `users` list).
    pub fn asked(&mut self) {
        self.unasked.clear();
    }

    /// A private message was delivered to or from `login` in this session: the server tells
    /// their changes from now on; being delivered, they are connected.
    pub fn exchanged(&mut self, login: &str) {
        self.partners.insert(login_key(login));
        if !matches!(self.presence(login), Presence::Online | Presence::Away) {
            self.set(login, Presence::Online, None);
        }
    }

    /// A private message to `login` was kept for their next login: they are offline.
    pub fn kept_for(&mut self, login: &str) {
        self.set(login, Presence::Offline, None);
    }

    /// The members listed on entering a room: those in `away` are away, the others online.
    /// Members of the room left behind, who are not partners, are no longer told of.
    pub fn entered(&mut self, members: &[String], away: &[String]) {
        let listed: HashSet<String> = members.iter().map(|m| login_key(m)).collect();
        let gone: Vec<String> = self
            .of
            .keys()
            .filter(|k| !listed.contains(*k) && !self.partners.contains(*k))
            .cloned()
            .collect();
        for key in gone {
            self.forget(&key);
        }
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

    /// `left`: someone left the user's room; moved or logged out, the server does not say.
    pub fn left(&mut self, login: &str) {
        self.forget(login);
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

    #[test]
    fn what_the_server_stops_telling_becomes_unknown_and_is_asked_again() {
        let mut p = Presences::default();
        p.entered(&["ana".into(), "bob".into(), "cy".into()], &[]);
        p.exchanged("cy");
        p.left("bob");
        assert_eq!(p.presence("bob"), Presence::Unknown, "moved or logged out");
        assert!(p.to_ask("bob"));
        p.asked();
        assert!(!p.to_ask("bob"));

        p.entered(&["ana".into()], &[]);
        assert_eq!(p.presence("ana"), Presence::Online);
        assert_eq!(
            p.presence("cy"),
            Presence::Online,
            "a partner is still told of"
        );

        p.lost();
        for who in ["ana", "cy"] {
            assert_eq!(
                p.presence(who),
                Presence::Unknown,
                "nothing is known offline"
            );
            assert!(p.to_ask(who));
        }
        p.set("cy", Presence::Offline, None);
        assert!(!p.to_ask("cy"), "told again");
    }

    #[test]
    fn replies_to_private_messages_tell_presence() {
        let mut p = Presences::default();
        p.set("bob", Presence::Online, None);
        p.kept_for("bob");
        assert_eq!(p.presence("bob"), Presence::Offline);
        p.exchanged("bob");
        assert_eq!(p.presence("bob"), Presence::Online);
        p.set("bob", Presence::Away, Some("lunch".into()));
        p.exchanged("bob");
        assert_eq!(
            p.presence("bob"),
            Presence::Away,
            "delivered to the away too"
        );

        p.wanted("dan");
        assert!(p.to_ask("dan"), "a conversation with someone never seen");
        p.wanted("bob");
        assert!(!p.to_ask("bob"), "known already");
    }
}
