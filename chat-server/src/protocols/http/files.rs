//! Shared files over HTTP (docs/PROTOCOL.md, "Files"): resumable uploads in the manner of tus
//! (`POST /uploads` announces the file, `PATCH /uploads/{id}` sends bytes from an offset, `HEAD
//! /uploads/{id}` says how many came), downloads with ranges (`GET /files/{id}`), and pictures'
//! previews (`PUT`/`GET /files/{id}/preview`). Every request carries the session token of a
//! logged-in account (`Authorization: Bearer …`), or is a download by a signed link made for one
//! reader (`links`: IRC clients cannot send a header); a file the account or reader may not
//! fetch is answered exactly as one that does not exist.

use std::io::Read;

use chat_core::protocol::Field;
use chat_core::transport::TransportReader;
use percent_encoding::{NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

use super::pace::{Pace, Paced};
use super::request::Head;
use super::response::{Body, Response};
use crate::links;
use crate::service::files::{self, Announced, PREVIEW_MAX_BYTES, Progress};
use crate::service::refusal::Refusal;
use crate::shared::Shared;
use crate::store::files::FileRecord;

/// Answers a request under `/uploads` or `/files`.
pub(super) fn route(
    shared: &Shared,
    head: &Head,
    parts: &[&str],
    body: &mut TransportReader,
) -> Response {
    let Some(length) = head.content_length() else {
        if head.header("transfer-encoding").is_some() {
            return Response::error(411, "invalid", None, "send a Content-Length body").closing();
        }
        return Response::error(400, "invalid", None, "Content-Length: decimal digits only")
            .closing();
    };
    if let ("GET" | "HEAD", ["files", id]) = (head.method.as_str(), parts)
        && let Some(query) = head.path.split_once('?').map(|(_, q)| q)
        && links::is_link(query)
    {
        // A link (IRC's): served as its reader, under the same rule; a link that is not the
        // server's, is cut short or has lapsed is a file that does not exist.
        let now_s = shared.config.clock.now_ms() / 1_000;
        let reader = links::claim(query).and_then(|claim| shared.links.check(id, &claim, now_s));
        let answer = match reader {
            Some(reader) => download(shared, &reader, id, head),
            None => Err(refused(files::not_found())),
        };
        return skip_body(answer.unwrap_or_else(|r| r), body, length);
    }
    let Some(owner) = account(shared, head) else {
        let response = Response::error(
            401,
            "login_required",
            None,
            "log in: send your session token",
        )
        .header("WWW-Authenticate", "Bearer");
        return if length > 0 {
            response.closing()
        } else {
            response
        };
    };
    let answer = match (head.method.as_str(), parts) {
        ("POST", ["uploads"]) => begin(shared, &owner, head),
        ("HEAD", ["uploads", id]) => offset(shared, &owner, id),
        ("DELETE", ["uploads", id]) => files::cancel(shared, &owner, id)
            .map(|()| Response::new(204, Body::Empty(0)))
            .map_err(refused),
        ("PATCH", ["uploads", id]) => return append(shared, &owner, id, head, body, length),
        ("PUT", ["files", id, "preview"]) => return preview(shared, &owner, id, body, length),
        ("GET" | "HEAD", ["files", id]) => download(shared, &owner, id, head),
        ("GET" | "HEAD", ["files", id, "preview"]) => show_preview(shared, &owner, id, head),
        _ => Err(Response::error(404, "not_found", None, "nothing here")),
    };
    let response = answer.unwrap_or_else(|r| r);
    skip_body(response, body, length)
}

/// A body small enough is read and dropped, so the connection goes on; a larger one closes it.
fn skip_body(response: Response, body: &mut TransportReader, length: u64) -> Response {
    if length == 0 {
        return response;
    }
    if length <= SKIPPED_BODY_MAX_BYTES {
        let mut sink = Vec::new();
        if body.take(length).read_to_end(&mut sink).is_ok() && sink.len() as u64 == length {
            return response;
        }
    }
    response.closing()
}

/// Largest unwanted body read to keep a connection going.
const SKIPPED_BODY_MAX_BYTES: u64 = 64 * 1024;

/// The account a request's session token names.
fn account(shared: &Shared, head: &Head) -> Option<String> {
    // The scheme's name is case-insensitive (RFC 9110, section 11.1).
    let (scheme, token) = head.header("authorization")?.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let token = token.trim();
    let (key, _) = shared
        .sessions
        .check(token, shared.config.clock.now_ms())
        .ok()??;
    Some(key)
}

/// A refusal as an HTTP answer.
fn refused(r: Refusal) -> Response {
    use chat_core::protocol::ErrorCode as C;
    let status = match r.code {
        C::FileNotFound => 404,
        C::FileTooLarge => 413,
        C::QuotaExceeded | C::StorageFull => 507,
        C::ServerBusy => 503,
        C::RateLimited => 429,
        C::Internal => 500,
        _ => 400,
    };
    let code = serde_json::to_value(r.code)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "internal".into());
    let response = Response::error(status, &code, r.field, &r.message);
    match r.retry_after {
        // Whole seconds, rounded up (HTTP's `Retry-After`).
        Some(after) => response.header("Retry-After", after.as_millis().div_ceil(1000).to_string()),
        None => response,
    }
}

