//! The SHA-256 of an upload, computed as its bytes arrive rather than read back at the end.
//!
//! Hashing is the costliest step of an upload (SHA-256 runs at a fraction of the speed of
//! TLS's AES-GCM), so a large body is hashed on a thread of its own, at the lowest priority,
//! while the connection's thread goes on reading the socket and writing the file: the hash is
//! ready about when the last byte is written, and chat lines go before it on a busy machine. Between requests the hash's state is kept in memory with the length it
//! covers, so a resumed upload does not read again what it already hashed.
//!
//! Architecture Invariant: a kept state is used only when the length it covers is the length
//! of the upload's file on disk at that moment; anything else (a restart, two connections
//! writing one upload, a failed write) falls back to reading the file's bytes from disk. The
//! announced SHA-256 is always checked against a hash of exactly the bytes written to the file.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use ring::digest::{Context, SHA256};

use super::CHUNK_BYTES;

/// Bodies at least this long are hashed on a thread of their own; shorter ones as they come.
const THREADED_FROM_BYTES: u64 = 1024 * 1024;
/// Chunks read but not yet hashed, at most, per upload (memory: this many plus one chunks).
const QUEUED_CHUNKS: usize = 4;

/// The hash states of uploads under way, by upload id.
#[derive(Debug, Default)]
pub(super) struct Digests {
    partial: Mutex<HashMap<String, Partial>>,
}

/// A hash of an upload's first `covers` bytes.
struct Partial {
    covers: u64,
    context: Context,
}

impl std::fmt::Debug for Partial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Partial")
            .field("covers", &self.covers)
            .finish_non_exhaustive()
    }
}

impl Digests {
    /// Takes upload `id`'s state if it covers exactly `have` bytes, else hashes the first
    /// `have` bytes of `file` (read from its start) again.
    pub(super) fn resume(&self, id: &str, have: u64, path: &Path) -> io::Result<Context> {
        if let Some(partial) = self.take(id)
            && partial.covers == have
        {
            return Ok(partial.context);
        }
        hash_prefix(path, have)
    }

    /// Keeps upload `id`'s state, which covers its first `covers` bytes.
    pub(super) fn keep(&self, id: &str, covers: u64, context: Context) {
        if let Ok(mut partial) = self.partial.lock() {
            partial.insert(id.to_owned(), Partial { covers, context });
        }
    }

    /// The SHA-256 of upload `id`'s first `size` bytes, if its kept state covers exactly them.
    pub(super) fn finished(&self, id: &str, size: u64) -> Option<[u8; 32]> {
        let partial = self.take(id)?;
        if partial.covers != size {
            return None;
        }
        partial.context.finish().as_ref().try_into().ok()
    }

    /// Forgets upload `id`'s state.
    pub(super) fn forget(&self, id: &str) {
        let _ = self.take(id);
    }

    fn take(&self, id: &str) -> Option<Partial> {
        self.partial.lock().ok()?.remove(id)
    }
}

/// The hash of the first `len` bytes of the file at `path`.
fn hash_prefix(path: &Path, len: u64) -> io::Result<Context> {
    let mut context = Context::new(&SHA256);
    if len > 0 {
        let mut file = File::open(path)?.take(len);
        let mut buf = vec![0u8; CHUNK_BYTES];
        loop {
            match file.read(&mut buf)? {
                0 => break,
                n => context.update(&buf[..n]),
            }
        }
    }
    Ok(context)
}

/// The SHA-256 of the whole file at `path`.
pub(super) fn hash_file(path: &Path) -> io::Result<[u8; 32]> {
    let context = hash_prefix(path, u64::MAX)?;
    context
        .finish()
        .as_ref()
        .try_into()
        .map_err(|_| io::Error::other("SHA-256 is 32 bytes"))
}

/// Hashing threads beside copies at once, at most: past them an upload hashes on its own
/// connection's thread. Each upload of a MiB or more would otherwise add a thread, outside the
/// server's budget of threads (`threads::families`), which counts these. Sixteen: ten uploads
/// at once (docs/PERFORMANCE.md's measure of chat beside uploads) each still have theirs.
pub const HASHERS_MAX: usize = 16;

static HASHERS: AtomicUsize = AtomicUsize::new(0);

/// One of the [`HASHERS_MAX`] places for a hashing thread, while held.
struct HasherSlot;

impl HasherSlot {
    fn take() -> Option<HasherSlot> {
        HASHERS
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < HASHERS_MAX).then_some(n + 1)
            })
            .ok()
            .map(|_| HasherSlot)
    }
}

impl Drop for HasherSlot {
    fn drop(&mut self) {
        HASHERS.fetch_sub(1, Ordering::AcqRel);
    }
}

/// How a copy ended early.
#[derive(Debug)]
pub(super) enum CopyError {
    /// Reading the body failed (the peer went away, a timeout).
    Read(io::Error),
    /// Writing the file failed.
    Write(io::Error),
}

