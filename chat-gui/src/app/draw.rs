//! Puts the windows and panels of the current phase on screen and collects what the user asked
//! for. Each panel is drawn by its own `ui` module; this file only arranges them and hands each
//! the state it shows.

use std::collections::HashMap;

use chat_core::validate::{login_key, room_key};
use chat_model::client::Phase;
use chat_model::composer::{Draft, Target};

use super::{ChatApp, Form, Pane};
use crate::forms::RegisterForm;
use crate::i18n::{Texts, fill};
use crate::settings::Settings;
use crate::ui::header::Place;
use crate::ui::{self, Intent, input, messages};

impl ChatApp {
    pub(super) fn draw(&mut self, ui: &mut egui::Ui) -> Vec<Intent> {
        let t = self.texts();
        let mut intents = Vec::new();
        egui::Panel::bottom("status").show(ui, |ui| ui::status::show(ui, t, &self.client));
        if self.client.in_session() {
            intents.extend(self.draw_main(ui, t));
        } else {
            egui::CentralPanel::default().show(ui, |ui| {
                egui::ScrollArea::vertical()
                    .auto_shrink([false, false])
                    .show(ui, |ui| {
                        ui.add_space((ui.available_height() * 0.08).min(48.0));
                        // At most 480 points wide, and never wider than the window (a phone's
                        // is 390): centred, a wider card would start left of the edge.
                        let width = ui.available_width().min(480.0);
                        ui.vertical_centered(|ui| {
                            ui.set_max_width(width);
                            ui.with_layout(egui::Layout::top_down(egui::Align::Min), |ui| {
                                intents.extend(self.draw_form(ui, t));
                            });
                        });
                    });
            });
            intents.extend(language_corner(ui.ctx(), &self.settings));
        }
        intents
    }

    /// The heading of the window shown (the room's name once in one), for what speaks in
    /// words rather than pixels: a page's status region for screen readers.
    pub fn heading(&self) -> String {
        let t = self.texts();
        if self.client.in_session() {
            return self
                .client
                .chat
                .room_name()
                .map(|room| format!("# {room}"))
                .unwrap_or_default();
        }
        let heading = match (self.client.phase(), self.form) {
            (Phase::Offline | Phase::Connecting { .. }, _) => t.connect_title,
            (_, Form::Login) => t.login_title,
            (_, Form::Register) => t.register_title,
        };
        heading.to_owned()
    }

    fn draw_form(&mut self, ui: &mut egui::Ui, t: &'static Texts) -> Vec<Intent> {
        match self.client.phase() {
            Phase::Offline | Phase::Connecting { .. } => {
                let last = self.client.last_disconnect();
                let view = ui::connect::ConnectView {
                    address: &mut self.settings.address,
                    host_port: &mut self.host_port,
                    connecting: matches!(self.client.phase(), Phase::Connecting { .. }),
                    last,
                    host: &self.host,
                };
                ui::connect::show(ui, t, view)
            }
            Phase::Connected
            | Phase::LoggingIn(_)
            | Phase::LoggedIn
            | Phase::LoggingOut
            | Phase::Reconnecting { .. } => match self.form {
                Form::Login => {
                    let view = ui::login::LoginView {
                        server: self.client.addr(),
                        busy: matches!(self.client.phase(), Phase::LoggingIn(_)),
                        resuming: self.client.resuming_login(),
                        registered: self.registered.as_deref(),
                        problem: self.client.feedback.login.as_ref(),
                    };
                    ui::login::show(ui, t, &mut self.login, view)
                }
                Form::Register => {
                    let before = self.register.clone();
                    let intents = ui::register::show(
                        ui,
                        t,
                        &mut self.register,
                        self.register_tried,
                        self.client.feedback.register.as_ref(),
                    );
                    if changed(&before, &self.register) {
                        self.client.feedback.register = None;
                    }
                    intents
                }
            },
        }
    }

