//! What a line shows of its files in a page, as the desktop shows it: a picture's preview, the
//! head of a code file, and the whole picture for the viewer. Each is fetched with the
//! session's token (on the page's own server: `requests`) and decoded here, in WebAssembly, within
//! the desktop's limits (`files::picture`: a bomb is a placeholder, never a page out of memory).
//! A page has one thread: what is decoded is small (a preview is at most 64 KiB), except the
//! picture a click opens, whose decoding the page waits for as the desktop's viewer does.

use std::io::Cursor;

use std::cell::RefCell;

use crate::files::picture;
use crate::ui::files::code;
use crate::web::requests::{self, Failure};

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

/// `GET path` with `token` (and a `Range`): the body, or why not (a failure that may pass is
/// `Failure::Temporary`: asked again later).
async fn get(path: &str, token: &str, range: Option<String>) -> Result<Vec<u8>, Failure> {
    let headers: Vec<(&str, String)> = range.into_iter().map(|r| ("Range", r)).collect();
    let in_flight = RefCell::default();
    let fetched = requests::request("GET", path, token, &headers, None, &in_flight, |_| {});
    Ok(fetched.await?.body)
}

/// Fetches and decodes file `id`'s preview.
pub async fn preview(id: String, token: String) -> Looked {
    let path = format!("/files/{}/preview", requests::clean_id(&id));
    match get(&path, &token, None).await {
        Ok(bytes) if bytes.len() <= picture::PREVIEW_MAX_BYTES => Looked::Preview {
            image: picture::decode_preview(&bytes)
                .inspect_err(|e| tracing::info!(file = id, "a preview cannot be shown: {e}"))
                .ok()
                .map(|p| picture::for_screen(&p, picture::PREVIEW_SIDE * 2)),
            file: id,
        },
        Err(Failure::Temporary { .. }) => Looked::Unreachable { file: id },
        _ => Looked::Preview {
            file: id,
            image: None,
        },
    }
}

/// Fetches the head of code file `id` as text.
pub async fn code(id: String, token: String) -> Looked {
    let path = format!("/files/{}", requests::clean_id(&id));
    let range = format!("bytes=0-{}", code::CODE_MAX_BYTES - 1);
    match get(&path, &token, Some(range)).await {
        Ok(mut bytes) => {
            // (A server that ignores the range sends the whole file: its head is kept.)
            bytes.truncate(usize::try_from(code::CODE_MAX_BYTES).unwrap_or(usize::MAX));
            Looked::Code {
                text: code::code_text(&bytes),
                file: id,
            }
        }
        Err(Failure::Temporary { .. }) => Looked::Unreachable { file: id },
        Err(_) => Looked::Code {
            file: id,
            text: None,
        },
    }
}

/// Fetches the whole picture `id` and decodes it for the viewer.
pub async fn full(id: String, token: String) -> Looked {
    let path = format!("/files/{}", requests::clean_id(&id));
    let shown = match get(&path, &token, None).await {
        Ok(bytes) => picture::decode(Cursor::new(&bytes), page_limits())
            .inspect_err(|e| tracing::info!(file = id, "a picture cannot be shown: {e}"))
            .ok()
            .map(|p| (picture::for_screen(&p, VIEWER_SIDE), bytes)),
        Err(_) => None,
    };
    Looked::Full { file: id, shown }
}
