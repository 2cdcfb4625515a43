//! One window per private conversation: its lines and an input line.

use egui::RichText;

use crate::chat::Conversation;
use crate::i18n::{Texts, fill};
use crate::ui::Intent;
use crate::ui::lines::line_row;

/// Draws the window of an open conversation; `draft` is the line being typed, and `index`
/// staggers the windows of several conversations open at once.
pub fn show(
    ctx: &egui::Context,
    t: &Texts,
    conversation: &Conversation,
    draft: &mut String,
    online: bool,
    index: usize,
) -> Vec<Intent> {
    let mut intents = Vec::new();
    let peer = &conversation.peer;
    let mut open = true;
    egui::Window::new(fill(t.private_title, &[peer]))
        .id(egui::Id::unique((
            "private",
            chat_core::validate::login_key(peer),
        )))
        .open(&mut open)
        .default_size([380.0, 300.0])
        .pivot(egui::Align2::CENTER_CENTER)
        .default_pos(ctx.content_rect().center() + egui::vec2(60.0, 40.0) + stagger(index))
        .min_height(200.0)
        .show(ctx, |ui| {
            egui::Panel::bottom(egui::Id::unique(("private-input", peer.as_str())))
                .show_separator_line(true)
                .show(ui, |ui| {
                    ui.add_space(4.0);
                    ui.horizontal(|ui| {
                        let label = ui.label(RichText::new(fill(t.private_hint, &[peer])).weak());
                        let response = ui
                            .add_enabled(
                                online,
                                egui::TextEdit::singleline(draft)
                                    .desired_width(ui.available_width() - 70.0),
                            )
                            .labelled_by(label.id);
                        let enter = crate::ui::submitted(ui, &response);
                        if enter {
                            response.request_focus();
                        }
                        let click = ui
                            .add_enabled(
                                online && !draft.trim().is_empty(),
                                egui::Button::new(t.send),
                            )
                            .clicked();
                        if (enter || click) && !draft.trim().is_empty() {
                            intents.push(Intent::SendPrivate(peer.clone()));
                        }
                    });
                });
            let history = &conversation.history;
            let row_height = ui
                .text_style_height(&egui::TextStyle::Body)
                .max(ui.spacing().interact_size.y * 0.9);
            egui::ScrollArea::vertical()
                .id_salt(("private-lines", peer.as_str()))
                .auto_shrink([false, false])
                .stick_to_bottom(true)
                .show_rows(ui, row_height, history.len(), |ui, rows| {
                    for line in rows.filter_map(|i| history.get(i)) {
                        line_row(ui, t, line);
                    }
                });
        });
    if !open {
        intents.push(Intent::ClosePrivate(peer.clone()));
    }
    intents
}

#[allow(clippy::cast_precision_loss)]
fn stagger(index: usize) -> egui::Vec2 {
    egui::Vec2::splat((index % 6) as f32 * 24.0)
}
