//! The right panel: who is in the current room, each with a dot for their presence (green
//! online, amber away). Clicking someone opens a private conversation. To the room's creator
//! and administrators, each member's context menu (right click, or the menu key) keeps order:
//! mute for a while, unmute, remove; and slow mode is set above the list.

use chat_core::protocol::{ModAction, Request};
use chat_model::chat::Chat;
use egui::{RichText, Ui};

use crate::i18n::{Texts, fill};
use crate::ui::actions::MUTE_SECONDS;
use crate::ui::{Intent, own_color, peer_color, presence_words, with_dot};

/// Slow mode's paces offered: one line per so many seconds (0: off).
const SLOW_SECONDS: [u32; 4] = [0, 10, 30, 60];

/// Draws the members panel; `admin`: the user is one of the server's administrators.
pub fn show(ui: &mut Ui, t: &Texts, chat: &Chat, admin: bool) -> Vec<Intent> {
    let mut intents = Vec::new();
    ui.add_space(6.0);
    ui.label(RichText::new(t.members).heading());
    let Some(room) = &chat.room else {
        return intents;
    };
    ui.label(RichText::new(t.member_count(room.member_count)).weak());
    let moderator = admin || room.creator.as_deref().is_some_and(|c| chat.is_me(c));
    let order = chat.order(&room.name);
    if moderator {
        let slow = order.map_or(0, |o| o.slow_seconds);
        let label = if slow == 0 {
            t.slow_mode_off.to_owned()
        } else {
            fill(t.slow_mode_on, &[&slow])
        };
        ui.menu_button(format!("🐢 {label}"), |ui| {
            for seconds in SLOW_SECONDS {
                let name = if seconds == 0 {
                    t.slow_mode_off.to_owned()
                } else {
                    fill(t.slow_mode_on, &[&seconds])
                };
                if ui.radio(slow == seconds, name).clicked() {
                    intents.push(moderate(&room.name, ModAction::Slow, None, Some(seconds)));
                }
            }
        });
    }
    ui.add_space(4.0);
    egui::ScrollArea::vertical()
        .id_salt("members")
        .show(ui, |ui| {
            // Every row a full-width button of one height, so the list reads evenly.
            ui.with_layout(egui::Layout::top_down_justified(egui::Align::Min), |ui| {
                for member in &room.members {
                    let status = chat.presence.of(member);
                    // Unknown is shown as unknown (a faint ring), never guessed.
                    let presence = chat.presence.presence(member);
                    let words = presence_words(t, member, status);
                    if chat.is_me(member) {
                        let me = format!("{member} ({})", t.you);
                        let text = with_dot(ui, presence, &me, own_color(ui));
                        ui.add(
                            egui::Button::new(text)
                                .frame(false)
                                .sense(egui::Sense::hover()),
                        )
                        .on_hover_text(&words);
                        continue;
                    }
                    let key = chat_core::validate::login_key(member);
                    let muted = order.is_some_and(|o| o.muted.contains_key(&key));
                    let shown = if muted {
                        format!("{member} 🔇")
                    } else {
                        member.clone()
                    };
                    let text = with_dot(ui, presence, &shown, peer_color(ui, member));
                    let button = ui
                        .add(egui::Button::new(text).frame(false))
                        .accessible_name(member.as_str())
                        .on_hover_text(format!("{words}\n{}", fill(t.write_to, &[member])));
                    if button.clicked() {
                        intents.push(Intent::OpenPrivate(member.clone()));
                    }
                    if moderator {
                        // The menu key (or Shift+F10) opens it from the keyboard too.
                        let keyboard = button.has_focus()
                            && ui.input_mut(|i| {
                                i.consume_key(egui::Modifiers::SHIFT, egui::Key::F10)
                            });
                        if keyboard {
                            egui::Popup::open_id(ui.ctx(), button.id.with("members-menu"));
                        }
                        // Under the member's name, not at the pointer: opened from the
                        // keyboard, the menu has no pointer to go to.
                        egui::Popup::context_menu(&button)
                            .anchor(button.rect)
                            .id(button.id.with("members-menu"))
                            .show(|ui| {
                                intents.extend(member_menu(ui, t, &room.name, member, muted));
                            });
                    }
                }
            });
            let listed = u32::try_from(room.members.len()).unwrap_or(u32::MAX);
            if room.member_count > listed {
                ui.label(
                    RichText::new(fill(t.members_more, &[&(room.member_count - listed)])).weak(),
                );
            }
        });
    intents
}

/// What a room's creator or an administrator may do to a member.
fn member_menu(ui: &mut Ui, t: &Texts, room: &str, member: &str, muted: bool) -> Vec<Intent> {
    let mut intents = Vec::new();
    ui.menu_button(fill(t.mute_login, &[&member]), |ui| {
        for seconds in MUTE_SECONDS {
            if ui.button(t.duration(seconds)).clicked() {
                intents.push(moderate(room, ModAction::Mute, Some(member), Some(seconds)));
            }
        }
    });
    if muted && ui.button(fill(t.unmute_login, &[&member])).clicked() {
        intents.push(moderate(room, ModAction::Unmute, Some(member), None));
    }
    if ui.button(fill(t.remove_login, &[&member])).clicked() {
        intents.push(moderate(room, ModAction::Remove, Some(member), None));
    }
    intents
}

/// The request that keeps order in `room`.
fn moderate(room: &str, action: ModAction, login: Option<&str>, seconds: Option<u32>) -> Intent {
    Intent::Command(Request::Moderate {
        room: room.to_owned(),
        action,
        login: login.map(str::to_owned),
        seconds,
    })
}
