//! What files need of the desktop, behind small functions a web build can replace: choosing
//! files (the system's dialog), opening a file with the program the desktop picks, saving a
//! copy where the user says. Pictures pasted (Ctrl+V) and files dropped come through egui's
//! own input (the `clipboard` feature reads pictures from the system's clipboard).

use std::path::PathBuf;

use crate::save::Saved;

/// The file dialogs: files to attach, where to save a copy. Called on a helper thread: they
/// may wait for the user.
pub trait Picker: Send + Sync {
    /// The files chosen (none if the user closed the dialog).
    fn pick(&self, title: &str) -> Vec<PathBuf>;

    /// Where to save a copy, `suggested` its name (none if the user closed the dialog).
    fn save_as(&self, title: &str, suggested: &str) -> Option<PathBuf>;
}

/// The system's file dialog (the XDG desktop portal on Linux).
#[derive(Debug, Default)]
pub struct Dialog;

impl Picker for Dialog {
    fn pick(&self, title: &str) -> Vec<PathBuf> {
        let dialog = rfd::AsyncFileDialog::new().set_title(title);
        pollster::block_on(dialog.pick_files())
            .unwrap_or_default()
            .into_iter()
            .map(|f| f.path().to_path_buf())
            .collect()
    }

    fn save_as(&self, title: &str, suggested: &str) -> Option<PathBuf> {
        let dialog = rfd::AsyncFileDialog::new()
            .set_title(title)
            .set_file_name(suggested);
        pollster::block_on(dialog.save_file()).map(|f| f.path().to_path_buf())
    }
}

/// Opens `path` with the desktop's program for it, without waiting for it.
pub fn open(path: &std::path::Path) {
    if let Err(e) = open::that_detached(path) {
        tracing::warn!(path = %path.display(), "the file could not be opened: {e}");
    }
}

/// Asks `picker` where to save a copy of `from` (proposing `suggested`) and copies it, on a
/// helper thread; `done` gets the outcome.
pub fn save_copy(
    picker: std::sync::Arc<dyn Picker>,
    from: PathBuf,
    suggested: String,
    title: String,
    done: impl FnOnce(Saved) + Send + 'static,
) {
    let started = std::thread::Builder::new()
        .name("save-dialog".into())
        .spawn(move || {
            let Some(to) = picker.save_as(&title, &suggested) else {
                done(Saved::Cancelled);
                return;
            };
            // Written beside it, then put in its place: a copy that fails leaves no truncated
            // picture where the user will look, and never costs a file the user chose to
            // replace.
            let part = to.with_file_name(format!(
                ".{}.part",
                to.file_name()
                    .map_or_else(|| "copy".into(), |n| n.to_string_lossy().into_owned())
            ));
            match std::fs::copy(&from, &part).and_then(|_| std::fs::rename(&part, &to)) {
                Ok(()) => done(Saved::To(to)),
                Err(e) => {
                    tracing::warn!(path = %to.display(), "saving a copy failed: {e}");
                    let _ = std::fs::remove_file(&part);
                    done(Saved::Failed(to));
                }
            }
        });
    if let Err(e) = started {
        tracing::warn!("no thread for the save dialog: {e}");
    }
}
