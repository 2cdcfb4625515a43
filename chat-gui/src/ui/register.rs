//! The register window: under each field its rule, always shown, so the form never moves while
//! typing; a field that breaks its rule turns the rule into a warning. The server's refusals (a
//! taken login) appear the same way, under the field they are about.

use chat_core::protocol::{Field, Gender};
use chat_model::history::Refusal;
use egui::{RichText, Ui};

use crate::forms::{Input, Problem, RegisterForm};
use crate::i18n::{Texts, fill};
use crate::ui::{Intent, error_color};

/// Width of the fields and of the rules under them.
const FIELD_WIDTH: f32 = 300.0;
/// The labels' column, at least.
const LABEL_WIDTH: f32 = 110.0;

/// Draws the register window. `show_all` blames empty fields too (after a submit attempt).
pub fn show(
    ui: &mut Ui,
    t: &Texts,
    form: &mut RegisterForm,
    show_all: bool,
    refusal: Option<&Refusal>,
) -> Vec<Intent> {
    let mut intents = Vec::new();
    ui.heading(t.register_title);
    ui.add_space(10.0);
    let problems = form.problems(show_all);
    // What to say under an input, and whether it is a problem.
    let note_of = |input: Input| -> (String, bool) {
        if let Some(r) = refusal.filter(|r| r.field.map(Input::Field) == Some(input)) {
            return (t.refusal(r), true);
        }
        let problem = problems.iter().find(|(i, _)| *i == input).map(|(_, p)| p);
        match (input, problem) {
            (Input::Confirm, Some(Problem::Mismatch)) => (t.passwords_differ.to_owned(), true),
            (Input::Confirm, _) => (String::new(), false),
            (Input::Field(field), problem) => (t.field_rule(field), problem.is_some()),
        }
    };
    let mut enter = false;
    let small = ui.text_style_height(&egui::TextStyle::Small);
    // After a refused "Create account", the first field at fault takes the keyboard once.
    let focus_id = egui::Id::unique("register-focus-first-problem");
    let focus_first = ui
        .data_mut(|d| d.remove_temp::<bool>(focus_id))
        .unwrap_or(false);
    let first_problem = problems.first().map(|(input, _)| *input);
    // The fields take what the labels leave, up to their usual width: a phone has 390 points.
    let field_width = (ui.available_width() - LABEL_WIDTH - 12.0).clamp(120.0, FIELD_WIDTH);
    egui::Grid::new("register")
        .num_columns(2)
        .spacing([12.0, 4.0])
        .min_col_width(LABEL_WIDTH)
        .show(ui, |ui| {
            let mut row =
                |ui: &mut Ui, label: &str, value: &mut String, input: Input, secret: bool| {
                    // The label beside its field, above the rule under it.
                    let l = ui
                        .vertical(|ui| {
                            ui.add_space(4.0);
                            ui.label(label)
                        })
                        .inner;
                    ui.vertical(|ui| {
                        let edit = egui::TextEdit::singleline(value)
                            .id_salt(("register", input_key(input)))
                            .password(secret)
                            .desired_width(field_width);
                        let response = ui.add(edit).labelled_by(l.id);
                        if focus_first && first_problem == Some(input) {
                            response.request_focus();
                            response.scroll_to_me(Some(egui::Align::Center));
                        }
                        enter |=
                            response.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                        let (note, problem) = note_of(input);
                        // Two lines are kept for every note, so nothing moves as they change.
                        ui.allocate_ui(egui::vec2(field_width, 2.0 * small + 2.0), |ui| {
                            ui.set_min_height(2.0 * small + 2.0);
                            let text = if problem {
                                RichText::new(format!("⚠ {note}")).color(error_color(ui))
                            } else {
                                RichText::new(note).weak()
                            };
                            ui.label(text.small());
                        });
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
                .selected_text(t.gender_name(form.gender))
                .width(field_width)
                .show_ui(ui, |ui| {
                    for g in Gender::ALL {
                        ui.selectable_value(&mut form.gender, g, t.gender_name(g));
                    }
                })
                .response
                .labelled_by(l.id);
            ui.end_row();
        });
    if let Some(r) = refusal.filter(|r| r.field.is_none()) {
        ui.add_space(6.0);
        ui.label(RichText::new(t.refusal(r)).color(error_color(ui)));
    }
    ui.add_space(10.0);
    ui.horizontal_wrapped(|ui| {
        if ui.button(t.create_account).clicked() || enter {
            intents.push(Intent::Register);
            let at_fault = !form.problems(true).is_empty();
            ui.data_mut(|d| d.insert_temp(focus_id, at_fault));
        }
        ui.add_space(12.0);
        if ui.link(t.to_login).clicked() {
            intents.push(Intent::ShowLogin);
        }
    });
    if show_all && !problems.is_empty() {
        // Said beside the button, so pressing it never seems to do nothing.
        let names: Vec<&str> = problems
            .iter()
            .map(|(input, _)| match input {
                Input::Field(field) => t.field(*field),
                Input::Confirm => t.confirm_password,
            })
            .collect();
        ui.add_space(4.0);
        ui.label(
            RichText::new(format!("⚠ {}", fill(t.register_fix, &[&names.join(", ")])))
                .color(error_color(ui)),
        );
    }
    intents
}

/// A name for an input that does not change with the language, so switching it keeps focus.
fn input_key(input: Input) -> &'static str {
    match input {
        Input::Field(Field::FirstNames) => "first_names",
        Input::Field(Field::LastNames) => "last_names",
        Input::Field(Field::Login) => "login",
        Input::Field(Field::Password) => "password",
        Input::Field(Field::Age) => "age",
        Input::Field(_) => "other",
        Input::Confirm => "confirm",
    }
}
