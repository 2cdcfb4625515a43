//! The input line at the bottom of the main window. Plain text goes to the room; a line starting
//! with `#` is a command, and while one is being typed the matching commands are listed above the
//! line (Tab completes the first).

use egui::{RichText, Ui};

use crate::i18n::{Texts, fill};
use crate::ui::Intent;

/// Draws the input line and its command hints.
pub fn show(ui: &mut Ui, t: &Texts, room: &str, line: &mut String, enabled: bool) -> Vec<Intent> {
    let mut intents = Vec::new();
    let hints = chat_core::command::completions(line);
    if !hints.is_empty() {
        egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.label(RichText::new(t.commands_hint).small().weak());
            for spec in &hints {
                let summary = chat_core::command::COMMANDS
                    .iter()
                    .position(|c| c.syntax == spec.syntax)
                    .and_then(|i| t.command_summaries.get(i))
                    .copied()
                    .unwrap_or(spec.summary);
                ui.horizontal(|ui| {
                    if ui
                        .add(egui::Button::new(RichText::new(spec.syntax).monospace()).frame(false))
                        .clicked()
                    {
                        *line = spec.insert.to_owned();
                    }
                    ui.label(RichText::new(summary).weak());
                });
            }
        });
    }
    let tab = ui.input_mut(|i| i.consume_key(egui::Modifiers::NONE, egui::Key::Tab));
    let mut send = false;
    ui.horizontal(|ui| {
        let button_width = 80.0;
        let label = ui.label(t.message_input);
        let response = ui
            .add_enabled(
                enabled,
                egui::TextEdit::singleline(line)
                    // A fixed id: the hints above appear and vanish, which must not move focus.
                    .id(egui::Id::unique("message-input"))
                    .hint_text(fill(t.message_hint, &[&room]))
                    .desired_width(ui.available_width() - button_width),
            )
            .labelled_by(label.id);
        if tab
            && response.has_focus()
            && let Some(first) = hints.first()
            && !line.starts_with(first.insert)
        {
            *line = first.insert.to_owned();
            if let Some(mut state) = egui::TextEdit::load_state(ui.ctx(), response.id) {
                let end = egui::text::CCursor::new(line.chars().count());
                state
                    .cursor
                    .set_char_range(Some(egui::text::CCursorRange::one(end)));
                state.store(ui.ctx(), response.id);
            }
        }
        if crate::ui::submitted(ui, &response) {
            send = true;
            response.request_focus();
        }
        if ui
            .add_enabled(
                enabled && !line.trim().is_empty(),
                egui::Button::new(t.send),
            )
            .clicked()
        {
            send = true;
        }
        if !response.has_focus() && enabled && ui.memory(|m| m.focused().is_none()) {
            response.request_focus();
        }
    });
    if send && !line.trim().is_empty() {
        intents.push(Intent::SubmitLine);
    }
    intents
}
