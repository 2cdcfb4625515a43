//! Applies the scripted user's steps ([`crate::autopilot`]) as the same intents the mouse and
//! keyboard produce, each once the window it needs is showing.

use std::time::Duration;
use web_time::Instant;

use chat_model::client::Phase;
use chat_model::composer::Target;

use super::{ChatApp, Form};
use crate::autopilot::Step;
use crate::forms::{LoginForm, RegisterForm};
use crate::ui::Intent;
use crate::ui::actions::{LineAction, LineRef};

impl ChatApp {
    /// Applies the autopilot's next step once the window it needs is showing.
    pub(super) fn drive(&mut self, ctx: &egui::Context) {
        let Some(pilot) = &mut self.autopilot else {
            return;
        };
        if pilot.is_done() {
            self.autopilot = None;
            return;
        }
        ctx.request_repaint_after(Duration::from_millis(100));
        let now = Instant::now();
        let Some(step) = pilot.peek(now).cloned() else {
            return;
        };
        let phase = self.client.phase();
        let ready = if step.needs_forms() {
            *phase == Phase::Connected
                && match step {
                    Step::FillLogin(..) | Step::Login | Step::KeepSignedIn => {
                        self.form == Form::Login
                    }
                    Step::FillRegister(_) | Step::Register => self.form == Form::Register,
                    _ => true,
                }
        } else if step.needs_session() {
            phase.is_logged_in()
        } else {
            true
        };
        if !ready {
            return;
        }
        pilot.advance(now);
        tracing::debug!(?step, "autopilot");
        self.take_step(ctx, step);
    }

    /// The room's newest numbered line that starts with `start`, as actions name it.
    fn room_line(&self, start: &str) -> Option<LineRef> {
        let chat = &self.client.chat;
        let room = chat.room_name()?.to_owned();
        chat.current_history()?.iter().rev().find_map(|line| {
            let (from, text) = line.said()?;
            let id = line.id.filter(|_| text.starts_with(start))?;
            Some(LineRef {
                target: Target::Room,
                place: chat_core::protocol::Target::Room(room.clone()),
                line: id,
                from: from.to_owned(),
                text: text.to_owned(),
                files: line.attachments.iter().map(|f| f.name.clone()).collect(),
                mentions: false,
            })
        })
    }

    fn take_step(&mut self, ctx: &egui::Context, step: Step) {
        match step {
            Step::Address(a) => self.settings.address = a,
            Step::Connect => self.apply(Intent::Connect),
            Step::RegisterForm => self.apply(Intent::ShowRegister),
            Step::FillRegister([login, first, last, age, password, confirm]) => {
                self.register = RegisterForm {
                    first_names: first,
                    last_names: last,
                    login,
                    password,
                    confirm,
                    age,
                    gender: chat_core::protocol::Gender::PreferNotToSay,
                };
            }
            Step::Register => self.apply(Intent::Register),
            Step::FillLogin(login, password) => {
                self.login = LoginForm {
                    login,
                    password,
                    keep_signed_in: self.login.keep_signed_in,
                }
            }
            Step::KeepSignedIn => self.login.keep_signed_in = true,
            Step::Find(text) => {
                let target = match &self.pane {
                    super::Pane::Room => Target::Room,
                    super::Pane::Conversation(key) => Target::Private(key.clone()),
                };
                self.apply(Intent::OpenFind(target));
                if let Some(bar) = &mut self.find {
                    bar.finder.query = text;
                }
            }
            Step::Search(text) => {
                self.apply(Intent::OpenSearch);
                self.search = Some(text);
            }
            Step::Away(text) => self.apply(Intent::SetAway(Some(text))),
            Step::Back => self.apply(Intent::SetBack),
            Step::Login => self.apply(Intent::Login),
            Step::Say(text) => {
                self.drafts.entry(Target::Room).or_default().text = text;
                self.apply(Intent::Submit(Target::Room));
            }
            Step::Type(text) => self.drafts.entry(Target::Room).or_default().text = text,
            Step::Users => self.apply(Intent::ShowUsers),
            Step::CloseUsers => self.users_open = false,
            Step::OpenPrivate(peer) => self.apply(Intent::OpenPrivate(peer)),
            Step::Private(peer, text) => {
                self.apply(Intent::OpenPrivate(peer.clone()));
                let target = Target::Private(chat_core::validate::login_key(&peer));
                self.drafts.entry(target.clone()).or_default().text = text;
                self.apply(Intent::Submit(target));
            }
            Step::EmojiPicker => {
                let id = crate::ui::input::box_id(&Target::Room).with("emoji-picker");
                egui::Popup::open_id(ctx, id);
            }
            Step::AskDelete(room) => self.apply(Intent::AskDeleteRoom(room)),
            Step::Dock(on) => self.apply(Intent::DockConversations(on)),
            Step::ClosePrivate(peer) => self.apply(Intent::ClosePrivate(peer)),
            Step::Escape => {
                egui::Popup::close_all(ctx);
                self.apply(Intent::KeepRoom);
                self.users_open = false;
                self.find = None;
                self.search = None;
            }
            Step::Reply(start, text) => {
                if let Some(line) = self.room_line(&start) {
                    self.line_action(line, LineAction::Reply);
                    self.drafts.entry(Target::Room).or_default().text = text;
                    self.apply(Intent::Submit(Target::Room));
                }
            }
            Step::React(start, emoji) => {
                if let Some(line) = self.room_line(&start) {
                    self.line_action(line, LineAction::React { emoji, on: true });
                }
            }
            Step::Edit(start, text) => {
                if let Some(line) = self.room_line(&start) {
                    self.line_action(line, LineAction::Edit);
                    self.drafts.entry(Target::Room).or_default().text = text;
                    self.apply(Intent::Submit(Target::Room));
                }
            }
            Step::Delete(start) => {
                if let Some(line) = self.room_line(&start) {
                    self.line_action(line, LineAction::ConfirmDelete);
                }
            }
            Step::Mute(login) => {
                if let Some(room) = self.client.chat.room_name() {
                    let request = chat_core::protocol::Request::Moderate {
                        room: room.to_owned(),
                        action: chat_core::protocol::ModAction::Mute,
                        login: Some(login),
                        seconds: Some(crate::ui::actions::MUTE_SECONDS[0]),
                    };
                    self.apply(Intent::Command(request));
                }
            }
            Step::Attach(path) => {
                let file = crate::ui::files::Dropped::path(path.into());
                let intent = crate::ui::files::FileIntent::Attach(Target::Room, vec![file]);
                self.apply(Intent::Files(intent));
            }
            Step::Send => self.apply(Intent::Submit(Target::Room)),
            Step::ViewPicture => {
                let newest = self.client.chat.room_name().and_then(|room| {
                    let history = self.client.chat.history(room)?;
                    (0..history.len())
                        .rev()
                        .filter_map(|i| history.get(i))
                        .flat_map(|line| line.attachments.iter().rev())
                        .find(|file| file.preview)
                        .cloned()
                });
                if let Some(file) = newest {
                    let intent = crate::ui::files::FileIntent::View(file, Target::Room);
                    self.apply(Intent::Files(intent));
                }
            }
            Step::Wait(_) => {}
            Step::Theme(name) => {
                let theme = if name == "light" {
                    crate::settings::Theme::Light
                } else {
                    crate::settings::Theme::Dark
                };
                self.apply(Intent::SetTheme(theme));
            }
            Step::Language(code) => {
                if let Some(language) = crate::i18n::Language::from_locale(&code) {
                    self.apply(Intent::SetLanguage(language));
                }
            }
        }
    }
}
