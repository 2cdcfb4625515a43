//! The listener thread: reads the log (blocking `XREAD` from the last event it applied), so
//! that after a disconnection it replays what it missed; applies each event once, in the log's
//! order, to this node's hub (the other nodes' changes; room lines, this node's included, as
//! they come back); and does what the log's view decides (`view`): nodes gone, private
//! messages taken, delivered or kept.
//!
//! Every read is bounded: a connection that does not answer (a partition, Redis paused) is
//! dropped and made again, so reading resumes within a second of the network healing, from
//! where it stopped. Once it has read to the end of the log after (re)joining, it publishes this
//! node's whole state.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use chat_core::protocol::{PrivateSaid, Said, ServerMessage};
use chat_core::validate::{login_key, room_key};

use super::handover::UNCLAIMED_AFTER;
use super::keys::{self, Entry};
use super::view::{Step, View};
use super::{CONNECT_TIMEOUT, Claim, Cluster, GONE_AFTER, REDIS_TIMEOUT};
use crate::chat::bus::{BusEvent, Envelope};
use crate::delivery::event::Event;
use crate::service::files;
use crate::shared::Shared;

/// Events read at most at once.
const READ_COUNT: usize = 1_024;
/// How long one blocking read waits for new events.
const READ_BLOCK: Duration = Duration::from_millis(250);
/// Waits between attempts to reconnect.
const RETRY: Duration = Duration::from_millis(100);
/// How long a creation logged by this node may wait for its claim to be recorded here before
/// it counts as abandoned (its creator's request gave up).
const CLAIM_SETTLES_WITHIN: Duration = Duration::from_secs(3);

/// What the listener keeps between reads.
struct Reader {
    view: View,
    /// Ask every node for its state once caught up (events were missed).
    hello_due: bool,
    /// When the log was last read.
    last_read: Instant,
    /// Rooms this node's events created, not yet matched by a claim here.
    unmatched: Vec<(Claim, Instant)>,
}

pub(super) fn run(cluster: &Arc<Cluster>, shared: &Weak<Shared>) {
    let mut reader: Option<Reader> = None;
    while !cluster.stopping() {
        let mut con = match connect(cluster) {
            Ok(con) => con,
            Err(_) => {
                cluster.hearing.store(false, Ordering::Release);
                std::thread::sleep(RETRY);
                continue;
            }
        };
        let reader = match &mut reader {
            Some(reader) => reader,
            None => {
                // First read: from the end of the log as it is now; everyone's state asked.
                let Ok(head) = redis::cmd("GET")
                    .arg(keys::SEQ_KEY)
                    .query::<Option<u64>>(&mut con)
                else {
                    continue;
                };
                let head = head.unwrap_or(0);
                cluster.saw(head);
                cluster.set_applied(head);
                reader.insert(Reader {
                    view: View::new(&cluster.node, head),
                    hello_due: true,
                    last_read: Instant::now(),
                    unmatched: Vec::new(),
                })
            }
        };
        // Away (cut off, or Redis gone) long enough that the others may have given this node
        // up: if the log cannot say (events were missed), act as if they did.
        let away = reader.last_read.elapsed();
        cluster.hearing.store(true, Ordering::Release);
        if let Err(e) = read_on(cluster, shared, &mut con, reader, away)
            && !cluster.stopping()
        {
            tracing::warn!("cluster log unreadable: {e}; reconnecting");
        }
        cluster.hearing.store(false, Ordering::Release);
    }
}

fn connect(cluster: &Cluster) -> redis::RedisResult<redis::Connection> {
    let con = cluster
        .client
        .get_connection_with_timeout(CONNECT_TIMEOUT)?;
    con.set_read_timeout(Some(READ_BLOCK + REDIS_TIMEOUT))?;
    con.set_write_timeout(Some(REDIS_TIMEOUT))?;
    Ok(con)
}

