//! The interface's words, one file per language ([`en`], [`es`]), switchable while the program
//! runs.
//!
//! Every visible sentence comes from a [`Texts`] table; sentences with values use `{0}`, `{1}`
//! placeholders filled by [`fill`]. What the server says travels structured (error `code` and
//! `field`, close and room-closed reasons) and is worded here from those alone: the English
//! `message` the server adds for people is never shown, so no sentence is ever half translated.
//!
//! Architecture Invariant: texts keyed by an enum (error codes, fields, genders, commands, close
//! reasons) are functions with an exhaustive `match` in each language file, so a new variant in
//! `chat-core` does not compile until both languages word it.

mod en;
mod es;

use chat_core::client::Disconnect;
use chat_core::protocol::{CloseReason, ErrorCode, Field, Gender, Presence};
use chat_model::commands::Cmd;
use chat_model::history::{Closure, Refusal};
use serde::{Deserialize, Serialize};

pub use en::EN;
pub use es::ES;

/// An interface language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Language {
    /// English.
    English,
    /// Español.
    Spanish,
}

impl Language {
    /// Every language, as the menu offers them.
    pub const ALL: [Language; 2] = [Language::English, Language::Spanish];

    /// The language's own name.
    pub fn name(self) -> &'static str {
        match self {
            Language::English => "English",
            Language::Spanish => "Español",
        }
    }

    /// The words of this language.
    pub fn texts(self) -> &'static Texts {
        match self {
            Language::English => &EN,
            Language::Spanish => &ES,
        }
    }

    /// The language a POSIX locale name (`es_CO.UTF-8`, `en_US`, `C`) asks for.
    pub fn from_locale(locale: &str) -> Option<Language> {
        let lang = locale
            .split(['_', '.', '-', '@'])
            .next()?
            .to_ascii_lowercase();
        match lang.as_str() {
            "es" => Some(Language::Spanish),
            "en" => Some(Language::English),
            _ => None,
        }
    }

    /// The system's language, from `LC_ALL`, `LC_MESSAGES` or `LANG` (the first one set), English
    /// when none names a language we have.
    pub fn from_environment() -> Language {
        ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .filter_map(|k| std::env::var(k).ok())
            .find(|v| !v.is_empty())
            .and_then(|v| Language::from_locale(&v))
            .unwrap_or(Language::English)
    }
}

/// Replaces `{0}`, `{1}`, … in `template` with `args`.
pub fn fill(template: &str, args: &[&dyn std::fmt::Display]) -> String {
    let mut out = template.to_owned();
    for (i, arg) in args.iter().enumerate() {
        out = out.replace(&format!("{{{i}}}"), &arg.to_string());
    }
    out
}

/// How a command is written and what it does, in one language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommandText {
    /// How to type it, with its placeholders in this language (`#gR <sala>`).
    pub syntax: &'static str,
    /// What it does.
    pub summary: &'static str,
}

