//! The application: state, one frame of drawing, and applying what the user asked for.
//!
//! Each frame: handle what arrived on the connection (the network thread woke us), start a due
//! reconnection, draw the screen for the current phase (collecting [`Intent`]s), then apply the
//! intents. The UI thread never blocks: sends are queued to the connection's writer thread.
//! Drawing is in [`draw`], sending typed text in [`send`], the scripted user in [`pilot`].

mod draw;
mod pilot;
mod send;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chat_core::protocol::{Password, Request};
use chat_core::validate::login_key;

use crate::autopilot::Autopilot;
use crate::client::{Client, Pending};
use crate::composer::{Draft, Target};
use crate::forms::{LoginForm, RegisterForm};
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

/// What the main pane shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pane {
    /// The room the user is in.
    Room,
    /// A private conversation (by login key), when conversations are docked.
    Conversation(String),
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
    drafts: HashMap<Target, Draft>,
    views: HashMap<Target, ui::messages::View>,
    pane: Pane,
    /// A message box that takes the keyboard next frame (a conversation was just opened).
    focus: Option<Target>,
    new_room: Option<String>,
    delete_asked: Option<String>,
    users_open: bool,
    waker: Option<chat_core::client::Waker>,
    autopilot: Option<Autopilot>,
    theme_applied: Option<crate::settings::Theme>,
    /// The fonts to install at the first frame; `None` once installed.
    fonts: Option<egui::FontDefinitions>,
    title: String,
}

