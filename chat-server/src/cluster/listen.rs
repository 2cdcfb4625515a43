//! The listener thread: receives every node's events (this node's own included) in Redis'
//! order and applies the other nodes' to this node's hub; delivers room lines, this node's
//! included, as they come back; and notices nodes that stopped beating.
//!
//! A node is judged gone only while this node hears its own beats: if this node cannot hear
//! Redis, it knows nothing about the others.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use chat_core::protocol::Said;

use super::keys;
use super::{BEAT_EVERY, Cluster, GONE_AFTER, REDIS_TIMEOUT, Seen};
use crate::chat::bus::{BusEvent, Envelope};
use crate::shared::Shared;

/// How long one wait for a message lasts (the liveness check runs between waits).
const POLL: Duration = Duration::from_millis(100);
/// A node that has not heard its own beat for this long is deaf (two beats' time).
const HEARD_MYSELF_WITHIN: Duration = BEAT_EVERY.saturating_mul(2);
/// How often nodes' liveness is checked.
const CHECK_EVERY: Duration = Duration::from_millis(250);

pub(super) fn run(cluster: &Arc<Cluster>, shared: &Weak<Shared>) {
    let mut attempt = 0usize;
    while !cluster.stopping() {
        let mut con = match cluster.client.get_connection_with_timeout(REDIS_TIMEOUT) {
            Ok(con) => con,
            Err(_) => {
                attempt += 1;
                // Unreachable: this node hears nobody, itself included, so nobody's silence
                // means anything until it hears itself again.
                cluster.deaf.store(true, Ordering::Release);
                std::thread::sleep(POLL * u32::try_from(attempt.min(10)).unwrap_or(10));
                continue;
            }
        };
        let _ = con.set_write_timeout(Some(REDIS_TIMEOUT));
        let mut pubsub = con.as_pubsub();
        if pubsub.set_read_timeout(Some(REDIS_TIMEOUT)).is_err()
            || pubsub.subscribe(keys::CHANNEL).is_err()
            || pubsub.set_read_timeout(Some(POLL)).is_err()
        {
            attempt += 1;
            continue;
        }
        if attempt > 0 {
            // Events were missed while away: everyone's state again, ours included (the others
            // may have given this node up meanwhile). This node was deaf, however short the
            // outage: the others' silence meanwhile says nothing, so they get a full
            // `GONE_AFTER` from now to be heard again (a node that reconnects a moment later
            // than this one is not given up).
            cluster.deaf.store(true, Ordering::Release);
            resync(cluster, shared);
        }
        let mut last_seq = 0u64;
        let mut next_check = Instant::now();
        loop {
            if cluster.stopping() {
                return;
            }
            match pubsub.get_message() {
                Ok(message) => handle(cluster, shared, message.get_payload_bytes(), &mut last_seq),
                Err(e) if e.is_timeout() => {}
                Err(e) => {
                    tracing::warn!("cluster subscription lost: {e}");
                    attempt = 1;
                    break;
                }
            }
            let now = Instant::now();
            if now >= next_check {
                next_check = now + CHECK_EVERY;
                check_liveness(cluster, shared);
            }
        }
    }
}

/// Asks every node for its state and publishes this node's.
fn resync(cluster: &Cluster, shared: &Weak<Shared>) {
    cluster.publish(BusEvent::Hello, None);
    if let Some(shared) = shared.upgrade() {
        let (users, rooms) = shared.hub.snapshot();
        cluster.publish(BusEvent::Snapshot { users, rooms }, None);
    }
}

