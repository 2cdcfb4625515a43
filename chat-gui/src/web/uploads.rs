//! Attaching in a page: the page's file input (`<input type="file" id="attach-files">`, made
//! here) chooses files; each is read whole, hashed (SHA-256, in WebAssembly: a page served over
//! plain HTTP has no `crypto.subtle`), announced (`POST /uploads`) and sent in one `PATCH`
//! (docs/PROTOCOL.md, *Files*); what the server stored is what the line carries. A lost
//! connection or a busy server is waited out as the desktop's engine does (backoff from 1 s to
//! 30 s): the page asks where the server's copy ends (`HEAD`) and sends the rest. Cancelled, its request in flight is aborted and
//! the server told (`DELETE /uploads/{id}`), so that its bytes and the quota they hold go now.

use std::cell::RefCell;
use std::rc::Rc;

use chat_core::client::Waker;
use std::io::Cursor;

use chat_core::files::{percent_encode, sendable_name};
use chat_core::protocol::{Attachment, ErrorCode};
use chat_model::backoff::Backoff;
use chat_model::composer::Target;
use chat_model::transfers::{Problem, Report};
use sha2::{Digest as _, Sha256};
use std::time::Duration;
use wasm_bindgen::JsCast as _;
use wasm_bindgen::prelude::Closure;
use wasm_bindgen_futures::JsFuture;
use web_time::Instant;

use super::requests::{Failure, attachment, clean_id, internal, request, sleep};
use crate::files::{metadata, picture};

/// The id of the page's file input.
pub const INPUT_ID: &str = "attach-files";

/// A file chosen for a message box.
pub struct Picked {
    pub target: Target,
    pub file: web_sys::File,
}

/// The page's file input, and where what it chooses goes.
pub struct Chooser {
    input: web_sys::HtmlInputElement,
    /// The box the next choice is for.
    target: Rc<RefCell<Target>>,
    _on_change: Closure<dyn FnMut(web_sys::Event)>,
}

impl Chooser {
    /// Adds the (hidden) input to the page; each choice goes to `picked`, then `waker` wakes
    /// the window. `None` in a page without a document.
    pub fn new(
        picked: Rc<RefCell<Vec<Picked>>>,
        waker: Rc<RefCell<Option<Waker>>>,
    ) -> Option<Self> {
        let document = web_sys::window()?.document()?;
        let input: web_sys::HtmlInputElement =
            document.create_element("input").ok()?.dyn_into().ok()?;
        input.set_type("file");
        input.set_multiple(true);
        input.set_id(INPUT_ID);
        input.set_hidden(true);
        let target = Rc::new(RefCell::new(Target::Room));
        let (for_change, chosen_for) = (input.clone(), Rc::clone(&target));
        let on_change = Closure::<dyn FnMut(web_sys::Event)>::new(move |_: web_sys::Event| {
            if let Some(files) = for_change.files() {
                let target = chosen_for.borrow().clone();
                for i in 0..files.length() {
                    if let Some(file) = files.item(i) {
                        picked.borrow_mut().push(Picked {
                            target: target.clone(),
                            file,
                        });
                    }
                }
            }
            // The same file chosen again is a change again.
            for_change.set_value("");
            if let Some(wake) = waker.borrow().as_ref() {
                wake();
            }
        });
        input.set_onchange(Some(on_change.as_ref().unchecked_ref()));
        document.body()?.append_child(&input).ok()?;
        Some(Chooser {
            input,
            target,
            _on_change: on_change,
        })
    }

    /// Opens the browser's file dialog for `target`'s box.
    pub fn choose(&self, target: Target) {
        *self.target.borrow_mut() = target;
        self.input.click();
    }
}

/// Files pasted into the page (a screenshot copied, then Ctrl+V): the browser gives them as
/// the paste's files, which egui does not read (it takes the text).
pub struct Paster {
    _on_paste: Closure<dyn FnMut(web_sys::ClipboardEvent)>,
}

