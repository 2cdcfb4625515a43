//! The left column: every room with its member count (the default room first, the current one
//! highlighted), and the private conversations with their unread counts. Clicking a room enters
//! it; clicking a conversation opens it (in the main pane when conversations are docked).

use chat_core::protocol::Request;
use chat_core::validate::{login_key, room_key};
use chat_model::chat::Chat;
use egui::{RichText, Ui};

use crate::i18n::{Texts, fill};
use crate::ui::Intent;

/// Draws the column; `shown` is the conversation in the main pane, if one is.
pub fn show(ui: &mut Ui, t: &Texts, chat: &Chat, shown: Option<&str>) -> Vec<Intent> {
    let mut intents = Vec::new();
    ui.add_space(6.0);
    ui.label(RichText::new(t.rooms).heading());
    ui.add_space(4.0);
    let current = chat.room_name().map(room_key);
    egui::ScrollArea::vertical()
        .id_salt("rooms")
        .max_height(ui.available_height() * 0.5)
        .show(ui, |ui| {
            ui.with_layout(egui::Layout::top_down_justified(egui::Align::Min), |ui| {
                for room in &chat.rooms {
                    let here = current.as_deref() == Some(room_key(&room.name).as_str());
                    let name = RichText::new(format!("# {}", room.name));
                    let name = if here { name.strong() } else { name };
                    let hover = match &room.creator {
                        Some(creator) => fill(t.created_by, &[creator]),
                        None => t.default_room_mark.to_owned(),
                    };
                    let count = RichText::new(room.members.to_string()).weak();
                    let response = ui
                        .add(
                            egui::Button::selectable(here && shown.is_none(), name)
                                .right_text(count),
                        )
                        .accessible_name(format!("{}, {}", room.name, t.member_count(room.members)))
                        .on_hover_text(format!("{hover} · {}", t.member_count(room.members)));
                    if response.clicked() {
                        intents.push(if here {
                            Intent::ShowRoom
                        } else {
                            Intent::Command(Request::EnterRoom {
                                room: room.name.clone(),
                            })
                        });
                    }
                    response.context_menu(|ui| {
                        if !here && ui.button(t.enter).clicked() {
                            intents.push(Intent::Command(Request::EnterRoom {
                                room: room.name.clone(),
                            }));
                        }
                        if chat.created(room) && ui.button(t.delete_room).clicked() {
                            intents.push(Intent::AskDeleteRoom(room.name.clone()));
                        }
                    });
                }
            });
        });
    ui.add_space(6.0);
    ui.horizontal_wrapped(|ui| {
        if ui.button(t.new_room).clicked() {
            intents.push(Intent::NewRoom);
        }
        let in_other = chat
            .rooms
            .iter()
            .any(|r| Some(room_key(&r.name)) == current && !r.is_default);
        if in_other && ui.button(t.leave_room).clicked() {
            intents.push(Intent::Command(Request::LeaveRoom));
        }
    });
    ui.add_space(10.0);
    ui.separator();
    ui.label(RichText::new(t.conversations).heading());
    ui.add_space(4.0);
    let mut any = false;
    ui.with_layout(egui::Layout::top_down_justified(egui::Align::Min), |ui| {
        for c in chat.conversations() {
            any = true;
            let selected = c.open && shown.is_none_or(|key| key == login_key(&c.peer));
            let presence = chat.presence.presence(&c.peer);
            let mut name = crate::ui::with_dot(ui, presence, &c.peer, ui.visuals().text_color());
            let (badge, label) = if c.unread > 0 {
                if let Some(last) = name.sections.last_mut() {
                    last.format.color = ui.visuals().strong_text_color();
                }
                let badge = RichText::new(format!(" {} ", c.unread))
                    .strong()
                    .color(egui::Color32::WHITE)
                    .background_color(ui.visuals().selection.bg_fill);
                let label = format!("{}, {}", c.peer, fill(t.unread, &[&c.unread]));
                (badge, label)
            } else {
                (RichText::new(""), c.peer.clone())
            };
            let status = chat.presence.of(&c.peer);
            let response = ui
                .add(egui::Button::selectable(selected, name).right_text(badge))
                .accessible_name(label)
                .on_hover_text(format!(
                    "{}\n{}",
                    crate::ui::presence_words(t, &c.peer, status),
                    fill(t.write_to, &[&c.peer])
                ));
            if response.clicked() {
                intents.push(Intent::OpenPrivate(c.peer.clone()));
            }
        }
    });
    if !any {
        ui.label(RichText::new(t.no_conversations).weak());
    }
    intents
}
