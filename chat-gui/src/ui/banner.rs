//! The banner shown while the connection is lost: why it was lost, when the next attempt is, and
//! a button to try now. Later failed attempts only say the server cannot be reached yet: asking
//! whether the port is right makes no sense a moment after it worked.

use web_time::Instant;

use egui::{RichText, Ui};

use crate::i18n::{Texts, fill};
use crate::ui::Intent;

/// Draws the banner; `why` is why the session's connection was lost.
pub fn show(
    ui: &mut Ui,
    t: &Texts,
    why: &str,
    attempt: u32,
    retry_at: Option<Instant>,
) -> Vec<Intent> {
    let mut intents = Vec::new();
    let (fill_color, text_color) = if ui.visuals().dark_mode {
        (
            egui::Color32::from_rgb(0x4a, 0x3a, 0x12),
            egui::Color32::from_rgb(0xff, 0xe6, 0xa8),
        )
    } else {
        (
            egui::Color32::from_rgb(0xff, 0xf1, 0xc7),
            egui::Color32::from_rgb(0x5a, 0x40, 0x00),
        )
    };
    egui::Frame::new()
        .fill(fill_color)
        .inner_margin(egui::Margin::symmetric(10, 6))
        .corner_radius(4.0)
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.horizontal_wrapped(|ui| {
                ui.label(
                    RichText::new(fill(t.banner_lost, &[&why]))
                        .strong()
                        .color(text_color),
                );
                if attempt > 1 {
                    ui.label(RichText::new(t.banner_still_down).color(text_color));
                }
                match retry_at {
                    Some(at) => {
                        let secs = at
                            .saturating_duration_since(Instant::now())
                            .as_secs_f32()
                            .ceil();
                        ui.label(
                            RichText::new(fill(t.banner_retry_in, &[&secs, &attempt]))
                                .color(text_color),
                        );
                    }
                    None => {
                        ui.add(egui::Spinner::new());
                        ui.label(RichText::new(t.banner_trying).color(text_color));
                    }
                }
                if ui.button(t.reconnect_now).clicked() {
                    intents.push(Intent::ReconnectNow);
                }
            });
        });
    intents
}
