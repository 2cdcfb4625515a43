//! How one history line reads and looks, shared by the room view and private windows.

use egui::{RichText, Ui};

use crate::history::{Line, LineKind};
use crate::i18n::{Texts, fill};
use crate::ui::{clock_time, error_color, own_color, peer_color};

/// Draws one line on one row: time, then who and what. Long text is cut to the row and shown in
/// full on hover, so every row has the same height and long histories can be virtualised.
pub fn line_row(ui: &mut Ui, t: &Texts, line: &Line) {
    ui.horizontal(|ui| {
        ui.label(
            RichText::new(clock_time(line.time_ms, false))
                .weak()
                .monospace(),
        );
        match &line.kind {
            LineKind::Message { from, text, own } => {
                let color = if *own {
                    own_color(ui)
                } else {
                    peer_color(ui, from)
                };
                let name = if *own {
                    format!("{from} ({}):", t.you)
                } else {
                    format!("{from}:")
                };
                ui.label(RichText::new(name).strong().color(color));
                ui.add(egui::Label::new(text.as_str()).truncate());
            }
            LineKind::Joined(who) => dim(ui, fill(t.line_joined, &[who])),
            LineKind::Left(who) => dim(ui, fill(t.line_left, &[who])),
            LineKind::Entered(room) => dim(ui, fill(t.line_entered, &[room])),
            LineKind::RoomClosed { room, reason } => dim(ui, t.room_closed(room, *reason)),
            LineKind::RoomDeleted(room) => dim(ui, fill(t.line_deleted, &[room])),
            LineKind::RoomList(rooms) => {
                let list: Vec<String> = rooms
                    .iter()
                    .map(|r| fill(t.line_room_row, &[&r.name, &r.members]))
                    .collect();
                ui.add(
                    egui::Label::new(format!("{} {}", t.line_room_list, list.join(" · ")))
                        .truncate(),
                );
            }
            LineKind::Help => {
                let list: Vec<String> = chat_core::command::COMMANDS
                    .iter()
                    .zip(t.command_summaries)
                    .map(|(c, summary)| format!("{} ({summary})", c.syntax))
                    .collect();
                ui.add(
                    egui::Label::new(format!("{} {}", t.line_help, list.join(" · "))).truncate(),
                );
            }
            LineKind::Refused(r) => {
                let text = match r.code {
                    chat_core::protocol::ErrorCode::Invalid => t.reason(&r.message),
                    code => t.error(code).to_owned(),
                };
                ui.add(egui::Label::new(RichText::new(text).color(error_color(ui))).truncate());
            }
            LineKind::Connection(back) => {
                let text = if *back { t.line_back } else { t.line_lost };
                ui.label(RichText::new(text).italics().color(error_color(ui)));
            }
        }
    });
}

fn dim(ui: &mut Ui, text: String) {
    ui.add(egui::Label::new(RichText::new(text).weak().italics()).truncate());
}
