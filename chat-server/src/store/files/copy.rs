//! An upload's bytes from the connection to disk, hashed on the way.
//!
//! A large body goes through three threads, in pieces of 512 KiB that go round between them:
//! the connection's thread reads (over TLS, decrypts) a piece, and hands it at once to both a
//! hashing thread, which adds it to the SHA-256, and a writing thread, which writes it to the
//! file and syncs the file every MiB. So the three costs of an upload beyond reading it (hashing,
//! copying into the page cache, the disk's own writing) run beside the reading and beside each
//! other, and the sync that must come before the upload is acknowledged finds little left to
//! write: on the project's machine it took 17 ms of a 25 MiB upload when it came all at the end,
//! under 1 ms now. The writes still go through the page cache, so a file just shared is in
//! memory when the room fetches it. The hasher and the writer run at the lowest priority: chat
//! lines go first on a busy machine, and an upload waits (its reader finds no piece free, its
//! sender's TCP window closes). The pieces bound what an upload holds in memory: four, 2 MiB.
//!
//! Architecture Invariant: every byte is written at the offset it belongs at (`at` plus what
//! came before it); the hash returned covers exactly the bytes written, or is none; after a
//! failed sync the file is cut back to what the last sync that worked covered, so an upload
//! resumed from the file's length never counts bytes the disk may not hold.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::sync::Arc;

use ring::digest::Context;

use super::CHUNK_BYTES;

/// Bodies at least this long go through the three threads; shorter ones are copied and hashed
/// by the connection's thread as they come (and synced once, when the upload ends).
const THREADED_FROM_BYTES: u64 = 1024 * 1024;
/// Bytes of a piece.
const PIECE_BYTES: usize = 512 * 1024;
/// Pieces per upload: one being read, the others hashed or written.
const PIECES: usize = 4;
/// The writer syncs the file each time this many more bytes are written.
const SYNC_EVERY_BYTES: u64 = 1024 * 1024;

/// How a copy ended early.
#[derive(Debug)]
pub(super) enum CopyError {
    /// Reading the body failed (the peer went away, a timeout).
    Read(io::Error),
    /// Writing or syncing the file failed.
    Write(io::Error),
}

/// Copies at most `len` bytes from `body` into `file` from offset `at` (its length), hashing
/// them into `context`. Returns how many bytes were written, the context covering exactly them
/// (none after a failed write, which may have left part of a piece), and the error that stopped
/// it early, if one did; a body that ends early is not an error (fewer bytes came).
pub(super) fn copy_hashed(
    body: &mut impl Read,
    file: &mut File,
    at: u64,
    len: u64,
    mut context: Context,
) -> (u64, Option<Context>, Option<CopyError>) {
    if let Err(e) = file.seek(SeekFrom::Start(at)) {
        return (0, Some(context), Some(CopyError::Write(e)));
    }
    if len < THREADED_FROM_BYTES {
        let mut buf = vec![0u8; CHUNK_BYTES];
        let (written, error) = copy(body, file, len, &mut buf, |chunk| context.update(chunk));
        let context = (!matches!(error, Some(CopyError::Write(_)))).then_some(context);
        return (written, context, error);
    }
    let (to_hash, hash_rx) = crossbeam_channel::bounded::<Arc<Piece>>(PIECES);
    let (to_write, write_rx) = crossbeam_channel::bounded::<Arc<Piece>>(PIECES);
    // Each piece comes back twice, from the hasher and from the writer: the second to come is
    // the reader's again.
    let (back, pool) = crossbeam_channel::bounded::<Arc<Piece>>(2 * PIECES);
    let mut fresh: Vec<Piece> = (0..PIECES).map(|_| Piece::new()).collect();
    std::thread::scope(|scope| {
        let hash_back = back.clone();
        let hasher = scope.spawn(move || {
            crate::threads::spares::lowest_priority();
            for piece in hash_rx {
                context.update(piece.bytes());
                let _ = hash_back.send(piece);
            }
            context
        });
        let writer = scope.spawn(move || {
            crate::threads::spares::lowest_priority();
            let mut written = 0u64;
            let mut synced = 0u64;
            for piece in write_rx {
                if let Err(e) = file.write_all(piece.bytes()) {
                    return (written, Some(e));
                }
                written += piece.len as u64;
                if written - synced >= SYNC_EVERY_BYTES {
                    if let Err(e) = file.sync_data() {
                        // What was written since the last sync may not be on the disk: it
                        // is dropped, and sent again when the upload resumes.
                        let _ = file.set_len(at + synced);
                        return (synced, Some(e));
                    }
                    synced = written;
                }
                // The reader may have stopped already: the piece is then dropped.
                let _ = back.send(piece);
            }
            (written, None)
        });
        let mut read = 0u64;
        let mut read_error = None;
        while read < len {
            let Some(mut piece) = fresh.pop().or_else(|| take_back(&pool)) else {
                break;
            };
            let want = usize::try_from(len - read).map_or(PIECE_BYTES, |l| l.min(PIECE_BYTES));
            let (n, failed) = fill(body, &mut piece.buf[..want]);
            piece.len = n;
            read += n as u64;
            if n > 0 {
                let piece = Arc::new(piece);
                // No writer: a write failed, and the copy stops.
                if to_write.send(Arc::clone(&piece)).is_err() {
                    break;
                }
                let _ = to_hash.send(piece);
            }
            if let Some(e) = failed {
                read_error = Some(e);
                break;
            }
            if n < want {
                break;
            }
        }
        drop(to_hash);
        drop(to_write);
        let context = hasher.join().ok();
        let (written, write_error) = writer
            .join()
            .unwrap_or_else(|_| (0, Some(io::Error::other("the writing thread panicked"))));
        match write_error {
            Some(e) => (written, None, Some(CopyError::Write(e))),
            None => (written, context, read_error.map(CopyError::Read)),
        }
    })
}

