//! What is wrong with a request that did not decode, said so that its sender can be answered.
//!
//! The strict decoder ([`super::ClientFrame`]) says only that a frame is not a request, in
//! serde's words. A client that sent `register` with `age: 300` waits for the reply to its `id`,
//! so when the `id` can still be read, the server answers it: [`diagnose`] reads the body
//! leniently and names the first key at fault and the rule it broke, in words a person reads.
//!
//! Not on the hot path: it runs only after the strict decoder refused a frame.

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::codes::{ErrorCode, Field};
use super::line::ModAction;
use super::request::RequestKind;
use crate::limits::{AGE_MAX_YEARS, AGE_MIN_YEARS, MAX_DECODE_DEPTH};

/// Why a readable request was refused, for its reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnosis {
    /// The request's `id`, for the reply's `re`.
    pub id: u32,
    /// `invalid` when a key broke its rule (then `field` names it), `malformed` otherwise.
    pub code: ErrorCode,
    /// The key at fault.
    pub field: Option<Field>,
    /// What is wrong, for people.
    pub message: String,
}

/// What a key must hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    WholeNumber,
    Age,
    Gender,
    TrueOrFalse,
    /// A whole number of 64 bits (a line's number).
    Number,
    /// A moderation's action.
    Action,
    /// A list of file ids.
    Ids,
}

/// Every key a request may carry besides `id` and `type`, with what it must hold. A key the
/// protocol defines keeps its type whatever the request's `type`, as the strict decoder requires.
const KEYS: [(&str, Kind, Field); 27] = [
    ("version", Kind::WholeNumber, Field::Version),
    ("client", Kind::Text, Field::Client),
    ("first_names", Kind::Text, Field::FirstNames),
    ("last_names", Kind::Text, Field::LastNames),
    ("login", Kind::Text, Field::Login),
    ("password", Kind::Text, Field::Password),
    ("age", Kind::Age, Field::Age),
    ("gender", Kind::Gender, Field::Gender),
    ("text", Kind::Text, Field::Text),
    ("room", Kind::Text, Field::Room),
    ("to", Kind::Text, Field::To),
    ("token", Kind::Text, Field::Token),
    ("offset", Kind::WholeNumber, Field::Offset),
    ("all", Kind::TrueOrFalse, Field::All),
    ("before", Kind::Number, Field::Before),
    ("with", Kind::Text, Field::With),
    ("reply_to", Kind::Number, Field::ReplyTo),
    ("line", Kind::Number, Field::Line),
    ("emoji", Kind::Text, Field::Emoji),
    ("on", Kind::TrueOrFalse, Field::On),
    ("receipt", Kind::TrueOrFalse, Field::Receipt),
    ("action", Kind::Action, Field::Action),
    ("seconds", Kind::WholeNumber, Field::Seconds),
    ("reason", Kind::Text, Field::Reason),
    ("topic", Kind::Text, Field::Topic),
    ("attachments", Kind::Ids, Field::Attachments),
    ("seen", Kind::Number, Field::Seen),
];

/// The moderation actions a request may name.
const MOD_ACTIONS: [ModAction; 7] = [
    ModAction::Mute,
    ModAction::Unmute,
    ModAction::Remove,
    ModAction::Slow,
    ModAction::Readmit,
    ModAction::Voice,
    ModAction::Devoice,
];

/// Longest piece of a peer's text quoted back in a message.
const QUOTED_CHARS: usize = 32;

