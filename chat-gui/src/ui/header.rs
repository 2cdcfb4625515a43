//! The bar above the lines of the main pane: the room's name, who created it and how many are
//! in it; or, for a conversation shown in the main pane, whom it is with and its buttons.

use egui::{RichText, Ui};

use crate::chat::CurrentRoom;
use crate::i18n::{Texts, fill};
use crate::ui::Intent;

/// The room's header. Offers deleting the room to its creator.
pub fn room(ui: &mut Ui, t: &Texts, room: &CurrentRoom, mine: bool) -> Vec<Intent> {
    let mut intents = Vec::new();
    bar(ui, |ui| {
        ui.label(RichText::new(format!("# {}", room.name)).heading().strong());
        let who = match &room.creator {
            Some(creator) => fill(t.created_by, &[creator]),
            None => t.default_room_mark.to_owned(),
        };
        ui.label(RichText::new(format!("{who} · {}", (t.member_count)(room.member_count))).weak());
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            ui.add_space(10.0);
            if mine && ui.button(t.delete_room).clicked() {
                intents.push(Intent::AskDeleteRoom(room.name.clone()));
            }
        });
    });
    intents
}

/// The header of a conversation shown in the main pane.
pub fn conversation(ui: &mut Ui, t: &Texts, peer: &str, room: &str) -> Vec<Intent> {
    let mut intents = Vec::new();
    bar(ui, |ui| {
        ui.label(RichText::new(format!("@ {peer}")).heading().strong());
        ui.label(RichText::new(fill(t.private_with, &[&peer])).weak());
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            ui.add_space(10.0);
            if ui.button("✕").on_hover_text(t.close).clicked() {
                intents.push(Intent::ClosePrivate(peer.to_owned()));
            }
            if ui.button("🗗").on_hover_text(t.undock).clicked() {
                intents.push(Intent::DockConversations(false));
            }
            if ui.button(fill(t.back_to_room, &[&room])).clicked() {
                intents.push(Intent::ShowRoom);
            }
        });
    });
    intents
}

fn bar(ui: &mut Ui, content: impl FnOnce(&mut Ui)) {
    ui.add_space(6.0);
    ui.horizontal(|ui| {
        ui.add_space(crate::ui::row::GUTTER - 8.0);
        content(ui);
    });
    ui.add_space(4.0);
    ui.separator();
}
