//! The right panel: who is in the current room. Clicking someone opens a private conversation.

use egui::{RichText, Ui};

use crate::chat::Chat;
use crate::i18n::{Texts, fill};
use crate::ui::{Intent, own_color, peer_color};

/// Draws the members panel.
pub fn show(ui: &mut Ui, t: &Texts, chat: &Chat) -> Vec<Intent> {
    let mut intents = Vec::new();
    ui.add_space(4.0);
    ui.heading(t.members);
    let Some(room) = &chat.room else {
        return intents;
    };
    ui.label(RichText::new(format!("{} ({})", room.name, room.member_count)).weak());
    ui.add_space(4.0);
    egui::ScrollArea::vertical()
        .id_salt("members")
        .show(ui, |ui| {
            for member in &room.members {
                if chat.is_me(member) {
                    ui.label(RichText::new(format!("{member} ({})", t.you)).color(own_color(ui)));
                } else if ui
                    .add(
                        egui::Button::new(RichText::new(member).color(peer_color(ui, member)))
                            .frame(false),
                    )
                    .on_hover_text(fill(t.write_to, &[member]))
                    .clicked()
                {
                    intents.push(Intent::OpenPrivate(member.clone()));
                }
            }
            let listed = u32::try_from(room.members.len()).unwrap_or(u32::MAX);
            if room.member_count > listed {
                ui.label(
                    RichText::new(fill(t.members_more, &[&(room.member_count - listed)])).weak(),
                );
            }
        });
    intents
}
