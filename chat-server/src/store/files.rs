//! Shared files on disk: their bytes stored once per content (SHA-256) under the data
//! directory, what each file is (its record, in sled), and uploads under way.
//!
//! Layout: `files/objects/ab/abcdef…` (the SHA-256 in hex: content stored once, whoever shares
//! it), `files/uploads/<upload id>` (the bytes received so far). Trees: `files` (file id →
//! [`FileRecord`]), `uploads` (upload id → [`Upload`]).
//!
//! Architecture Invariant: a file is acknowledged (its record written) only once its bytes are
//! checked against the size and SHA-256 the uploader announced, synced to disk and moved to
//! their object, and the record flushed: a `kill -9` at any moment leaves either no record or a
//! whole file; an upload cut short is resumed from the bytes on disk.
//!
//! In a cluster every node serves every file: a finished file's record and bytes are also put
//! in the store the nodes share ([`SharedContents`], PostgreSQL) before it is acknowledged.
//! A node asked for a file it does not have reads its record and bytes from there, a chunk at a
//! time; who may fetch it is decided as for its own files, from the lines and messages that
//! carry it as this node applied them from the cluster's log (tree `file_refs`).
//!
//! Here: records, objects, references and reading; uploads under way are `uploads`, and the
//! hash computed as their bytes arrive `digest`.

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Result, ServerError};

mod digest;
mod ledger;
mod uploads;

use digest::Digests;
pub use digest::HASHERS_MAX;
use ledger::Ledger;
pub use ledger::{SMALLEST_CHARGE, charged};
pub use uploads::{MAX_UNDER_WAY, Upload, UploadError, Writing};

/// Bytes copied at a time, to and from disk.
pub const CHUNK_BYTES: usize = 64 * 1024;

/// Where a file is said: what must still exist for someone to see it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FileRef {
    /// A room line, by the room's key and the line's number.
    Line { room: String, line: u64 },
    /// A private message, by its two users' login keys and its number.
    Private { a: String, b: String, id: u64 },
}

/// A file, as the chat knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRecord {
    pub id: String,
    /// Its content's SHA-256, in hex: where its bytes are.
    pub sha256: String,
    pub size: u64,
    pub name: String,
    pub mime: String,
    /// Who uploaded it (login key).
    pub owner: String,
    pub created_ms: i64,
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// A small preview of a picture, as the uploader's client made it.
    pub preview: Option<Vec<u8>>,
    /// The lines and messages that carry it.
    pub refs: Vec<FileRef>,
    /// Since when nothing carries it (server time, ms), if so.
    pub unused_since: Option<i64>,
}

impl FileRecord {
    /// The file as a line carries it, and as an upload's last answer shows it: the same map
    /// in MessagePack and in JSON.
    pub fn attachment(&self) -> chat_core::protocol::Attachment {
        chat_core::protocol::Attachment {
            id: self.id.clone(),
            name: self.name.clone(),
            size: self.size,
            mime: self.mime.clone(),
            width: self.width,
            height: self.height,
            preview: self.preview.is_some(),
        }
    }
}

/// How long a file being attached is kept from the sweep ([`FileStore::pin`]), in ms: far more
/// than saying a line takes.
pub const PIN_MS: i64 = 60_000;

/// How many pins there may be before old ones are pruned as a new one is taken.
const PINS_PRUNED_AT: usize = 1024;

/// Bytes per chunk of a file in the store the nodes share.
pub const SHARED_CHUNK_BYTES: usize = 256 * 1024;

