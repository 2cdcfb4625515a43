//! Sharing files, for every way in: an upload begins with what the file will be (name, type,
//! size, SHA-256), takes its bytes at any offset it has reached (so a dropped upload resumes),
//! and ends checked and stored once per content; a line or private message then carries it,
//! and whoever can read that line may fetch it. Anyone else is told it does not exist.
//!
//! The bytes travel over HTTP on the chat's own port (`protocols::http`), never inside a chat
//! connection: a file never stands between a member and the room's next line.

use std::io::Read;

use chat_core::limits::FILE_NAME_MAX_BYTES;
use chat_core::protocol::{Attachment, ErrorCode, Field};
use chat_core::validate::room_key;

use super::refusal::{Refusal, internal};
use crate::shared::Shared;
use crate::store::archive::Whereabouts;
use crate::store::files::{FileRecord, FileRef, Upload, UploadError, new_id};

/// Largest preview of a picture kept with it.
pub const PREVIEW_MAX_BYTES: usize = 64 * 1024;

/// The SHA-256 of no bytes at all.
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// What an upload will be, as its uploader announces it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Announced {
    pub name: String,
    pub mime: String,
    pub size: u64,
    pub sha256: String,
    pub width: Option<u32>,
    pub height: Option<u32>,
}

/// Where an upload is.
#[derive(Debug)]
pub(crate) enum Progress {
    /// It has this many bytes.
    More(u64),
    /// Every byte came, checked: the file.
    Done(Box<FileRecord>),
}

fn invalid(field: Field, message: &str) -> Refusal {
    Refusal {
        field: Some(field),
        ..Refusal::new(ErrorCode::Invalid, message)
    }
}

/// What anyone who may not fetch a file is told: that it does not exist.
pub(crate) fn not_found() -> Refusal {
    Refusal::new(ErrorCode::FileNotFound, "there is no such file")
}

/// A file's name: not empty, at most 255 bytes, one name (no `/`, `\`, no `..` anywhere: a
/// name is never a path, whoever saves it where), no control characters. Clients send names
/// from disks through `chat_core::files::sendable_name`.
pub(crate) fn check_name(name: &str) -> Result<(), Refusal> {
    let bad = name.is_empty()
        || name.len() > FILE_NAME_MAX_BYTES
        || name == "."
        || name.contains("..")
        || name.contains(['/', '\\'])
        || name.chars().any(char::is_control)
        || name.chars().any(chat_core::files::is_hidden_format);
    if bad {
        return Err(invalid(
            Field::Name,
            "a file name: 1 to 255 bytes, no '/', '\\\\', '..', control characters or \
             direction marks",
        ));
    }
    Ok(())
}

