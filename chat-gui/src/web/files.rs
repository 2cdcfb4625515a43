//! Files in a browser: a line's files show as cards with their name and size
//! (`ui::files::attachments`), and **Download** fetches one with the session's token and hands
//! it to the browser, which saves it where it saves downloads. The attach button opens the
//! browser's file dialog and each file chosen is uploaded whole ([`crate::web::uploads`]); a
//! page takes no drop or paste and fetches no previews. What the app and the windows use of the
//! desktop's module (`src/files`) stands here under the same names.

use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;

use chat_core::client::Waker;
use chat_core::protocol::Attachment;
use chat_model::composer::Target;
use chat_model::transfers::{Ready, Report, TransferId, Transfers};
use wasm_bindgen::JsCast as _;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

use crate::save::Saved;
use crate::ui::files::{FileIntent, Shelf, put_shelf};
use crate::web::uploads::{self, Chooser, Picked};

/// Media types by name (the desktop's module; a page decodes no picture).
#[path = "../files/picture.rs"]
pub mod picture;

/// What a line shows of its files: in a page, only its card.
pub mod looks {
    /// Most of a code file a line shows (the desktop's value; a page fetches none).
    pub const CODE_MAX_BYTES: u64 = 16 * 1024;
}

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

/// Starts downloads: shared by the cards' buttons and the page's text of what is said
/// (`web::said`), whose buttons a screen reader reaches.
#[derive(Clone, Default)]
pub struct Downloader {
    /// The session's token, while logged in.
    token: Rc<RefCell<Option<String>>>,
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
    /// Fetches `file` and hands it to the browser; how it ended comes back as news.
    /// `from` is the box of the lines that showed it, where how it ended is told.
    pub fn start(&self, file: &Attachment, from: Target) {
        let token = self.token.borrow().clone();
        let (done, waker) = (Rc::clone(&self.done), self.waker.borrow().clone());
        let (id, name, mime) = (file.id.clone(), file.name.clone(), file.mime.clone());
        wasm_bindgen_futures::spawn_local(async move {
            let outcome = match token {
                Some(token) => fetch_and_save(&id, &name, &mime, &token).await,
                None => Err(JsValue::from_str("not logged in")),
            };
            let saved = match outcome {
                Ok(()) => Saved::To(PathBuf::from(&name)),
                Err(e) => {
                    tracing::warn!("download of {name} failed: {e:?}");
                    Saved::Failed(PathBuf::from(&name))
                }
            };
            done.borrow_mut().push(News::Saved(from, saved));
            if let Some(wake) = waker {
                wake();
            }
        });
    }
}

/// `GET /files/{id}` on the page's own server with the token, then a download of the bytes
/// under the file's name and type.
async fn fetch_and_save(id: &str, name: &str, mime: &str, token: &str) -> Result<(), JsValue> {
    let headers = web_sys::Headers::new()?;
    headers.set("Authorization", &format!("Bearer {token}"))?;
    let init = web_sys::RequestInit::new();
    init.set_method("GET");
    init.set_headers(&headers);
    let id: String = id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    let request = web_sys::Request::new_with_str_and_init(&format!("/files/{id}"), &init)?;
    let window = web_sys::window().ok_or("no window")?;
    let response: web_sys::Response = JsFuture::from(window.fetch_with_request(&request))
        .await?
        .dyn_into()?;
    if !response.ok() {
        return Err(JsValue::from_str(&format!(
            "the server answered {}",
            response.status()
        )));
    }
    let buffer = JsFuture::from(response.array_buffer()?).await?;
    let bytes = js_sys::Uint8Array::new(&buffer);
    crate::save::download_bytes(name, mime, &bytes)
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
    /// What the uploads reported since the last frame.
    reports: Rc<RefCell<Vec<(TransferId, Report)>>>,
    /// How to stop each upload under way.
    cancels: std::collections::HashMap<TransferId, Rc<uploads::Cancel>>,
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
            reports: Rc::default(),
            cancels: std::collections::HashMap::new(),
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

    /// What happened since the last frame: files chosen are attached and sent, what uploads
    /// and downloads reported is applied; returns what the app must do.
    pub fn update(&mut self, ctx: &egui::Context, room: Option<&str>) -> Vec<News> {
        // The input exists from the start: a script (the browser test) may choose through it.
        self.chooser();
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
            let cancel = Rc::new(uploads::Cancel::default());
            self.cancels.insert(id, Rc::clone(&cancel));
            let (reports, waker) = (
                Rc::clone(&self.reports),
                self.downloader.waker.borrow().clone(),
            );
            // Waits and how it ended, for the next frame.
            let tell = move |report| {
                reports.borrow_mut().push((id, report));
                if let Some(wake) = &waker {
                    wake();
                }
            };
            wasm_bindgen_futures::spawn_local(async move {
                let report = match token {
                    Some(token) => match uploads::upload(file, token, cancel, &tell).await {
                        Ok(attachment) => Report::Uploaded(attachment),
                        Err(problem) => Report::Failed(problem),
                    },
                    None => Report::Failed(chat_model::transfers::Problem::Unreadable),
                };
                tell(report);
            });
        }
        for (id, report) in std::mem::take(&mut *self.reports.borrow_mut()) {
            self.dirty = true;
            if matches!(report, Report::Uploaded(_) | Report::Failed(_)) {
                self.cancels.remove(&id);
            }
            self.transfers.report(id, report);
        }
        for ready in self.transfers.take_ready(room) {
            self.dirty = true;
            news.push(News::Ready(ready));
        }
        if std::mem::take(&mut self.dirty) {
            put_shelf(
                ctx,
                std::sync::Arc::new(Shelf {
                    uploads: self.transfers.uploads().to_vec(),
                    waiting: self.transfers.waiting_targets(),
                    ..Shelf::default()
                }),
            );
        }
        news
    }

    /// What starts downloads, for the page's text of what is said.
    pub fn downloader(&self) -> Downloader {
        self.downloader.clone()
    }

    /// Downloads, the file dialog, cancelling an attachment; the rest is not done in a page.
    pub fn apply(&mut self, intent: FileIntent, _t: &crate::i18n::Texts) -> Vec<News> {
        self.dirty = true;
        match intent {
            FileIntent::Download(file, from) => self.downloader.start(&file, from),
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
            other => tracing::debug!(?other, "not done in a page"),
        }
        Vec::new()
    }
}
