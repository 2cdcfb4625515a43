//! Saying things, for every protocol: a line to your room, a private message (kept for its
//! recipient while offline), the earlier lines of your room and of a conversation, and
//! presence (away, back, typing, and being marked away for lack of input).
//!
//! A line that leaves a recipient far behind (its send queue over a quarter full) makes the
//! sender wait, reading nothing more, while that recipient catches up: senders are slowed to
//! the pace of the slowest reader that is still reading, as IRC daemons slow a flood by reading
//! it no faster than they can pass it on, instead of the reader being dropped. A recipient that
//! reads nothing at all is not waited for long; its queue fills and it is dropped with
//! `slow_consumer` (or its socket stays full past the write timeout), and the room goes on.

use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use chat_core::limits::QUOTE_CHARS;
use chat_core::protocol::{Attachment, ErrorCode, PrivateSaid, Quote, Said};
use chat_core::validate;

use super::conn::Conn;
use super::files;
use super::refusal::{Refusal, internal};
use crate::chat::bus::BusEvent;
use crate::chat::hub::{Delivered, Page, ToSay};
use crate::delivery::peer::Peer;

/// A private message answered this late is logged with where its time went.
const SLOW_PRIVATE: Duration = Duration::from_millis(1_500);
/// How long past the request's deadline for the cluster its keeping (for an offline recipient,
/// after the handover said so) may take before the sender is answered that it is not confirmed.
const KEEP_GRACE: Duration = Duration::from_millis(150);

/// How often a waiting sender looks at the recipient's queue.
const YIELD_TICK: Duration = Duration::from_millis(1);
/// A recipient whose queue did not shrink for this long is not reading: stop waiting. A reader
/// that is reading frees its kernel buffer, which can hold a few MB, before the writer is told
/// the socket takes more and the queue visibly shrinks: this is long enough for that.
const STALLED_AFTER: Duration = Duration::from_secs(1);
/// Longest a sender waits after one line.
const MAX_YIELD: Duration = Duration::from_secs(2);

/// A line to the sender's room (`notice`: said as an IRC `NOTICE`; `reply_to`: the line of the
/// room it answers). Every member gets it, the sender included, as a `message` event; it joins
/// the room's history (the default room's is written to disk too). On a node of a cluster it
/// is published, and delivered as it comes back: the sender goes on at once, and `refused`
/// is told (from another thread, within two seconds) if the line could not be published.
#[inline(never)]
pub(crate) fn say(
    conn: &Conn,
    text: String,
    notice: bool,
    reply_to: Option<u64>,
    files: &[String],
    refused: impl FnOnce(Refusal) + Send + 'static,
) -> Result<(), Refusal> {
    let deadline = Instant::now() + crate::chat::bus::REQUEST_BUDGET;
    let attachments = carried(conn, &text, files)?;
    let hub = &conn.shared.hub;
    // Its place among the connection's lines in flight (given back once it is answered).
    let slot = match hub.is_clustered() {
        true => Some(conn.lines.take(deadline).ok_or_else(|| {
            Refusal::retry(
                ErrorCode::ServerBusy,
                "too many of your lines are waiting for the cluster",
                crate::chat::hub::CLUSTER_RETRY,
            )
        })?),
        false => None,
    };
    let refused = move |e: crate::chat::hub::HubError| {
        drop(slot);
        refused(Refusal::from(e));
    };
    let line = ToSay {
        text,
        notice,
        reply_to,
        attachments,
    };
    // Its files are noted as carried by the line before a member sees it (a client fetches a
    // picture's preview the moment the line arrives): in memory under the room's lock, on
    // disk once it is let go.
    let noted = |said: &Said| {
        if !said.attachments.is_empty() {
            files::carried_soon_by_line(&conn.shared, &said.attachments, &said.room, said.id);
        }
    };
    let Some(spoken) = hub.say(&conn.peer, line, deadline, refused, noted)? else {
        // Queued for the cluster: delivered (the sender's copy too) as it comes back.
        return Ok(());
    };
    if !spoken.said.attachments.is_empty() {
        files::carried_by_line(
            &conn.shared,
            &spoken.said.attachments,
            &spoken.said.room,
            spoken.said.id,
        );
    }
    spoken.write.now();
    if spoken.in_default_room {
        conn.shared.archive.room_line(spoken.said);
    }
    if let Some(behind) = spoken.behind {
        yield_to(&behind);
    }
    Ok(())
}

