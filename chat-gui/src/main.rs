//! The `chat-gui` binary: opens the client's window.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

#[cfg(not(target_arch = "wasm32"))]
use chat_gui::ChatApp;
#[cfg(not(target_arch = "wasm32"))]
use chat_gui::limits::{APP_ID, DEFAULT_WINDOW_SIZE, MIN_WINDOW_SIZE};

/// The window icon, also shipped as `assets/icon.png`.
#[cfg(not(target_arch = "wasm32"))]
const ICON_PNG: &[u8] = include_bytes!("../../assets/icon-256.png");

/// In a browser the page starts the library (`chat_gui::web`); this program is the desktop's.
#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
fn main() -> eframe::Result {
    #[cfg(windows)]
    attach_parent_console();
    // Before anything opens a window: `--help` and `--version` work without a display.
    chat_gui::cli::Cli::read();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "chat_gui=info,chat_server=info".into()),
        )
        .init();
    let mut viewport = egui::ViewportBuilder::default()
        .with_title("Chat")
        .with_app_id(APP_ID)
        .with_inner_size(DEFAULT_WINDOW_SIZE)
        .with_min_inner_size(MIN_WINDOW_SIZE);
    match eframe::icon_data::from_png_bytes(ICON_PNG) {
        Ok(icon) => viewport = viewport.with_icon(icon),
        Err(e) => tracing::warn!("window icon not loaded: {e}"),
    }
    let options = eframe::NativeOptions {
        viewport,
        ..Default::default()
    };
    eframe::run_native(
        APP_ID,
        options,
        Box::new(|cc| {
            let mut app = ChatApp::from_creation(cc);
            if let Some(pilot) = autopilot() {
                app.set_autopilot(pilot);
            }
            Ok(Box::new(app))
        }),
    )
}

#[cfg(not(target_arch = "wasm32"))]
/// A scripted user for screenshots and demonstrations (`scripts/screenshots.sh`); debug builds
/// only, so a shipped client only ever does what its user does.
fn autopilot() -> Option<chat_gui::autopilot::Autopilot> {
    if !cfg!(debug_assertions) {
        return None;
    }
    let script = std::env::var("CHAT_GUI_AUTOPILOT").ok()?;
    match chat_gui::autopilot::Autopilot::parse(&script) {
        Ok(pilot) => {
            tracing::info!("autopilot on");
            Some(pilot)
        }
        Err(e) => {
            tracing::error!("CHAT_GUI_AUTOPILOT ignored: {e}");
            None
        }
    }
}

/// A release build on Windows is a GUI program (the attribute at the top): double-clicked, it
/// opens no console window, and started from a terminal it has no standard output. When output
/// goes nowhere, write to the console of the terminal that started us, if any, so that
/// `chat-gui --help`, `--version`, a mistyped flag and the logs show there as on Linux. Output
/// already sent somewhere (a console build, `> file`, a pipe) is left alone. The terminal does
/// not wait for a GUI program: its prompt may come back before our lines.
#[cfg(windows)]
#[allow(unsafe_code)]
fn attach_parent_console() {
    use std::os::windows::io::AsRawHandle;
    use windows_sys::Win32::System::Console::{ATTACH_PARENT_PROCESS, AttachConsole};

    if !std::io::stdout().as_raw_handle().is_null() {
        return;
    }
    // SAFETY: AttachConsole takes a process id and reads or writes no memory of ours. It fails
    // harmlessly when the parent has no console (started from Explorer); then nothing changes.
    let _attached = unsafe { AttachConsole(ATTACH_PARENT_PROCESS) };
}
