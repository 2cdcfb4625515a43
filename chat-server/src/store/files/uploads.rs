//! Uploads under way: announced (`begin`), their bytes taken from wherever a connection left
//! them (`append`, hashed as they come: `digest`), checked, stored and recorded when the last
//! byte comes (`finish`), or forgotten. See the parent module's invariant.

use std::collections::HashSet;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::digest::{self, CopyError};
use super::{FileRecord, FileStore, decode, encode, is_id, sync_dir};
use crate::error::{Result, ServerError};

/// An upload under way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Upload {
    pub id: String,
    pub owner: String,
    pub name: String,
    pub mime: String,
    /// Announced size and SHA-256 (hex), checked when the last byte comes.
    pub size: u64,
    pub sha256: String,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub preview: Option<Vec<u8>>,
    pub created_ms: i64,
}

/// The most uploads one account may have under way on a server (each holds a record, a file
/// and a hash's state until it ends or lapses): far more than a person sends at once.
pub const MAX_UNDER_WAY: usize = 64;

/// Why an upload's bytes were not taken.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// The bytes go at another offset: the upload has this many.
    #[error("the upload has {0} bytes: send from there")]
    Offset(u64),
    /// More bytes than announced.
    #[error("more bytes than the announced size")]
    TooLong,
    /// The account would hold more than its quota with this upload.
    #[error("over the account's quota")]
    OverQuota,
    /// The account has [`MAX_UNDER_WAY`] uploads under way already.
    #[error("too many uploads under way")]
    TooMany,
    /// The bytes do not make the announced file.
    #[error("the file's {0} does not match what was announced")]
    Mismatch(&'static str),
    /// The body stopped coming before its length (the peer went away, or sent nothing for the
    /// connection's timeout); the bytes before it are kept.
    #[error("the body stopped coming: {0}")]
    Cut(io::Error),
    #[error(transparent)]
    Store(#[from] ServerError),
}

/// An upload whose bytes one request is writing, until dropped. A client that lost its
/// connection may resume on a new one while the server still reads the old one's last bytes:
/// had both appended, the file would have grown past its size (refusing every later request),
/// or the old request's last bytes gone into the stored file after the new one finished it.
#[derive(Debug)]
pub struct Writing {
    busy: Arc<Busy>,
    id: String,
}

/// The uploads being written, and a way to wait for one.
#[derive(Debug, Default)]
pub(super) struct Busy {
    ids: Mutex<HashSet<String>>,
    freed: Condvar,
}

impl Drop for Writing {
    fn drop(&mut self) {
        self.busy
            .ids
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.id);
        self.busy.freed.notify_all();
    }
}

