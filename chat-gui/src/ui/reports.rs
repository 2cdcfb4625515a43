//! The administrators' window of reports: each line someone reported, newest first, with who
//! reported it, where, its author, its first words and the reason given.

use chat_core::protocol::Target as Place;
use chat_model::chat::Chat;
use egui::RichText;

use crate::i18n::{Texts, fill};
use crate::ui::{Intent, date_time};

/// Draws the window while `open`.
pub fn window(ctx: &egui::Context, t: &Texts, chat: &Chat, open: &mut bool) -> Vec<Intent> {
    let intents = Vec::new();
    egui::Window::new(t.reports_title)
        .open(open)
        .default_width(440.0)
        .default_height(360.0)
        .collapsible(false)
        .show(ctx, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| {
                for report in chat.reports().iter().rev() {
                    let place = match &report.target {
                        Place::Room(room) => room.clone(),
                        Place::With(with) => fill(t.private_with, &[with]),
                    };
                    ui.label(
                        RichText::new(fill(t.report_heading, &[&report.from, &place])).strong(),
                    );
                    ui.label(RichText::new(date_time(report.time_ms)).small().weak());
                    ui.label(format!("{}: {}", report.author, report.excerpt));
                    if let Some(reason) = &report.reason {
                        ui.label(RichText::new(fill(t.report_reason_was, &[reason])).italics());
                    }
                    ui.separator();
                }
            });
        });
    intents
}
