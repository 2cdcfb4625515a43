//! A node of a cluster (`--cluster redis://…`): nodes share one namespace of rooms, their users
//! and what is said, through one log in Redis (a stream); accounts are in PostgreSQL
//! (`--accounts`).
//!
//! Each node keeps serving its own clients from its own hub, and mirrors the rest of the
//! cluster there: every room (whoever created it), every user online on another node and the
//! room it is in. What changes on one node is appended to the log as an event (`crate::bus`);
//! every node reads the whole log in its one order and applies the others' events to its
//! mirror.
//!
//! Two threads talk to Redis: the *link* (`link`) appends this node's events in order, with a
//! heartbeat each second and a clock sample each ten; the *listener* (`listen`) reads the log
//! from where it stopped, applies each event once, and decides from the log alone (`view`)
//! which nodes are gone and where each private message goes, so that every node decides the
//! same at the same place in the log. Requests that must wait for Redis use connections of
//! their own (`sync`), each bounded by [`REQUEST_BUDGET`]. All reconnect by themselves: while
//! Redis is unreachable this node's users keep chatting with each other, and what needs the
//! cluster gets an error its sender sees, with `re`, within two seconds.
//!
//! Architecture Invariants:
//! - room lines are delivered to members only as they are read from the log, on every node the
//!   sender's included, so all members of a room see its lines in the same order (the log's);
//! - every node applies each event of the log at most once and in the log's order (events are
//!   numbered without holes; a number seen twice is skipped, a number skipped means a resync);
//! - which nodes are gone, and which node took a private message, is decided from the log's
//!   contents and clock alone, so every node decides the same at the same event;
//! - a room name is claimed in Redis, with the room's creation appended to the log, in one
//!   step before the room exists anywhere: two nodes creating one name at once, exactly one
//!   wins, and a room acknowledged to its creator is in the log every node reads;
//! - no lock is held while talking to Redis.

mod answers;
mod handover;
mod keys;
mod link;
mod listen;
mod sync;
mod view;

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, TrySendError, bounded};

use crate::chat::bus::{Answer, Bus, BusEvent, Envelope, Failed, Handover};
use crate::error::{Result, ServerError};
use crate::shared::Shared;

/// How many of this node's latest room creations it remembers (see `Cluster::claimed`).
const CLAIMS_REMEMBERED: usize = 4_096;
/// Events waiting to be published; beyond this the cluster counts as unreachable for them.
const QUEUE: usize = 64 * 1024;
/// How long connecting to Redis may take.
const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);
/// How long one command may take (a pipeline of events, a beat) before the connection counts
/// as lost.
const REDIS_TIMEOUT: Duration = Duration::from_secs(1);
pub(crate) use crate::chat::bus::REQUEST_BUDGET;
/// How often a node says it is alive.
pub(crate) const BEAT_EVERY: Duration = Duration::from_secs(1);
/// A node silent this long in the log's time is gone: its users are offline, its users' rooms
/// close (see `view` for how the log's time is counted).
pub(crate) const GONE_AFTER: Duration = Duration::from_millis(3_500);

/// What became of an event given to the link that is not in the log with a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Appended {
    /// Not in the log.
    Not,
    /// Sent, but the answer was lost (the connection failed meanwhile): it may be in the log.
    InDoubt,
}

/// Something for the link thread to do.
enum Outgoing {
    /// Append an event to the log; run `failed` if it cannot be. `confirm` is answered what
    /// became of it; an event whose `deadline` passed before it was sent is not appended (its
    /// sender was told it failed).
    Publish {
        event: BusEvent,
        failed: Option<Failed>,
        confirm: Option<Arc<answers::Pending>>,
        deadline: Option<Instant>,
    },
    /// A room closed: its name is free again, if still claimed by it (`claim`).
    Release { room_key: String, claim: String },
    /// Say when everything queued before is in the log (`true`), or will not be (`false`).
    Flush { confirm: Sender<bool> },
}

