//! Asking before something that cannot be undone: deleting a room sends everyone in it away;
//! quitting while files are on their way loses them and the messages waiting for them.

use egui::RichText;

use crate::i18n::{Texts, fill};
use crate::ui::Intent;

/// The confirmation before deleting `room`; `default_room` is where its members go.
pub fn delete_room(
    ctx: &egui::Context,
    t: &Texts,
    room: &str,
    default_room: Option<&str>,
) -> Vec<Intent> {
    let mut intents = Vec::new();
    let modal = egui::Modal::new(egui::Id::unique("confirm-delete-room")).show(ctx, |ui| {
        ui.set_max_width(380.0);
        ui.heading(fill(t.delete_title, &[&room]));
        ui.add_space(6.0);
        ui.label(fill(t.delete_body, &[&room, &default_room.unwrap_or("")]));
        ui.add_space(12.0);
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            let delete =
                egui::Button::new(RichText::new(t.delete_confirm).color(egui::Color32::WHITE))
                    .fill(egui::Color32::from_rgb(0xc0, 0x30, 0x30));
            if ui.add(delete).clicked() {
                intents.push(Intent::DeleteRoom(room.to_owned()));
            }
            if ui.button(t.cancel).clicked() {
                intents.push(Intent::KeepRoom);
            }
        });
    });
    if modal.should_close() && intents.is_empty() {
        intents.push(Intent::KeepRoom);
    }
    intents
}

/// The question before quitting while files are being sent or received.
pub fn quit_with_files(ctx: &egui::Context, t: &Texts) -> Vec<Intent> {
    let mut intents = Vec::new();
    let modal = egui::Modal::new(egui::Id::unique("confirm-quit")).show(ctx, |ui| {
        ui.set_max_width(380.0);
        ui.heading(t.quit_title);
        ui.add_space(6.0);
        ui.label(t.quit_body);
        ui.add_space(12.0);
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if ui.button(t.quit_confirm).clicked() {
                intents.push(Intent::Quit);
                // The close is sent on the next frame.
                ui.ctx().request_repaint();
            }
            if ui.button(t.cancel).clicked() {
                intents.push(Intent::StayOpen);
            }
        });
    });
    if modal.should_close() && intents.is_empty() {
        intents.push(Intent::StayOpen);
    }
    intents
}
