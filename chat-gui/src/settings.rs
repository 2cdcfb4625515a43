//! What the client remembers between runs: the server address, the last login, the theme, the
//! language, whether to notify, and (when the user asked to stay signed in) a session token per
//! server. Saved through eframe's storage; never the password.

use std::collections::BTreeMap;

use chat_model::client::SessionToken;
use serde::{Deserialize, Serialize};

use crate::i18n::Language;
use crate::limits::{DEFAULT_ADDRESS, DEFAULT_HOST_PORT};

/// Light, dark, or whatever the system prefers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Theme {
    /// Follow the system.
    #[default]
    System,
    /// Light.
    Light,
    /// Dark.
    Dark,
}

impl Theme {
    /// Every theme, as the menu offers them.
    pub const ALL: [Theme; 3] = [Theme::System, Theme::Light, Theme::Dark];

    /// What egui should use.
    pub fn preference(self) -> egui::ThemePreference {
        match self {
            Theme::System => egui::ThemePreference::System,
            Theme::Light => egui::ThemePreference::Light,
            Theme::Dark => egui::ThemePreference::Dark,
        }
    }
}

/// The two languages of settings files older than the Fluent files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LegacyLanguage {
    /// English.
    English,
    /// Spanish.
    Spanish,
}

/// A session kept so the next start logs in by itself: the token, never the password.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeptSession {
    /// The login as registered.
    pub login: String,
    /// The session token the server gave.
    pub token: String,
    /// When it expires, ms since the Unix epoch; `None` if the server did not say.
    #[serde(default)]
    pub expires_ms: Option<i64>,
}

impl std::fmt::Debug for KeptSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeptSession")
            .field("login", &self.login)
            .finish_non_exhaustive()
    }
}

/// Settings that survive restarts. `#[serde(default)]` lets an older settings file load.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// The server address last connected to.
    pub address: String,
    /// The login last used.
    pub last_login: String,
    /// The port last used to host a server.
    pub host_port: u16,
    /// Light or dark.
    pub theme: Theme,
    /// The interface language, by its tag; `None` follows the system locale.
    pub locale: Option<Language>,
    /// The language as settings files before Fluent named it (`English`, `Spanish`): read so
    /// an older file keeps its choice, never written.
    #[serde(skip_serializing)]
    pub language: Option<LegacyLanguage>,
    /// Private conversations show in the main window instead of windows of their own.
    pub dock_private: bool,
    /// "Keep me signed in": the session of each server is kept in `sessions`.
    pub keep_signed_in: bool,
    /// Kept sessions, by server address (only while `keep_signed_in`).
    pub sessions: BTreeMap<String, KeptSession>,
    /// Desktop notifications for private messages and mentions.
    pub notifications: bool,
    /// The emoji picked most recently, newest first.
    pub recent_emoji: Vec<String>,
    /// Tell the other user of a conversation when their messages were read (read receipts).
    pub read_receipts: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            address: DEFAULT_ADDRESS.to_owned(),
            last_login: String::new(),
            host_port: DEFAULT_HOST_PORT,
            theme: Theme::System,
            locale: None,
            language: None,
            // A page has no windows of the system: a conversation's window would float over
            // the room, so there they show in the main window unless the user chooses windows.
            dock_private: cfg!(target_arch = "wasm32"),
            keep_signed_in: false,
            sessions: BTreeMap::new(),
            notifications: true,
            recent_emoji: Vec::new(),
            read_receipts: true,
        }
    }
}

impl Settings {
    /// The key under which eframe stores them.
    pub const KEY: &'static str = "chat-gui-settings";

    /// The language in effect.
    pub fn language(&self) -> Language {
        match (self.locale, self.language) {
            (Some(language), _) => language,
            (None, Some(LegacyLanguage::English)) => Language::ENGLISH,
            (None, Some(LegacyLanguage::Spanish)) => Language::SPANISH,
            (None, None) => Language::from_environment(),
        }
    }

    /// Chooses the interface language.
    pub fn set_language(&mut self, language: Language) {
        self.locale = Some(language);
        self.language = None;
    }

    /// The session kept for `addr` that has not expired by `now_ms` (ms since the epoch).
    pub fn kept_session(&self, addr: &str, now_ms: i64) -> Option<SessionToken> {
        let kept = self.sessions.get(addr.trim())?;
        if kept.expires_ms.is_some_and(|at| at <= now_ms) {
            return None;
        }
        Some(SessionToken {
            login: kept.login.clone(),
            token: kept.token.clone(),
            expires_ms: kept.expires_ms,
        })
    }

    /// Keeps `token` for `addr`, if the user asked to stay signed in.
    pub fn keep_session(&mut self, addr: &str, token: &SessionToken) {
        if !self.keep_signed_in {
            self.forget_session(addr);
            return;
        }
        self.sessions.insert(
            addr.trim().to_owned(),
            KeptSession {
                login: token.login.clone(),
                token: token.token.clone(),
                expires_ms: token.expires_ms,
            },
        );
    }

    /// Forgets the session kept for `addr` (logged out, or refused by the server).
    pub fn forget_session(&mut self, addr: &str) {
        self.sessions.remove(addr.trim());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_older_settings_file_still_loads() {
        use serde::de::value::{Error, MapDeserializer};
        // A file written before most fields existed: only the address.
        let old = MapDeserializer::<_, Error>::new([("address", "chat.example:7878")].into_iter());
        let s = Settings::deserialize(old).unwrap();
        assert_eq!(s.address, "chat.example:7878");
        assert_eq!(s.host_port, DEFAULT_HOST_PORT);
        assert_eq!(s.theme, Theme::System);
    }

    #[test]
    fn a_session_is_kept_only_when_asked_and_until_it_expires() {
        let token = SessionToken {
            login: "ana".into(),
            token: "secret-token".into(),
            expires_ms: Some(1_000),
        };
        let mut s = Settings::default();
        s.keep_session("host:7878", &token);
        assert!(s.kept_session("host:7878", 0).is_none(), "not asked to");
        s.keep_signed_in = true;
        s.keep_session(" host:7878 ", &token);
        assert_eq!(s.kept_session("host:7878", 999), Some(token));
        assert!(s.kept_session("host:7878", 1_000).is_none(), "expired");
        assert!(s.kept_session("other:7878", 0).is_none(), "one per server");
        assert!(!format!("{s:?}").contains("secret-token"));
        s.forget_session("host:7878");
        assert!(s.sessions.is_empty());
    }

    #[test]
    fn the_password_is_not_a_setting() {
        let text = format!("{:?}", Settings::default());
        assert!(!text.to_lowercase().contains("password"));
    }
}