/// Reads and applies the log until the connection fails.
fn read_on(
    cluster: &Cluster,
    shared: &Weak<Shared>,
    con: &mut redis::Connection,
    reader: &mut Reader,
    mut away: Duration,
) -> redis::RedisResult<()> {
    let block = u64::try_from(READ_BLOCK.as_millis()).unwrap_or(250);
    while !cluster.stopping() {
        let reply: redis::Value = redis::cmd("XREAD")
            .arg("COUNT")
            .arg(READ_COUNT)
            .arg("BLOCK")
            .arg(block)
            .arg("STREAMS")
            .arg(keys::STREAM)
            .arg(format!("{}-0", reader.view.pos()))
            .query(con)?;
        reader.last_read = Instant::now();
        cluster.hearing.store(true, Ordering::Release);
        let entries = keys::entries(reply);
        let caught_up = entries.len() < READ_COUNT;
        let Some(shared) = shared.upgrade() else {
            return Ok(());
        };
        for entry in entries {
            match entry {
                Ok(entry) => handle(cluster, &shared, reader, &entry, away),
                Err((seq, e)) => {
                    tracing::warn!(?seq, "an unreadable cluster event: {e}");
                    if let Some(seq) = seq {
                        // Skipped, but counted: it is not a gap.
                        skip(reader, seq);
                    }
                }
            }
            away = Duration::ZERO;
        }
        cluster.set_applied(reader.view.pos());
        settle_claims(cluster, reader);
        for said in cluster.handovers.unclaimed(UNCLAIMED_AFTER) {
            keep(&shared, said);
        }
        if caught_up {
            rejoin_if_due(cluster, &shared, reader);
        }
    }
    Ok(())
}

/// An event that could not be read still takes its place in the order.
fn skip(reader: &mut Reader, seq: u64) {
    let unreadable = Entry {
        seq,
        time_ms: 0,
        envelope: Envelope {
            node: String::new(),
            event: BusEvent::Hello,
        },
    };
    // A Hello from nobody: the view counts its number and changes nothing else that matters.
    let _ = reader.view.read(&unreadable);
}

/// Publishes this node's whole state once it has read the log to its end after joining,
/// reconnecting or being found gone (and asks for everyone's after missing events).
fn rejoin_if_due(cluster: &Cluster, shared: &Arc<Shared>, reader: &mut Reader) {
    if !cluster.up.load(Ordering::Acquire) || !cluster.rejoin_due.swap(false, Ordering::AcqRel) {
        return;
    }
    if reader.hello_due {
        reader.hello_due = false;
        cluster.publish(BusEvent::Hello, None);
    }
    publish_snapshot(cluster, shared);
}

/// This node's users and rooms, queued in the hub's order of changes (under its lock).
///
/// A room is listed only if this node holds its claim, or its claim names a node the log
/// has given up (its creator resumed here: the room carries on here, and every node reads
/// the same log, so every node agrees on the new holder). A creator who resumed here while
/// its old node restarted within the gone-after window does not make this node re-claim
/// that node's room: the restarted node's snapshot closes it, and a listing from here would
/// have kept it alive on the nodes that read it until this node's next snapshot.
fn publish_snapshot(cluster: &Cluster, shared: &Shared) {
    shared.hub.with_snapshot(|users, mut rooms, default_order| {
        let claims = cluster.claims();
        let alive = cluster.alive();
        rooms.retain_mut(|room| match claims.get(&room_key(&room.name)) {
            Some(claim) if claim.node != cluster.node && alive.contains_key(&claim.node) => false,
            Some(claim) => {
                room.created = claim.created;
                true
            }
            None => true,
        });
        drop(alive);
        drop(claims);
        cluster.publish(
            BusEvent::Snapshot {
                users,
                rooms,
                default_order,
            },
            None,
        );
    });
}

fn handle(
    cluster: &Cluster,
    shared: &Arc<Shared>,
    reader: &mut Reader,
    entry: &Entry,
    away: Duration,
) {
    cluster.saw(entry.seq);
    let steps = reader.view.read(entry);
    for step in &steps {
        match step {
            Step::Duplicate => return,
            Step::Gap => {
                tracing::warn!(
                    seq = entry.seq,
                    "cluster events were missed (trimmed from the log, or a new log); asking \
                     every node for its state"
                );
                reader.hello_due = true;
                cluster.rejoin_due.store(true, Ordering::Release);
                if away >= GONE_AFTER {
                    // Away longer than the others wait: they may have given this node up,
                    // and the log that would say so is gone.
                    forget_own_rooms(cluster, shared, entry.seq);
                }
            }
            _ => {}
        }
    }
    if matches!(entry.envelope.event, BusEvent::Beat { .. }) || !steps.is_empty() {
        let mut alive = cluster.alive();
        alive.clear();
        alive.extend(reader.view.alive().map(|(n, o)| (n.clone(), o)));
    }
    apply(cluster, shared, reader, entry);
    for step in steps {
        match step {
            Step::Duplicate | Step::Gap => {}
            Step::NodeGone(node) => {
                tracing::warn!(%node, "a node went silent in the log: its users are offline, their rooms close");
                let closed = shared.hub.forget_node(&node);
                cluster.release_claims(&closed);
            }
            Step::WasGone { at } => {
                tracing::warn!("this node was cut off long enough to be given up; rejoining");
                forget_own_rooms(cluster, shared, at);
                cluster.rejoin_due.store(true, Ordering::Release);
            }
            Step::Take { seq } => cluster.publish(BusEvent::Taken { seq }, None),
            Step::Expire { seq } => cluster.publish(BusEvent::Expired { seq }, None),
            Step::Deliver { said, notice } => deliver(shared, said, notice),
            Step::Decided { seq, outcome, said } => cluster.handovers.decided(seq, outcome, said),
        }
    }
}