/// A room name claimed in Redis, as this node knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Claim {
    /// The node whose user created it.
    pub node: String,
    pub name: String,
    pub creator: String,
    /// The number of its creation in the log.
    pub created: u64,
}

impl Claim {
    /// Its value in `chat:rooms`.
    fn value(&self) -> String {
        keys::claim(&self.node, &self.creator, self.created)
    }
}

/// This node's view of the cluster, for operators and tests.
#[derive(Debug, Clone)]
pub struct ClusterStatus {
    /// This node's name.
    pub node: String,
    /// Whether this node can publish and read the log now.
    pub up: bool,
    /// The other nodes alive in the log, with their clock offsets (ms).
    pub nodes: Vec<(String, i64)>,
    /// This node's clock offset to the cluster's (Redis `TIME`), ms.
    pub offset_ms: i64,
    /// The largest difference between two nodes' clock offsets: how far apart the machines'
    /// own clocks are (which cluster time corrects), ms.
    pub skew_ms: i64,
    /// How far this node's cluster time may be from Redis' clock (half its best round trip),
    /// µs.
    pub error_us: i64,
    /// The number of the last event of the log this node applied.
    pub applied: u64,
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
    /// The listener's connection works (it read the log within the last timeout).
    hearing: AtomicBool,
    /// Local clock's offset to the cluster's, ms.
    offset_ms: AtomicI64,
    /// How far off that offset may be (half the best sample's round trip), µs.
    error_us: AtomicI64,
    /// The highest event number seen (published or read).
    highest: AtomicU64,
    /// The number of the last event applied, and a wake-up for those waiting on it.
    applied: Mutex<u64>,
    applied_changed: Condvar,
    /// Connections for requests answered at once (claims, read barriers).
    sync: sync::Pool,
    /// Room names claimed, by room key, as far as this node knows.
    claims: Mutex<HashMap<String, Claim>>,
    /// The numbers of the latest creations this node's requests claimed (to tell them from a
    /// creation whose request gave up before hearing its answer).
    claimed: Mutex<VecDeque<u64>>,
    /// This node's private messages waiting for their recipients' nodes.
    handovers: handover::Waiting,
    /// Events appended without their senders waiting, answered at their deadlines if the
    /// link did not answer them by then.
    deadlines: answers::Deadlines,
    /// Other nodes alive in the log, with their clock offsets.
    alive: Mutex<HashMap<String, i64>>,
    /// The link (re)connected: this node's whole state is published again once the listener
    /// has read the log to its end.
    rejoin_due: AtomicBool,
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
            sync: sync::Pool::new(client.clone(), con),
            client,
            outgoing,
            outgoing_rx: Mutex::new(Some(outgoing_rx)),
            up: AtomicBool::new(false),
            hearing: AtomicBool::new(false),
            offset_ms: AtomicI64::new(0),
            error_us: AtomicI64::new(0),
            highest: AtomicU64::new(0),
            applied: Mutex::new(0),
            applied_changed: Condvar::new(),
            claims: Mutex::new(HashMap::new()),
            claimed: Mutex::new(VecDeque::new()),
            handovers: handover::Waiting::default(),
            deadlines: answers::Deadlines::default(),
            alive: Mutex::new(HashMap::new()),
            rejoin_due: AtomicBool::new(true),
            stop: AtomicBool::new(false),
            threads: Mutex::new(Vec::new()),
        }))
    }

    /// Starts the link, listener and deadline threads for the server `shared`.
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
        let me = Arc::clone(self);
        let deadlines = std::thread::Builder::new()
            .name("cluster-deadlines".into())
            .spawn(move || answers::run(&me.deadlines, || me.stopping()))?;
        let mut threads = self.threads();
        threads.extend([link, listen, deadlines]);
        Ok(())
    }

    /// Stops its threads (the link publishes what was queued first, if it can).
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Release);
        self.applied_changed.notify_all();
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

    /// Whether events can be published and read now.
    pub fn is_up(&self) -> bool {
        self.up.load(Ordering::Acquire) && self.hearing.load(Ordering::Acquire)
    }

    fn claims(&self) -> MutexGuard<'_, HashMap<String, Claim>> {
        self.claims.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues an event; `failed` runs if it cannot be published. Never blocks: with Redis
    /// unreachable or the queue full, `failed` runs at once (state events without one are
    /// dropped: every node publishes its whole state again when it rejoins).
    pub fn publish(&self, event: BusEvent, failed: Option<Failed>) {
        let mut release = None;
        if let BusEvent::RoomClosed { room, .. } = &event {
            // Closed here: its name is freed after the event, if still this room's.
            let key = chat_core::validate::room_key(room);
            release = self.claims().remove(&key).map(|c| (key, c.value()));
        }
        if !self.up.load(Ordering::Acquire) {
            if let Some(failed) = failed {
                failed();
            }
            return;
        }
        let item = Outgoing::Publish {
            event,
            failed,
            confirm: None,
            deadline: None,
        };
        match self.outgoing.try_send(item) {
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
        if let Some((room_key, claim)) = release {
            let _ = self
                .outgoing
                .try_send(Outgoing::Release { room_key, claim });
        }
    }

    /// Frees a room name once the room closed (and says it closed, if nobody did: a room
    /// whose creation was logged but which was given up before it opened here).
    pub fn release_room(&self, room_key: &str) {
        let Some(claim) = self.claims().remove(room_key) else {
            return;
        };
        let event = BusEvent::RoomClosed {
            room: claim.name.clone(),
            reason: chat_core::protocol::RoomClosedReason::Deleted,
        };
        let _ = self.outgoing.try_send(Outgoing::Publish {
            event,
            failed: None,
            confirm: None,
            deadline: None,
        });
        let _ = self.outgoing.try_send(Outgoing::Release {
            room_key: room_key.to_owned(),
            claim: claim.value(),
        });
    }

    /// Frees the names of rooms closed here because their creators' node is gone (every node
    /// does the same; only a claim still naming the same room goes).
    fn release_claims(&self, room_keys: &[String]) {
        let mut claims = self.claims();
        for key in room_keys {
            if let Some(claim) = claims.remove(key) {
                let _ = self.outgoing.try_send(Outgoing::Release {
                    room_key: key.clone(),
                    claim: claim.value(),
                });
            }
        }
    }

    /// Claims a room name for a room `creator` is making, and logs its creation: `Ok(true)`
    /// if this node has it now, `Ok(false)` if another room has it.
    pub fn claim_room(&self, room_key: &str, room: &str, creator: &str) -> Result<bool> {
        let deadline = Instant::now() + REQUEST_BUDGET;
        let event = self.envelope(BusEvent::RoomCreated {
            room: room.to_owned(),
            creator: creator.to_owned(),
        });
        let floor = self.highest.load(Ordering::Acquire);
        let prefix = format!("{}\t{creator}", self.node);
        let created = self
            .sync
            .claim(deadline, floor, &event, room_key, &prefix)?;
        if created == 0 {
            return Ok(false);
        }
        self.saw(created);
        {
            let mut claimed = self.claimed.lock().unwrap_or_else(|p| p.into_inner());
            claimed.push_back(created);
            while claimed.len() > CLAIMS_REMEMBERED {
                claimed.pop_front();
            }
        }
        self.claims().insert(
            room_key.to_owned(),
            Claim {
                node: self.node.clone(),
                name: room.to_owned(),
                creator: creator.to_owned(),
                created,
            },
        );
        Ok(true)
    }

    /// Whether the creation numbered `created` was claimed by one of this node's requests.
    fn was_claimed(&self, created: u64) -> bool {
        self.claimed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains(&created)
    }

    /// Waits until this node has applied the log as far as it goes now.
    pub fn caught_up(&self) -> Result<()> {
        let deadline = Instant::now() + REQUEST_BUDGET;
        if !self.is_up() {
            return Err(unreachable("not connected"));
        }
        let head = self.sync.head(deadline)?;
        self.wait_applied(head, deadline)
    }

    /// Waits until the event numbered `seq` (or a later one) has been applied here.
    fn wait_applied(&self, seq: u64, deadline: Instant) -> Result<()> {
        let mut applied = self.applied.lock().unwrap_or_else(|p| p.into_inner());
        while *applied < seq {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || self.stopping() {
                return Err(unreachable("this node is still reading the cluster's log"));
            }
            applied = self
                .applied_changed
                .wait_timeout(applied, left)
                .map(|(guard, _)| guard)
                .unwrap_or_else(|p| p.into_inner().0);
        }
        Ok(())
    }

    /// Notes that the log was applied up to `seq` (wakes whoever waits on it).
    fn set_applied(&self, seq: u64) {
        let mut applied = self.applied.lock().unwrap_or_else(|p| p.into_inner());
        if *applied != seq {
            *applied = seq;
            self.applied_changed.notify_all();
        }
    }

    /// Waits until every event queued before the call is in the log.
    pub fn flush(&self) -> Result<()> {
        let deadline = Instant::now() + REQUEST_BUDGET;
        if !self.up.load(Ordering::Acquire) {
            return Err(unreachable("not connected"));
        }
        let (confirm, confirmed) = bounded(1);
        if self.outgoing.try_send(Outgoing::Flush { confirm }).is_err() {
            return Err(unreachable("too many events waiting"));
        }
        match confirmed.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(true) => Ok(()),
            Ok(false) => Err(unreachable("the events could not be appended")),
            Err(_) => Err(ServerError::NotConfirmed {
                what: "the cluster (Redis)",
            }),
        }
    }

    /// Hands a private message to its recipient's node (see `handover`), giving up at
    /// `deadline`.
    pub fn hand_over(&self, event: BusEvent, deadline: Instant) -> Result<Handover> {
        let started = Instant::now();
        let published_by = deadline.min(started + handover::PUBLISHED_WITHIN);
        let seq = self.publish_until(event, published_by)?;
        self.handovers.wait(seq, started, deadline, |seq| {
            self.publish(BusEvent::Expired { seq }, None)
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

    fn alive(&self) -> MutexGuard<'_, HashMap<String, i64>> {
        self.alive.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// This node's view of the cluster.
    pub fn status(&self) -> ClusterStatus {
        let offset_ms = self.offset_ms.load(Ordering::Relaxed);
        let mut nodes: Vec<(String, i64)> = self
            .alive()
            .iter()
            .filter(|(name, _)| **name != self.node)
            .map(|(name, offset)| (name.clone(), *offset))
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
            applied: *self.applied.lock().unwrap_or_else(|p| p.into_inner()),
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

    fn publish_confirmed(&self, event: BusEvent) -> Result<u64> {
        self.publish_until(event, Instant::now() + REQUEST_BUDGET)
    }

    fn publish_answered(&self, event: BusEvent, deadline: Instant, answer: Answer) {
        Cluster::publish_answered(self, event, deadline, answer);
    }

    fn hand_over(&self, event: BusEvent, deadline: Instant) -> Result<Handover> {
        Cluster::hand_over(self, event, deadline)
    }

    fn private_id(&self, floor: u64, deadline: Instant) -> Result<u64> {
        self.sync.private_id(deadline, floor)
    }

    fn is_up(&self) -> bool {
        Cluster::is_up(self)
    }

    fn claim_room(&self, room_key: &str, room: &str, creator: &str) -> Result<bool> {
        Cluster::claim_room(self, room_key, room, creator)
    }

    fn release_room(&self, room_key: &str) {
        Cluster::release_room(self, room_key);
    }

    fn caught_up(&self) -> Result<()> {
        Cluster::caught_up(self)
    }

    fn flush(&self) -> Result<()> {
        Cluster::flush(self)
    }

    fn now_ms(&self) -> i64 {
        Cluster::now_ms(self)
    }
}
