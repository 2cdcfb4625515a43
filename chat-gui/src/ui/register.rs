//! The register window: every field checked as it is typed, with the reason beside the field;
//! the server's refusals (a taken login) appear the same way.

use chat_core::protocol::{Field, Gender};
use egui::{RichText, Ui};

use crate::forms::{Input, Problem, RegisterForm};
use crate::history::Refusal;
use crate::i18n::Texts;
use crate::ui::{Intent, error_color};

/// Draws the register window. `show_all` blames empty fields too (after a submit attempt).
pub fn show(
    ui: &mut Ui,
    t: &Texts,
    form: &mut RegisterForm,
    show_all: bool,
    busy: bool,
    refusal: Option<&Refusal>,
) -> Vec<Intent> {
    let mut intents = Vec::new();
    ui.heading(t.register_title);
    ui.add_space(10.0);
    let problems = form.problems(show_all);
    let problem_of = |input: Input| -> Option<String> {
        let local = problems
            .iter()
            .find(|(i, _)| *i == input)
            .map(|(_, p)| match p {
                Problem::Rule(reason) => t.reason(reason),
                Problem::Mismatch => t.passwords_differ.to_owned(),
            });
        local.or_else(|| {
            let r = refusal?;
            (Input::Field(r.field?) == input).then(|| match r.code {
                chat_core::protocol::ErrorCode::Invalid => {
                    t.reason(r.message.split(": ").last().unwrap_or_default())
                }
                code => t.error(code).to_owned(),
            })
        })
    };
    let mut enter = false;
    egui::Grid::new("register")
        .num_columns(2)
        .spacing([12.0, 6.0])
        .min_col_width(120.0)
        .show(ui, |ui| {
            let mut row =
                |ui: &mut Ui, label: &str, value: &mut String, input: Input, secret: bool| {
                    let l = ui.label(label);
                    ui.vertical(|ui| {
                        let edit = egui::TextEdit::singleline(value)
                            .id_salt(("register", label))
                            .password(secret)
                            .desired_width(260.0);
                        let response = ui.add(edit).labelled_by(l.id);
                        enter |=
                            response.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                        if let Some(problem) = problem_of(input) {
                            ui.label(RichText::new(problem).color(error_color(ui)));
                        }
                    });
                    ui.end_row();
                };
            row(
                ui,
                t.first_names,
                &mut form.first_names,
                Input::Field(Field::FirstNames),
                false,
            );
            row(
                ui,
                t.last_names,
                &mut form.last_names,
                Input::Field(Field::LastNames),
                false,
            );
            row(
                ui,
                t.login,
                &mut form.login,
                Input::Field(Field::Login),
                false,
            );
            row(
                ui,
                t.password,
                &mut form.password,
                Input::Field(Field::Password),
                true,
            );
            row(
                ui,
                t.confirm_password,
                &mut form.confirm,
                Input::Confirm,
                true,
            );
            row(ui, t.age, &mut form.age, Input::Field(Field::Age), false);
            let l = ui.label(t.gender);
            egui::ComboBox::from_id_salt("gender")
                .selected_text(t.gender(form.gender))
                .width(260.0)
                .show_ui(ui, |ui| {
                    for g in Gender::ALL {
                        ui.selectable_value(&mut form.gender, g, t.gender(g));
                    }
                })
                .response
                .labelled_by(l.id);
            ui.end_row();
        });
    if let Some(r) = refusal.filter(|r| r.field.is_none()) {
        ui.add_space(6.0);
        ui.label(RichText::new(t.error(r.code)).color(error_color(ui)));
    }
    ui.add_space(10.0);
    ui.horizontal(|ui| {
        if busy {
            ui.add(egui::Spinner::new());
        } else if ui.button(t.create_account).clicked() || enter {
            intents.push(Intent::Register);
        }
        ui.add_space(12.0);
        if ui.link(t.to_login).clicked() {
            intents.push(Intent::ShowLogin);
        }
    });
    intents
}
