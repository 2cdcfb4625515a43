//! The status bar: connection state, the server's clock (the synchronised time, not the local
//! one), and the measured offset and round trip.

use egui::{RichText, Ui};

use crate::client::{Client, Phase};
use crate::i18n::{Texts, fill};
use crate::ui::clock_time;

/// Draws the status bar.
pub fn show(ui: &mut Ui, t: &Texts, client: &Client) {
    ui.horizontal(|ui| {
        let addr = client.addr();
        let state = match client.phase() {
            Phase::Offline => t.status_offline.to_owned(),
            Phase::Connecting => fill(t.status_connecting, &[&addr]),
            Phase::Connected | Phase::LoggingIn => fill(t.status_connected, &[&addr]),
            Phase::LoggedIn => fill(t.status_logged_in, &[&client.chat.me, &addr]),
            Phase::Reconnecting { .. } => fill(t.status_reconnecting, &[&addr]),
        };
        let dot = match client.phase() {
            Phase::LoggedIn | Phase::Connected | Phase::LoggingIn => {
                egui::Color32::from_rgb(0x3c, 0xb3, 0x71)
            }
            Phase::Connecting => egui::Color32::from_rgb(0xe0, 0xa8, 0x2e),
            Phase::Offline | Phase::Reconnecting { .. } => ui.visuals().error_fg_color,
        };
        let (rect, _) = ui.allocate_exact_size(egui::vec2(10.0, 10.0), egui::Sense::hover());
        ui.painter().circle_filled(rect.center(), 4.5, dot);
        ui.label(state);
        if let Some(session) = client.session() {
            ui.separator();
            match &session.tls {
                Some(tls) => {
                    ui.label(t.encrypted).on_hover_text(format!(
                        "{}\n{}",
                        t.trust(&tls.trust),
                        tls.fingerprint
                    ));
                }
                None => {
                    ui.label(RichText::new(t.not_encrypted).color(ui.visuals().warn_fg_color));
                }
            }
        }
        if let Some(sync) = client.clock() {
            ui.separator();
            ui.label(format!(
                "{}: {}",
                t.server_time,
                clock_time(sync.server_now_ms(), true)
            ));
            ui.separator();
            ui.label(
                RichText::new(format!(
                    "{} {:+.1} ms ± {:.1} · {} {:.1} ms",
                    t.offset,
                    ms(sync.offset_us),
                    ms(sync.error_us),
                    t.round_trip,
                    ms(sync.round_trip_us)
                ))
                .weak(),
            );
        }
    });
}

#[allow(clippy::cast_precision_loss)]
fn ms(us: i64) -> f64 {
    us as f64 / 1000.0
}