/// Every sentence of the interface in one language.
#[derive(Debug)]
pub struct Texts {
    // Connect window.
    pub connect_title: &'static str,
    pub connect_intro: &'static str,
    pub address: &'static str,
    pub address_hint: &'static str,
    pub connect: &'static str,
    pub connecting: &'static str,
    pub cancel: &'static str,
    pub close: &'static str,
    pub host_title: &'static str,
    pub host_intro: &'static str,
    pub port: &'static str,
    pub host_start: &'static str,
    pub host_stop: &'static str,
    pub host_starting: &'static str,
    pub host_running: &'static str,
    pub host_failed: &'static str,
    pub host_no_folder: &'static str,
    pub host_bad_port: &'static str,
    pub left_server: &'static str,
    // Login window.
    pub login_title: &'static str,
    pub login: &'static str,
    pub password: &'static str,
    pub log_in: &'static str,
    pub logging_in: &'static str,
    pub to_register: &'static str,
    pub change_server: &'static str,
    pub registered: &'static str,
    pub connected_to: &'static str,
    // Register window.
    pub register_title: &'static str,
    pub first_names: &'static str,
    pub last_names: &'static str,
    pub confirm_password: &'static str,
    pub age: &'static str,
    pub gender: &'static str,
    pub create_account: &'static str,
    pub to_login: &'static str,
    pub passwords_differ: &'static str,
    // Main window.
    pub rooms: &'static str,
    pub members: &'static str,
    pub conversations: &'static str,
    pub no_conversations: &'static str,
    pub new_room: &'static str,
    pub room_name: &'static str,
    pub create: &'static str,
    pub enter: &'static str,
    pub leave_room: &'static str,
    pub delete_room: &'static str,
    pub list_rooms: &'static str,
    pub users: &'static str,
    pub log_out: &'static str,
    pub send: &'static str,
    pub message_hint: &'static str,
    pub message_input: &'static str,
    pub input_keys: &'static str,
    pub input_keys_private: &'static str,
    pub new_messages: &'static str,
    pub members_more: &'static str,
    pub default_room_mark: &'static str,
    pub created_by: &'static str,
    pub you: &'static str,
    pub menu_room: &'static str,
    pub menu_view: &'static str,
    pub theme: &'static str,
    pub theme_system: &'static str,
    pub theme_light: &'static str,
    pub theme_dark: &'static str,
    pub language: &'static str,
    pub emoji: &'static str,
    pub too_many_lines: &'static str,
    pub unread: &'static str,
    pub window_title: &'static str,
    pub window_title_unread: &'static str,
    // Deleting a room.
    pub delete_title: &'static str,
    pub delete_body: &'static str,
    pub delete_confirm: &'static str,
    // Lines.
    pub line_joined: &'static str,
    pub line_left: &'static str,
    pub line_entered: &'static str,
    pub line_closed_deleted: &'static str,
    pub line_closed_creator_left: &'static str,
    pub line_you_deleted: &'static str,
    pub line_moved: &'static str,
    pub line_room_list: &'static str,
    pub line_lost: &'static str,
    pub line_back: &'static str,
    pub line_help: &'static str,
    pub line_help_footer: &'static str,
    pub unknown_command: &'static str,
    pub usage: &'static str,
    pub field_problem: &'static str,
    // Users window and private conversations.
    pub users_title: &'static str,
    pub users_count: &'static str,
    pub online: &'static str,
    pub offline: &'static str,
    pub in_room: &'static str,
    pub refresh: &'static str,
    pub write_to: &'static str,
    pub private_title: &'static str,
    pub private_hint: &'static str,
    pub private_with: &'static str,
    pub dock: &'static str,
    pub undock: &'static str,
    pub back_to_room: &'static str,
    // Status bar and banner.
    pub status_offline: &'static str,
    pub status_connecting: &'static str,
    pub status_connected: &'static str,
    pub status_logged_in: &'static str,
    pub status_reconnecting: &'static str,
    pub server_time: &'static str,
    pub offset: &'static str,
    pub round_trip: &'static str,
    pub fingerprint: &'static str,
    pub banner_lost: &'static str,
    pub banner_retry_in: &'static str,
    pub banner_trying: &'static str,
    pub banner_still_down: &'static str,
    pub reconnect_now: &'static str,
    // Why a connection ended.
    pub why_unresolved: &'static str,
    pub why_refused: &'static str,
    pub why_timed_out: &'static str,
    pub why_version: &'static str,
    pub why_closed: &'static str,
    pub why_by_client: &'static str,
    pub why_lost: &'static str,
    pub why_cert_changed: &'static str,
    pub why_tls: &'static str,
    pub trust_new_certificate: &'static str,
    pub encrypted: &'static str,
    pub not_encrypted: &'static str,
    pub trust_authority: &'static str,
    pub trust_pinned: &'static str,
    pub trust_first_use: &'static str,
    pub trust_replaced: &'static str,
    // Sessions, history, presence, find, saving, notifications.
    pub keep_signed_in: &'static str,
    pub keep_signed_in_hint: &'static str,
    pub resuming: &'static str,
    pub retry_in: &'static str,
    pub retrying_in: &'static str,
    pub log_out_everywhere: &'static str,
    pub log_out_everywhere_hint: &'static str,
    pub menu_status: &'static str,
    pub away_message: &'static str,
    pub set_away: &'static str,
    pub away_says: &'static str,
    pub earlier_messages: &'static str,
    pub loading_earlier: &'static str,
    pub kept_for_later: &'static str,
    pub sent_while_away: &'static str,
    pub line_kept_dropped: &'static str,
    pub typing: &'static str,
    pub find: &'static str,
    pub find_count: &'static str,
    pub find_none: &'static str,
    pub find_older: &'static str,
    pub find_newer: &'static str,
    pub find_here: &'static str,
    pub search_all: &'static str,
    pub search_title: &'static str,
    pub search_field: &'static str,
    pub search_found: &'static str,
    pub search_none: &'static str,
    pub export: &'static str,
    pub export_title: &'static str,
    pub line_saved: &'static str,
    pub line_save_failed: &'static str,
    pub notifications: &'static str,
    pub notify_private: &'static str,
    pub notify_mention: &'static str,
    pub notify_kept: &'static str,
    // Texts keyed by an enum: exhaustive matches in each language's file.
    /// What an error code means.
    pub error: fn(ErrorCode) -> &'static str,
    /// A field's name.
    pub field: fn(Field) -> &'static str,
    /// What a field must be, with the limits filled in.
    pub field_rule: fn(Field) -> String,
    /// A gender's name.
    pub gender_name: fn(Gender) -> &'static str,
    /// A command's syntax and summary.
    pub command: fn(Cmd) -> CommandText,
    /// Why the server closed a connection.
    pub close_reason: fn(CloseReason) -> &'static str,
    /// "1 member", "3 members".
    pub member_count: fn(u32) -> String,
    /// Online, away, offline.
    pub presence: fn(Presence) -> &'static str,
    /// "3 private messages from bob, carl".
    pub kept_summary: fn(usize, &str) -> String,
}