/// Files' records and bytes where every node of a cluster reads them (PostgreSQL). Every call
/// is bounded (as every call to the shared store is) and committed before it returns.
pub trait SharedContents: Send + Sync + std::fmt::Debug {
    /// Whether the bytes of content `sha256` are all there.
    fn has_content(&self, sha256: &str) -> Result<bool>;
    /// Puts chunk `n` of content `sha256` (the same chunk again changes nothing).
    fn put_chunk(&self, sha256: &str, n: u32, bytes: &[u8]) -> Result<()>;
    /// Records file `record`, whose content is whole there: marked so now if `whole` (its
    /// chunks were just put), or else already. Returns `false`, recording nothing, when its
    /// content is not there (removed with the last other file that had it, since it was
    /// asked): its chunks are then to be put again. The content is held while the file is
    /// recorded, so that a removal of the last other file cannot take it meanwhile.
    fn put_record(&self, record: &FileRecord, whole: bool) -> Result<bool>;
    /// Changes the record of file `id` if it is there (a preview kept); a file removed
    /// meanwhile stays removed.
    fn update_record(&self, record: &FileRecord) -> Result<()>;
    /// File `id`'s record (without its references: each node keeps its own).
    fn record(&self, id: &str) -> Result<Option<FileRecord>>;
    /// Chunk `n` of content `sha256`.
    fn chunk(&self, sha256: &str, n: u32) -> Result<Option<Vec<u8>>>;
    /// Forgets file `id`, and its content when no other file has it.
    fn remove(&self, id: &str) -> Result<()>;
    /// The key every node signs file links with: `candidate` if no node chose one yet.
    fn link_key(&self, candidate: &[u8]) -> Result<Vec<u8>>;
    /// Takes room for upload `id` of `size` bytes by `owner` (login key), begun at `now_ms`,
    /// if the owner's files and uploads under way on every node leave `quota` bytes for it;
    /// whether it did. One owner's reservations are taken one at a time across the nodes.
    fn reserve(&self, id: &str, owner: &str, size: u64, quota: u64, now_ms: i64) -> Result<bool>;
    /// Gives back the room upload `id` took (stored as a file, or dropped).
    fn unreserve(&self, id: &str) -> Result<()>;
    /// Gives back the room of uploads begun before `before_ms` and never ended (a node that
    /// stopped for good with uploads under way).
    fn lapse_reservations(&self, before_ms: i64) -> Result<()>;
}

/// The files of one server.
#[derive(Debug, Clone)]
pub struct FileStore {
    db: sled::Db,
    files: sled::Tree,
    uploads: sled::Tree,
    /// References to files this node has no record of (another node's, in a cluster).
    refs: sled::Tree,
    root: PathBuf,
    /// Where a cluster's nodes share files.
    shared: Option<std::sync::Arc<dyn SharedContents>>,
    /// The SHA-256 of each upload under way, as far as its bytes came.
    digests: std::sync::Arc<Digests>,
    /// Bytes each account holds, files of each content: changed with the records.
    ledger: std::sync::Arc<Ledger>,
    /// References noted in memory while a line is said (under the room's lock, where nothing
    /// is written to disk), until [`FileStore::add_ref`] writes them, a moment later.
    soon: std::sync::Arc<std::sync::Mutex<HashMap<String, Vec<FileRef>>>>,
    /// Uploads whose bytes a request is writing now (see [`FileStore::writing`]).
    busy: std::sync::Arc<uploads::Busy>,
    /// Files being attached to a line or message, and since when (server time, ms): see
    /// [`FileStore::pin`].
    pins: std::sync::Arc<std::sync::Mutex<HashMap<String, i64>>>,
}

fn encode<T: Serialize>(what: &'static str, value: &T) -> Result<Vec<u8>> {
    rmp_serde::to_vec_named(value).map_err(|e| ServerError::CorruptRecord {
        what,
        reason: e.to_string(),
    })
}

fn decode<T: for<'de> Deserialize<'de>>(what: &'static str, bytes: &[u8]) -> Result<T> {
    rmp_serde::from_slice(bytes).map_err(|e| ServerError::CorruptRecord {
        what,
        reason: e.to_string(),
    })
}