/// What became of a private message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Private {
    /// Queued for its recipient, online now.
    Delivered,
    /// On disk, for the recipient's next login.
    Kept,
}

/// A private message, sent.
#[derive(Debug)]
pub(crate) struct Sent {
    pub private: Private,
    /// The recipient's login as registered.
    pub to: String,
    /// The message's number.
    pub id: u64,
    /// When it was sent, ms since the epoch.
    pub time: i64,
    /// The recipient, if far behind: the sender waits for it once answered ([`Sent::pace`]).
    behind: Option<Arc<Peer>>,
}

impl Sent {
    /// Waits while a recipient far behind catches up (see [`yield_to`]); call it after the
    /// sender was told its message went.
    pub fn pace(self) {
        if let Some(behind) = self.behind {
            yield_to(&behind);
        }
    }
}

/// A private message from the connection's user to `to` (`notice`: said as an IRC `NOTICE`):
/// delivered if the recipient is online, else kept on disk for its next login (once on disk).
/// Either way the conversation keeps it. Nothing is kept for or from a guest (an IRC client
/// without an account): a conversation kept under a guest's name would be read by whoever
/// registers that name later.
#[inline(never)]
pub(crate) fn private(
    conn: &Conn,
    to: &str,
    text: String,
    notice: bool,
    reply_to: Option<u64>,
    files: &[String],
) -> Result<Sent, Refusal> {
    // One deadline for all the request waits for the cluster (its number, then its handover).
    let started = Instant::now();
    let deadline = started + crate::chat::bus::REQUEST_BUDGET;
    let attachments = carried(conn, &text, files)?;
    if validate::login(to).is_err() {
        // No such login can exist; and a peer's long text is not echoed back.
        return Err(Refusal::new(
            ErrorCode::UserNotFound,
            "there is no user with that login",
        ));
    }
    let (shared, peer) = (&conn.shared, &conn.peer);
    let key = validate::login_key(to);
    let Some(recipient) = shared.person(&key) else {
        return Err(Refusal::new(
            ErrorCode::UserNotFound,
            format!("there is no user called {to:?}"),
        ));
    };
    let keep = !recipient.guest && !peer.login().is_some_and(|l| l.guest);
    let quote = match reply_to {
        Some(line) => {
            let me = peer.login().map(|l| l.key.clone()).unwrap_or_default();
            let answered = shared
                .archive
                .private_message(&me, &key, line)
                .map_err(internal)?
                .ok_or_else(|| {
                    Refusal::new(
                        ErrorCode::MessageNotFound,
                        "there is no such message in this conversation",
                    )
                })?;
            Some(Quote {
                line,
                from: answered.from,
                excerpt: if answered.deleted {
                    String::new()
                } else {
                    chat_core::protocol::excerpt(
                        &answered.text,
                        answered.attachments.iter().map(|f| f.name.as_str()),
                        QUOTE_CHARS,
                    )
                },
            })
        }
        None => None,
    };
    // A cluster numbers private messages for every node: both users' nodes keep the message.
    let id = match shared
        .hub
        .cluster_private_id(shared.archive.highest_private_id(), deadline)
    {
        Some(id) => {
            let id = id?;
            shared.archive.saw_private_id(id);
            id
        }
        None => shared.archive.next_private_id(),
    };
    let numbered = started.elapsed();
    let said = PrivateSaid {
        from: peer.name().to_owned(),
        to: recipient.login.clone(),
        text,
        time: shared.config.clock.now_ms(),
        id,
        reply_to: quote,
        attachments,
        ..Default::default()
    };
    // Its files are noted before its recipient can fetch them: here, and (in the log before
    // the message) on every node of a cluster. Not sent after all, they are forgotten again.
    let me = peer.login().map(|l| l.key.clone()).unwrap_or_default();
    let with_files: Vec<String> = said.attachments.iter().map(|a| a.id.clone()).collect();
    if !with_files.is_empty() {
        files::carried_by_private(shared, &said.attachments, &me, &key, id);
        if keep {
            shared.hub.publish(|| BusEvent::FilesCarried {
                from: me.clone(),
                to: key.clone(),
                id,
                files: with_files.clone(),
            });
        }
    }
    let unsent = || {
        if with_files.is_empty() {
            return;
        }
        files::uncarried_by_private(shared, &with_files, &me, &key, id);
        if keep {
            shared.hub.publish(|| BusEvent::FilesUncarried {
                from: me.clone(),
                to: key.clone(),
                id,
                files: with_files.clone(),
            });
        }
    };
    let time = said.time;
    if keep {
        // In the conversation before the recipient can see it: the archive answers in order,
        // so a reply, reaction or edit sent the instant it arrives finds it. Not waited for.
        shared.archive.private(said.clone());
    }
    let delivered = shared.hub.private(peer, &key, &said, notice, deadline);
    let handed = started.elapsed();
    let delivered = match delivered {
        Ok(delivered) => delivered,
        // Taken by the cluster but not confirmed in time: it may still arrive (and be kept),
        // so it stays in the conversation and keeps its files.
        Err(e @ crate::chat::hub::HubError::NotConfirmed) => {
            slow_private(started, numbered, handed);
            return Err(e.into());
        }
        Err(e) => {
            slow_private(started, numbered, handed);
            if keep {
                shared.archive.forget_private(said);
            }
            unsent();
            return Err(e.into());
        }
    };
    match delivered {
        Some(Delivered { to, behind }) => Ok(Sent {
            private: Private::Delivered,
            to,
            id,
            time,
            behind,
        }),
        None if !keep => {
            unsent();
            Err(Refusal::new(
                ErrorCode::UserNotFound,
                format!("{} was a guest and has left", recipient.login),
            ))
        }
        None => {
            // Kept durably (again in the conversation, with the same id: the same entry),
            // answered in time whatever the store does.
            let kept = shared.keep_offline_until(said.clone(), deadline + KEEP_GRACE);
            slow_private(started, numbered, handed);
            match kept {
                Ok(()) => {}
                Err(crate::error::ServerError::NotConfirmed { .. }) => {
                    // It may still be kept (then in the conversation too, and delivered).
                    return Err(crate::chat::hub::HubError::NotConfirmed.into());
                }
                Err(e) => {
                    shared.archive.forget_private(said);
                    unsent();
                    return Err(internal(e));
                }
            }
            Ok(Sent {
                private: Private::Kept,
                to: recipient.login,
                id,
                time,
                behind: None,
            })
        }
    }
}

