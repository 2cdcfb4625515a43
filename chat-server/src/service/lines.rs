//! What users do to lines once said, for every protocol: react, edit, delete, mark as read
//! (with read receipts), and report to the administrators. A room line is the hub's (the
//! room's history in memory, the default room's on disk too); a private message is its
//! conversation's, on disk, and its two users are told at once.

use std::sync::{Arc, Mutex};

use chat_core::limits::{EMOJI_MAX_BYTES, QUOTE_CHARS, REASON_MAX_CHARS};
use chat_core::protocol::{ErrorCode, Field, Marker, PrivateSaid, Receipt, ServerMessage, Target};
use chat_core::validate;

use super::conn::Conn;
use super::refusal::{Refusal, internal};
use crate::chat::bus::{BusEvent, PrivateChange};
use crate::chat::hub::{counted, toggle};
use crate::delivery::event::{Event, Reacted};
use crate::shared::Shared;
use crate::store::Place;

/// Puts an emoji on a line (`on`), or takes the user's off.
#[inline(never)]
pub(crate) fn react(
    conn: &Conn,
    target: &Target,
    line: u64,
    emoji: &str,
    on: bool,
) -> Result<(), Refusal> {
    if emoji.is_empty()
        || emoji.len() > EMOJI_MAX_BYTES
        || emoji.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(invalid(
            Field::Emoji,
            format!("an emoji: one symbol, at most {EMOJI_MAX_BYTES} bytes, no spaces"),
        ));
    }
    match target {
        Target::Room(room) => Ok(conn.shared.hub.react(&conn.peer, room, line, emoji, on)?),
        Target::With(with) => {
            let name = conn.peer.name().to_owned();
            let (by, put) = (name.clone(), emoji.to_owned());
            let (said, partner) = change_private(conn, with, line, false, move |said| {
                if said.deleted {
                    return Err(not_found());
                }
                change_reactions(said, |reactors| {
                    let known = reactors.iter().any(|(e, _)| *e == put);
                    if on && !known && reactors.len() >= chat_core::limits::REACTIONS_PER_LINE {
                        return Err(Refusal::from(crate::chat::hub::HubError::TooManyReactions));
                    }
                    toggle(reactors, &put, &by, on);
                    Ok(())
                })
            })?;
            let change = PrivateChange::React {
                by: name,
                emoji: emoji.to_owned(),
                on,
            };
            let me = validate::login_key(conn.peer.name());
            conn.peer.event(&private_changed(&said, &change, &me).1);
            tell_partner(conn, &partner, said, change);
            Ok(())
        }
    }
}

/// Changes the text of one of the user's lines; everyone who sees it is told. Returns what the
/// user is answered.
#[inline(never)]
pub(crate) fn edit(
    conn: &Conn,
    target: &Target,
    line: u64,
    text: String,
) -> Result<ServerMessage, Refusal> {
    validate::text(&text)?;
    match target {
        Target::Room(room) => {
            let (edited, changed) = conn.shared.hub.edit_line(&conn.peer, room, line, text)?;
            keep_durably(conn, changed)?;
            Ok(edited)
        }
        Target::With(with) => {
            let now = conn.shared.config.clock.now_ms();
            let me = conn.peer.name().to_owned();
            let author = validate::login_key(&me);
            let (said, partner) = change_private(conn, with, line, true, move |said| {
                if said.deleted {
                    return Err(not_found());
                }
                if validate::login_key(&said.from) != author {
                    return Err(not_allowed());
                }
                said.text = text;
                said.edited = Some(now);
                Ok(())
            })?;
            let answer = ServerMessage::Edited {
                target: Target::With(partner.clone()),
                line,
                text: said.text.clone(),
                edited: now,
            };
            tell_partner(conn, &partner, said, PrivateChange::Edit);
            Ok(answer)
        }
    }
}