/// A fresh random id: 128 bits in hex (nobody can guess one).
pub fn new_id() -> Result<String> {
    let mut bytes = [0u8; 16];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes)
        .map_err(|_| ServerError::Io(io::Error::other("no randomness")))?;
    Ok(hex::encode(bytes))
}

/// Whether `id` could be an id this store made (so it may name a path).
fn is_id(id: &str) -> bool {
    chat_core::protocol::is_file_id(id)
}

impl FileStore {
    /// The files under `root` (the data directory's `files/`), recorded in `db`.
    pub(super) fn open(db: &sled::Db, root: &Path) -> Result<Self> {
        fs::create_dir_all(root.join("objects"))?;
        fs::create_dir_all(root.join("uploads"))?;
        let store = FileStore {
            db: db.clone(),
            files: db.open_tree("files")?,
            uploads: db.open_tree("uploads")?,
            refs: db.open_tree("file_refs")?,
            root: root.to_owned(),
            shared: None,
            digests: std::sync::Arc::default(),
            ledger: std::sync::Arc::default(),
            soon: std::sync::Arc::default(),
            busy: std::sync::Arc::default(),
            pins: std::sync::Arc::default(),
        };
        let (objects, uploads) = store.tidy()?;
        if objects + uploads > 0 {
            tracing::info!(
                objects,
                uploads,
                "removed bytes no record names (a crash left them)"
            );
        }
        Ok(store)
    }