impl Texts {
    /// A refused request in words: from its code, and for a broken rule from its field.
    pub fn refusal(&self, refusal: &Refusal) -> String {
        match (refusal.code, refusal.field) {
            (ErrorCode::Invalid, Some(field)) => fill(
                self.field_problem,
                &[&(self.field)(field), &(self.field_rule)(field)],
            ),
            (code, _) => (self.error)(code).to_owned(),
        }
    }

    /// Why a connection ended, in words. The system's own description of a failure (in
    /// English) is logged where it happens, not shown.
    pub fn disconnect(&self, why: &Disconnect) -> String {
        match why {
            Disconnect::Unresolved(_) => self.why_unresolved.to_owned(),
            Disconnect::Refused => self.why_refused.to_owned(),
            Disconnect::TimedOut => self.why_timed_out.to_owned(),
            Disconnect::VersionMismatch(_) => self.why_version.to_owned(),
            Disconnect::ServerClosed { reason, .. } => {
                fill(self.why_closed, &[&(self.close_reason)(*reason)])
            }
            Disconnect::ClosedByClient => self.why_by_client.to_owned(),
            Disconnect::CertificateChanged {
                expected,
                presented,
            } => fill(self.why_cert_changed, &[expected, presented]),
            Disconnect::Tls(_) => self.why_tls.to_owned(),
            Disconnect::Lost(_) => self.why_lost.to_owned(),
        }
    }

    /// How the server's certificate was trusted, in words.
    pub fn trust(&self, trust: &chat_core::tls::Trust) -> &'static str {
        use chat_core::tls::Trust;
        match trust {
            Trust::Authority => self.trust_authority,
            Trust::Pinned => self.trust_pinned,
            Trust::FirstUse => self.trust_first_use,
            Trust::Replaced => self.trust_replaced,
        }
    }

    /// Why a room closed, as a line.
    pub fn room_closed(&self, room: &str, closure: Closure) -> String {
        match closure {
            Closure::DeletedByMe => fill(self.line_you_deleted, &[&room]),
            Closure::Deleted => fill(self.line_closed_deleted, &[&room]),
            Closure::CreatorLeft => fill(self.line_closed_creator_left, &[&room]),
        }
    }
}

/// Every error code the server can send. Adding one to `chat-core` breaks the `match` below,
/// which is the reminder to add it here (and to both languages' `error`).
pub const ERROR_CODES: [ErrorCode; 26] = ErrorCode::ALL;

