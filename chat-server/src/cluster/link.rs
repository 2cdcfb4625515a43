//! The link thread: appends this node's events to the log in the order they were queued (many
//! per round trip), beats every second, samples the cluster's clock every ten, and reconnects
//! when Redis goes away. On each (re)connection it claims again the names of its users' rooms
//! (a Redis restarted empty forgot them), frees those it holds for rooms it no longer has, and
//! asks for this node's whole state to be published once the listener has caught up.
//!
//! An event whose sender stopped waiting (its deadline passed while queued) is not appended:
//! its sender was told it was not sent. Only the events of a batch whose answer was lost may
//! have been appended without their senders knowing (they were told "not confirmed").

use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use chat_core::clock::{Clock, ClockSample, ClockSync, SystemClock};
use crossbeam_channel::{Receiver, RecvTimeoutError};

use super::answers::{Pending, result_of};
use super::keys;
use super::{Appended, BEAT_EVERY, CONNECT_TIMEOUT, Cluster, Outgoing, REDIS_TIMEOUT};
use crate::chat::bus::{BusEvent, Failed};
use crate::shared::Shared;

/// Events appended in one round trip at most.
const BATCH: usize = 256;
/// How often the clock is sampled.
const CLOCK_EVERY: Duration = Duration::from_secs(10);
/// Samples per clock measurement (the one with the shortest round trip counts).
const CLOCK_SAMPLES: usize = 3;
/// Waits between attempts to reconnect, growing to the last (short: a healed network is
/// used again within a fraction of a second).
const RETRY: [Duration; 3] = [
    Duration::from_millis(50),
    Duration::from_millis(100),
    Duration::from_millis(250),
];

/// A connection with the scripts loaded.
struct Connected {
    con: redis::Connection,
    publish: redis::Script,
    release: redis::Script,
}

pub(super) fn run(cluster: &Arc<Cluster>, rx: &Receiver<Outgoing>, shared: &Weak<Shared>) {
    let mut attempt = 0;
    let mut next_beat = Instant::now();
    let mut next_clock = Instant::now();
    while !cluster.stopping() {
        let mut link = match connect(cluster) {
            Ok(link) => link,
            Err(e) => {
                if attempt == 1 {
                    tracing::warn!("the cluster (Redis) is unreachable: {e}; retrying");
                }
                cluster.up.store(false, Ordering::Release);
                fail_queued(rx);
                std::thread::sleep(RETRY[attempt.min(RETRY.len() - 1)]);
                attempt += 1;
                continue;
            }
        };
        if attempt > 0 {
            tracing::info!("the cluster (Redis) is reachable again");
        }
        attempt = 0;
        if let Err(e) = reclaim(cluster, &mut link, shared) {
            tracing::warn!("cannot rejoin the cluster: {e}");
            continue;
        }
        cluster.rejoin_due.store(true, Ordering::Release);
        cluster.up.store(true, Ordering::Release);
        // Publish until the connection fails.
        loop {
            if cluster.stopping() {
                drain(cluster, &mut link, rx);
                cluster.up.store(false, Ordering::Release);
                return;
            }
            let now = Instant::now();
            if now >= next_clock {
                next_clock = now + CLOCK_EVERY;
                if let Err(e) = sample_clock(cluster, &mut link.con) {
                    tracing::warn!("cluster link lost: {e}");
                    break;
                }
            }
            if now >= next_beat {
                next_beat = now + BEAT_EVERY;
                if let Err(e) = beat(cluster, &mut link) {
                    tracing::warn!("cluster link lost: {e}");
                    break;
                }
            }
            let wait = next_beat.saturating_duration_since(Instant::now());
            let first = match rx.recv_timeout(wait) {
                Ok(first) => first,
                Err(RecvTimeoutError::Timeout) => continue,
                Err(RecvTimeoutError::Disconnected) => return,
            };
            let mut batch = vec![first];
            while batch.len() < BATCH {
                match rx.try_recv() {
                    Ok(more) => batch.push(more),
                    Err(_) => break,
                }
            }
            if let Err(e) = send(cluster, &mut link, batch) {
                tracing::warn!("cluster link lost: {e}");
                break;
            }
        }
        cluster.up.store(false, Ordering::Release);
    }
}

fn connect(cluster: &Cluster) -> redis::RedisResult<Connected> {
    let mut con = cluster
        .client
        .get_connection_with_timeout(CONNECT_TIMEOUT)?;
    con.set_read_timeout(Some(REDIS_TIMEOUT))?;
    con.set_write_timeout(Some(REDIS_TIMEOUT))?;
    let publish = redis::Script::new(&keys::publish_script());
    publish.load(&mut con)?;
    let release = redis::Script::new(keys::RELEASE_SCRIPT);
    release.load(&mut con)?;
    Ok(Connected {
        con,
        publish,
        release,
    })
}

