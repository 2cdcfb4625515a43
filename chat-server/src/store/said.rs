//! What was said, on disk: the default room's history, private messages kept for offline users,
//! and each conversation's last messages.
//!
//! Trees (keys are bytes; numbers big-endian, so keys sort as the numbers do):
//! - `room_lines`: line id (u64) → `Said`; the default room only, the newest
//!   `default_room_history`.
//! - `offline`: recipient's login key, 0, sequence (u64) → `Kept`; at most
//!   [`OFFLINE_PER_RECIPIENT`] per recipient.
//! - `offline_dropped`: recipient's login key → how many kept messages were dropped (u64).
//! - `conversations`: the two login keys in order, separated and ended by 0, then the message id
//!   (u64) → `PrivateSaid`; at most [`CONVERSATION_KEPT`] per pair.
//! - `meta`: `private_id` → the highest private message id written (u64).
//! - `read_markers`: the reader's login key, 0, `r` (a room) or `w` (a conversation), 0, the
//!   room's key or the other login's key → the last line read (u64) and whether the other user
//!   of a conversation may know (1 byte).
//!
//! Only the archive thread (`archive`) writes here.

use chat_core::protocol::{PrivateSaid, Said};
use serde::{Deserialize, Serialize};

use crate::error::{Result, ServerError};

/// Private messages kept for one offline recipient; beyond it the oldest go.
pub const OFFLINE_PER_RECIPIENT: usize = 1_000;
/// Private messages kept per conversation (pair of users).
pub const CONVERSATION_KEPT: usize = 500;

/// A private message kept for an offline recipient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kept {
    /// The message, as the conversation keeps it.
    pub said: PrivateSaid,
}

/// What a recipient finds kept at login.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KeptMessages {
    /// The messages, oldest first, with their sequence numbers.
    pub messages: Vec<(u64, Kept)>,
    /// How many older ones were dropped (beyond [`OFFLINE_PER_RECIPIENT`]).
    pub dropped: u64,
}

/// The trees of what was said.
#[derive(Debug, Clone)]
pub struct SaidStore {
    db: sled::Db,
    room_lines: sled::Tree,
    offline: sled::Tree,
    offline_dropped: sled::Tree,
    conversations: sled::Tree,
    meta: sled::Tree,
    read_markers: sled::Tree,
}

/// What a read marker is for: a room (by key) or a conversation (by the other user's key).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Place {
    Room(String),
    With(String),
}

impl Place {
    fn key(&self, reader: &str) -> Vec<u8> {
        let (kind, name) = match self {
            Place::Room(room) => (b'r', room),
            Place::With(with) => (b'w', with),
        };
        let mut key = reader.as_bytes().to_vec();
        key.extend_from_slice(&[0, kind, 0]);
        key.extend_from_slice(name.as_bytes());
        key
    }

    fn parse(rest: &[u8]) -> Option<Self> {
        let (kind, name) = (rest.first()?, rest.get(2..)?);
        let name = String::from_utf8(name.to_vec()).ok()?;
        match kind {
            b'r' => Some(Place::Room(name)),
            b'w' => Some(Place::With(name)),
            _ => None,
        }
    }
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

fn number(bytes: &[u8]) -> u64 {
    let mut n = [0u8; 8];
    let tail = &bytes[bytes.len().saturating_sub(8)..];
    n[8 - tail.len()..].copy_from_slice(tail);
    u64::from_be_bytes(n)
}

/// The key prefix of a recipient's kept messages.
fn offline_prefix(login_key: &str) -> Vec<u8> {
    let mut key = login_key.as_bytes().to_vec();
    key.push(0);
    key
}

/// The key prefix of the conversation between two login keys (in either order).
pub fn conversation_prefix(a: &str, b: &str) -> Vec<u8> {
    let (first, second) = if a <= b { (a, b) } else { (b, a) };
    let mut key = Vec::with_capacity(first.len() + second.len() + 2);
    key.extend_from_slice(first.as_bytes());
    key.push(0);
    key.extend_from_slice(second.as_bytes());
    key.push(0);
    key
}

impl SaidStore {
    pub(super) fn open(db: &sled::Db) -> sled::Result<Self> {
        Ok(SaidStore {
            db: db.clone(),
            room_lines: db.open_tree("room_lines")?,
            offline: db.open_tree("offline")?,
            offline_dropped: db.open_tree("offline_dropped")?,
            conversations: db.open_tree("conversations")?,
            meta: db.open_tree("meta")?,
            read_markers: db.open_tree("read_markers")?,
        })
    }

