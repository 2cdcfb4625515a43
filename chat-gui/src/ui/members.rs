//! The right panel: who is in the current room, each with a dot for their presence (green
//! online, amber away). Clicking someone opens a private conversation.

use chat_model::chat::Chat;
use egui::{RichText, Ui};

use crate::i18n::{Texts, fill};
use crate::ui::{Intent, own_color, peer_color, presence_words, with_dot};

/// Draws the members panel.
pub fn show(ui: &mut Ui, t: &Texts, chat: &Chat) -> Vec<Intent> {
    let mut intents = Vec::new();
    ui.add_space(6.0);
    ui.label(RichText::new(t.members).heading());
    let Some(room) = &chat.room else {
        return intents;
    };
    ui.label(RichText::new(t.member_count(room.member_count)).weak());
    ui.add_space(4.0);
    egui::ScrollArea::vertical()
        .id_salt("members")
        .show(ui, |ui| {
            // Every row a full-width button of one height, so the list reads evenly.
            ui.with_layout(egui::Layout::top_down_justified(egui::Align::Min), |ui| {
                for member in &room.members {
                    let status = chat.presence.of(member);
                    // Unknown is shown as unknown (a faint ring), never guessed.
                    let presence = chat.presence.presence(member);
                    let words = presence_words(t, member, status);
                    if chat.is_me(member) {
                        let me = format!("{member} ({})", t.you);
                        let text = with_dot(ui, presence, &me, own_color(ui));
                        ui.add(
                            egui::Button::new(text)
                                .frame(false)
                                .sense(egui::Sense::hover()),
                        )
                        .on_hover_text(&words);
                        continue;
                    }
                    let text = with_dot(ui, presence, member, peer_color(ui, member));
                    if ui
                        .add(egui::Button::new(text).frame(false))
                        .accessible_name(member.as_str())
                        .on_hover_text(format!("{words}\n{}", fill(t.write_to, &[member])))
                        .clicked()
                    {
                        intents.push(Intent::OpenPrivate(member.clone()));
                    }
                }
            });
            let listed = u32::try_from(room.members.len()).unwrap_or(u32::MAX);
            if room.member_count > listed {
                ui.label(
                    RichText::new(fill(t.members_more, &[&(room.member_count - listed)])).weak(),
                );
            }
        });
    intents
}
