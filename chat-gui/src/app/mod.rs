//! The application: state, one frame of drawing, and applying what the user asked for.
//!
//! Each frame: handle what arrived on the connection (the network thread woke us), start a due
//! reconnection, draw the screen for the current phase (collecting [`Intent`]s), then apply the
//! intents. The UI thread never blocks: sends are queued to the connection's writer thread.
//! Drawing is in [`draw`], sending typed text in [`send`], kept sessions and logging out in
//! [`session`], finding, searching and saving copies in [`lines`], notifications in [`alerts`],
//! files in [`files`], the scripted user in [`pilot`].

mod actions;
mod alerts;
mod draw;
mod files;
mod layout;
mod lines;
mod pilot;
mod send;
mod session;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use web_time::Instant;

use chat_core::protocol::{Password, Request};
use chat_core::validate::login_key;
use chat_model::client::{Client, Pending};
use chat_model::composer::{Draft, Target};
use chat_model::find::{Finder, Found};

use crate::autopilot::Autopilot;
use crate::forms::{LoginForm, RegisterForm};
use crate::host::{self, Host};
use crate::i18n::Texts;
use crate::notifier::{Desktop, Notifier};
use crate::save::SavedChannel;
use crate::settings::Settings;
use crate::ui::{self, Intent};

/// The find bar: over which lines, what it looks for.
#[derive(Debug, Clone)]
struct FindBar {
    target: Target,
    finder: Finder,
    /// Its field takes the keyboard next frame.
    focus: bool,
}

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
    /// Where downloaded files go; the user's downloads folder when `None`.
    pub download_dir: Option<PathBuf>,
    /// Where working copies of files go; the platform's cache folder when `None`.
    pub cache_dir: Option<PathBuf>,
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
    /// The window was asked to close while files were on their way: the user is asked first.
    quit_asked: bool,
    /// The user chose to quit anyway: the next close goes through.
    quit_confirmed: bool,
    users_open: bool,
    waker: Option<chat_core::client::Waker>,
    autopilot: Option<Autopilot>,
    theme_applied: Option<crate::settings::Theme>,
    /// The fonts to install at the first frame; `None` once installed.
    fonts: Option<egui::FontDefinitions>,
    title: String,
    /// The settings changed in a way that must reach the disk (or the page's storage) now.
    save_now: bool,
    /// Shows desktop notifications.
    notifier: Box<dyn Notifier>,
    find: Option<FindBar>,
    /// The search window's query, while it is open.
    search: Option<String>,
    search_focus: bool,
    /// A search result in a room being entered (and what was searched), shown once the user
    /// is in it.
    pending_jump: Option<(Found, String)>,
    /// When a typing notice last went to each peer (by login key).
    typing_sent: HashMap<String, Instant>,
    /// What the save dialogs' threads report.
    saved: SavedChannel,
    /// The away message typed in the status menu.
    away_text: String,
    /// Whether the first frame's work (resuming a kept session) is done.
    started: bool,
    /// The drawer the user opened or closed on a narrow window (`None`: the width decides).
    drawer: Option<Option<layout::Drawer>>,
    /// The columns of the last frame.
    columns: layout::Columns,
    /// The dialog about a line (delete, report), when open.
    line_dialog: Option<actions::LineDialog>,
    /// A line a quote named, to show once it is held (earlier pages are asked until it is).
    line_jump: Option<(Target, u64)>,
    /// A message box whose cursor goes to the end of its text next frame.
    cursor_to_end: Option<Target>,
    /// The administrators' reports window is open.
    reports_open: bool,
    /// Files attached, uploading, downloading, pictures.
    files: crate::files::Files,
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
        let folders =
            crate::files::Folders::new(options.download_dir.clone(), options.cache_dir.clone());
        if let Some(path) = &options.known_hosts {
            client.set_known_hosts(chat_core::tls::KnownHosts::File(path.clone()));
        }
        ChatApp {
            host_port: settings.host_port.to_string(),
            login: LoginForm {
                login: settings.last_login.clone(),
                password: String::new(),
                keep_signed_in: settings.keep_signed_in,
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
            quit_asked: false,
            quit_confirmed: false,
            users_open: false,
            waker: None,
            autopilot: None,
            theme_applied: None,
            fonts: Some(ui::theme::fonts()),
            title: String::new(),
            save_now: false,
            notifier: Box::new(Desktop::default()),
            find: None,
            search: None,
            search_focus: false,
            pending_jump: None,
            typing_sent: HashMap::new(),
            saved: crossbeam_channel::unbounded(),
            away_text: String::new(),
            started: false,
            drawer: None,
            columns: layout::columns(crate::limits::DEFAULT_WINDOW_SIZE[0], None),
            line_dialog: None,
            line_jump: None,
            cursor_to_end: None,
            reports_open: false,
            files: crate::files::Files::new(folders),
        }
    }

    /// Shows notifications through `notifier` instead of the desktop's (tests record them).
    pub fn set_notifier(&mut self, notifier: Box<dyn Notifier>) {
        self.notifier = notifier;
    }

    /// The app eframe starts: settings from its storage.
    pub fn from_creation(cc: &eframe::CreationContext<'_>) -> Self {
        let settings = cc
            .storage
            .and_then(|s| eframe::get_value::<Settings>(s, Settings::KEY))
            .unwrap_or_default();
        #[cfg(not(target_arch = "wasm32"))]
        let known_hosts = directories::ProjectDirs::from("org", "chat", crate::limits::APP_ID)
            .map(|d| d.config_dir().join("known_hosts"));
        // The browser checks the page's certificate; a page keeps no files.
        #[cfg(target_arch = "wasm32")]
        let known_hosts = None;
        let options = AppOptions {
            known_hosts,
            ..AppOptions::default()
        };
        let mut app = ChatApp::new(settings, options);
        // A page reads no system fonts: the bundled ones draw everything there.
        if !cfg!(target_arch = "wasm32") {
            app.fonts = Some(ui::theme::fonts_of_this_system());
        }
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
    pub fn texts(&self) -> &'static Texts {
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
        if !std::mem::replace(&mut self.started, true) {
            self.resume_kept_session();
        }
        let now = Instant::now();
        self.client.pump(now);
        self.update_files(ctx);
        self.follow_token();
        self.alert(ctx);
        self.collect_saved();
        self.jump_when_there();
        self.follow_jump();
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
        self.place_cursor(ui.ctx());
        let mut intents = self.shortcuts(ui.ctx());
        intents.extend(self.ask_before_quitting(ui.ctx()));
        self.refresh_find();
        intents.extend(self.draw(ui));
        intents.extend(self.draw_files(ui.ctx()));
        for intent in intents {
            self.apply(intent);
        }
        self.send_read_markers(ui.ctx());
    }

    /// Closing the window while files are being sent or received, or messages wait for them,
    /// would lose them without a word: the close is held and the user asked.
    fn ask_before_quitting(&mut self, ctx: &egui::Context) -> Vec<Intent> {
        let transfers = self.transfers();
        let busy = transfers.running() > 0 || !transfers.waiting_targets().is_empty();
        if ctx.input(|i| i.viewport().close_requested()) && busy && !self.quit_confirmed {
            ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
            self.quit_asked = true;
        }
        if self.quit_confirmed {
            // Until the window goes (asked again each frame: nothing holds it any more).
            self.quit_asked = false;
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
        if self.quit_asked {
            return ui::confirm::quit_with_files(ctx, self.texts());
        }
        Vec::new()
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
            #[cfg(target_arch = "wasm32")]
            crate::web::set_tab_title(&title);
            self.title = title;
        }
    }

    /// Moves between windows as answers arrive, and clears notices whose moment has passed.
    fn after_events(&mut self) {
        if let Some(login) = self.client.feedback.registered.take() {
            // The password just typed logs the new account in: nobody types it twice.
            let password = std::mem::take(&mut self.register.password);
            self.login = LoginForm {
                login: login.clone(),
                password: String::new(),
                keep_signed_in: self.login.keep_signed_in,
            };
            self.register = RegisterForm::default();
            self.register_tried = false;
            self.registered = Some(login.clone());
            self.form = Form::Login;
            if !password.is_empty() {
                self.settings.last_login = login.clone();
                // "Keep me signed in", ticked before "Create an account", holds for the new
                // account's first login as for any other.
                self.settings.keep_signed_in = self.login.keep_signed_in;
                self.client.login(&login, Password(password));
            }
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
        if self.client.phase().is_logged_in() {
            self.registered = None;
        }
        if self.client.phase().is_logged_in() && !self.login.password.is_empty() {
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
        if !self.client.in_session() {
            self.find = None;
            self.search = None;
            self.pending_jump = None;
            self.line_dialog = None;
            self.line_jump = None;
            self.reports_open = false;
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
        self.client.open_conversation(peer);
        self.focus = Some(Target::Private(key));
    }

    /// Applies one thing the user asked for.
    pub fn apply(&mut self, intent: Intent) {
        match intent {
            Intent::Connect => {
                self.registered = None;
                self.connect();
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
                    self.settings.keep_signed_in = self.login.keep_signed_in;
                    if !self.login.keep_signed_in {
                        self.settings.forget_session(self.client.addr());
                    }
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
            Intent::Quit => self.quit_confirmed = true,
            Intent::StayOpen => self.quit_asked = false,
            Intent::ShowUsers => {
                self.users_open = true;
                self.client
                    .send(Request::ShowUsers { offset: 0 }, Pending::ShowUsers);
            }
            Intent::OpenPrivate(peer) => {
                if !self.columns.rooms || !self.columns.members {
                    // A drawer that opened the conversation makes way for it.
                    self.drawer = Some(None);
                }
                self.open_private(&peer);
            }
            Intent::ClosePrivate(peer) => {
                self.client.chat.close_conversation(&peer);
                if self.pane == Pane::Conversation(login_key(&peer)) {
                    self.pane = Pane::Room;
                }
                self.focus = Some(Target::Room);
            }
            Intent::ShowRoom => self.show_room(),
            Intent::DockConversations(dock) => self.dock(dock),
            Intent::Logout { all } => self.logout(all),
            Intent::SetAway(text) => self.client.send(Request::Away { text }, Pending::Command),
            Intent::SetBack => self.client.send(Request::Back, Pending::Command),
            Intent::LoadEarlier(target) => self.client.load_earlier(&target),
            Intent::Typed(target) => self.typed(&target),
            Intent::OpenFind(target) => self.open_find(target),
            Intent::FindOlder => self.step_find(false),
            Intent::FindNewer => self.step_find(true),
            Intent::CloseFind => {
                if let Some(bar) = self.find.take() {
                    self.focus = Some(bar.target);
                }
            }
            Intent::OpenSearch => {
                self.search.get_or_insert_with(String::new);
                self.search_focus = true;
            }
            Intent::JumpTo(found) => self.jump_to(found),
            Intent::Export(target) => self.export(target),
            Intent::Files(intent) => self.files_intent(intent),
            Intent::SetNotifications(on) => self.settings.notifications = on,
            Intent::ReconnectNow => self.client.reconnect_now(),
            Intent::SetTheme(theme) => self.settings.theme = theme,
            Intent::SetLanguage(language) => self.settings.set_language(language),
            Intent::ToggleRooms => {
                self.drawer = Some(layout::toggled(self.columns, layout::Drawer::Rooms));
            }
            Intent::ToggleMembers => {
                self.drawer = Some(layout::toggled(self.columns, layout::Drawer::Members));
            }
            Intent::EmojiUsed(glyph) => {
                chat_model::emoji::remember(&mut self.settings.recent_emoji, &glyph);
            }
            Intent::Line(line, action) => self.line_action(line, action),
            Intent::EditLast(target) => self.edit_last(target),
            Intent::CancelCompose(target) => self.cancel_compose(&target),
            Intent::CloseLineDialog => self.line_dialog = None,
            Intent::SendReport => self.send_report(),
            Intent::ToggleReports => self.reports_open = !self.reports_open,
            Intent::SetReadReceipts(on) => self.settings.read_receipts = on,
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
    fn logic(&mut self, ctx: &egui::Context, frame: &mut eframe::Frame) {
        self.update(ctx);
        // A kept session is written at once, not at the next periodic save: a page reloaded
        // (or a program killed) a moment after logging in still finds it.
        if std::mem::take(&mut self.save_now)
            && let Some(storage) = frame.storage_mut()
        {
            eframe::App::save(self, storage);
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.frame(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, Settings::KEY, &self.settings);
    }
}
