//! The login window: login and password, "keep me signed in"; Enter submits; refusals shown
//! inline, with when to try again when the server said; while a kept session resumes, a
//! spinner instead.

use web_time::Instant;

use chat_model::client::LoginProblem;
use egui::{RichText, Ui};

use crate::forms::LoginForm;
use crate::i18n::{Texts, fill};
use crate::ui::{Intent, error_color, labelled_field, submitted};

/// What the login window shows besides its fields.
#[derive(Debug, Clone, Copy)]
pub struct LoginView<'a> {
    /// The server's address.
    pub server: &'a str,
    /// A login is under way.
    pub busy: bool,
    /// The login whose kept session is being resumed, if one is.
    pub resuming: Option<&'a str>,
    /// The login just registered, to say so.
    pub registered: Option<&'a str>,
    /// Why the last login failed.
    pub problem: Option<&'a LoginProblem>,
}

/// Seconds left until `at`, rounded up.
fn seconds_until(at: Instant) -> u64 {
    let left = at.saturating_duration_since(Instant::now());
    left.as_secs() + u64::from(left.subsec_nanos() > 0)
}

/// Draws the login window.
pub fn show(ui: &mut Ui, t: &Texts, form: &mut LoginForm, view: LoginView<'_>) -> Vec<Intent> {
    let mut intents = Vec::new();
    ui.heading(t.login_title);
    ui.label(RichText::new(fill(t.connected_to, &[&view.server])).weak());
    if let Some(login) = view.registered {
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
    if ui.memory(|m| m.focused().is_none()) && view.resuming.is_none() {
        if form.login.is_empty() {
            login.request_focus();
        } else if form.password.is_empty() {
            password.request_focus();
        }
    }
    ui.add_space(4.0);
    ui.checkbox(&mut form.keep_signed_in, t.keep_signed_in)
        .on_hover_text(t.keep_signed_in_hint);
    let enter = submitted(ui, &login) || submitted(ui, &password);
    if let Some(problem) = view.problem {
        ui.add_space(6.0);
        ui.label(RichText::new(t.refusal(&problem.refusal)).color(error_color(ui)));
        if let Some(at) = problem.retry_at {
            let secs = seconds_until(at);
            let when = if problem.retrying {
                fill(t.retrying_in, &[&secs])
            } else {
                fill(t.retry_in, &[&secs])
            };
            ui.label(RichText::new(when).color(error_color(ui)));
            // The seconds count down.
            ui.ctx()
                .request_repaint_after(std::time::Duration::from_secs(1));
        }
    }
    ui.add_space(8.0);
    ui.horizontal(|ui| {
        if let Some(who) = view.resuming {
            ui.add(egui::Spinner::new());
            ui.label(fill(t.resuming, &[&who]));
        } else if view.busy {
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
