//! Emoji: every one of Unicode, from the `emojis` crate (its groups, English names and GitHub's
//! `:short_code:` names, as Slack, GitHub and Discord type them), found by short code or name,
//! and the ones the user picked most recently.
//!
//! Which of them a window can draw depends on its fonts: the window filters them (the picker
//! never offers an empty box).

pub use emojis::{Emoji, Group};

/// How many recently used emoji are remembered.
pub const MAX_RECENT: usize = 24;

/// The emoji a short code (without colons) names, ignoring case.
pub fn by_code(code: &str) -> Option<&'static Emoji> {
    emojis::get_by_shortcode(&code.to_ascii_lowercase())
}

/// The emoji `glyph` is, if it is one.
pub fn get(glyph: &str) -> Option<&'static Emoji> {
    emojis::get(glyph)
}

/// The short code that types `emoji` (without colons), or its name where it has none.
pub fn code(emoji: &Emoji) -> &str {
    emoji.shortcode().unwrap_or(emoji.name())
}

/// Every emoji of `group`, in Unicode's order, without skin tones.
pub fn in_group(group: Group) -> impl Iterator<Item = &'static Emoji> {
    group
        .emojis()
        .filter(|e| e.skin_tone().is_none_or(|t| t == emojis::SkinTone::Default))
}

/// Every group, in Unicode's order.
pub fn groups() -> impl Iterator<Item = Group> {
    Group::iter()
}

/// How well `emoji` matches `typed` (lowercase): 0 a short code is it, 1 one starts with it, 2
/// a word of its name starts with it, 3 a short code or its name contains it; `None`, no match.
fn rank(emoji: &Emoji, typed: &str) -> Option<u8> {
    if emoji.shortcodes().any(|c| c == typed) {
        return Some(0);
    }
    if emoji.shortcodes().any(|c| c.starts_with(typed)) {
        return Some(1);
    }
    let name = emoji.name().to_ascii_lowercase();
    if name.split([' ', '-', ':']).any(|w| w.starts_with(typed)) {
        return Some(2);
    }
    let contains = emoji.shortcodes().any(|c| c.contains(typed)) || name.contains(typed);
    contains.then_some(3)
}

/// The emoji that `typed` names by short code or by name (English), best matches first (then
/// the shorter code), at most `max` (`usize::MAX` for all).
pub fn search(typed: &str, max: usize) -> Vec<&'static Emoji> {
    let typed = typed.trim().to_ascii_lowercase();
    if typed.is_empty() {
        return Vec::new();
    }
    let mut found: Vec<(u8, usize, usize, &'static Emoji)> = emojis::iter()
        .enumerate()
        .filter_map(|(i, e)| rank(e, &typed).map(|r| (r, code(e).len(), i, e)))
        .collect();
    found.sort_by_key(|(r, len, i, _)| (*r, *len, *i));
    found.into_iter().take(max).map(|(_, _, _, e)| e).collect()
}

/// Puts `glyph` first among the recently used, keeping at most [`MAX_RECENT`].
pub fn remember(recent: &mut Vec<String>, glyph: &str) {
    recent.retain(|g| g != glyph);
    recent.insert(0, glyph.to_owned());
    recent.truncate(MAX_RECENT);
}

/// `text` with every complete `:short_code:` replaced by its emoji; unknown codes (and times such
/// as `10:30:00`) are left as typed.
pub fn replace_codes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(':') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let code_end =
            after.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '+' || c == '-'));
        match code_end {
            Some(end) if end > 0 && after[end..].starts_with(':') => {
                if let Some(emoji) = by_code(&after[..end]) {
                    out.push_str(emoji.as_str());
                    rest = &after[end + 1..];
                    continue;
                }
                out.push(':');
                rest = after;
            }
            _ => {
                out.push(':');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_codes_become_emoji_and_the_rest_stays() {
        assert_eq!(replace_codes("great :thumbsup: :tada:!"), "great 👍 🎉!");
        assert_eq!(replace_codes(":+1: :SMILE:"), "👍 😄");
        assert_eq!(
            replace_codes("at 10:30:00 :nope: a:b"),
            "at 10:30:00 :nope: a:b"
        );
        assert_eq!(replace_codes("::smile::"), ":😄:");
        assert_eq!(replace_codes("ñ :smile: ñ"), "ñ 😄 ñ");
    }

    #[test]
    fn search_finds_by_short_code_first_then_by_name() {
        let found: Vec<&str> = search("smi", 40).iter().map(|e| code(e)).collect();
        assert_eq!(found[0], "smile");
        assert!(found.contains(&"sweat_smile"));
        let party: Vec<&str> = search("party", 5).iter().map(|e| e.as_str()).collect();
        assert!(party.contains(&"🎉"), "{party:?}");
        assert!(search("zzzq", 5).is_empty());
        assert!(search("  ", 5).is_empty());
    }

    #[test]
    fn the_picker_has_all_of_unicode() {
        let all: usize = groups().map(|g| in_group(g).count()).sum();
        assert!(all > 1800, "{all}");
    }

    #[test]
    fn the_most_recent_come_first_once_each() {
        let mut recent = Vec::new();
        for glyph in ["😀", "🎉", "😀"] {
            remember(&mut recent, glyph);
        }
        assert_eq!(recent, ["😀", "🎉"]);
        for i in 0..40 {
            remember(&mut recent, &i.to_string());
        }
        assert_eq!(recent.len(), MAX_RECENT);
    }
}
