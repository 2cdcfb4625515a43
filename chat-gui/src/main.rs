//! The `chat-gui` binary: opens the client's window.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use chat_gui::ChatApp;
use chat_gui::limits::{APP_ID, DEFAULT_WINDOW_SIZE, MIN_WINDOW_SIZE};

/// The window icon, also shipped as `assets/icon.png`.
const ICON_PNG: &[u8] = include_bytes!("../../assets/icon-256.png");

fn main() -> eframe::Result {
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
