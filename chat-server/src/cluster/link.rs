//! The link thread: publishes this node's events in the order they were queued (several per
//! round trip), beats every second, samples the cluster's clock every ten, and reconnects when
//! Redis goes away. On each (re)connection it says hello (the other nodes answer with their
//! state), publishes this node's whole state, and claims again the names of its users' rooms (a
//! Redis restarted empty forgot them).

use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use chat_core::clock::{Clock, ClockSample, ClockSync, SystemClock};
use crossbeam_channel::{Receiver, RecvTimeoutError};

use super::keys;
use super::{BEAT_EVERY, Cluster, Outgoing, REDIS_TIMEOUT};
use crate::chat::bus::BusEvent;
use crate::shared::Shared;

/// Events published in one round trip at most.
const BATCH: usize = 256;
/// How often the clock is sampled.
const CLOCK_EVERY: Duration = Duration::from_secs(10);
/// Samples per clock measurement (the one with the shortest round trip counts).
const CLOCK_SAMPLES: usize = 3;
/// Waits between attempts to reconnect, growing to the last.
const RETRY: [Duration; 4] = [
    Duration::from_millis(100),
    Duration::from_millis(250),
    Duration::from_millis(500),
    Duration::from_secs(1),
];

/// A connection with the publishing script loaded.
struct Connected {
    con: redis::Connection,
    script: redis::Script,
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
        if let Err(e) = rejoin(cluster, &mut link, shared) {
            tracing::warn!("cannot rejoin the cluster: {e}");
            continue;
        }
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
    let mut con = cluster.client.get_connection_with_timeout(REDIS_TIMEOUT)?;
    con.set_read_timeout(Some(REDIS_TIMEOUT))?;
    con.set_write_timeout(Some(REDIS_TIMEOUT))?;
    let script = redis::Script::new(keys::PUBLISH_SCRIPT);
    script.load(&mut con)?;
    Ok(Connected { con, script })
}

/// Hello, this node's state, and its rooms' names claimed again.
fn rejoin(
    cluster: &Cluster,
    link: &mut Connected,
    shared: &Weak<Shared>,
) -> redis::RedisResult<()> {
    let Some(shared) = shared.upgrade() else {
        return Ok(());
    };
    let (users, rooms) = shared.hub.snapshot();
    for room in &rooms {
        let claimed: i64 = redis::cmd("HSETNX")
            .arg(keys::ROOMS_KEY)
            .arg(chat_core::validate::room_key(&room.name))
            .arg(format!("{}\t{}", cluster.node, room.creator))
            .query(&mut link.con)?;
        if claimed == 0 {
            tracing::debug!(room = %room.name, "room name already claimed (by this node before, or another)");
        }
    }
    publish_all(
        cluster,
        link,
        vec![BusEvent::Hello, BusEvent::Snapshot { users, rooms }],
    )?;
    Ok(())
}

/// Publishes events in one round trip; returns their numbers.
fn publish_all(
    cluster: &Cluster,
    link: &mut Connected,
    events: Vec<BusEvent>,
) -> redis::RedisResult<Vec<u64>> {
    let mut pipe = redis::pipe();
    let floor = cluster.highest.load(Ordering::Acquire);
    for event in events {
        let payload = cluster.envelope(event).encode();
        pipe.cmd("EVALSHA")
            .arg(link.script.get_hash())
            .arg(2)
            .arg(keys::SEQ_KEY)
            .arg(keys::CHANNEL)
            .arg(payload)
            .arg(floor);
    }
    let numbers: Vec<u64> = pipe.query(&mut link.con)?;
    if let Some(&last) = numbers.last() {
        cluster.saw(last);
    }
    Ok(numbers)
}

/// Publishes a batch; on failure every event's `failed` runs (none was published for sure).
fn send(cluster: &Cluster, link: &mut Connected, batch: Vec<Outgoing>) -> redis::RedisResult<()> {
    let mut events = Vec::with_capacity(batch.len());
    let mut failures = Vec::new();
    let mut released = Vec::new();
    for item in batch {
        match item {
            Outgoing::Publish { event, failed } => {
                events.push(event);
                failures.extend(failed);
            }
            Outgoing::Release { room_key } => released.push(room_key),
        }
    }
    let result = if events.is_empty() {
        Ok(Vec::new())
    } else {
        publish_all(cluster, link, events)
    };
    if result.is_err() {
        for failed in failures {
            failed();
        }
    }
    result?;
    if !released.is_empty() {
        redis::cmd("HDEL")
            .arg(keys::ROOMS_KEY)
            .arg(&released)
            .query::<i64>(&mut link.con)?;
    }
    Ok(())
}

/// The heartbeat: an event (how other nodes see this one alive) and the node's key with an
/// expiry (how an operator sees it: `redis-cli keys 'chat:node:*'`).
fn beat(cluster: &Cluster, link: &mut Connected) -> redis::RedisResult<()> {
    let offset_ms = cluster.offset_ms.load(Ordering::Relaxed);
    publish_all(cluster, link, vec![BusEvent::Beat { offset_ms }])?;
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
        if let Outgoing::Publish {
            failed: Some(failed),
            ..
        } = item
        {
            failed();
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
