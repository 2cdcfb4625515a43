//! The users window: every registered user, online ones first, with their room. Clicking one
//! opens a private conversation.

use chat_model::chat::Chat;
use egui::{RichText, Ui};

use crate::i18n::{Texts, fill};
use crate::ui::{Intent, own_color, presence_color, presence_glyph};

/// Draws the users window while `open`.
pub fn show(ctx: &egui::Context, t: &Texts, chat: &Chat, open: &mut bool) -> Vec<Intent> {
    let mut intents = Vec::new();
    egui::Window::new(t.users_title)
        .id(egui::Id::unique("users-window"))
        .open(open)
        .default_size([460.0, 360.0])
        .pivot(egui::Align2::CENTER_CENTER)
        .default_pos(ctx.content_rect().center())
        .show(ctx, |ui| {
            let Some(directory) = &chat.directory else {
                ui.add(egui::Spinner::new());
                return;
            };
            ui.horizontal(|ui| {
                let online = directory.users.iter().filter(|u| u.online).count();
                ui.label(fill(t.users_count, &[&online, &directory.total]));
                if ui.button(t.refresh).clicked() {
                    intents.push(Intent::ShowUsers);
                }
            });
            ui.separator();
            egui::ScrollArea::vertical()
                .id_salt("users")
                .show(ui, |ui| {
                    egui::Grid::new("users-grid")
                        .num_columns(3)
                        .striped(true)
                        .spacing([14.0, 4.0])
                        .show(ui, |ui| {
                            for user in &directory.users {
                                user_row(ui, t, chat, user, &mut intents);
                                ui.end_row();
                            }
                        });
                });
        });
    intents
}

fn user_row(
    ui: &mut Ui,
    t: &Texts,
    chat: &Chat,
    user: &chat_core::protocol::UserInfo,
    intents: &mut Vec<Intent>,
) {
    let name = format!("{} {}", user.first_names, user.last_names);
    if chat.is_me(&user.login) {
        ui.label(RichText::new(format!("{} ({})", user.login, t.you)).color(own_color(ui)));
    } else if ui
        .button(RichText::new(&user.login).strong())
        .on_hover_text(fill(t.write_to, &[&user.login]))
        .clicked()
    {
        intents.push(Intent::OpenPrivate(user.login.clone()));
    }
    ui.label(name);
    // What the server keeps current (or unknown since it stopped), not the list's snapshot.
    let status = chat.presence.of(&user.login);
    let presence = chat.presence.presence(&user.login);
    let mut words = match status.and_then(|s| s.text.as_deref()) {
        Some(text) if presence == chat_core::protocol::Presence::Away => {
            fill(t.away_says, &[&text])
        }
        _ => t.presence(presence).to_owned(),
    };
    let connected = matches!(
        presence,
        chat_core::protocol::Presence::Online | chat_core::protocol::Presence::Away
    );
    if let (Some(room), true) = (&user.room, connected) {
        words = format!("{words} · {}", fill(t.in_room, &[room]));
    }
    ui.horizontal(|ui| {
        ui.label(RichText::new(presence_glyph(presence)).color(presence_color(ui, presence)));
        if connected {
            ui.label(words);
        } else {
            ui.label(RichText::new(words).weak());
        }
    });
}
