//! What a line shows of its files before anyone downloads them: pictures' previews and the
//! heads of code files, fetched one at a time by one thread (they are small, and a room full
//! of pictures must not open a connection each), decoded or read as text there, and handed to
//! the window as [`PictureNews`].

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chat_core::client::Waker;
use chat_core::http::{self, FileServer, HttpConnection, HttpError};
use chat_core::protocol::Attachment;
use crossbeam_channel::{Receiver, Sender};

use super::picture;
use crate::ui::files::code;

/// Longest wait for the server on one read or write.
pub(super) const HTTP_TIMEOUT: Duration = Duration::from_secs(20);

/// A picture decoded for the screen, or a code file's text, or why not.
#[derive(Debug)]
pub enum PictureNews {
    /// The head of a code file (a line's code), as text.
    Code {
        /// The file's id.
        file: String,
        /// Its first [`CODE_MAX_BYTES`](crate::ui::files::code::CODE_MAX_BYTES) as text, or `None`: not text (or not fetched).
        text: Option<String>,
    },
    /// The preview of a file (a line's picture).
    Preview {
        /// The file's id.
        file: String,
        /// The picture, or `None`: it cannot be shown (undecodable, absurd dimensions).
        image: Option<egui::ColorImage>,
    },
    /// The server could not be reached for a file's preview or head (a network blip, logged
    /// out): neither shown nor refused; asked again a while later.
    Unreachable {
        /// The file's id.
        file: String,
    },
    /// A whole picture, for the viewer.
    Full {
        /// The file's id.
        file: String,
        /// The picture (scaled to fit the screen), or `None`.
        image: Option<egui::ColorImage>,
    },
}

pub(super) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Tries of a preview before its placeholder shows.
const PREVIEW_TRIES: u32 = 3;

/// What the previews' thread fetches.
#[derive(Debug, Clone)]
pub(super) enum Look {
    /// A picture's preview.
    Preview(Attachment),
    /// The head of a code file.
    Code(Attachment),
}

/// The previews' thread: fetches and decodes previews, and heads of code files, one at a time.
pub(super) fn run(
    queue: &Receiver<Look>,
    news: &Sender<PictureNews>,
    server: &Arc<Mutex<Option<FileServer>>>,
    waker: Option<&Waker>,
) {
    let mut conn: Option<HttpConnection> = None;
    while let Ok(look) = queue.recv() {
        let file = match &look {
            Look::Preview(file) | Look::Code(file) => file.clone(),
        };
        let mut fetched_bytes = None;
        // Whether the server answered at all (a refusal is an answer; a lost connection not).
        let mut answered = false;
        for attempt in 0..PREVIEW_TRIES {
            let Some(server) = lock(server).clone() else {
                // (Logged out: not an answer either.)
                answered = false;
                std::thread::sleep(Duration::from_millis(200));
                continue;
            };
            let fetched = match conn.take().filter(|c| !c.is_closing()) {
                Some(c) => Ok(c),
                None => HttpConnection::open(&server, HTTP_TIMEOUT),
            }
            .and_then(|mut c| {
                let bytes = match &look {
                    Look::Preview(_) => http::get_preview(
                        &mut c,
                        &server.token,
                        &file.id,
                        picture::PREVIEW_MAX_BYTES,
                    )
                    .map(|b| (b, true)),
                    Look::Code(_) => head_of(&mut c, &server.token, &file.id),
                };
                if let Ok((_, whole)) = &bytes
                    && *whole
                {
                    conn = Some(c);
                }
                bytes
            });
            answered = !matches!(&fetched, Err(e) if e.is_temporary());
            match fetched {
                Ok((bytes, _)) => {
                    fetched_bytes = Some(bytes);
                    break;
                }
                Err(e) if e.is_temporary() => {
                    conn = None;
                    std::thread::sleep(Duration::from_millis(300 << attempt));
                }
                // A line can arrive before the server the request reached has noted its files
                // (another node of a cluster, behind a load balancer): asked again once.
                Err(HttpError::Refused { status: 404, .. }) if attempt == 0 => {
                    std::thread::sleep(Duration::from_millis(500));
                }
                Err(e) => {
                    tracing::info!(file = file.id, "nothing to show: {e}");
                    break;
                }
            }
        }
        let told = match look {
            _ if !answered => PictureNews::Unreachable { file: file.id },
            Look::Preview(_) => PictureNews::Preview {
                image: fetched_bytes.and_then(|bytes| match picture::decode_preview(&bytes) {
                    Ok(p) => Some(picture::for_screen(&p, picture::PREVIEW_SIDE * 2)),
                    Err(e) => {
                        tracing::info!(file = file.id, "a preview cannot be shown: {e}");
                        None
                    }
                }),
                file: file.id,
            },
            Look::Code(_) => PictureNews::Code {
                text: fetched_bytes.and_then(|bytes| code::code_text(&bytes)),
                file: file.id,
            },
        };
        let _ = news.send(told);
        if let Some(wake) = waker {
            wake();
        }
    }
}

/// The first [`CODE_MAX_BYTES`](crate::ui::files::code::CODE_MAX_BYTES) of a file; whether the connection can serve another request
/// (the whole body was read).
fn head_of(
    conn: &mut HttpConnection,
    token: &str,
    file: &str,
) -> Result<(Vec<u8>, bool), HttpError> {
    let fetch = http::get(conn, token, file, 0)?;
    let want = fetch.length.min(code::CODE_MAX_BYTES);
    let mut bytes = Vec::with_capacity(usize::try_from(want).unwrap_or(0));
    conn.read_body(want, &mut bytes, &mut |_| true)?;
    Ok((bytes, want == fetch.length))
}
