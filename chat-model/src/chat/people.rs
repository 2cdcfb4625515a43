//! The people family of server messages: the user list, someone's presence changing, and
//! someone typing to the user. What is known of presence is kept in [`Presences`].
//!
//! [`Presences`]: crate::presence::Presences

use chat_core::protocol::{Presence, UserInfo};

use super::{Chat, Directory};

impl Chat {
    /// `users`: a page of the registered users, online first.
    pub(super) fn user_list(&mut self, users: &[UserInfo], total: u32) {
        for user in users {
            let presence = match user.presence {
                Presence::Unknown if user.online => Presence::Online,
                Presence::Unknown => Presence::Offline,
                known => known,
            };
            self.presence
                .set(&user.login, presence, user.away_text.clone());
        }
        self.directory = Some(Directory {
            users: users.to_vec(),
            total,
        });
    }

    /// `presence`: someone went online, away (with an away message) or offline.
    pub(super) fn presence_changed(&mut self, login: &str, presence: Presence, text: Option<&str>) {
        self.presence.set(login, presence, text.map(str::to_owned));
    }

    /// `typing`: someone is typing to the user, until the server time `until_ms`.
    pub(super) fn typing(&mut self, from: &str, until_ms: i64) {
        self.presence.typing(from, until_ms);
    }
}
