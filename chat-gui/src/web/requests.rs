//! One request to the page's own server for an upload (`fetch`, or `XMLHttpRequest` where the
//! bytes go and their progress is wanted: `fetch` tells nothing until the answer), and what
//! its answer means to the upload: go on, wait and try again, or stop.

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

/// Longest the bytes of an upload may not move before the request is given up as lost (as
/// the desktop's connections time out, a little longer: a phone's network can pause).
const STALLED: Duration = Duration::from_secs(30);

/// Why a request got no answer to go on with.
pub(crate) enum Failure {
    /// The connection was lost, or the server asked to wait (`busy`): worth trying again.
    Temporary { busy: bool },
    /// `409`: the upload is elsewhere than the request said, at this offset.
    Moved(Option<u64>),
    /// `404`: the upload no longer exists (it lapsed, or ended).
    Gone,
    /// Cancelled by the user.
    Cancelled,
    /// Refused for good.
    Refused(Problem),
}

/// What a request answered.
pub(crate) struct Answer {
    pub json: serde_json::Value,
    /// Its `Upload-Offset`, if it had one.
    pub offset: Option<u64>,
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

/// One request to the page's own server; its JSON answer and offset, or why not.
pub(crate) async fn request(
    method: &str,
    path: &str,
    token: &str,
    headers: &[(&str, String)],
    body: Option<&[u8]>,
    signal: Option<&web_sys::AbortSignal>,
) -> Result<Answer, Failure> {
    let js = |_: JsValue| Failure::Refused(internal());
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
    let window = web_sys::window().ok_or(Failure::Refused(internal()))?;
    // A request that gets no answer (the connection lost, the server gone) rejects, as does
    // one aborted by a cancel.
    let lost = |_: JsValue| match signal {
        Some(signal) if signal.aborted() => Failure::Cancelled,
        _ => Failure::Temporary { busy: false },
    };
    let response: web_sys::Response = JsFuture::from(window.fetch_with_request(&request))
        .await
        .map_err(lost)?
        .dyn_into()
        .map_err(js)?;
    let offset = response.headers().get("Upload-Offset").ok().flatten();
    let text = JsFuture::from(response.text().map_err(js)?)
        .await
        .map_err(lost)?
        .as_string()
        .unwrap_or_default();
    answered(method, response.status(), &text, offset.as_deref())
}

/// `PATCH path` with `body` through `XMLHttpRequest`, whose upload tells each step of the
/// bytes sent to `progress`; `in_flight` holds it while it goes, for a cancel to abort.
pub(crate) async fn patch(
    path: &str,
    token: &str,
    headers: &[(&str, String)],
    body: &[u8],
    in_flight: &RefCell<Option<web_sys::XmlHttpRequest>>,
    progress: impl Fn(u64) + 'static,
) -> Result<Answer, Failure> {
    let xhr = exchange(
        "PATCH",
        path,
        token,
        headers,
        Some(body),
        in_flight,
        progress,
    )
    .await?;
    let text = xhr.response_text().ok().flatten().unwrap_or_default();
    let offset = xhr.get_response_header("Upload-Offset").ok().flatten();
    let status = xhr.status().map_err(|_| Failure::Refused(internal()))?;
    answered("PATCH", status, &text, offset.as_deref())
}

/// `GET path` through `XMLHttpRequest`, telling each step of the bytes received to
/// `progress`: the body, or why not.
pub(crate) async fn get_bytes(
    path: &str,
    token: &str,
    in_flight: &RefCell<Option<web_sys::XmlHttpRequest>>,
    progress: impl Fn(u64) + 'static,
) -> Result<Vec<u8>, Failure> {
    let xhr = exchange("GET", path, token, &[], None, in_flight, progress).await?;
    let status = xhr.status().map_err(|_| Failure::Refused(internal()))?;
    if (200..300).contains(&status) {
        let body = xhr
            .response()
            .map_err(|_| Failure::Temporary { busy: false })?;
        return Ok(js_sys::Uint8Array::new(&body).to_vec());
    }
    // (An error's body is not read: it came as bytes.)
    answered("GET", status, "", None).map(|_| Vec::new())
}

/// One request through `XMLHttpRequest`: `progress` hears of the bytes sent (with a `body`)
/// or received (without); the request, ended with an answer, or why there was none.
async fn exchange(
    method: &str,
    path: &str,
    token: &str,
    headers: &[(&str, String)],
    body: Option<&[u8]>,
    in_flight: &RefCell<Option<web_sys::XmlHttpRequest>>,
    progress: impl Fn(u64) + 'static,
) -> Result<web_sys::XmlHttpRequest, Failure> {
    let js = |_: JsValue| Failure::Refused(internal());
    let xhr = web_sys::XmlHttpRequest::new().map_err(js)?;
    xhr.open(method, path).map_err(js)?;
    xhr.set_request_header("Authorization", &format!("Bearer {token}"))
        .map_err(js)?;
    for (name, value) in headers {
        xhr.set_request_header(name, value).map_err(js)?;
    }
    if body.is_none() {
        xhr.set_response_type(web_sys::XmlHttpRequestResponseType::Arraybuffer);
    }
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
    match xhr.status().map_err(js)? {
        0 => Err(Failure::Temporary { busy: false }),
        _ => Ok(xhr),
    }
}

/// What the server's answer to `method` means: its `status`, its body `text` (JSON), its
/// `Upload-Offset`.
fn answered(
    method: &str,
    status: u16,
    text: &str,
    offset: Option<&str>,
) -> Result<Answer, Failure> {
    let offset = offset.and_then(|o| o.trim().parse().ok());
    let json: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
    match status {
        200..=299 => return Ok(Answer { json, offset }),
        // As the desktop's engine: these may pass (`is_temporary` in chat-core's HTTP client).
        408 | 429 | 500 | 502 | 503 | 504 => {
            return Err(Failure::Temporary {
                busy: matches!(status, 429 | 503),
            });
        }
        409 => return Err(Failure::Moved(offset)),
        404 if method != "POST" => return Err(Failure::Gone),
        _ => {}
    }
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