impl Paster {
    /// Listens to the page's pastes; each file pasted goes to `pasted`, then `waker` wakes the
    /// window. `None` in a page without a document.
    pub fn new(
        pasted: Rc<RefCell<Vec<web_sys::File>>>,
        waker: Rc<RefCell<Option<Waker>>>,
    ) -> Option<Self> {
        let document = web_sys::window()?.document()?;
        let on_paste = Closure::<dyn FnMut(web_sys::ClipboardEvent)>::new(
            move |e: web_sys::ClipboardEvent| {
                let Some(files) = e.clipboard_data().and_then(|data| data.files()) else {
                    return;
                };
                let files: Vec<web_sys::File> =
                    (0..files.length()).filter_map(|i| files.item(i)).collect();
                if files.is_empty() {
                    return;
                }
                pasted.borrow_mut().extend(files);
                if let Some(wake) = waker.borrow().as_ref() {
                    wake();
                }
            },
        );
        document
            .add_event_listener_with_callback("paste", on_paste.as_ref().unchecked_ref())
            .ok()?;
        Some(Paster {
            _on_paste: on_paste,
        })
    }
}

/// How an upload (or a download) is stopped from the page: a flag it looks at between its
/// steps, and the request in flight, aborted.
#[derive(Default)]
pub struct Cancel {
    cancelled: std::cell::Cell<bool>,
    /// The request under way, while it goes.
    in_flight: RefCell<Option<web_sys::XmlHttpRequest>>,
}

impl Cancel {
    /// Stops the transfer: its request in flight ends at once.
    pub fn cancel(&self) {
        self.cancelled.set(true);
        if let Some(request) = self.in_flight.borrow_mut().take() {
            let _ = request.abort();
        }
    }

    /// Whether the user cancelled.
    pub fn cancelled(&self) -> bool {
        self.cancelled.get()
    }

    /// Where the request under way is held while it goes, for a cancel to abort.
    pub fn in_flight(&self) -> &RefCell<Option<web_sys::XmlHttpRequest>> {
        &self.in_flight
    }
}

/// How many times an upload is announced, as the desktop's engine: again after it vanished.
const MAX_STARTS: u32 = 3;

/// The largest file a page reads: it holds a file whole in its memory, which only grows (the
/// server's own limit, 25 MiB by default, is told by its refusal once the file is read).
const PAGE_MAX_BYTES: f64 = 512.0 * 1024.0 * 1024.0;

/// How long the page waits before trying again, at first and at most: as the desktop's engine.
const RETRY_FIRST: Duration = Duration::from_secs(1);
const RETRY_MAX: Duration = Duration::from_secs(30);

/// Uploads `file` with the session's `token`: what a line carries, or why not. A lost
/// connection or a busy server (`429`, `503`) is waited out and the upload goes on from where
/// the server's copy ends; the bytes sent and each wait are told through `tell`. Cancelled through `cancel`, an
/// upload the server began is dropped there at once (one try: the server drops what it is not
/// told of after a day anyway).
pub async fn upload(
    file: web_sys::File,
    token: String,
    cancel: Rc<Cancel>,
    tell: Rc<dyn Fn(Report)>,
) -> Result<Attachment, Problem> {
    let mut begun = None;
    let sent = send(file, &token, &cancel, tell, &mut begun).await;
    if cancel.cancelled.get()
        && let Some(id) = begun
    {
        let path = format!("/uploads/{id}");
        let _ = request(
            "DELETE",
            &path,
            &token,
            &[],
            None,
            &RefCell::default(),
            |_| {},
        )
        .await;
    }
    sent
}

/// The waits between tries, and what the window is told of them.
struct Retry<'a> {
    backoff: Backoff,
    cancel: &'a Cancel,
    tell: Rc<dyn Fn(Report)>,
}

impl Retry<'_> {
    /// Waits out a temporary failure, telling the window when the next try is; `Err` if the
    /// user cancelled meanwhile.
    async fn wait(&mut self, busy: bool) -> Result<(), Problem> {
        let delay = self.backoff.next_delay();
        (self.tell)(Report::Retrying {
            at: Instant::now() + delay,
            attempt: self.backoff.failures(),
            busy,
        });
        let until = Instant::now() + delay;
        while Instant::now() < until {
            if self.cancel.cancelled.get() {
                return Err(internal());
            }
            sleep(
                until
                    .saturating_duration_since(Instant::now())
                    .min(Duration::from_millis(250)),
            )
            .await;
        }
        Ok(())
    }

    /// After a success: if tries had failed, the window is told it goes on.
    fn went(&mut self) {
        if self.backoff.failures() > 0 {
            (self.tell)(Report::Resumed);
            self.backoff.reset();
        }
    }
}