impl std::fmt::Debug for ChatApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatApp")
            .field("client", &self.client)
            .field("form", &self.form)
            .field("pane", &self.pane)
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
            drafts: HashMap::new(),
            views: HashMap::new(),
            pane: Pane::Room,
            focus: None,
            new_room: None,
            delete_asked: None,
            users_open: false,
            waker: None,
            autopilot: None,
            theme_applied: None,
            fonts: Some(ui::theme::fonts()),
            title: String::new(),
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
        let mut app = ChatApp::new(settings, options);
        app.fonts = Some(ui::theme::fonts_of_this_system());
        app
    }

    /// Lets a script drive the app (demonstrations, screenshots).
    pub fn set_autopilot(&mut self, autopilot: Autopilot) {
        self.autopilot = Some(autopilot);
    }

    /// Which form shows while connected and logged out.
    pub fn form(&self) -> Form {
        self.form
    }

    /// What the main pane shows.
    pub fn pane(&self) -> &Pane {
        &self.pane
    }

    /// What is typed to `target`.
    pub fn draft(&self, target: &Target) -> &str {
        self.drafts.get(target).map_or("", |d| d.text.as_str())
    }

    /// The window title: the program's name, after the count of unread lines and messages.
    pub fn title(&self) -> &str {
        &self.title
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
        if let Some(fonts) = self.fonts.take() {
            ui::theme::apply(ctx, fonts);
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
        self.set_title(ctx);
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

    /// Shows unread lines in the window title, as `(3) Chat`, so they are seen from the taskbar.
    fn set_title(&mut self, ctx: &egui::Context) {
        let t = self.texts();
        let chat = &self.client.chat;
        let unread = if self.client.in_session() {
            chat.unseen.saturating_add(chat.unread_private())
        } else {
            0
        };
        let title = if unread > 0 {
            crate::i18n::fill(t.window_title_unread, &[&unread])
        } else {
            t.window_title.to_owned()
        };
        if title != self.title {
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
            self.title = title;
        }
    }

    /// Moves between windows as answers arrive, and clears notices whose moment has passed.
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
        if self.client.feedback.login.is_some() {
            // "Account created" is about a moment that has passed once a login was refused.
            self.registered = None;
        }
        if std::mem::take(&mut self.client.feedback.users_arrived) {
            self.users_open = true;
        }
        if !self.client.in_session() {
            self.delete_asked = None;
            self.new_room = None;
        }
        if *self.client.phase() == crate::client::Phase::LoggedIn && !self.login.password.is_empty()
        {
            // Logged in: the typed password is no longer needed on screen.
            self.settings.last_login = self.client.chat.me.clone();
            self.login.password.clear();
            self.registered = None;
        }
        if let Pane::Conversation(key) = &self.pane
            && self.client.chat.conversation(key).is_none()
        {
            self.pane = Pane::Room;
        }
    }

    /// Opens the conversation with `peer` where conversations show and gives its box the
    /// keyboard, so what is typed next goes to it.
    fn open_private(&mut self, peer: &str) {
        let key = login_key(peer);
        if self.settings.dock_private {
            if let Pane::Conversation(shown) = &self.pane
                && *shown != key
            {
                let shown = shown.clone();
                self.client.chat.close_conversation(&shown);
            }
            self.pane = Pane::Conversation(key.clone());
        }
        self.client.chat.open_conversation(peer);
        self.focus = Some(Target::Private(key));
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
                    self.registered = None;
                    self.client
                        .login(&login, Password(self.login.password.clone()));
                }
            }
            Intent::Submit(target) => self.submit(target),
            Intent::Command(request) => {
                if matches!(
                    request,
                    Request::EnterRoom { .. } | Request::LeaveRoom | Request::CreateRoom { .. }
                ) {
                    self.show_room();
                }
                self.client.send(request, Pending::Command);
            }
            Intent::ListRooms => {
                self.show_room();
                self.client
                    .send(Request::ListRooms { offset: 0 }, Pending::ListRooms);
            }
            Intent::NewRoom => self.new_room = Some(String::new()),
            Intent::AskDeleteRoom(room) => self.delete_asked = Some(room),
            Intent::DeleteRoom(room) => {
                self.delete_asked = None;
                self.client
                    .send(Request::DeleteRoom { room }, Pending::Command);
            }
            Intent::KeepRoom => self.delete_asked = None,
            Intent::ShowUsers => {
                self.users_open = true;
                self.client
                    .send(Request::ShowUsers { offset: 0 }, Pending::ShowUsers);
            }
            Intent::OpenPrivate(peer) => self.open_private(&peer),
            Intent::ClosePrivate(peer) => {
                self.client.chat.close_conversation(&peer);
                if self.pane == Pane::Conversation(login_key(&peer)) {
                    self.pane = Pane::Room;
                }
                self.focus = Some(Target::Room);
            }
            Intent::ShowRoom => self.show_room(),
            Intent::DockConversations(dock) => self.dock(dock),
            Intent::Logout => {
                self.users_open = false;
                self.drafts.clear();
                self.views.clear();
                self.pane = Pane::Room;
                self.form = Form::Login;
                self.client.logout();
            }
            Intent::ReconnectNow => self.client.reconnect_now(),
            Intent::SetTheme(theme) => self.settings.theme = theme,
            Intent::SetLanguage(language) => self.settings.language = Some(language),
        }
    }

    /// Shows the room in the main pane again; a docked conversation is put away.
    fn show_room(&mut self) {
        if let Pane::Conversation(key) = std::mem::replace(&mut self.pane, Pane::Room) {
            self.client.chat.close_conversation(&key);
            self.focus = Some(Target::Room);
        }
    }

    /// Moves conversations between the main pane and windows of their own.
    fn dock(&mut self, dock: bool) {
        self.settings.dock_private = dock;
        if dock {
            let open: Vec<String> = self
                .client
                .chat
                .conversations()
                .filter(|c| c.open)
                .map(|c| c.peer.clone())
                .collect();
            for peer in &open {
                self.client.chat.close_conversation(peer);
            }
            if let Some(first) = open.first() {
                self.open_private(first);
            }
        } else if let Pane::Conversation(key) = std::mem::replace(&mut self.pane, Pane::Room) {
            // The conversation that was in the pane opens in its own window.
            if let Some(peer) = self.client.chat.conversation(&key).map(|c| c.peer.clone()) {
                self.open_private(&peer);
            }
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
            self.host = Host::NoDataFolder;
            return;
        };
        let ip = self
            .options
            .host_bind_ip
            .clone()
            .unwrap_or_else(|| "0.0.0.0".into());
        self.host = Host::start(format!("{ip}:{port}"), dir, self.waker.clone());
    }
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
