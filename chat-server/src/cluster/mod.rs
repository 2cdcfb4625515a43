//! A node of a cluster (`--cluster redis://…`): nodes share one namespace of rooms, their users
//! and what is said, over Redis pub/sub; accounts are in PostgreSQL (`--accounts`).
//!
//! Each node keeps serving its own clients from its own hub, and mirrors the rest of the
//! cluster there: every room (whoever created it), every user online on another node and the
//! room it is in. What changes on one node is published as an event (`crate::bus`); every node
//! applies the others' events to its mirror.
//!
//! Two threads talk to Redis: the *link* (`link`) publishes this node's events in order,
//! numbered by Redis, with a heartbeat each second and a clock sample each ten; the *listener*
//! (`listen`) receives every node's events and applies them, and notices nodes that stopped
//! beating. Both reconnect by themselves: while Redis is unreachable, this node's users keep
//! chatting with each other; what needs the cluster (a line in a room, a private message to
//! another node, a new room) gets an error its sender sees. When Redis is back, every node
//! publishes its state again.
//!
//! Architecture Invariants:
//! - room lines are delivered to members only as they come back from Redis, on every node the
//!   sender's included, so all members of a room see its lines in the same order (Redis'
//!   order of publication);
//! - a room name is claimed in Redis (`HSETNX`) before the room exists anywhere: two nodes
//!   creating one name at once, exactly one wins;
//! - no lock is held while talking to Redis.

mod keys;
mod link;
mod listen;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, TrySendError, bounded};

use crate::chat::bus::{Bus, BusEvent, Envelope, Failed};
use crate::error::{Result, ServerError};
use crate::shared::Shared;

/// Events waiting to be published; beyond this the cluster counts as unreachable for them.
const QUEUE: usize = 64 * 1024;
/// How long connecting to Redis, or one command, may take.
const REDIS_TIMEOUT: Duration = Duration::from_secs(1);
/// How often a node says it is alive.
pub(crate) const BEAT_EVERY: Duration = Duration::from_secs(1);
/// A node not heard from for this long is gone: its users are offline, its users' rooms close.
pub(crate) const GONE_AFTER: Duration = Duration::from_millis(3_500);

/// Something for the link thread to do.
pub(crate) enum Outgoing {
    /// Publish an event; run `failed` if it cannot be.
    Publish {
        event: BusEvent,
        failed: Option<Failed>,
    },
    /// A room closed: its name is free again.
    Release { room_key: String },
}

/// What is known of another node.
#[derive(Debug, Clone)]
pub(crate) struct Seen {
    /// When it last beat (or said anything).
    pub last: Instant,
    /// Its clock's offset to the cluster's, as it last said.
    pub offset_ms: i64,
}

/// This node's view of the cluster, for operators and tests.
#[derive(Debug, Clone)]
pub struct ClusterStatus {
    /// This node's name.
    pub node: String,
    /// Whether this node can publish now.
    pub up: bool,
    /// The other nodes heard from lately, with their clock offsets (ms).
    pub nodes: Vec<(String, i64)>,
    /// This node's clock offset to the cluster's (Redis `TIME`), ms.
    pub offset_ms: i64,
    /// The largest difference between two nodes' clock offsets: how far apart the machines'
    /// own clocks are (which cluster time corrects), ms.
    pub skew_ms: i64,
    /// How far this node's cluster time may be from Redis' clock (half its best round trip),
    /// µs.
    pub error_us: i64,
}

/// This node's membership of the cluster. `Sync`.
pub(crate) struct Cluster {
    /// This node's name (unique in the cluster).
    pub node: String,
    client: redis::Client,
    outgoing: Sender<Outgoing>,
    /// Taken by the link thread when it starts.
    outgoing_rx: Mutex<Option<Receiver<Outgoing>>>,
    /// The link thread's connection works.
    up: AtomicBool,
    /// Local clock's offset to the cluster's, ms.
    offset_ms: AtomicI64,
    /// How far off that offset may be (half the best sample's round trip), µs.
    error_us: AtomicI64,
    /// The highest event number seen (published or received).
    highest: AtomicU64,
    /// For requests answered at once (claiming a room name).
    sync: Mutex<Option<redis::Connection>>,
    /// Other nodes heard from.
    seen: Mutex<HashMap<String, Seen>>,
    /// This node stopped hearing its own beats (Redis unreachable) since the last check.
    deaf: AtomicBool,
    stop: AtomicBool,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster")
            .field("node", &self.node)
            .field("up", &self.is_up())
            .finish_non_exhaustive()
    }
}