/// A header holding a number: decimal digits only (as `Content-Length`), no sign.
fn number(head: &Head, name: &str, field: Field) -> Result<Option<u64>, Response> {
    head.header(name)
        .map(|v| {
            Some(v.trim())
                .filter(|v| v.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| {
                    Response::error(
                        400,
                        "invalid",
                        Some(field),
                        &format!("{name} must be a number"),
                    )
                })
        })
        .transpose()
}

/// A header holding a picture's side in pixels (at most 2^32 - 1, as attachments carry it).
fn dimension(head: &Head, name: &str) -> Result<Option<u32>, Response> {
    number(head, name, Field::Size)?
        .map(|n| {
            u32::try_from(n).map_err(|_| {
                Response::error(
                    400,
                    "invalid",
                    Some(Field::Size),
                    &format!("{name} must be at most {}", u32::MAX),
                )
            })
        })
        .transpose()
}

/// `Upload-Name`'s value, percent-decoded: every `%` must start an escape (`%25` for itself),
/// so that no name can be read two ways.
fn upload_name(value: &str) -> Result<String, Response> {
    let bad = |why: &str| Response::error(400, "invalid", Some(Field::Name), why);
    // Raw bytes past ASCII would be read one way here and another by a proxy.
    if !value.is_ascii() {
        return Err(bad(
            "the name must be percent-encoded UTF-8: every byte past ASCII as %XX",
        ));
    }
    let bytes = value.as_bytes();
    let escapes_ok = bytes.iter().enumerate().all(|(i, &b)| {
        b != b'%'
            || bytes
                .get(i + 1..i + 3)
                .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit))
    });
    if !escapes_ok {
        return Err(bad("the name must be percent-encoded ('%' as %25)"));
    }
    percent_decode_str(value)
        .decode_utf8()
        .map(std::borrow::Cow::into_owned)
        .map_err(|_| bad("the name is not UTF-8"))
}

/// A file as its attachment map: what it does not have (dimensions, a preview) is left out.
fn file_json(f: &FileRecord) -> serde_json::Value {
    serde_json::to_value(f.attachment()).unwrap_or_default()
}

fn done(record: &FileRecord) -> Response {
    Response::json(201, &serde_json::json!({ "file": file_json(record) }))
        .header("Location", format!("/files/{}", record.id))
}

/// `POST /uploads`: announces a file.
fn begin(shared: &Shared, owner: &str, head: &Head) -> Result<Response, Response> {
    let need = |name: &str, field| {
        head.header(name).map(str::to_owned).ok_or_else(|| {
            Response::error(400, "invalid", Some(field), &format!("{name} is missing"))
        })
    };
    let name = upload_name(&need("upload-name", Field::Name)?)?;
    let size = number(head, "upload-length", Field::Size)?.ok_or_else(|| {
        Response::error(
            400,
            "invalid",
            Some(Field::Size),
            "Upload-Length is missing",
        )
    })?;
    let file = Announced {
        name,
        mime: need("upload-type", Field::Type)?,
        size,
        sha256: need("upload-sha256", Field::Sha256)?,
        width: dimension(head, "upload-width")?,
        height: dimension(head, "upload-height")?,
    };
    let upload = files::begin(shared, owner, file).map_err(refused)?;
    if upload.size == 0 {
        let progress = files::append(shared, owner, &upload.id, 0, &mut std::io::empty(), 0)
            .map_err(refused)?;
        if let Progress::Done(record) = progress {
            return Ok(done(&record));
        }
    }
    Ok(Response::json(
        201,
        &serde_json::json!({ "upload": upload.id, "offset": 0 }),
    )
    .header("Location", format!("/uploads/{}", upload.id))
    .header("Upload-Offset", "0"))
}

/// `HEAD /uploads/{id}`: how many bytes came.
fn offset(shared: &Shared, owner: &str, id: &str) -> Result<Response, Response> {
    let (upload, have) = files::status(shared, owner, id).map_err(refused)?;
    Ok(Response::new(204, Body::Empty(0))
        .header("Upload-Offset", have.to_string())
        .header("Upload-Length", upload.size.to_string()))
}

