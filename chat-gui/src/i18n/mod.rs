//! The interface's words: one Project Fluent file per language, `chat-gui/i18n/<tag>/chat.ftl`,
//! built into the program and switchable while it runs.
//!
//! A translator adds a language by adding its file alone: every folder under `i18n/` is a
//! language (its BCP 47 tag the folder's name, its own name the message `language-name`), and
//! plural forms follow the language's CLDR rules. Every visible sentence is a message of
//! [`Texts`]; messages with values ([`Msg`]) are worded by [`fill`]. What the server says travels
//! structured (error `code` and `field`, close and room-closed reasons) and is worded here from
//! those alone: the English `message` the server adds for people is never shown, so no sentence
//! is ever half translated.
//!
//! Architecture Invariant: texts keyed by an enum (error codes, fields, genders, commands, close
//! reasons, presence) are methods with an exhaustive `match` from each variant to its message
//! (`texts.rs`), so a variant added to `chat-core` does not compile until it has one; a test
//! checks that every language's file has every message.

mod texts;

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::OnceLock;

use chat_core::client::Disconnect;
use chat_core::protocol::{CloseReason, ErrorCode, Field, Presence};
use chat_model::history::{Closure, Refusal};
use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader};
use serde::{Deserialize, Serialize};

pub use texts::{CommandText, Texts};

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./i18n",
        fallback_language: "en",
        // No Unicode isolation marks around values: egui draws them as boxes.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// The languages found, English first, then by tag; and each one's texts once loaded.
struct Catalog {
    tags: Vec<(&'static str, LanguageIdentifier)>,
    texts: Vec<OnceLock<&'static Texts>>,
}

fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| {
        let mut ids: Vec<LanguageIdentifier> = LOCALES.locales().cloned().collect();
        ids.sort_by_key(|id| (*id != "en", id.to_string()));
        let tags: Vec<(&'static str, LanguageIdentifier)> = ids
            .into_iter()
            .map(|id| (leak(id.to_string()), id))
            .collect();
        let texts = tags.iter().map(|_| OnceLock::new()).collect();
        Catalog { tags, texts }
    })
}

/// Keeps a text for the life of the program (each message of a language is resolved once).
fn leak(text: String) -> &'static str {
    Box::leak(text.into_boxed_str())
}

/// An interface language: one of the Fluent files built in, by its tag (`en`, `es`, `pt-BR`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Language(&'static str);

impl Language {
    /// English, the language every other falls back on.
    pub const ENGLISH: Language = Language("en");
    /// Spanish.
    pub const SPANISH: Language = Language("es");

    /// Every language built in, English first.
    pub fn all() -> impl Iterator<Item = Language> {
        catalog().tags.iter().map(|(tag, _)| Language(tag))
    }

    /// Its BCP 47 tag.
    pub fn tag(self) -> &'static str {
        self.0
    }

    /// The language's own name (its `language-name` message).
    pub fn name(self) -> &'static str {
        self.texts().language_name
    }

    fn index(self) -> usize {
        catalog()
            .tags
            .iter()
            .position(|(tag, _)| *tag == self.0)
            .unwrap_or(0)
    }

    fn id(self) -> &'static LanguageIdentifier {
        &catalog().tags[self.index()].1
    }

    /// The words of this language.
    pub fn texts(self) -> &'static Texts {
        let index = self.index();
        let language = Language(catalog().tags[index].0);
        catalog().texts[index].get_or_init(|| Box::leak(Box::new(Texts::load(language))))
    }

    /// The language built in for a tag: the same tag (any case), else the first one of the same
    /// language (`es-CO` → `es`, `pt` → `pt-BR`).
    pub fn from_tag(tag: &str) -> Option<Language> {
        let tag = tag.replace('_', "-");
        let tags = &catalog().tags;
        if let Some((found, _)) = tags.iter().find(|(t, _)| t.eq_ignore_ascii_case(&tag)) {
            return Some(Language(found));
        }
        let primary = tag.split('-').next()?.to_ascii_lowercase();
        tags.iter()
            .find(|(_, id)| id.language.as_str() == primary)
            .map(|(t, _)| Language(t))
    }

    /// The language a POSIX locale name (`es_CO.UTF-8`, `pt_BR`, `C`) asks for.
    pub fn from_locale(locale: &str) -> Option<Language> {
        let name = locale.split(['.', '@']).next()?;
        if name.is_empty() || name == "C" || name == "POSIX" {
            return None;
        }
        Language::from_tag(name)
    }

    /// The system's language: from `LC_ALL`, `LC_MESSAGES` or `LANG` (the first one set), or
    /// else the system's own setting (Windows and macOS set no such variable: their user's
    /// language comes from the system); English when neither names a language we have.
    pub fn from_environment() -> Language {
        ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .filter_map(|k| std::env::var(k).ok())
            .find(|v| !v.is_empty())
            .and_then(|v| Language::from_locale(&v))
            .or_else(|| system_locale().and_then(|tag| Language::from_tag(&tag)))
            .unwrap_or(Language::ENGLISH)
    }
}

