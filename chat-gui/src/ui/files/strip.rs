//! The files attached above a message box: each with its icon, name, a progress bar while it
//! uploads (or when it will try again), why it stopped if it did, and a button that cancels
//! or removes it; and a word when a message waits for its files.

use chat_model::composer::Target;
use chat_model::transfers::State;
use egui::{RichText, Ui};

use super::{FileIntent, icon, shelf, state_words};
use crate::i18n::Texts;
use crate::ui::Intent;

/// Draws the files attached to `target`'s box, if any.
pub fn show(ui: &mut Ui, t: &Texts, target: &Target) -> Vec<Intent> {
    let mut intents = Vec::new();
    let shelf = shelf(ui.ctx());
    let shown: Vec<_> = shelf
        .uploads
        .iter()
        .filter(|u| u.target == *target)
        .collect();
    if shown.is_empty() {
        return intents;
    }
    ui.horizontal_wrapped(|ui| {
        for upload in shown {
            let frame = egui::Frame::new()
                .fill(ui.visuals().faint_bg_color)
                .stroke(ui.visuals().widgets.noninteractive.bg_stroke)
                .corner_radius(6)
                .inner_margin(egui::Margin::symmetric(8, 5));
            frame.show(ui, |ui| {
                ui.set_width(220.0);
                ui.horizontal(|ui| {
                    let mime = upload
                        .attachment
                        .as_ref()
                        .map_or_else(|| mime_of(&upload.name), |a| a.mime.clone());
                    ui.label(RichText::new(icon(&mime)).size(20.0));
                    ui.vertical(|ui| {
                        ui.set_width(150.0);
                        ui.add(egui::Label::new(&upload.name).truncate());
                        let words = state_words(t, &upload.state, upload.sent, upload.size);
                        match &upload.state {
                            State::Failed(_) => {
                                ui.add(
                                    egui::Label::new(
                                        RichText::new(words)
                                            .small()
                                            .color(crate::ui::error_color(ui)),
                                    )
                                    .wrap(),
                                );
                            }
                            State::Done => {
                                ui.label(RichText::new(words).small().weak());
                            }
                            _ => {
                                #[allow(clippy::cast_precision_loss)]
                                let fraction = upload
                                    .size
                                    .filter(|s| *s > 0)
                                    .map_or(0.0, |s| upload.sent as f32 / s as f32);
                                ui.add(
                                    egui::ProgressBar::new(fraction)
                                        .desired_width(150.0)
                                        .desired_height(6.0),
                                );
                                ui.label(RichText::new(words).small().weak());
                            }
                        }
                    });
                    let label = if upload.state.is_over() {
                        t.file_remove
                    } else {
                        t.cancel
                    };
                    let button = ui
                        .add(egui::Button::new("✖").frame(false))
                        .on_hover_text(label)
                        .accessible_name(format!("{label}: {}", upload.name));
                    if button.clicked() {
                        intents.push(Intent::Files(FileIntent::Cancel(upload.id)));
                    }
                });
            });
        }
    });
    // A message whose file failed waits for the user: sent without it only once it is removed.
    let held = shelf
        .uploads
        .iter()
        .any(|u| u.target == *target && u.queued && matches!(u.state, State::Failed(_)));
    if held {
        ui.add(
            egui::Label::new(
                RichText::new(t.file_held)
                    .small()
                    .color(crate::ui::error_color(ui)),
            )
            .wrap(),
        );
    } else if shelf.waiting.contains(target) {
        ui.label(
            RichText::new(format!("⏳ {}", t.file_waiting))
                .small()
                .weak(),
        );
    }
    ui.add_space(4.0);
    intents
}

/// A media type guessed from a name alone (before the file is read).
fn mime_of(name: &str) -> String {
    crate::files::picture::media_type(name, &[])
}