fn unreachable(e: impl std::fmt::Display) -> ServerError {
    ServerError::Unavailable {
        what: "the cluster (Redis)",
        reason: e.to_string(),
    }
}

impl Cluster {
    /// Joins the cluster at `url` as `node`: checks that Redis answers now (a node does not
    /// start alone by mistake), but starts no thread yet (see [`Cluster::run`]).
    pub fn connect(url: &str, node: &str) -> Result<Arc<Self>> {
        let client = redis::Client::open(url)
            .map_err(|e| ServerError::Config(format!("--cluster {url:?}: {e}")))?;
        let mut con = client
            .get_connection_with_timeout(REDIS_TIMEOUT)
            .map_err(unreachable)?;
        con.set_read_timeout(Some(REDIS_TIMEOUT))
            .map_err(unreachable)?;
        redis::cmd("PING")
            .query::<String>(&mut con)
            .map_err(unreachable)?;
        let (outgoing, outgoing_rx) = bounded(QUEUE);
        Ok(Arc::new(Cluster {
            node: node.to_owned(),
            client,
            outgoing,
            outgoing_rx: Mutex::new(Some(outgoing_rx)),
            up: AtomicBool::new(false),
            offset_ms: AtomicI64::new(0),
            error_us: AtomicI64::new(0),
            highest: AtomicU64::new(0),
            sync: Mutex::new(Some(con)),
            seen: Mutex::new(HashMap::new()),
            deaf: AtomicBool::new(false),
            stop: AtomicBool::new(false),
            threads: Mutex::new(Vec::new()),
        }))
    }

    /// Starts the link and listener threads for the server `shared`.
    pub fn run(self: &Arc<Self>, shared: &Arc<Shared>) -> Result<()> {
        let rx = self
            .outgoing_rx
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
            .ok_or_else(|| ServerError::Config("the cluster runs once".into()))?;
        let (me, weak) = (Arc::clone(self), Arc::downgrade(shared));
        let link = std::thread::Builder::new()
            .name("cluster-link".into())
            .spawn(move || link::run(&me, &rx, &weak))?;
        let (me, weak) = (Arc::clone(self), Arc::downgrade(shared));
        let listen = std::thread::Builder::new()
            .name("cluster-listen".into())
            .spawn(move || listen::run(&me, &weak))?;
        let mut threads = self.threads();
        threads.push(link);
        threads.push(listen);
        Ok(())
    }