impl FileStore {
    /// Upload `id`'s bytes, to write them (`append`, `finish`), once no other request writes
    /// them (waiting up to `wait`: the other's reads time out); `None` if one still does.
    pub fn writing(&self, id: &str, wait: Duration) -> Option<Writing> {
        let deadline = Instant::now() + wait;
        let mut ids = self.busy.ids.lock().unwrap_or_else(PoisonError::into_inner);
        while ids.contains(id) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            ids = self
                .busy
                .freed
                .wait_timeout(ids, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        ids.insert(id.to_owned());
        Some(Writing {
            busy: Arc::clone(&self.busy),
            id: id.to_owned(),
        })
    }

    /// Records a new upload (no bytes yet), unless its owner would then hold more than
    /// `quota` bytes (its files and its uploads under way, this one's announced size included).
    pub fn begin(&self, upload: &Upload, quota: u64) -> std::result::Result<(), UploadError> {
        // In a cluster its room is taken where the nodes share files (the account's files and
        // uploads under way on every node), before and outside this node's lock: a slow
        // database holds up this upload, not every other.
        if let Some(shared) = &self.shared
            && !shared.reserve(
                &upload.id,
                &upload.owner,
                upload.size,
                quota,
                upload.created_ms,
            )?
        {
            return Err(UploadError::OverQuota);
        }
        // Its room is taken under the lock, and the disk written without it (given back if
        // that fails).
        {
            let mut sums = self.ledger.lock();
            if sums.uploads_of(&upload.owner) >= MAX_UNDER_WAY {
                drop(sums);
                self.unreserve(&upload.id);
                return Err(UploadError::TooMany);
            }
            if self.shared.is_none()
                && sums
                    .held(&upload.owner)
                    .saturating_add(super::ledger::charged(upload.size))
                    > quota
            {
                return Err(UploadError::OverQuota);
            }
            sums.hold(&upload.owner, upload.size);
            sums.announce(&upload.owner, &upload.sha256);
        }
        let recorded = File::create(self.upload_path(&upload.id))
            .map_err(ServerError::from)
            .and_then(|_| Ok(self.uploads.insert(&upload.id, encode("upload", upload)?)?))
            .and_then(|_| Ok(self.db.flush()?));
        if let Err(e) = recorded {
            // Not left half there: a record kept without its count would be counted off
            // twice when it is dropped.
            let _ = self.uploads.remove(&upload.id);
            let _ = fs::remove_file(self.upload_path(&upload.id));
            let mut sums = self.ledger.lock();
            sums.release(&upload.owner, upload.size);
            sums.unannounce(&upload.owner, &upload.sha256);
            drop(sums);
            self.unreserve(&upload.id);
            return Err(e.into());
        }
        Ok(())
    }

    /// An upload under way, and how many of its bytes are on disk.
    pub fn upload(&self, id: &str) -> Result<Option<(Upload, u64)>> {
        if !is_id(id) {
            return Ok(None);
        }
        let Some(bytes) = self.uploads.get(id)? else {
            return Ok(None);
        };
        let upload: Upload = decode("upload", &bytes)?;
        let have = fs::metadata(self.upload_path(id)).map_or(0, |m| m.len());
        Ok(Some((upload, have)))
    }

    /// Every upload under way (for quotas and sweeping).
    pub fn uploads(&self) -> Result<Vec<Upload>> {
        let mut out = Vec::new();
        for item in self.uploads.iter() {
            let (_, v) = item?;
            out.push(decode("upload", &v)?);
        }
        Ok(out)
    }

    /// Appends `len` bytes of `body` to upload `id`, which must have `offset` bytes now.
    /// Returns how many it has after; on a read error mid-way, what arrived stays (the client
    /// resumes from there).
    pub fn append(
        &self,
        upload: &Upload,
        offset: u64,
        body: &mut impl Read,
        len: u64,
    ) -> std::result::Result<u64, UploadError> {
        let path = self.upload_path(&upload.id);
        // No bytes on disk for a recorded upload: a crash came after they were moved to their
        // object but before the upload was forgotten. Nobody was told it ended, so the uploader
        // sends it again from 0.
        let have = fs::metadata(&path).map_or(0, |m| m.len());
        if offset != have {
            return Err(UploadError::Offset(have));
        }
        if len > upload.size.saturating_sub(have) {
            return Err(UploadError::TooLong);
        }
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(ServerError::from)?;
        let context = self
            .digests
            .resume(&upload.id, have, &path)
            .map_err(ServerError::from)?;
        let (written, context, error) = digest::copy_hashed(body, &mut file, len, context);
        if let Some(context) = context {
            self.digests.keep(&upload.id, have + written, context);
        }
        match error {
            None => {
                file.flush().map_err(ServerError::from)?;
                Ok(have + written)
            }
            Some(CopyError::Read(e)) => {
                file.flush().ok();
                Err(UploadError::Cut(e))
            }
            Some(CopyError::Write(e)) => {
                file.flush().ok();
                Err(UploadError::Store(ServerError::Io(e)))
            }
        }
    }

    /// Ends upload `id` once every byte came: checks them against the announced size and
    /// SHA-256, syncs them, moves them to their object (or drops them when the same content is
    /// stored already), and records the file under `file_id` (flushed). Returns the record.
    pub fn finish(
        &self,
        upload: &Upload,
        file_id: &str,
        now_ms: i64,
    ) -> std::result::Result<FileRecord, UploadError> {
        let path = self.upload_path(&upload.id);
        let size = fs::metadata(&path).map_err(ServerError::from)?.len();
        if size != upload.size {
            // Not what was announced (writing is one request at a time, so this is a disk's
            // or a crash's doing): start again, as for a wrong checksum.
            self.digests.forget(&upload.id);
            File::create(&path).map_err(ServerError::from)?;
            return Err(UploadError::Mismatch("size"));
        }
        let sha256 = match self.digests.finished(&upload.id, size) {
            Some(digest) => hex::encode(digest),
            None => hex::encode(digest::hash_file(&path).map_err(ServerError::from)?),
        };
        if !sha256.eq_ignore_ascii_case(&upload.sha256) {
            // What came is not what was announced: start again.
            fs::remove_file(&path).ok();
            File::create(&path).map_err(ServerError::from)?;
            return Err(UploadError::Mismatch("SHA-256"));
        }
        let object = self.object_path(&sha256);
        let sync = || {
            File::open(&path)
                .and_then(|f| f.sync_all())
                .map_err(ServerError::from)
        };
        // The costly sync outside the lock below, whenever the content looks new.
        let synced = !object.exists() && sync().is_ok();
        let sums = self.ledger.lock();
        let moved = if object.exists() {
            fs::remove_file(&path).map_err(ServerError::from)?;
            false
        } else {
            if !synced {
                sync()?;
            }
            if let Some(dir) = object.parent() {
                fs::create_dir_all(dir).map_err(ServerError::from)?;
            }
            fs::rename(&path, &object).map_err(ServerError::from)?;
            true
        };
        // From here the upload's record (kept until the file's is written) holds the object.
        drop(sums);
        if moved && let Some(dir) = object.parent() {
            sync_dir(dir);
        }
        let record = FileRecord {
            id: file_id.to_owned(),
            sha256,
            size,
            name: upload.name.clone(),
            mime: upload.mime.clone(),
            owner: upload.owner.clone(),
            created_ms: now_ms,
            width: upload.width,
            height: upload.height,
            preview: upload.preview.clone(),
            refs: Vec::new(),
            unused_since: Some(now_ms),
        };
        // Everywhere before it is acknowledged anywhere. A failure here (PostgreSQL out of
        // reach) leaves the object and the upload without bytes: its uploader is told to try
        // again, and sends it again from 0 (see `append`).
        self.share(&record)?;
        self.unreserve(&upload.id);
        // The upload's bytes become the file's: the owner holds as much as before.
        let mut sums = self.ledger.lock();
        self.files
            .insert(file_id, encode("file", &record)?)
            .map_err(ServerError::from)?;
        sums.add_content(&record.sha256);
        match self.uploads.remove(&upload.id).map_err(ServerError::from)? {
            Some(_) => sums.unannounce(&upload.owner, &upload.sha256),
            // Dropped meanwhile (it had lasted past its grace), which let its bytes go.
            None => sums.hold(&record.owner, record.size),
        }
        drop(sums);
        self.db.flush().map_err(ServerError::from)?;
        Ok(record)
    }

    /// Forgets an upload and its bytes.
    pub fn drop_upload(&self, id: &str) -> Result<()> {
        if is_id(id) {
            let mut sums = self.ledger.lock();
            if let Some(v) = self.uploads.remove(id)? {
                let upload = decode::<Upload>("upload", &v)?;
                sums.release(&upload.owner, upload.size);
                sums.unannounce(&upload.owner, &upload.sha256);
            }
            drop(sums);
            self.unreserve(id);
            self.digests.forget(id);
            fs::remove_file(self.upload_path(id)).ok();
        }
        Ok(())
    }

    /// Gives back, where the nodes share files, the room upload `id` took. Not reached now,
    /// it lapses with the uploads of its age ([`SharedContents::lapse_reservations`]): the
    /// owner is held to less for a while, never allowed more.
    fn unreserve(&self, id: &str) {
        if let Some(shared) = &self.shared
            && let Err(e) = shared.unreserve(id)
        {
            tracing::warn!(upload = id, "an upload's room is kept until it lapses: {e}");
        }
    }

    /// Gives back, where the nodes share files, the room of uploads begun before `before_ms`
    /// on any node and never ended.
    pub fn lapse_reservations(&self, before_ms: i64) {
        if let Some(shared) = &self.shared
            && let Err(e) = shared.lapse_reservations(before_ms)
        {
            tracing::warn!("uploads' room is given back at a later sweep: {e}");
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use std::io;

    use ring::digest::SHA256;

    use super::*;

    /// An upload of `bytes` announced under `id`.
    pub(in crate::store::files) fn upload(id: &str, bytes: &[u8]) -> Upload {
        Upload {
            id: id.into(),
            owner: "ana".into(),
            name: "notes.txt".into(),
            mime: "text/plain".into(),
            size: bytes.len() as u64,
            sha256: hex::encode(ring::digest::digest(&SHA256, bytes)),
            width: None,
            height: None,
            preview: None,
            created_ms: 0,
        }
    }

    /// A crash after an upload's bytes became an object but before the upload was forgotten
    /// leaves a recorded upload with no bytes: it starts again from 0 and ends whole.
    #[test]
    fn a_recorded_upload_whose_bytes_are_gone_starts_again_from_zero() {
        let dir = tempfile::tempdir().unwrap();
        let db = sled::open(dir.path().join("db")).unwrap();
        let files = FileStore::open(&db, &dir.path().join("files")).unwrap();
        let going = upload(&"3".repeat(32), b"again");
        files.begin(&going, u64::MAX).unwrap();
        files.append(&going, 0, &mut &b"ag"[..], 2).unwrap();
        fs::remove_file(files.upload_path(&going.id)).unwrap();
        assert_eq!(files.upload(&going.id).unwrap().unwrap().1, 0);
        assert!(matches!(
            files.append(&going, 2, &mut &b"ain"[..], 3),
            Err(UploadError::Offset(0))
        ));
        assert_eq!(files.append(&going, 0, &mut &b"again"[..], 5).unwrap(), 5);
        let record = files.finish(&going, &"4".repeat(32), 1).unwrap();
        assert_eq!(record.size, 5);
    }

    /// An account's quota counts its uploads under way and its files, frees what is dropped
    /// or removed, and is counted again from the records after a restart; content shared by
    /// two files stays until the second goes.
    #[test]
    fn the_quota_counts_uploads_and_files_and_frees_what_goes() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("files");
        let (a, b) = (
            upload(&"a".repeat(32), b"0123456789"),
            upload(&"b".repeat(32), b"0123456789"),
        );
        // Each counts as much as a preview may weigh: the smallest charge.
        let c = super::super::ledger::SMALLEST_CHARGE;
        {
            let db = sled::open(dir.path().join("db")).unwrap();
            let files = FileStore::open(&db, &root).unwrap();
            files.begin(&a, 2 * c).unwrap();
            files.begin(&b, 2 * c).unwrap();
            let third = upload(&"c".repeat(32), b"x");
            assert!(matches!(
                files.begin(&third, 2 * c),
                Err(UploadError::OverQuota)
            ));
            files.append(&a, 0, &mut &b"0123456789"[..], 10).unwrap();
            files.finish(&a, &"1".repeat(32), 1).unwrap();
            files.drop_upload(&b.id).unwrap();
            files.begin(&third, 2 * c).unwrap();
            assert!(matches!(
                files.begin(&b, 2 * c),
                Err(UploadError::OverQuota)
            ));
        }
        let db = sled::open(dir.path().join("db")).unwrap();
        let files = FileStore::open(&db, &root).unwrap();
        // Counted again: the file and the upload of one byte.
        assert!(matches!(
            files.begin(&b, 2 * c),
            Err(UploadError::OverQuota)
        ));
        files.begin(&b, 3 * c).unwrap();
        files.append(&b, 0, &mut &b"0123456789"[..], 10).unwrap();
        files.finish(&b, &"2".repeat(32), 2).unwrap();
        assert_eq!(files.objects(), 1, "the same content, stored once");
        let first = files.get(&"1".repeat(32)).unwrap().unwrap();
        assert!(files.remove(&"1".repeat(32), &first, 0).unwrap());
        assert_eq!(files.objects(), 1, "still the other file's");
        let second = files.get(&"2".repeat(32)).unwrap().unwrap();
        let mut changed = second.clone();
        changed.unused_since = None;
        assert!(
            !files.remove(&"2".repeat(32), &changed, 0).unwrap(),
            "not what the caller saw: it stays"
        );
        // Being attached to a line, it is kept from removal until it is noted or a minute
        // has passed.
        files.pin(&"2".repeat(32), 1_000);
        assert!(
            !files
                .remove(&"2".repeat(32), &second, 1_000 + 59_999)
                .unwrap()
        );
        assert!(
            files
                .remove(&"2".repeat(32), &second, 1_000 + super::super::PIN_MS)
                .unwrap()
        );
        assert_eq!(files.objects(), 0);
        files.begin(&a, 2 * c).unwrap();
    }

    /// Pseudo-random bytes (no two chunks alike, so a chunk hashed twice or skipped shows).
    fn content(len: usize) -> Vec<u8> {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect()
    }

    /// A body that breaks (as a dropped connection does) after `ok` bytes.
    struct Breaking<'a> {
        bytes: &'a [u8],
        ok: usize,
    }

    impl Read for Breaking<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.ok == 0 {
                return Err(io::ErrorKind::ConnectionReset.into());
            }
            let n = buf.len().min(self.ok).min(self.bytes.len()).min(5_000);
            buf[..n].copy_from_slice(&self.bytes[..n]);
            self.bytes = &self.bytes[n..];
            self.ok -= n;
            Ok(n)
        }
    }

    /// A large upload (hashed beside the copy) cut twice, once by a restart of the server,
    /// is resumed each time from the bytes on disk and stored with its announced hash.
    #[test]
    fn a_large_upload_cut_and_resumed_across_a_restart_is_stored_whole() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("files");
        let bytes = content(3 * 1024 * 1024 + 17);
        let going = upload(&"5".repeat(32), &bytes);
        let cut = 1_300_001;
        {
            let db = sled::open(dir.path().join("db")).unwrap();
            let files = FileStore::open(&db, &root).unwrap();
            files.begin(&going, u64::MAX).unwrap();
            let mut body = Breaking {
                bytes: &bytes,
                ok: cut,
            };
            let len = bytes.len() as u64;
            assert!(files.append(&going, 0, &mut body, len).is_err());
            assert_eq!(files.upload(&going.id).unwrap().unwrap().1, cut as u64);
            db.flush().unwrap();
        }
        // A restart: no hash state survives; the bytes on disk are hashed again.
        let db = sled::open(dir.path().join("db")).unwrap();
        let files = FileStore::open(&db, &root).unwrap();
        let second = 2_500_000;
        let mut body = Breaking {
            bytes: &bytes[cut..],
            ok: second - cut,
        };
        let left = (bytes.len() - cut) as u64;
        assert!(files.append(&going, cut as u64, &mut body, left).is_err());
        let left = (bytes.len() - second) as u64;
        let have = files
            .append(&going, second as u64, &mut &bytes[second..], left)
            .unwrap();
        assert_eq!(have, bytes.len() as u64);
        let record = files.finish(&going, &"6".repeat(32), 1).unwrap();
        assert_eq!(record.sha256, going.sha256);
        let mut back = Vec::new();
        files
            .bytes(&record, 0)
            .unwrap()
            .read_to_end(&mut back)
            .unwrap();
        assert!(back == bytes, "the stored file is the uploaded one");
    }

    /// A hash kept between requests is used only while it covers every byte on disk: bytes
    /// added behind its back (another connection writing the same upload) are hashed from disk.
    #[test]
    fn a_kept_hash_that_does_not_cover_the_file_is_not_trusted() {
        let dir = tempfile::tempdir().unwrap();
        let db = sled::open(dir.path().join("db")).unwrap();
        let files = FileStore::open(&db, &dir.path().join("files")).unwrap();
        let bytes = content(3 * 1024 * 1024);
        let going = upload(&"7".repeat(32), &bytes);
        files.begin(&going, u64::MAX).unwrap();
        let (a, b) = (1024 * 1024, 2 * 1024 * 1024);
        files.append(&going, 0, &mut &bytes[..a], a as u64).unwrap();
        let mut behind = OpenOptions::new()
            .append(true)
            .open(files.upload_path(&going.id))
            .unwrap();
        behind.write_all(&bytes[a..b]).unwrap();
        let rest = (bytes.len() - b) as u64;
        files
            .append(&going, b as u64, &mut &bytes[b..], rest)
            .unwrap();
        let record = files.finish(&going, &"8".repeat(32), 1).unwrap();
        assert_eq!(record.sha256, going.sha256);
    }

    /// Bytes of the announced size but not the announced content are refused, whether hashed
    /// beside the copy (a large body) or as they come (a small one), and the upload starts again.
    #[test]
    fn bytes_that_are_not_the_announced_file_are_refused_at_any_size() {
        let dir = tempfile::tempdir().unwrap();
        let db = sled::open(dir.path().join("db")).unwrap();
        let files = FileStore::open(&db, &dir.path().join("files")).unwrap();
        for (n, len) in [(0u8, 10usize), (1, 2 * 1024 * 1024)] {
            let bytes = content(len);
            let going = upload(&n.to_string().repeat(32), &bytes);
            let mut other = bytes.clone();
            other[len / 2] ^= 1;
            files.begin(&going, u64::MAX).unwrap();
            files
                .append(&going, 0, &mut &other[..], len as u64)
                .unwrap();
            assert!(matches!(
                files.finish(&going, &"9".repeat(32), 1),
                Err(UploadError::Mismatch("SHA-256"))
            ));
            assert_eq!(files.upload(&going.id).unwrap().unwrap().1, 0);
            files
                .append(&going, 0, &mut &bytes[..], len as u64)
                .unwrap();
            let record = files.finish(&going, &"a".repeat(32), 1).unwrap();
            assert_eq!(record.sha256, going.sha256);
        }
    }
}
