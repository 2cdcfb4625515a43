//! Files on screen: the files attached above a message box ([`strip`]), a line's pictures and
//! file cards ([`attachments`]), and the picture viewer ([`viewer`]).
//!
//! What they show comes from the [`Shelf`]: what the app knows of transfers and pictures,
//! put in the window's memory once a frame when it changed (so the rows and message boxes,
//! drawn deep inside other panels, read it without every panel passing it along). Like every
//! `ui` module, these return [`FileIntent`]s and change nothing themselves.

pub mod attachments;
pub mod code;
pub mod strip;
pub mod viewer;

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;

use chat_core::protocol::Attachment;
use chat_model::composer::Target;
use chat_model::transfers::{Download, Problem, State, TransferId, Upload};

use crate::i18n::{Texts, fill};
use crate::ui::Intent;

/// What the user asked of files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileIntent {
    /// Open the file dialog to attach files to this box.
    Choose(Target),
    /// Attach these files (dropped on the window, or chosen) to this box.
    Attach(Target, Vec<Dropped>),
    /// A picture pasted from the clipboard (Ctrl+V) into this box.
    Pasted(Target, Pasted),
    /// Stop a transfer (and take an attachment out of its box).
    Cancel(TransferId),
    /// Fetch this file into the downloads folder; shown in this box's lines, where how it
    /// ended is told if it is told in a line (in a page).
    Download(Attachment, Target),
    /// Open a downloaded file with the desktop's program for it.
    Open(PathBuf),
    /// Show this picture in the viewer; shown in this box's lines, where how saving a copy
    /// of it ended is told.
    View(Attachment, Target),
    /// A line shows this picture: fetch its preview.
    NeedPreview(Attachment),
    /// A line shows this code file: fetch its head.
    NeedCode(Attachment),
    /// Close the viewer.
    CloseViewer,
    /// Save a copy of the picture in the viewer.
    SaveViewed,
}

/// A file dropped on the window: its path, or (where the platform gives none) its bytes; in a
/// page, the browser's file.
#[derive(Debug, Clone)]
pub struct Dropped {
    /// Where it is.
    pub path: Option<PathBuf>,
    /// Its name.
    pub name: String,
    /// Its bytes, when there is no path.
    pub bytes: Option<Arc<[u8]>>,
    /// In a page: egui's handle to the browser's file, read when it is sent.
    #[cfg(target_arch = "wasm32")]
    pub handle: Option<egui::DroppedFileHandle>,
}

impl PartialEq for Dropped {
    fn eq(&self, other: &Self) -> bool {
        #[cfg(target_arch = "wasm32")]
        let same_handle = match (&self.handle, &other.handle) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            (a, b) => a.is_none() && b.is_none(),
        };
        #[cfg(not(target_arch = "wasm32"))]
        let same_handle = true;
        self.path == other.path
            && self.name == other.name
            && self.bytes == other.bytes
            && same_handle
    }
}

impl Eq for Dropped {}

impl Dropped {
    /// A file on disk.
    pub fn path(path: PathBuf) -> Dropped {
        Dropped {
            name: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            path: Some(path),
            bytes: None,
            #[cfg(target_arch = "wasm32")]
            handle: None,
        }
    }
}

/// A picture from the clipboard (compared by identity: it is one paste).
#[derive(Debug, Clone)]
pub struct Pasted(pub Arc<egui::ColorImage>);

impl PartialEq for Pasted {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for Pasted {}

/// A picture as the window has it.
#[derive(Clone)]
pub enum Picture {
    /// Being fetched and decoded.
    Loading,
    /// Ready to draw.
    Ready(egui::TextureHandle),
    /// It cannot be shown (undecodable, or it claims absurd dimensions).
    Broken,
}

impl std::fmt::Debug for Picture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Picture::Loading => f.write_str("Loading"),
            Picture::Ready(texture) => write!(f, "Ready({:?})", texture.size()),
            Picture::Broken => f.write_str("Broken"),
        }
    }
}