fn handle(cluster: &Cluster, shared: &Weak<Shared>, payload: &[u8], last_seq: &mut u64) {
    let (seq, Envelope { node, event }) = match keys::decode(payload) {
        Ok(decoded) => decoded,
        Err(e) => {
            tracing::warn!("an unreadable cluster event: {e}");
            return;
        }
    };
    cluster.saw(seq);
    let skipped = *last_seq != 0 && seq > *last_seq + 1;
    *last_seq = (*last_seq).max(seq);
    {
        let mut seen = cluster.seen();
        let entry = seen.entry(node.clone()).or_insert(Seen {
            last: Instant::now(),
            offset_ms: 0,
        });
        entry.last = Instant::now();
        if let BusEvent::Beat { offset_ms } = &event {
            entry.offset_ms = *offset_ms;
        }
    }
    let Some(shared) = shared.upgrade() else {
        return;
    };
    if skipped {
        tracing::warn!(
            seq,
            "cluster events were missed; asking every node for its state"
        );
        resync(cluster, &Arc::downgrade(&shared));
    }
    let own = node == cluster.node;
    let hub = &shared.hub;
    match event {
        BusEvent::Beat { .. } => {}
        BusEvent::Said {
            room,
            from,
            text,
            time,
            notice,
            reply_to,
            attachments,
        } => {
            let said = Said {
                room,
                from,
                text,
                time,
                id: seq,
                reply_to,
                attachments,
                ..Default::default()
            };
            if let Some(said) = hub.deliver_said(said, notice) {
                shared.archive.room_line(said);
            }
        }
        // Applied on every node as they come back, this one too (as lines are).
        BusEvent::LineChanged { room, line, change } => {
            if let Some(changed) = hub.apply_line_change(&room, line, change)
                && changed.in_default_room
            {
                shared.archive.replace_room_line(changed.said);
            }
        }
        BusEvent::Moderated {
            room,
            action,
            login,
            until,
            seconds,
            by,
            at,
            why,
        } => hub.apply_moderation(
            crate::chat::hub::Moderated {
                room,
                action,
                login,
                until,
                seconds,
                by,
            },
            at,
            why,
        ),
        BusEvent::TopicSet { room, topic } => hub.apply_topic(&room, topic),
        _ if own => {}
        BusEvent::Hello => {
            let (users, rooms) = hub.snapshot();
            cluster.publish(BusEvent::Snapshot { users, rooms }, None);
        }
        BusEvent::Snapshot { users, rooms } => hub.apply_snapshot(&node, users, rooms),
        BusEvent::LoggedIn {
            login,
            session,
            room,
        } => hub.remote_logged_in(&node, &login, session, &room),
        BusEvent::Moved {
            login,
            session,
            room,
        } => hub.remote_moved(&node, &login, session, &room),
        BusEvent::LoggedOut {
            login,
            session,
            quit,
        } => hub.remote_logged_out(&node, &login, session, &quit),
        BusEvent::Presence { login, away } => hub.remote_presence(&login, away),
        BusEvent::RoomCreated { room, creator } => hub.remote_room_created(&room, &creator),
        BusEvent::RoomClosed { room, reason } => hub.remote_room_closed(&room, reason),
        BusEvent::Private {
            to,
            from,
            text,
            id,
            time,
            notice,
            reply_to,
        } => hub.remote_private(
            chat_core::protocol::PrivateSaid {
                from,
                to,
                text,
                time,
                id,
                reply_to,
                ..Default::default()
            },
            notice,
        ),
        BusEvent::Registered {
            login,
            first_names,
            last_names,
        } => shared
            .directory
            .insert_person(crate::accounts::directory::Person {
                login,
                first_names,
                last_names,
                guest: false,
            }),
    }
}

/// Forgets nodes that stopped beating, only while this node hears its own beats; after a
/// spell of not hearing itself, every node gets a full [`GONE_AFTER`] to be heard again (they
/// were cut off from Redis too, and reconnect at their own pace).
fn check_liveness(cluster: &Cluster, shared: &Weak<Shared>) {
    let gone: Vec<String> = {
        let mut seen = cluster.seen();
        // Deaf as soon as a beat of our own is overdue, not after `GONE_AFTER`: another node's
        // last beat may have come up to a beat before ours, and would look gone first.
        let hearing_myself = seen
            .get(&cluster.node)
            .is_some_and(|s| s.last.elapsed() < HEARD_MYSELF_WITHIN);
        if !hearing_myself {
            cluster.deaf.store(true, Ordering::Release);
            return;
        }
        if cluster.deaf.swap(false, Ordering::AcqRel) {
            let now = Instant::now();
            for other in seen.values_mut() {
                other.last = other.last.max(now);
            }
            return;
        }
        let gone: Vec<String> = seen
            .iter()
            .filter(|(name, s)| **name != cluster.node && s.last.elapsed() >= GONE_AFTER)
            .map(|(name, _)| name.clone())
            .collect();
        for name in &gone {
            seen.remove(name);
        }
        gone
    };
    let Some(shared) = shared.upgrade() else {
        return;
    };
    for node in gone {
        tracing::warn!(%node, "a node stopped beating: its users are offline, their rooms close");
        for room_key in shared.hub.forget_node(&node) {
            cluster.release_room(&room_key);
        }
    }
}
