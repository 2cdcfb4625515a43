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

/// Writes `text` to `path`.
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
