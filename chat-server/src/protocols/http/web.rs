//! The web client: its files (the page, its WebAssembly, the JavaScript around it), served from
//! a bundle read into memory at start, and the WebSocket its chat connection opens (`GET /ws`),
//! which leaves HTTP for the native protocol's frames in binary messages
//! (`docs/PROTOCOL.md`, *The web*).
//!
//! Only files of the bundle's directory itself are served, by exact name: a request names an
//! entry of a map made at start, never a path on disk, so nothing outside the bundle can be
//! reached and there is nothing to list.
//!
//! A file `NAME.gz` beside `NAME` is its gzip form (`scripts/web.sh` makes them): a browser that
//! accepts gzip gets it, with `Content-Encoding: gzip`; the WebAssembly is then about a third of
//! its size on the wire, which a class sharing one Wi-Fi notices. The server compresses nothing.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chat_core::websocket;

use super::request::Head;
use super::response::{Body, Response};

/// Largest bundle read at start (the WebAssembly of the client is a few MiB).
const BUNDLE_MAX_BYTES: u64 = 64 * 1024 * 1024;

/// One file of the bundle.
#[derive(Debug)]
struct WebFile {
    bytes: Vec<u8>,
    /// Its gzip form, if the bundle has one (`NAME.gz`).
    gzip: Option<Vec<u8>>,
    content_type: &'static str,
}

/// The web client's files, by name.
#[derive(Debug, Default)]
pub(crate) struct WebBundle {
    files: HashMap<String, WebFile>,
    dir: PathBuf,
}

impl WebBundle {
    /// Reads the files of `dir` (not its subdirectories); it must hold an `index.html`.
    pub(crate) fn load(dir: &Path) -> Result<WebBundle, String> {
        let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let mut read = HashMap::new();
        let mut total = 0u64;
        for entry in entries {
            let entry = entry.map_err(|e| format!("{}: {e}", dir.display()))?;
            let path = entry.path();
            if !path.is_file() {
                continue;
            }
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            if name.starts_with('.') {
                continue;
            }
            let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            total += bytes.len() as u64;
            if total > BUNDLE_MAX_BYTES {
                return Err(format!(
                    "{}: more than {} MiB; is this the web client's bundle?",
                    dir.display(),
                    BUNDLE_MAX_BYTES >> 20
                ));
            }
            read.insert(name.to_owned(), bytes);
        }
        // A gzip form goes with its file; one without its file is served as itself.
        let names: Vec<String> = read
            .keys()
            .filter(|n| !n.strip_suffix(".gz").is_some_and(|p| read.contains_key(p)))
            .cloned()
            .collect();
        let mut files = HashMap::new();
        for name in names {
            let bytes = read.remove(&name).unwrap_or_default();
            let gzip = read.remove(&format!("{name}.gz"));
            let content_type = content_type(&name);
            files.insert(
                name,
                WebFile {
                    bytes,
                    gzip,
                    content_type,
                },
            );
        }
        if !files.contains_key("index.html") {
            return Err(format!(
                "{} has no index.html: build the web client there (scripts/web.sh)",
                dir.display()
            ));
        }
        Ok(WebBundle {
            files,
            dir: dir.to_owned(),
        })
    }

    /// How many files, for the log.
    pub(crate) fn len(&self) -> usize {
        self.files.len()
    }

    /// Where it was read from, for the log.
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// The answer to `GET` or `HEAD` of `name` (`""` is the page): its gzip form if it has one
    /// and the request accepts it.
    pub(super) fn serve(&self, head: &Head, name: &str) -> Option<Response> {
        let name = if name.is_empty() { "index.html" } else { name };
        let file = self.files.get(name)?;
        let gzip = file
            .gzip
            .as_ref()
            .filter(|_| accepts_gzip(head.header("accept-encoding")));
        let bytes = gzip.unwrap_or(&file.bytes);
        let body = if head.method == "HEAD" {
            Body::Empty(bytes.len() as u64)
        } else {
            Body::Bytes(bytes.clone())
        };
        // The page is looked up again on each visit (a new bundle after an update); the rest
        // is named by the page, and kept by the browser for an hour.
        let cache = if name == "index.html" {
            "no-cache"
        } else {
            "public, max-age=3600"
        };
        let mut response = Response::new(200, body)
            .header("Content-Type", file.content_type)
            .header("Cache-Control", cache)
            .header("X-Content-Type-Options", "nosniff");
        if file.gzip.is_some() {
            // A cache between must not hand the gzip form to a client that did not ask for it.
            response = response.header("Vary", "Accept-Encoding");
        }
        if gzip.is_some() {
            response = response.header("Content-Encoding", "gzip");
        }
        Some(response)
    }
}