    /// The key file links are signed with (`links`): made once, at random, and kept, so links
    /// written before a restart still open after it. A cluster's nodes share one (the first
    /// node's), so a link opens on every node, as a file downloads from every node.
    pub fn link_key(&self) -> Result<Vec<u8>> {
        let tree = self.db.open_tree("file_links")?;
        let own = match tree.get("key")? {
            Some(key) => key.to_vec(),
            None => {
                let mut key = [0u8; 32];
                ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut key)
                    .map_err(|_| ServerError::Io(io::Error::other("no randomness")))?;
                tree.insert("key", &key[..])?;
                self.db.flush()?;
                key.to_vec()
            }
        };
        match &self.shared {
            Some(shared) => shared.link_key(&own),
            None => Ok(own),
        }
    }

    /// Removes what a crash can leave behind: an object moved into place whose record was never
    /// written, and an upload's bytes whose upload was never recorded. Runs only at open, before
    /// any upload can be between its rename and its record. Returns how many of each it removed.
    fn tidy(&self) -> Result<(usize, usize)> {
        let mut named = std::collections::HashSet::new();
        let mut sums = self.ledger.lock();
        for item in self.files.iter() {
            let (_, v) = item?;
            let record = decode::<FileRecord>("file", &v)?;
            sums.hold(&record.owner, record.size);
            sums.add_content(&record.sha256);
            named.insert(record.sha256);
        }
        for item in self.uploads.iter() {
            let (_, v) = item?;
            let upload = decode::<Upload>("upload", &v)?;
            sums.hold(&upload.owner, upload.size);
            sums.announce(&upload.owner, &upload.sha256);
        }
        drop(sums);
        let mut objects = 0;
        for dir in fs::read_dir(self.root.join("objects"))?.flatten() {
            let Ok(entries) = fs::read_dir(dir.path()) else {
                continue;
            };
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if !named.contains(&name) && fs::remove_file(entry.path()).is_ok() {
                    objects += 1;
                }
            }
        }
        let mut uploads = 0;
        for entry in fs::read_dir(self.root.join("uploads"))?.flatten() {
            let id = entry.file_name().to_string_lossy().into_owned();
            if !self.uploads.contains_key(&id)? && fs::remove_file(entry.path()).is_ok() {
                uploads += 1;
            }
        }
        Ok((objects, uploads))
    }

    /// Shares finished files with the other nodes of a cluster through `shared`, and serves
    /// theirs from it.
    #[must_use]
    pub fn shared_through(mut self, shared: std::sync::Arc<dyn SharedContents>) -> Self {
        self.shared = Some(shared);
        self
    }

    /// Puts a finished file's bytes (from its object, a chunk at a time) and record where the
    /// other nodes read them; bytes already there are not sent again, unless they went while
    /// the record was on its way (another node removed the last other file with them).
    fn share(&self, record: &FileRecord) -> Result<()> {
        let Some(shared) = &self.shared else {
            return Ok(());
        };
        let mut whole = false;
        if !shared.has_content(&record.sha256)? {
            self.share_bytes(shared.as_ref(), &record.sha256)?;
            whole = true;
        }
        if shared.put_record(record, whole)? {
            return Ok(());
        }
        self.share_bytes(shared.as_ref(), &record.sha256)?;
        if shared.put_record(record, true)? {
            Ok(())
        } else {
            Err(ServerError::CorruptRecord {
                what: "file",
                reason: "its content is not kept where the nodes share it".into(),
            })
        }
    }

    /// Puts content `sha256`'s bytes, from its object, a chunk at a time.
    fn share_bytes(&self, shared: &dyn SharedContents, sha256: &str) -> Result<()> {
        let mut object = File::open(self.object_path(sha256))?;
        let mut buf = vec![0u8; SHARED_CHUNK_BYTES];
        let mut n = 0u32;
        loop {
            let filled = read_full(&mut object, &mut buf)?;
            if filled == 0 && n > 0 {
                return Ok(());
            }
            shared.put_chunk(sha256, n, &buf[..filled])?;
            n += 1;
            if filled < buf.len() {
                return Ok(());
            }
        }
    }

    fn upload_path(&self, id: &str) -> PathBuf {
        self.root.join("uploads").join(id)
    }

    fn object_path(&self, sha256: &str) -> PathBuf {
        self.root
            .join("objects")
            .join(&sha256[..2.min(sha256.len())])
            .join(sha256)
    }

    /// File `id`'s record: this node's, or in a cluster another node's (with the references
    /// this node knows).
    pub fn get(&self, id: &str) -> Result<Option<FileRecord>> {
        if !is_id(id) {
            return Ok(None);
        }
        if let Some(local) = self.files.get(id)? {
            let mut record: FileRecord = decode("file", &local)?;
            // A picture's preview may have been given through another node of a cluster (its
            // uploader reconnected there): taken from where that node put it, and kept here.
            if record.preview.is_none()
                && record.width.is_some()
                && let Some(shared) = &self.shared
                && let Ok(Some(theirs)) = shared.record(id)
                && let Some(preview) = theirs.preview
            {
                self.change(id, |r| r.preview = Some(preview.clone()))?;
                record.preview = Some(preview);
            }
            self.with_soon(&mut record);
            return Ok(Some(record));
        }
        let Some(shared) = &self.shared else {
            return Ok(None);
        };
        let Some(mut record) = shared.record(id)? else {
            return Ok(None);
        };
        record.refs = self.remote_refs(id)?;
        self.with_soon(&mut record);
        Ok(Some(record))
    }

    fn soon(&self) -> std::sync::MutexGuard<'_, HashMap<String, Vec<FileRef>>> {
        self.soon
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Adds the references noted for `record` and not written yet.
    fn with_soon(&self, record: &mut FileRecord) {
        if let Some(soon) = self.soon().get(&record.id) {
            for reference in soon {
                if !record.refs.contains(reference) {
                    record.refs.push(reference.clone());
                }
            }
        }
    }

    /// Notes in memory, at once and without touching the disk, that `reference` carries file
    /// `id`: who may fetch it is decided from it until [`FileStore::add_ref`] writes it.
    pub fn add_ref_soon(&self, id: &str, reference: FileRef) {
        if is_id(id) {
            self.soon()
                .entry(id.to_owned())
                .or_default()
                .push(reference);
        }
    }

    /// The references this node knows to another node's file `id`.
    fn remote_refs(&self, id: &str) -> Result<Vec<FileRef>> {
        self.refs
            .get(id)?
            .map_or(Ok(Vec::new()), |v| decode("file references", &v))
    }

    /// Every other node's file this node knows references to, with them.
    pub fn all_remote_refs(&self) -> Result<Vec<(String, Vec<FileRef>)>> {
        let mut out = Vec::new();
        for item in self.refs.iter() {
            let (k, v) = item?;
            out.push((
                String::from_utf8_lossy(&k).into_owned(),
                decode("file references", &v)?,
            ));
        }
        Ok(out)
    }

    /// Keeps only `alive` of the references to another node's file `id` (none: forgets it).
    pub fn keep_remote_refs(&self, id: &str, alive: &[FileRef]) -> Result<()> {
        if alive.is_empty() {
            self.refs.remove(id)?;
        } else {
            self.refs.insert(id, encode("file references", &alive)?)?;
        }
        Ok(())
    }

    /// Every file's record, one at a time (for sweeping): however many files there are (each
    /// with a preview of up to 64 KiB), only one is in memory at once.
    pub fn records(&self) -> impl Iterator<Item = Result<FileRecord>> + '_ {
        self.files.iter().map(|item| decode("file", &item?.1))
    }

    /// Notes that `reference` carries file `id` (another node's, in a cluster, in `file_refs`).
    pub fn add_ref(&self, id: &str, reference: FileRef) -> Result<()> {
        if !is_id(id) {
            return Ok(());
        }
        if self.shared.is_some() && !self.files.contains_key(id)? {
            let mut refs = self.remote_refs(id)?;
            if !refs.contains(&reference) {
                refs.push(reference.clone());
                self.refs.insert(id, encode("file references", &refs)?)?;
            }
            self.written(id, &reference);
            return Ok(());
        }
        self.change(id, |record| {
            if !record.refs.contains(&reference) {
                record.refs.push(reference.clone());
            }
            record.unused_since = None;
        })?;
        self.written(id, &reference);
        Ok(())
    }

    /// `reference` no longer carries file `id` (this node's, or another's in `file_refs`).
    pub fn drop_ref(&self, id: &str, reference: &FileRef) -> Result<()> {
        if self.shared.is_some() && !self.files.contains_key(id)? {
            let refs: Vec<FileRef> = self
                .remote_refs(id)?
                .into_iter()
                .filter(|r| r != reference)
                .collect();
            return self.keep_remote_refs(id, &refs);
        }
        self.change(id, |record| record.refs.retain(|r| r != reference))
    }

    /// `reference` to file `id` is on disk: no longer only in memory.
    fn written(&self, id: &str, reference: &FileRef) {
        let mut soon = self.soon();
        if let Some(refs) = soon.get_mut(id) {
            refs.retain(|r| r != reference);
            if refs.is_empty() {
                soon.remove(id);
            }
        }
    }

    /// Keeps a picture's preview with file `id`: this node's (and where the other nodes read
    /// it), or in a cluster another node's, where every node reads it (its own node takes it
    /// from there when it next reads the file: see [`FileStore::get`]).
    pub fn set_preview(&self, id: &str, preview: Vec<u8>) -> Result<()> {
        self.change(id, |record| record.preview = Some(preview.clone()))?;
        match (&self.shared, self.files.get(id)?) {
            (Some(shared), Some(record)) => shared.update_record(&decode("file", &record)?),
            (Some(shared), None) => match shared.record(id)? {
                Some(mut record) => {
                    record.preview = Some(preview);
                    shared.update_record(&record)
                }
                None => Ok(()),
            },
            (None, _) => Ok(()),
        }
    }

    /// Changes this node's file `id`'s record, if there is one, in one step: a record removed
    /// meanwhile stays removed (`change` may run more than once, if the record changed under
    /// it).
    pub fn change(&self, id: &str, change: impl Fn(&mut FileRecord)) -> Result<()> {
        if !is_id(id) {
            return Ok(());
        }
        self.files.update_and_fetch(id, |old| {
            let old = old?;
            let Ok(mut record) = decode::<FileRecord>("file", old) else {
                return Some(old.to_vec());
            };
            change(&mut record);
            Some(encode("file", &record).unwrap_or_else(|_| old.to_vec()))
        })?;
        Ok(())
    }

    /// Notes that file `id` is being attached to a line or message (at `now_ms`, server
    /// time), before the sender is checked and the line said: until [`PIN_MS`] later, or its
    /// reference is noted, the sweep does not remove it. Without this, a sweep that had read
    /// the file as unused could remove it between the check and the line's reference, and the
    /// line carry a file that is gone.
    pub fn pin(&self, id: &str, now_ms: i64) {
        if is_id(id) {
            let mut pins = self
                .pins
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            // Ids a client merely named (refused after) do not pile up.
            if pins.len() >= PINS_PRUNED_AT {
                pins.retain(|_, at| now_ms.saturating_sub(*at) < PIN_MS);
            }
            pins.insert(id.to_owned(), now_ms);
        }
    }

    /// Forgets file `id`, and its bytes when no other file has the same content, if its record
    /// is still `seen` (what the caller decided from) at `now_ms`: one that changed meanwhile
    /// (a line came to carry it) or is being attached ([`FileStore::pin`]) stays. Returns
    /// whether it went.
    pub fn remove(&self, id: &str, seen: &FileRecord, now_ms: i64) -> Result<bool> {
        // Held until its record is gone: a file pinned after that is not found by the one who
        // pinned it, and is not attached.
        let mut pins = self
            .pins
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        pins.retain(|_, at| now_ms.saturating_sub(*at) < PIN_MS);
        if pins.contains_key(id) {
            return Ok(false);
        }
        let Some(raw) = self.files.get(id)? else {
            return Ok(false);
        };
        let record = decode::<FileRecord>("file", &raw)?;
        if record != *seen || self.soon().contains_key(id) {
            return Ok(false);
        }
        let mut sums = self.ledger.lock();
        if self
            .files
            .compare_and_swap(id, Some(&raw), None as Option<&[u8]>)?
            .is_err()
        {
            return Ok(false);
        }
        // Gone from the records: one pinned from now on is not found by its line.
        drop(pins);
        if let Some(shared) = &self.shared
            && let Err(e) = shared.remove(id)
        {
            // Still everywhere: kept here too, to be removed at a later sweep.
            self.files.insert(id, raw)?;
            return Err(e);
        }
        sums.release(&record.owner, record.size);
        // Its bytes go unless another file has them, or an upload announcing them may end
        // on them (it keeps its record until its file's record is written).
        let kept = sums.drop_content(&record.sha256) || sums.uploading(&record.sha256);
        if !kept {
            // The record's removal on disk first: a crash then never brings back a record
            // whose bytes are gone.
            self.db.flush()?;
            fs::remove_file(self.object_path(&record.sha256)).ok();
        }
        Ok(true)
    }

    /// The bytes of a file from byte `start`, to read: from this node's disk, or in a cluster
    /// from the store the nodes share, a chunk at a time.
    pub fn bytes(&self, record: &FileRecord, start: u64) -> io::Result<Box<dyn Read + Send>> {
        match File::open(self.object_path(&record.sha256)) {
            Ok(mut file) => {
                io::Seek::seek(&mut file, io::SeekFrom::Start(start))?;
                Ok(Box::new(file))
            }
            Err(e) => match &self.shared {
                Some(shared) if e.kind() == io::ErrorKind::NotFound => Ok(Box::new(SharedReader {
                    shared: std::sync::Arc::clone(shared),
                    sha256: record.sha256.clone(),
                    next: u32::try_from(start / SHARED_CHUNK_BYTES as u64)
                        .map_err(io::Error::other)?,
                    skip: usize::try_from(start % SHARED_CHUNK_BYTES as u64).unwrap_or(0),
                    chunk: Vec::new(),
                    at: 0,
                })),
                _ => Err(e),
            },
        }
    }

    /// How many objects (distinct contents) are stored.
    pub fn objects(&self) -> usize {
        fs::read_dir(self.root.join("objects"))
            .map(|dirs| {
                dirs.flatten()
                    .filter_map(|d| fs::read_dir(d.path()).ok())
                    .map(|d| d.count())
                    .sum()
            })
            .unwrap_or(0)
    }
}

