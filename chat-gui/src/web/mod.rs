//! The web client's entry point: the page (`index.html`, made by `scripts/web.sh`) loads the
//! WebAssembly, whose start function draws the same [`ChatApp`] on the page's canvas and
//! connects it to the server that served the page, over its WebSocket at `/ws`.
//!
//! Everything else is the desktop client's code: the model, the windows, the words. What a
//! browser does differently is chosen where it differs (`chat_core::client` speaks through
//! the page's WebSocket, [`crate::notifier`] uses the Notification API, [`crate::save`]
//! downloads, [`crate::host`] never hosts); eframe keeps the settings, and with them a kept
//! session's token, in the browser's local storage. What only a page has: the lines also as
//! text for screen readers ([`said`]), and the window's title as the tab's.

pub mod looks;
pub(crate) mod requests;
pub mod said;
pub mod uploads;

use wasm_bindgen::JsCast as _;
use wasm_bindgen::prelude::*;

use crate::ChatApp;

/// The id of the canvas the page gives the client.
pub const CANVAS_ID: &str = "chat";

/// Called by the page once the WebAssembly is loaded: starts the client on the canvas.
#[wasm_bindgen(start)]
pub fn start() {
    wasm_bindgen_futures::spawn_local(async {
        if let Err(e) = run().await {
            web_sys::console::error_1(&e);
            show_failure(&e);
        }
    });
}

async fn run() -> Result<(), JsValue> {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("the page has no document")?;
    let canvas: web_sys::HtmlCanvasElement = document
        .get_element_by_id(CANVAS_ID)
        .ok_or("the page has no canvas with the id \"chat\"")?
        .dyn_into()?;
    let address = page_socket_url().ok_or("the page's address is unknown")?;
    eframe::WebRunner::new()
        .start(
            canvas,
            eframe::WebOptions::default(),
            Box::new(move |cc| {
                let mut app = ChatApp::from_creation(cc);
                // The server that served the page: always this one (a kept session is kept
                // for this address).
                app.settings.address = address;
                let said = said::SaidLog::new(app.file_downloader());
                Ok(Box::new(Page { app, said }))
            }),
        )
        .await?;
    if let Some(loading) = document.get_element_by_id("loading") {
        loading.remove();
    }
    Ok(())
}

/// The client in a page: the desktop's app, and the page's text of what is said.
struct Page {
    app: ChatApp,
    said: said::SaidLog,
}

impl eframe::App for Page {
    fn logic(&mut self, ctx: &egui::Context, frame: &mut eframe::Frame) {
        self.app.logic(ctx, frame);
        let word = self.app.texts().file_download;
        self.said.follow(&self.app.client.chat, word);
        self.said.show_heading(self.app.heading());
    }

    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        self.app.ui(ui, frame);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        self.app.save(storage);
    }
}

/// Shows `title` as the tab's (eframe leaves the page's title alone).
pub fn set_tab_title(title: &str) {
    if let Some(document) = web_sys::window().and_then(|w| w.document()) {
        document.set_title(title);
    }
}

/// The WebSocket of the server that served the page: `wss://host:port/ws` for an HTTPS page,
/// `ws://` for a plain one (a server started with `--no-tls`).
pub fn page_socket_url() -> Option<String> {
    let location = web_sys::window()?.location();
    let scheme = if location.protocol().ok()? == "https:" {
        "wss"
    } else {
        "ws"
    };
    Some(format!("{scheme}://{}/ws", location.host().ok()?))
}

/// Puts why the client could not start where the loading message was (no WebGL, say).
fn show_failure(e: &JsValue) {
    let text = e.as_string().unwrap_or_else(|| format!("{e:?}"));
    if let Some(loading) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("loading"))
    {
        loading.set_text_content(Some(&format!("The chat could not start: {text}")));
    }
}
