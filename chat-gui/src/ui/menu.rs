//! The main window's menu bar: room actions, finding, users, view settings, the user's status
//! (online, away with a message) and logging out.

use chat_core::protocol::{Presence, Request};
use chat_model::chat::Chat;
use chat_model::composer::Target;
use egui::Ui;

use crate::i18n::{Language, Texts, fill};
use crate::settings::{Settings, Theme};
use crate::ui::Intent;

/// What the menu bar shows.
pub struct MenuView<'a> {
    /// The chat (rooms, the user's presence).
    pub chat: &'a Chat,
    /// Theme, language, docking, notifications.
    pub settings: &'a Settings,
    /// What the main pane shows (for finding in it and saving it).
    pub shown: &'a Target,
    /// The drawers' toggles, on a window too narrow for every column: whether the rooms and the
    /// members are open.
    pub toggles: Option<(bool, bool)>,
    /// Whether the server is there to say how the user is (not while reconnecting).
    pub connected: bool,
}

/// Draws the menu bar. `away_text` is what is typed as the away message.
pub fn show(ui: &mut Ui, t: &Texts, view: MenuView<'_>, away_text: &mut String) -> Vec<Intent> {
    let MenuView {
        chat,
        settings,
        shown,
        toggles,
        connected,
    } = view;
    let mut intents = Vec::new();
    egui::MenuBar::new().ui(ui, |ui| {
        if let Some((rooms, members)) = toggles {
            if ui
                .selectable_label(rooms, "☰")
                .on_hover_text(t.show_rooms)
                .accessible_name(t.show_rooms)
                .clicked()
            {
                intents.push(Intent::ToggleRooms);
            }
            if ui
                .selectable_label(members, "👥")
                .on_hover_text(t.show_members)
                .accessible_name(t.show_members)
                .clicked()
            {
                intents.push(Intent::ToggleMembers);
            }
        }
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
            ui.separator();
            if ui.button(t.find_here).clicked() {
                intents.push(Intent::OpenFind(shown.clone()));
            }
            if ui.button(t.search_all).clicked() {
                intents.push(Intent::OpenSearch);
            }
            if ui.button(t.export).clicked() {
                intents.push(Intent::Export(shown.clone()));
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
            let mut notify = settings.notifications;
            if ui.checkbox(&mut notify, t.notifications).changed() {
                intents.push(Intent::SetNotifications(notify));
            }
            let mut receipts = settings.read_receipts;
            if ui.checkbox(&mut receipts, t.read_receipts).changed() {
                intents.push(Intent::SetReadReceipts(receipts));
            }
            ui.separator();
            ui.label(t.language);
            for language in Language::all() {
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
        // Reports reach administrators only.
        let reports = chat.reports().len();
        if reports > 0
            && ui
                .button(format!("⚑ {}", fill(t.reports_count, &[&reports])))
                .clicked()
        {
            intents.push(Intent::ToggleReports);
        }
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if ui.button(t.log_out).clicked() {
                intents.push(Intent::Logout { all: false });
            }
            intents.extend(status_menu(ui, t, chat, connected, away_text));
        });
    });
    intents
}

/// The user's name with their presence, opening a menu to change it and to log out
/// everywhere.
fn status_menu(
    ui: &mut Ui,
    t: &Texts,
    chat: &Chat,
    connected: bool,
    away_text: &mut String,
) -> Vec<Intent> {
    let mut intents = Vec::new();
    let status = chat.presence.of(&chat.me);
    // While the connection is lost, not even one's own presence is known.
    let presence = match status.map(|s| s.presence) {
        _ if !connected => Presence::Unknown,
        Some(Presence::Away) => Presence::Away,
        _ => Presence::Online,
    };
    let name = crate::ui::with_dot(ui, presence, &chat.me, ui.visuals().strong_text_color());
    let words = match status.and_then(|s| s.text.as_deref()) {
        Some(text) if presence == Presence::Away => fill(t.away_says, &[&text]),
        _ => t.presence(presence).to_owned(),
    };
    let weak = egui::TextFormat::simple(
        egui::TextStyle::Button.resolve(ui.style()),
        ui.visuals().weak_text_color(),
    );
    let mut title = name.clone();
    title.append(&format!(" · {words} ⏷"), 0.0, weak.clone());
    // Where the bar is short (a phone), the dot alone says the presence; the menu it opens
    // says it in words.
    let width = egui::WidgetText::from(title.clone())
        .into_galley(
            ui,
            Some(egui::TextWrapMode::Extend),
            f32::INFINITY,
            egui::TextStyle::Button,
        )
        .size()
        .x;
    if width + 2.0 * ui.spacing().button_padding.x > ui.available_width() {
        title = name;
        title.append(" ⏷", 0.0, weak);
    }
    let response = ui.menu_button(title, |ui| {
        ui.set_min_width(240.0);
        ui.label(egui::RichText::new(t.menu_status).weak());
        if ui
            .radio(presence == Presence::Online, t.presence(Presence::Online))
            .clicked()
        {
            intents.push(Intent::SetBack);
            ui.close();
        }
        ui.horizontal(|ui| {
            if ui
                .radio(presence == Presence::Away, t.presence(Presence::Away))
                .clicked()
            {
                intents.push(Intent::SetAway(away_message(away_text)));
                ui.close();
            }
        });
        let field =
            crate::ui::labelled_field(ui, t.away_message, away_text, |e| e.desired_width(220.0));
        if ui.button(t.set_away).clicked() || crate::ui::submitted(ui, &field) {
            intents.push(Intent::SetAway(away_message(away_text)));
            ui.close();
        }
        ui.separator();
        if ui
            .button(t.log_out_everywhere)
            .on_hover_text(t.log_out_everywhere_hint)
            .clicked()
        {
            intents.push(Intent::Logout { all: true });
        }
    });
    response.response.on_hover_text(t.menu_status);
    intents
}

/// The away message typed, if any.
fn away_message(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
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
            let rule = t.field_rule(chat_core::protocol::Field::Room);
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