/// This node's rooms' names claimed again (a Redis restarted empty forgot them), and names it
/// holds for rooms it no longer has freed (closed while it could not say so).
fn reclaim(
    cluster: &Cluster,
    link: &mut Connected,
    shared: &Weak<Shared>,
) -> redis::RedisResult<()> {
    let Some(shared) = shared.upgrade() else {
        return Ok(());
    };
    let (_, rooms) = shared.hub.snapshot();
    let mine: Vec<(String, String)> = {
        let claims = cluster.claims();
        rooms
            .iter()
            .filter_map(|room| {
                let key = chat_core::validate::room_key(&room.name);
                let claim = claims.get(&key).filter(|c| c.node == cluster.node)?;
                Some((key, claim.value()))
            })
            .collect()
    };
    for (key, value) in &mine {
        redis::cmd("HSETNX")
            .arg(keys::ROOMS_KEY)
            .arg(key)
            .arg(value)
            .query::<i64>(&mut link.con)?;
    }
    let held: Vec<(String, String)> = redis::cmd("HGETALL")
        .arg(keys::ROOMS_KEY)
        .query(&mut link.con)?;
    let prefix = format!("{}\t", cluster.node);
    for (key, value) in held {
        let ours = value.starts_with(&prefix);
        let kept = mine.iter().any(|(k, v)| *k == key && *v == value);
        // A claim made a moment ago (its room not yet in the hub) is in the claims.
        let claiming = cluster
            .claims()
            .get(&key)
            .is_some_and(|c| c.value() == value);
        if ours && !kept && !claiming {
            link.release
                .key(keys::ROOMS_KEY)
                .arg(&key)
                .arg(&value)
                .invoke::<i64>(&mut link.con)?;
        }
    }
    Ok(())
}

/// What waits for one event's fate.
struct Waiter {
    failed: Option<Failed>,
    confirm: Option<Arc<Pending>>,
}

impl Waiter {
    fn appended(self, seq: u64) {
        if let Some(confirm) = self.confirm {
            confirm.settle(Ok(seq));
        }
    }

    fn not_appended(self) {
        self.tell(Appended::Not);
    }

    /// Sent, answer lost: its sender is told it is not confirmed.
    fn in_doubt(self) {
        self.tell(Appended::InDoubt);
    }

    fn tell(self, what: Appended) {
        if let Some(failed) = self.failed {
            failed();
        }
        if let Some(confirm) = self.confirm {
            confirm.settle(result_of(what));
        }
    }
}