/// The head of a code file as the window has it.
#[derive(Debug, Clone)]
pub enum Code {
    /// Being fetched.
    Loading,
    /// Its text (tabs as spaces).
    Ready(Arc<str>),
    /// Not text after all, or not fetched: the card alone shows.
    Broken,
}

/// The picture in the viewer.
#[derive(Debug, Clone)]
pub struct Viewed {
    /// The file.
    pub file: Attachment,
    /// The whole picture, once fetched and decoded.
    pub full: Picture,
    /// The box of the lines it was opened from, where how saving a copy ended is told.
    pub from: Target,
}

/// Pictures' previews kept decoded (each up to 640 × 640 pixels, 1.6 MB): scrolling back
/// through a long history of pictures does not grow memory without end.
pub(crate) const PREVIEWS_KEPT: usize = 128;

/// Keeps `shown` as `file`'s preview, the newest of `order`; past [`PREVIEWS_KEPT`], the
/// oldest is forgotten.
pub(crate) fn remember(
    previews: &mut HashMap<String, Picture>,
    order: &mut VecDeque<String>,
    file: String,
    shown: Picture,
) {
    order.retain(|f| *f != file);
    order.push_back(file.clone());
    previews.insert(file, shown);
    while order.len() > PREVIEWS_KEPT {
        if let Some(oldest) = order.pop_front() {
            previews.remove(&oldest);
        }
    }
}

/// What the files' widgets show, as of this frame.
#[derive(Debug, Clone, Default)]
pub struct Shelf {
    /// Files attached to message boxes (and those of messages waiting for them).
    pub uploads: Vec<Upload>,
    /// Boxes whose message waits for its files.
    pub waiting: Vec<Target>,
    /// Downloads into the downloads folder, by file id.
    pub downloads: HashMap<String, Download>,
    /// Lines' previews, by file id.
    pub previews: HashMap<String, Picture>,
    /// Heads of lines' code files, by file id.
    pub codes: HashMap<String, Code>,
    /// The viewer, when open.
    pub viewer: Option<Viewed>,
}

fn shelf_id() -> egui::Id {
    egui::Id::unique("files-shelf")
}

/// Puts `shelf` where this frame's widgets read it.
pub fn put_shelf(ctx: &egui::Context, shelf: Arc<Shelf>) {
    ctx.data_mut(|d| d.insert_temp(shelf_id(), shelf));
}

/// What the files' widgets show.
pub fn shelf(ctx: &egui::Context) -> Arc<Shelf> {
    ctx.data(|d| d.get_temp::<Arc<Shelf>>(shelf_id()))
        .unwrap_or_default()
}

/// Whether `target`'s box has files to send with Send (even with no text).
pub fn has_attached(ctx: &egui::Context, target: &Target) -> bool {
    shelf(ctx).uploads.iter().any(|u| {
        u.target == *target && !u.queued && !matches!(u.state, State::Failed(_) | State::Cancelled)
    })
}

/// The paperclip button beside a message box.
pub fn attach_button(ui: &mut egui::Ui, t: &Texts, target: &Target, enabled: bool) -> Vec<Intent> {
    let clip = egui::RichText::new("📎")
        .size(17.0)
        .color(ui.visuals().strong_text_color());
    let button = ui
        .add_enabled(
            enabled,
            egui::Button::new(clip).min_size(egui::vec2(34.0, 30.0)),
        )
        .on_hover_text(t.attach)
        .accessible_name(t.attach);
    if button.clicked() {
        vec![Intent::Files(FileIntent::Choose(target.clone()))]
    } else {
        Vec::new()
    }
}

