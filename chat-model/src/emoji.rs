//! The emoji the picker offers and the `:short_code:` names that type them, as chat programs
//! (Slack, GitHub, Discord) name them.
//!
//! Every emoji here is drawn by the fonts the desktop client bundles (Noto Emoji, monochrome); a
//! test of its theme checks it, so the picker never offers an empty box.

/// One emoji and the names that type it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Emoji {
    /// The character(s).
    pub glyph: &'static str,
    /// Its short code, without colons.
    pub code: &'static str,
}

const fn e(glyph: &'static str, code: &'static str) -> Emoji {
    Emoji { glyph, code }
}

/// The picker's emoji, by group, most used first.
pub const EMOJI: &[Emoji] = &[
    // Faces.
    e("😀", "grinning"),
    e("😄", "smile"),
    e("😂", "joy"),
    e("😆", "laughing"),
    e("😊", "blush"),
    e("☺", "relaxed"),
    e("😉", "wink"),
    e("😍", "heart_eyes"),
    e("😘", "kissing_heart"),
    e("😎", "sunglasses"),
    e("😕", "confused"),
    e("😋", "yum"),
    e("😅", "sweat_smile"),
    e("😇", "innocent"),
    e("🙃", "upside_down_face"),
    e("😐", "neutral_face"),
    e("😴", "sleeping"),
    e("😮", "open_mouth"),
    e("😢", "cry"),
    e("😭", "sob"),
    e("😡", "rage"),
    e("😱", "scream"),
    e("😃", "smiley"),
    e("😲", "astonished"),
    e("😒", "unamused"),
    e("😬", "grimacing"),
    e("😌", "relieved"),
    e("😶", "no_mouth"),
    // Hands and people.
    e("👍", "thumbsup"),
    e("👎", "thumbsdown"),
    e("👏", "clap"),
    e("🙌", "raised_hands"),
    e("👋", "wave"),
    e("🙏", "pray"),
    e("👌", "ok_hand"),
    e("✌", "v"),
    e("✊", "fist"),
    e("💪", "muscle"),
    e("👀", "eyes"),
    e("👊", "punch"),
    e("✋", "raised_hand"),
    e("👉", "point_right"),
    // Hearts and marks.
    e("❤", "heart"),
    e("💙", "blue_heart"),
    e("💚", "green_heart"),
    e("💛", "yellow_heart"),
    e("💔", "broken_heart"),
    e("🔥", "fire"),
    e("✨", "sparkles"),
    e("⭐", "star"),
    e("💯", "100"),
    e("✅", "white_check_mark"),
    e("✓", "check"),
    e("❌", "x"),
    e("❗", "exclamation"),
    e("❓", "question"),
    e("⚠", "warning"),
    e("💡", "bulb"),
    // Things.
    e("🎉", "tada"),
    e("🎂", "birthday"),
    e("🎁", "gift"),
    e("☕", "coffee"),
    e("🍕", "pizza"),
    e("🍺", "beer"),
    e("📚", "books"),
    e("📝", "memo"),
    e("📌", "pushpin"),
    e("📅", "date"),
    e("⏰", "alarm_clock"),
    e("💻", "computer"),
    e("📱", "iphone"),
    e("🚀", "rocket"),
    e("🐛", "bug"),
    e("🔒", "lock"),
    e("🏠", "house"),
    e("🌞", "sun_with_face"),
    e("☔", "umbrella"),
    e("⚽", "soccer"),
    e("🎵", "musical_note"),
    e("🐱", "cat"),
    e("🐶", "dog"),
    // Arrows and symbols.
    e("→", "arrow_right"),
    e("←", "arrow_left"),
    e("↑", "arrow_up"),
    e("↓", "arrow_down"),
    e("•", "bullet"),
    e("…", "ellipsis"),
    e("°", "degree"),
    e("±", "plus_minus"),
    e("×", "times"),
    e("÷", "divide"),
    e("≈", "approx"),
    e("≠", "ne"),
    e("≤", "le"),
    e("≥", "ge"),
    e("€", "euro"),
    e("©", "copyright"),
];

/// The emoji a short code (without colons) names, ignoring case.
pub fn by_code(code: &str) -> Option<&'static Emoji> {
    EMOJI.iter().find(|e| e.code.eq_ignore_ascii_case(code))
}

/// The emoji whose short code starts with `typed`, then those that contain it, at most `max`.
pub fn search(typed: &str, max: usize) -> Vec<&'static Emoji> {
    let typed = typed.to_ascii_lowercase();
    let starts = EMOJI.iter().filter(|e| e.code.starts_with(&typed));
    let contains = EMOJI
        .iter()
        .filter(|e| !e.code.starts_with(&typed) && e.code.contains(&typed));
    starts.chain(contains).take(max).collect()
}

/// `text` with every complete `:short_code:` replaced by its emoji; unknown codes (and times such
/// as `10:30:00`) are left as typed.
pub fn replace_codes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(':') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let code_end = after.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '+'));
        match code_end {
            Some(end) if end > 0 && after[end..].starts_with(':') => {
                if let Some(emoji) = by_code(&after[..end]) {
                    out.push_str(emoji.glyph);
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
        assert_eq!(replace_codes(":HEART:"), "❤");
        assert_eq!(
            replace_codes("at 10:30:00 :nope: a:b"),
            "at 10:30:00 :nope: a:b"
        );
        assert_eq!(replace_codes("::smile::"), ":😄:");
        assert_eq!(replace_codes("ñ :smile: ñ"), "ñ 😄 ñ");
    }

    #[test]
    fn search_prefers_codes_that_start_with_what_is_typed() {
        let found: Vec<&str> = search("smi", 3).iter().map(|e| e.code).collect();
        assert_eq!(found[0], "smile");
        assert!(found.contains(&"sweat_smile"));
        assert!(search("zzz", 5).is_empty());
    }

    #[test]
    fn codes_are_unique() {
        for (i, a) in EMOJI.iter().enumerate() {
            assert!(
                EMOJI[i + 1..]
                    .iter()
                    .all(|b| b.code != a.code && b.glyph != a.glyph),
                "{} twice",
                a.code
            );
        }
    }
}
