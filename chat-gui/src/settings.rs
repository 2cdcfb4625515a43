//! What the client remembers between runs: the server address, the last login, the theme and
//! the language. Saved through eframe's storage; never the password.

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
    /// The interface language; `None` follows the system locale.
    pub language: Option<Language>,
    /// Private conversations show in the main window instead of windows of their own.
    pub dock_private: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            address: DEFAULT_ADDRESS.to_owned(),
            last_login: String::new(),
            host_port: DEFAULT_HOST_PORT,
            theme: Theme::System,
            language: None,
            dock_private: false,
        }
    }
}

impl Settings {
    /// The key under which eframe stores them.
    pub const KEY: &'static str = "chat-gui-settings";

    /// The language in effect.
    pub fn language(&self) -> Language {
        self.language.unwrap_or_else(Language::from_environment)
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
    fn the_password_is_not_a_setting() {
        let text = format!("{:?}", Settings::default());
        assert!(!text.to_lowercase().contains("password"));
    }
}
