//! Shared files in PostgreSQL, for a cluster: each content once (by SHA-256) in chunks of
//! [`SHARED_CHUNK_BYTES`], whole once `file_contents` names it; each file's record beside it.
//! A chunk is one statement and one row, so neither writing nor reading a file ever holds more
//! than one chunk in memory, and each statement stays well within the statement timeout.

use super::Postgres;
use crate::error::{Result, ServerError};
use crate::store::files::{FileRecord, SharedContents};

#[cfg(doc)]
use crate::store::files::SHARED_CHUNK_BYTES;

/// The first key of the advisory locks that take one owner's quota at a time.
const QUOTA_LOCK: i32 = 0x7175_6f74; // "quot"

/// The tables (made with the others).
pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS file_chunks (
    sha256 TEXT NOT NULL,
    n      INTEGER NOT NULL,
    bytes  BYTEA NOT NULL,
    PRIMARY KEY (sha256, n)
);
CREATE TABLE IF NOT EXISTS file_contents (
    sha256 TEXT PRIMARY KEY,
    size   BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS files (
    id     TEXT PRIMARY KEY,
    sha256 TEXT NOT NULL,
    record BYTEA NOT NULL
);
CREATE INDEX IF NOT EXISTS files_by_content ON files (sha256);
ALTER TABLE files ADD COLUMN IF NOT EXISTS owner TEXT;
ALTER TABLE files ADD COLUMN IF NOT EXISTS size BIGINT;
CREATE INDEX IF NOT EXISTS files_by_owner ON files (owner);
CREATE TABLE IF NOT EXISTS file_uploads (
    id         TEXT PRIMARY KEY,
    owner      TEXT NOT NULL,
    size       BIGINT NOT NULL,
    created_ms BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS file_uploads_by_owner ON file_uploads (owner);
CREATE TABLE IF NOT EXISTS file_link_key (
    one INTEGER PRIMARY KEY CHECK (one = 1),
    key BYTEA NOT NULL
);
";

fn corrupt(e: impl std::fmt::Display) -> ServerError {
    ServerError::CorruptRecord {
        what: "file",
        reason: e.to_string(),
    }
}

impl Postgres {
    /// Gives the files recorded before their owner and size had columns of their own both
    /// (read from their records), so that quotas count them.
    pub(super) fn fill_file_owners(&self) -> Result<()> {
        let rows =
            self.with(|c| c.query("SELECT id, record FROM files WHERE owner IS NULL", &[]))?;
        for row in rows {
            let (id, bytes): (String, Vec<u8>) = (row.get(0), row.get(1));
            let Ok(record) = rmp_serde::from_slice::<FileRecord>(&bytes) else {
                tracing::warn!(file = %id, "a file's record cannot be read: not counted in quotas");
                continue;
            };
            let size = i64::try_from(record.size).map_err(corrupt)?;
            self.with(|c| {
                c.execute(
                    "UPDATE files SET owner = $2, size = $3 WHERE id = $1",
                    &[&id, &record.owner, &size],
                )
            })?;
        }
        Ok(())
    }
}

impl SharedContents for Postgres {
    fn has_content(&self, sha256: &str) -> Result<bool> {
        self.with(|c| {
            c.query_opt("SELECT 1 FROM file_contents WHERE sha256 = $1", &[&sha256])
                .map(|row| row.is_some())
        })
    }

    fn put_chunk(&self, sha256: &str, n: u32, bytes: &[u8]) -> Result<()> {
        let n = i32::try_from(n).map_err(corrupt)?;
        self.with(|c| {
            c.execute(
                "INSERT INTO file_chunks (sha256, n, bytes) VALUES ($1, $2, $3) \
                 ON CONFLICT DO NOTHING",
                &[&sha256, &n, &bytes],
            )
        })?;
        Ok(())
    }

    fn put_record(&self, record: &FileRecord, whole: bool) -> Result<bool> {
        let mut bare = record.clone();
        bare.refs.clear();
        let encoded = rmp_serde::to_vec_named(&bare).map_err(corrupt)?;
        let size = i64::try_from(record.size).map_err(corrupt)?;
        self.with(|c| {
            let mut tx = c.transaction()?;
            if whole {
                tx.execute(
                    "INSERT INTO file_contents (sha256, size) VALUES ($1, $2) \
                     ON CONFLICT DO NOTHING",
                    &[&record.sha256, &size],
                )?;
            }
            // Held until the file's row is in: a removal of the last other file with this
            // content waits, then sees this one (see `remove`).
            let held = tx.query_opt(
                "SELECT 1 FROM file_contents WHERE sha256 = $1 FOR SHARE",
                &[&record.sha256],
            )?;
            if held.is_none() {
                tx.rollback()?;
                return Ok(false);
            }
            tx.execute(
                "INSERT INTO files (id, sha256, record, owner, size) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (id) DO UPDATE SET record = EXCLUDED.record, \
                 owner = EXCLUDED.owner, size = EXCLUDED.size",
                &[&record.id, &record.sha256, &encoded, &record.owner, &size],
            )?;
            tx.commit()?;
            Ok(true)
        })
    }

    fn update_record(&self, record: &FileRecord) -> Result<()> {
        let mut bare = record.clone();
        bare.refs.clear();
        let encoded = rmp_serde::to_vec_named(&bare).map_err(corrupt)?;
        self.with(|c| {
            c.execute(
                "UPDATE files SET record = $2 WHERE id = $1",
                &[&record.id, &encoded],
            )
        })?;
        Ok(())
    }

    fn link_key(&self, candidate: &[u8]) -> Result<Vec<u8>> {
        self.with(|c| {
            c.execute(
                "INSERT INTO file_link_key (one, key) VALUES (1, $1) ON CONFLICT DO NOTHING",
                &[&candidate],
            )?;
            c.query_one("SELECT key FROM file_link_key WHERE one = 1", &[])
                .map(|row| row.get::<_, Vec<u8>>(0))
        })
    }

    fn reserve(&self, id: &str, owner: &str, size: u64, quota: u64, now_ms: i64) -> Result<bool> {
        // Each file and upload counts at least the smallest charge, as on one server.
        let least = i64::try_from(crate::store::files::SMALLEST_CHARGE).map_err(corrupt)?;
        let charged = i64::try_from(crate::store::files::charged(size)).map_err(corrupt)?;
        let size = i64::try_from(size).map_err(corrupt)?;
        let quota = i64::try_from(quota).unwrap_or(i64::MAX);
        self.with(|c| {
            let mut tx = c.transaction()?;
            // One owner at a time, on every node: two uploads begun at once cannot both pass
            // a quota with room for one.
            tx.execute(
                "SELECT pg_advisory_xact_lock($1, hashtext($2))",
                &[&QUOTA_LOCK, &owner],
            )?;
            let held: i64 = tx
                .query_one(
                    "SELECT ((SELECT COALESCE(SUM(GREATEST(size, $2)), 0) FROM files \
                              WHERE owner = $1) \
                           + (SELECT COALESCE(SUM(GREATEST(size, $2)), 0) FROM file_uploads \
                              WHERE owner = $1) \
                           )::BIGINT",
                    &[&owner, &least],
                )?
                .get(0);
            if held.saturating_add(charged) > quota {
                tx.rollback()?;
                return Ok(false);
            }
            tx.execute(
                "INSERT INTO file_uploads (id, owner, size, created_ms) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT DO NOTHING",
                &[&id, &owner, &size, &now_ms],
            )?;
            tx.commit()?;
            Ok(true)
        })
    }

    fn unreserve(&self, id: &str) -> Result<()> {
        self.with(|c| c.execute("DELETE FROM file_uploads WHERE id = $1", &[&id]))?;
        Ok(())
    }

    fn lapse_reservations(&self, before_ms: i64) -> Result<()> {
        self.with(|c| {
            c.execute(
                "DELETE FROM file_uploads WHERE created_ms < $1",
                &[&before_ms],
            )
        })?;
        Ok(())
    }

    fn record(&self, id: &str) -> Result<Option<FileRecord>> {
        let row = self.with(|c| {
            c.query_opt(
                "SELECT f.record FROM files f JOIN file_contents c ON c.sha256 = f.sha256 \
                 WHERE f.id = $1",
                &[&id],
            )
        })?;
        row.map(|row| {
            let bytes: Vec<u8> = row.get(0);
            rmp_serde::from_slice(&bytes).map_err(corrupt)
        })
        .transpose()
    }

    fn chunk(&self, sha256: &str, n: u32) -> Result<Option<Vec<u8>>> {
        let n = i32::try_from(n).map_err(corrupt)?;
        let row = self.with(|c| {
            c.query_opt(
                "SELECT bytes FROM file_chunks WHERE sha256 = $1 AND n = $2",
                &[&sha256, &n],
            )
        })?;
        Ok(row.map(|row| row.get(0)))
    }

    fn remove(&self, id: &str) -> Result<()> {
        self.with(|c| {
            let mut tx = c.transaction()?;
            let gone = tx.query_opt("DELETE FROM files WHERE id = $1 RETURNING sha256", &[&id])?;
            if let Some(row) = gone {
                let sha256: String = row.get(0);
                // The content held first: a file being recorded with it (`put_record`) is
                // then either in, and seen below, or finds the content gone and puts it again.
                tx.query_opt(
                    "SELECT 1 FROM file_contents WHERE sha256 = $1 FOR UPDATE",
                    &[&sha256],
                )?;
                let others = tx.query_opt("SELECT 1 FROM files WHERE sha256 = $1", &[&sha256])?;
                if others.is_none() {
                    tx.execute("DELETE FROM file_contents WHERE sha256 = $1", &[&sha256])?;
                    tx.execute("DELETE FROM file_chunks WHERE sha256 = $1", &[&sha256])?;
                }
            }
            tx.commit()
        })
    }
}