/// Appends a batch in one round trip (runs of events in one script call each, releases of
/// room names between them, in the order queued); tells each event's waiter its number, or
/// that it was not appended.
fn send(cluster: &Cluster, link: &mut Connected, batch: Vec<Outgoing>) -> redis::RedisResult<()> {
    let floor = cluster.highest.load(Ordering::Acquire);
    let now = Instant::now();
    let mut pipe = redis::pipe();
    // Per script call: its events' waiters (a release has none).
    let mut calls: Vec<Vec<Waiter>> = Vec::new();
    let mut run: Option<(redis::ScriptInvocation<'_>, Vec<Waiter>)> = None;
    let mut flushes = Vec::new();
    for item in batch {
        match item {
            Outgoing::Publish {
                event,
                failed,
                confirm,
                deadline,
            } => {
                let waiter = Waiter { failed, confirm };
                if deadline.is_some_and(|d| d <= now) {
                    waiter.not_appended();
                    continue;
                }
                let (invocation, waiters) = run.get_or_insert_with(|| {
                    let mut invocation = link.publish.prepare_invoke();
                    invocation
                        .key(keys::SEQ_KEY)
                        .key(keys::STREAM)
                        .key(keys::LOG_KEY)
                        .arg(floor)
                        .arg(keys::LOG_EVENTS);
                    (invocation, Vec::new())
                });
                invocation.arg(cluster.envelope(event).encode());
                waiters.push(waiter);
            }
            Outgoing::Flush { confirm } => flushes.push(confirm),
            Outgoing::Release { room_key, claim } => {
                flush_run(&mut pipe, &mut run, &mut calls);
                let mut invocation = link.release.prepare_invoke();
                invocation.key(keys::ROOMS_KEY).arg(room_key).arg(claim);
                pipe.invoke_script(&invocation);
                calls.push(Vec::new());
            }
        }
    }
    flush_run(&mut pipe, &mut run, &mut calls);
    let answers: Vec<redis::Value> = if calls.is_empty() {
        Vec::new()
    } else {
        match pipe.query(&mut link.con) {
            Ok(answers) => answers,
            Err(e) => {
                for waiter in calls.into_iter().flatten() {
                    waiter.in_doubt();
                }
                for flush in flushes {
                    let _ = flush.send(false);
                }
                return Err(e);
            }
        }
    };
    for flush in flushes {
        let _ = flush.send(true);
    }
    let mut highest = 0;
    for (waiters, answer) in calls.into_iter().zip(answers) {
        if waiters.is_empty() {
            continue;
        }
        let first = redis::from_redis_value::<String>(answer)
            .ok()
            .and_then(|s| s.parse::<u64>().ok());
        match first {
            Some(first) => {
                for (i, waiter) in waiters.into_iter().enumerate() {
                    let seq = first + i as u64;
                    highest = seq;
                    waiter.appended(seq);
                }
            }
            None => {
                for waiter in waiters {
                    waiter.not_appended();
                }
            }
        }
    }
    cluster.saw(highest);
    Ok(())
}

/// Adds the script call gathering a run of events to the pipeline.
fn flush_run(
    pipe: &mut redis::Pipeline,
    run: &mut Option<(redis::ScriptInvocation<'_>, Vec<Waiter>)>,
    calls: &mut Vec<Vec<Waiter>>,
) {
    if let Some((invocation, waiters)) = run.take() {
        pipe.invoke_script(&invocation);
        calls.push(waiters);
    }
}

/// Appends events without waiters (a beat).
fn append(cluster: &Cluster, link: &mut Connected, event: BusEvent) -> redis::RedisResult<u64> {
    let first: String = link
        .publish
        .key(keys::SEQ_KEY)
        .key(keys::STREAM)
        .key(keys::LOG_KEY)
        .arg(cluster.highest.load(Ordering::Acquire))
        .arg(keys::LOG_EVENTS)
        .arg(cluster.envelope(event).encode())
        .invoke(&mut link.con)?;
    let seq = first.parse().unwrap_or(0);
    cluster.saw(seq);
    Ok(seq)
}

/// The heartbeat: an event (how other nodes see this one alive) and the node's key with an
/// expiry (how an operator sees it: `redis-cli keys 'chat:node:*'`).
fn beat(cluster: &Cluster, link: &mut Connected) -> redis::RedisResult<()> {
    let offset_ms = cluster.offset_ms.load(Ordering::Relaxed);
    append(cluster, link, BusEvent::Beat { offset_ms })?;
    let expiry = u64::try_from(super::GONE_AFTER.as_millis()).unwrap_or(u64::MAX);
    redis::cmd("SET")
        .arg(format!("{}{}", keys::NODE_KEY_PREFIX, cluster.node))
        .arg(offset_ms)
        .arg("PX")
        .arg(expiry)
        .query::<()>(&mut link.con)
}

/// Cristian's method against Redis' clock (`TIME`), with the course's own clock code: the
/// sample with the shortest round trip, assuming the reply took half of it.
fn sample_clock(cluster: &Cluster, con: &mut redis::Connection) -> redis::RedisResult<()> {
    let clock = SystemClock;
    let mut samples = Vec::with_capacity(CLOCK_SAMPLES);
    for _ in 0..CLOCK_SAMPLES {
        let sent_us = clock.now_us();
        let (secs, micros): (i64, i64) = redis::cmd("TIME").query(con)?;
        samples.push(ClockSample {
            sent_us,
            server_us: secs * 1_000_000 + micros,
            received_us: clock.now_us(),
        });
    }
    if let Some(sync) = ClockSync::from_samples(Arc::new(clock), &samples) {
        cluster
            .offset_ms
            .store(sync.offset_us.div_euclid(1_000), Ordering::Relaxed);
        cluster.error_us.store(sync.error_us, Ordering::Relaxed);
    }
    Ok(())
}

/// Redis is unreachable: whatever waits is not going to be published.
fn fail_queued(rx: &Receiver<Outgoing>) {
    while let Ok(item) = rx.try_recv() {
        match item {
            Outgoing::Publish {
                failed, confirm, ..
            } => Waiter { failed, confirm }.not_appended(),
            Outgoing::Flush { confirm } => {
                let _ = confirm.send(false);
            }
            Outgoing::Release { .. } => {}
        }
    }
}

/// At shutdown: publishes what is queued (the node's users leaving, its rooms closing).
fn drain(cluster: &Cluster, link: &mut Connected, rx: &Receiver<Outgoing>) {
    let mut batch = Vec::new();
    while let Ok(item) = rx.try_recv() {
        batch.push(item);
    }
    if !batch.is_empty() {
        let _ = send(cluster, link, batch);
    }
}