/// Copies at most `len` bytes from `body` to the end of `file`, hashing them into `context`.
/// Returns how many bytes were written, the context covering exactly them (none after a failed
/// write, which may have left part of a chunk), and the error that stopped it early, if one
/// did; a body that ends early is not an error (fewer bytes came).
pub(super) fn copy_hashed(
    body: &mut impl Read,
    file: &mut File,
    len: u64,
    context: Context,
) -> (u64, Option<Context>, Option<CopyError>) {
    let slot = (len >= THREADED_FROM_BYTES)
        .then(HasherSlot::take)
        .flatten();
    let Some(_slot) = slot else {
        return copy_hashed_here(body, file, len, context);
    };
    // Buffers go round: read and written here, hashed there, handed back.
    let (full_tx, full_rx) = crossbeam_channel::bounded::<(Vec<u8>, usize)>(QUEUED_CHUNKS);
    let (empty_tx, empty_rx) = crossbeam_channel::bounded::<Vec<u8>>(QUEUED_CHUNKS + 1);
    for _ in 0..=QUEUED_CHUNKS {
        let _ = empty_tx.send(vec![0u8; CHUNK_BYTES]);
    }
    // The context goes over once the thread is there: if none can be started, it is still
    // here, and the copy hashes on this thread.
    let (context_tx, context_rx) = crossbeam_channel::bounded::<Context>(1);
    std::thread::scope(|scope| {
        let started = std::thread::Builder::new()
            .name("upload-hash".into())
            .spawn_scoped(scope, move || {
                // Chat first: the hash waits for what the connections' readers leave.
                crate::threads::spares::lowest_priority();
                let mut context = context_rx.recv().ok()?;
                for (buf, n) in full_rx {
                    context.update(&buf[..n]);
                    // The copy may have stopped already: the buffer is then dropped.
                    let _ = empty_tx.send(buf);
                }
                Some(context)
            });
        let hasher = match started {
            Ok(hasher) => hasher,
            Err(e) => {
                tracing::warn!("no thread to hash an upload beside its copy: {e}");
                return copy_hashed_here(body, file, len, context);
            }
        };
        let _ = context_tx.send(context);
        let mut written = 0u64;
        let mut error = None;
        while written < len {
            // No buffer back: the hasher is gone (it cannot be, short of a panic).
            let Ok(mut buf) = empty_rx.recv() else {
                break;
            };
            let want =
                usize::try_from((len - written).min(CHUNK_BYTES as u64)).unwrap_or(CHUNK_BYTES);
            let (n, failed) = fill(body, &mut buf[..want]);
            if let Err(e) = file.write_all(&buf[..n]) {
                error = Some(CopyError::Write(e));
                break;
            }
            written += n as u64;
            if n > 0 && full_tx.send((buf, n)).is_err() {
                break;
            }
            if let Some(e) = failed {
                error = Some(CopyError::Read(e));
                break;
            }
            if n < want {
                break;
            }
        }
        drop(full_tx);
        let context = hasher.join().ok().flatten();
        let context = context.filter(|_| !matches!(error, Some(CopyError::Write(_))));
        (written, context, error)
    })
}

/// [`copy_hashed`] on the calling thread alone.
fn copy_hashed_here(
    body: &mut impl Read,
    file: &mut File,
    len: u64,
    mut context: Context,
) -> (u64, Option<Context>, Option<CopyError>) {
    let mut buf = vec![0u8; CHUNK_BYTES];
    let (written, error) = copy(body, file, len, &mut buf, |chunk| context.update(chunk));
    let context = (!matches!(error, Some(CopyError::Write(_)))).then_some(context);
    (written, context, error)
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
    use super::*;

    fn copied(data: &[u8]) -> Vec<u8> {
        let dir = tempfile::tempdir().unwrap();
        let mut file = File::create(dir.path().join("f")).unwrap();
        let (written, context, error) = copy_hashed(
            &mut &data[..],
            &mut file,
            data.len() as u64,
            Context::new(&SHA256),
        );
        assert!(error.is_none(), "{error:?}");
        assert_eq!(written, data.len() as u64);
        assert_eq!(std::fs::read(dir.path().join("f")).unwrap(), data);
        context.unwrap().finish().as_ref().to_vec()
    }

    /// Past the hashing threads allowed, a large copy hashes on its own thread, to the same
    /// sum; with one free, beside it.
    #[test]
    fn a_copy_hashes_alike_with_or_without_a_thread_of_its_own() {
        let data: Vec<u8> = (0..3 * 1024 * 1024u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        let want = ring::digest::digest(&SHA256, &data).as_ref().to_vec();
        let held: Vec<HasherSlot> = std::iter::from_fn(HasherSlot::take).collect();
        assert!(HasherSlot::take().is_none(), "every place taken");
        assert_eq!(copied(&data), want);
        drop(held);
        assert_eq!(copied(&data), want);
    }
}