/// What is sent of a chosen file: its bytes (a photo's without where it was taken), its
/// media type, and for a picture its size in pixels and a small preview.
struct Prepared {
    bytes: Vec<u8>,
    mime: String,
    dimensions: Option<(u32, u32)>,
    preview: Option<Vec<u8>>,
}

/// Prepares `original` as the desktop does (`files::prepare`): a photo's metadata left out
/// (drawn again from its pixels if it cannot be told apart; not sent if it cannot be decoded
/// either, since where it was taken may be in it), a picture measured and its preview made.
/// The page waits while a picture is decoded: it has one thread.
fn prepare(name: &str, original: Vec<u8>) -> Result<Prepared, Problem> {
    let head = |bytes: &[u8]| bytes[..bytes.len().min(64)].to_vec();
    let bytes = match metadata::Kind::of(&head(&original)) {
        Some(kind) => {
            let mut clean = Vec::with_capacity(original.len());
            match metadata::strip(kind, &mut Cursor::new(&original), &mut clean) {
                Ok(()) => clean,
                Err(e) => {
                    tracing::info!("metadata not removed ({e}): the picture is made again");
                    let picture =
                        picture::decode(Cursor::new(&original), super::looks::page_limits())
                            .map_err(|_| Problem::Unreadable)?;
                    let mut png = Cursor::new(Vec::new());
                    picture
                        .write_to(&mut png, image::ImageFormat::Png)
                        .map_err(|_| Problem::Unreadable)?;
                    png.into_inner()
                }
            }
        }
        None => original,
    };
    let mime = picture::media_type(name, &head(&bytes));
    let (dimensions, preview) = picture::measured(name, &mime, || {
        picture::decode(Cursor::new(&bytes), super::looks::page_limits())
            .map(|p| picture::measure(&p))
    });
    Ok(Prepared {
        bytes,
        mime,
        dimensions,
        preview,
    })
}