/// Deletes a line: the user's own, or any line of a room it keeps order in. Everyone who sees
/// it is told (with `why`, where a protocol shows a reason). Returns what the user is answered.
#[inline(never)]
pub(crate) fn delete(
    conn: &Conn,
    target: &Target,
    line: u64,
    why: Option<String>,
) -> Result<ServerMessage, Refusal> {
    match target {
        Target::Room(room) => {
            let (deleted, changed) = conn.shared.hub.delete_line(&conn.peer, room, line, why)?;
            keep_durably(conn, changed)?;
            Ok(deleted)
        }
        Target::With(with) => {
            let me = conn.peer.name().to_owned();
            let author = validate::login_key(&me);
            // Its files, taken off it, go with it (their references too, on every node).
            let carried = Arc::new(Mutex::new(Vec::new()));
            let taken = Arc::clone(&carried);
            let (said, partner) = change_private(conn, with, line, true, move |said| {
                if said.deleted {
                    return Err(not_found());
                }
                if validate::login_key(&said.from) != author {
                    return Err(not_allowed());
                }
                said.text.clear();
                let files: Vec<String> = said.attachments.drain(..).map(|f| f.id).collect();
                if let Ok(mut taken) = taken.lock() {
                    *taken = files;
                }
                said.deleted = true;
                said.reactions.clear();
                Ok(())
            })?;
            let files = carried.lock().map(|f| f.clone()).unwrap_or_default();
            if !files.is_empty() {
                let (from, to) = (validate::login_key(&me), validate::login_key(&partner));
                super::files::uncarried_by_private(&conn.shared, &files, &from, &to, line);
                conn.shared.hub.publish(|| BusEvent::FilesUncarried {
                    from,
                    to,
                    id: line,
                    files,
                });
            }
            let answer = ServerMessage::MessageDeleted {
                target: Target::With(partner.clone()),
                line,
                by: me.clone(),
            };
            tell_partner(conn, &partner, said, PrivateChange::Delete { by: me, why });
            Ok(answer)
        }
    }
}

/// The user has read `target` up to `line`. In a conversation, with `receipt`, the other user
/// is told (a read receipt); without, the marker is the user's alone.
#[inline(never)]
pub(crate) fn mark_read(
    conn: &Conn,
    target: &Target,
    line: u64,
    receipt: bool,
) -> Result<(), Refusal> {
    let me = conn.peer.login().map(|l| l.key.clone()).unwrap_or_default();
    match target {
        Target::Room(room) => {
            // A room's marker stays on this node: in a large room every member's reading
            // would be an event for every node.
            validate::room(room)?;
            let place = Place::Room(validate::room_key(room));
            conn.shared.archive.mark_read(&me, place, line, false);
        }
        Target::With(with) => {
            let partner = partner(conn, with)?;
            let key = validate::login_key(&partner);
            conn.shared
                .archive
                .mark_read(&me, Place::With(key.clone()), line, receipt);
            // Every node keeps a conversation's marker: the user may log in on any of them.
            conn.shared.hub.publish(|| BusEvent::ReadUpTo {
                reader: me.clone(),
                with: key.clone(),
                line,
                receipt,
            });
            if receipt {
                tell_receipt(
                    &conn.shared,
                    &partner,
                    conn.peer.name(),
                    line,
                    Receipt::Read,
                );
            }
        }
    }
    Ok(())
}

/// How far the user has read each room and conversation, and how far each partner has read
/// the user's messages (when they send receipts).
#[inline(never)]
pub(crate) fn markers(conn: &Conn) -> Result<Vec<Marker>, Refusal> {
    let me = conn.peer.login().map(|l| l.key.clone()).unwrap_or_default();
    let archive = &conn.shared.archive;
    let mut out = Vec::new();
    for (place, line, _) in archive.markers(&me).map_err(internal)? {
        let marker = match place {
            Place::Room(room) => Marker {
                target: Target::Room(room),
                line,
                theirs: 0,
            },
            Place::With(with) => {
                let Some(person) = conn.shared.person(&with) else {
                    continue;
                };
                let theirs = archive
                    .marker(&with, Place::With(me.clone()))
                    .map_err(internal)?
                    .filter(|(_, receipt)| *receipt)
                    .map_or(0, |(line, _)| line);
                Marker {
                    target: Target::With(person.login),
                    line,
                    theirs,
                }
            }
        };
        out.push(marker);
    }
    Ok(out)
}