/// A piece of an upload in memory.
struct Piece {
    buf: Vec<u8>,
    /// Bytes it holds.
    len: usize,
}

impl Piece {
    fn new() -> Piece {
        Piece {
            buf: vec![0u8; PIECE_BYTES],
            len: 0,
        }
    }

    fn bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

/// The next piece both the hasher and the writer are done with; none once neither can give one
/// back.
fn take_back(pool: &crossbeam_channel::Receiver<Arc<Piece>>) -> Option<Piece> {
    loop {
        // Dropping the first of a piece's two copies leaves the other the only one.
        if let Ok(piece) = Arc::try_unwrap(pool.recv().ok()?) {
            return Some(piece);
        }
    }
}

/// Copies at most `len` bytes from `body` to `file` through `buf`, handing each chunk written
/// to `hash`.
fn copy(
    body: &mut impl Read,
    file: &mut File,
    len: u64,
    buf: &mut [u8],
    mut hash: impl FnMut(&[u8]),
) -> (u64, Option<CopyError>) {
    let mut written = 0u64;
    while written < len {
        let want = usize::try_from((len - written).min(buf.len() as u64)).unwrap_or(buf.len());
        let (n, failed) = fill(body, &mut buf[..want]);
        if let Err(e) = file.write_all(&buf[..n]) {
            return (written, Some(CopyError::Write(e)));
        }
        hash(&buf[..n]);
        written += n as u64;
        if let Some(e) = failed {
            return (written, Some(CopyError::Read(e)));
        }
        if n < want {
            break;
        }
    }
    (written, None)
}

/// Reads until `buf` is full or the body ends or fails: how many bytes came, and the error that
/// stopped it, if one did (the bytes before it still count).
pub(super) fn fill(body: &mut impl Read, buf: &mut [u8]) -> (usize, Option<io::Error>) {
    let mut filled = 0;
    while filled < buf.len() {
        match body.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return (filled, Some(e)),
        }
    }
    (filled, None)
}

#[cfg(test)]
mod tests {
    use std::fs;

    use ring::digest::SHA256;

    use super::super::uploads::tests::content;
    use super::*;

    fn sha(context: Context) -> Vec<u8> {
        context.finish().as_ref().to_vec()
    }

    /// A body of many pieces and a part of one, after bytes already on disk, goes through the
    /// three threads: every byte lands at its offset, in order, and the hash covers the old
    /// bytes and the new exactly.
    #[test]
    fn a_large_body_lands_after_the_bytes_on_disk_and_is_hashed_exactly() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("upload");
        let whole = content(4_097 + 5 * PIECE_BYTES + 12_345);
        let (before, body) = whole.split_at(4_097);
        fs::write(&path, before).unwrap();
        let mut context = Context::new(&SHA256);
        context.update(before);
        let mut file = fs::OpenOptions::new().write(true).open(&path).unwrap();
        let len = body.len() as u64;
        let (written, context, error) =
            copy_hashed(&mut &body[..], &mut file, before.len() as u64, len, context);
        assert!(error.is_none());
        assert_eq!(written, len);
        assert_eq!(fs::read(&path).unwrap(), whole);
        let expected = ring::digest::digest(&SHA256, &whole);
        assert_eq!(sha(context.expect("a hash")), expected.as_ref());
    }

    /// A body that ends before its announced length is not an error: what came is written and
    /// hashed, and the caller sees how much.
    #[test]
    fn a_body_that_ends_early_leaves_what_came_and_its_hash() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("upload");
        let body = content(2 * PIECE_BYTES + 3);
        let mut file = File::create(&path).unwrap();
        let (written, context, error) = copy_hashed(
            &mut &body[..],
            &mut file,
            0,
            body.len() as u64 + 1_000_000,
            Context::new(&SHA256),
        );
        assert!(error.is_none());
        assert_eq!(written, body.len() as u64);
        assert_eq!(fs::read(&path).unwrap(), body);
        let expected = ring::digest::digest(&SHA256, &body);
        assert_eq!(sha(context.expect("a hash")), expected.as_ref());
    }
}