/// Pictures pasted (Ctrl+V) and files dropped while `target`'s box has the keyboard (or, for
/// drops, is the box of this window that takes them): taken from the input, so no other box
/// takes them too.
pub fn take_input(ui: &egui::Ui, target: &Target, focused: bool, takes_drops: bool) -> Vec<Intent> {
    let mut intents = Vec::new();
    ui.input_mut(|i| {
        if focused {
            i.events.retain(|e| match e {
                egui::Event::PasteImage(image) => {
                    intents.push(Intent::Files(FileIntent::Pasted(
                        target.clone(),
                        Pasted(Arc::clone(image)),
                    )));
                    false
                }
                _ => true,
            });
        }
        if (focused || takes_drops) && !i.raw.dropped_files.is_empty() {
            let dropped = dropped(std::mem::take(&mut i.raw.dropped_files));
            if !dropped.is_empty() {
                intents.push(Intent::Files(FileIntent::Attach(target.clone(), dropped)));
            }
        }
    });
    intents
}

/// egui's dropped files as the app attaches them: on the desktop, each has its path; in a
/// page, its name and the browser's file.
pub fn dropped(files: Vec<egui::DroppedFileHandle>) -> Vec<Dropped> {
    files
        .into_iter()
        .map(|f| {
            #[cfg(target_arch = "wasm32")]
            return Dropped {
                path: None,
                name: f.path().to_string_lossy().into_owned(),
                bytes: None,
                handle: Some(f),
            };
            #[cfg(not(target_arch = "wasm32"))]
            Dropped::path(f.path().to_path_buf())
        })
        .collect()
}

/// A transfer's state in words: progress, a retry, why it stopped.
pub fn state_words(t: &Texts, state: &State, done: u64, total: Option<u64>) -> String {
    use chat_model::export::file_size;
    match state {
        State::Running | State::Done => match total {
            Some(total) => fill(t.file_progress, &[&file_size(done), &file_size(total)]),
            None => file_size(done),
        },
        State::Retrying { at, busy, .. } => {
            let seconds = at
                .saturating_duration_since(web_time::Instant::now())
                .as_secs()
                + 1;
            fill(
                if *busy { t.file_busy } else { t.file_retrying },
                &[&seconds],
            )
        }
        State::Failed(problem) => problem_words(t, problem),
        State::Cancelled => t.cancel.to_owned(),
    }
}

/// Why a transfer stopped, in words.
pub fn problem_words(t: &Texts, problem: &Problem) -> String {
    match problem {
        Problem::Refused { code, field } => t.refusal(&chat_model::history::Refusal {
            code: *code,
            field: *field,
        }),
        Problem::Unreadable => t.file_unreadable.to_owned(),
        Problem::Unwritable => t.file_unwritable.to_owned(),
        Problem::Corrupt => t.file_corrupt.to_owned(),
        Problem::CertificateChanged => t.file_certificate.to_owned(),
    }
}

/// An icon for a file, by its media type.
pub fn icon(mime: &str) -> &'static str {
    let (kind, sub) = mime.split_once('/').unwrap_or((mime, ""));
    match (kind, sub) {
        ("image", _) => "🖼",
        ("video", _) => "🎞",
        ("audio", _) => "🎵",
        ("text", _) => "📝",
        (_, "pdf") => "📕",
        (_, "zip" | "gzip" | "x-tar" | "x-7z-compressed") => "📦",
        (_, s) if s.contains("spreadsheet") => "📊",
        (_, s) if s.contains("presentation") => "📽",
        _ => "📄",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn previews_past_the_limit_forget_the_oldest_and_one_shown_again_is_the_newest() {
        let (mut previews, mut order) = (HashMap::new(), VecDeque::new());
        for i in 0..PREVIEWS_KEPT {
            remember(&mut previews, &mut order, format!("f{i}"), Picture::Broken);
        }
        // The first is fetched again (it was on screen): it becomes the newest.
        remember(&mut previews, &mut order, "f0".into(), Picture::Broken);
        remember(&mut previews, &mut order, "new".into(), Picture::Broken);
        assert_eq!(previews.len(), PREVIEWS_KEPT);
        assert_eq!(order.len(), PREVIEWS_KEPT);
        assert!(previews.contains_key("f0") && previews.contains_key("new"));
        assert!(!previews.contains_key("f1"), "the oldest went");
    }
}
