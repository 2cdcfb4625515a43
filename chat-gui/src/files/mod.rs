//! Files in the desktop client: attaching them to a message (the dialog, a drop on the window,
//! a picture pasted), sending the message once they are uploaded, pictures' previews and the
//! viewer, downloads.
//!
//! [`Files`] is the window's side: it holds chat-model's [`Transfers`] (what the user sees of
//! each transfer), the [`engine`] (the threads that move the bytes, off the UI thread), the
//! pictures decoded so far, and it puts the [`Shelf`] the widgets read in the window's memory
//! each frame something changed. [`picture`] decodes within limits and makes previews,
//! [`looks`] fetches what a line shows of its files (previews, code), [`metadata`] takes the place a photo was taken out of it, [`platform`] is what a web build
//! replaces (the file dialog, opening a file, the save dialog).
//!
//! Data flow: an intent (attach, download, view) → `Transfers` and an engine job → the job's
//! reports (channel, window woken) → `Transfers::report` → messages ready
//! ([`Transfers::take_ready`]) go out with their files; the shelf is drawn.

pub mod engine;
pub mod looks;
pub mod metadata;
pub mod picture;
pub mod platform;
mod prepare;

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;

use web_time::Instant;

use chat_core::client::Waker;
use chat_core::http::FileServer;
use chat_model::composer::Target;
use chat_model::transfers::{Purpose, Ready, Report, State, Transfers};
use crossbeam_channel::{Receiver, Sender, unbounded};

use crate::save::Saved;
use crate::ui::files::{
    Code, Dropped, FileIntent, Pasted, Picture, Shelf, Viewed, put_shelf, remember,
};
use engine::{Destination, Engine, Source};
use looks::PictureNews;
use platform::Picker;

/// Where files go on this computer.
#[derive(Debug, Clone)]
pub struct Folders {
    /// Downloads (the file card's Download).
    pub downloads: PathBuf,
    /// Working copies: cleaned photos, pasted pictures, pictures for the viewer.
    pub cache: PathBuf,
}

impl Folders {
    /// The user's downloads folder and this program's cache, or these when given.
    pub fn new(downloads: Option<PathBuf>, cache: Option<PathBuf>) -> Folders {
        let downloads = downloads
            .or_else(|| {
                directories::UserDirs::new().and_then(|d| {
                    d.download_dir()
                        .map(std::path::Path::to_path_buf)
                        .or_else(|| Some(d.home_dir().to_path_buf()))
                })
            })
            .unwrap_or_else(std::env::temp_dir);
        let cache = cache
            .or_else(|| {
                directories::ProjectDirs::from("org", "chat", crate::limits::APP_ID)
                    .map(|d| d.cache_dir().join("files"))
            })
            .unwrap_or_else(|| std::env::temp_dir().join("chat-gui-files"));
        Folders { downloads, cache }
    }
}

/// What happened that the app must act on (send, restore, say).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum News {
    /// A message whose files are settled.
    Ready(Ready),
    /// Attaching failed: a message carries at most this many files.
    TooMany(Target),
    /// How saving a copy of a picture ended, to tell in this box's lines.
    Saved(Target, Saved),
}

/// How long a preview or code head whose server was out of reach waits before it is asked
/// for again.
const ASK_AGAIN: std::time::Duration = std::time::Duration::from_secs(10);

/// Files chosen in the dialog, for a box.
type Picked = (Target, Vec<PathBuf>);

/// The files' side of the window.
pub struct Files {
    /// What the user sees of each transfer.
    pub transfers: Transfers,
    engine: Engine,
    folders: Folders,
    previews: HashMap<String, Picture>,
    /// The previews decoded, oldest first: past [`PREVIEWS_KEPT`](crate::ui::files::PREVIEWS_KEPT) the oldest go (one still on
    /// screen is fetched again as it is drawn).
    preview_order: VecDeque<String>,
    codes: HashMap<String, Code>,
    viewer: Option<Viewed>,
    picker: Arc<dyn Picker>,
    picked: (Sender<Picked>, Receiver<Picked>),
    saved: crate::save::SavedChannel,
    /// The server (and token) the engine was last given.
    server: Option<(String, String)>,
    dirty: bool,
    /// Longest side of a picture this display takes as one texture (the viewer's, at most
    /// `picture::SCREEN_SIDE`; some GPUs take less, and a larger texture would abort).
    screen_side: u32,
    /// Previews and code heads whose server could not be reached, and when to ask again.
    unreachable: HashMap<String, Instant>,
}

