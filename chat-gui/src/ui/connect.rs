//! The connect window: the server's address, why the last attempt failed, and "host here".

use egui::{RichText, Ui};

use chat_core::client::Disconnect;
use chat_core::protocol::CloseReason;

use crate::host::Host;
use crate::i18n::{Texts, fill};
use crate::ui::{Intent, error_color, labelled_field, submitted};

/// What the connect window shows and edits.
pub struct ConnectView<'a> {
    /// The address being typed (remembered between runs).
    pub address: &'a mut String,
    /// The hosting port being typed.
    pub host_port: &'a mut String,
    /// Whether a connection attempt is under way.
    pub connecting: bool,
    /// How the last connection ended, if one did.
    pub last: Option<&'a Disconnect>,
    /// The hosted server.
    pub host: &'a Host,
}

/// Draws the connect window.
pub fn show(ui: &mut Ui, t: &Texts, mut view: ConnectView<'_>) -> Vec<Intent> {
    let mut intents = Vec::new();
    ui.heading(t.connect_title);
    ui.label(RichText::new(t.connect_intro).weak());
    ui.add_space(12.0);
    let field = labelled_field(ui, t.address, view.address, |e| {
        e.hint_text(t.address_hint).desired_width(f32::INFINITY)
    });
    if !view.connecting && !view.address.trim().is_empty() && submitted(ui, &field) {
        intents.push(Intent::Connect);
    }
    ui.add_space(6.0);
    ui.horizontal(|ui| {
        if view.connecting {
            ui.add(egui::Spinner::new());
            ui.label(t.connecting);
            if ui.button(t.cancel).clicked() {
                intents.push(Intent::CancelConnect);
            }
        } else {
            let ready = !view.address.trim().is_empty();
            if ui
                .add_enabled(ready, egui::Button::new(t.connect))
                .clicked()
            {
                intents.push(Intent::Connect);
            }
        }
    });
    match view.last {
        None => {}
        // Leaving was the user's wish: a farewell, not an error.
        Some(
            Disconnect::ClosedByClient
            | Disconnect::ServerClosed {
                reason: CloseReason::Exit,
                ..
            },
        ) => {
            ui.add_space(6.0);
            ui.label(t.left_server);
        }
        Some(why @ Disconnect::CertificateChanged { .. }) => {
            ui.add_space(6.0);
            ui.label(
                RichText::new(t.disconnect(why))
                    .color(error_color(ui))
                    .strong(),
            );
            if ui.button(t.trust_new_certificate).clicked() {
                intents.push(Intent::TrustNewCertificate);
            }
        }
        Some(why) => {
            ui.add_space(6.0);
            ui.label(RichText::new(t.disconnect(why)).color(error_color(ui)));
        }
    }
    // A page cannot host a server: that part is the desktop client's.
    if !cfg!(target_arch = "wasm32") {
        host_section(ui, t, &mut view, &mut intents);
    }
    intents
}

/// "Host here": start or stop a server inside this client, and the address others type.
fn host_section(ui: &mut Ui, t: &Texts, view: &mut ConnectView<'_>, intents: &mut Vec<Intent>) {
    ui.add_space(18.0);
    ui.separator();
    ui.add_space(6.0);
    ui.label(RichText::new(t.host_title).strong());
    ui.label(RichText::new(t.host_intro).weak());
    ui.add_space(4.0);
    ui.horizontal(|ui| match view.host {
        Host::Running(_) => {
            if ui.button(t.host_stop).clicked() {
                intents.push(Intent::HostStop);
            }
        }
        Host::Starting(_) => {
            ui.add(egui::Spinner::new());
            ui.label(t.host_starting);
        }
        Host::Idle | Host::Failed(_) | Host::NoDataFolder => {
            labelled_field(ui, t.port, view.host_port, |e| e.desired_width(70.0));
            let port_ok = view.host_port.trim().parse::<u16>().is_ok_and(|p| p > 0);
            if ui
                .add_enabled(port_ok, egui::Button::new(t.host_start))
                .clicked()
            {
                intents.push(Intent::HostStart);
            }
            if !port_ok {
                ui.label(RichText::new(t.host_bad_port).color(error_color(ui)));
            }
        }
    });
    match view.host {
        Host::Running(_) => {
            if let Some(addr) = view.host.address_for_others() {
                ui.label(RichText::new(fill(t.host_running, &[&addr.to_string()])).strong());
            }
        }
        Host::Failed(_) => {
            let port = view.host_port.trim();
            ui.label(RichText::new(fill(t.host_failed, &[&port])).color(error_color(ui)));
        }
        Host::NoDataFolder => {
            ui.label(RichText::new(t.host_no_folder).color(error_color(ui)));
        }
        Host::Idle | Host::Starting(_) => {}
    }
}
