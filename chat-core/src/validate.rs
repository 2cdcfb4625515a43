//! Validation rules shared by client and server, so a form can show the server's reasons before
//! anything is sent, and the server enforces the very same rules.
//!
//! Every function returns [`Error::Invalid`] with the field and a sentence a user can act on.

use crate::error::{Error, Result};
use crate::limits::{
    AGE_MAX_YEARS, AGE_MIN_YEARS, LOGIN_MAX_CHARS, LOGIN_MIN_CHARS, NAME_MAX_CHARS,
    PASSWORD_MAX_BYTES, PASSWORD_MIN_BYTES, ROOM_MAX_CHARS, ROOM_MIN_CHARS, TEXT_MAX_CHARS,
    TEXT_MAX_LINES, TOPIC_MAX_CHARS,
};
use crate::protocol::{Field, Registration};

fn invalid(field: Field, reason: impl Into<String>) -> Error {
    Error::Invalid {
        field,
        reason: reason.into(),
    }
}

/// A login: 3 to 32 of ASCII letters, digits, `.`, `_`, `-`. Uniqueness ignores case (see
/// [`login_key`]).
pub fn login(login: &str) -> Result<()> {
    let chars = login.chars().count();
    if !(LOGIN_MIN_CHARS..=LOGIN_MAX_CHARS).contains(&chars) {
        return Err(invalid(
            Field::Login,
            format!("must be {LOGIN_MIN_CHARS} to {LOGIN_MAX_CHARS} characters long"),
        ));
    }
    if let Some(bad) = login
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
    {
        return Err(invalid(
            Field::Login,
            format!("may only use letters a-z, digits, '.', '_' and '-' (not {bad:?})"),
        ));
    }
    Ok(())
}

/// The form of a login that uniqueness and look-ups use: ASCII lowercase.
pub fn login_key(login: &str) -> String {
    login.to_ascii_lowercase()
}

/// A password: 8 to 71 bytes of UTF-8. Longer ones are refused rather than silently truncated
/// by bcrypt.
pub fn password(password: &str) -> Result<()> {
    let bytes = password.len();
    if bytes < PASSWORD_MIN_BYTES {
        return Err(invalid(
            Field::Password,
            format!("must be at least {PASSWORD_MIN_BYTES} characters long"),
        ));
    }
    if bytes > PASSWORD_MAX_BYTES {
        return Err(invalid(
            Field::Password,
            format!("must be at most {PASSWORD_MAX_BYTES} bytes long"),
        ));
    }
    if password.chars().any(char::is_control) {
        return Err(invalid(
            Field::Password,
            "must not contain control characters",
        ));
    }
    Ok(())
}

