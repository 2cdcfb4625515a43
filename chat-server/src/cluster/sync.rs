//! Connections for requests a client waits on (claiming a room name, a read barrier before
//! entering a room): each caller takes a connection of its own (an idle one, or a new one), so
//! no request queues behind another's, and every command is bounded by the caller's deadline.
//! A connection that failed is dropped, never reused.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::{CONNECT_TIMEOUT, keys, unreachable};
use crate::chat::bus::Envelope;
use crate::error::{Result, ServerError};

/// Idle connections kept for the next requests.
const IDLE_KEPT: usize = 8;

/// The connections.
pub(super) struct Pool {
    client: redis::Client,
    idle: Mutex<Vec<redis::Connection>>,
    claim: redis::Script,
    private_id: redis::Script,
}

impl Pool {
    /// A pool with one connection to start with.
    pub fn new(client: redis::Client, first: redis::Connection) -> Self {
        Pool {
            client,
            idle: Mutex::new(vec![first]),
            claim: redis::Script::new(&keys::claim_script()),
            private_id: redis::Script::new(keys::PRIVATE_ID),
        }
    }

    /// Runs `f` on a connection, within `deadline`.
    fn with<T>(
        &self,
        deadline: Instant,
        f: impl FnOnce(&mut redis::Connection, &Self) -> redis::RedisResult<T>,
    ) -> Result<T> {
        let left = || deadline.saturating_duration_since(Instant::now());
        let idle = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let mut con = match idle {
            Some(con) => con,
            None => {
                let wait = left().min(CONNECT_TIMEOUT);
                if wait.is_zero() {
                    return Err(unreachable("no time left to connect"));
                }
                self.client
                    .get_connection_with_timeout(wait)
                    .map_err(unreachable)?
            }
        };
        let wait = left().max(Duration::from_millis(1));
        con.set_read_timeout(Some(wait)).map_err(unreachable)?;
        con.set_write_timeout(Some(wait)).map_err(unreachable)?;
        let result = f(&mut con, self);
        match result {
            Ok(v) => {
                let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
                if idle.len() < IDLE_KEPT {
                    idle.push(con);
                }
                Ok(v)
            }
            Err(e) if e.is_timeout() => Err(ServerError::NotConfirmed {
                what: "the cluster (Redis)",
            }),
            Err(e) => Err(unreachable(e)),
        }
    }

    /// Claims `room_key` for `prefix` (`node\tcreator`) and appends `created` to the log, in
    /// one step: the creation's number, or 0 if the name is taken.
    pub fn claim(
        &self,
        deadline: Instant,
        floor: u64,
        created: &Envelope,
        room_key: &str,
        prefix: &str,
    ) -> Result<u64> {
        let payload = created.encode();
        let seq: String = self.with(deadline, |con, pool| {
            pool.claim
                .key(keys::SEQ_KEY)
                .key(keys::STREAM)
                .key(keys::LOG_KEY)
                .key(keys::ROOMS_KEY)
                .arg(floor)
                .arg(keys::LOG_EVENTS)
                .arg(&payload)
                .arg(room_key)
                .arg(prefix)
                .invoke(con)
        })?;
        seq.parse()
            .map_err(|_| unreachable(format!("a claim answered {seq:?}")))
    }

    /// A number for a new private message, above `floor`.
    pub fn private_id(&self, deadline: Instant, floor: u64) -> Result<u64> {
        let id: String = self.with(deadline, |con, pool| {
            pool.private_id
                .key(keys::PRIVATE_IDS_KEY)
                .arg(floor)
                .invoke(con)
        })?;
        id.parse()
            .map_err(|_| unreachable(format!("a private message number came as {id:?}")))
    }

    /// The number of the last event in the log now.
    pub fn head(&self, deadline: Instant) -> Result<u64> {
        let seq: Option<u64> = self.with(deadline, |con, _| {
            redis::cmd("GET").arg(keys::SEQ_KEY).query(con)
        })?;
        Ok(seq.unwrap_or(0))
    }
}
