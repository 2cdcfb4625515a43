//! Files in a browser: a line's files show as cards with their name and size
//! (`ui::files::attachments`), and **Download** fetches one with the session's token and hands
//! it to the browser, which saves it where it saves downloads. The attach button opens the
//! browser's file dialog and each file chosen is uploaded whole ([`crate::web::uploads`]); a
//! line's pictures show as their previews, opening in the viewer, and code files with their
//! first lines, as on the desktop ([`crate::web::looks`]). Files dropped on the page are sent
//! as chosen ones (egui hands over the browser's `File`), and so are files pasted (a
//! screenshot: the page hears the browser's paste itself, as egui reads only its text).
//! What the app and the windows use of the desktop's module (`src/files`) stands here under
//! the same names.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;

use web_time::Instant;

use chat_core::client::Waker;
use chat_core::protocol::Attachment;
use chat_model::composer::Target;
use chat_model::transfers::{Problem, Purpose, Ready, Report, TransferId, Transfers};

use crate::save::Saved;
use crate::ui::files::{Code, FileIntent, Picture, Shelf, Viewed, put_shelf, remember};
use crate::web::looks::{self, Looked};
use crate::web::requests;
use crate::web::uploads::{self, Chooser, Paster, Picked};

/// Pictures: media types by name, decoding within limits (the desktop's module).
#[path = "../files/picture.rs"]
pub mod picture;

/// Photos' metadata left out before they are sent (the desktop's module).
#[path = "../files/metadata.rs"]
pub mod metadata;

/// How long a preview or code head whose server was out of reach waits before it is asked
/// for again (as on the desktop).
const ASK_AGAIN: std::time::Duration = std::time::Duration::from_secs(10);

/// Where files would go: a page keeps none.
#[derive(Debug, Clone)]
pub struct Folders;

impl Folders {
    /// Nowhere, whatever is given.
    pub fn new(_downloads: Option<PathBuf>, _cache: Option<PathBuf>) -> Folders {
        Folders
    }
}

/// What happened that the app must act on: never anything in a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum News {
    /// A message whose files are settled.
    Ready(Ready),
    /// Attaching failed: a message carries at most this many files.
    TooMany(Target),
    /// How a download ended, to tell in this box's lines.
    Saved(Target, Saved),
}

/// Asks for downloads: shared by the cards' buttons and the page's text of what is said
/// (`web::said`), whose buttons a screen reader reaches; [`Files::update`] starts them.
#[derive(Clone, Default)]
pub struct Downloader {
    /// The session's token, while logged in.
    token: Rc<RefCell<Option<String>>>,
    /// Files asked for since the last frame, and the box of the lines that showed each.
    asked: Rc<RefCell<Vec<(Attachment, Target)>>>,
    /// How downloads ended, for the app's next frame.
    done: Rc<RefCell<Vec<News>>>,
    waker: Rc<RefCell<Option<Waker>>>,
}

impl std::fmt::Debug for Downloader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The token logs in as its user: kept out of logs.
        f.debug_struct("Downloader").finish_non_exhaustive()
    }
}

impl Downloader {
    /// Asks for `file`: fetched (its card shows how far), then handed to the browser; how it
    /// ended is told in `from`'s lines, the box of the lines that showed it.
    pub fn start(&self, file: &Attachment, from: Target) {
        self.asked.borrow_mut().push((file.clone(), from));
        if let Some(wake) = self.waker.borrow().as_ref() {
            wake();
        }
    }
}

/// Fetches `file` with `token` (each step told through `tell`) and hands its bytes to the
/// browser, which saves it where it saves downloads.
async fn download(
    file: &Attachment,
    token: &str,
    cancel: &uploads::Cancel,
    tell: Rc<dyn Fn(Report)>,
) -> Result<(), Problem> {
    let path = format!("/files/{}", requests::clean_id(&file.id));
    let progress = move |n| tell(Report::Progress(n));
    let fetched = requests::request("GET", &path, token, &[], None, cancel.in_flight(), progress);
    let bytes = fetched.await.map_err(requests::Failure::problem)?.body;
    crate::save::download_bytes(
        &file.name,
        &file.mime,
        &js_sys::Uint8Array::from(bytes.as_slice()),
    )
    .map_err(|_| Problem::Unwritable)
}