/// Says where the time went when a private message took long to answer (a request is answered
/// within two seconds whatever the network does; this shows which wait came close).
fn slow_private(started: Instant, numbered: Duration, handed: Duration) {
    let took = started.elapsed();
    if took >= SLOW_PRIVATE {
        tracing::warn!(
            ?numbered,
            handed_over = ?handed.saturating_sub(numbered),
            kept = ?took.saturating_sub(handed),
            "a private message took {took:?} to answer"
        );
    }
}

/// The text and files of a line: a line may be only files (then its text may be empty), and
/// each file must be one the sender may fetch.
fn carried(conn: &Conn, text: &str, files: &[String]) -> Result<Vec<Attachment>, Refusal> {
    if files.is_empty() || !text.is_empty() {
        validate::text(text)?;
    }
    if files.is_empty() {
        return Ok(Vec::new());
    }
    let me = conn.peer.login().map(|l| l.key.clone()).unwrap_or_default();
    files::attach(&conn.shared, &me, files)
}

/// The lines said in the connection's room before line `before` (the newest when `None`), as
/// many as one reply carries.
#[inline(never)]
pub(crate) fn room_history(conn: &Conn, room: &str, before: Option<u64>) -> Result<Page, Refusal> {
    Ok(conn.shared.hub.history(&conn.peer, room, before)?)
}

