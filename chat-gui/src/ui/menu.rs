//! The main window's menu bar: room actions, users, view settings and logging out.

use chat_core::protocol::Request;
use egui::Ui;

use crate::chat::Chat;
use crate::i18n::{Language, Texts};
use crate::settings::{Settings, Theme};
use crate::ui::Intent;

/// Draws the menu bar.
pub fn show(ui: &mut Ui, t: &Texts, chat: &Chat, settings: &Settings) -> Vec<Intent> {
    let mut intents = Vec::new();
    egui::MenuBar::new().ui(ui, |ui| {
        ui.menu_button(t.menu_room, |ui| {
            if ui.button(t.new_room).clicked() {
                intents.push(Intent::NewRoom);
            }
            if ui.button(t.list_rooms).clicked() {
                intents.push(Intent::ListRooms);
            }
            let in_default = chat
                .room_name()
                .is_none_or(|r| chat.rooms.iter().any(|i| i.is_default && i.name == r));
            if ui
                .add_enabled(!in_default, egui::Button::new(t.leave_room))
                .clicked()
            {
                intents.push(Intent::Command(Request::LeaveRoom));
            }
            let own = chat
                .rooms
                .iter()
                .find(|r| Some(r.name.as_str()) == chat.room_name())
                .filter(|r| chat.created(r));
            if let Some(room) = own
                && ui.button(t.delete_room).clicked()
            {
                intents.push(Intent::AskDeleteRoom(room.name.clone()));
            }
        });
        ui.menu_button(t.menu_view, |ui| {
            ui.label(t.theme);
            for theme in Theme::ALL {
                let name = match theme {
                    Theme::System => t.theme_system,
                    Theme::Light => t.theme_light,
                    Theme::Dark => t.theme_dark,
                };
                if ui.radio(settings.theme == theme, name).clicked() {
                    intents.push(Intent::SetTheme(theme));
                }
            }
            ui.separator();
            let mut docked = settings.dock_private;
            if ui.checkbox(&mut docked, t.dock).changed() {
                intents.push(Intent::DockConversations(docked));
            }
            ui.separator();
            ui.label(t.language);
            for language in Language::ALL {
                if ui
                    .radio(settings.language() == language, language.name())
                    .clicked()
                {
                    intents.push(Intent::SetLanguage(language));
                }
            }
        });
        if ui.button(t.users).clicked() {
            intents.push(Intent::ShowUsers);
        }
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if ui.button(t.log_out).clicked() {
                intents.push(Intent::Logout);
            }
            ui.label(egui::RichText::new(&chat.me).strong());
        });
    });
    intents
}

/// The dialog that names a new room, checked as it is typed.
pub fn new_room_dialog(ctx: &egui::Context, t: &Texts, name: &mut Option<String>) -> Vec<Intent> {
    let mut intents = Vec::new();
    let Some(value) = name.as_mut() else {
        return intents;
    };
    let mut open = true;
    let mut done = false;
    egui::Window::new(t.new_room)
        .id(egui::Id::unique("new-room"))
        .collapsible(false)
        .resizable(false)
        .open(&mut open)
        .anchor(egui::Align2::CENTER_CENTER, [0.0, 0.0])
        .show(ctx, |ui| {
            let response =
                crate::ui::labelled_field(ui, t.room_name, value, |e| e.desired_width(240.0));
            if !response.has_focus() && value.is_empty() {
                response.request_focus();
            }
            let check = chat_core::validate::room(value);
            let rule = (t.field_rule)(chat_core::protocol::Field::Room);
            let broken = !value.is_empty() && check.is_err();
            ui.label(egui::RichText::new(rule).small().color(if broken {
                crate::ui::error_color(ui)
            } else {
                ui.visuals().weak_text_color()
            }));
            let enter = crate::ui::submitted(ui, &response);
            ui.horizontal(|ui| {
                if ui
                    .add_enabled(check.is_ok(), egui::Button::new(t.create))
                    .clicked()
                    || (enter && check.is_ok())
                {
                    intents.push(Intent::Command(Request::CreateRoom {
                        room: value.clone(),
                    }));
                    done = true;
                }
                if ui.button(t.cancel).clicked() {
                    done = true;
                }
            });
        });
    if done || !open {
        *name = None;
    }
    intents
}
