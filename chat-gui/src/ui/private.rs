//! A private conversation in a window of its own: the same lines and message box as a room, at a
//! size that fits a conversation, resizable (egui remembers the size and place per
//! conversation). Opening it brings it to the front with the keyboard in its box.

use chat_model::chat::Conversation;
use chat_model::composer::Target;
use chat_model::find::Finder;

use crate::i18n::{Texts, fill};
use crate::limits::PRIVATE_WINDOW_SIZE;
use crate::ui::{Intent, input, messages};

/// What one conversation window shows and edits.
pub struct Window<'a> {
    /// The conversation.
    pub conversation: &'a Conversation,
    /// Its message box (when it takes the keyboard, the window comes to the front).
    pub composer: input::Composer<'a>,
    /// Its lines' view.
    pub view: &'a mut messages::View,
    /// Its place among the open windows, to stagger them.
    pub index: usize,
    /// How the peer is doing (typing, away, online), as the header says it.
    pub status: (String, chat_core::protocol::Presence),
    /// The find bar, when open over this conversation, and whether it takes the keyboard.
    pub find: Option<(&'a mut Finder, bool)>,
}

/// Draws the window of an open conversation.
pub fn show(ctx: &egui::Context, t: &Texts, window: Window<'_>) -> Vec<Intent> {
    let mut intents = Vec::new();
    let Window {
        conversation,
        composer,
        view,
        index,
        status,
        find,
    } = window;
    let peer = &conversation.peer;
    let key = chat_core::validate::login_key(peer);
    let id = egui::Id::unique(("private-window", &key));
    if composer.focus {
        ctx.move_to_top(egui::LayerId::new(egui::Order::Middle, id));
    }
    let mut open = true;
    egui::Window::new(fill(t.private_title, &[peer]))
        .id(id)
        .open(&mut open)
        .default_size(PRIVATE_WINDOW_SIZE)
        .min_size([320.0, 240.0])
        .resizable(true)
        .collapsible(false)
        .pivot(egui::Align2::CENTER_CENTER)
        .default_pos(ctx.content_rect().center() + stagger(index))
        .show(ctx, |ui| {
            ui.horizontal(|ui| {
                let (words, presence) = &status;
                if words.is_empty() {
                    ui.label(egui::RichText::new(fill(t.private_with, &[peer])).weak());
                } else {
                    ui.label(
                        egui::RichText::new(crate::ui::presence_glyph(*presence))
                            .color(crate::ui::presence_color(ui, *presence)),
                    );
                    ui.label(egui::RichText::new(words).weak());
                }
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    if ui.small_button("⊟").on_hover_text(t.dock).clicked() {
                        intents.push(Intent::DockConversations(true));
                    }
                    if ui.small_button(t.export).clicked() {
                        intents.push(Intent::Export(Target::Private(key.clone())));
                    }
                    if ui.small_button(t.find).on_hover_text(t.find_here).clicked() {
                        intents.push(Intent::OpenFind(Target::Private(key.clone())));
                    }
                });
            });
            let mut highlight = None;
            if let Some((finder, focus)) = find {
                intents.extend(crate::ui::find::bar(ui, t, finder, focus));
                highlight = Some(messages::Highlight {
                    query: &finder.query,
                    current: finder.current_seq(),
                });
            }
            egui::Panel::bottom(id.with("box"))
                .show_separator_line(true)
                .show(ui, |ui| {
                    ui.add_space(6.0);
                    intents.extend(input::show(ui, t, composer));
                });
            intents.extend(messages::conversation(ui, t, conversation, view, highlight));
        });
    if !open {
        intents.push(Intent::ClosePrivate(peer.clone()));
    }
    intents
}

#[allow(clippy::cast_precision_loss)]
fn stagger(index: usize) -> egui::Vec2 {
    egui::vec2(80.0, 30.0) + egui::Vec2::splat((index % 6) as f32 * 28.0)
}
