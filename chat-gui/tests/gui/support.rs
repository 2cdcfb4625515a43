//! Test set-up shared by every GUI test: a real server on a free port, clients built as the
//! binary builds them, and waiting for asynchronous events with a deadline instead of sleeps.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use chat_core::client::{self, ClientOptions, Event};
use chat_core::protocol::{Gender, Password, Registration, Request, ServerMessage};
use chat_gui::i18n::Language;
use chat_gui::settings::Settings;
use chat_gui::{AppOptions, ChatApp};
use chat_server::{ServerConfig, ServerHandle};
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use tempfile::TempDir;

/// Longest wait for something to appear; generous because debug builds on two cores are slow.
pub const PATIENCE: Duration = Duration::from_secs(15);

/// The password every test account uses.
pub const PASSWORD: &str = "correct-horse";

/// A chat server on 127.0.0.1 with its accounts in a temporary folder.
pub struct TestServer {
    pub handle: Option<ServerHandle>,
    pub dir: TempDir,
    pub addr: String,
}

impl TestServer {
    pub fn start() -> Self {
        Self::start_with(|_| {})
    }

    /// A server whose configuration `tweak` changes first (smaller history pages, say).
    pub fn start_with(tweak: impl Fn(&mut ServerConfig)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let handle = start_server_with(dir.path().to_path_buf(), "127.0.0.1:0", &tweak);
        let addr = handle.local_addr().to_string();
        TestServer {
            handle: Some(handle),
            dir,
            addr,
        }
    }

    /// Stops the server; connected clients are told it is shutting down.
    pub fn stop(&mut self) {
        if let Some(handle) = self.handle.take() {
            handle.shutdown().unwrap();
        }
    }

    /// Starts the server again on the same port with the same accounts.
    pub fn restart(&mut self) {
        self.handle = Some(start_server_at(self.dir.path().to_path_buf(), &self.addr));
    }

    /// Creates an account without the interface (each costs one bcrypt hash).
    pub fn register(&self, login: &str) {
        let connection = client::connect(&self.addr, ClientOptions::default());
        let id = connection.send(Request::Register(Registration {
            first_names: format!("{login} First"),
            last_names: "Tester".into(),
            login: login.into(),
            password: Password::from(PASSWORD),
            age: 30,
            gender: Gender::PreferNotToSay,
        }));
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match connection.events().recv_timeout(left) {
                Ok(Event::Frame(f)) if f.re == Some(id) => {
                    assert!(
                        matches!(f.message, ServerMessage::Registered { .. }),
                        "{f:?}"
                    );
                    return;
                }
                Ok(Event::Disconnected(d)) => panic!("registration of {login} failed: {d}"),
                Ok(_) => {}
                Err(_) => panic!("registration of {login} timed out"),
            }
        }
    }
}

/// Starts a server keeping its data (accounts, certificate) in `dir`.
pub fn start_server_at(dir: PathBuf, bind: &str) -> ServerHandle {
    start_server_with(dir, bind, &|_| {})
}

fn start_server_with(dir: PathBuf, bind: &str, tweak: &dyn Fn(&mut ServerConfig)) -> ServerHandle {
    let mut config = ServerConfig::new(dir);
    config.bind = bind.into();
    config.default_room = "lobby".into();
    tweak(&mut config);
    // The port may still be held by the previous server's last connections for a moment.
    let deadline = Instant::now() + PATIENCE;
    loop {
        match chat_server::start(config.clone()) {
            Ok(handle) => return handle,
            Err(e) if Instant::now() < deadline => {
                eprintln!("server not started yet: {e}");
                std::thread::sleep(Duration::from_millis(100));
            }
            Err(e) => panic!("server did not start: {e}"),
        }
    }
}

pub type Gui = Harness<'static, ChatApp>;

/// A client window in English, pointed at `addr`, not yet connected.
pub fn gui(addr: &str) -> Gui {
    gui_with(addr, AppOptions::default())
}

/// A client window with these settings (English, dark), not yet connected.
pub fn gui_with_settings(settings: Settings) -> Gui {
    let settings = Settings {
        locale: Some(Language::ENGLISH),
        theme: chat_gui::settings::Theme::Dark,
        ..settings
    };
    harness(ChatApp::new(settings, AppOptions::default()))
}

fn harness(app: ChatApp) -> Gui {
    Harness::builder()
        .with_size([1024.0, 700.0])
        .with_max_steps(12)
        .build_ui_state(|ui, app: &mut ChatApp| app.show(ui), app)
}

/// Notifications a client asked for, instead of showing them on the desktop.
#[derive(Clone, Default)]
pub struct Recorded(pub std::sync::Arc<std::sync::Mutex<Vec<chat_gui::notifier::Shown>>>);

impl Recorded {
    /// Makes `h` hand its notifications to this record.
    pub fn attach(&self, h: &mut Gui) {
        h.state_mut().set_notifier(Box::new(self.clone()));
    }

    pub fn all(&self) -> Vec<chat_gui::notifier::Shown> {
        self.0.lock().unwrap().clone()
    }
}

impl chat_gui::notifier::Notifier for Recorded {
    fn show(&mut self, notification: chat_gui::notifier::Shown) {
        self.0.lock().unwrap().push(notification);
    }
}

pub fn gui_with(addr: &str, options: AppOptions) -> Gui {
    gui_in(addr, Language::ENGLISH, options)
}

/// A client window in `language`.
pub fn gui_in(addr: &str, language: Language, options: AppOptions) -> Gui {
    let settings = Settings {
        address: addr.to_owned(),
        locale: Some(language),
        theme: chat_gui::settings::Theme::Dark,
        ..Settings::default()
    };
    harness(ChatApp::new(settings, options))
}