    /// Writes everything to disk.
    pub fn flush(&self) -> Result<()> {
        self.db.flush()?;
        Ok(())
    }

    /// The default room's stored lines, oldest first. Unreadable ones are skipped and logged.
    pub fn room_lines(&self) -> Result<Vec<Said>> {
        let mut out = Vec::new();
        for item in self.room_lines.iter() {
            let (_, v) = item?;
            match decode::<Said>("room line", &v) {
                Ok(said) => out.push(said),
                Err(e) => tracing::error!("{e}"),
            }
        }
        Ok(out)
    }

    /// Adds a default-room line and forgets lines beyond the newest `keep`.
    pub fn add_room_line(&self, said: &Said, keep: usize) -> Result<()> {
        self.room_lines
            .insert(said.id.to_be_bytes(), encode("room line", said)?)?;
        let mut extra = self.room_lines.len().saturating_sub(keep);
        while extra > 0 {
            match self.room_lines.pop_min()? {
                Some(_) => extra -= 1,
                None => break,
            }
        }
        Ok(())
    }

    /// The highest private message id ever written (0: none).
    pub fn last_private_id(&self) -> Result<u64> {
        Ok(self.meta.get(b"private_id")?.map_or(0, |v| number(&v)))
    }

    /// Adds a message to its conversation (keeping the newest [`CONVERSATION_KEPT`]) and notes
    /// its id as the highest written.
    pub fn add_private(&self, said: &PrivateSaid) -> Result<()> {
        let from = chat_core::validate::login_key(&said.from);
        let to = chat_core::validate::login_key(&said.to);
        let prefix = conversation_prefix(&from, &to);
        let mut key = prefix.clone();
        key.extend_from_slice(&said.id.to_be_bytes());
        self.conversations
            .insert(key, encode("private message", said)?)?;
        let last = self.last_private_id()?;
        if said.id > last {
            self.meta.insert(b"private_id", &said.id.to_be_bytes())?;
        }
        let count = self.conversations.scan_prefix(&prefix).count();
        if count > CONVERSATION_KEPT {
            let old: Vec<sled::IVec> = self
                .conversations
                .scan_prefix(&prefix)
                .keys()
                .take(count - CONVERSATION_KEPT)
                .collect::<sled::Result<_>>()?;
            for key in old {
                self.conversations.remove(key)?;
            }
        }
        Ok(())
    }

    /// [`SaidStore::add_private`], unless the conversation has that message already (a newer
    /// copy of it, perhaps edited since).
    pub fn add_private_if_missing(&self, said: &PrivateSaid) -> Result<()> {
        let from = chat_core::validate::login_key(&said.from);
        let to = chat_core::validate::login_key(&said.to);
        let mut key = conversation_prefix(&from, &to);
        key.extend_from_slice(&said.id.to_be_bytes());
        if self.conversations.contains_key(&key)? {
            return Ok(());
        }
        self.add_private(said)
    }

    /// Up to `limit` messages of the conversation of `a` and `b` before id `before` (all when
    /// `None`), oldest first, and whether earlier ones exist.
    pub fn conversation(
        &self,
        a: &str,
        b: &str,
        before: Option<u64>,
        limit: usize,
    ) -> Result<(Vec<PrivateSaid>, bool)> {
        let prefix = conversation_prefix(a, b);
        let mut end = prefix.clone();
        end.extend_from_slice(&before.unwrap_or(u64::MAX).to_be_bytes());
        let mut newest_first = Vec::new();
        let mut more = false;
        for item in self.conversations.range(prefix.clone()..end).rev() {
            let (_, v) = item?;
            if newest_first.len() == limit {
                more = true;
                break;
            }
            match decode::<PrivateSaid>("private message", &v) {
                Ok(said) => newest_first.push(said),
                Err(e) => tracing::error!("{e}"),
            }
        }
        newest_first.reverse();
        Ok((newest_first, more))
    }

