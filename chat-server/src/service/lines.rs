//! What users do to lines once said, for every protocol: react, edit, delete, mark as read
//! (with read receipts), and report to the administrators. A room line is the hub's (the
//! room's history in memory, the default room's on disk too); a private message is its
//! conversation's, on disk, and its two users are told at once.

use chat_core::limits::{EMOJI_MAX_BYTES, QUOTE_CHARS, REASON_MAX_CHARS};
use chat_core::protocol::{ErrorCode, Field, Marker, PrivateSaid, Receipt, ServerMessage, Target};
use chat_core::validate;

use super::conn::Conn;
use super::refusal::{Refusal, internal};
use crate::delivery::event::{Event, Reacted};
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
            let (said, partner) = change_private(conn, with, line, false, |said| {
                if said.deleted {
                    return Err(not_found());
                }
                let mut reactors: Vec<(String, Vec<String>)> =
                    said.reactions.drain(..).map(|r| (r.emoji, r.by)).collect();
                let known = reactors.iter().any(|(e, _)| e == emoji);
                if on && !known && reactors.len() >= chat_core::limits::REACTIONS_PER_LINE {
                    return Err(Refusal::from(crate::chat::hub::HubError::TooManyReactions));
                }
                toggle(&mut reactors, emoji, &name, on);
                said.reactions = reactors
                    .into_iter()
                    .map(|(emoji, by)| chat_core::protocol::Reaction {
                        emoji,
                        count: u32::try_from(by.len()).unwrap_or(u32::MAX),
                        by,
                    })
                    .collect();
                Ok(())
            })?;
            let reacted = vec![Reacted {
                by: name.clone(),
                emoji: emoji.to_owned(),
                on,
            }];
            let reactions = |with| {
                Event::new(ServerMessage::Reactions {
                    target: Target::With(with),
                    line,
                    reactions: said.reactions.clone(),
                })
                .reacted(reacted.clone())
            };
            conn.shared
                .hub
                .tell_user(&validate::login_key(&partner), &reactions(name.clone()));
            conn.peer.event(&reactions(partner));
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
            let (said, partner) = change_private(conn, with, line, true, |said| {
                if said.deleted {
                    return Err(not_found());
                }
                if validate::login_key(&said.from) != validate::login_key(&me) {
                    return Err(not_allowed());
                }
                said.text = text.clone();
                said.edited = Some(now);
                Ok(())
            })?;
            let event = Event::new(ServerMessage::Edited {
                target: Target::With(me.clone()),
                line,
                text: said.text.clone(),
                edited: now,
            })
            .authored(&me);
            conn.shared
                .hub
                .tell_user(&validate::login_key(&partner), &event);
            Ok(ServerMessage::Edited {
                target: Target::With(partner),
                line,
                text: said.text,
                edited: now,
            })
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
            let (_, partner) = change_private(conn, with, line, true, |said| {
                if said.deleted {
                    return Err(not_found());
                }
                if validate::login_key(&said.from) != validate::login_key(&me) {
                    return Err(not_allowed());
                }
                said.text.clear();
                said.deleted = true;
                said.reactions.clear();
                Ok(())
            })?;
            let event = Event::new(ServerMessage::MessageDeleted {
                target: Target::With(me.clone()),
                line,
                by: me.clone(),
            })
            .because(why);
            conn.shared
                .hub
                .tell_user(&validate::login_key(&partner), &event);
            Ok(ServerMessage::MessageDeleted {
                target: Target::With(partner),
                line,
                by: me,
            })
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
            if receipt {
                conn.shared.hub.tell_user(
                    &key,
                    &Event::new(ServerMessage::Receipt {
                        with: conn.peer.name().to_owned(),
                        line,
                        state: Receipt::Read,
                    }),
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
    let (author, text, target) = match target {
        Target::Room(room) => {
            let said = conn.shared.hub.line(&conn.peer, room, line)?;
            (said.from, said.text, Target::Room(said.room))
        }
        Target::With(with) => {
            let partner = partner(conn, with)?;
            let said = private_message(conn, &partner, line)?;
            (said.from, said.text, Target::With(partner))
        }
    };
    let report = ServerMessage::Report {
        from: conn.peer.name().to_owned(),
        target: target.clone(),
        line,
        author,
        excerpt: text.chars().take(QUOTE_CHARS * 4).collect(),
        reason,
    };
    tracing::info!(peer = conn.peer.id, login = %conn.peer.name(), ?target, line, "reported a line");
    conn.shared.hub.report(report);
    Ok(ServerMessage::Reported { target, line })
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
fn change_private(
    conn: &Conn,
    with: &str,
    line: u64,
    durably: bool,
    change: impl FnOnce(&mut PrivateSaid) -> Result<(), Refusal>,
) -> Result<(PrivateSaid, String), Refusal> {
    let partner = partner(conn, with)?;
    let mut said = private_message(conn, &partner, line)?;
    change(&mut said)?;
    if durably {
        conn.shared
            .archive
            .replace_private_durably(said.clone())
            .map_err(internal)?;
    } else {
        conn.shared.archive.replace_private(said.clone());
    }
    Ok((said, partner))
}

/// Puts `name`'s `emoji` among `reactors` (`on`), or takes it off.
fn toggle(reactors: &mut Vec<(String, Vec<String>)>, emoji: &str, name: &str, on: bool) {
    crate::chat::hub::toggle(reactors, emoji, name, on);
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
