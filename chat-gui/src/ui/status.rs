//! The status bar: connection state, the server's clock (the synchronised time, not the local
//! one), and the measured offset and round trip.

use chat_model::client::{Client, Phase};
use egui::{RichText, Ui};

use crate::i18n::{Texts, fill};
use crate::ui::clock_time;

/// Draws the status bar; in a narrow window (a phone) its parts go on as many lines as they
/// need rather than past the edge.
pub fn show(ui: &mut Ui, t: &Texts, client: &Client) {
    ui.horizontal_wrapped(|ui| {
        let addr = client.addr();
        let state = match client.phase() {
            Phase::Offline => t.status_offline.to_owned(),
            Phase::Connecting { .. } => fill(t.status_connecting, &[&addr]),
            Phase::Connected | Phase::LoggingIn(_) => fill(t.status_connected, &[&addr]),
            Phase::LoggedIn | Phase::LoggingOut => {
                fill(t.status_logged_in, &[&client.chat.me, &addr])
            }
            Phase::Reconnecting { .. } => fill(t.status_reconnecting, &[&addr]),
        };
        // Green when connected, amber while getting there, grey when not trying: being offline
        // before connecting is no error.
        let dot = match client.phase() {
            Phase::LoggedIn | Phase::LoggingOut | Phase::Connected | Phase::LoggingIn(_) => {
                egui::Color32::from_rgb(0x3c, 0xb3, 0x71)
            }
            Phase::Connecting { .. } | Phase::Reconnecting { .. } => {
                egui::Color32::from_rgb(0xe0, 0xa8, 0x2e)
            }
            Phase::Offline => ui.visuals().weak_text_color(),
        };
        let (rect, _) = ui.allocate_exact_size(egui::vec2(10.0, 10.0), egui::Sense::hover());
        ui.painter().circle_filled(rect.center(), 4.5, dot);
        ui.add(egui::Label::new(state).wrap_mode(egui::TextWrapMode::Extend));
        if let Some(session) = client.session() {
            ui.separator();
            match &session.tls {
                Some(tls) => {
                    ui.label(format!("🔒 {}", t.encrypted)).on_hover_ui(|ui| {
                        ui.label(t.trust(&tls.trust));
                        // A page is not shown the certificate it was served with.
                        if !tls.fingerprint.is_empty() {
                            ui.label(egui::RichText::new(t.fingerprint).weak());
                            ui.label(
                                egui::RichText::new(fingerprint_lines(&tls.fingerprint))
                                    .monospace(),
                            );
                        }
                    });
                }
                None => {
                    ui.label(RichText::new(t.not_encrypted).color(ui.visuals().warn_fg_color));
                }
            }
        }
        if let Some(sync) = client.clock() {
            ui.separator();
            // Each part whole on one line: one that does not fit goes to the next.
            ui.add(
                egui::Label::new(format!(
                    "{}: {}",
                    t.server_time,
                    clock_time(sync.server_now_ms(), true)
                ))
                .wrap_mode(egui::TextWrapMode::Extend),
            );
            ui.separator();
            ui.add(
                egui::Label::new(
                    RichText::new(format!(
                        "{} {} ms ± {:.1} · {} {:.1} ms",
                        t.offset,
                        signed_ms(sync.offset_us),
                        ms(sync.error_us),
                        t.round_trip,
                        ms(sync.round_trip_us)
                    ))
                    .weak(),
                )
                .wrap_mode(egui::TextWrapMode::Extend),
            );
        }
    });
}

#[allow(clippy::cast_precision_loss)]
fn ms(us: i64) -> f64 {
    us as f64 / 1000.0
}

/// Microseconds as signed milliseconds to a tenth, never `-0.0`.
fn signed_ms(us: i64) -> String {
    let tenths = (ms(us) * 10.0).round();
    if tenths == 0.0 {
        "0.0".to_owned()
    } else {
        format!("{:+.1}", tenths / 10.0)
    }
}

/// A fingerprint (`SHA256:AB:CD:…`) in lines of eight bytes, broken between bytes, never inside
/// one.
fn fingerprint_lines(fingerprint: &str) -> String {
    let (scheme, hex) = fingerprint.split_once(':').unwrap_or(("", fingerprint));
    let bytes: Vec<&str> = hex.split(':').collect();
    let lines: Vec<String> = bytes.chunks(8).map(|c| c.join(":")).collect();
    if scheme.is_empty() {
        lines.join("\n")
    } else {
        format!("{scheme}\n{}", lines.join("\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_offsets_never_read_minus_zero() {
        assert_eq!(signed_ms(-40), "0.0");
        assert_eq!(signed_ms(40), "0.0");
        assert_eq!(signed_ms(-1_260), "-1.3");
        assert_eq!(signed_ms(2_000), "+2.0");
    }

    #[test]
    fn fingerprints_break_between_bytes() {
        let hex: Vec<String> = (0..32).map(|b| format!("{b:02X}")).collect();
        let text = fingerprint_lines(&format!("SHA256:{}", hex.join(":")));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 5);
        assert_eq!(lines[1], "00:01:02:03:04:05:06:07");
        assert!(lines.iter().skip(1).all(|l| l.len() == 23));
    }
}
