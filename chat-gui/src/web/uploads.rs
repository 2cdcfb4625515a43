//! Attaching in a page: the page's file input (`<input type="file" id="attach-files">`, made
//! here) chooses files; each is read whole, hashed (SHA-256, in WebAssembly: a page served over
//! plain HTTP has no `crypto.subtle`), announced (`POST /uploads`) and sent in one `PATCH`
//! (docs/PROTOCOL.md, *Files*); what the server stored is what the line carries. A cut upload
//! is not resumed: the page sends it again. Cancelled, its request in flight is aborted and
//! the server told (`DELETE /uploads/{id}`), so that its bytes and the quota they hold go now.

use std::cell::RefCell;
use std::rc::Rc;

use chat_core::client::Waker;
use chat_core::files::{percent_encode, sendable_name};
use chat_core::protocol::{Attachment, ErrorCode, Field};
use chat_model::composer::Target;
use chat_model::transfers::Problem;
use sha2::{Digest as _, Sha256};
use wasm_bindgen::JsCast as _;
use wasm_bindgen::JsValue;
use wasm_bindgen::prelude::Closure;
use wasm_bindgen_futures::JsFuture;

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

/// How an upload is stopped from the page: a flag it looks at between its steps, and the
/// request in flight, aborted.
#[derive(Default)]
pub struct Cancel {
    cancelled: std::cell::Cell<bool>,
    request: RefCell<Option<web_sys::AbortController>>,
}

impl Cancel {
    /// Stops the upload: its request in flight ends at once.
    pub fn cancel(&self) {
        self.cancelled.set(true);
        if let Some(request) = self.request.borrow_mut().take() {
            request.abort();
        }
    }

    /// A signal for the next request, which [`Cancel::cancel`] aborts.
    fn signal(&self) -> Option<web_sys::AbortSignal> {
        let controller = web_sys::AbortController::new().ok()?;
        let signal = controller.signal();
        *self.request.borrow_mut() = Some(controller);
        Some(signal)
    }
}

/// Uploads `file` with the session's `token`: what a line carries, or why not. Cancelled
/// through `cancel`, an upload the server began is dropped there at once (one try: the server
/// drops what it is not told of after a day anyway).
pub async fn upload(
    file: web_sys::File,
    token: String,
    cancel: Rc<Cancel>,
) -> Result<Attachment, Problem> {
    let mut begun = None;
    let sent = send(file, &token, &cancel, &mut begun).await;
    if cancel.cancelled.get()
        && let Some(id) = begun
    {
        let _ = request("DELETE", &format!("/uploads/{id}"), &token, &[], None, None).await;
    }
    sent
}

/// Reads, hashes, announces and sends `file`; `begun` is the upload's id once the server
/// has it.
async fn send(
    file: web_sys::File,
    token: &str,
    cancel: &Cancel,
    begun: &mut Option<String>,
) -> Result<Attachment, Problem> {
    let buffer = JsFuture::from(file.array_buffer())
        .await
        .map_err(|_| Problem::Unreadable)?;
    let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
    let sha256: String = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let mime = Some(file.type_()).filter(|t| !t.is_empty());
    let announce = [
        ("Upload-Name", percent_encode(&sendable_name(&file.name()))),
        (
            "Upload-Type",
            mime.unwrap_or_else(|| "application/octet-stream".into()),
        ),
        ("Upload-Length", bytes.len().to_string()),
        ("Upload-Sha256", sha256),
    ];
    if cancel.cancelled.get() {
        return Err(internal());
    }
    let signal = cancel.signal();
    let answer = request("POST", "/uploads", token, &announce, None, signal.as_ref()).await?;
    if answer.get("file").is_some() {
        return attachment(&answer);
    }
    let id: String = answer
        .get("upload")
        .and_then(|u| u.as_str())
        .ok_or_else(internal)?
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    *begun = Some(id.clone());
    if cancel.cancelled.get() {
        return Err(internal());
    }
    let signal = cancel.signal();
    let sent = request(
        "PATCH",
        &format!("/uploads/{id}"),
        token,
        &[("Upload-Offset", "0".into())],
        Some(&bytes),
        signal.as_ref(),
    )
    .await?;
    attachment(&sent)
}

/// One request to the page's own server; its JSON answer, or the refusal it says.
async fn request(
    method: &str,
    path: &str,
    token: &str,
    headers: &[(&str, String)],
    body: Option<&[u8]>,
    signal: Option<&web_sys::AbortSignal>,
) -> Result<serde_json::Value, Problem> {
    let js = |_: JsValue| internal();
    let sent = web_sys::Headers::new().map_err(js)?;
    sent.set("Authorization", &format!("Bearer {token}"))
        .map_err(js)?;
    for (name, value) in headers {
        sent.set(name, value).map_err(js)?;
    }
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    init.set_headers(&sent);
    if let Some(body) = body {
        init.set_body(&js_sys::Uint8Array::from(body));
    }
    init.set_signal(signal);
    let request = web_sys::Request::new_with_str_and_init(path, &init).map_err(js)?;
    let window = web_sys::window().ok_or_else(internal)?;
    let response: web_sys::Response = JsFuture::from(window.fetch_with_request(&request))
        .await
        .map_err(js)?
        .dyn_into()
        .map_err(js)?;
    let text = JsFuture::from(response.text().map_err(js)?)
        .await
        .map_err(js)?
        .as_string()
        .unwrap_or_default();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    if response.ok() {
        return Ok(json);
    }
    let code = json
        .get("code")
        .and_then(|c| serde_json::from_value::<ErrorCode>(c.clone()).ok())
        .unwrap_or(ErrorCode::Unknown);
    let field = json
        .get("field")
        .and_then(|f| serde_json::from_value::<Field>(f.clone()).ok())
        .filter(|f| *f != Field::Unknown);
    Err(Problem::Refused { code, field })
}

fn attachment(json: &serde_json::Value) -> Result<Attachment, Problem> {
    serde_json::from_value(json["file"].clone()).map_err(|_| internal())
}

fn internal() -> Problem {
    Problem::Refused {
        code: ErrorCode::Internal,
        field: None,
    }
}