/// Reports a line the user can see to the administrators (those online are told now; the
/// others when they log in).
#[inline(never)]
pub(crate) fn report(
    conn: &Conn,
    target: &Target,
    line: u64,
    reason: Option<String>,
) -> Result<ServerMessage, Refusal> {
    let reason = reason.filter(|r| !r.trim().is_empty());
    if let Some(reason) = &reason
        && (reason.chars().count() > REASON_MAX_CHARS || reason.chars().any(char::is_control))
    {
        return Err(invalid(
            Field::Reason,
            format!("a reason: at most {REASON_MAX_CHARS} characters, on one line"),
        ));
    }
    let (author, text, files, target) = match target {
        Target::Room(room) => {
            let said = conn.shared.hub.line(&conn.peer, room, line)?;
            (
                said.from,
                said.text,
                said.attachments,
                Target::Room(said.room),
            )
        }
        Target::With(with) => {
            let partner = partner(conn, with)?;
            let said = private_message(conn, &partner, line)?;
            (
                said.from,
                said.text,
                said.attachments,
                Target::With(partner),
            )
        }
    };
    let report = ServerMessage::Report {
        from: conn.peer.name().to_owned(),
        target: target.clone(),
        line,
        author,
        excerpt: chat_core::protocol::excerpt(
            &text,
            files.iter().map(|f| f.name.as_str()),
            QUOTE_CHARS * 4,
        ),
        reason,
    };
    tracing::info!(peer = conn.peer.id, login = %conn.peer.name(), ?target, line, "reported a line");
    conn.shared.hub.report(report);
    Ok(ServerMessage::Reported { target, line })
}

/// Tells the other user of a private message what changed it: here if online here, and in a
/// cluster the other nodes too (each replaces its copy; the partner's node tells it).
fn tell_partner(conn: &Conn, partner: &str, said: PrivateSaid, change: PrivateChange) {
    let key = validate::login_key(partner);
    let (_, event) = private_changed(&said, &change, &key);
    conn.shared.hub.tell_user(&key, &event);
    conn.shared.hub.publish(|| BusEvent::PrivateChanged {
        said: Box::new(said),
        change,
    });
}

/// What one of a private message's users (`to`, a login key) is told of `change` to it, and
/// that user's login key's partner as the message names it.
pub(crate) fn private_changed(
    said: &PrivateSaid,
    change: &PrivateChange,
    to: &str,
) -> (String, Event) {
    let other = if validate::login_key(&said.from) == to {
        said.to.clone()
    } else {
        said.from.clone()
    };
    let target = Target::With(other.clone());
    let line = said.id;
    let event = match change {
        PrivateChange::React { by, emoji, on } => Event::new(ServerMessage::Reactions {
            target,
            line,
            reactions: said.reactions.clone(),
        })
        .reacted(vec![Reacted {
            by: by.clone(),
            emoji: emoji.clone(),
            on: *on,
        }]),
        PrivateChange::Edit => Event::new(ServerMessage::Edited {
            target,
            line,
            text: said.text.clone(),
            edited: said.edited.unwrap_or(said.time),
        })
        .authored(&said.from),
        PrivateChange::Delete { by, why } => Event::new(ServerMessage::MessageDeleted {
            target,
            line,
            by: by.clone(),
        })
        .because(why.clone()),
    };
    (other, event)
}

/// A private message changed on another node of the cluster: the change is applied to this
/// node's copy (merged: what changed it here meanwhile stays), queued before either user can
/// hear of it, and whichever of its two users is online here is told.
#[cfg_attr(not(feature = "cluster"), allow(dead_code))]
pub(crate) fn changed_elsewhere(shared: &Shared, said: &PrivateSaid, change: &PrivateChange) {
    let (from, to) = (
        validate::login_key(&said.from),
        validate::login_key(&said.to),
    );
    let (theirs, applied) = (said.clone(), change.clone());
    shared
        .archive
        .modify_private(&from, &to, said.id, move |mine| match applied {
            PrivateChange::React { by, emoji, on } => {
                change_reactions(mine, |reactors| toggle(reactors, &emoji, &by, on));
            }
            PrivateChange::Edit => {
                mine.text = theirs.text;
                mine.edited = theirs.edited;
            }
            PrivateChange::Delete { .. } => {
                mine.text.clear();
                mine.attachments.clear();
                mine.deleted = true;
                mine.reactions.clear();
            }
        });
    for key in [&from, &to] {
        let (_, event) = private_changed(said, change, key);
        shared.hub.tell_user(key, &event);
    }
}