/// The files' side of the page: downloads, and uploads of files chosen in the browser's dialog.
pub struct Files {
    /// Files attached to message boxes, and the messages waiting for them.
    pub transfers: Transfers,
    downloader: Downloader,
    /// The page's file input (made on first use).
    chooser: Option<Chooser>,
    /// Files chosen and not yet attached.
    picked: Rc<RefCell<Vec<Picked>>>,
    /// What hears of pastes (made on first use), and files pasted, not yet given a box.
    paster: Option<Paster>,
    pasted: Rc<RefCell<Vec<web_sys::File>>>,
    /// What the uploads reported since the last frame.
    reports: Rc<RefCell<Vec<(TransferId, Report)>>>,
    /// How to stop each upload under way.
    cancels: HashMap<TransferId, Rc<uploads::Cancel>>,
    /// Lines' previews, the newest last in `preview_order` (at most `PREVIEWS_KEPT`).
    previews: HashMap<String, Picture>,
    preview_order: VecDeque<String>,
    /// Heads of lines' code files.
    codes: HashMap<String, Code>,
    /// The picture open in the viewer, and its bytes once fetched (what Save keeps).
    viewer: Option<Viewed>,
    viewed_bytes: Option<Rc<Vec<u8>>>,
    /// What fetches brought since the last frame.
    looked: Rc<RefCell<Vec<Looked>>>,
    /// Files whose server was out of reach, and when they may be asked for again.
    unreachable: HashMap<String, Instant>,
    /// Something changed that the widgets show.
    dirty: bool,
}

impl std::fmt::Debug for Files {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Files")
            .field("transfers", &self.transfers)
            .finish_non_exhaustive()
    }
}

impl Files {
    /// No files yet.
    pub fn new(_folders: Folders) -> Files {
        Files {
            transfers: Transfers::default(),
            downloader: Downloader::default(),
            chooser: None,
            picked: Rc::default(),
            paster: None,
            pasted: Rc::default(),
            reports: Rc::default(),
            cancels: HashMap::new(),
            previews: HashMap::new(),
            preview_order: VecDeque::new(),
            codes: HashMap::new(),
            viewer: None,
            viewed_bytes: None,
            looked: Rc::default(),
            unreachable: HashMap::new(),
            dirty: true,
        }
    }

    /// Wakes the window when a transfer ends.
    pub fn set_waker(&mut self, waker: Waker) {
        *self.downloader.waker.borrow_mut() = Some(waker);
    }

    /// The session's token (`None` while logged out: transfers are refused).
    pub fn set_token(&self, token: Option<String>) {
        *self.downloader.token.borrow_mut() = token;
    }

    /// The page's file input, made the first time it is wanted.
    fn chooser(&mut self) -> Option<&Chooser> {
        if self.chooser.is_none() {
            self.chooser = Chooser::new(Rc::clone(&self.picked), Rc::clone(&self.downloader.waker));
        }
        self.chooser.as_ref()
    }

    /// Files pasted since the last frame go to `target`'s box (the one used last).
    pub fn paste_into(&mut self, target: &Target) {
        if self.paster.is_none() {
            self.paster = Paster::new(Rc::clone(&self.pasted), Rc::clone(&self.downloader.waker));
        }
        let pasted = std::mem::take(&mut *self.pasted.borrow_mut());
        if pasted.is_empty() {
            return;
        }
        // Attached at the next frame.
        if let Some(wake) = self.downloader.waker.borrow().as_ref() {
            wake();
        }
        self.picked
            .borrow_mut()
            .extend(pasted.into_iter().map(|file| Picked {
                target: target.clone(),
                file,
            }));
    }