/// `PATCH /uploads/{id}`: bytes from `Upload-Offset`. The connection goes on only if the whole
/// body was taken.
fn append(
    shared: &Shared,
    owner: &str,
    id: &str,
    head: &Head,
    body: &mut TransportReader,
    length: u64,
) -> Response {
    let offset = match number(head, "upload-offset", Field::Offset) {
        Ok(Some(n)) => n,
        Ok(None) => {
            return Response::error(
                400,
                "invalid",
                Some(Field::Offset),
                "Upload-Offset is missing",
            )
            .closing();
        }
        Err(r) => return r.closing(),
    };
    let _ = body.set_read_timeout(Some(shared.config.write_timeout));
    let mut limited = body.take(length);
    let mut paced = Paced::new(&mut limited, Pace::new(&shared.config));
    match files::append(shared, owner, id, offset, &mut paced, length) {
        Ok(Progress::More(have)) => {
            let response =
                Response::new(204, Body::Empty(0)).header("Upload-Offset", have.to_string());
            if limited.limit() > 0 {
                response.closing()
            } else {
                response
            }
        }
        Ok(Progress::Done(record)) => done(&record),
        Err(r) => {
            let response = match files::status(shared, owner, id) {
                Ok((_, have)) if r.message.starts_with("the upload has") => {
                    Response::error(409, "invalid", Some(Field::Offset), &r.message)
                        .header("Upload-Offset", have.to_string())
                }
                // Whatever came before it is kept: the client resumes from there. The rest of
                // the body is not waited for.
                Ok((_, have)) if r.message.starts_with("the body stopped") => {
                    return Response::error(408, "invalid", None, &r.message)
                        .header("Upload-Offset", have.to_string())
                        .closing();
                }
                _ => refused(r),
            };
            let left = limited.limit();
            skip_body(response, body, left)
        }
    }
}

/// `PUT /files/{id}/preview`: a picture's small preview, from its uploader.
fn preview(
    shared: &Shared,
    owner: &str,
    id: &str,
    body: &mut TransportReader,
    length: u64,
) -> Response {
    if length > PREVIEW_MAX_BYTES as u64 {
        return Response::error(
            413,
            "file_too_large",
            Some(Field::Size),
            "a preview may be at most 64 KiB",
        )
        .closing();
    }
    let _ = body.set_read_timeout(Some(shared.config.write_timeout));
    let mut bytes = Vec::with_capacity(usize::try_from(length).unwrap_or(0));
    let mut paced = Paced::new(body.take(length), Pace::new(&shared.config));
    if paced.read_to_end(&mut bytes).is_err() || bytes.len() as u64 != length {
        return Response::error(400, "invalid", None, "the preview did not all come").closing();
    }
    if picture_type(&bytes).is_none() {
        return Response::error(
            400,
            "invalid",
            Some(Field::Type),
            "a preview is a PNG or JPEG picture",
        );
    }
    match files::preview(shared, owner, id, bytes) {
        Ok(()) => Response::new(204, Body::Empty(0)),
        Err(r) => refused(r),
    }
}

/// A PNG's or a JPEG's media type, from its first bytes.
fn picture_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        Some("image/jpeg")
    } else {
        None
    }
}

/// `GET /files/{id}`: the file, whole or from a `Range`.
fn download(shared: &Shared, owner: &str, id: &str, head: &Head) -> Result<Response, Response> {
    let record = files::fetch(shared, owner, id).map_err(refused)?;
    let range = head
        .header("range")
        .map_or(Ranged::Whole, |r| parse_range(r, record.size));
    let (start, end) = match range {
        Ranged::Whole => (0, record.size),
        Ranged::Part(start, end) => (start, end),
        Ranged::Outside => {
            return Err(
                Response::error(416, "invalid", None, "that range is not in the file")
                    .header("Content-Range", format!("bytes */{}", record.size)),
            );
        }
    };
    let partial = matches!(range, Ranged::Part(..));
    let len = end - start;
    let body = if head.method == "HEAD" {
        Body::Empty(len)
    } else {
        let bytes = shared.files.bytes(&record, start).map_err(|e| {
            tracing::error!(file = %record.id, "a stored file cannot be read: {e}");
            Response::error(500, "internal", None, "the file cannot be read")
        })?;
        Body::Stream { bytes, len }
    };
    let disposition = format!(
        "attachment; filename*=UTF-8''{}",
        utf8_percent_encode(&record.name, NON_ALPHANUMERIC)
    );
    let mut response = Response::new(if partial { 206 } else { 200 }, body)
        .header("Content-Type", record.mime.clone())
        .header("Content-Disposition", disposition)
        .header("Accept-Ranges", "bytes")
        .header("ETag", format!("\"{}\"", record.sha256))
        .header("Cache-Control", "private, max-age=31536000, immutable");
    response = untrusted(response);
    if partial {
        response = response.header(
            "Content-Range",
            format!("bytes {start}-{}/{}", end.saturating_sub(1), record.size),
        );
    }
    Ok(response)
}