/// Steps the window until `done` holds, or fails after [`PATIENCE`] saying what was awaited.
pub fn wait_until(h: &mut Gui, what: &str, done: impl Fn(&Gui) -> bool) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        h.step();
        if done(h) {
            // One more frame so that what reacted to it is drawn.
            h.step();
            return;
        }
        if Instant::now() >= deadline {
            // What the window showed instead, to tell why.
            let shown: Vec<String> = h
                .query_all(
                    egui_kittest::kittest::By::new()
                        .recursive(true)
                        .include_labels(),
                )
                .filter_map(|n| n.accesskit_node().label())
                .filter(|l| !l.trim().is_empty())
                .collect();
            panic!("timed out waiting for {what}; the window shows {shown:?}");
        }
        std::thread::sleep(Duration::from_millis(15));
    }
}

/// Whether any widget's label contains `text`.
pub fn shows(h: &Gui, text: &str) -> bool {
    h.query_all_by_label_contains(text).next().is_some()
}

/// Waits until a widget containing `text` appears.
pub fn wait_for_text(h: &mut Gui, text: &str) {
    wait_until(h, &format!("{text:?} to appear"), |h| shows(h, text));
}

/// Clicks the button or link labelled exactly `label` (the last one drawn, if several: windows
/// are drawn over panels).
pub fn click(h: &mut Gui, label: &str) {
    h.query_all_by_label(label)
        .rfind(|n| matches!(n.accesskit_node().role(), Role::Button | Role::Link))
        .unwrap_or_else(|| panic!("no button or link {label:?}"))
        .click();
    h.step();
    h.step();
}

/// Clicks the first widget whose label contains `text`.
pub fn click_containing(h: &mut Gui, text: &str) {
    h.query_all_by_label_contains(text)
        .next()
        .expect(text)
        .click();
    h.step();
    h.step();
}

/// The text or password field labelled exactly `label`, if shown.
pub fn field<'a>(h: &'a Gui, label: &'a str) -> Option<egui_kittest::Node<'a>> {
    h.query_all_by_label(label).find(|n| {
        matches!(
            n.accesskit_node().role(),
            Role::TextInput | Role::MultilineTextInput | Role::PasswordInput
        )
    })
}

/// Focuses the field labelled `label` (once it shows) and types `text` into it, as a user would.
pub fn type_into(h: &mut Gui, label: &str, text: &str) {
    wait_until(h, &format!("the field {label:?}"), |h| {
        field(h, label).is_some()
    });
    field(h, label).expect(label).focus();
    h.step();
    field(h, label).expect(label).type_text(text);
    h.step();
}

/// Replaces the content of the field labelled `label`.
pub fn set_field(h: &mut Gui, label: &str, text: &str) {
    field(h, label).expect(label).focus();
    h.step();
    field(h, label).expect(label).set_text_value_accesskit(text);
    h.step();
}

/// Presses Enter.
pub fn enter(h: &mut Gui) {
    h.key_press(egui::Key::Enter);
    h.step();
    h.step();
}

/// Connects to the server and waits for the login window.
pub fn connect(h: &mut Gui) {
    click(h, "Connect");
    wait_until(h, "the login window", |h| field(h, "Password").is_some());
}

/// Logs in `login` through the login window and waits for the main window.
pub fn log_in(h: &mut Gui, login: &str) {
    set_field(h, "Login", login);
    type_into(h, "Password", PASSWORD);
    enter(h);
    wait_for_text(h, "You are in lobby");
}

/// A client logged in as `login` (registered beforehand).
pub fn signed_in(server: &TestServer, login: &str) -> Gui {
    let mut h = gui(&server.addr);
    connect(&mut h);
    log_in(&mut h, login);
    h
}

/// A server with these accounts, each logged in through a window of its own, in this order.
pub fn together<const N: usize>(logins: [&str; N]) -> (TestServer, [Gui; N]) {
    let server = TestServer::start();
    for login in logins {
        server.register(login);
    }
    let windows = logins.map(|login| signed_in(&server, login));
    (server, windows)
}

/// Types a line into the room's message box and sends it with Enter.
pub fn say(h: &mut Gui, line: &str) {
    type_into(h, "Message", line);
    enter(h);
}

/// The text in the field labelled `label`.
pub fn value(h: &Gui, label: &str) -> String {
    field(h, label)
        .and_then(|n| n.value())
        .unwrap_or_else(|| panic!("no field {label:?}"))
}

/// The shown text that is exactly `text` (a whole message, not cut), if any.
pub fn text_node<'a>(h: &'a Gui, text: &'a str) -> Option<egui_kittest::Node<'a>> {
    h.query_all_by_label_contains(text)
        .find(|n| n.value().as_deref() == Some(text))
}

/// Whether a button labelled exactly `label` is shown (a member, a user, a command).
pub fn shows_button(h: &Gui, label: &str) -> bool {
    h.query_all_by_label(label)
        .any(|n| n.accesskit_node().role() == Role::Button)
}

/// The row of the line `text` by `from`, as its own widget names it.
pub fn row_label(from: &str, text: &str) -> String {
    format!("Message from {from}: {text}")
}

/// Puts the keyboard on the line `text` by `from`: its bar of actions shows.
pub fn select_line(h: &mut Gui, from: &str, text: &str) {
    let label = row_label(from, text);
    wait_until(h, &format!("the line {text:?}"), |h| {
        h.query_by_label(&label).is_some()
    });
    h.get_by_label(&label).focus();
    h.step();
    h.step();
}
