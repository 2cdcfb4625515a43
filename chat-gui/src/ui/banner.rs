//! The banner shown while the connection is lost: why, when the next attempt is, and a button to
//! try now.

use std::time::Instant;

use egui::{RichText, Ui};

use crate::i18n::{Texts, fill};
use crate::ui::Intent;

/// Draws the banner.
pub fn show(
    ui: &mut Ui,
    t: &Texts,
    why: &str,
    attempt: u32,
    retry_at: Option<Instant>,
) -> Vec<Intent> {
    let mut intents = Vec::new();
    let fill_color = if ui.visuals().dark_mode {
        egui::Color32::from_rgb(0x5c, 0x1f, 0x1f)
    } else {
        egui::Color32::from_rgb(0xfd, 0xe2, 0xe1)
    };
    egui::Frame::new()
        .fill(fill_color)
        .inner_margin(egui::Margin::symmetric(10, 6))
        .corner_radius(4.0)
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.horizontal_wrapped(|ui| {
                ui.label(RichText::new(fill(t.banner_lost, &[&why])).strong());
                match retry_at {
                    Some(at) => {
                        let secs = at
                            .saturating_duration_since(Instant::now())
                            .as_secs_f32()
                            .ceil();
                        ui.label(fill(t.banner_retry_in, &[&secs, &attempt]));
                    }
                    None => {
                        ui.add(egui::Spinner::new());
                        ui.label(t.banner_trying);
                    }
                }
                if ui.button(t.reconnect_now).clicked() {
                    intents.push(Intent::ReconnectNow);
                }
            });
        });
    intents
}
