//! The look of the whole program, set once for both themes: body text at full contrast and a
//! size that reads comfortably all day, fields with a visible border on either theme, no text
//! smaller than a caption, and fonts that draw emoji and symbols wherever text is shown.

use std::sync::Arc;

use egui::{Color32, FontData, FontDefinitions, FontFamily, FontId, Stroke, TextStyle};

/// DejaVu Sans, the last font tried for a character: it draws the symbols (✓ ✗ → ★ ≈) and
/// scripts that neither egui's text font nor its emoji fonts have.
const SYMBOLS_FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// DejaVu Sans Bold: `**bold**` in messages (egui's text font has no bold face).
const BOLD_FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");

/// The family of bold text in messages.
pub fn bold_family() -> FontFamily {
    FontFamily::Name("bold".into())
}

/// Where Linux systems keep the colour emoji font (Debian/Ubuntu, Fedora, Arch).
const SYSTEM_COLOR_EMOJI: &[&str] = &[
    "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf",
    "/usr/share/fonts/google-noto-color-emoji/NotoColorEmoji.ttf",
    "/usr/share/fonts/noto/NotoColorEmoji.ttf",
];

/// Applies the look (`fonts`, and both the light and the dark style) to `ctx`.
pub fn apply(ctx: &egui::Context, fonts: FontDefinitions) {
    ctx.set_fonts(fonts);
    for theme in [egui::Theme::Dark, egui::Theme::Light] {
        ctx.style_mut_of(theme, |style| tune(style, theme));
    }
}

/// [`fonts`], with the system's colour emoji font (where there is one) before egui's
/// monochrome emoji, so every emoji is drawn alike, in colour. Characters no font here has are
/// looked up among the system's fonts when they first show (eframe's system font provider).
pub fn fonts_of_this_system() -> FontDefinitions {
    let mut fonts = fonts();
    let Some(data) = SYSTEM_COLOR_EMOJI
        .iter()
        .find_map(|path| std::fs::read(path).ok())
    else {
        return fonts;
    };
    fonts.font_data.insert(
        "SystemColorEmoji".to_owned(),
        Arc::new(FontData::from_owned(data)),
    );
    for family in [
        FontFamily::Proportional,
        FontFamily::Monospace,
        bold_family(),
    ] {
        let chain = fonts.families.entry(family).or_default();
        let at = chain
            .iter()
            .position(|name| name == "NotoEmoji-Regular")
            .unwrap_or(chain.len());
        chain.insert(at, "SystemColorEmoji".to_owned());
    }
    fonts
}

/// egui's fonts (text, monospace, emoji) with DejaVu Sans after them: the same on every
/// machine (the tests draw with these).
pub fn fonts() -> FontDefinitions {
    let mut fonts = FontDefinitions::default();
    fonts.font_data.insert(
        "DejaVuSans".to_owned(),
        Arc::new(FontData::from_static(SYMBOLS_FONT)),
    );
    for family in [FontFamily::Proportional, FontFamily::Monospace] {
        fonts
            .families
            .entry(family)
            .or_default()
            .push("DejaVuSans".to_owned());
    }
    fonts.font_data.insert(
        "DejaVuSans-Bold".to_owned(),
        Arc::new(FontData::from_static(BOLD_FONT)),
    );
    // Bold letters, then whatever the text font draws (emoji, symbols).
    let mut bold = vec!["DejaVuSans-Bold".to_owned()];
    bold.extend(
        fonts
            .families
            .get(&FontFamily::Proportional)
            .into_iter()
            .flatten()
            .cloned(),
    );
    fonts.families.insert(bold_family(), bold);
    fonts
}

fn tune(style: &mut egui::Style, theme: egui::Theme) {
    use FontFamily::{Monospace, Proportional};
    style.text_styles = [
        (TextStyle::Small, FontId::new(12.0, Proportional)),
        (TextStyle::Body, FontId::new(14.5, Proportional)),
        (TextStyle::Button, FontId::new(14.5, Proportional)),
        (TextStyle::Heading, FontId::new(21.0, Proportional)),
        (TextStyle::Monospace, FontId::new(13.5, Monospace)),
    ]
    .into();
    style.spacing.item_spacing = egui::vec2(8.0, 6.0);
    style.spacing.button_padding = egui::vec2(8.0, 4.0);
    style.spacing.interact_size.y = 26.0;
    let v = &mut style.visuals;
    v.weak_text_alpha = 0.72;
    // A steady cursor: a blinking one repaints the window twice a second, all day, in a client
    // that otherwise repaints once a second (its clock).
    v.text_cursor.blink = false;
    match theme {
        egui::Theme::Dark => {
            v.widgets.noninteractive.fg_stroke.color = Color32::from_gray(226);
            v.widgets.inactive.fg_stroke.color = Color32::from_gray(226);
            v.text_edit_bg_color = Some(Color32::from_gray(16));
            v.widgets.inactive.bg_stroke = Stroke::new(1.0, Color32::from_gray(78));
            v.faint_bg_color = Color32::from_gray(34);
        }
        egui::Theme::Light => {
            v.widgets.noninteractive.fg_stroke.color = Color32::from_gray(22);
            v.widgets.inactive.fg_stroke.color = Color32::from_gray(22);
            v.panel_fill = Color32::from_gray(246);
            v.window_fill = Color32::from_gray(250);
            v.text_edit_bg_color = Some(Color32::WHITE);
            v.extreme_bg_color = Color32::WHITE;
            v.widgets.inactive.bg_stroke = Stroke::new(1.0, Color32::from_gray(168));
            v.faint_bg_color = Color32::from_gray(236);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn most_emoji_are_drawn_by_the_bundled_fonts() {
        let ctx = egui::Context::default();
        ctx.set_fonts(fonts());
        // The fonts are loaded by the first frame.
        ctx.run_ui(egui::RawInput::default(), |_| {})
            .textures_delta
            .clear();
        let font = egui::FontId::proportional(14.0);
        // The picker offers only those the fonts draw; the bundled ones draw the usual ones.
        let drawn = ctx.fonts_mut(|f| {
            chat_model::emoji::groups()
                .flat_map(chat_model::emoji::in_group)
                .filter(|e| f.has_glyphs(&font, e.as_str()))
                .count()
        });
        assert!(drawn > 1000, "only {drawn} emoji drawn");
        for glyph in ["😀", "👍", "❤️", "🎉", "✅"] {
            assert!(ctx.fonts_mut(|f| f.has_glyphs(&font, glyph)), "{glyph}");
        }
    }
}
