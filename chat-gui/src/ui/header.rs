//! The bar above the lines of the main pane: the room's name, who created it and how many are
//! in it; or, for a conversation shown in the main pane, whom it is with, whether they are
//! online, away or typing, and its buttons.

use chat_model::chat::CurrentRoom;
use chat_model::composer::Target;
use egui::{RichText, Ui};

use crate::i18n::{Texts, fill};
use crate::ui::Intent;

/// The buttons every view's header offers: find in it, save a copy of it.
fn view_buttons(ui: &mut Ui, t: &Texts, target: Target, intents: &mut Vec<Intent>) {
    if ui.button(t.export).clicked() {
        intents.push(Intent::Export(target.clone()));
    }
    if ui.button(t.find).on_hover_text(t.find_here).clicked() {
        intents.push(Intent::OpenFind(target));
    }
}

/// How a conversation's peer is doing, for its header: typing, away with their message,
/// online, offline.
pub fn peer_status(
    t: &Texts,
    peer: &str,
    status: Option<&chat_model::presence::Status>,
    typing: bool,
) -> (String, chat_core::protocol::Presence) {
    use chat_core::protocol::Presence;
    let presence = status.map_or(Presence::Unknown, |s| s.presence);
    let words = if typing {
        fill(t.typing, &[&peer])
    } else {
        match status {
            Some(s) => match (&s.presence, &s.text) {
                (Presence::Away, Some(text)) => fill(t.away_says, &[text]),
                (p, _) => (t.presence)(*p).to_owned(),
            },
            None => String::new(),
        }
    };
    (words, presence)
}

/// The room's header. Offers deleting the room to its creator.
pub fn room(ui: &mut Ui, t: &Texts, room: &CurrentRoom, mine: bool) -> Vec<Intent> {
    let mut intents = Vec::new();
    bar(ui, |ui| {
        ui.label(RichText::new(format!("# {}", room.name)).heading().strong());
        let who = match &room.creator {
            Some(creator) => fill(t.created_by, &[creator]),
            None => t.default_room_mark.to_owned(),
        };
        ui.label(RichText::new(format!("{who} · {}", (t.member_count)(room.member_count))).weak());
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            ui.add_space(10.0);
            if mine && ui.button(t.delete_room).clicked() {
                intents.push(Intent::AskDeleteRoom(room.name.clone()));
            }
            view_buttons(ui, t, Target::Room, &mut intents);
        });
    });
    intents
}

/// The header of a conversation shown in the main pane; `status` is [`peer_status`].
pub fn conversation(
    ui: &mut Ui,
    t: &Texts,
    peer: &str,
    room: &str,
    status: &(String, chat_core::protocol::Presence),
) -> Vec<Intent> {
    let mut intents = Vec::new();
    bar(ui, |ui| {
        ui.label(RichText::new(format!("@ {peer}")).heading().strong());
        let (words, presence) = status;
        if !words.is_empty() {
            ui.label(
                RichText::new(crate::ui::presence_glyph(*presence))
                    .color(crate::ui::presence_color(ui, *presence)),
            );
            ui.label(RichText::new(words).weak());
        }
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            ui.add_space(10.0);
            if ui.button("✕").on_hover_text(t.close).clicked() {
                intents.push(Intent::ClosePrivate(peer.to_owned()));
            }
            if ui.button("🗗").on_hover_text(t.undock).clicked() {
                intents.push(Intent::DockConversations(false));
            }
            if ui.button(fill(t.back_to_room, &[&room])).clicked() {
                intents.push(Intent::ShowRoom);
            }
            let key = chat_core::validate::login_key(peer);
            view_buttons(ui, t, Target::Private(key), &mut intents);
        });
    });
    intents
}

fn bar(ui: &mut Ui, content: impl FnOnce(&mut Ui)) {
    ui.add_space(6.0);
    ui.horizontal(|ui| {
        ui.add_space(crate::ui::row::GUTTER - 8.0);
        content(ui);
    });
    ui.add_space(4.0);
    ui.separator();
}