/// A number of decimal digits only (`parse` would take a sign too); one past what 64 bits
/// hold is as large as they hold (a range's end may be any number past the file's).
fn digits(n: &str) -> Option<u64> {
    if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(n.parse().unwrap_or(u64::MAX))
}

/// What a `Range` asks of a file (RFC 9110, section 14).
#[derive(Debug, PartialEq, Eq)]
enum Ranged {
    /// The whole file: no range, or one this server ignores (another unit than bytes, or a
    /// range that is not one: `bytes=abc`, `bytes=5-2`).
    Whole,
    /// Bytes `start..end`.
    Part(u64, u64),
    /// A range outside the file (any range of an empty file), or several: `416`.
    Outside,
}

/// `bytes=a-b`, `bytes=a-` or `bytes=-n` as a half-open range within `size`.
fn parse_range(range: &str, size: u64) -> Ranged {
    let Some(spec) = range.trim().strip_prefix("bytes=") else {
        return Ranged::Whole;
    };
    if spec.contains(',') {
        return Ranged::Outside;
    }
    let Some((a, b)) = spec.split_once('-') else {
        return Ranged::Whole;
    };
    let range = match (a.trim(), b.trim()) {
        ("", n) => digits(n).map(|n| (size.saturating_sub(n), size)),
        (a, "") => digits(a).map(|a| (a, size)),
        (a, b) => match (digits(a), digits(b)) {
            (Some(a), Some(b)) if b >= a => Some((a, b.saturating_add(1).min(size))),
            _ => None,
        },
    };
    match range {
        None => Ranged::Whole,
        // An empty file has no byte to name: every range is outside it (and `Content-Range`
        // could not say an empty one).
        Some((start, end)) if start < end => Ranged::Part(start, end),
        Some(_) => Ranged::Outside,
    }
}

/// `GET /files/{id}/preview`.
fn show_preview(shared: &Shared, owner: &str, id: &str, head: &Head) -> Result<Response, Response> {
    let record = files::fetch(shared, owner, id).map_err(refused)?;
    let Some(preview) = record.preview else {
        return Err(Response::error(
            404,
            "file_not_found",
            None,
            "this file has no preview",
        ));
    };
    let mime = picture_type(&preview).unwrap_or("application/octet-stream");
    let body = if head.method == "HEAD" {
        Body::Empty(preview.len() as u64)
    } else {
        Body::Bytes(preview)
    };
    Ok(untrusted(
        Response::new(200, body).header("Content-Type", mime),
    ))
}

/// What a browser must not do with bytes a user sent, served from the web client's own
/// origin: guess another type than the one given (an "image" read as HTML), or run anything in
/// them if it is opened in a tab (a file labelled `text/html` by its uploader).
fn untrusted(response: Response) -> Response {
    response
        .header("X-Content-Type-Options", "nosniff")
        .header("Content-Security-Policy", "sandbox; default-src 'none'")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_read_as_http_says_and_refused_outside_the_file() {
        use Ranged::{Outside, Part, Whole};
        assert_eq!(parse_range("bytes=0-9", 100), Part(0, 10));
        assert_eq!(parse_range("bytes=90-", 100), Part(90, 100));
        assert_eq!(parse_range("bytes=-10", 100), Part(90, 100));
        assert_eq!(parse_range("bytes=95-200", 100), Part(95, 100));
        // An end past what 64 bits hold is still past the file's end.
        let huge = format!("bytes=0-{}9", u64::MAX);
        assert_eq!(parse_range(&huge, 100), Part(0, 100));
        assert_eq!(
            parse_range("bytes=0-18446744073709551615", 100),
            Part(0, 100)
        );
        assert_eq!(parse_range("bytes=100-", 100), Outside);
        assert_eq!(parse_range("bytes=0-1,5-6", 100), Outside);
        // What is not a range at all is ignored: the whole file.
        assert_eq!(parse_range("items=0-1", 100), Whole);
        assert_eq!(parse_range("bytes=5-2", 100), Whole);
        // Digits only, as HTTP writes them.
        for range in [
            "bytes=+1-5",
            "bytes=1-+5",
            "bytes=-+5",
            "bytes= 1 - 5x",
            "bytes=abc",
        ] {
            assert_eq!(parse_range(range, 100), Whole, "{range}");
        }
        for range in ["bytes=0-", "bytes=0-0", "bytes=-5"] {
            assert_eq!(parse_range(range, 0), Outside, "{range} of an empty file");
        }
    }
}
