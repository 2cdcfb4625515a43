//! One request to the page's own server (`XMLHttpRequest`: unlike `fetch`, it tells how far
//! the bytes have gone, either way), and what its answer means to a transfer: go on, wait and
//! try again, or stop.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use chat_core::protocol::{Attachment, ErrorCode, Field};
use chat_model::transfers::Problem;
use wasm_bindgen::JsCast as _;
use wasm_bindgen::JsValue;
use wasm_bindgen::prelude::Closure;
use wasm_bindgen_futures::JsFuture;
use web_time::Instant;

/// Longest the bytes of a request may not move before it is given up as lost (as the
/// desktop's connections time out, a little longer: a phone's network can pause).
const STALLED: Duration = Duration::from_secs(30);

/// Why a request got no answer to go on with.
pub(crate) enum Failure {
    /// The connection was lost, or the server asked to wait (`busy`): worth trying again.
    Temporary { busy: bool },
    /// `409`: the upload is elsewhere than the request said, at this offset.
    Moved(Option<u64>),
    /// `404`: the upload (or file) no longer exists.
    Gone,
    /// Cancelled by the user.
    Cancelled,
    /// Refused for good.
    Refused(Problem),
}

impl Failure {
    /// What the user is told of a failure that ends a transfer.
    pub fn problem(self) -> Problem {
        match self {
            Failure::Refused(problem) => problem,
            Failure::Gone => Problem::Refused {
                code: ErrorCode::FileNotFound,
                field: None,
            },
            Failure::Temporary { .. } | Failure::Moved(_) | Failure::Cancelled => internal(),
        }
    }
}

/// What a request answered.
pub(crate) struct Answer {
    /// Its body.
    pub body: Vec<u8>,
    /// Its `Upload-Offset`, if it had one.
    pub offset: Option<u64>,
}

impl Answer {
    /// The body as JSON (`null` when it is none).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_default()
    }
}

/// A file id as it may go in a path: what a server gives is letters, digits, `-` and `_`.
pub(crate) fn clean_id(id: &str) -> String {
    id.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

/// Waits `delay` (the browser's timer: a page has no thread to put to sleep).
pub(crate) async fn sleep(delay: Duration) {
    let ms = i32::try_from(delay.as_millis()).unwrap_or(i32::MAX);
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = JsFuture::from(promise).await;
}

/// `method path` on the page's own server with the session's `token`: `progress` hears of the
/// bytes sent (with a `body`) or received (without); `in_flight` holds the request while it
/// goes, for a cancel to abort. Its answer, or why there is none to go on with.
pub(crate) async fn request(
    method: &str,
    path: &str,
    token: &str,
    headers: &[(&str, String)],
    body: Option<&[u8]>,
    in_flight: &RefCell<Option<web_sys::XmlHttpRequest>>,
    progress: impl Fn(u64) + 'static,
) -> Result<Answer, Failure> {
    let js = |_: JsValue| Failure::Refused(internal());
    let xhr = web_sys::XmlHttpRequest::new().map_err(js)?;
    xhr.open(method, path).map_err(js)?;
    xhr.set_request_header("Authorization", &format!("Bearer {token}"))
        .map_err(js)?;
    for (name, value) in headers {
        xhr.set_request_header(name, value).map_err(js)?;
    }
    xhr.set_response_type(web_sys::XmlHttpRequestResponseType::Arraybuffer);
    // When the bytes last moved, and whether they all went: a request whose bytes stop moving
    // for `STALLED` is given up as lost (a half-open connection after a change of network
    // would otherwise hold it until the system gives up, minutes later). An upload's answer,
    // once its bytes are all sent, is the server's to give.
    let moved = Rc::new(Cell::new(Instant::now()));
    let all_sent = Rc::new(Cell::new(false));
    let on_progress = Closure::<dyn FnMut(web_sys::ProgressEvent)>::new({
        let moved = Rc::clone(&moved);
        move |e: web_sys::ProgressEvent| {
            moved.set(Instant::now());
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            progress(e.loaded() as u64);
        }
    });
    let on_sent = Closure::<dyn FnMut()>::new({
        let all_sent = Rc::clone(&all_sent);
        move || all_sent.set(true)
    });
    if body.is_some() {
        let upload = xhr.upload().map_err(js)?;
        upload.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
        upload.set_onload(Some(on_sent.as_ref().unchecked_ref()));
    } else {
        xhr.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
    }
    let watch = Closure::<dyn FnMut()>::new({
        let xhr = xhr.clone();
        move || {
            if !all_sent.get() && moved.get().elapsed() > STALLED {
                let _ = xhr.abort();
            }
        }
    });
    let window = web_sys::window().ok_or(Failure::Refused(internal()))?;
    let watching = window
        .set_interval_with_callback_and_timeout_and_arguments_0(
            watch.as_ref().unchecked_ref(),
            1_000,
        )
        .map_err(js)?;
    // Settled by its end, whichever it is: an answer, no answer, or aborted.
    let ended = js_sys::Promise::new(&mut |resolve, _| {
        xhr.set_onloadend(Some(&resolve));
    });
    *in_flight.borrow_mut() = Some(xhr.clone());
    let sent = xhr.send_with_opt_u8_array(body);
    if sent.is_ok() {
        let _ = JsFuture::from(ended).await;
    }
    window.clear_interval_with_handle(watching);
    in_flight.borrow_mut().take();
    sent.map_err(js)?;
    drop((on_progress, on_sent, watch));
    // Status 0: no answer came (the connection was lost, or it stalled), or the user aborted
    // it (the caller knows).
    let status = xhr.status().map_err(js)?;
    if status == 0 {
        return Err(Failure::Temporary { busy: false });
    }
    let answer = Answer {
        body: xhr
            .response()
            .ok()
            .filter(|r| r.is_object())
            .map(|r| js_sys::Uint8Array::new(&r).to_vec())
            .unwrap_or_default(),
        offset: xhr
            .get_response_header("Upload-Offset")
            .ok()
            .flatten()
            .and_then(|o| o.trim().parse().ok()),
    };
    answered(method, status, answer)
}

/// What the server's answer to `method` means, from its `status`.
fn answered(method: &str, status: u16, answer: Answer) -> Result<Answer, Failure> {
    match status {
        200..=299 => return Ok(answer),
        // As the desktop's engine: these may pass (`is_temporary` in chat-core's HTTP client).
        408 | 429 | 500 | 502 | 503 | 504 => {
            return Err(Failure::Temporary {
                busy: matches!(status, 429 | 503),
            });
        }
        409 => return Err(Failure::Moved(answer.offset)),
        404 if method != "POST" => return Err(Failure::Gone),
        _ => {}
    }
    let json = answer.json();
    let code = json
        .get("code")
        .and_then(|c| serde_json::from_value::<ErrorCode>(c.clone()).ok())
        .unwrap_or(ErrorCode::Unknown);
    let field = json
        .get("field")
        .and_then(|f| serde_json::from_value::<Field>(f.clone()).ok())
        .filter(|f| *f != Field::Unknown);
    Err(Failure::Refused(Problem::Refused { code, field }))
}

/// The attachment an answer carries.
pub(crate) fn attachment(json: &serde_json::Value) -> Result<Attachment, Problem> {
    serde_json::from_value(json["file"].clone()).map_err(|_| internal())
}

/// What the user is told of a failure the page cannot name.
pub(crate) fn internal() -> Problem {
    Problem::Refused {
        code: ErrorCode::Internal,
        field: None,
    }
}
