//! `#show users`: every registered user, online ones first (with their room), then the others,
//! each group by login; a page at a time, as many rows as fit one frame.
//!
//! Built from memory (the hub and the account directory), never from the store: the cost is a
//! few binary searches to the page asked for and the rows it holds, not a read of every account.

use chat_core::limits::MAX_LISTED;
use chat_core::protocol::{Presence, ServerMessage, UserInfo};

use super::session::{Handled, Next, Session};
use super::wire::{self, Keep};
use crate::accounts::directory::Person;
use crate::chat::hub::OnlineUser;
use crate::delivery::outbox::Frame;

#[inline(never)]
pub(super) fn show(s: &mut Session, id: u32, offset: u32) -> Handled {
    // What the user now has on screen is kept current (see `chat::hub::presence`). The page is
    // read again once its users are watched, and the reading sent is one made after they were:
    // a change made before is in it, one made after is told as it happens. (Watched after the
    // page went, a change in between reached nobody, and the list stayed wrong.)
    let mut watched: Vec<String> = Vec::new();
    // A page whose users keep changing (hundreds coming and going) is sent as read the third
    // time, its own users watched.
    for round in 0..3 {
        let Some((frame, logins)) = read_page(s, id, offset) else {
            break;
        };
        if logins == watched || round == 2 {
            s.shared.hub.watch(&s.peer, &logins);
            s.send(&frame);
            break;
        }
        s.shared.hub.watch(&s.peer, &logins);
        watched = logins;
    }
    Ok(Next::Continue)
}

/// The page of users from `offset`, as one frame answering request `id`, and the logins it
/// holds.
fn read_page(s: &Session, id: u32, offset: u32) -> Option<(Frame, Vec<String>)> {
    let (rows, total) = page(s, offset as usize);
    let make = |rows: &[UserInfo]| ServerMessage::Users {
        users: rows.to_vec(),
        total,
        offset,
    };
    let (frame, sent) = wire::fitted(Some(id), &rows, MAX_LISTED, Keep::First, make)?;
    let logins = rows.iter().take(sent).map(|r| r.login.clone()).collect();
    Some((frame, logins))
}

/// Up to [`MAX_LISTED`] rows from the `offset`-th on, and how many users there are in all.
fn page(s: &Session, offset: usize) -> (Vec<UserInfo>, u32) {
    let online = s.shared.hub.online_users();
    let directory = s.shared.directory.read();
    let total = u32::try_from(directory.len()).unwrap_or(u32::MAX);
    let row = |p: &Person, on: Option<&OnlineUser>| UserInfo {
        login: p.login.clone(),
        first_names: p.first_names.clone(),
        last_names: p.last_names.clone(),
        online: on.is_some(),
        room: on.map(|o| o.room.clone()),
        presence: on.map_or(Presence::Offline, |o| o.presence),
        away_text: on.and_then(|o| o.away_text.clone()),
    };
    let mut rows: Vec<UserInfo> = online
        .iter()
        .skip(offset)
        .filter_map(|o| directory.get(&o.key).map(|p| row(p, Some(o))))
        .take(MAX_LISTED)
        .collect();
    if rows.len() < MAX_LISTED {
        let keys: Vec<&str> = online.iter().map(|o| o.key.as_str()).collect();
        let wanted = MAX_LISTED - rows.len();
        rows.extend(
            directory
                .offline(&keys, offset.saturating_sub(online.len()))
                .take(wanted)
                .map(|p| row(p, None)),
        );
    }
    (rows, total)
}
