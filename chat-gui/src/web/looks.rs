//! What a line shows of its files in a page, as the desktop shows it: a picture's preview, the
//! head of a code file, and the whole picture for the viewer. Each is fetched with the
//! session's token (`fetch`, on the page's own server) and decoded here, in WebAssembly, within
//! the desktop's limits (`files::picture`: a bomb is a placeholder, never a page out of memory).
//! A page has one thread: what is decoded is small (a preview is at most 64 KiB), except the
//! picture a click opens, whose decoding the page waits for as the desktop's viewer does.

use std::io::Cursor;

use wasm_bindgen::JsCast as _;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

use crate::files::picture;
use crate::ui::files::code;

/// What a fetch brought, for the next frame.
pub enum Looked {
    /// A picture's preview, or `None`: it cannot be shown.
    Preview {
        file: String,
        image: Option<egui::ColorImage>,
    },
    /// A code file's head as text, or `None`: not text.
    Code { file: String, text: Option<String> },
    /// The whole picture for the viewer, and its bytes (what its Save keeps), or `None`.
    Full {
        file: String,
        shown: Option<(egui::ColorImage, Vec<u8>)>,
    },
    /// The server was out of reach: asked again later.
    Unreachable { file: String },
}

/// The longest side the viewer's picture is drawn at in a page: a page's memory only grows
/// (16 MiB at this side, a quarter of the desktop's largest).
const VIEWER_SIDE: u32 = 2048;

/// Most a page lets one picture's pixels take while it is decoded (the desktop lets 256 MiB):
/// a 24-megapixel photo fits; a larger one shows its placeholder rather than swell a page
/// whose memory never shrinks (a phone's browser closes such a tab).
const PAGE_DECODE_MAX: u64 = 128 * 1024 * 1024;

/// The desktop's limits for a whole picture, within what a page lets one take.
pub fn page_limits() -> image::Limits {
    let mut limits = picture::picture_limits();
    limits.max_alloc = Some(PAGE_DECODE_MAX);
    limits
}

/// Why a fetch brought nothing.
pub enum Failed {
    /// The server answered no (the file is gone, or not this user's to see).
    Answered(u16),
    /// No answer (the connection was lost), or one that may pass (busy, a timeout, a server
    /// error): asked again later.
    Lost,
}

/// A file id as it may go in a path: what a server gives is letters, digits, `-` and `_`.
pub fn clean_id(id: &str) -> String {
    id.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

/// `GET path` on the page's own server with `token` (and a `Range`): the body.
pub async fn get(path: &str, token: &str, range: Option<&str>) -> Result<Vec<u8>, Failed> {
    let lost = |_: JsValue| Failed::Lost;
    let headers = web_sys::Headers::new().map_err(lost)?;
    headers
        .set("Authorization", &format!("Bearer {token}"))
        .map_err(lost)?;
    if let Some(range) = range {
        headers.set("Range", range).map_err(lost)?;
    }
    let init = web_sys::RequestInit::new();
    init.set_method("GET");
    init.set_headers(&headers);
    let request = web_sys::Request::new_with_str_and_init(path, &init).map_err(lost)?;
    let window = web_sys::window().ok_or(Failed::Lost)?;
    let response: web_sys::Response = JsFuture::from(window.fetch_with_request(&request))
        .await
        .map_err(lost)?
        .dyn_into()
        .map_err(lost)?;
    match response.status() {
        200..=299 => {}
        // As the desktop's client: these may pass (`is_temporary` in chat-core's HTTP client).
        408 | 429 | 500 | 502 | 503 | 504 => return Err(Failed::Lost),
        status => return Err(Failed::Answered(status)),
    }
    let buffer = JsFuture::from(response.array_buffer().map_err(lost)?)
        .await
        .map_err(lost)?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

/// Fetches and decodes file `id`'s preview.
pub async fn preview(id: String, token: String) -> Looked {
    let path = format!("/files/{}/preview", clean_id(&id));
    match get(&path, &token, None).await {
        Ok(bytes) if bytes.len() <= picture::PREVIEW_MAX_BYTES => Looked::Preview {
            image: picture::decode_preview(&bytes)
                .inspect_err(|e| tracing::info!(file = id, "a preview cannot be shown: {e}"))
                .ok()
                .map(|p| picture::for_screen(&p, picture::PREVIEW_SIDE * 2)),
            file: id,
        },
        Ok(_) | Err(Failed::Answered(_)) => Looked::Preview {
            file: id,
            image: None,
        },
        Err(Failed::Lost) => Looked::Unreachable { file: id },
    }
}

/// Fetches the head of code file `id` as text.
pub async fn code(id: String, token: String) -> Looked {
    let path = format!("/files/{}", clean_id(&id));
    let range = format!("bytes=0-{}", code::CODE_MAX_BYTES - 1);
    match get(&path, &token, Some(&range)).await {
        Ok(mut bytes) => {
            // (A server that ignores the range sends the whole file: its head is kept.)
            bytes.truncate(usize::try_from(code::CODE_MAX_BYTES).unwrap_or(usize::MAX));
            Looked::Code {
                text: code::code_text(&bytes),
                file: id,
            }
        }
        Err(Failed::Answered(_)) => Looked::Code {
            file: id,
            text: None,
        },
        Err(Failed::Lost) => Looked::Unreachable { file: id },
    }
}

/// Fetches the whole picture `id` and decodes it for the viewer.
pub async fn full(id: String, token: String) -> Looked {
    let path = format!("/files/{}", clean_id(&id));
    let shown = match get(&path, &token, None).await {
        Ok(bytes) => picture::decode(Cursor::new(&bytes), page_limits())
            .inspect_err(|e| tracing::info!(file = id, "a picture cannot be shown: {e}"))
            .ok()
            .map(|p| (picture::for_screen(&p, VIEWER_SIDE), bytes)),
        Err(_) => None,
    };
    Looked::Full { file: id, shown }
}