/// First or last names: non-empty after trimming, at most 64 characters, any script, no control
/// characters.
pub fn person_name(field: Field, name: &str) -> Result<()> {
    let trimmed = name.trim();
    if trimmed.is_empty() {
        return Err(invalid(field, "must not be empty"));
    }
    if trimmed.len() != name.len() {
        return Err(invalid(field, "must not start or end with spaces"));
    }
    if name.chars().count() > NAME_MAX_CHARS {
        return Err(invalid(
            field,
            format!("must be at most {NAME_MAX_CHARS} characters long"),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(invalid(field, "must not contain control characters"));
    }
    if !name.chars().any(char::is_alphabetic) {
        return Err(invalid(field, "must contain at least one letter"));
    }
    Ok(())
}

/// Age in whole years, 13 to 120.
pub fn age(age: u8) -> Result<()> {
    if !(AGE_MIN_YEARS..=AGE_MAX_YEARS).contains(&age) {
        return Err(invalid(
            Field::Age,
            format!("must be between {AGE_MIN_YEARS} and {AGE_MAX_YEARS}"),
        ));
    }
    Ok(())
}

/// Parses an age typed into a form.
pub fn parse_age(text: &str) -> Result<u8> {
    let text = text.trim();
    let value: u32 = text
        .parse()
        .map_err(|_| invalid(Field::Age, "must be a whole number"))?;
    let value = u8::try_from(value).map_err(|_| {
        invalid(
            Field::Age,
            format!("must be between {AGE_MIN_YEARS} and {AGE_MAX_YEARS}"),
        )
    })?;
    age(value)?;
    Ok(value)
}

/// A room name: 1 to 32 characters, letters of any script, digits, `.`, `_`, `-`; no spaces, so
/// `#gR name` is never ambiguous. Room names ignore case for look-ups (see [`room_key`]).
pub fn room(name: &str) -> Result<()> {
    let chars = name.chars().count();
    if !(ROOM_MIN_CHARS..=ROOM_MAX_CHARS).contains(&chars) {
        return Err(invalid(
            Field::Room,
            format!("must be {ROOM_MIN_CHARS} to {ROOM_MAX_CHARS} characters long"),
        ));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_alphanumeric() || matches!(c, '.' | '_' | '-')))
    {
        return Err(invalid(
            Field::Room,
            format!("may only use letters, digits, '.', '_' and '-' (not {bad:?})"),
        ));
    }
    Ok(())
}

/// The form of a room name that look-ups use: lowercase.
pub fn room_key(name: &str) -> String {
    name.to_lowercase()
}

/// Message text: not blank, at most 2000 characters on at most 100 lines, no control characters
/// but tab and line feed (a message may hold several lines: code, lists).
pub fn text(text: &str) -> Result<()> {
    if text.trim().is_empty() {
        return Err(invalid(Field::Text, "must not be empty"));
    }
    if text.chars().count() > TEXT_MAX_CHARS {
        return Err(invalid(
            Field::Text,
            format!("must be at most {TEXT_MAX_CHARS} characters long"),
        ));
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\t' && c != '\n')
    {
        return Err(invalid(Field::Text, "must not contain control characters"));
    }
    if text.split('\n').count() > TEXT_MAX_LINES {
        return Err(invalid(
            Field::Text,
            format!("must be at most {TEXT_MAX_LINES} lines long"),
        ));
    }
    Ok(())
}

/// A room's topic: at most 300 characters, on one line (empty: no topic).
pub fn topic(topic: &str) -> Result<()> {
    if topic.chars().count() > TOPIC_MAX_CHARS {
        return Err(invalid(
            Field::Topic,
            format!("must be at most {TOPIC_MAX_CHARS} characters long"),
        ));
    }
    if topic.chars().any(char::is_control) {
        return Err(invalid(
            Field::Topic,
            "must be one line, without control characters",
        ));
    }
    Ok(())
}

/// Every field of a registration, first failure first.
pub fn registration(r: &Registration) -> Result<()> {
    person_name(Field::FirstNames, &r.first_names)?;
    person_name(Field::LastNames, &r.last_names)?;
    login(&r.login)?;
    password(r.password.expose())?;
    age(r.age)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_in_any_script_are_valid() {
        for name in ["José Ñúñez", "Zoë", "李小龙", "O'Brien-Smith", "Ana María"] {
            person_name(Field::FirstNames, name).unwrap();
        }
        for name in ["", "   ", " Ana", "a\u{7}b", "1234"] {
            assert!(person_name(Field::FirstNames, name).is_err(), "{name:?}");
        }
        assert!(person_name(Field::LastNames, &"a".repeat(65)).is_err());
    }

    #[test]
    fn logins_follow_the_rules() {
        for ok in ["ana", "ana.maria_99", "A-B", &"x".repeat(32)] {
            login(ok).unwrap();
        }
        for bad in ["ab", &"x".repeat(33), "ana maria", "josé", "a#b", ""] {
            assert!(login(bad).is_err(), "{bad:?}");
        }
        assert_eq!(login_key("AnA.Maria"), "ana.maria");
    }

    #[test]
    fn passwords_longer_than_bcrypt_reads_are_refused() {
        password("12345678").unwrap();
        password(&"p".repeat(PASSWORD_MAX_BYTES)).unwrap();
        assert!(password("1234567").is_err());
        assert!(password(&"p".repeat(72)).is_err());
        // Bytes, not characters: 36 two-byte letters are 72 bytes.
        assert!(password(&"ñ".repeat(36)).is_err());
    }

    #[test]
    fn ages_and_rooms() {
        assert_eq!(parse_age(" 21 ").unwrap(), 21);
        for bad in ["", "abc", "-1", "12", "121", "300", "2.5"] {
            assert!(parse_age(bad).is_err(), "{bad:?}");
        }
        for ok in ["lobby", "sala-1", "Café", "x"] {
            room(ok).unwrap();
        }
        for bad in ["", "two words", &"r".repeat(33), "a/b"] {
            assert!(room(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn texts() {
        text("hola a todos").unwrap();
        text("tab\tok").unwrap();
        assert!(text("   ").is_err());
        assert!(text("bell\u{7}").is_err());
        text("def f():\n    return 1").unwrap();
        assert!(text("carriage\r return").is_err());
        assert!(text(&"x\n".repeat(TEXT_MAX_LINES)).is_err());
        text(&"x\n".repeat(TEXT_MAX_LINES - 1)).unwrap();
        assert!(text(&"x".repeat(TEXT_MAX_CHARS + 1)).is_err());
    }
}