/// A page of a conversation's earlier messages.
#[derive(Debug)]
pub(crate) struct Conversation {
    /// The other user's login as registered.
    pub with: String,
    /// Oldest first.
    pub messages: Vec<PrivateSaid>,
    /// Whether earlier messages exist.
    pub more: bool,
}

/// The messages of the connection's user and `with` before message `before` (the newest when
/// `None`), at most `page` of them. Read from the store (by the archive's thread): a
/// conversation survives the session, so logging in on another machine shows it.
#[inline(never)]
pub(crate) fn conversation(
    conn: &Conn,
    with: &str,
    before: Option<u64>,
    page: usize,
) -> Result<Conversation, Refusal> {
    let key = validate::login_key(with);
    let partner = validate::login(with)
        .ok()
        .and_then(|()| conn.shared.person(&key))
        .ok_or_else(|| Refusal::new(ErrorCode::UserNotFound, "there is no user with that login"))?;
    let me = conn.peer.login().map(|l| l.key.clone()).unwrap_or_default();
    let (messages, more) = conn
        .shared
        .archive
        .conversation(&me, &key, before, page)
        .map_err(internal)?;
    Ok(Conversation {
        with: partner.login,
        messages,
        more,
    })
}

/// The user says it is away (with a message, or none when `text` is blank). Returns whether
/// that changed anything.
#[inline(never)]
pub(crate) fn away(conn: &Conn, text: Option<String>) -> Result<(Option<String>, bool), Refusal> {
    let text = text.filter(|t| !t.trim().is_empty());
    if let Some(text) = &text {
        validate::text(text)?;
    }
    let changed = conn.shared.hub.set_away(&conn.peer, text.clone(), false)?;
    Ok((text, changed))
}

/// The user says it is back. Returns whether it was away.
#[inline(never)]
pub(crate) fn back(conn: &Conn) -> Result<bool, Refusal> {
    Ok(conn.shared.hub.set_back(&conn.peer, false)?)
}

/// The user is typing to `to`: passed on, at most every few seconds (see `hub::presence`).
#[inline(never)]
pub(crate) fn typing(conn: &Conn, to: &str) -> Result<(), Refusal> {
    validate::login(to)?;
    conn.shared.hub.typing(
        &conn.peer,
        &validate::login_key(to),
        conn.shared.config.clock.now(),
    )?;
    Ok(())
}

/// No input for a while: the user is shown away (as if it said so, without a message).
/// Returns whether that changed anything.
#[cold]
#[inline(never)]
pub(crate) fn went_idle(conn: &Conn) -> bool {
    conn.shared
        .hub
        .set_away(&conn.peer, None, true)
        .unwrap_or(false)
}

/// Input after being shown away for lack of it: back, unless the user had said it is away.
/// Returns whether that changed anything.
#[cold]
#[inline(never)]
pub(crate) fn came_back(conn: &Conn) -> bool {
    conn.shared.hub.set_back(&conn.peer, true).unwrap_or(false)
}

/// Waits while `behind` catches up: until its backlog is small again, it stops draining, it
/// leaves, or [`MAX_YIELD`] passed. A recipient found not draining is marked, and not waited for
/// again until its queue has shrunk: one sender pause, not one per line, for a reader that
/// stopped (its queue then fills and it is dropped as a slow consumer).
#[cold]
#[inline(never)]
fn yield_to(behind: &Peer) {
    let started = Instant::now();
    let mut last = behind.outbox.backlog();
    if let Some(stalled_at) = behind.stalled_at() {
        if last >= stalled_at {
            return;
        }
        behind.set_stalled_at(None);
    }
    let mut progressed = started;
    loop {
        if behind.outbox.is_relieved(last) || behind.outbox.is_closed() {
            return;
        }
        thread::sleep(YIELD_TICK);
        let now = Instant::now();
        let backlog = behind.outbox.backlog();
        if backlog < last {
            progressed = now;
        } else if now - progressed > STALLED_AFTER {
            behind.set_stalled_at(Some(backlog));
            return;
        }
        if now - started > MAX_YIELD {
            return;
        }
        last = backlog;
    }
}