/// Reads a refused request body leniently. `None` when not even a `uint32` `id` can be found in a
/// map (the reply then goes without `re`).
pub fn diagnose(body: &[u8]) -> Option<Diagnosis> {
    let mut de = rmp_serde::Deserializer::from_read_ref(body);
    de.set_max_depth(MAX_DECODE_DEPTH);
    let Entries(entries) = Entries::deserialize(&mut de).ok()?;
    let get = |key: &str| {
        entries
            .iter()
            .find(|(k, v)| k == key && *v != Loose::Nil)
            .map(|(_, v)| v)
    };
    let id = match get("id") {
        Some(Loose::Int(n)) => u32::try_from(*n).ok()?,
        _ => return None,
    };
    let malformed = |message: String| Diagnosis {
        id,
        code: ErrorCode::Malformed,
        field: None,
        message,
    };
    let kind = match get("type") {
        Some(Loose::Text(name)) => match RequestKind::ALL.iter().find(|(_, n, _)| n == name) {
            Some(kind) => kind,
            None => {
                return Some(malformed(format!(
                    "there is no request of type {}",
                    quote(name)
                )));
            }
        },
        Some(_) => return Some(malformed("the request's type must be text".into())),
        None => return Some(malformed("the request has no type".into())),
    };
    let invalid = |field: Field, message: String| Diagnosis {
        id,
        code: ErrorCode::Invalid,
        field: Some(field),
        message,
    };
    for (key, want, field) in KEYS {
        if let Some(value) = get(key)
            && !fits(want, value)
        {
            return Some(invalid(field, rule(want, field, value)));
        }
    }
    let (_, _, needed) = kind;
    for alternatives in needed.iter() {
        if alternatives.split('|').all(|key| get(key).is_none()) {
            let key = alternatives.split('|').next().unwrap_or(alternatives);
            let field = KEYS
                .iter()
                .find(|(k, _, _)| *k == key)
                .map_or(Field::Unknown, |(_, _, f)| *f);
            return Some(invalid(field, format!("the {field} field is missing")));
        }
    }
    if entries
        .iter()
        .enumerate()
        .any(|(i, (k, _))| entries[..i].iter().any(|(other, _)| other == k))
    {
        return Some(malformed("a key appears twice in the request".into()));
    }
    Some(malformed(
        "the request could not be read (bytes after the map?)".into(),
    ))
}

fn fits(want: Kind, value: &Loose) -> bool {
    match (want, value) {
        (Kind::Text, Loose::Text(_)) | (Kind::TrueOrFalse, Loose::Bool(_)) => true,
        (Kind::WholeNumber, Loose::Int(n)) => u32::try_from(*n).is_ok(),
        (Kind::Number, Loose::Int(n)) => u64::try_from(*n).is_ok(),
        (Kind::Age, Loose::Int(n)) => u8::try_from(*n).is_ok(),
        (Kind::Gender, Loose::Text(name)) => crate::protocol::Gender::ALL
            .iter()
            .any(|g| g.wire_name() == name),
        (Kind::Action, Loose::Text(name)) => MOD_ACTIONS.iter().any(|a| a.wire_name() == name),
        (Kind::Ids, Loose::List { items, too_many }) => {
            !too_many
                && items.len() <= crate::limits::ATTACHMENTS_PER_LINE
                && items.iter().all(|i| matches!(i, Loose::Text(_)))
        }
        _ => false,
    }
}

fn rule(want: Kind, field: Field, value: &Loose) -> String {
    let got = value.describe();
    match want {
        Kind::Text => format!("the {field} must be text, not {got}"),
        Kind::WholeNumber => format!("the {field} must be a whole number from 0 to 4294967295"),
        Kind::Number => format!("the {field} must be a whole number, 0 or more"),
        Kind::Age => {
            format!(
                "the age must be a whole number of years from {AGE_MIN_YEARS} to {AGE_MAX_YEARS}"
            )
        }
        Kind::Gender => {
            let names: Vec<&str> = crate::protocol::Gender::ALL
                .iter()
                .map(|g| g.wire_name())
                .collect();
            format!("the gender must be one of {}, not {got}", names.join(", "))
        }
        Kind::TrueOrFalse => format!("{} must be true or false, not {got}", field.key()),
        Kind::Action => {
            let names: Vec<&str> = MOD_ACTIONS.iter().map(|a| a.wire_name()).collect();
            format!("the action must be one of {}, not {got}", names.join(", "))
        }
        Kind::Ids => format!(
            "the files must be a list of at most {} file ids",
            crate::limits::ATTACHMENTS_PER_LINE
        ),
    }
}

fn quote(text: &str) -> String {
    let short: String = text.chars().take(QUOTED_CHARS).collect();
    if short.len() < text.len() {
        format!("{short:?}…")
    } else {
        format!("{short:?}")
    }
}

/// Any MessagePack value, kept only as far as a rule needs.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Loose {
    Nil,
    Bool(bool),
    Int(i128),
    Text(String),
    /// A list (its first items; `too_many` when it had more).
    List {
        items: Vec<Loose>,
        too_many: bool,
    },
    /// Something no key holds: a map, bytes, a fraction.
    Other(&'static str),
}