/// The system's language tag (`es-CO`).
#[cfg(not(target_arch = "wasm32"))]
fn system_locale() -> Option<String> {
    sys_locale::get_locale()
}

/// The browser's language tag (`navigator.language`, `pt-BR`): a page has no environment.
#[cfg(target_arch = "wasm32")]
fn system_locale() -> Option<String> {
    web_sys::window()?.navigator().language()
}

impl Serialize for Language {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0)
    }
}

impl<'de> Deserialize<'de> for Language {
    /// A tag no longer built in reads as English rather than failing the settings.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let tag = String::deserialize(deserializer)?;
        Ok(Language::from_tag(&tag).unwrap_or(Language::ENGLISH))
    }
}

/// A value given to a message: a text or a number (numbers choose plural forms).
pub trait Arg {
    /// The value as Fluent takes it.
    fn value(&self) -> FluentValue<'_>;
}

impl Arg for str {
    fn value(&self) -> FluentValue<'_> {
        FluentValue::from(self)
    }
}

impl Arg for String {
    fn value(&self) -> FluentValue<'_> {
        FluentValue::from(self.as_str())
    }
}

impl<T: Arg + ?Sized> Arg for &T {
    fn value(&self) -> FluentValue<'_> {
        (**self).value()
    }
}

impl<T: Arg + ?Sized> Arg for &mut T {
    fn value(&self) -> FluentValue<'_> {
        (**self).value()
    }
}

macro_rules! number_args {
    ($($t:ty),*) => {$(
        impl Arg for $t {
            fn value(&self) -> FluentValue<'_> {
                FluentValue::from(*self)
            }
        }
    )*};
}
number_args!(u8, u16, u32, u64, usize, i32, i64, f32, f64);

/// A message with values, of one language: worded by [`fill`].
#[derive(Debug, Clone, Copy)]
pub struct Msg {
    language: Language,
    id: &'static str,
    /// The names of its values, in the order [`fill`] takes them.
    args: &'static [&'static str],
}

impl Msg {
    /// The message's id in the Fluent files.
    pub fn id(&self) -> &'static str {
        self.id
    }
}

/// Words `msg` with `args`, in the order the message declares its values.
pub fn fill(msg: Msg, args: &[&dyn Arg]) -> String {
    let named: Vec<(&str, &dyn Arg)> = msg.args.iter().copied().zip(args.iter().copied()).collect();
    format(msg.language, msg.id, &named)
}

/// Words the message `id` of `language` with named values.
fn format(language: Language, id: &str, args: &[(&str, &dyn Arg)]) -> String {
    let lang = language.id();
    if args.is_empty() {
        return LOCALES.lookup(lang, id);
    }
    let map: HashMap<Cow<'static, str>, FluentValue<'_>> = args
        .iter()
        .map(|(name, value)| (Cow::Owned((*name).to_owned()), value.value()))
        .collect();
    LOCALES.lookup_with_args(lang, id, &map)
}

impl Texts {
    /// A refused request in words: from its code, and for a broken rule from its field.
    pub fn refusal(&self, refusal: &Refusal) -> String {
        match (refusal.code, refusal.field) {
            (ErrorCode::Invalid, Some(field)) => fill(
                self.field_problem,
                &[&self.field(field), &self.field_rule(field)],
            ),
            (code, _) => self.error(code).to_owned(),
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
                fill(self.why_closed, &[&self.close_reason(*reason)])
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
            Trust::Browser => self.trust_browser,
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
pub const ERROR_CODES: [ErrorCode; 30] = ErrorCode::ALL;

/// Every field a refusal can name; see [`ERROR_CODES`].
pub const FIELDS: [Field; 31] = Field::ALL;

/// Every presence; see [`ERROR_CODES`].
pub const PRESENCES: [Presence; 4] = [
    Presence::Online,
    Presence::Away,
    Presence::Offline,
    Presence::Unknown,
];

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
        FileTooLarge => 26,
        QuotaExceeded => 27,
        FileNotFound => 28,
        StorageFull => 29,
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
        Field::Attachments => 24,
        Field::Name => 25,
        Field::Size => 26,
        Field::Sha256 => 27,
        Field::Type => 28,
        Field::Topic => 29,
        Field::Seen => 30,
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
mod tests;