/// Whether an `Accept-Encoding` value accepts gzip (RFC 9110, section 12.5.3): named, or `*`,
/// without `q=0`.
fn accepts_gzip(value: Option<&str>) -> bool {
    let Some(value) = value else {
        return false;
    };
    value.split(',').any(|item| {
        let mut parts = item.split(';');
        let coding = parts.next().unwrap_or("").trim();
        let refused = parts.any(|p| {
            p.trim()
                .strip_prefix("q=")
                .and_then(|q| q.trim().parse::<f32>().ok())
                .is_some_and(|q| q <= 0.0)
        });
        (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !refused
    })
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        // Browsers compile WebAssembly as it streams in only when it says what it is.
        Some("wasm") => "application/wasm",
        Some("css") => "text/css; charset=utf-8",
        Some("json" | "webmanifest") => "application/json",
        Some("png") => "image/png",
        Some("svg") => "image/svg+xml",
        Some("ico") => "image/x-icon",
        Some("ttf") => "font/ttf",
        Some("woff2") => "font/woff2",
        _ => "application/octet-stream",
    }
}

/// What a `GET /ws` asked.
pub(super) enum Upgrade {
    /// A WebSocket opening handshake: the answer that accepts it.
    Accept(Response),
    /// Not one this server accepts: the answer that says why.
    Refuse(Response),
}

/// Reads a WebSocket opening handshake (RFC 6455, section 4.2.1). No `Origin` is checked: the
/// chat connection carries no ambient authority (no cookies; a login or a token is sent inside
/// it), so a page from elsewhere gains nothing a native client could not have.
pub(super) fn upgrade(head: &Head) -> Upgrade {
    let has = |name: &str, token: &str| {
        head.header(name).is_some_and(|v| {
            v.split(',')
                .any(|part| part.trim().eq_ignore_ascii_case(token))
        })
    };
    let refuse = |why: &str| {
        Upgrade::Refuse(
            Response::error(400, "bad_request", None, why)
                .header("Sec-WebSocket-Version", "13")
                .closing(),
        )
    };
    if head.method != "GET" || !head.http11 {
        return refuse("a WebSocket opens with GET over HTTP/1.1");
    }
    if !has("upgrade", "websocket") || !has("connection", "upgrade") {
        return Upgrade::Refuse(
            Response::error(
                426,
                "bad_request",
                None,
                "this address opens a WebSocket (Upgrade: websocket)",
            )
            .header("Upgrade", "websocket")
            .header("Connection", "Upgrade")
            .header("Sec-WebSocket-Version", "13")
            .closing(),
        );
    }
    if head.header("sec-websocket-version").map(str::trim) != Some("13") {
        return refuse("only WebSocket version 13 is spoken");
    }
    let Some(key) = head.header("sec-websocket-key") else {
        return refuse("no Sec-WebSocket-Key");
    };
    // 16 random bytes in base64 (RFC 6455, section 4.1).
    if key.trim().len() != 24 {
        return refuse("the Sec-WebSocket-Key is not 16 bytes in base64");
    }
    Upgrade::Accept(
        Response::new(101, Body::Empty(0))
            .header("Upgrade", "websocket")
            .header("Connection", "Upgrade")
            .header("Sec-WebSocket-Accept", websocket::accept_key(key)),
    )
}

#[cfg(test)]
mod tests {
    use super::accepts_gzip;

    #[test]
    fn gzip_is_accepted_when_named_or_starred_and_not_refused() {
        assert!(accepts_gzip(Some("gzip, deflate, br, zstd")));
        assert!(accepts_gzip(Some("br;q=1.0, GZIP;q=0.5")));
        assert!(accepts_gzip(Some("*")));
        assert!(!accepts_gzip(None));
        assert!(!accepts_gzip(Some("")));
        assert!(!accepts_gzip(Some("identity")));
        assert!(!accepts_gzip(Some("gzip;q=0")));
        assert!(!accepts_gzip(Some("gzip; q=0.0, br")));
        assert!(!accepts_gzip(Some("x-gzip2")));
    }
}
