//! What the file store's records add up to, kept in memory: the bytes each account holds (its
//! files and its uploads under way, by their announced sizes) and how many files have each
//! content. Built from the records when the store opens, then changed with them under one
//! lock, so that starting an upload does not read every record (previews and all) to check a
//! quota, and removing a file does not read them all to learn whether its bytes are shared.
//!
//! Architecture Invariant: the ledger changes only with the record that changes it, under its
//! lock: two uploads begun at once by one account cannot both pass a quota that has room for
//! one, and a finishing upload that finds its content stored and the removal of the last file
//! with that content never interleave (the upload would be acknowledged on bytes about to go).
//! After a crash nothing is carried over: the next open counts the records again.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

/// The least a file or an upload counts against its owner's quota, whatever its size: as much
/// as the preview it may be given (`service::files::PREVIEW_MAX_BYTES`) besides its record.
/// Without it empty files, each with a 64 KiB preview, would fill a disk and count nothing.
pub const SMALLEST_CHARGE: u64 = 64 * 1024;

/// What a file or an upload of `size` bytes counts against its owner's quota.
pub fn charged(size: u64) -> u64 {
    size.max(SMALLEST_CHARGE)
}

/// The sums, behind their lock.
#[derive(Debug, Default)]
pub(super) struct Ledger {
    sums: Mutex<Sums>,
}

#[derive(Debug, Default)]
pub(super) struct Sums {
    /// By owner (login key): bytes of its files and its uploads under way, each counted at
    /// least [`SMALLEST_CHARGE`].
    held: HashMap<String, u64>,
    /// By owner (login key): how many uploads it has under way.
    uploads_of: HashMap<String, usize>,
    /// By SHA-256 (lowercase hex): how many files have that content.
    contents: HashMap<String, usize>,
    /// By SHA-256 (lowercase hex): how many uploads under way announced that content.
    uploading: HashMap<String, usize>,
}

impl Ledger {
    /// The sums, locked: what is read and changed under one guard stays consistent.
    pub(super) fn lock(&self) -> MutexGuard<'_, Sums> {
        // A panic elsewhere left numbers that are still right (each change is one statement).
        self.sums.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Sums {
    /// Bytes the account `owner` holds.
    pub(super) fn held(&self, owner: &str) -> u64 {
        self.held.get(owner).copied().unwrap_or(0)
    }

    /// `owner` holds a file or an upload of `size` bytes more.
    pub(super) fn hold(&mut self, owner: &str, size: u64) {
        let held = self.held.entry(owner.to_owned()).or_insert(0);
        *held = held.saturating_add(charged(size));
    }

    /// `owner` holds a file or an upload of `size` bytes fewer (removed, dropped).
    pub(super) fn release(&mut self, owner: &str, size: u64) {
        if let Some(held) = self.held.get_mut(owner) {
            *held = held.saturating_sub(charged(size));
            if *held == 0 {
                self.held.remove(owner);
            }
        }
    }

    /// How many uploads `owner` has under way.
    pub(super) fn uploads_of(&self, owner: &str) -> usize {
        self.uploads_of.get(owner).copied().unwrap_or(0)
    }

    /// One more upload under way, of `owner`, announced content `sha256`.
    pub(super) fn announce(&mut self, owner: &str, sha256: &str) {
        *self
            .uploading
            .entry(sha256.to_ascii_lowercase())
            .or_insert(0) += 1;
        *self.uploads_of.entry(owner.to_owned()).or_insert(0) += 1;
    }

    /// One upload of `owner` fewer announces content `sha256` (dropped, or its file recorded).
    pub(super) fn unannounce(&mut self, owner: &str, sha256: &str) {
        let key = sha256.to_ascii_lowercase();
        if let Some(n) = self.uploading.get_mut(&key) {
            *n -= 1;
            if *n == 0 {
                self.uploading.remove(&key);
            }
        }
        if let Some(n) = self.uploads_of.get_mut(owner) {
            *n -= 1;
            if *n == 0 {
                self.uploads_of.remove(owner);
            }
        }
    }

    /// Whether an upload under way announced content `sha256` (it may end on its bytes).
    pub(super) fn uploading(&self, sha256: &str) -> bool {
        self.uploading.contains_key(&sha256.to_ascii_lowercase())
    }

    /// One more file has content `sha256`.
    pub(super) fn add_content(&mut self, sha256: &str) {
        *self
            .contents
            .entry(sha256.to_ascii_lowercase())
            .or_insert(0) += 1;
    }

    /// One file fewer has content `sha256`; whether any still has it.
    pub(super) fn drop_content(&mut self, sha256: &str) -> bool {
        let key = sha256.to_ascii_lowercase();
        match self.contents.get_mut(&key) {
            Some(n) if *n > 1 => {
                *n -= 1;
                true
            }
            _ => {
                self.contents.remove(&key);
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holdings_and_contents_add_up_and_go_back_to_nothing() {
        let ledger = Ledger::default();
        let mut sums = ledger.lock();
        let mib = 1 << 20;
        sums.hold("ana", 3 * mib);
        sums.hold("ana", 2 * mib);
        sums.hold("bob", 7);
        sums.release("ana", 3 * mib);
        assert_eq!(
            (sums.held("ana"), sums.held("bob"), sums.held("cai")),
            (2 * mib, SMALLEST_CHARGE, 0),
            "a small file counts as its preview may weigh"
        );
        sums.hold("bob", 0);
        assert_eq!(sums.held("bob"), 2 * SMALLEST_CHARGE, "an empty one too");
        sums.release("ana", 500 * mib);
        assert_eq!(sums.held("ana"), 0, "never below nothing");
        sums.add_content("AB");
        sums.add_content("ab");
        assert!(sums.drop_content("ab"), "one file still has it");
        assert!(!sums.drop_content("Ab"), "the last one went");
        assert!(!sums.drop_content("ab"), "nothing left to drop");
        sums.announce("ana", "CD");
        sums.announce("bob", "cd");
        assert_eq!((sums.uploads_of("ana"), sums.uploads_of("bob")), (1, 1));
        sums.unannounce("bob", "cd");
        assert!(sums.uploading("cD"));
        sums.unannounce("ana", "cd");
        assert!(!sums.uploading("cd"));
        assert_eq!(sums.uploads_of("ana"), 0);
    }
}