    fn draw_main(&mut self, ui: &mut egui::Ui, t: &'static Texts) -> Vec<Intent> {
        let mut intents = Vec::new();
        let ctx = ui.ctx().clone();
        let columns = super::layout::columns(ui.available_width(), self.drawer);
        let admin = self.client.admin();
        self.columns = columns;
        let pane_target = match &self.pane {
            Pane::Room => Target::Room,
            Pane::Conversation(key) => Target::Private(key.clone()),
        };
        egui::Panel::top("menu").show(ui, |ui| {
            let view = ui::menu::MenuView {
                chat: &self.client.chat,
                settings: &self.settings,
                shown: &pane_target,
                toggles: columns.toggles.then_some((columns.rooms, columns.members)),
                connected: self.client.phase().is_logged_in(),
            };
            intents.extend(ui::menu::show(ui, t, view, &mut self.away_text));
            if let Phase::Reconnecting { attempt, retry_at } = *self.client.phase() {
                let why = self
                    .client
                    .lost_because()
                    .map(|d| t.disconnect(d))
                    .unwrap_or_default();
                intents.extend(ui::banner::show(ui, t, &why, attempt, retry_at));
                ui.add_space(4.0);
            }
        });
        let shown = match &self.pane {
            Pane::Room => None,
            Pane::Conversation(key) => Some(key.clone()),
        };
        if columns.rooms {
            egui::Panel::left("rooms")
                .resizable(true)
                .default_size(super::layout::ROOMS_WIDTH)
                .size_range(160.0..=340.0)
                .show(ui, |ui| {
                    intents.extend(ui::rooms::show(ui, t, &self.client.chat, shown.as_deref()));
                });
        }
        if columns.members {
            egui::Panel::right("members")
                .resizable(true)
                .default_size(super::layout::MEMBERS_WIDTH)
                .size_range(130.0..=300.0)
                .show(ui, |ui| {
                    intents.extend(ui::members::show(ui, t, &self.client.chat, admin));
                });
        }
        let online = self.client.phase().is_logged_in();
        let logins = completion_logins(&self.client.chat);
        let rooms: Vec<String> = self
            .client
            .chat
            .rooms
            .iter()
            .map(|r| r.name.clone())
            .collect();
        let names = input::Names {
            logins: &logins,
            rooms: &rooms,
        };
        let focus = self.focus.take();
        let recent = self.settings.recent_emoji.clone();
        let boxes = Boxes {
            names,
            online,
            focus: &focus,
            recent: &recent,
        };
        let frame = egui::Frame::central_panel(ui.style()).inner_margin(0);
        match &shown {
            Some(key) if columns.beside => {
                let width = (ui.available_width() / 2.0).max(super::layout::CENTRAL_MIN_WIDTH);
                egui::Panel::right("conversation-beside")
                    .resizable(false)
                    .exact_size(width)
                    .frame(frame)
                    .show(ui, |ui| {
                        intents.extend(self.draw_docked(ui, t, key, Place::Beside, boxes));
                    });
                egui::CentralPanel::default()
                    .frame(frame)
                    .show(ui, |ui| intents.extend(self.draw_room(ui, t, boxes)));
            }
            Some(key) => {
                let room = self.client.chat.room_name().unwrap_or_default().to_owned();
                egui::CentralPanel::default().frame(frame).show(ui, |ui| {
                    intents.extend(self.draw_docked(ui, t, key, Place::Instead(&room), boxes));
                });
            }
            None => {
                egui::CentralPanel::default()
                    .frame(frame)
                    .show(ui, |ui| intents.extend(self.draw_room(ui, t, boxes)));
            }
        }
        intents.extend(ui::users::show(
            &ctx,
            t,
            &self.client.chat,
            &mut self.users_open,
        ));
        if !self.settings.dock_private {
            intents.extend(self.draw_windows(&ctx, t, boxes));
        }
        let search_focus = std::mem::take(&mut self.search_focus);
        intents.extend(ui::search::show(
            &ctx,
            t,
            &self.client.chat,
            &mut self.search,
            search_focus,
        ));
        intents.extend(ui::menu::new_room_dialog(&ctx, t, &mut self.new_room));
        intents.extend(self.draw_line_dialog(&ctx, t));
        if self.reports_open {
            intents.extend(ui::reports::window(
                &ctx,
                t,
                &self.client.chat,
                &mut self.reports_open,
            ));
        }
        if let Some(room) = &self.delete_asked {
            let default = self.client.session().map(|s| s.default_room.clone());
            intents.extend(ui::confirm::delete_room(&ctx, t, room, default.as_deref()));
        }
        intents
    }

