//! The Fluent files and the words they give.

use std::collections::HashSet;

use chat_model::commands::Cmd;
use fluent_syntax::ast::Entry;
use fluent_templates::fluent_bundle::FluentResource;

use super::*;

fn es() -> &'static Texts {
    Language::SPANISH.texts()
}

fn en() -> &'static Texts {
    Language::ENGLISH.texts()
}

#[test]
fn the_locale_picks_the_language() {
    assert_eq!(
        Language::from_locale("es_CO.UTF-8"),
        Some(Language::SPANISH)
    );
    assert_eq!(Language::from_locale("en_US"), Some(Language::ENGLISH));
    assert_eq!(
        Language::from_locale("pt_BR.UTF-8").map(Language::tag),
        Some("pt-BR")
    );
    assert_eq!(Language::from_locale("C"), None);
    assert_eq!(Language::from_locale(""), None);
    assert_eq!(Language::from_locale("xx_YY"), None);
}

/// Each language's file, parsed, with the ids of its messages.
fn files() -> Vec<(String, HashSet<String>)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("i18n");
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let folder = entry.unwrap().path();
        let ftl: Vec<_> = std::fs::read_dir(&folder)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "ftl"))
            .collect();
        assert_eq!(ftl.len(), 1, "one .ftl file in {}", folder.display());
        let text = std::fs::read_to_string(&ftl[0]).unwrap();
        let resource = FluentResource::try_new(text)
            .unwrap_or_else(|(_, errors)| panic!("{}: {errors:?}", ftl[0].display()));
        let ids = resource
            .entries()
            .filter_map(|e| match e {
                Entry::Message(m) => Some(m.id.name.to_owned()),
                _ => None,
            })
            .collect();
        let tag = folder.file_name().unwrap().to_string_lossy().into_owned();
        found.push((tag, ids));
    }
    found
}

#[test]
fn every_language_has_every_message_and_no_other() {
    let wanted: HashSet<String> = Texts::field_ids().into_iter().collect();
    let files = files();
    assert!(files.len() >= 3, "English, Spanish, Portuguese");
    for (tag, ids) in files {
        let missing: Vec<_> = wanted.difference(&ids).collect();
        assert!(missing.is_empty(), "{tag} lacks {missing:?}");
        let unused: Vec<_> = ids.difference(&wanted).collect();
        assert!(
            unused.is_empty(),
            "{tag} has messages nothing reads: {unused:?}"
        );
        assert!(Language::from_tag(&tag).is_some(), "{tag} is built in");
    }
}

#[test]
fn values_are_filled_by_name_in_declared_order() {
    assert_eq!(
        fill(es().status_logged_in, &[&"ana", &"srv:7878"]),
        "ana en srv:7878"
    );
    assert_eq!(
        fill(en().line_moved, &[&"Closed", &"lobby"]),
        "Closed. You are in lobby"
    );
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

/// Each text of a kind is present in every language and differs from English there (an
/// untranslated copy would be the same).
fn all_translated<K: std::fmt::Debug + Copy>(kinds: &[K], word: impl Fn(&Texts, K) -> String) {
    for k in kinds {
        for language in Language::all() {
            let text = word(language.texts(), *k);
            assert!(!text.trim().is_empty(), "{k:?} has no text");
            if language != Language::ENGLISH {
                assert_ne!(
                    text,
                    word(en(), *k),
                    "{k:?} is not translated to {language:?}"
                );
            }
        }
    }
}

/// As [`all_translated`], and no two kinds share a text (so none says another's words).
fn all_worded<K: std::fmt::Debug + Copy>(kinds: &[K], word: impl Fn(&Texts, K) -> String) {
    all_translated(kinds, &word);
    for language in Language::all() {
        let texts: HashSet<String> = kinds.iter().map(|k| word(language.texts(), *k)).collect();
        assert_eq!(
            texts.len(),
            kinds.len(),
            "two kinds share a text in {language:?}"
        );
    }
}

#[test]
fn every_server_error_code_has_a_text_in_every_language() {
    all_worded(&ERROR_CODES, |t, c| t.error(c).to_owned());
}

#[test]
fn every_field_has_a_name_and_a_rule_in_every_language() {
    all_worded(&FIELDS, |t, f| t.field(f).to_owned());
    all_translated(&FIELDS, |t, f| t.field_rule(f));
    let rule = es().field_rule(Field::Login);
    assert!(rule.contains('3') && rule.contains("32"), "{rule}");
    let password = en().field_rule(Field::Password);
    assert!(!password.contains("byte"), "{password}");
}

#[test]
fn every_command_hint_has_a_text_in_every_language() {
    all_worded(&Cmd::ALL, |t, c| t.command(c).summary.to_owned());
    for cmd in Cmd::ALL {
        for language in Language::all() {
            let syntax = language.texts().command(cmd).syntax;
            assert!(
                syntax.starts_with(cmd.insert().trim_end()),
                "{syntax:?} does not start with the command word"
            );
        }
    }
    assert_eq!(es().command(Cmd::EnterRoom).syntax, "#gR <sala>");
}

#[test]
fn every_close_reason_gender_and_presence_has_a_text_in_every_language() {
    all_worded(&CLOSE_REASONS, |t, r| t.close_reason(r).to_owned());
    all_worded(&chat_core::protocol::Gender::ALL, |t, g| {
        t.gender_name(g).to_owned()
    });
    all_worded(&PRESENCES, |t, p| t.presence(p).to_owned());
}

#[test]
fn a_broken_rule_is_worded_from_its_field_not_the_servers_sentence() {
    let refusal = Refusal {
        code: ErrorCode::Invalid,
        field: Some(Field::Room),
    };
    let text = es().refusal(&refusal);
    assert!(text.starts_with("Nombre de la sala:"), "{text}");
    let no_field = Refusal {
        code: ErrorCode::Invalid,
        field: None,
    };
    assert_eq!(es().refusal(&no_field), es().error(ErrorCode::Invalid));
}

#[test]
fn counts_follow_each_languages_plural_rules() {
    assert_eq!(en().kept_summary(1, "bob"), "1 private message from bob");
    assert_eq!(
        es().kept_summary(3, "bob, eva"),
        "3 mensajes privados de bob, eva"
    );
    assert_eq!(en().member_count(1), "1 member");
    assert_eq!(en().member_count(3), "3 members");
    assert_eq!(es().member_count(1), "1 miembro");
    assert_eq!(es().member_count(0), "0 miembros");
    assert_eq!(fill(en().new_messages, &[&1u32]), "1 new message");
    assert_eq!(fill(es().new_messages, &[&46u32]), "46 mensajes nuevos");
    let pt = Language::from_tag("pt-BR").unwrap().texts();
    assert_eq!(fill(pt.new_messages, &[&1u32]), "1 mensagem nova");
    assert_eq!(fill(pt.new_messages, &[&2u32]), "2 mensagens novas");
    assert_eq!(
        pt.member_count(0),
        "0 membro",
        "CLDR: Portuguese counts 0 as one"
    );
}

#[test]
fn a_language_setting_reads_its_tag_and_falls_back_to_english() {
    let es: Language = serde_json_like("\"es\"");
    assert_eq!(es, Language::SPANISH);
    let gone: Language = serde_json_like("\"xx\"");
    assert_eq!(gone, Language::ENGLISH);
}

fn serde_json_like(text: &str) -> Language {
    ron::from_str(text).unwrap()
}
