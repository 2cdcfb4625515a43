//! The account on this connection: registering, logging in with the password, resuming with
//! the session token, what `logged_in` changes, and logging out.

use chat_core::protocol::{Password, Registration, Request};
use chat_core::validate::room_key;

use super::phase::{Credential, LoggingIn};
use super::{Client, Pending, Phase, SessionToken, TokenNews};
use crate::chat::{Chat, FirstPage};
use crate::history::LineKind;

impl Client {
    /// Registers an account (the connection stays logged out).
    pub fn register(&mut self, registration: Registration) {
        self.feedback.register = None;
        self.feedback.registered = None;
        let login = registration.login.clone();
        self.send(Request::Register(registration), Pending::Register(login));
    }

    /// Logs in with the password, which is held only until the answer (to retry if the server
    /// is busy).
    pub fn login(&mut self, login: &str, password: Password) {
        self.feedback.login = None;
        self.phase = Phase::LoggingIn(LoggingIn::with_password(login, password));
        self.send_login();
    }

    /// Sends the login with the password of the login under way.
    pub(super) fn send_login(&mut self) {
        let Phase::LoggingIn(LoggingIn {
            with: Credential::Password { login, password },
            ..
        }) = &self.phase
        else {
            return;
        };
        let request = Request::Login {
            login: login.clone(),
            password: password.clone(),
        };
        self.send(request, Pending::Login);
    }

    /// Resumes the session of the token held: after a lost connection, or kept from an
    /// earlier run.
    pub(super) fn send_resume(&mut self, after_reconnection: bool) {
        let Some(token) = &self.token else {
            return;
        };
        // After a lost connection, the last line received: a server (another node of a
        // cluster, perhaps behind the one left) then sends no line twice.
        let request = Request::Resume {
            token: token.token.clone(),
            seen: after_reconnection
                .then_some(self.last_line)
                .filter(|&n| n > 0),
        };
        self.phase = Phase::LoggingIn(LoggingIn::with_token(after_reconnection));
        let pending = if after_reconnection {
            Pending::Relogin
        } else {
            Pending::Resume
        };
        self.send(request, pending);
    }

    /// Leaves the session: the server forgets its token (`all`: every session of the account,
    /// on every machine), and a fresh connection opens so the login form is ready.
    pub fn logout(&mut self, all: bool) {
        self.token = None;
        self.feedback.token = Some(TokenNews::Ended);
        if self.phase.is_logged_in() {
            self.send(Request::Logout { all }, Pending::Logout);
            self.phase = Phase::LoggingOut;
        } else {
            // Not logged in on this connection: nothing for the server to revoke here.
            self.connection = None;
        }
        if self.connection.is_none() {
            self.finish_logout();
        }
    }

    /// The logout is done (the server closed the connection, or there was none): a fresh
    /// connection for the login form.
    pub(super) fn finish_logout(&mut self) {
        self.chat = Chat::default();
        self.phase = Phase::Connecting { resume: false };
        self.open();
    }

    /// `logged_in`: the answer to a login or a resume.
    pub(super) fn logged_in(
        &mut self,
        time: i64,
        login: &str,
        token: Option<&str>,
        expires_ms: Option<i64>,
        pending: Option<Pending>,
    ) {
        let again = pending == Some(Pending::Relogin) && self.chat.is_me(login);
        let room_before = again
            .then(|| self.chat.room_name().map(str::to_owned))
            .flatten();
        if !self.chat.is_me(login) || self.chat.me.is_empty() {
            self.chat = Chat::new(login);
        }
        if let Some(token) = token {
            let token = SessionToken {
                login: login.to_owned(),
                token: token.to_owned(),
                expires_ms,
            };
            if self.token.as_ref() != Some(&token) {
                self.feedback.token = Some(TokenNews::Issued(token.clone()));
            }
            self.token = Some(token);
        }
        // The password, if it was one, has done its work: it goes with the phase.
        self.phase = Phase::LoggedIn;
        self.feedback.login = None;
        self.backoff.reset();
        self.lost = None;
        self.chat.pages_lost();
        if again {
            self.chat.note(time, LineKind::ConnectionBack);
        }
        // How far the user read, here or on another machine, and how far partners read theirs.
        self.send(Request::ReadMarkers, Pending::Quiet);
        let default = self.session.as_ref().map(|s| room_key(&s.default_room));
        if let Some(room) = room_before.filter(|r| Some(room_key(r)) != default) {
            self.send(Request::EnterRoom { room }, Pending::ReEnter);
        }
        let asked: Vec<String> = self
            .chat
            .conversations()
            .filter(|c| c.first_page == FirstPage::NotAsked)
            .map(|c| c.peer.clone())
            .collect();
        for peer in asked {
            self.ask_first_page(&peer);
        }
        let peers: Vec<String> = self.chat.conversations().map(|c| c.peer.clone()).collect();
        for peer in peers {
            self.chat.presence.wanted(&peer);
        }
    }
}
