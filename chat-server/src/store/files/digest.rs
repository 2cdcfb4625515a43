//! The SHA-256 of an upload, computed as its bytes arrive (`copy`) rather than read back at the
//! end. Between requests the hash's state is kept in memory with the length it covers, so a
//! resumed upload does not read again what it already hashed.
//!
//! Architecture Invariant: a kept state is used only when the length it covers is the length
//! of the upload's file on disk at that moment; anything else (a restart, two connections
//! writing one upload, a failed write) falls back to reading the file's bytes from disk. The
//! announced SHA-256 is always checked against a hash of exactly the bytes written to the file.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;
use std::sync::Mutex;

use ring::digest::{Context, SHA256};

use super::CHUNK_BYTES;

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
