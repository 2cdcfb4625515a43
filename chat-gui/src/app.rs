//! The application: state, one frame of drawing, and applying what the user asked for.
//!
//! Each frame: handle what arrived on the connection (the network thread woke us), start a due
//! reconnection, draw the screen for the current phase (collecting [`Intent`]s), then apply the
//! intents. The UI thread never blocks: sends are queued to the connection's writer thread.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chat_core::command::{self, Command};
use chat_core::protocol::{ErrorCode, Password, Request};
use chat_core::validate::login_key;

use crate::autopilot::{Autopilot, Step};
use crate::client::{Client, Pending, Phase};
use crate::forms::{LoginForm, RegisterForm};
use crate::history::{LineKind, Refusal};
use crate::host::{self, Host};
use crate::i18n::Texts;
use crate::settings::Settings;
use crate::ui::{self, Intent};

/// Which form a connected, logged-out client shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// The login window.
    Login,
    /// The register window.
    Register,
}

/// Where things live that tests and packagers may want elsewhere.
#[derive(Debug, Clone, Default)]
pub struct AppOptions {
    /// Where a hosted server keeps its accounts; the platform's data folder when `None`.
    pub host_data_dir: Option<PathBuf>,
    /// Bind hosted servers to this host instead of every interface (tests use `127.0.0.1`).
    pub host_bind_ip: Option<String>,
    /// Where server certificates trusted on first use are remembered; memory only when `None`.
    pub known_hosts: Option<PathBuf>,
}

/// The chat client.
pub struct ChatApp {
    /// What is remembered between runs.
    pub settings: Settings,
    /// The connection and what it brought.
    pub client: Client,
    /// The server hosted inside the client, if any.
    pub host: Host,
    options: AppOptions,
    form: Form,
    host_port: String,
    login: LoginForm,
    register: RegisterForm,
    register_tried: bool,
    registered: Option<String>,
    line: String,
    drafts: HashMap<String, String>,
    new_room: Option<String>,
    users_open: bool,
    scroll: ui::messages::ScrollState,
    waker: Option<chat_core::client::Waker>,
    autopilot: Option<Autopilot>,
    theme_applied: Option<crate::settings::Theme>,
}

impl std::fmt::Debug for ChatApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatApp")
            .field("client", &self.client)
            .field("form", &self.form)
            .finish_non_exhaustive()
    }
}

impl ChatApp {
    /// A client with these settings, not yet connected.
    pub fn new(settings: Settings, options: AppOptions) -> Self {
        let mut client = Client::new(None);
        if let Some(path) = &options.known_hosts {
            client.set_known_hosts(chat_core::tls::KnownHosts::File(path.clone()));
        }
        ChatApp {
            host_port: settings.host_port.to_string(),
            login: LoginForm {
                login: settings.last_login.clone(),
                password: String::new(),
            },
            settings,
            client,
            host: Host::Idle,
            options,
            form: Form::Login,
            register: RegisterForm::default(),
            register_tried: false,
            registered: None,
            line: String::new(),
            drafts: HashMap::new(),
            new_room: None,
            users_open: false,
            scroll: ui::messages::ScrollState::default(),
            waker: None,
            autopilot: None,
            theme_applied: None,
        }
    }

    /// The app eframe starts: settings from its storage.
    pub fn from_creation(cc: &eframe::CreationContext<'_>) -> Self {
        let settings = cc
            .storage
            .and_then(|s| eframe::get_value::<Settings>(s, Settings::KEY))
            .unwrap_or_default();
        let known_hosts = directories::ProjectDirs::from("org", "chat", crate::limits::APP_ID)
            .map(|d| d.config_dir().join("known_hosts"));
        let options = AppOptions {
            known_hosts,
            ..AppOptions::default()
        };
        ChatApp::new(settings, options)
    }

    /// Lets a script drive the app (demonstrations, screenshots).
    pub fn set_autopilot(&mut self, autopilot: Autopilot) {
        self.autopilot = Some(autopilot);
    }

    /// Which form shows while connected and logged out.
    pub fn form(&self) -> Form {
        self.form
    }