/// Closes the rooms this node's users created before event `before`, as every other node did
/// when it found this node gone.
fn forget_own_rooms(cluster: &Cluster, shared: &Shared, before: u64) {
    let keys: Vec<String> = cluster
        .claims()
        .iter()
        .filter(|(_, c)| c.node == cluster.node && c.created < before)
        .map(|(key, _)| key.clone())
        .collect();
    let closed = shared.hub.close_rooms(&keys);
    cluster.release_claims(&closed);
}

/// A private message taken here: to its recipient, or kept if it left meanwhile. The
/// conversation here keeps it too (as the sender's node does), before the recipient can see it:
/// a reply, reaction or read receipt its recipient sends here finds it.
fn deliver(shared: &Arc<Shared>, said: PrivateSaid, notice: bool) {
    if !said.attachments.is_empty() {
        // Its recipient may fetch its files here (its sender on its own node).
        let (from, to) = (login_key(&said.from), login_key(&said.to));
        files::carried_by_private(shared, &said.attachments, &from, &to, said.id);
    }
    shared.archive.saw_private_id(said.id);
    let guest = |login: &str| shared.person(&login_key(login)).is_none_or(|p| p.guest);
    if !guest(&said.from) && !guest(&said.to) {
        shared.archive.private(said.clone());
    }
    if shared.hub.remote_private(said.clone(), notice) {
        return;
    }
    // Taken, so nobody else keeps it: keep it here.
    keep(shared, said);
}

/// Keeps a private message for its recipient's next login, off this thread (it waits for the
/// accounts and the store). Nothing is kept for or from a guest, as on one node.
fn keep(shared: &Arc<Shared>, said: PrivateSaid) {
    let shared = Arc::clone(shared);
    let _ = std::thread::Builder::new()
        .name("cluster-keep".into())
        .spawn(move || {
            let guest = |login: &str| shared.person(&login_key(login)).is_none_or(|p| p.guest);
            if guest(&said.to) || guest(&said.from) {
                return;
            }
            if let Err(e) = shared.keep_offline(said) {
                tracing::error!("a private message to keep was not kept: {e}");
            }
        });
}