/// Reads, prepares, hashes, announces and sends `file`, then its preview; `begun` is the
/// upload's id once the server has it.
async fn send(
    file: web_sys::File,
    token: &str,
    cancel: &Cancel,
    tell: Rc<dyn Fn(Report)>,
    begun: &mut Option<String>,
) -> Result<Attachment, Problem> {
    if file.size() > PAGE_MAX_BYTES {
        return Err(Problem::Refused {
            code: ErrorCode::FileTooLarge,
            field: Some(chat_core::protocol::Field::Size),
        });
    }
    let buffer = JsFuture::from(file.array_buffer())
        .await
        .map_err(|_| Problem::Unreadable)?;
    let name = sendable_name(&file.name());
    let prepared = prepare(&name, js_sys::Uint8Array::new(&buffer).to_vec())?;
    // What goes, not what was chosen (a photo without its metadata, one drawn again).
    tell(Report::Size(prepared.bytes.len() as u64));
    let sha256: String = Sha256::digest(&prepared.bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let mut announce = vec![
        ("Upload-Name", percent_encode(&name)),
        ("Upload-Type", prepared.mime.clone()),
        ("Upload-Length", prepared.bytes.len().to_string()),
        ("Upload-Sha256", sha256),
    ];
    if let Some((width, height)) = prepared.dimensions {
        announce.push(("Upload-Width", width.to_string()));
        announce.push(("Upload-Height", height.to_string()));
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let seed = (js_sys::Math::random() * u64::MAX as f64) as u64;
    let mut retry = Retry {
        backoff: Backoff::with_seed(RETRY_FIRST, RETRY_MAX, seed),
        cancel,
        tell,
    };
    let mut attachment = send_bytes(token, &mut retry, &announce, &prepared.bytes, begun).await?;
    // The file is stored; without its preview it shows as a card.
    if let Some(preview) = &prepared.preview {
        let path = format!("/files/{}/preview", attachment.id);
        loop {
            let put = request(
                "PUT",
                &path,
                token,
                &[],
                Some(preview),
                cancel.in_flight(),
                |_| {},
            );
            match put.await {
                Ok(_) => {
                    attachment.preview = true;
                    break;
                }
                Err(Failure::Temporary { busy }) => retry.wait(busy).await?,
                Err(Failure::Cancelled) => return Err(internal()),
                Err(_) => {
                    tracing::info!("a preview was refused");
                    break;
                }
            }
        }
    }
    retry.went();
    Ok(attachment)
}

/// Announces the file and sends its `bytes` until the server has them all, waiting out
/// what may pass.
async fn send_bytes(
    token: &str,
    retry: &mut Retry<'_>,
    announce: &[(&str, String)],
    bytes: &[u8],
    begun: &mut Option<String>,
) -> Result<Attachment, Problem> {
    let cancel = retry.cancel;
    // Each turn announces the file; the inner loop sends its bytes until they are all there.
    // An upload that vanishes (it lapsed while the page waited) is announced again, as many
    // times as the desktop's engine does; more is the server's doing, and ends it.
    for _ in 0..MAX_STARTS {
        let id = loop {
            match begin(token, cancel, announce).await {
                Ok(Begun::Stored(attachment)) => {
                    retry.went();
                    return Ok(attachment);
                }
                Ok(Begun::Upload(id)) => break id,
                Err(Failure::Temporary { busy }) => retry.wait(busy).await?,
                Err(failure) => return Err(failure.problem()),
            }
        };
        retry.went();
        *begun = Some(id.clone());
        let path = format!("/uploads/{id}");
        let mut offset = Some(0);
        loop {
            if cancel.cancelled.get() {
                return Err(internal());
            }
            // After a failure, where the server's copy ends is asked first (again after a
            // wait, for as long as the server is out of reach or busy).
            let Some(from) = offset else {
                let head = request("HEAD", &path, token, &[], None, cancel.in_flight(), |_| {});
                match head.await {
                    Ok(answer) => {
                        offset = Some(answer.offset.ok_or_else(internal)?);
                        retry.went();
                    }
                    Err(Failure::Temporary { busy }) => retry.wait(busy).await?,
                    Err(Failure::Gone) => break,
                    Err(failure) => return Err(failure.problem()),
                }
                continue;
            };
            let rest = usize::try_from(from)
                .ok()
                .and_then(|from| bytes.get(from..))
                .ok_or_else(internal)?;
            let tell = Rc::clone(&retry.tell);
            let sent = request(
                "PATCH",
                &path,
                token,
                &[("Upload-Offset", from.to_string())],
                Some(rest),
                cancel.in_flight(),
                move |n| tell(Report::Progress(from + n)),
            )
            .await;
            match sent {
                _ if cancel.cancelled.get() => return Err(internal()),
                Ok(answer) if answer.json().get("file").is_some() => {
                    retry.went();
                    return attachment(&answer.json());
                }
                // Not the last bytes (a `204` carries the offset reached): the rest follows.
                Ok(answer) => {
                    offset = answer.offset;
                    retry.went();
                }
                Err(Failure::Moved(at)) => offset = at,
                Err(Failure::Temporary { busy }) => {
                    offset = None;
                    retry.wait(busy).await?;
                }
                // The upload lapsed while the page waited: the file is announced again.
                Err(Failure::Gone) => break,
                Err(failure) => return Err(failure.problem()),
            }
        }
        *begun = None;
    }
    Err(Failure::Gone.problem())
}

/// What announcing a file answered.
enum Begun {
    /// An upload to send the bytes to.
    Upload(String),
    /// The file is stored already (an empty one).
    Stored(Attachment),
}

/// `POST /uploads`: announces the file.
async fn begin(
    token: &str,
    cancel: &Cancel,
    announce: &[(&str, String)],
) -> Result<Begun, Failure> {
    if cancel.cancelled.get() {
        return Err(Failure::Cancelled);
    }
    // Not aborted by a cancel: the server may have begun the upload, and only its answer
    // names it for the `DELETE` that follows.
    let unabortable = RefCell::default();
    let posted = request(
        "POST",
        "/uploads",
        token,
        announce,
        None,
        &unabortable,
        |_| {},
    );
    let answer = posted.await?.json();
    if answer.get("file").is_some() {
        return attachment(&answer)
            .map(Begun::Stored)
            .map_err(Failure::Refused);
    }
    let id = answer
        .get("upload")
        .and_then(|u| u.as_str())
        .ok_or(Failure::Refused(internal()))?;
    Ok(Begun::Upload(clean_id(id)))
}