    /// Stops both threads (the link publishes what was queued first, if it can).
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Release);
        let threads: Vec<JoinHandle<()>> = self.threads().drain(..).collect();
        for thread in threads {
            let _ = thread.join();
        }
    }

    fn threads(&self) -> MutexGuard<'_, Vec<JoinHandle<()>>> {
        self.threads.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn stopping(&self) -> bool {
        self.stop.load(Ordering::Acquire)
    }

    /// Whether events can be published now.
    pub fn is_up(&self) -> bool {
        self.up.load(Ordering::Acquire)
    }

    /// Queues an event; `failed` runs if it cannot be published. Never blocks: with Redis
    /// unreachable or the queue full, `failed` runs at once (state events without one are
    /// dropped: every node publishes its whole state again when Redis is back).
    pub fn publish(&self, event: BusEvent, failed: Option<Failed>) {
        if !self.is_up() {
            if let Some(failed) = failed {
                failed();
            }
            return;
        }
        match self.outgoing.try_send(Outgoing::Publish { event, failed }) {
            Ok(()) => {}
            Err(
                TrySendError::Full(Outgoing::Publish {
                    failed: Some(failed),
                    ..
                })
                | TrySendError::Disconnected(Outgoing::Publish {
                    failed: Some(failed),
                    ..
                }),
            ) => failed(),
            Err(_) => {}
        }
    }

    /// Frees a room name once the room closed.
    pub fn release_room(&self, room_key: &str) {
        let _ = self.outgoing.try_send(Outgoing::Release {
            room_key: room_key.to_owned(),
        });
    }

    /// Claims a room name for a room `creator` is making: `Ok(true)` if this node has it now,
    /// `Ok(false)` if another room has it. Waits for Redis (at most about a second).
    pub fn claim_room(&self, room_key: &str, creator: &str) -> Result<bool> {
        let value = format!("{}\t{creator}", self.node);
        self.with_sync(|con| {
            redis::cmd("HSETNX")
                .arg(keys::ROOMS_KEY)
                .arg(room_key)
                .arg(&value)
                .query::<i64>(con)
        })
        .map(|set| set == 1)
    }

    /// Runs one request on the connection for immediate answers (made again if broken).
    fn with_sync<T>(
        &self,
        f: impl FnOnce(&mut redis::Connection) -> redis::RedisResult<T>,
    ) -> Result<T> {
        let mut slot = self.sync.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_none() {
            let con = self
                .client
                .get_connection_with_timeout(REDIS_TIMEOUT)
                .map_err(unreachable)?;
            con.set_read_timeout(Some(REDIS_TIMEOUT))
                .map_err(unreachable)?;
            con.set_write_timeout(Some(REDIS_TIMEOUT))
                .map_err(unreachable)?;
            *slot = Some(con);
        }
        let Some(con) = slot.as_mut() else {
            return Err(unreachable("no connection"));
        };
        f(con).map_err(|e| {
            *slot = None;
            unreachable(e)
        })
    }

    /// Now, in cluster time (ms since the epoch): this machine's clock corrected by its
    /// measured offset to Redis' clock.
    pub fn now_ms(&self) -> i64 {
        chat_core::clock::system_now_ms() + self.offset_ms.load(Ordering::Relaxed)
    }

    /// Notes the highest event number seen.
    fn saw(&self, seq: u64) {
        self.highest.fetch_max(seq, Ordering::AcqRel);
    }

    fn seen(&self) -> MutexGuard<'_, HashMap<String, Seen>> {
        self.seen.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// This node's view of the cluster.
    pub fn status(&self) -> ClusterStatus {
        let offset_ms = self.offset_ms.load(Ordering::Relaxed);
        let mut nodes: Vec<(String, i64)> = self
            .seen()
            .iter()
            .filter(|(name, seen)| **name != self.node && seen.last.elapsed() < GONE_AFTER)
            .map(|(name, seen)| (name.clone(), seen.offset_ms))
            .collect();
        nodes.sort();
        let offsets = nodes.iter().map(|(_, o)| *o).chain([offset_ms]);
        let (low, high) = offsets.fold((i64::MAX, i64::MIN), |(l, h), o| (l.min(o), h.max(o)));
        ClusterStatus {
            node: self.node.clone(),
            up: self.is_up(),
            nodes,
            offset_ms,
            skew_ms: high - low,
            error_us: self.error_us.load(Ordering::Relaxed),
        }
    }

    /// The envelope of one of this node's events.
    fn envelope(&self, event: BusEvent) -> Envelope {
        Envelope {
            node: self.node.clone(),
            event,
        }
    }
}

impl Bus for Cluster {
    fn publish(&self, event: BusEvent, failed: Option<Failed>) {
        Cluster::publish(self, event, failed);
    }

    fn is_up(&self) -> bool {
        Cluster::is_up(self)
    }

    fn claim_room(&self, room_key: &str, creator: &str) -> Result<bool> {
        Cluster::claim_room(self, room_key, creator)
    }

    fn release_room(&self, room_key: &str) {
        Cluster::release_room(self, room_key);
    }

    fn now_ms(&self) -> i64 {
        Cluster::now_ms(self)
    }
}
