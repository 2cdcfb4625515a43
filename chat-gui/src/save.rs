//! Saving a transcript (`chat_model::export`) to a file the user chooses: the save dialog (rfd)
//! and the writing happen on a helper thread ([`save_with_dialog`]), so the window never waits
//! on the dialog or the disk.

use std::path::PathBuf;

/// How saving ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Saved {
    /// Written to this file.
    To(PathBuf),
    /// The user closed the dialog without choosing a file.
    Cancelled,
    /// Writing failed; the file that was chosen.
    Failed(PathBuf),
}

/// Where the save dialogs' threads report how saving ended, and in which box's lines to tell
/// it.
pub type SavedChannel = (
    crossbeam_channel::Sender<(chat_model::composer::Target, Saved)>,
    crossbeam_channel::Receiver<(chat_model::composer::Target, Saved)>,
);

/// Writes `text` to `path`.
#[cfg(not(target_arch = "wasm32"))]
pub fn write(path: &std::path::Path, text: &str) -> Saved {
    match std::fs::write(path, text.as_bytes()) {
        Ok(()) => Saved::To(path.to_path_buf()),
        Err(e) => {
            tracing::warn!(path = %path.display(), "saving the transcript failed: {e}");
            Saved::Failed(path.to_path_buf())
        }
    }
}

/// Asks where to save `text` (proposing `suggested`) and writes it, on a helper thread; `done`
/// gets the outcome (and should wake the window).
#[cfg(not(target_arch = "wasm32"))]
pub fn save_with_dialog(
    suggested: String,
    title: String,
    text: String,
    done: impl FnOnce(Saved) + Send + 'static,
) {
    let started = std::thread::Builder::new()
        .name("save-dialog".into())
        .spawn(move || {
            let dialog = rfd::AsyncFileDialog::new()
                .set_title(title)
                .set_file_name(suggested)
                .add_filter("Text", &["txt"]);
            let Some(file) = pollster::block_on(dialog.save_file()) else {
                done(Saved::Cancelled);
                return;
            };
            done(write(file.path(), &text));
        });
    if let Err(e) = started {
        tracing::warn!("no thread for the save dialog: {e}");
    }
}

/// In a browser: a download of `text` named `suggested` (where it goes is the browser's
/// choice); `done` gets the outcome at once.
#[cfg(target_arch = "wasm32")]
pub fn save_with_dialog(
    suggested: String,
    _title: String,
    text: String,
    done: impl FnOnce(Saved) + Send + 'static,
) {
    match download(&suggested, &text) {
        Ok(()) => done(Saved::To(PathBuf::from(suggested))),
        Err(e) => {
            tracing::warn!("the download did not start: {e:?}");
            done(Saved::Failed(PathBuf::from(suggested)));
        }
    }
}

#[cfg(target_arch = "wasm32")]
fn download(name: &str, text: &str) -> Result<(), wasm_bindgen::JsValue> {
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("text/plain;charset=utf-8");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)?;
    download_blob(name, &blob)
}

/// In a browser: a download of `bytes`, named `name`, of type `mime`.
#[cfg(target_arch = "wasm32")]
pub fn download_bytes(
    name: &str,
    mime: &str,
    bytes: &js_sys::Uint8Array,
) -> Result<(), wasm_bindgen::JsValue> {
    let parts = js_sys::Array::of1(bytes);
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options)?;
    download_blob(name, &blob)
}

/// Hands `blob` to the browser as a download named `name` (through a link clicked at once).
#[cfg(target_arch = "wasm32")]
fn download_blob(name: &str, blob: &web_sys::Blob) -> Result<(), wasm_bindgen::JsValue> {
    use wasm_bindgen::JsCast as _;
    let url = web_sys::Url::create_object_url_with_blob(blob)?;
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let link: web_sys::HtmlAnchorElement = document.create_element("a")?.dyn_into()?;
    link.set_href(&url);
    link.set_download(name);
    link.click();
    web_sys::Url::revoke_object_url(&url)
}
