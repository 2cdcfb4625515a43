//! IRCv3 capabilities a client asked for (`CAP REQ`), as a small set of bits.

/// The capabilities this server offers, as `CAP LS` lists them (with `sasl`'s mechanisms).
pub const OFFERED: &[(&str, Caps)] = &[
    ("sasl=PLAIN", Caps::SASL),
    ("server-time", Caps::SERVER_TIME),
    ("message-tags", Caps::MESSAGE_TAGS),
    ("echo-message", Caps::ECHO_MESSAGE),
    ("away-notify", Caps::AWAY_NOTIFY),
    ("draft/chathistory", Caps::CHATHISTORY),
    ("batch", Caps::BATCH),
    ("multi-prefix", Caps::MULTI_PREFIX),
    ("userhost-in-names", Caps::USERHOST_IN_NAMES),
    ("draft/message-redaction", Caps::REDACTION),
];

/// A set of capabilities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Caps(u16);

impl Caps {
    /// None.
    pub const NONE: Caps = Caps(0);
    /// SASL authentication (PLAIN).
    pub const SASL: Caps = Caps(1);
    /// `@time=` on lines.
    pub const SERVER_TIME: Caps = Caps(1 << 1);
    /// Any tags, client tags (`+typing`) included.
    pub const MESSAGE_TAGS: Caps = Caps(1 << 2);
    /// Your own messages come back to you.
    pub const ECHO_MESSAGE: Caps = Caps(1 << 3);
    /// `AWAY` lines when someone's away state changes.
    pub const AWAY_NOTIFY: Caps = Caps(1 << 4);
    /// `CHATHISTORY` requests.
    pub const CHATHISTORY: Caps = Caps(1 << 5);
    /// `BATCH` around history.
    pub const BATCH: Caps = Caps(1 << 6);
    /// Every prefix of a member in `NAMES` (there is one here, `@`: changes nothing).
    pub const MULTI_PREFIX: Caps = Caps(1 << 7);
    /// `NAMES` as `nick!user@host`.
    pub const USERHOST_IN_NAMES: Caps = Caps(1 << 8);
    /// `REDACT`: deleted lines are told, and may be deleted.
    pub const REDACTION: Caps = Caps(1 << 9);

    /// The bits.
    pub fn bits(self) -> u16 {
        self.0
    }

    /// The set with these bits.
    pub fn from_bits(bits: u16) -> Caps {
        Caps(bits)
    }

    /// Whether every capability of `other` is in this set.
    pub fn contains(self, other: Caps) -> bool {
        self.0 & other.0 == other.0
    }

    /// This set with `other` added.
    #[must_use]
    pub fn with(self, other: Caps) -> Caps {
        Caps(self.0 | other.0)
    }

    /// This set without `other`.
    #[must_use]
    pub fn without(self, other: Caps) -> Caps {
        Caps(self.0 & !other.0)
    }

    /// Whether lines to this client may carry a `time` tag.
    pub fn tagged(self) -> bool {
        self.contains(Caps::SERVER_TIME) || self.contains(Caps::MESSAGE_TAGS)
    }

    /// The capability named `name` (without a value, any case), if offered.
    pub fn named(name: &str) -> Option<Caps> {
        OFFERED
            .iter()
            .find(|(offered, _)| {
                offered
                    .split('=')
                    .next()
                    .is_some_and(|n| n.eq_ignore_ascii_case(name))
            })
            .map(|(_, cap)| *cap)
    }

    /// The names of the capabilities in this set, for `CAP LIST`.
    pub fn names(self) -> Vec<&'static str> {
        OFFERED
            .iter()
            .filter(|(_, cap)| self.contains(*cap))
            .map(|(name, _)| name.split('=').next().unwrap_or(name))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capabilities_are_found_by_name_and_listed_back() {
        assert_eq!(Caps::named("SASL"), Some(Caps::SASL));
        assert_eq!(Caps::named("echo-message"), Some(Caps::ECHO_MESSAGE));
        assert_eq!(Caps::named("multi-prefix"), Some(Caps::MULTI_PREFIX));
        assert_eq!(Caps::named("account-tag"), None);
        let set = Caps::NONE.with(Caps::SERVER_TIME).with(Caps::AWAY_NOTIFY);
        assert_eq!(set.names(), ["server-time", "away-notify"]);
        assert!(set.tagged());
        assert!(!set.without(Caps::SERVER_TIME).tagged());
    }
}