/// Begins an upload for the user `owner` (login key). Refused: a bad name, type or checksum,
/// a size over the server's limit, or beyond what the account may keep.
pub(crate) fn begin(shared: &Shared, owner: &str, file: Announced) -> Result<Upload, Refusal> {
    check_name(&file.name)?;
    let mime_ok = file.mime.len() <= 127
        && file.mime.split_once('/').is_some_and(|(a, b)| {
            !a.is_empty()
                && !b.is_empty()
                && !b.contains('/')
                && file
                    .mime
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || b"/.+-_".contains(&c))
        });
    if !mime_ok {
        return Err(invalid(Field::Type, "a media type such as image/png"));
    }
    if file.sha256.len() != 64 || !file.sha256.bytes().all(|c| c.is_ascii_hexdigit()) {
        return Err(invalid(Field::Sha256, "the SHA-256 of the file, in hex"));
    }
    // An empty file is whole at once: a wrong SHA-256 for it could never be corrected by
    // sending more, and would leave an upload nobody can name.
    if file.size == 0 && !file.sha256.eq_ignore_ascii_case(EMPTY_SHA256) {
        return Err(invalid(
            Field::Sha256,
            "an empty file's SHA-256 is e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ));
    }
    let max = shared.config.max_file_bytes;
    if file.size > max {
        return Err(Refusal {
            field: Some(Field::Size),
            ..Refusal::new(
                ErrorCode::FileTooLarge,
                format!("files may be at most {} MiB", max / (1024 * 1024)),
            )
        });
    }
    let upload = Upload {
        id: new_id().map_err(internal)?,
        owner: owner.to_owned(),
        name: file.name,
        mime: file.mime.to_ascii_lowercase(),
        size: file.size,
        sha256: file.sha256.to_ascii_lowercase(),
        width: file.width,
        height: file.height,
        preview: None,
        created_ms: shared.config.clock.now_ms(),
    };
    match shared.files.begin(&upload, shared.config.quota_bytes) {
        Ok(()) => Ok(upload),
        Err(UploadError::OverQuota) => Err(Refusal {
            field: Some(Field::Size),
            ..Refusal::new(
                ErrorCode::QuotaExceeded,
                format!(
                    "your files would take more than {} MiB; files no line or message carries \
                     any more are removed after a while",
                    shared.config.quota_bytes / (1024 * 1024)
                ),
            )
        }),
        Err(UploadError::TooMany) => Err(Refusal {
            retry_after: Some(std::time::Duration::from_secs(5)),
            ..Refusal::new(
                ErrorCode::RateLimited,
                format!(
                    "you have {} uploads under way: finish or cancel one first",
                    crate::store::files::MAX_UNDER_WAY
                ),
            )
        }),
        Err(e) => Err(upload_error(e)),
    }
}

/// The user's upload `id`, and how many of its bytes came.
pub(crate) fn status(shared: &Shared, owner: &str, id: &str) -> Result<(Upload, u64), Refusal> {
    match shared.files.upload(id).map_err(internal)? {
        Some((upload, have)) if upload.owner == owner => Ok((upload, have)),
        _ => Err(not_found()),
    }
}

/// Drops the user's upload `id`, which its client cancelled: its bytes go, and what it held of
/// the account's quota is free at once (rather than after `file_grace`).
pub(crate) fn cancel(shared: &Shared, owner: &str, id: &str) -> Result<(), Refusal> {
    status(shared, owner, id)?;
    // Not while a request writes it: that one ends first (within its read timeout).
    let _writing = shared
        .files
        .writing(id, write_wait(shared))
        .ok_or_else(busy)?;
    shared.files.drop_upload(id).map_err(internal)
}

/// How long a request waits for another that writes the same upload: that one's read
/// timeout, and a second.
fn write_wait(shared: &Shared) -> std::time::Duration {
    shared.config.write_timeout + std::time::Duration::from_secs(1)
}

/// Another request still writes the upload (after [`write_wait`]).
fn busy() -> Refusal {
    Refusal {
        retry_after: Some(std::time::Duration::from_secs(1)),
        ..Refusal::new(
            ErrorCode::ServerBusy,
            "another request is sending this upload's bytes; ask where it is in a moment",
        )
    }
}

/// Takes `len` bytes of the user's upload `id` from `body`, which start at `offset` (the
/// bytes it has). The last byte ends it: checked and stored, the file is returned.
pub(crate) fn append(
    shared: &Shared,
    owner: &str,
    id: &str,
    offset: u64,
    body: &mut impl Read,
    len: u64,
) -> Result<Progress, Refusal> {
    status(shared, owner, id)?;
    // A request still writing it (its client lost the connection and came back on this one)
    // ends within its read timeout; then this one goes on from where it left the upload, if
    // the upload is still there (that request may have finished it, or a cancel dropped it).
    let _writing = shared
        .files
        .writing(id, write_wait(shared))
        .ok_or_else(busy)?;
    let (upload, _) = status(shared, owner, id)?;
    let have = shared
        .files
        .append(&upload, offset, body, len)
        .map_err(upload_error)?;
    if have < upload.size {
        return Ok(Progress::More(have));
    }
    let file_id = new_id().map_err(internal)?;
    let record = shared
        .files
        .finish(&upload, &file_id, shared.config.clock.now_ms())
        .map_err(upload_error)?;
    tracing::info!(file = %record.id, size = record.size, owner, "file stored");
    Ok(Progress::Done(Box::new(record)))
}

/// Keeps the preview of the user's upload `id` (a small picture its client made).
pub(crate) fn preview(
    shared: &Shared,
    owner: &str,
    id: &str,
    bytes: Vec<u8>,
) -> Result<(), Refusal> {
    if bytes.len() > PREVIEW_MAX_BYTES {
        return Err(Refusal {
            field: Some(Field::Size),
            ..Refusal::new(ErrorCode::FileTooLarge, "a preview may be at most 64 KiB")
        });
    }
    match shared.files.get(id).map_err(internal)? {
        // Set once: readers fetch it once and keep it. The same bytes again (a client that
        // lost the answer) are taken as the first.
        Some(record) if record.owner == owner => match record.preview {
            None => shared.files.set_preview(id, bytes).map_err(internal),
            Some(kept) if kept == bytes => Ok(()),
            Some(_) => Err(invalid(
                Field::Size,
                "this file has its preview already: a preview never changes",
            )),
        },
        _ => Err(not_found()),
    }
}

/// File `id`, if the user `key` may fetch it: its uploader, or someone who can read a line or
/// message that carries it (a member of the room, while the room keeps the line; either user
/// of a conversation).
pub(crate) fn fetch(shared: &Shared, key: &str, id: &str) -> Result<FileRecord, Refusal> {
    let record = shared
        .files
        .get(id)
        .map_err(internal)?
        .ok_or_else(not_found)?;
    if record.owner == key || record.refs.iter().any(|r| sees(shared, key, r, id)) {
        return Ok(record);
    }
    Err(not_found())
}

/// Whether the user `key` can read the line or message `reference`, carrying file `file`.
fn sees(shared: &Shared, key: &str, reference: &FileRef, file: &str) -> bool {
    match reference {
        FileRef::Line { room, line } => shared.hub.sees_line(key, room, *line, file),
        FileRef::Private { a, b, id } => {
            // A message deleted no longer carries its files. One its conversation let go (it
            // keeps the newest 500) still shows them until the sweep finds it gone: a
            // recipient handed it at login, among more than 500 kept, fetches its files at
            // once. One never kept here counts as in `unkept_counts`. A store that cannot
            // answer now: not fetched (asked again, it is).
            (a == key || b == key)
                && match shared.archive.whereabouts(a, b, *id) {
                    Ok(Whereabouts::Kept(message)) => {
                        message.attachments.iter().any(|f| f.id == file)
                    }
                    Ok(Whereabouts::LetGo) => true,
                    Ok(Whereabouts::NotHere) => unkept_counts(shared, a, b),
                    Err(_) => false,
                }
        }
    }
}

/// The files a line will carry, as it shows them: each must be one the sender may fetch.
pub(crate) fn attach(
    shared: &Shared,
    key: &str,
    ids: &[String],
) -> Result<Vec<Attachment>, Refusal> {
    let now = shared.config.clock.now_ms();
    // A file named twice is carried once (clients draw, and IRC lists, each file once).
    let mut seen = std::collections::HashSet::new();
    ids.iter()
        .filter(|id| seen.insert(id.as_str()))
        .map(|id| {
            // Kept from the sweep from before it is checked until the line notes it.
            shared.files.pin(id, now);
            let record = fetch(shared, key, id).map_err(|r| Refusal {
                field: Some(Field::Attachments),
                ..r
            })?;
            Ok(record.attachment())
        })
        .collect()
}

/// Notes that a room line (`room`: its name) carries these files.
pub(crate) fn carried_by_line(shared: &Shared, attachments: &[Attachment], room: &str, line: u64) {
    for a in attachments {
        let reference = FileRef::Line {
            room: room_key(room),
            line,
        };
        if let Err(e) = shared.files.add_ref(&a.id, reference) {
            tracing::error!(file = %a.id, "cannot note where a file is: {e}");
        }
    }
}

/// Notes in memory, at once, that a room line carries these files (while the line is said,
/// under its room's lock); [`carried_by_line`] writes it a moment later.
pub(crate) fn carried_soon_by_line(
    shared: &Shared,
    attachments: &[Attachment],
    room: &str,
    line: u64,
) {
    for a in attachments {
        let reference = FileRef::Line {
            room: room_key(room),
            line,
        };
        shared.files.add_ref_soon(&a.id, reference);
    }
}

/// Notes that a private message between `a` and `b` (login keys) carries these files.
pub(crate) fn carried_by_private(
    shared: &Shared,
    attachments: &[Attachment],
    a: &str,
    b: &str,
    id: u64,
) {
    let ids: Vec<String> = attachments.iter().map(|f| f.id.clone()).collect();
    carried_by_private_ids(shared, &ids, a, b, id);
}

/// The same, with the files' ids.
pub(crate) fn carried_by_private_ids(shared: &Shared, files: &[String], a: &str, b: &str, id: u64) {
    for file in files {
        let reference = FileRef::Private {
            a: a.to_owned(),
            b: b.to_owned(),
            id,
        };
        if let Err(e) = shared.files.add_ref(file, reference) {
            tracing::error!(%file, "cannot note where a file is: {e}");
        }
    }
}

/// Removes the files nothing carries any more (a room line gone with its history or room, a
/// conversation's message gone with the oldest) once `file_grace` passed, and uploads left
/// unfinished that long. Returns how many files went.
pub(crate) fn sweep(shared: &Shared) -> usize {
    let now = shared.config.clock.now_ms();
    let grace = i64::try_from(shared.config.file_grace.as_millis()).unwrap_or(i64::MAX);
    let mut removed = 0;
    for file in shared.files.records() {
        let file = match file {
            Ok(file) => file,
            Err(e) => {
                tracing::error!("cannot read a file's record to sweep it: {e}");
                continue;
            }
        };
        let alive: Vec<FileRef> = file
            .refs
            .iter()
            .filter(|r| alive(shared, r, &file.id))
            .cloned()
            .collect();
        let unused_since = if alive.is_empty() {
            Some(file.unused_since.unwrap_or(now))
        } else {
            None
        };
        if unused_since.is_some_and(|since| now - since >= grace) {
            // Only as it was read: a line that came to carry it meanwhile keeps it.
            match shared.files.remove(&file.id, &file, now) {
                Ok(true) => removed += 1,
                Ok(false) => {}
                Err(e) => tracing::error!(file = %file.id, "cannot remove a file: {e}"),
            }
        } else if alive.len() != file.refs.len() || unused_since != file.unused_since {
            // Only the references found gone are dropped: one noted meanwhile stays.
            let gone: Vec<&FileRef> = file.refs.iter().filter(|r| !alive.contains(r)).collect();
            let _ = shared.files.change(&file.id, |r| {
                r.refs.retain(|x| !gone.contains(&x));
                r.unused_since = if r.refs.is_empty() {
                    r.unused_since.or(Some(now))
                } else {
                    None
                };
            });
        }
    }
    // Other nodes' files this node knows lines or messages of: lines gone are forgotten, and a
    // file its uploader's node removed (that node decides, from the lines and messages it
    // keeps, as for its own). A conversation's message counts while the file lasts: this node
    // may not keep the messages its users received.
    if let Ok(remote) = shared.files.all_remote_refs() {
        for (id, refs) in remote {
            let alive: Vec<FileRef> = match shared.files.get(&id) {
                Ok(None) => Vec::new(),
                Ok(Some(_)) => refs
                    .iter()
                    .filter(|r| match r {
                        FileRef::Line { room, line } => shared.hub.keeps_line(room, *line, &id),
                        FileRef::Private { .. } => true,
                    })
                    .cloned()
                    .collect(),
                Err(_) => continue,
            };
            if alive.len() != refs.len() {
                let _ = shared.files.keep_remote_refs(&id, &alive);
            }
        }
    }
    shared.files.lapse_reservations(now.saturating_sub(grace));
    if let Ok(uploads) = shared.files.uploads() {
        for upload in uploads.iter().filter(|u| now - u.created_ms >= grace) {
            // One a request is writing now is left for the next sweep.
            if let Some(_writing) = shared.files.writing(&upload.id, std::time::Duration::ZERO) {
                let _ = shared.files.drop_upload(&upload.id);
            }
        }
    }
    removed
}

/// Whether the line or message `reference` is still kept, carrying file `file` (a deleted one
/// carries none). A message still waiting for its offline recipient counts, though its
/// conversation, which keeps fewer, no longer has it; one never kept here, as in
/// `unkept_counts` (on a cluster, until its deletion is heard of: [`uncarried_by_private`]).
/// A store that cannot answer now counts it too: a file is never removed on a doubt.
fn alive(shared: &Shared, reference: &FileRef, file: &str) -> bool {
    match reference {
        FileRef::Line { room, line } => shared.hub.keeps_line(room, *line, file),
        FileRef::Private { a, b, id } => match shared.archive.whereabouts(a, b, *id) {
            Ok(Whereabouts::Kept(message)) => message.attachments.iter().any(|f| f.id == file),
            // Let go here; on a cluster it may still wait in the mailbox the nodes share.
            Ok(Whereabouts::LetGo) => {
                !shared.mail.is_local() && shared.mail.holds(b, *id).unwrap_or(true)
            }
            Ok(Whereabouts::NotHere) => unkept_counts(shared, a, b),
            Err(_) => true,
        },
    }
}

/// Whether a private message between `a` and `b` (login keys) that this node never kept
/// still carries its files: one to or from an IRC guest (nothing is kept for guests) while
/// the guest is online, and on a node of a cluster any (it is kept on its users' nodes, which
/// tell of its deletion).
fn unkept_counts(shared: &Shared, a: &str, b: &str) -> bool {
    shared.hub.is_clustered()
        || [a, b]
            .iter()
            .any(|key| shared.person(key).is_some_and(|p| p.guest))
}

/// A private message between `a` and `b` (login keys; `a` its sender) no longer carries these
/// files (deleted, or never delivered): the references go, on this node's files and others'.
pub(crate) fn uncarried_by_private(shared: &Shared, files: &[String], a: &str, b: &str, id: u64) {
    let reference = FileRef::Private {
        a: a.to_owned(),
        b: b.to_owned(),
        id,
    };
    for file in files {
        if let Err(e) = shared.files.drop_ref(file, &reference) {
            tracing::error!(%file, "cannot note that a message no longer carries a file: {e}");
        }
    }
}

fn upload_error(e: UploadError) -> Refusal {
    match e {
        UploadError::Offset(have) => Refusal::new(
            ErrorCode::Invalid,
            format!("the upload has {have} bytes: send from there"),
        ),
        UploadError::TooLong => invalid(Field::Size, "more bytes than the file's size"),
        UploadError::TooMany => Refusal::new(ErrorCode::RateLimited, "too many uploads under way"),
        UploadError::OverQuota => Refusal {
            field: Some(Field::Size),
            ..Refusal::new(ErrorCode::QuotaExceeded, "over your account's quota")
        },
        UploadError::Cut(e) => {
            // The client's own doing (gone, or silent too long): not the server failing.
            tracing::debug!("an upload's body stopped: {e}");
            Refusal::new(
                ErrorCode::Invalid,
                "the body stopped coming before its Content-Length; send the rest from Upload-Offset",
            )
        }
        UploadError::Mismatch("size") => invalid(Field::Size, "the file's size does not match"),
        UploadError::Mismatch(_) => invalid(
            Field::Sha256,
            "the bytes received do not have the announced SHA-256; send the file again",
        ),
        UploadError::Store(e) => storage(e),
    }
}

/// A store error: a full disk is said so; anything else is the server's failure.
fn storage(e: crate::error::ServerError) -> Refusal {
    let full = matches!(&e, crate::error::ServerError::Io(io) if io.raw_os_error() == Some(28))
        || e.to_string().contains("No space left");
    if full {
        tracing::error!("the disk is full: {e}");
        return Refusal {
            field: Some(Field::Size),
            ..Refusal::new(
                ErrorCode::StorageFull,
                "the server's disk is full; try again later",
            )
        };
    }
    internal(e)
}
