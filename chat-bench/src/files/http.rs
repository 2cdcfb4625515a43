//! The chat port's HTTP side as a client uses it (docs/PROTOCOL.md, "Files"): a file announced
//! with `POST /uploads`, its bytes sent with `PATCH /uploads/{id}`, and fetched whole with `GET
//! /files/{id}`, every request with the session's token. One request at a time on a kept-alive
//! connection; answers are read by their `Content-Length`.

use std::io::{self, Read, Write};

use super::stream::{read_until_len, write_chunked};

/// Largest answer head read.
const HEAD_MAX_BYTES: usize = 16 * 1024;
/// Largest answer body read, other than a file's.
const SMALL_BODY_MAX_BYTES: usize = 64 * 1024;

/// An HTTP answer's status and head; its body goes where the caller said.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    headers: Vec<(String, String)>,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Reads one answer from `stream`: its head, then its body (by `Content-Length`, at most
/// `body_max` bytes) into `body`.
pub fn read_answer(
    stream: &mut impl Read,
    body: &mut Vec<u8>,
    body_max: usize,
) -> io::Result<Answer> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    loop {
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut parsed = httparse::Response::new(&mut headers);
        match parsed.parse(&buf).map_err(io::Error::other)? {
            httparse::Status::Complete(end) => {
                let answer = Answer {
                    status: parsed.code.unwrap_or(0),
                    headers: parsed
                        .headers
                        .iter()
                        .map(|h| {
                            let value = String::from_utf8_lossy(h.value).into_owned();
                            (h.name.to_owned(), value)
                        })
                        .collect(),
                };
                let len: usize = answer
                    .header("content-length")
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(0);
                if len > body_max {
                    return Err(bad(format!("an answer body of {len} bytes")));
                }
                let early = &buf[end..];
                body.clear();
                body.extend_from_slice(&early[..early.len().min(len)]);
                read_until_len(stream, body, len)?;
                return Ok(answer);
            }
            httparse::Status::Partial if buf.len() > HEAD_MAX_BYTES => {
                return Err(bad("an answer head too long".into()));
            }
            httparse::Status::Partial => {}
        }
        match stream.read(&mut chunk)? {
            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
            n => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

fn bad(what: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what)
}

/// An answer that is not the one hoped for, as an error.
fn refused(what: &str, answer: &Answer, body: &[u8]) -> io::Error {
    let text = String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned();
    io::Error::other(format!("{what}: {} {text}", answer.status))
}

/// Uploads `bytes` (whose SHA-256 is `sha256`, in hex) as `name` with the session `token`:
/// `POST /uploads`, then `PATCH`es of `patch_bytes` each (0: one for the whole file). Returns the
/// stored file's id.
pub fn upload(
    stream: &mut (impl Read + Write),
    token: &str,
    name: &str,
    bytes: &[u8],
    sha256: &str,
    patch_bytes: usize,
) -> io::Result<String> {
    let size = bytes.len();
    let head = format!(
        "POST /uploads HTTP/1.1\r\nHost: chat\r\nAuthorization: Bearer {token}\r\n\
         Upload-Name: {name}\r\nUpload-Type: application/octet-stream\r\n\
         Upload-Length: {size}\r\nUpload-Sha256: {sha256}\r\nContent-Length: 0\r\n\r\n"
    );
    stream.write_all(head.as_bytes())?;
    stream.flush()?;
    let mut body = Vec::new();
    let answer = read_answer(stream, &mut body, SMALL_BODY_MAX_BYTES)?;
    if answer.status != 201 {
        return Err(refused("POST /uploads", &answer, &body));
    }
    let json: serde_json::Value = serde_json::from_slice(&body).map_err(io::Error::other)?;
    let Some(upload) = json
        .get("upload")
        .and_then(|v| v.as_str())
        .map(str::to_owned)
    else {
        return file_id(&json).ok_or_else(|| bad(format!("POST /uploads answered {json}")));
    };
    let patch = if patch_bytes == 0 { size } else { patch_bytes };
    let mut offset = 0;
    loop {
        let end = (offset + patch).min(size);
        let head = format!(
            "PATCH /uploads/{upload} HTTP/1.1\r\nHost: chat\r\nAuthorization: Bearer {token}\r\n\
             Content-Type: application/offset+octet-stream\r\nUpload-Offset: {offset}\r\n\
             Content-Length: {}\r\n\r\n",
            end - offset
        );
        stream.write_all(head.as_bytes())?;
        write_chunked(stream, &bytes[offset..end])?;
        let answer = read_answer(stream, &mut body, SMALL_BODY_MAX_BYTES)?;
        match answer.status {
            204 if end < size => offset = end,
            201 if end == size => {
                let json: serde_json::Value =
                    serde_json::from_slice(&body).map_err(io::Error::other)?;
                return file_id(&json).ok_or_else(|| bad(format!("PATCH answered {json}")));
            }
            _ => return Err(refused("PATCH /uploads", &answer, &body)),
        }
    }
}

/// The `file.id` of an upload's last answer.
fn file_id(json: &serde_json::Value) -> Option<String> {
    json.get("file")?.get("id")?.as_str().map(str::to_owned)
}

/// Fetches file `id` whole with the session `token` into `into`; `size` is what it should
/// hold.
pub fn download(
    stream: &mut (impl Read + Write),
    token: &str,
    id: &str,
    size: usize,
    into: &mut Vec<u8>,
) -> io::Result<()> {
    let head =
        format!("GET /files/{id} HTTP/1.1\r\nHost: chat\r\nAuthorization: Bearer {token}\r\n\r\n");
    stream.write_all(head.as_bytes())?;
    stream.flush()?;
    let answer = read_answer(stream, into, size.max(SMALL_BODY_MAX_BYTES))?;
    if answer.status != 200 || into.len() != size {
        let body = std::mem::take(into);
        return Err(refused("GET /files", &answer, &body));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_is_read_by_its_length_whether_its_body_came_with_the_head_or_after() {
        let text = b"HTTP/1.1 201 Created\r\nContent-Length: 5\r\nUpload-Offset: 7\r\n\r\nhello";
        let mut body = Vec::new();
        let answer = read_answer(&mut &text[..], &mut body, 100).expect("answer");
        assert_eq!(answer.status, 201);
        assert_eq!(answer.header("upload-offset"), Some("7"));
        assert_eq!(body, b"hello");
        let mut long = b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n".to_vec();
        long.extend(std::iter::repeat_n(b'z', 100_000));
        let answer = read_answer(&mut &long[..], &mut body, 200_000).expect("answer");
        assert_eq!((answer.status, body.len()), (200, 100_000));
        assert!(
            read_answer(&mut &long[..], &mut body, 1000).is_err(),
            "too long"
        );
        assert!(
            read_answer(&mut &b"HTTP/1.1 200"[..], &mut body, 10).is_err(),
            "cut"
        );
    }
}