    /// Keeps a message for an offline recipient; when the recipient already has
    /// [`OFFLINE_PER_RECIPIENT`], the oldest is dropped and counted. Not flushed here.
    pub fn keep_offline(&self, recipient_key: &str, kept: &Kept, seq: u64) -> Result<()> {
        let prefix = offline_prefix(recipient_key);
        let mut key = prefix.clone();
        key.extend_from_slice(&seq.to_be_bytes());
        self.offline.insert(key, encode("kept message", kept)?)?;
        let held = self.offline.scan_prefix(&prefix).count();
        let mut dropped = 0u64;
        for item in self
            .offline
            .scan_prefix(&prefix)
            .keys()
            .take(held.saturating_sub(OFFLINE_PER_RECIPIENT))
        {
            self.offline.remove(item?)?;
            dropped += 1;
        }
        if dropped > 0 {
            let before = self
                .offline_dropped
                .get(recipient_key)?
                .map_or(0, |v| number(&v));
            self.offline_dropped
                .insert(recipient_key, &(before + dropped).to_be_bytes())?;
        }
        Ok(())
    }

    /// Login keys with messages kept for them.
    pub fn recipients_waiting(&self) -> Result<Vec<String>> {
        let mut out: Vec<String> = Vec::new();
        for item in self.offline.iter().keys() {
            let key = item?;
            let login = key.split(|b| *b == 0).next().unwrap_or_default();
            let login = String::from_utf8_lossy(login).into_owned();
            if out.last() != Some(&login) {
                out.push(login);
            }
        }
        Ok(out)
    }

    /// A recipient's kept messages, oldest first, with their sequence numbers, and how many were
    /// dropped. Nothing is removed: see [`SaidStore::forget_offline`].
    pub fn offline_for(&self, recipient_key: &str) -> Result<KeptMessages> {
        let mut out = Vec::new();
        for item in self.offline.scan_prefix(offline_prefix(recipient_key)) {
            let (k, v) = item?;
            match decode::<Kept>("kept message", &v) {
                Ok(kept) => out.push((number(&k), kept)),
                Err(e) => tracing::error!("{e}"),
            }
        }
        let dropped = self
            .offline_dropped
            .get(recipient_key)?
            .map_or(0, |v| number(&v));
        Ok(KeptMessages {
            messages: out,
            dropped,
        })
    }

    /// Removes a recipient's kept messages up to sequence `up_to`, and its dropped count, once
    /// they were handed to the recipient's connection.
    pub fn forget_offline(&self, recipient_key: &str, up_to: u64) -> Result<()> {
        let prefix = offline_prefix(recipient_key);
        let mut end = prefix.clone();
        end.extend_from_slice(&up_to.to_be_bytes());
        let keys: Vec<sled::IVec> = self
            .offline
            .range(prefix..=end)
            .keys()
            .collect::<sled::Result<_>>()?;
        for key in keys {
            self.offline.remove(key)?;
        }
        self.offline_dropped.remove(recipient_key)?;
        Ok(())
    }

    /// Rewrites a default-room line that changed (an edit, a deletion, its reactions), if the
    /// history still keeps it.
    pub fn replace_room_line(&self, said: &Said) -> Result<()> {
        let key = said.id.to_be_bytes();
        if self.room_lines.contains_key(key)? {
            self.room_lines.insert(key, encode("room line", said)?)?;
        }
        Ok(())
    }

    /// The message `id` of the conversation of `a` and `b`, if kept.
    pub fn private_message(&self, a: &str, b: &str, id: u64) -> Result<Option<PrivateSaid>> {
        let mut key = conversation_prefix(a, b);
        key.extend_from_slice(&id.to_be_bytes());
        self.conversations
            .get(key)?
            .map(|v| decode("private message", &v))
            .transpose()
    }

