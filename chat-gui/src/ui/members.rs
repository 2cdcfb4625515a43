//! The right panel: who is in the current room. Clicking someone opens a private conversation.

use egui::{RichText, Ui};

use crate::chat::Chat;
use crate::i18n::{Texts, fill};
use crate::ui::{Intent, own_color, peer_color};

/// Draws the members panel.
pub fn show(ui: &mut Ui, t: &Texts, chat: &Chat) -> Vec<Intent> {
    let mut intents = Vec::new();
    ui.add_space(6.0);
    ui.label(RichText::new(t.members).heading());
    let Some(room) = &chat.room else {
        return intents;
    };
    ui.label(RichText::new((t.member_count)(room.member_count)).weak());
    ui.add_space(4.0);
    egui::ScrollArea::vertical()
        .id_salt("members")
        .show(ui, |ui| {
            // Every row a full-width button of one height, so the list reads evenly.
            ui.with_layout(egui::Layout::top_down_justified(egui::Align::Min), |ui| {
                for member in &room.members {
                    if chat.is_me(member) {
                        let me = format!("{member} ({})", t.you);
                        let text = RichText::new(me).color(own_color(ui));
                        ui.add(
                            egui::Button::new(text)
                                .frame(false)
                                .sense(egui::Sense::hover()),
                        );
                        continue;
                    }
                    let text = RichText::new(member).color(peer_color(ui, member));
                    if ui
                        .add(egui::Button::new(text).frame(false))
                        .on_hover_text(fill(t.write_to, &[member]))
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
