//! Staying signed in and leaving: a kept session resumes at start (and when connecting to its
//! server again), the settings follow the session token the server gives or ends, logging out
//! forgets it; and the typing notices sent to conversation partners.

use web_time::{Instant, SystemTime, UNIX_EPOCH};

use chat_model::client::TokenNews;
use chat_model::composer::Target;

use super::{ChatApp, Form, Pane};
use crate::limits::TYPING_NOTICE_EVERY;

impl ChatApp {
    /// Whether a password is held anywhere in memory: typed in the login window, or kept by the
    /// client for a login under way.
    pub fn holds_password(&self) -> bool {
        self.client.holds_password() || !self.login.password.is_empty()
    }

    /// At start: a session kept for the last server resumes by itself, without the password.
    pub(super) fn resume_kept_session(&mut self) {
        // A page connects at once to the server that served it (the address is its own).
        let web = cfg!(target_arch = "wasm32");
        if web || (self.settings.keep_signed_in && self.kept_session().is_some()) {
            self.connect();
        }
    }

    fn kept_session(&self) -> Option<chat_model::client::SessionToken> {
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        self.settings.kept_session(&self.settings.address, now_ms)
    }

    /// Connects to the server in the settings, resuming its kept session if there is one.
    pub(super) fn connect(&mut self) {
        let addr = self.settings.address.clone();
        match self.kept_session().filter(|_| self.settings.keep_signed_in) {
            Some(token) => {
                self.login.login = token.login.clone();
                self.client.resume(&addr, token);
            }
            None => self.client.connect(&addr),
        }
    }

    /// The settings keep the token the server gave (when asked to) and forget one that ended.
    pub(super) fn follow_token(&mut self) {
        match self.client.feedback.token.take() {
            Some(TokenNews::Issued(token)) => {
                let addr = self.client.addr().to_owned();
                self.settings.keep_session(&addr, &token);
                self.save_now = true;
            }
            Some(TokenNews::Ended) => {
                let addr = self.client.addr().to_owned();
                self.settings.forget_session(&addr);
                self.save_now = true;
            }
            None => {}
        }
    }

    /// Logs out (here, or with `all` everywhere): the server forgets the session, so do the
    /// settings, and the login window comes back.
    pub(super) fn logout(&mut self, all: bool) {
        let addr = self.client.addr().to_owned();
        self.settings.forget_session(&addr);
        self.save_now = true;
        self.users_open = false;
        self.drafts.clear();
        self.views.clear();
        self.find = None;
        self.search = None;
        self.pane = Pane::Room;
        self.form = Form::Login;
        self.client.logout(all);
    }

    /// The user typed in a box: a conversation's partner is told, at most every few seconds.
    pub(super) fn typed(&mut self, target: &Target) {
        let Target::Private(key) = target else {
            return;
        };
        let now = Instant::now();
        if self
            .typing_sent
            .get(key)
            .is_some_and(|at| now.duration_since(*at) < TYPING_NOTICE_EVERY)
        {
            return;
        }
        let Some(peer) = self.client.chat.conversation(key).map(|c| c.peer.clone()) else {
            return;
        };
        self.typing_sent.insert(key.clone(), now);
        self.client.typing(&peer);
    }
}