    /// The room: its header, its lines, its message box.
    fn draw_room(&mut self, ui: &mut egui::Ui, t: &'static Texts, boxes: Boxes<'_>) -> Vec<Intent> {
        let mut intents = Vec::new();
        let admin = self.client.admin();
        let chat = &mut self.client.chat;
        let Some(room) = chat.room.clone() else {
            return intents;
        };
        let mine = chat
            .rooms
            .iter()
            .any(|r| room_key(&r.name) == room_key(&room.name) && chat.created(r));
        let moderator = room.creator.as_deref().is_some_and(|c| chat.is_me(c)) || admin;
        intents.extend(ui::header::room(ui, t, &room, mine));
        let highlight = find_bar(ui, t, &mut self.find, &Target::Room, &mut intents);
        let composer = boxes.composer(
            &mut self.drafts,
            Target::Room,
            t.message_input.to_owned(),
            fill(t.message_hint, &[&room.name]),
        );
        intents.extend(message_box(ui, t, composer));
        let salt = format!("room:{}", room_key(&room.name));
        if let Some(history) = chat.current_history() {
            let view = self.views.entry(Target::Room).or_default();
            let mut unseen = chat.unseen;
            let place = chat_core::protocol::Target::Room(room.name.clone());
            let lines = messages::Lines {
                viewer: ui::actions::Viewer {
                    me: &chat.me,
                    target: &Target::Room,
                    place: &place,
                    moderator,
                    recent: boxes.recent,
                },
                target: &Target::Room,
                salt: &salt,
                history,
                highlight: highlight
                    .as_ref()
                    .map(|(query, current)| messages::Highlight {
                        query,
                        current: *current,
                    }),
            };
            intents.extend(messages::show(ui, t, lines, view, Some(&mut unseen)));
            chat.unseen = unseen;
        }
        intents
    }

    /// A conversation shown in the main window, beside the room or in its place.
    fn draw_docked(
        &mut self,
        ui: &mut egui::Ui,
        t: &'static Texts,
        key: &str,
        place: Place<'_>,
        boxes: Boxes<'_>,
    ) -> Vec<Intent> {
        let Some(conversation) = self.client.chat.conversation(key) else {
            return Vec::new();
        };
        let target = Target::Private(key.to_owned());
        let label = fill(t.private_hint, &[&conversation.peer]);
        let status = self.peer_status(t, &conversation.peer);
        let find = self
            .find
            .as_mut()
            .filter(|bar| bar.target == target)
            .map(|bar| (&mut bar.finder, std::mem::take(&mut bar.focus)));
        let pane = ui::private::Pane {
            conversation,
            composer: boxes.composer(&mut self.drafts, target.clone(), label.clone(), label),
            view: self.views.entry(target).or_default(),
            status,
            find,
            me: &self.client.chat.me,
        };
        ui::private::pane(ui, t, place, pane)
    }

    /// How the peer of a conversation is doing: typing, away, online.
    fn peer_status(
        &self,
        t: &'static Texts,
        peer: &str,
    ) -> (String, chat_core::protocol::Presence) {
        let presence = &self.client.chat.presence;
        let typing = presence.is_typing(peer, self.client.server_now_ms());
        ui::header::peer_status(t, peer, presence.of(peer), typing)
    }

    /// Conversations in native windows of their own.
    fn draw_windows(
        &mut self,
        ctx: &egui::Context,
        t: &'static Texts,
        boxes: Boxes<'_>,
    ) -> Vec<Intent> {
        let mut intents = Vec::new();
        let open: Vec<String> = self
            .client
            .chat
            .conversations()
            .filter(|c| c.open)
            .map(|c| login_key(&c.peer))
            .collect();
        for key in open {
            let Some(conversation) = self.client.chat.conversation(&key) else {
                continue;
            };
            let target = Target::Private(key.clone());
            let label = fill(t.private_hint, &[&conversation.peer]);
            let status = self.peer_status(t, &conversation.peer);
            let find = self
                .find
                .as_mut()
                .filter(|bar| bar.target == target)
                .map(|bar| (&mut bar.finder, std::mem::take(&mut bar.focus)));
            let pane = ui::private::Pane {
                conversation,
                composer: boxes.composer(&mut self.drafts, target.clone(), label.clone(), label),
                view: self.views.entry(target).or_default(),
                status,
                find,
                me: &self.client.chat.me,
            };
            intents.extend(ui::private::window(ctx, t, pane));
        }
        intents
    }
}