/// Items of a list kept to say what is wrong with it.
const LIST_ITEMS_KEPT: usize = 64;

impl Loose {
    fn describe(&self) -> String {
        match self {
            Loose::Nil => "nothing".into(),
            Loose::Bool(b) => b.to_string(),
            Loose::Int(n) => n.to_string(),
            Loose::Text(t) => quote(t),
            Loose::List { .. } => "a list".into(),
            Loose::Other(what) => (*what).into(),
        }
    }
}

impl<'de> Deserialize<'de> for Loose {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(LooseVisitor)
    }
}

struct LooseVisitor;

impl<'de> Visitor<'de> for LooseVisitor {
    type Value = Loose;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any MessagePack value")
    }

    fn visit_unit<E>(self) -> Result<Loose, E> {
        Ok(Loose::Nil)
    }

    fn visit_none<E>(self) -> Result<Loose, E> {
        Ok(Loose::Nil)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Loose, D::Error> {
        Loose::deserialize(d)
    }

    fn visit_bool<E>(self, v: bool) -> Result<Loose, E> {
        Ok(Loose::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Loose, E> {
        Ok(Loose::Int(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Loose, E> {
        Ok(Loose::Int(v.into()))
    }

    fn visit_f64<E>(self, _: f64) -> Result<Loose, E> {
        Ok(Loose::Other("a number with a fraction"))
    }

    fn visit_str<E>(self, v: &str) -> Result<Loose, E> {
        Ok(Loose::Text(v.to_owned()))
    }

    fn visit_bytes<E>(self, _: &[u8]) -> Result<Loose, E> {
        Ok(Loose::Other("binary data"))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Loose, A::Error> {
        let mut items = Vec::new();
        while items.len() < LIST_ITEMS_KEPT {
            match seq.next_element::<Loose>()? {
                Some(item) => items.push(item),
                None => {
                    return Ok(Loose::List {
                        items,
                        too_many: false,
                    });
                }
            }
        }
        let mut too_many = false;
        while seq.next_element::<IgnoredAny>()?.is_some() {
            too_many = true;
        }
        Ok(Loose::List { items, too_many })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Loose, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Loose::Other("a map"))
    }
}

/// A request's map, as (key, value) pairs in the order sent.
struct Entries(Vec<(String, Loose)>);

impl<'de> Deserialize<'de> for Entries {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntriesVisitor;
        impl<'de> Visitor<'de> for EntriesVisitor {
            type Value = Entries;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a map with string keys")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries, A::Error> {
                let mut entries = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, Loose>()? {
                    entries.push((k, v));
                }
                Ok(Entries(entries))
            }
        }
        deserializer
            .deserialize_map(EntriesVisitor)
            .map_err(de::Error::custom::<D::Error>)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Serialize;

    use super::*;
    use crate::frame::decode;
    use crate::protocol::ClientFrame;

    /// A loosely typed value to build hand-made requests with.
    #[derive(Serialize, Clone)]
    #[serde(untagged)]
    enum V {
        S(&'static str),
        I(i64),
        B(bool),
        L(Vec<u8>),
    }

    fn body(entries: &[(&'static str, V)]) -> Vec<u8> {
        let map: BTreeMap<&str, V> = entries.iter().cloned().collect();
        rmp_serde::to_vec_named(&map).unwrap()
    }

    fn registration(with: &[(&'static str, Option<V>)]) -> Vec<u8> {
        let mut entries: Vec<(&'static str, V)> = vec![
            ("id", V::I(9)),
            ("type", V::S("register")),
            ("first_names", V::S("Ana")),
            ("last_names", V::S("Ruiz")),
            ("login", V::S("ana")),
            ("password", V::S("secret-password")),
            ("age", V::I(30)),
            ("gender", V::S("female")),
        ];
        for (key, value) in with {
            entries.retain(|(k, _)| k != key);
            if let Some(v) = value {
                entries.push((key, v.clone()));
            }
        }
        body(&entries)
    }

    fn refused(body: &[u8]) -> Diagnosis {
        assert!(
            decode::<ClientFrame>(body).is_err(),
            "the strict decoder refuses it: {:?}",
            decode::<ClientFrame>(body)
        );
        diagnose(body).unwrap()
    }

    #[test]
    fn a_registration_with_a_bad_value_is_answered_with_its_id_and_the_field() {
        let cases: [(&'static str, Option<V>, Field); 9] = [
            ("gender", Some(V::S("robot")), Field::Gender),
            ("gender", Some(V::S("Female")), Field::Gender),
            ("gender", Some(V::S("")), Field::Gender),
            ("gender", None, Field::Gender),
            ("age", Some(V::I(300)), Field::Age),
            ("age", Some(V::I(-1)), Field::Age),
            ("age", Some(V::S("30")), Field::Age),
            ("login", Some(V::I(5)), Field::Login),
            ("first_names", None, Field::FirstNames),
        ];
        for (key, value, field) in cases {
            let d = refused(&registration(&[(key, value.clone())]));
            assert_eq!(d.id, 9);
            assert_eq!(d.code, ErrorCode::Invalid, "{key}");
            assert_eq!(d.field, Some(field), "{key}: {}", d.message);
            for internal in ["variant", "marker", "FixStr", "invalid type"] {
                assert!(!d.message.contains(internal), "{}", d.message);
            }
        }
        let d = refused(&registration(&[("age", Some(V::I(300)))]));
        assert!(
            d.message.contains("13") && d.message.contains("120"),
            "{}",
            d.message
        );
        let d = refused(&registration(&[("gender", Some(V::S("robot")))]));
        assert!(d.message.contains("non_binary"), "{}", d.message);
    }

    #[test]
    fn unknown_types_and_unreadable_ids() {
        let d = refused(&body(&[("id", V::I(4)), ("type", V::S("dance"))]));
        assert_eq!((d.id, d.code, d.field), (4, ErrorCode::Malformed, None));
        assert!(d.message.contains("dance"));
        assert!(diagnose(&body(&[("id", V::S("4")), ("type", V::S("say"))])).is_none());
        assert!(diagnose(&body(&[("id", V::I(-4)), ("type", V::S("say"))])).is_none());
        assert!(diagnose(&body(&[("type", V::S("say")), ("text", V::S("x"))])).is_none());
        assert!(diagnose(&[0x93, 1, 2, 3]).is_none(), "not a map");
        assert!(diagnose(&[]).is_none());
        let d = refused(&body(&[("id", V::I(4)), ("type", V::L(vec![1]))]));
        assert_eq!(d.code, ErrorCode::Malformed);
    }

    #[test]
    fn every_request_needs_exactly_the_keys_the_table_lists() {
        for (_, name, needed) in RequestKind::ALL {
            let value = |key: &str| match KEYS.iter().find(|(k, _, _)| *k == key).unwrap().1 {
                Kind::Text => V::S("x"),
                Kind::WholeNumber => V::I(1),
                Kind::Age => V::I(30),
                Kind::Gender => V::S("other"),
                Kind::TrueOrFalse => V::B(true),
                Kind::Number => V::I(7),
                Kind::Action => V::S("mute"),
                Kind::Ids => V::L(vec![]),
            };
            let first = |k: &'static str| k.split('|').next().unwrap_or(k);
            let mut entries = vec![("id", V::I(1)), ("type", V::S(name))];
            entries.extend(needed.iter().map(|k| (first(k), value(first(k)))));
            let complete = body(&entries);
            assert!(
                decode::<ClientFrame>(&complete).is_ok(),
                "{name} with {needed:?}"
            );
            for missing in needed.iter().map(|k| first(k)) {
                let fewer: Vec<_> = entries
                    .iter()
                    .filter(|(k, _)| *k != missing)
                    .cloned()
                    .collect();
                let d = refused(&body(&fewer));
                assert_eq!(d.field.map(Field::key), Some(missing), "{name}");
            }
            // Every defined key keeps its type in every request.
            for (key, kind, field) in KEYS {
                let wrong = if kind == Kind::Text {
                    V::I(1)
                } else {
                    V::L(vec![1])
                };
                let mut bad: Vec<_> = entries.iter().filter(|(k, _)| *k != key).cloned().collect();
                bad.push((key, wrong));
                let d = refused(&body(&bad));
                assert_eq!(d.field, Some(field), "{name} with a bad {key}");
            }
        }
    }

    #[test]
    fn long_text_is_not_echoed_whole() {
        let long: &'static str = Box::leak("z".repeat(10_000).into_boxed_str());
        let d = refused(&body(&[("id", V::I(4)), ("type", V::S(long))]));
        assert!(d.message.len() < 100, "{}", d.message);
    }
}