/// Every field a refusal can name; see [`ERROR_CODES`].
pub const FIELDS: [Field; 25] = Field::ALL;

/// Every reason the server gives for closing; see [`ERROR_CODES`].
pub const CLOSE_REASONS: [CloseReason; 9] = [
    CloseReason::Exit,
    CloseReason::TakenOver,
    CloseReason::SlowConsumer,
    CloseReason::ProtocolError,
    CloseReason::ServerShutdown,
    CloseReason::HandshakeTimeout,
    CloseReason::IdleTimeout,
    CloseReason::TooManyConnections,
    CloseReason::Flood,
];

/// The position of each variant in the lists above: written as exhaustive matches, so a variant
/// added to `chat-core` fails to compile here until the lists (and the translations) have it.
#[cfg(test)]
fn listed(code: ErrorCode, field: Field, reason: CloseReason) -> (usize, usize, usize) {
    use ErrorCode::*;
    let code = match code {
        VersionMismatch => 0,
        HelloRequired => 1,
        LoginRequired => 2,
        AlreadyLoggedIn => 3,
        Invalid => 4,
        LoginTaken => 5,
        BadCredentials => 6,
        BadToken => 7,
        RoomExists => 8,
        RoomNotFound => 9,
        NotRoomCreator => 10,
        DefaultRoom => 11,
        UserNotFound => 12,
        UserOffline => 13,
        TooManyRooms => 14,
        Malformed => 15,
        FrameTooLarge => 16,
        ServerBusy => 17,
        RateLimited => 18,
        Internal => 19,
        MessageNotFound => 20,
        NotAllowed => 21,
        Muted => 22,
        SlowMode => 23,
        RemovedFromRoom => 24,
        TooManyReactions => 25,
        Unknown => usize::MAX,
    };
    let field = match field {
        Field::FirstNames => 0,
        Field::LastNames => 1,
        Field::Login => 2,
        Field::Password => 3,
        Field::Age => 4,
        Field::Gender => 5,
        Field::Room => 6,
        Field::Text => 7,
        Field::Client => 8,
        Field::Version => 9,
        Field::To => 10,
        Field::Token => 11,
        Field::Offset => 12,
        Field::All => 13,
        Field::Before => 14,
        Field::With => 15,
        Field::ReplyTo => 16,
        Field::Line => 17,
        Field::Emoji => 18,
        Field::On => 19,
        Field::Receipt => 20,
        Field::Action => 21,
        Field::Seconds => 22,
        Field::Reason => 23,
        Field::Topic => 24,
        Field::Unknown => usize::MAX,
    };
    let reason = match reason {
        CloseReason::Exit => 0,
        CloseReason::TakenOver => 1,
        CloseReason::SlowConsumer => 2,
        CloseReason::ProtocolError => 3,
        CloseReason::ServerShutdown => 4,
        CloseReason::HandshakeTimeout => 5,
        CloseReason::IdleTimeout => 6,
        CloseReason::TooManyConnections => 7,
        CloseReason::Flood => 8,
        CloseReason::Unknown => usize::MAX,
    };
    (code, field, reason)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn the_locale_picks_the_language() {
        assert_eq!(
            Language::from_locale("es_CO.UTF-8"),
            Some(Language::Spanish)
        );
        assert_eq!(Language::from_locale("en_US"), Some(Language::English));
        assert_eq!(Language::from_locale("C"), None);
        assert_eq!(Language::from_locale(""), None);
    }

    #[test]
    fn placeholders_are_filled_in_order() {
        assert_eq!(fill("{0} en {1}", &[&"ana", &"lobby"]), "ana en lobby");
    }

    #[test]
    fn the_lists_hold_every_variant_once() {
        for (i, code) in ERROR_CODES.iter().enumerate() {
            assert_eq!(listed(*code, Field::Login, CloseReason::Exit).0, i);
        }
        for (i, field) in FIELDS.iter().enumerate() {
            assert_eq!(listed(ErrorCode::Invalid, *field, CloseReason::Exit).1, i);
        }
        for (i, reason) in CLOSE_REASONS.iter().enumerate() {
            assert_eq!(listed(ErrorCode::Invalid, Field::Login, *reason).2, i);
        }
    }

    /// Each text of a kind is present and different in the two languages (an untranslated
    /// copy would be the same).
    fn all_translated<K: std::fmt::Debug + Copy>(kinds: &[K], word: impl Fn(&Texts, K) -> String) {
        for k in kinds {
            for t in [&EN, &ES] {
                assert!(!word(t, *k).trim().is_empty(), "{k:?} has no text");
            }
            assert_ne!(word(&EN, *k), word(&ES, *k), "{k:?} is not translated");
        }
    }

    /// As [`all_translated`], and no two kinds share a text (so none says another's words).
    fn all_worded<K: std::fmt::Debug + Copy>(kinds: &[K], word: impl Fn(&Texts, K) -> String) {
        all_translated(kinds, &word);
        for t in [&EN, &ES] {
            let texts: HashSet<String> = kinds.iter().map(|k| word(t, *k)).collect();
            assert_eq!(texts.len(), kinds.len(), "two kinds share a text");
        }
    }

    #[test]
    fn every_server_error_code_has_a_text_in_both_languages() {
        all_worded(&ERROR_CODES, |t, c| (t.error)(c).to_owned());
    }

    #[test]
    fn every_field_has_a_name_and_a_rule_in_both_languages() {
        all_worded(&FIELDS, |t, f| (t.field)(f).to_owned());
        // First and last names follow one rule.
        all_translated(&FIELDS, |t, f| (t.field_rule)(f));
        let rule = (ES.field_rule)(Field::Login);
        assert!(rule.contains("3") && rule.contains("32"), "{rule}");
    }

    #[test]
    fn every_command_hint_has_a_text_in_both_languages() {
        all_worded(&Cmd::ALL, |t, c| (t.command)(c).summary.to_owned());
        for cmd in Cmd::ALL {
            for t in [&EN, &ES] {
                let syntax = (t.command)(cmd).syntax;
                assert!(
                    syntax.starts_with(cmd.insert().trim_end()),
                    "{syntax:?} does not start with the command word"
                );
            }
        }
        assert_eq!((ES.command)(Cmd::EnterRoom).syntax, "#gR <sala>");
    }

    #[test]
    fn every_close_reason_and_gender_has_a_text_in_both_languages() {
        all_worded(&CLOSE_REASONS, |t, r| (t.close_reason)(r).to_owned());
        all_worded(&Gender::ALL, |t, g| (t.gender_name)(g).to_owned());
    }

    #[test]
    fn a_broken_rule_is_worded_from_its_field_not_the_servers_sentence() {
        let refusal = Refusal {
            code: ErrorCode::Invalid,
            field: Some(Field::Room),
        };
        let es = ES.refusal(&refusal);
        assert!(es.starts_with("Nombre de la sala:"), "{es}");
        let no_field = Refusal {
            code: ErrorCode::Invalid,
            field: None,
        };
        assert_eq!(ES.refusal(&no_field), (ES.error)(ErrorCode::Invalid));
    }

    #[test]
    fn every_presence_has_a_text_in_both_languages() {
        let all = [
            Presence::Online,
            Presence::Away,
            Presence::Offline,
            Presence::Unknown,
        ];
        // An exhaustive match: a presence added to `chat-core` must join the list above.
        for p in all {
            match p {
                Presence::Online | Presence::Away | Presence::Offline | Presence::Unknown => {}
            }
        }
        all_worded(&all, |t, p| (t.presence)(p).to_owned());
    }

    #[test]
    fn counts_agree_in_number() {
        assert_eq!((EN.kept_summary)(1, "bob"), "1 private message from bob");
        assert_eq!(
            (ES.kept_summary)(3, "bob, eva"),
            "3 mensajes privados de bob, eva"
        );
        assert_eq!((EN.member_count)(1), "1 member");
        assert_eq!((EN.member_count)(3), "3 members");
        assert_eq!((ES.member_count)(1), "1 miembro");
        assert_eq!((ES.member_count)(0), "0 miembros");
    }
}