    /// What happened since the last frame: files chosen are attached and sent, what uploads
    /// and downloads reported is applied; returns what the app must do.
    pub fn update(&mut self, ctx: &egui::Context, room: Option<&str>) -> Vec<News> {
        // The input exists from the start: a script (the browser test) may choose through it.
        self.chooser();
        // Pasted while logged out: not for whoever logs in next.
        if self.downloader.token.borrow().is_none() {
            self.pasted.borrow_mut().clear();
        }
        let mut news = std::mem::take(&mut *self.downloader.done.borrow_mut());
        let picked = std::mem::take(&mut *self.picked.borrow_mut());
        for Picked { target, file } in picked {
            self.dirty = true;
            let Some(id) = self.transfers.attach(target.clone(), &file.name()) else {
                news.push(News::TooMany(target));
                continue;
            };
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            self.transfers.report(id, Report::Size(file.size() as u64));
            let token = self.downloader.token.borrow().clone();
            let (cancel, tell) = self.follow(id);
            wasm_bindgen_futures::spawn_local(async move {
                let report = match token {
                    Some(token) => {
                        match uploads::upload(file, token, cancel, Rc::clone(&tell)).await {
                            Ok(attachment) => Report::Uploaded(attachment),
                            Err(problem) => Report::Failed(problem),
                        }
                    }
                    None => Report::Failed(chat_model::transfers::Problem::Unreadable),
                };
                tell(report);
            });
        }
        for (id, report) in std::mem::take(&mut *self.reports.borrow_mut()) {
            self.dirty = true;
            if matches!(
                report,
                Report::Uploaded(_) | Report::Downloaded(_) | Report::Failed(_)
            ) {
                self.cancels.remove(&id);
            }
            self.transfers.report(id, report);
        }
        for ready in self.transfers.take_ready(room) {
            self.dirty = true;
            news.push(News::Ready(ready));
        }
        let asked = std::mem::take(&mut *self.downloader.asked.borrow_mut());
        for (file, from) in asked {
            self.dirty = true;
            self.start_download(file, from);
        }
        let looked = std::mem::take(&mut *self.looked.borrow_mut());
        for looked in looked {
            self.dirty = true;
            self.show(ctx, looked);
        }
        if std::mem::take(&mut self.dirty) {
            put_shelf(
                ctx,
                std::sync::Arc::new(Shelf {
                    uploads: self.transfers.uploads().to_vec(),
                    waiting: self.transfers.waiting_targets(),
                    downloads: self.transfers.downloads_kept(),
                    previews: self.previews.clone(),
                    codes: self.codes.clone(),
                    viewer: self.viewer.clone(),
                }),
            );
        }
        news
    }

    /// How transfer `id` is stopped (kept until it ends), and what it tells: its progress,
    /// its waits and how it ended, for the next frame.
    fn follow(&mut self, id: TransferId) -> (Rc<uploads::Cancel>, Rc<dyn Fn(Report)>) {
        let cancel = Rc::new(uploads::Cancel::default());
        self.cancels.insert(id, Rc::clone(&cancel));
        let (reports, waker) = (
            Rc::clone(&self.reports),
            self.downloader.waker.borrow().clone(),
        );
        let tell: Rc<dyn Fn(Report)> = Rc::new(move |report| {
            reports.borrow_mut().push((id, report));
            if let Some(wake) = &waker {
                wake();
            }
        });
        (cancel, tell)
    }

    /// Starts downloading `file` (unless it is under way): its card shows how far it is, the
    /// lines of `from` how it ended.
    fn start_download(&mut self, file: Attachment, from: Target) {
        let token = self.downloader.token.borrow().clone();
        let (Some(token), Some(id)) = (token, self.transfers.download(&file, Purpose::Keep)) else {
            return;
        };
        let (cancel, tell) = self.follow(id);
        let done = Rc::clone(&self.downloader.done);
        wasm_bindgen_futures::spawn_local(async move {
            let name = PathBuf::from(&file.name);
            let (report, saved) = match download(&file, &token, &cancel, Rc::clone(&tell)).await {
                // Saved where the browser saves downloads: the card offers Download again.
                Ok(()) => (Report::Downloaded(name.clone()), Saved::To(name)),
                Err(_) if cancel.cancelled() => return,
                Err(problem) => {
                    tracing::warn!("download of {} failed: {problem:?}", file.name);
                    (Report::Failed(problem), Saved::Failed(name))
                }
            };
            done.borrow_mut().push(News::Saved(from, saved));
            tell(report);
        });
    }

    /// Takes in what a fetch brought.
    fn show(&mut self, ctx: &egui::Context, looked: Looked) {
        let texture = |name: String, image| {
            Picture::Ready(ctx.load_texture(name, image, egui::TextureOptions::LINEAR))
        };
        match looked {
            Looked::Preview { file, image } => {
                let shown = image.map_or(Picture::Broken, |image| {
                    texture(format!("preview-{file}"), image)
                });
                remember(&mut self.previews, &mut self.preview_order, file, shown);
            }
            Looked::Code { file, text } => {
                let shown = text.map_or(Code::Broken, |text| Code::Ready(Arc::from(text)));
                self.codes.insert(file, shown);
            }
            Looked::Full { file, shown } => {
                if let Some(viewer) = self.viewer.as_mut().filter(|v| v.file.id == file) {
                    viewer.full = match shown {
                        Some((image, bytes)) => {
                            self.viewed_bytes = Some(Rc::new(bytes));
                            texture(format!("picture-{file}"), image)
                        }
                        None => Picture::Broken,
                    };
                }
            }
            Looked::Unreachable { file } => {
                // Shown as loading meanwhile; asked again once the wait is over.
                self.previews.remove(&file);
                self.codes.remove(&file);
                self.unreachable.insert(file, Instant::now() + ASK_AGAIN);
            }
        }
    }

