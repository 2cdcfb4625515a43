//! What users do to lines once said, and keeping order: `react`, `edit`, `delete_message`,
//! `mark_read`, `read_markers`, `moderate` and `report`, answered the native way.

use chat_core::protocol::{ModAction, ServerMessage, Target};

use super::session::{Handled, Next, Session};
use crate::service::{lines, order};

/// No reply on success, like `say`: the line's reactions come as a `reactions` event.
#[inline(never)]
pub(super) fn react(s: &mut Session, target: &Target, line: u64, emoji: &str, on: bool) -> Handled {
    lines::react(s, target, line, emoji, on)?;
    Ok(Next::Continue)
}

#[inline(never)]
pub(super) fn edit(s: &mut Session, id: u32, target: &Target, line: u64, text: String) -> Handled {
    let edited = lines::edit(s, target, line, text)?;
    s.reply(id, edited);
    Ok(Next::Continue)
}

#[inline(never)]
pub(super) fn delete(s: &mut Session, id: u32, target: &Target, line: u64) -> Handled {
    let deleted = lines::delete(s, target, line, None)?;
    s.reply(id, deleted);
    Ok(Next::Continue)
}

/// No reply on success: read markers are frequent.
#[inline(never)]
pub(super) fn mark_read(s: &mut Session, target: &Target, line: u64, receipt: bool) -> Handled {
    lines::mark_read(s, target, line, receipt)?;
    Ok(Next::Continue)
}

#[inline(never)]
pub(super) fn markers(s: &mut Session, id: u32) -> Handled {
    let markers = lines::markers(s)?;
    s.reply(id, ServerMessage::ReadMarkers { markers });
    Ok(Next::Continue)
}

#[inline(never)]
pub(super) fn moderate(
    s: &mut Session,
    id: u32,
    room: &str,
    action: ModAction,
    login: Option<&str>,
    seconds: Option<u32>,
) -> Handled {
    let done = order::moderate(s, room, action, login, seconds, None)?;
    s.reply(id, done);
    Ok(Next::Continue)
}

#[inline(never)]
pub(super) fn set_topic(s: &mut Session, id: u32, room: &str, topic: &str) -> Handled {
    let told = order::set_topic(s, room, topic)?;
    s.reply(id, told);
    Ok(Next::Continue)
}

#[inline(never)]
pub(super) fn report(
    s: &mut Session,
    id: u32,
    target: &Target,
    line: u64,
    reason: Option<String>,
) -> Handled {
    let reported = lines::report(s, target, line, reason)?;
    s.reply(id, reported);
    Ok(Next::Continue)
}