    /// The words of the current language.
    fn texts(&self) -> &'static Texts {
        self.settings.language().texts()
    }

    /// Draws one frame and applies what the user asked for.
    pub fn show(&mut self, ui: &mut egui::Ui) {
        self.update(ui.ctx());
        self.frame(ui);
    }

    /// Everything but drawing: handles what arrived on the connection, starts a due
    /// reconnection, picks up a hosted server. eframe calls it even while the window is hidden
    /// or covered, so messages are counted and reconnections happen regardless.
    pub fn update(&mut self, ctx: &egui::Context) {
        if self.waker.is_none() {
            let waker_ctx = ctx.clone();
            let waker: chat_core::client::Waker = Arc::new(move || waker_ctx.request_repaint());
            self.client.set_waker(Arc::clone(&waker));
            self.waker = Some(waker);
        }
        if self.theme_applied != Some(self.settings.theme) {
            ctx.set_theme(self.settings.theme.preference());
            self.theme_applied = Some(self.settings.theme);
        }
        let now = Instant::now();
        self.client.pump(now);
        if let Some(due) = self.client.tick(now) {
            // The banner counts seconds down; wake at least once a second.
            ctx.request_repaint_after(due.min(Duration::from_secs(1)));
        }
        if let Some(addr) = self.host.poll() {
            if let Some(local) = self.host.local_address() {
                self.settings.address = local.to_string();
            }
            tracing::debug!(%addr, "hosted server started; connecting to it");
            self.client.connect(&self.settings.address);
        }
        self.after_events();
        self.drive(ctx);
        if self.client.in_session() {
            // The status bar shows the server's clock to the second.
            ctx.request_repaint_after(Duration::from_secs(1));
        }
    }

    /// Draws the window and applies what the user asked for.
    pub fn frame(&mut self, ui: &mut egui::Ui) {
        let intents = self.draw(ui);
        for intent in intents {
            self.apply(intent);
        }
    }

    /// Applies the autopilot's next step once the window it needs is showing.
    fn drive(&mut self, ctx: &egui::Context) {
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
        let phase = self.client.phase().clone();
        let ready = if step.needs_forms() {
            phase == Phase::Connected
                && match step {
                    Step::FillLogin(..) | Step::Login => self.form == Form::Login,
                    Step::FillRegister(_) | Step::Register => self.form == Form::Register,
                    _ => true,
                }
        } else if step.needs_session() {
            phase == Phase::LoggedIn
        } else {
            true
        };
        if !ready {
            return;
        }
        pilot.advance(now);
        tracing::debug!(?step, "autopilot");
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
            Step::FillLogin(login, password) => self.login = LoginForm { login, password },
            Step::Login => self.apply(Intent::Login),
            Step::Say(text) => {
                self.line = text;
                self.apply(Intent::SubmitLine);
            }
            Step::Users => self.apply(Intent::ShowUsers),
            Step::CloseUsers => self.users_open = false,
            Step::OpenPrivate(peer) => self.apply(Intent::OpenPrivate(peer)),
            Step::Private(peer, text) => {
                self.client.chat.open_conversation(&peer);
                *self.drafts.entry(login_key(&peer)).or_default() = text;
                self.apply(Intent::SendPrivate(peer));
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

    /// Moves between windows as answers arrive.
    fn after_events(&mut self) {
        if let Some(login) = self.client.feedback.registered.take() {
            self.login = LoginForm {
                login: login.clone(),
                password: String::new(),
            };
            self.register = RegisterForm::default();
            self.register_tried = false;
            self.registered = Some(login);
            self.form = Form::Login;
        }
        if std::mem::take(&mut self.client.feedback.users_arrived) {
            self.users_open = true;
        }
        if *self.client.phase() == Phase::LoggedIn && !self.login.password.is_empty() {
            // Logged in: the typed password is no longer needed on screen.
            self.settings.last_login = self.client.chat.me.clone();
            self.login.password.clear();
            self.registered = None;
        }
    }

    fn draw(&mut self, ui: &mut egui::Ui) -> Vec<Intent> {
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
                        ui.vertical_centered(|ui| {
                            ui.set_max_width(460.0);
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

    fn draw_form(&mut self, ui: &mut egui::Ui, t: &'static Texts) -> Vec<Intent> {
        match self.client.phase() {
            Phase::Offline | Phase::Connecting => {
                let error = self.client.last_disconnect().map(|d| t.disconnect(d));
                let certificate_changed = matches!(
                    self.client.last_disconnect(),
                    Some(chat_core::client::Disconnect::CertificateChanged { .. })
                );
                let view = ui::connect::ConnectView {
                    address: &mut self.settings.address,
                    host_port: &mut self.host_port,
                    connecting: *self.client.phase() == Phase::Connecting,
                    error,
                    certificate_changed,
                    host: &self.host,
                };
                ui::connect::show(ui, t, view)
            }
            Phase::Connected | Phase::LoggingIn | Phase::LoggedIn | Phase::Reconnecting { .. } => {
                match self.form {
                    Form::Login => ui::login::show(
                        ui,
                        t,
                        &mut self.login,
                        self.client.addr(),
                        *self.client.phase() == Phase::LoggingIn,
                        self.registered.as_deref(),
                        self.client.feedback.login.as_ref(),
                    ),
                    Form::Register => {
                        let before = self.register.clone();
                        let intents = ui::register::show(
                            ui,
                            t,
                            &mut self.register,
                            self.register_tried,
                            false,
                            self.client.feedback.register.as_ref(),
                        );
                        if changed(&before, &self.register) {
                            self.client.feedback.register = None;
                        }
                        intents
                    }
                }
            }
        }
    }

    fn draw_main(&mut self, ui: &mut egui::Ui, t: &'static Texts) -> Vec<Intent> {
        let mut intents = Vec::new();
        let ctx = ui.ctx().clone();
        egui::Panel::top("menu").show(ui, |ui| {
            intents.extend(ui::menu::show(
                ui,
                t,
                &self.client.chat,
                &self.settings,
                &mut self.new_room,
            ));
            if let Phase::Reconnecting { attempt, retry_at } = self.client.phase().clone() {
                let why = self
                    .client
                    .last_disconnect()
                    .map(|d| t.disconnect(d))
                    .unwrap_or_default();
                intents.extend(ui::banner::show(ui, t, &why, attempt, retry_at));
                ui.add_space(4.0);
            }
        });
        egui::Panel::left("rooms")
            .resizable(true)
            .default_size(190.0)
            .size_range(150.0..=320.0)
            .show(ui, |ui| {
                intents.extend(ui::rooms::show(
                    ui,
                    t,
                    &self.client.chat,
                    &mut self.new_room,
                ));
            });
        egui::Panel::right("members")
            .resizable(true)
            .default_size(160.0)
            .size_range(120.0..=300.0)
            .show(ui, |ui| {
                intents.extend(ui::members::show(ui, t, &self.client.chat))
            });
        let room = self.client.chat.room_name().unwrap_or_default().to_owned();
        let online = *self.client.phase() == Phase::LoggedIn;
        egui::Panel::bottom("input").show(ui, |ui| {
            ui.add_space(6.0);
            intents.extend(ui::input::show(ui, t, &room, &mut self.line, online));
            ui.add_space(4.0);
        });
        egui::CentralPanel::default().show(ui, |ui| {
            let chat = &mut self.client.chat;
            let mut unseen = chat.unseen;
            ui::messages::show(
                ui,
                t,
                &room,
                chat.current_history(),
                &mut unseen,
                &mut self.scroll,
            );
            chat.unseen = unseen;
        });
        intents.extend(ui::users::show(
            &ctx,
            t,
            &self.client.chat,
            &mut self.users_open,
        ));
        let open: Vec<String> = self
            .client
            .chat
            .conversations()
            .filter(|c| c.open)
            .map(|c| c.peer.clone())
            .collect();
        for (index, peer) in open.into_iter().enumerate() {
            let Some(conversation) = self.client.chat.conversation(&peer) else {
                continue;
            };
            let draft = self.drafts.entry(login_key(&peer)).or_default();
            intents.extend(ui::private::show(
                &ctx,
                t,
                conversation,
                draft,
                online,
                index,
            ));
        }
        intents.extend(ui::menu::new_room_dialog(&ctx, t, &mut self.new_room));
        intents
    }

    /// Applies one thing the user asked for.
    pub fn apply(&mut self, intent: Intent) {
        match intent {
            Intent::Connect => {
                self.registered = None;
                self.client.connect(&self.settings.address);
            }
            Intent::TrustNewCertificate => self.client.trust_new_certificate(),
            Intent::CancelConnect | Intent::ChangeServer => self.client.disconnect(),
            Intent::HostStart => self.start_host(),
            Intent::HostStop => {
                if self.host.local_address().map(|a| a.to_string()).as_deref()
                    == Some(self.client.addr())
                {
                    self.client.disconnect();
                }
                self.host.stop();
            }
            Intent::ShowRegister => {
                self.form = Form::Register;
                self.registered = None;
            }
            Intent::ShowLogin => self.form = Form::Login,
            Intent::Register => {
                self.register_tried = true;
                if let Some(registration) = self.register.registration() {
                    self.client.register(registration);
                }
            }
            Intent::Login => {
                if self.login.ready() {
                    let login = self.login.login.trim().to_owned();
                    self.settings.last_login = login.clone();
                    self.client
                        .login(&login, Password(self.login.password.clone()));
                }
            }
            Intent::SubmitLine => self.submit_line(),
            Intent::Command(request) => self.client.send(request, Pending::Command),
            Intent::ListRooms => self
                .client
                .send(Request::ListRooms { offset: 0 }, Pending::ListRooms),
            Intent::ShowUsers => {
                self.users_open = true;
                self.client
                    .send(Request::ShowUsers { offset: 0 }, Pending::ShowUsers);
            }
            Intent::OpenPrivate(peer) => self.client.chat.open_conversation(&peer),
            Intent::ClosePrivate(peer) => self.client.chat.close_conversation(&peer),
            Intent::SendPrivate(peer) => {
                let draft = self.drafts.entry(login_key(&peer)).or_default();
                let text = std::mem::take(draft);
                if let Err(e) = chat_core::validate::text(&text) {
                    let time = self.client.server_now_ms();
                    self.client
                        .chat
                        .conversation_mut(&peer)
                        .history
                        .push(crate::history::Line {
                            time_ms: time,
                            kind: LineKind::Refused(refusal(&e)),
                        });
                    *self.drafts.entry(login_key(&peer)).or_default() = text;
                    return;
                }
                self.client.send(
                    Request::Private {
                        to: peer.clone(),
                        text,
                    },
                    Pending::Private(peer),
                );
            }
            Intent::Logout => {
                self.users_open = false;
                self.line.clear();
                self.drafts.clear();
                self.form = Form::Login;
                self.client.logout();
            }
            Intent::ReconnectNow => self.client.reconnect_now(),
            Intent::SetTheme(theme) => self.settings.theme = theme,
            Intent::SetLanguage(language) => self.settings.language = Some(language),
        }
    }

    fn start_host(&mut self) {
        let Ok(port) = self.host_port.trim().parse::<u16>() else {
            return;
        };
        self.settings.host_port = port;
        let Some(dir) = self
            .options
            .host_data_dir
            .clone()
            .or_else(host::default_data_dir)
        else {
            self.host = Host::Failed("no data folder on this system".into());
            return;
        };
        let ip = self
            .options
            .host_bind_ip
            .clone()
            .unwrap_or_else(|| "0.0.0.0".into());
        self.host = Host::start(format!("{ip}:{port}"), dir, self.waker.clone());
    }

    /// Sends the input line: a room message or a `#` command.
    fn submit_line(&mut self) {
        let line = self.line.trim_end().to_owned();
        let time = self.client.server_now_ms();
        match command::parse(&line) {
            Ok(Command::Help) => self.client.chat.note(time, LineKind::Help),
            Ok(Command::ListRooms) => self
                .client
                .send(Request::ListRooms { offset: 0 }, Pending::ListRooms),
            Ok(Command::ShowUsers) => {
                self.users_open = true;
                self.client
                    .send(Request::ShowUsers { offset: 0 }, Pending::ShowUsers);
            }
            Ok(Command::Private { to, text }) => {
                self.client.chat.conversation_mut(&to);
                self.client.chat.open_conversation(&to);
                self.client.send(
                    Request::Private {
                        to: to.clone(),
                        text,
                    },
                    Pending::Private(to),
                );
            }
            Ok(other) => {
                if let Some(request) = other.into_request() {
                    self.client.send(request, Pending::Command);
                }
            }
            Err(e) => {
                let unknown =
                    matches!(&e, chat_core::Error::Command(m) if m.starts_with("unknown"));
                self.client.chat.note(time, LineKind::Refused(refusal(&e)));
                if unknown {
                    self.client.chat.note(time, LineKind::Help);
                }
                return;
            }
        }
        self.line.clear();
        self.scroll.jump_to_bottom = true;
    }
}

/// A local error (parser or validation) worded like a server refusal.
fn refusal(e: &chat_core::Error) -> Refusal {
    let message = match e {
        chat_core::Error::Invalid { reason, .. } => reason.clone(),
        other => other
            .to_string()
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned(),
    };
    Refusal {
        code: ErrorCode::Invalid,
        message,
        field: e.field(),
    }
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
                for language in crate::i18n::Language::ALL {
                    if ui
                        .selectable_label(settings.language() == language, language.name())
                        .clicked()
                    {
                        intents.push(Intent::SetLanguage(language));
                    }
                }
                ui.separator();
                let dark = ui.visuals().dark_mode;
                let (label, theme) = if dark {
                    (
                        settings.language().texts().theme_light,
                        crate::settings::Theme::Light,
                    )
                } else {
                    (
                        settings.language().texts().theme_dark,
                        crate::settings::Theme::Dark,
                    )
                };
                if ui.button(label).clicked() {
                    intents.push(Intent::SetTheme(theme));
                }
            });
        });
    intents
}

impl eframe::App for ChatApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.update(ctx);
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.frame(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, Settings::KEY, &self.settings);
    }
}
