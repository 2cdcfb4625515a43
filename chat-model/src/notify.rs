//! Desktop notifications: which arriving lines deserve one. Plain rules, tested without a window;
//! the desktop client words the [`Alert`]s and shows them.
//!
//! A notification is for a line meant for the user that they are not looking at: a private
//! message, or a room line that mentions their login, while the window is not focused or shows
//! something else. Never for their own lines, never for history (only live lines are
//! [`Arrival`]s), and private messages kept while they were offline, which arrive in a burst at
//! login, make one summary rather than one notification each.

use chat_core::validate::login_key;

/// A line that arrived live (not history), as the notification rules need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arrival {
    /// Someone said something in the room the user is in.
    Room {
        /// The room.
        room: String,
        /// Who said it.
        from: String,
        /// What.
        text: String,
    },
    /// A private message to the user.
    Private {
        /// Who wrote it.
        from: String,
        /// What.
        text: String,
        /// Kept for the user while offline, delivered at login.
        stored: bool,
    },
}

/// What the user is looking at when lines arrive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Situation {
    /// The user's login.
    pub me: String,
    /// Whether the window has the keyboard (the user is at it).
    pub focused: bool,
    /// Whether the main pane shows the room (and not a docked conversation).
    pub room_shown: bool,
    /// Logins of the conversations on screen (their window open, or docked in the pane).
    pub conversations_shown: Vec<String>,
    /// Whether the user wants notifications at all.
    pub enabled: bool,
}

/// What a notification says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Alert {
    /// A private message.
    Private {
        /// Who wrote it.
        from: String,
        /// What.
        text: String,
    },
    /// A room line that mentions the user.
    Mention {
        /// The room.
        room: String,
        /// Who said it.
        from: String,
        /// What.
        text: String,
    },
    /// Private messages kept while the user was offline.
    KeptWhileAway {
        /// How many.
        count: usize,
        /// From whom, in the order they first appear.
        from: Vec<String>,
    },
}

/// Whether `text` mentions `login` as a word of its own (`ana`, `@ana`, `Ana:`), ignoring case;
/// `anabel` does not mention `ana`.
pub fn mentions(text: &str, login: &str) -> bool {
    let login = login_key(login);
    if login.is_empty() {
        return false;
    }
    let is_login_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    text.split(|c: char| !is_login_char(c))
        .map(|w| w.trim_end_matches('.'))
        .any(|w| login_key(w) == login)
}

/// The notifications that the lines `arrivals` deserve in `situation`, in order.
pub fn decide(arrivals: &[Arrival], situation: &Situation) -> Vec<Alert> {
    let mut alerts = Vec::new();
    if !situation.enabled {
        return alerts;
    }
    let me = &situation.me;
    let is_me = |login: &str| login_key(login) == login_key(me);
    let shown = |peer: &str| {
        situation
            .conversations_shown
            .iter()
            .any(|c| login_key(c) == login_key(peer))
    };
    let mut kept: Option<(usize, Vec<String>)> = None;
    for arrival in arrivals {
        match arrival {
            Arrival::Private { from, .. } if is_me(from) => {}
            Arrival::Private {
                from, stored: true, ..
            } => {
                let (count, names) = kept.get_or_insert_with(|| (0, Vec::new()));
                *count += 1;
                if !names.iter().any(|n| login_key(n) == login_key(from)) {
                    names.push(from.clone());
                }
            }
            Arrival::Private { from, text, .. } => {
                if !situation.focused || !shown(from) {
                    alerts.push(Alert::Private {
                        from: from.clone(),
                        text: text.clone(),
                    });
                }
            }
            Arrival::Room { room, from, text } => {
                if !is_me(from)
                    && mentions(text, me)
                    && (!situation.focused || !situation.room_shown)
                {
                    alerts.push(Alert::Mention {
                        room: room.clone(),
                        from: from.clone(),
                        text: text.clone(),
                    });
                }
            }
        }
    }
    if let Some((count, from)) = kept
        && !(situation.focused && from.iter().all(|f| shown(f)))
    {
        alerts.push(Alert::KeptWhileAway { count, from });
    }
    alerts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn situation(focused: bool, room_shown: bool, shown: &[&str]) -> Situation {
        Situation {
            me: "Ana".into(),
            focused,
            room_shown,
            conversations_shown: shown.iter().map(|s| (*s).to_owned()).collect(),
            enabled: true,
        }
    }

    fn private(from: &str, stored: bool) -> Arrival {
        Arrival::Private {
            from: from.into(),
            text: "hola".into(),
            stored,
        }
    }

    fn room(from: &str, text: &str) -> Arrival {
        Arrival::Room {
            room: "lobby".into(),
            from: from.into(),
            text: text.into(),
        }
    }

    #[test]
    fn a_mention_is_a_word_of_its_own() {
        assert!(mentions("hi @ana, ready?", "Ana"));
        assert!(mentions("ANA: look", "ana"));
        assert!(mentions("thanks ana.", "ana"));
        assert!(!mentions("anabel is here", "ana"));
        assert!(!mentions("banana", "ana"));
        assert!(mentions("ask ana.b", "ana.b"));
    }

    #[test]
    fn a_private_message_notifies_unless_its_conversation_is_on_screen_and_focused() {
        let bob = [private("bob", false)];
        let alert = vec![Alert::Private {
            from: "bob".into(),
            text: "hola".into(),
        }];
        // Focused, and the conversation with bob is on screen: the user sees it.
        assert!(decide(&bob, &situation(true, true, &["BOB"])).is_empty());
        // Not focused: even the open conversation notifies.
        assert_eq!(decide(&bob, &situation(false, true, &["bob"])), alert);
        // Focused but showing another conversation, or only the room.
        assert_eq!(decide(&bob, &situation(true, false, &["carl"])), alert);
        assert_eq!(decide(&bob, &situation(true, true, &[])), alert);
        // Turned off.
        let off = Situation {
            enabled: false,
            ..situation(false, true, &[])
        };
        assert!(decide(&bob, &off).is_empty());
    }

    #[test]
    fn room_lines_notify_only_when_they_mention_the_user_out_of_sight() {
        let lines = [
            room("bob", "ana, can you check?"),
            room("bob", "no mention"),
        ];
        // Focused on the room: seen.
        assert!(decide(&lines, &situation(true, true, &[])).is_empty());
        let alerts = decide(&lines, &situation(false, true, &[]));
        assert_eq!(alerts.len(), 1);
        assert!(matches!(&alerts[0], Alert::Mention { from, .. } if from == "bob"));
        // A docked conversation hides the room.
        assert_eq!(decide(&lines, &situation(true, false, &["carl"])).len(), 1);
    }

    #[test]
    fn own_lines_never_notify() {
        let own = [room("ana", "I am ana"), private("ANA", false)];
        assert!(decide(&own, &situation(false, false, &[])).is_empty());
    }

    #[test]
    fn messages_kept_while_away_make_one_summary() {
        let burst = [
            private("bob", true),
            private("carl", true),
            private("Bob", true),
        ];
        assert_eq!(
            decide(&burst, &situation(true, true, &[])),
            [Alert::KeptWhileAway {
                count: 3,
                from: vec!["bob".into(), "carl".into()]
            }]
        );
    }
}