/// Reads until `buf` is full or the end; how many bytes it holds.
fn read_full(from: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    match digest::fill(from, buf) {
        (n, None) => Ok(n),
        (_, Some(e)) => Err(e),
    }
}

/// A file's bytes read from the store the nodes share, one chunk in memory at a time.
struct SharedReader {
    shared: std::sync::Arc<dyn SharedContents>,
    sha256: String,
    /// The next chunk to fetch.
    next: u32,
    /// Bytes of the first chunk fetched that come before the start.
    skip: usize,
    chunk: Vec<u8>,
    at: usize,
}

impl Read for SharedReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.at >= self.chunk.len() {
            let chunk = self
                .shared
                .chunk(&self.sha256, self.next)
                .map_err(io::Error::other)?;
            let Some(chunk) = chunk else {
                return Ok(0);
            };
            self.next += 1;
            self.at = std::mem::take(&mut self.skip).min(chunk.len());
            self.chunk = chunk;
            if self.at >= self.chunk.len() {
                return Ok(0);
            }
        }
        let n = buf.len().min(self.chunk.len() - self.at);
        buf[..n].copy_from_slice(&self.chunk[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// Syncs a directory, so a rename in it survives a crash (where the system allows).
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

#[cfg(test)]
mod tests {
    use super::uploads::tests::upload;
    use super::*;

    /// What a `kill -9` between two steps of an upload leaves (an object moved into place but
    /// never recorded, bytes of an upload never recorded) is gone at the next open; a recorded
    /// file and an upload under way stay whole.
    #[test]
    fn what_a_crash_left_between_two_steps_is_removed_at_open_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("files");
        let kept_id = "0".repeat(32);
        let going_id = "1".repeat(32);
        {
            let db = sled::open(dir.path().join("db")).unwrap();
            let files = FileStore::open(&db, &root).unwrap();
            let kept = upload(&new_id().unwrap(), b"kept");
            files.begin(&kept, u64::MAX).unwrap();
            files.append(&kept, 0, &mut &b"kept"[..], 4).unwrap();
            files.finish(&kept, &kept_id, 1).unwrap();
            let going = upload(&going_id, b"half");
            files.begin(&going, u64::MAX).unwrap();
            files.append(&going, 0, &mut &b"ha"[..], 2).unwrap();
            // The crash: an object with no record, bytes with no upload.
            let orphan = root.join("objects").join("ab").join("ab".repeat(32));
            fs::create_dir_all(orphan.parent().unwrap()).unwrap();
            fs::write(&orphan, b"orphan").unwrap();
            fs::write(root.join("uploads").join("2".repeat(32)), b"stray").unwrap();
            assert_eq!(files.objects(), 2);
            db.flush().unwrap();
        }
        let db = sled::open(dir.path().join("db")).unwrap();
        let files = FileStore::open(&db, &root).unwrap();
        assert_eq!(files.objects(), 1, "only the recorded file's object stays");
        let record = files.get(&kept_id).unwrap().unwrap();
        let mut bytes = Vec::new();
        files
            .bytes(&record, 0)
            .unwrap()
            .read_to_end(&mut bytes)
            .unwrap();
        assert_eq!(bytes, b"kept");
        let (_, have) = files.upload(&going_id).unwrap().unwrap();
        assert_eq!(have, 2, "an upload under way keeps its bytes");
        assert!(!root.join("uploads").join("2".repeat(32)).exists());
    }
}
