//! The left panel: every room with its member count (the default room first, the current one
//! highlighted), room actions, and the private conversations with their unread counts.

use chat_core::protocol::Request;
use egui::{RichText, Ui};

use crate::chat::Chat;
use crate::i18n::{Texts, fill};
use crate::ui::Intent;

/// Draws the rooms panel.
pub fn show(ui: &mut Ui, t: &Texts, chat: &Chat, new_room: &mut Option<String>) -> Vec<Intent> {
    let mut intents = Vec::new();
    ui.add_space(4.0);
    ui.heading(t.rooms);
    ui.add_space(4.0);
    let current = chat.room_name().map(chat_core::validate::room_key);
    egui::ScrollArea::vertical()
        .id_salt("rooms")
        .max_height(ui.available_height() * 0.55)
        .show(ui, |ui| {
            // Full-width rows, names at the left.
            ui.with_layout(egui::Layout::top_down_justified(egui::Align::Min), |ui| {
                for room in &chat.rooms {
                    let here = current.as_deref()
                        == Some(chat_core::validate::room_key(&room.name).as_str());
                    let mut label = format!("{} ({})", room.name, room.members);
                    if here && chat.unseen > 0 {
                        label.push_str(&format!(" [{}]", chat.unseen));
                    }
                    let text = if room.is_default {
                        RichText::new(label).strong()
                    } else {
                        RichText::new(label)
                    };
                    let hover = if room.is_default {
                        t.default_room_mark.to_owned()
                    } else {
                        fill(t.created_by, &[&room.creator.as_deref().unwrap_or("?")])
                    };
                    let response = ui
                        .add(egui::Button::selectable(here, text))
                        .on_hover_text(hover);
                    if response.clicked() && !here {
                        intents.push(Intent::Command(Request::EnterRoom {
                            room: room.name.clone(),
                        }));
                    }
                    response.context_menu(|ui| {
                        if !here && ui.button(t.enter).clicked() {
                            intents.push(Intent::Command(Request::EnterRoom {
                                room: room.name.clone(),
                            }));
                        }
                        if chat.created(room) && ui.button(t.delete_room).clicked() {
                            intents.push(Intent::Command(Request::DeleteRoom {
                                room: room.name.clone(),
                            }));
                        }
                    });
                }
            });
        });
    ui.add_space(6.0);
    if ui.button(t.new_room).clicked() {
        *new_room = Some(String::new());
    }
    let here = chat
        .rooms
        .iter()
        .find(|r| Some(chat_core::validate::room_key(&r.name)) == current);
    if here.is_some_and(|r| !r.is_default) && ui.button(t.leave_room).clicked() {
        intents.push(Intent::Command(Request::LeaveRoom));
    }
    if let Some(room) = here.filter(|r| chat.created(r))
        && ui.button(t.delete_room).clicked()
    {
        intents.push(Intent::Command(Request::DeleteRoom {
            room: room.name.clone(),
        }));
    }
    ui.add_space(10.0);
    ui.separator();
    ui.label(RichText::new(t.conversations).strong());
    let mut any = false;
    for c in chat.conversations() {
        any = true;
        let label = if c.unread > 0 {
            format!("{} ({})", c.peer, c.unread)
        } else {
            c.peer.clone()
        };
        let text = if c.unread > 0 {
            RichText::new(label).strong()
        } else {
            RichText::new(label)
        };
        let button = egui::Button::selectable(c.open, text)
            .right_text("")
            .min_size(egui::vec2(ui.available_width(), 0.0));
        if ui.add(button).clicked() {
            intents.push(if c.open {
                Intent::ClosePrivate(c.peer.clone())
            } else {
                Intent::OpenPrivate(c.peer.clone())
            });
        }
    }
    if !any {
        ui.label(RichText::new(t.no_conversations).weak().small());
    }
    intents
}
