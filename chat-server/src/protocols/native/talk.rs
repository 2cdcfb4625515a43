//! Saying things: a line to your room (`say`), a private message (`#\private`).
//!
//! A line that leaves a recipient far behind (its send queue over a quarter full) makes the
//! sender wait, reading nothing more, while that recipient catches up: senders are slowed to
//! the pace of the slowest reader that is still reading, as IRC daemons slow a flood by reading
//! it no faster than they can pass it on, instead of the reader being dropped. A recipient that
//! reads nothing at all is not waited for long; its queue fills and it is dropped with
//! `slow_consumer` (or its socket stays full past the write timeout), and the room goes on.

use std::thread;
use std::time::{Duration, Instant};

use chat_core::clock::system_now_ms;
use chat_core::protocol::{ErrorCode, PrivateSaid, ServerMessage};
use chat_core::validate;

use super::{Handled, Next, Refusal, internal};
use crate::chat::hub::Delivered;
use crate::connection::Session;
use crate::delivery::peer::Peer;

/// How often a waiting sender looks at the recipient's queue.
const YIELD_TICK: Duration = Duration::from_millis(1);
/// A recipient whose queue did not shrink for this long is not reading: stop waiting. A reader
/// that is reading frees its kernel buffer, which can hold a few MB, before the writer is told
/// the socket takes more and the queue visibly shrinks: this is long enough for that.
const STALLED_AFTER: Duration = Duration::from_secs(1);
/// Longest a sender waits after one line.
const MAX_YIELD: Duration = Duration::from_secs(2);

/// No reply on success: the sender gets its own line as a `message` event, like everyone. The
/// line joins the room's history (the default room's is written to disk too).
#[inline(never)]
pub(super) fn say(s: &mut Session, text: String) -> Handled {
    validate::text(&text)?;
    let Some(spoken) = s.shared.hub.say(&s.peer, text, false)? else {
        // Published to the cluster: delivered (the sender's copy too) as it comes back.
        return Ok(Next::Continue);
    };
    spoken.write.now();
    if spoken.in_default_room {
        s.shared.archive.room_line(spoken.said);
    }
    if let Some(behind) = spoken.behind {
        yield_to(&behind);
    }
    Ok(Next::Continue)
}

/// Waits while `behind` catches up: until its backlog is small again, it stops draining, it
/// leaves, or [`MAX_YIELD`] passed. A recipient found not draining is marked, and not waited for
/// again until its queue has shrunk: one sender pause, not one per line, for a reader that
/// stopped (its queue then fills and it is dropped as a slow consumer).
#[cold]
#[inline(never)]
pub(crate) fn yield_to(behind: &Peer) {
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

/// A private message: delivered if the recipient is online (`private_sent`), else kept on disk
/// for its next login (`private_stored`, sent once it is on disk). Either way the conversation
/// keeps it.
#[inline(never)]
pub(super) fn private(s: &mut Session, id: u32, to: &str, text: String) -> Handled {
    validate::text(&text)?;
    if validate::login(to).is_err() {
        // No such login can exist; and a peer's long text is not echoed back.
        return Err(Refusal::new(
            ErrorCode::UserNotFound,
            "there is no user with that login",
        ));
    }
    let key = validate::login_key(to);
    let Some(recipient) = s.shared.person(&key) else {
        return Err(Refusal::new(
            ErrorCode::UserNotFound,
            format!("there is no user called {to:?}"),
        ));
    };
    let from = s.peer.name().to_owned();
    // Nothing is kept for IRC guests (see `Directory::admit_guest`).
    let keep = !recipient.guest;
    let message_id = s.shared.archive.next_private_id();
    let said = PrivateSaid {
        from,
        to: recipient.login.clone(),
        text: text.clone(),
        time: system_now_ms(),
        id: message_id,
    };
    match s
        .shared
        .hub
        .private(&s.peer, &key, &text, message_id, false)?
    {
        Some(Delivered { to, behind }) => {
            if keep {
                s.shared.archive.private(said);
            }
            s.reply(
                id,
                ServerMessage::PrivateSent {
                    to,
                    text,
                    id: message_id,
                },
            );
            if let Some(behind) = behind {
                yield_to(&behind);
            }
        }
        None if !keep => {
            return Err(Refusal::new(
                ErrorCode::UserNotFound,
                format!("{} was a guest and has left", recipient.login),
            ));
        }
        None => {
            s.shared.keep_offline(said).map_err(internal)?;
            s.reply(
                id,
                ServerMessage::PrivateStored {
                    to: recipient.login,
                    text,
                    id: message_id,
                },
            );
        }
    }
    Ok(Next::Continue)
}