    /// Whether the conversation of `a` and `b` let message `id` go: it holds as many as it
    /// keeps, all newer. (Fewer, and one it does not have was never written here.)
    pub fn let_go(&self, a: &str, b: &str, id: u64) -> Result<bool> {
        let prefix = conversation_prefix(a, b);
        let Some(first) = self.conversations.scan_prefix(&prefix).keys().next() else {
            return Ok(false);
        };
        let oldest = first?
            .get(prefix.len()..)
            .and_then(|n| <[u8; 8]>::try_from(n).ok())
            .map_or(0, u64::from_be_bytes);
        Ok(oldest > id && self.conversations.scan_prefix(&prefix).count() >= CONVERSATION_KEPT)
    }

    /// Message `id` kept for the offline recipient `recipient_key`, if it still waits (it may
    /// have left its conversation, which keeps fewer, and still be delivered).
    pub fn kept_message(&self, recipient_key: &str, id: u64) -> Result<Option<PrivateSaid>> {
        let mut key = offline_prefix(recipient_key);
        key.extend_from_slice(&id.to_be_bytes());
        self.offline
            .get(key)?
            .map(|v| decode::<Kept>("kept message", &v).map(|k| k.said))
            .transpose()
    }

    /// Takes a private message out of its conversation (one queued before it was delivered,
    /// that was then refused).
    pub fn remove_private(&self, said: &PrivateSaid) -> Result<()> {
        let (from, to) = (
            chat_core::validate::login_key(&said.from),
            chat_core::validate::login_key(&said.to),
        );
        let mut key = conversation_prefix(&from, &to);
        key.extend_from_slice(&said.id.to_be_bytes());
        self.conversations.remove(key)?;
        Ok(())
    }

    /// Rewrites a private message that changed, in its conversation and, while it waits for
    /// its recipient, in the recipient's kept messages.
    pub fn replace_private(&self, said: &PrivateSaid) -> Result<()> {
        let (from, to) = (
            chat_core::validate::login_key(&said.from),
            chat_core::validate::login_key(&said.to),
        );
        let mut key = conversation_prefix(&from, &to);
        key.extend_from_slice(&said.id.to_be_bytes());
        if self.conversations.contains_key(&key)? {
            self.conversations
                .insert(key, encode("private message", said)?)?;
        }
        let mut kept = offline_prefix(&to);
        kept.extend_from_slice(&said.id.to_be_bytes());
        if self.offline.contains_key(&kept)? {
            let copy = Kept { said: said.clone() };
            self.offline.insert(kept, encode("kept message", &copy)?)?;
        }
        Ok(())
    }

    /// Notes that `reader` read `place` up to `line` (a marker never goes back); `receipt`:
    /// the other user of a conversation may know.
    pub fn set_marker(&self, reader: &str, place: &Place, line: u64, receipt: bool) -> Result<()> {
        let key = place.key(reader);
        let before = self
            .read_markers
            .get(&key)?
            .map_or(0, |v| number(&v[..v.len().min(8)]));
        let mut value = line.max(before).to_be_bytes().to_vec();
        value.push(u8::from(receipt));
        self.read_markers.insert(key, value)?;
        Ok(())
    }

    /// Where `reader` is in `place`: the last line read, and whether a receipt may be told.
    pub fn marker(&self, reader: &str, place: &Place) -> Result<Option<(u64, bool)>> {
        Ok(self
            .read_markers
            .get(place.key(reader))?
            .map(|v| marker_value(&v)))
    }

    /// Every marker of `reader`.
    pub fn markers(&self, reader: &str) -> Result<Vec<(Place, u64, bool)>> {
        let mut prefix = reader.as_bytes().to_vec();
        prefix.push(0);
        let mut out = Vec::new();
        for item in self.read_markers.scan_prefix(&prefix) {
            let (k, v) = item?;
            if let Some(place) = Place::parse(&k[prefix.len()..]) {
                let (line, receipt) = marker_value(&v);
                out.push((place, line, receipt));
            }
        }
        Ok(out)
    }
}

/// A marker's line and receipt flag.
fn marker_value(v: &[u8]) -> (u64, bool) {
    (
        number(&v[..v.len().min(8)]),
        v.get(8).is_none_or(|b| *b != 0),
    )
}