impl std::fmt::Debug for Files {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Files")
            .field("transfers", &self.transfers)
            .field("folders", &self.folders)
            .finish_non_exhaustive()
    }
}

/// How long a picture fetched for the viewer stays in the cache unopened.
const VIEWED_KEPT: std::time::Duration = std::time::Duration::from_secs(14 * 24 * 3600);

/// Removes the viewer's copies in `dir` not opened for [`VIEWED_KEPT`]: the cache would
/// otherwise keep every picture ever viewed. On a thread of its own, once at start.
fn trim_viewed(dir: PathBuf) {
    let trimmed = std::thread::Builder::new()
        .name("cache-trim".into())
        .spawn(move || trim_now(&dir));
    if let Err(e) = trimmed {
        tracing::info!("the cache is not trimmed this time: {e}");
    }
}

fn trim_now(dir: &std::path::Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        // Last opened (or, where the disk keeps no such time, last written).
        let old = entry
            .metadata()
            .and_then(|m| m.accessed().or_else(|_| m.modified()))
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > VIEWED_KEPT);
        if old {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

impl Files {
    /// Files kept in `folders`, chosen with the system's dialog.
    pub fn new(folders: Folders) -> Files {
        trim_viewed(folders.cache.join("pictures"));
        Files {
            transfers: Transfers::default(),
            engine: Engine::new(folders.cache.clone()),
            folders,
            previews: HashMap::new(),
            preview_order: VecDeque::new(),
            codes: HashMap::new(),
            viewer: None,
            picker: Arc::new(platform::Dialog),
            picked: unbounded(),
            saved: unbounded(),
            server: None,
            dirty: true,
            screen_side: picture::SCREEN_SIDE,
            unreachable: HashMap::new(),
        }
    }

    /// Chooses files, and where to save copies, with `picker` instead of the system's dialogs
    /// (tests give the paths).
    pub fn set_picker(&mut self, picker: Arc<dyn Picker>) {
        self.picker = picker;
    }

    /// Wakes the window when a transfer reports.
    pub fn set_waker(&mut self, waker: Waker) {
        self.engine.set_waker(waker);
    }

    /// Everything that arrived since the last frame; returns what the app must do.
    pub fn update(
        &mut self,
        ctx: &egui::Context,
        server: Option<FileServer>,
        room: Option<&str>,
    ) -> Vec<News> {
        let gpu = u32::try_from(ctx.input(|i| i.max_texture_side)).unwrap_or(u32::MAX);
        self.screen_side = picture::SCREEN_SIDE.min(gpu.max(1));
        let key = server.as_ref().map(|s| (s.server.clone(), s.token.clone()));
        if key != self.server {
            self.server = key;
            self.engine.set_server(server);
        }
        let mut news = Vec::new();
        for (target, paths) in self.picked.1.try_iter().collect::<Vec<_>>() {
            let files = paths.into_iter().map(Dropped::path).collect();
            news.extend(self.attach(&target, files));
        }
        for (id, report) in self.engine.reports() {
            self.dirty = true;
            if let Report::Downloaded(path) = &report
                && let Some(d) = self.transfers.downloads().iter().find(|d| d.id == id)
                && d.purpose == Purpose::View
                && self.viewer.as_ref().is_some_and(|v| v.file.id == d.file.id)
            {
                self.engine
                    .show_picture(d.file.id.clone(), path.clone(), self.screen_side);
            }
            if matches!(report, Report::Failed(_))
                && let Some(d) = self.transfers.downloads().iter().find(|d| d.id == id)
                && d.purpose == Purpose::View
                && let Some(viewer) = self.viewer.as_mut().filter(|v| v.file.id == d.file.id)
            {
                viewer.full = Picture::Broken;
            }
            self.transfers.report(id, report);
        }
        for picture in self.engine.pictures() {
            self.dirty = true;
            match picture {
                PictureNews::Code { file, text } => {
                    let shown = text.map_or(Code::Broken, |text| Code::Ready(Arc::from(text)));
                    self.codes.insert(file, shown);
                }
                PictureNews::Preview { file, image } => {
                    let shown = image.map_or(Picture::Broken, |image| {
                        Picture::Ready(ctx.load_texture(
                            format!("preview-{file}"),
                            image,
                            egui::TextureOptions::LINEAR,
                        ))
                    });
                    remember(&mut self.previews, &mut self.preview_order, file, shown);
                }
                PictureNews::Unreachable { file } => {
                    // Shown as loading meanwhile; asked again once the wait is over.
                    self.previews.remove(&file);
                    self.codes.remove(&file);
                    self.unreachable.insert(file, Instant::now() + ASK_AGAIN);
                }
                PictureNews::Full { file, image } => {
                    if let Some(viewer) = self.viewer.as_mut().filter(|v| v.file.id == file) {
                        viewer.full = image.map_or(Picture::Broken, |image| {
                            Picture::Ready(ctx.load_texture(
                                format!("picture-{file}"),
                                image,
                                egui::TextureOptions::LINEAR,
                            ))
                        });
                    }
                }
            }
        }
        for (target, saved) in self.saved.1.try_iter() {
            news.push(News::Saved(target, saved));
        }
        for ready in self.transfers.take_ready(room) {
            self.dirty = true;
            news.push(News::Ready(ready));
        }
        if self.transfers.running() > 0 {
            // Progress and "trying again in N s" move on.
            ctx.request_repaint_after(std::time::Duration::from_millis(500));
        }
        // Pictures and code whose server was out of reach are asked for again when drawn.
        let now = Instant::now();
        self.unreachable.retain(|_, at| *at > now);
        if let Some(next) = self.unreachable.values().min() {
            ctx.request_repaint_after(next.saturating_duration_since(now));
        }
        if std::mem::take(&mut self.dirty) {
            put_shelf(ctx, Arc::new(self.shelf()));
        }
        news
    }

    fn shelf(&self) -> Shelf {
        Shelf {
            uploads: self.transfers.uploads().to_vec(),
            waiting: self.transfers.waiting_targets(),
            downloads: self.transfers.downloads_kept(),
            previews: self.previews.clone(),
            codes: self.codes.clone(),
            viewer: self.viewer.clone(),
        }
    }

    /// Attaches `files` to `target`'s box and starts uploading them.
    pub fn attach(&mut self, target: &Target, files: Vec<Dropped>) -> Vec<News> {
        self.dirty = true;
        for file in files {
            let Some(id) = self.transfers.attach(target.clone(), &file.name) else {
                return vec![News::TooMany(target.clone())];
            };
            let source = match (file.path, file.bytes) {
                (Some(path), _) => Source::Path(path),
                (None, Some(bytes)) => Source::Bytes {
                    name: file.name,
                    bytes,
                },
                (None, None) => continue,
            };
            self.engine.upload(id, source);
        }
        Vec::new()
    }

    /// Attaches a picture pasted from the clipboard.
    fn paste(&mut self, target: &Target, Pasted(image): Pasted) -> Vec<News> {
        self.dirty = true;
        let name = chrono::Local::now()
            .format("pasted-%Y%m%d-%H%M%S.png")
            .to_string();
        match self.transfers.attach(target.clone(), &name) {
            Some(id) => {
                self.engine.upload(id, Source::Pixels(image));
                Vec::new()
            }
            None => vec![News::TooMany(target.clone())],
        }
    }

    /// Applies what the user asked of files; returns what the app must do.
    pub fn apply(&mut self, intent: FileIntent, t: &crate::i18n::Texts) -> Vec<News> {
        self.dirty = true;
        // A file id goes into URLs and names files in the cache: one that no server would
        // give (`../`, a path) is never fetched, and shows as a file that cannot be.
        match &intent {
            FileIntent::NeedPreview(file) if !file.has_valid_id() => {
                self.previews.insert(file.id.clone(), Picture::Broken);
                return Vec::new();
            }
            FileIntent::NeedCode(file) if !file.has_valid_id() => {
                self.codes.insert(file.id.clone(), Code::Broken);
                return Vec::new();
            }
            FileIntent::Download(file, _) | FileIntent::View(file, _) if !file.has_valid_id() => {
                tracing::warn!("a file with an id no server gives: {:?}", file.id);
                return Vec::new();
            }
            _ => {}
        }
        match intent {
            FileIntent::Choose(target) => {
                let picker = Arc::clone(&self.picker);
                let picked = self.picked.0.clone();
                let title = t.attach.to_owned();
                let started = std::thread::Builder::new()
                    .name("file-dialog".into())
                    .spawn(move || {
                        let paths = picker.pick(&title);
                        if !paths.is_empty() {
                            let _ = picked.send((target, paths));
                        }
                    });
                if let Err(e) = started {
                    tracing::warn!("no thread for the file dialog: {e}");
                }
            }
            FileIntent::Attach(target, files) => return self.attach(&target, files),
            FileIntent::Pasted(target, image) => return self.paste(&target, image),
            FileIntent::Cancel(id) => {
                if self.transfers.cancel(id) {
                    self.engine.cancel(id);
                }
            }
            FileIntent::Download(file, _) => {
                if let Some(id) = self.transfers.download(&file, Purpose::Keep) {
                    let to = Destination::Folder(self.folders.downloads.clone());
                    self.engine.download(id, file, to);
                }
            }
            FileIntent::Open(path) => platform::open(&path),
            FileIntent::View(file, from) => self.view(file, from),
            FileIntent::NeedPreview(file) => {
                if !self.previews.contains_key(&file.id) && self.may_ask(&file.id) {
                    self.previews.insert(file.id.clone(), Picture::Loading);
                    self.engine.preview(file);
                }
            }
            FileIntent::NeedCode(file) => {
                if !self.codes.contains_key(&file.id) && self.may_ask(&file.id) {
                    self.codes.insert(file.id.clone(), Code::Loading);
                    self.engine.code(file);
                }
            }
            FileIntent::CloseViewer => self.viewer = None,
            FileIntent::SaveViewed => self.save_viewed(t.viewer_save),
        }
        Vec::new()
    }

    /// Opens the viewer on `file`, fetching the whole picture first.
    /// Whether file `id`'s preview or head may be asked for now (not while its server was out
    /// of reach a moment ago).
    fn may_ask(&self, id: &str) -> bool {
        self.unreachable
            .get(id)
            .is_none_or(|at| Instant::now() >= *at)
    }

    fn view(&mut self, file: chat_core::protocol::Attachment, from: Target) {
        self.viewer = Some(Viewed {
            file: file.clone(),
            full: Picture::Loading,
            from,
        });
        let path = self.folders.cache.join("pictures").join(&file.id);
        match self.transfers.download(&file, Purpose::View) {
            Some(id) => {
                self.engine.download(id, file, Destination::Exactly(path));
            }
            None => {
                let kept = self
                    .transfers
                    .download_of(&file.id, Purpose::View)
                    .filter(|d| d.state == State::Done)
                    .and_then(|d| d.path.clone());
                if let Some(path) = kept {
                    self.engine.show_picture(file.id, path, self.screen_side);
                }
            }
        }
    }

    fn save_viewed(&mut self, title: &str) {
        let Some(viewer) = &self.viewer else {
            return;
        };
        let Some(path) = self
            .transfers
            .download_of(&viewer.file.id, Purpose::View)
            .and_then(|d| d.path.clone())
        else {
            return;
        };
        let (saved, from) = (self.saved.0.clone(), viewer.from.clone());
        platform::save_copy(
            Arc::clone(&self.picker),
            path,
            viewer.file.name.clone(),
            title.to_owned(),
            move |outcome| {
                let _ = saved.send((from, outcome));
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pictures_not_viewed_for_two_weeks_leave_the_cache() {
        let dir = tempfile::tempdir().unwrap();
        let (old, new) = (dir.path().join("old"), dir.path().join("new"));
        std::fs::write(&old, b"x").unwrap();
        std::fs::write(&new, b"y").unwrap();
        let long_ago = std::time::SystemTime::now() - VIEWED_KEPT * 2;
        std::fs::File::options()
            .write(true)
            .open(&old)
            .unwrap()
            .set_times(
                std::fs::FileTimes::new()
                    .set_accessed(long_ago)
                    .set_modified(long_ago),
            )
            .unwrap();
        trim_now(dir.path());
        assert!(!old.exists(), "not viewed for four weeks");
        assert!(new.exists(), "viewed just now");
    }

    #[test]
    fn a_file_id_no_server_gives_is_never_fetched_nor_made_a_path() {
        let cache = tempfile::tempdir().unwrap();
        let mut files = Files::new(Folders::new(
            Some(cache.path().join("downloads")),
            Some(cache.path().join("cache")),
        ));
        let t = crate::i18n::Language::ENGLISH.texts();
        let hostile = chat_core::protocol::Attachment {
            id: "../../../.bashrc".into(),
            name: "x.png".into(),
            size: 1,
            mime: "image/png".into(),
            width: None,
            height: None,
            preview: true,
        };
        files.apply(FileIntent::NeedPreview(hostile.clone()), t);
        assert!(matches!(
            files.previews.get(&hostile.id),
            Some(Picture::Broken)
        ));
        files.apply(FileIntent::View(hostile.clone(), Target::Room), t);
        assert!(files.viewer.is_none(), "no viewer, no copy in the cache");
        files.apply(FileIntent::Download(hostile, Target::Room), t);
        assert!(files.transfers.downloads().is_empty());
    }
}
