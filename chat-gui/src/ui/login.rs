//! The login window: login and password; Enter submits; refusals shown inline.

use egui::{RichText, Ui};

use crate::forms::LoginForm;
use crate::history::Refusal;
use crate::i18n::{Texts, fill};
use crate::ui::{Intent, error_color, labelled_field, submitted};

/// Draws the login window.
pub fn show(
    ui: &mut Ui,
    t: &Texts,
    form: &mut LoginForm,
    server: &str,
    busy: bool,
    notice: Option<&str>,
    refusal: Option<&Refusal>,
) -> Vec<Intent> {
    let mut intents = Vec::new();
    ui.heading(t.login_title);
    ui.label(RichText::new(fill(t.connected_to, &[&server])).weak());
    if let Some(login) = notice {
        ui.add_space(6.0);
        let text = RichText::new(fill(t.registered, &[&login]));
        ui.label(text.color(crate::ui::success_color(ui)));
    }
    ui.add_space(12.0);
    let login = labelled_field(ui, t.login, &mut form.login, |e| {
        e.desired_width(f32::INFINITY)
    });
    ui.add_space(4.0);
    let password = labelled_field(ui, t.password, &mut form.password, |e| {
        e.password(true).desired_width(f32::INFINITY)
    });
    // The keyboard goes to the first field still to fill: after logging out, or after
    // registering, that is the password.
    if ui.memory(|m| m.focused().is_none()) {
        if form.login.is_empty() {
            login.request_focus();
        } else if form.password.is_empty() {
            password.request_focus();
        }
    }
    let enter = submitted(ui, &login) || submitted(ui, &password);
    if let Some(r) = refusal {
        ui.add_space(6.0);
        ui.label(RichText::new(t.refusal(r)).color(error_color(ui)));
    }
    ui.add_space(8.0);
    ui.horizontal(|ui| {
        if busy {
            ui.add(egui::Spinner::new());
            ui.label(t.logging_in);
        } else if ui
            .add_enabled(form.ready(), egui::Button::new(t.log_in))
            .clicked()
            || (enter && form.ready())
        {
            intents.push(Intent::Login);
        }
    });
    ui.add_space(12.0);
    ui.horizontal(|ui| {
        if ui.link(t.to_register).clicked() {
            intents.push(Intent::ShowRegister);
        }
        ui.label("·");
        if ui.link(t.change_server).clicked() {
            intents.push(Intent::ChangeServer);
        }
    });
    intents
}
