//! The window that searches every room and conversation this client has seen: a field, and the
//! lines found, newest first. Clicking one shows it where it was said.

use chat_model::chat::Chat;
use chat_model::find::{Place, search_everywhere};
use egui::RichText;

use crate::i18n::{Texts, fill};
use crate::limits::MAX_SEARCH_RESULTS;
use crate::ui::{Intent, clock_time};

/// Draws the search window while `query` is `Some`; closing it sets `None`.
pub fn show(
    ctx: &egui::Context,
    t: &Texts,
    chat: &Chat,
    query: &mut Option<String>,
    focus: bool,
) -> Vec<Intent> {
    let mut intents = Vec::new();
    let Some(text) = query.as_mut() else {
        return intents;
    };
    let mut open = true;
    egui::Window::new(t.search_title)
        .id(egui::Id::unique("search-window"))
        .open(&mut open)
        .default_size([520.0, 420.0])
        .pivot(egui::Align2::CENTER_CENTER)
        .default_pos(ctx.content_rect().center())
        .show(ctx, |ui| {
            let field = crate::ui::labelled_field(ui, t.search_field, text, |e| {
                e.desired_width(f32::INFINITY)
            });
            if focus {
                field.request_focus();
            }
            ui.add_space(4.0);
            if text.trim().is_empty() {
                return;
            }
            let found = search_everywhere(chat, text, MAX_SEARCH_RESULTS);
            if found.is_empty() {
                ui.label(RichText::new(t.search_none).weak());
                return;
            }
            ui.label(RichText::new(fill(t.search_found, &[&found.len()])).weak());
            ui.separator();
            egui::ScrollArea::vertical()
                .id_salt("search-results")
                .show(ui, |ui| {
                    ui.with_layout(egui::Layout::top_down_justified(egui::Align::Min), |ui| {
                        for hit in found {
                            let place = match &hit.place {
                                Place::Room(_) => format!("# {}", hit.name),
                                Place::Conversation(_) => format!("@ {}", hit.name),
                            };
                            let label = format!(
                                "{place} · {} · {}: {}",
                                clock_time(hit.time_ms, false),
                                hit.from,
                                hit.text
                            );
                            let open = match &hit.place {
                                Place::Room(key) => chat
                                    .rooms
                                    .iter()
                                    .any(|r| chat_core::validate::room_key(&r.name) == *key),
                                Place::Conversation(_) => true,
                            };
                            let label = if open {
                                label
                            } else {
                                format!("{label} · {}", t.search_room_closed)
                            };
                            let button = egui::Button::new(RichText::new(label))
                                .wrap_mode(egui::TextWrapMode::Truncate)
                                .frame(false);
                            // A room that has closed cannot be entered to show the line.
                            if ui
                                .add_enabled(open, button)
                                .on_hover_text(&hit.text)
                                .clicked()
                            {
                                intents.push(Intent::JumpTo(hit));
                            }
                        }
                    });
                });
        });
    if !open {
        *query = None;
    }
    intents
}