/// The find bar, if it is open over `target`'s lines; returns what it highlights (the query
/// and the current match).
fn find_bar(
    ui: &mut egui::Ui,
    t: &Texts,
    find: &mut Option<super::FindBar>,
    target: &Target,
    intents: &mut Vec<Intent>,
) -> Option<(String, Option<u64>)> {
    let bar = find.as_mut().filter(|bar| bar.target == *target)?;
    let focus = std::mem::take(&mut bar.focus);
    intents.extend(ui::find::bar(ui, t, &mut bar.finder, focus));
    Some((bar.finder.query.clone(), bar.finder.current_seq()))
}

/// What every message box of a frame shares.
#[derive(Clone, Copy)]
struct Boxes<'a> {
    names: input::Names<'a>,
    online: bool,
    /// The box that takes the keyboard this frame, if one does.
    focus: &'a Option<Target>,
    /// The emoji picked most recently.
    recent: &'a [String],
}

impl<'a> Boxes<'a> {
    /// The message box of `target`, named `label` for screen readers, showing `hint` while
    /// empty.
    fn composer<'d>(
        self,
        drafts: &'d mut HashMap<Target, Draft>,
        target: Target,
        label: String,
        hint: String,
    ) -> input::Composer<'d>
    where
        'a: 'd,
    {
        input::Composer {
            focus: *self.focus == Some(target.clone()),
            draft: drafts.entry(target.clone()).or_default(),
            target,
            name: label,
            hint,
            enabled: self.online,
            names: self.names,
            default_focus: true,
            recent: self.recent,
        }
    }
}

/// The message box at the bottom of the main pane, over the lines, with the reply or the edit
/// under way above it.
fn message_box(ui: &mut egui::Ui, t: &Texts, composer: input::Composer<'_>) -> Vec<Intent> {
    let mut intents = Vec::new();
    egui::Panel::bottom(egui::Id::unique(("message-box-panel", &composer.target)))
        .show_separator_line(true)
        .frame(egui::Frame::new().inner_margin(egui::Margin::symmetric(10, 8)))
        .show(ui, |ui| {
            intents.extend(ui::actions::composing(
                ui,
                t,
                &composer.target,
                composer.draft,
            ));
            intents.extend(input::show(ui, t, composer));
        });
    intents
}

/// Logins Tab can complete: the room's members, everyone listed, the conversations.
fn completion_logins(chat: &chat_model::chat::Chat) -> Vec<String> {
    let mut logins: Vec<String> = Vec::new();
    let members = chat.room.iter().flat_map(|r| r.members.iter().cloned());
    let listed = chat
        .directory
        .iter()
        .flat_map(|d| d.users.iter().map(|u| u.login.clone()));
    let peers = chat.conversations().map(|c| c.peer.clone());
    for login in members.chain(peers).chain(listed) {
        if !chat.is_me(&login) && !logins.iter().any(|l| login_key(l) == login_key(&login)) {
            logins.push(login);
        }
    }
    logins
}

fn changed(a: &RegisterForm, b: &RegisterForm) -> bool {
    a.first_names != b.first_names
        || a.last_names != b.last_names
        || a.login != b.login
        || a.password != b.password
        || a.confirm != b.confirm
        || a.age != b.age
        || a.gender != b.gender
}

/// The theme and language switch in the corner of the windows before login.
fn language_corner(ctx: &egui::Context, settings: &Settings) -> Vec<Intent> {
    let mut intents = Vec::new();
    egui::Area::new(egui::Id::unique("corner-settings"))
        .anchor(egui::Align2::RIGHT_TOP, [-10.0, 10.0])
        .show(ctx, |ui| {
            ui.horizontal(|ui| {
                for language in crate::i18n::Language::all() {
                    if ui
                        .selectable_label(settings.language() == language, language.name())
                        .clicked()
                    {
                        intents.push(Intent::SetLanguage(language));
                    }
                }
                ui.separator();
                let t = settings.language().texts();
                let (label, theme) = if ui.visuals().dark_mode {
                    (t.theme_light, crate::settings::Theme::Light)
                } else {
                    (t.theme_dark, crate::settings::Theme::Dark)
                };
                if ui.button(label).clicked() {
                    intents.push(Intent::SetTheme(theme));
                }
            });
        });
    intents
}
