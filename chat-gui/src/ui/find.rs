//! The find bar over the lines of a room or conversation (Ctrl+F): what to look for, how many
//! lines match, the earlier and later match, and closing. Enter shows the earlier match (the
//! search starts at the newest, at the bottom), Shift+Enter the later one, Escape closes.

use chat_model::find::Finder;
use egui::{Key, Modifiers, RichText, Ui};

use crate::i18n::{Texts, fill};
use crate::ui::Intent;

/// Draws the bar; `focus` puts the keyboard in its field (it was just opened).
pub fn bar(ui: &mut Ui, t: &Texts, finder: &mut Finder, focus: bool) -> Vec<Intent> {
    let mut intents = Vec::new();
    // The field gives way to the count and the buttons, which are never cut off.
    ui.horizontal(|ui| {
        ui.add_space((ui.available_width() * 0.08).min(crate::ui::row::GUTTER - 8.0));
        let label = ui.label(format!("🔍 {}", t.find));
        let width = (ui.available_width() - 190.0).clamp(60.0, 220.0);
        let field = ui
            .add(
                egui::TextEdit::singleline(&mut finder.query)
                    .id_salt("find-field")
                    .desired_width(width),
            )
            .labelled_by(label.id);
        if focus {
            field.request_focus();
        }
        if field.has_focus() || field.lost_focus() {
            let (older, newer, close) = ui.input_mut(|i| {
                (
                    i.consume_key(Modifiers::NONE, Key::Enter),
                    i.consume_key(Modifiers::SHIFT, Key::Enter),
                    i.consume_key(Modifiers::NONE, Key::Escape),
                )
            });
            if older {
                intents.push(Intent::FindOlder);
            }
            if newer {
                intents.push(Intent::FindNewer);
            }
            if close {
                intents.push(Intent::CloseFind);
            }
            if (older || newer) && field.lost_focus() {
                field.request_focus();
            }
        }
        let count = match (finder.current, finder.hits.len()) {
            (_, 0) if finder.query.is_empty() => String::new(),
            (_, 0) => t.find_none.to_owned(),
            (Some(i), n) => fill(t.find_count, &[&(i + 1), &n]),
            (None, n) => fill(t.find_count, &[&0, &n]),
        };
        ui.label(RichText::new(count).weak());
        let any = !finder.hits.is_empty();
        if ui
            .add_enabled(any, egui::Button::new("↑"))
            .on_hover_text(t.find_older)
            .accessible_name(t.find_older)
            .clicked()
        {
            intents.push(Intent::FindOlder);
        }
        if ui
            .add_enabled(any, egui::Button::new("↓"))
            .on_hover_text(t.find_newer)
            .accessible_name(t.find_newer)
            .clicked()
        {
            intents.push(Intent::FindNewer);
        }
        if ui
            .button("✕")
            .on_hover_text(t.close)
            .accessible_name(t.close)
            .clicked()
        {
            intents.push(Intent::CloseFind);
        }
    });
    ui.separator();
    intents
}