/// Tells `to` (a login) that `with` received or read its message `line`: here if online here,
/// else through the cluster, to the node it is on.
pub(crate) fn tell_receipt(shared: &Shared, to: &str, with: &str, line: u64, state: Receipt) {
    let event = Event::new(ServerMessage::Receipt {
        with: with.to_owned(),
        line,
        state,
    });
    if !shared.hub.tell_user(&validate::login_key(to), &event) {
        shared.hub.publish(|| BusEvent::Receipt {
            to: to.to_owned(),
            with: with.to_owned(),
            line,
            state,
        });
    }
}

/// A default-room line that changed here, on disk before the user is answered. (On a node of
/// a cluster the change is applied, and kept, as it comes back from the cluster.)
fn keep_durably(conn: &Conn, changed: Option<crate::chat::hub::Changed>) -> Result<(), Refusal> {
    match changed {
        Some(changed) if changed.in_default_room => conn
            .shared
            .archive
            .replace_room_line_durably(changed.said)
            .map_err(internal),
        _ => Ok(()),
    }
}

/// The other user of a conversation, as registered.
fn partner(conn: &Conn, with: &str) -> Result<String, Refusal> {
    validate::login(with)
        .ok()
        .and_then(|()| conn.shared.person(&validate::login_key(with)))
        .map(|p| p.login)
        .ok_or_else(|| Refusal::new(ErrorCode::UserNotFound, "there is no user with that login"))
}

/// Message `line` of the user's conversation with `partner`.
fn private_message(conn: &Conn, partner: &str, line: u64) -> Result<PrivateSaid, Refusal> {
    let me = conn.peer.login().map(|l| l.key.clone()).unwrap_or_default();
    conn.shared
        .archive
        .private_message(&me, &validate::login_key(partner), line)
        .map_err(internal)?
        .ok_or_else(not_found)
}

/// Changes message `line` of the user's conversation with `with`, and keeps it so (`durably`:
/// on disk before this returns). Returns it as it is now, and the other user's login as
/// registered.
///
/// Read, changed and written in one step of the archive: a change to the same message that
/// comes meanwhile from the other user's node is applied before or after it, never lost.
fn change_private(
    conn: &Conn,
    with: &str,
    line: u64,
    durably: bool,
    change: impl FnOnce(&mut PrivateSaid) -> Result<(), Refusal> + Send + 'static,
) -> Result<(PrivateSaid, String), Refusal> {
    let partner = partner(conn, with)?;
    let me = conn.peer.login().map(|l| l.key.clone()).unwrap_or_default();
    let (outcome, taken) = crossbeam_channel::bounded(1);
    conn.shared
        .archive
        .modify_private_now(
            &me,
            &validate::login_key(&partner),
            line,
            durably,
            move |found| {
                let changed = match found {
                    None => Err(not_found()),
                    Some(said) => change(said).map(|()| said.clone()),
                };
                let write = changed.is_ok();
                let _ = outcome.send(changed);
                write
            },
        )
        .map_err(internal)?;
    let said = taken.try_recv().map_err(|_| {
        internal(crate::error::ServerError::Io(std::io::Error::other(
            "the archive did not say what became of a change",
        )))
    })??;
    // Still waiting for its recipient in a store the nodes share: it arrives as it is now.
    if !conn.shared.mail.is_local()
        && let Err(e) = conn.shared.mail.changed(&said)
    {
        tracing::error!(line, "a kept message's change is not kept with it: {e}");
    }
    Ok((said, partner))
}

/// Changes a private message's reactions as who put each emoji (`change`), and keeps them
/// counted.
fn change_reactions<R>(
    said: &mut PrivateSaid,
    change: impl FnOnce(&mut Vec<(String, Vec<String>)>) -> R,
) -> R {
    let mut reactors: Vec<(String, Vec<String>)> =
        said.reactions.drain(..).map(|r| (r.emoji, r.by)).collect();
    let out = change(&mut reactors);
    said.reactions = counted(&reactors);
    out
}

fn invalid(field: Field, message: String) -> Refusal {
    Refusal {
        field: Some(field),
        ..Refusal::new(ErrorCode::Invalid, message)
    }
}

fn not_found() -> Refusal {
    Refusal::new(
        ErrorCode::MessageNotFound,
        "there is no such message here (it may be too old)",
    )
}

fn not_allowed() -> Refusal {
    Refusal::new(ErrorCode::NotAllowed, "that is not yours to do")
}