/// Applies one event to the hub (and to what this node knows of claims).
fn apply(cluster: &Cluster, shared: &Shared, reader: &mut Reader, entry: &Entry) {
    let Envelope { node, event } = &entry.envelope;
    let own = *node == cluster.node;
    let hub = &shared.hub;
    match event {
        BusEvent::Beat { .. } | BusEvent::Taken { .. } | BusEvent::Expired { .. } => {}
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
                room: room.clone(),
                from: from.clone(),
                text: text.clone(),
                time: *time,
                id: entry.seq,
                reply_to: reply_to.clone(),
                attachments: attachments.clone(),
                ..Default::default()
            };
            if !said.attachments.is_empty() {
                // Whoever can read the line may fetch its files, on every node: each notes it
                // as it applies the line (under the line's number, the same everywhere).
                files::carried_by_line(shared, &said.attachments, room, entry.seq);
            }
            if let Some(said) = hub.deliver_said(said, *notice) {
                shared.archive.room_line(said);
            }
        }
        // Applied on every node as they come back, this one too (as lines are).
        BusEvent::LineChanged { room, line, change } => {
            if let Some(changed) = hub.apply_line_change(room, *line, change.clone())
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
        } => {
            hub.apply_moderation(
                crate::chat::hub::Moderated {
                    room: room.clone(),
                    action: *action,
                    login: login.clone(),
                    until: *until,
                    seconds: *seconds,
                    by: by.clone(),
                },
                *at,
                why.clone(),
            );
            hub.order_changed_by(room, entry.seq);
        }
        BusEvent::TopicSet { room, topic } => {
            hub.apply_topic(room, topic.clone());
            hub.order_changed_by(room, entry.seq);
        }
        BusEvent::RoomCreated { room, creator } if own => {
            if !cluster.was_claimed(entry.seq) {
                let claim = Claim {
                    node: node.clone(),
                    name: room.clone(),
                    creator: creator.clone(),
                    created: entry.seq,
                };
                reader.unmatched.push((claim, Instant::now()));
            }
        }
        BusEvent::RoomCreated { room, creator } => {
            cluster.claims().insert(
                room_key(room),
                Claim {
                    node: node.clone(),
                    name: room.clone(),
                    creator: creator.clone(),
                    created: entry.seq,
                },
            );
            hub.remote_room_created(node, room, creator);
        }
        BusEvent::RoomClosed { room, reason } if !own => {
            cluster.claims().remove(&room_key(room));
            hub.remote_room_closed(room, *reason);
        }
        _ if own => {}
        BusEvent::Hello => {
            // Answered only by a node that is up to date: one still replaying answers when
            // it has caught up (its rejoin), with what it knows then.
            cluster.rejoin_due.store(true, Ordering::Release);
        }
        BusEvent::Snapshot {
            users,
            rooms,
            default_order,
        } => {
            let listed: Vec<String> = rooms.iter().map(|r| room_key(&r.name)).collect();
            let stale: Vec<String> = {
                let mut claims = cluster.claims();
                for r in rooms {
                    claims.insert(
                        room_key(&r.name),
                        Claim {
                            node: node.clone(),
                            name: r.name.clone(),
                            creator: r.creator.clone(),
                            created: r.created,
                        },
                    );
                }
                claims
                    .iter()
                    .filter(|(key, c)| c.node == *node && !listed.contains(key))
                    .map(|(key, _)| key.clone())
                    .collect()
            };
            let closed = hub.apply_snapshot(
                node,
                users.clone(),
                rooms.clone(),
                default_order.clone(),
                &stale,
            );
            cluster.release_claims(&closed);
        }
        BusEvent::LoggedIn {
            login,
            session,
            room,
        } => hub.remote_logged_in(node, login, *session, room),
        BusEvent::Moved {
            login,
            session,
            room,
        } => hub.remote_moved(node, login, *session, room),
        BusEvent::LoggedOut {
            login,
            session,
            quit,
        } => hub.remote_logged_out(node, login, *session, quit),
        BusEvent::Presence { login, away } => hub.remote_presence(login, away.clone()),
        // Private messages are the view's (taken, delivered or kept as it decides).
        BusEvent::Private { .. } | BusEvent::RoomClosed { .. } => {}
        BusEvent::FilesCarried {
            from,
            to,
            id,
            files: carried,
        } => files::carried_by_private_ids(shared, carried, from, to, *id),
        BusEvent::FilesUncarried {
            from,
            to,
            id,
            files: gone,
        } => files::uncarried_by_private(shared, gone, from, to, *id),
        BusEvent::PrivateChanged { said, change } => {
            crate::service::lines::changed_elsewhere(shared, said, change);
        }
        BusEvent::ReadUpTo {
            reader,
            with,
            line,
            receipt,
        } => {
            let place = crate::store::Place::With(with.clone());
            shared.archive.mark_read(reader, place, *line, *receipt);
        }
        BusEvent::Receipt {
            to,
            with,
            line,
            state,
        } => {
            hub.tell_user(
                &login_key(to),
                &Event::new(ServerMessage::Receipt {
                    with: with.clone(),
                    line: *line,
                    state: *state,
                }),
            );
        }
        BusEvent::Registered {
            login,
            first_names,
            last_names,
        } => shared
            .directory
            .insert_person(crate::accounts::directory::Person {
                login: login.clone(),
                first_names: first_names.clone(),
                last_names: last_names.clone(),
                guest: false,
            }),
    }
}

/// Rooms whose creation this node logged but never recorded a claim for (their creator's
/// request gave up, the claim's answer lost): closed, so that no node keeps a room nobody has.
fn settle_claims(cluster: &Cluster, reader: &mut Reader) {
    if reader.unmatched.is_empty() {
        return;
    }
    let mut abandoned = Vec::new();
    reader.unmatched.retain(|(claim, since)| {
        if cluster.was_claimed(claim.created) {
            return false;
        }
        if since.elapsed() < CLAIM_SETTLES_WITHIN {
            return true;
        }
        abandoned.push(claim.clone());
        false
    });
    for claim in abandoned {
        tracing::warn!(room = %claim.name, "a room's creation was logged but its creator gave up: closing it");
        cluster.publish(
            BusEvent::RoomClosed {
                room: claim.name.clone(),
                reason: chat_core::protocol::RoomClosedReason::Deleted,
            },
            None,
        );
        let _ = cluster.outgoing.try_send(super::Outgoing::Release {
            room_key: room_key(&claim.name),
            claim: claim.value(),
        });
    }
}
