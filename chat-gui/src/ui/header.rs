//! The bar above the lines of the main pane: the room's name, who created it and how many are
//! in it; or, for a conversation shown in the main pane, whom it is with, whether they are
//! online, away or typing, and its buttons.

use chat_model::chat::CurrentRoom;
use chat_model::composer::Target;
use egui::{RichText, Ui};

use crate::i18n::{Texts, fill};
use crate::ui::Intent;

/// Below this width (points) a header's buttons show as icons, named for screen readers.
const COMPACT_BELOW: f32 = 620.0;

/// A header button: its words, or where room is short its icon, named either way.
fn button(ui: &mut Ui, compact: bool, icon: &str, words: &str) -> egui::Response {
    if compact {
        ui.button(icon).on_hover_text(words).accessible_name(words)
    } else {
        ui.button(words)
    }
}

/// The buttons every view's header offers: find in it, save a copy of it.
fn view_buttons(ui: &mut Ui, t: &Texts, target: Target, compact: bool, intents: &mut Vec<Intent>) {
    if button(ui, compact, "💾", t.export).clicked() {
        intents.push(Intent::Export(target.clone()));
    }
    if button(ui, compact, "🔍", t.find)
        .on_hover_text(t.find_here)
        .clicked()
    {
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
                (p, _) => t.presence(*p).to_owned(),
            },
            None => String::new(),
        }
    };
    (words, presence)
}

/// The room's header. Offers deleting the room to its creator.
pub fn room(ui: &mut Ui, t: &Texts, room: &CurrentRoom, mine: bool) -> Vec<Intent> {
    let mut intents = Vec::new();
    let compact = ui.available_width() < COMPACT_BELOW;
    bar(
        ui,
        |ui| {
            if mine && button(ui, compact, "🗑", t.delete_room).clicked() {
                intents.push(Intent::AskDeleteRoom(room.name.clone()));
            }
            view_buttons(ui, t, Target::Room, compact, &mut intents);
        },
        |ui| {
            title(ui, &format!("# {}", room.name));
            let who = match &room.creator {
                Some(creator) => fill(t.created_by, &[creator]),
                None => t.default_room_mark.to_owned(),
            };
            let about = format!("{who} · {}", t.member_count(room.member_count));
            ui.add(egui::Label::new(RichText::new(about).weak()).truncate());
        },
    );
    intents
}

/// Where a conversation is shown, for the buttons of its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place<'a> {
    /// In a window of its own.
    Window,
    /// Beside the room, in the main window.
    Beside,
    /// Instead of the room (the main window is too narrow for both), which is named to go back.
    Instead(&'a str),
}

/// The header of a conversation; `status` is [`peer_status`].
pub fn conversation(
    ui: &mut Ui,
    t: &Texts,
    peer: &str,
    place: Place<'_>,
    status: &(String, chat_core::protocol::Presence),
) -> Vec<Intent> {
    let mut intents = Vec::new();
    let compact = ui.available_width() < COMPACT_BELOW;
    let key = chat_core::validate::login_key(peer);
    bar(
        ui,
        |ui| {
            if ui
                .button("✕")
                .on_hover_text(t.close)
                .accessible_name(t.close)
                .clicked()
            {
                intents.push(Intent::ClosePrivate(peer.to_owned()));
            }
            let (icon, words, dock) = match place {
                Place::Window => ("⊟", t.dock, true),
                Place::Beside | Place::Instead(_) => ("🗗", t.undock, false),
            };
            if ui
                .button(icon)
                .on_hover_text(words)
                .accessible_name(words)
                .clicked()
            {
                intents.push(Intent::DockConversations(dock));
            }
            if let Place::Instead(room) = place {
                let back = fill(t.back_to_room, &[&room]);
                if button(ui, compact, "⬅", &back).clicked() {
                    intents.push(Intent::ShowRoom);
                }
            }
            view_buttons(ui, t, Target::Private(key), compact, &mut intents);
        },
        |ui| {
            title(ui, &format!("@ {peer}"));
            let (words, presence) = status;
            ui.label(
                RichText::new(crate::ui::presence_glyph(*presence))
                    .color(crate::ui::presence_color(ui, *presence)),
            );
            let words = if words.is_empty() {
                t.presence(*presence)
            } else {
                words.as_str()
            };
            ui.add(egui::Label::new(RichText::new(words).weak()).truncate());
        },
    );
    intents
}

/// A header's title, cut with an ellipsis where room is short.
fn title(ui: &mut Ui, text: &str) {
    ui.add(egui::Label::new(RichText::new(text).heading().strong()).truncate());
}

/// A header: `buttons` at the right, placed first so they always fit; `about` in what is left,
/// shortened with an ellipsis.
fn bar(ui: &mut Ui, buttons: impl FnOnce(&mut Ui), about: impl FnOnce(&mut Ui)) {
    ui.add_space(6.0);
    ui.horizontal(|ui| {
        ui.add_space(crate::ui::row::GUTTER - 8.0);
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            ui.add_space(10.0);
            buttons(ui);
            ui.with_layout(egui::Layout::left_to_right(egui::Align::Center), about);
        });
    });
    ui.add_space(4.0);
    ui.separator();
}