    /// Runs `fetch` with the session's token; what it brings is taken in at the next frame.
    /// `false` while logged out, or while `id`'s server was out of reach a moment ago.
    fn look<F>(&mut self, id: &str, fetch: impl FnOnce(String) -> F) -> bool
    where
        F: std::future::Future<Output = Looked> + 'static,
    {
        let Some(token) = self.downloader.token.borrow().clone() else {
            return false;
        };
        let now = Instant::now();
        self.unreachable.retain(|_, at| now < *at);
        if self.unreachable.contains_key(id) {
            return false;
        }
        let (looked, waker) = (
            Rc::clone(&self.looked),
            self.downloader.waker.borrow().clone(),
        );
        let fetched = fetch(token);
        wasm_bindgen_futures::spawn_local(async move {
            let brought = fetched.await;
            looked.borrow_mut().push(brought);
            if let Some(wake) = waker {
                wake();
            }
        });
        true
    }

    /// What starts downloads, for the page's text of what is said.
    pub fn downloader(&self) -> Downloader {
        self.downloader.clone()
    }

    /// Downloads, the file dialog and drops, cancelling an attachment, previews, code and the
    /// viewer; opening a saved file is not done in a page (nor a paste from egui, which a
    /// page hears of itself: [`Files::paste_into`]).
    pub fn apply(&mut self, intent: FileIntent, _t: &crate::i18n::Texts) -> Vec<News> {
        self.dirty = true;
        match intent {
            FileIntent::Download(file, from) => self.downloader.start(&file, from),
            // Dropped on the page: the browser's files, sent as if chosen in its dialog.
            FileIntent::Attach(target, dropped) => {
                let files = dropped
                    .iter()
                    .filter_map(|d| d.handle.as_ref()?.web_file().cloned());
                self.picked.borrow_mut().extend(files.map(|file| Picked {
                    target: target.clone(),
                    file,
                }));
                if let Some(wake) = self.downloader.waker.borrow().as_ref() {
                    wake();
                }
            }
            FileIntent::Choose(target) => {
                if let Some(chooser) = self.chooser() {
                    chooser.choose(target);
                }
            }
            // Its request is aborted and the server told; what it reports then is dropped.
            FileIntent::Cancel(id) => {
                self.transfers.cancel(id);
                if let Some(cancel) = self.cancels.remove(&id) {
                    cancel.cancel();
                }
            }
            FileIntent::NeedPreview(file) => {
                if !self.previews.contains_key(&file.id)
                    && self.look(&file.id, |token| looks::preview(file.id.clone(), token))
                {
                    self.previews.insert(file.id.clone(), Picture::Loading);
                }
            }
            FileIntent::NeedCode(file) => {
                if !self.codes.contains_key(&file.id)
                    && self.look(&file.id, |token| looks::code(file.id.clone(), token))
                {
                    self.codes.insert(file.id.clone(), Code::Loading);
                }
            }
            FileIntent::View(file, from) => {
                self.viewed_bytes = None;
                let id = file.id.clone();
                self.viewer = Some(Viewed {
                    file,
                    full: Picture::Loading,
                    from,
                });
                if !self.look(&id, |token| looks::full(id.clone(), token)) {
                    self.viewer = None;
                }
            }
            FileIntent::CloseViewer => {
                self.viewer = None;
                self.viewed_bytes = None;
            }
            // The browser saves it where it saves downloads.
            FileIntent::SaveViewed => {
                if let (Some(viewer), Some(bytes)) = (&self.viewer, &self.viewed_bytes) {
                    let file = &viewer.file;
                    let bytes = js_sys::Uint8Array::from(bytes.as_slice());
                    let saved = match crate::save::download_bytes(&file.name, &file.mime, &bytes) {
                        Ok(()) => Saved::To(PathBuf::from(&file.name)),
                        Err(e) => {
                            tracing::warn!("saving {} failed: {e:?}", file.name);
                            Saved::Failed(PathBuf::from(&file.name))
                        }
                    };
                    return vec![News::Saved(viewer.from.clone(), saved)];
                }
            }
            other => tracing::debug!(?other, "not done in a page"),
        }
        Vec::new()
    }
}
