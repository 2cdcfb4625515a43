//! Files in a browser: a line's files show as cards with their name and size
//! (`ui::files::attachments`), and **Download** fetches one with the session's token and hands
//! it to the browser, which saves it where it saves downloads. A page has no attach button yet
//! and takes no drop or paste (`ui::input`, `app::files`), and fetches no previews. What the
//! app and the windows use of the desktop's module (`src/files`) stands here under the same
//! names.

use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;

use chat_core::client::Waker;
use chat_core::protocol::Attachment;
use chat_model::composer::Target;
use chat_model::transfers::{Ready, Transfers};
use wasm_bindgen::JsCast as _;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

use crate::save::Saved;
use crate::ui::files::FileIntent;

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
    /// How saving a copy of a picture ended.
    Saved(Saved),
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
    pub fn start(&self, file: &Attachment) {
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
            done.borrow_mut().push(News::Saved(saved));
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

/// The files' side of the page: downloads only.
#[derive(Debug)]
pub struct Files {
    /// Always empty: a page attaches nothing.
    pub transfers: Transfers,
    downloader: Downloader,
}

impl Files {
    /// No files yet.
    pub fn new(_folders: Folders) -> Files {
        Files {
            transfers: Transfers::default(),
            downloader: Downloader::default(),
        }
    }

    /// Wakes the window when a download ends.
    pub fn set_waker(&mut self, waker: Waker) {
        *self.downloader.waker.borrow_mut() = Some(waker);
    }

    /// The session's token (`None` while logged out: downloads are refused).
    pub fn set_token(&self, token: Option<String>) {
        *self.downloader.token.borrow_mut() = token;
    }

    /// How the downloads that ended since the last frame did.
    pub fn take_news(&mut self) -> Vec<News> {
        std::mem::take(&mut *self.downloader.done.borrow_mut())
    }

    /// What starts downloads, for the page's text of what is said.
    pub fn downloader(&self) -> Downloader {
        self.downloader.clone()
    }

    /// A download starts; anything else is not done in a page.
    pub fn apply(&mut self, intent: FileIntent, _t: &crate::i18n::Texts) -> Vec<News> {
        match intent {
            FileIntent::Download(file) => self.downloader.start(&file),
            other => tracing::debug!(?other, "not done in a page"),
        }
        Vec::new()
    }
}
