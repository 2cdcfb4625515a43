//! Encoding server frames once, stamped with the server's time, and fitting lists into a frame.
//!
//! Architecture Invariant: every reply and event fits one frame by construction. A message whose
//! size a peer can grow (a list of rooms, users, members; later, history) is built with
//! [`fitted`], which takes as many rows as fit and lets the message say how many there are in
//! all; nothing a peer does can make the server fail to answer.

use std::sync::Arc;

use chat_core::clock::system_now_ms;
pub use chat_core::frame::encoded_len;
use chat_core::limits::{LEN_PREFIX_BYTES, MAX_FRAME_BYTES};
use chat_core::protocol::{ServerFrame, ServerMessage};
use serde::Serialize;

use crate::delivery::outbox::Frame;

/// Encodes a frame; `None` (logged) if it cannot be. Lists go through [`fitted`], so only a bug
/// could make a frame too large.
pub fn frame(re: Option<u32>, message: ServerMessage) -> Option<Frame> {
    frame_at(system_now_ms(), re, message)
}

/// [`frame`], stamped with `time` (ms since the epoch) rather than now: a line's own time.
pub fn frame_at(time: i64, re: Option<u32>, message: ServerMessage) -> Option<Frame> {
    let frame = ServerFrame { time, re, message };
    match chat_core::frame::encode(&frame) {
        Ok(bytes) => Some(Arc::from(bytes)),
        Err(e) => {
            tracing::error!("cannot encode a server frame: {e}");
            None
        }
    }
}

/// An event (no `re`).
pub fn event(message: ServerMessage) -> Option<Frame> {
    frame(None, message)
}

/// Which rows a list keeps when they do not all fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// The first ones (a page of a list).
    First,
    /// The last ones (the newest of a history).
    Last,
}

/// How many of `rows` fit into the frame of `make(rows)`, with at most `max_rows`: the first or
/// the last ones, as `keep` says. Each row is measured by encoding it once into a counter; the
/// rest of the frame is measured with no rows. `extra` bytes are kept free besides.
pub fn fitting<T: Serialize>(
    rows: &[T],
    max_rows: usize,
    keep: Keep,
    extra: usize,
    make: impl Fn(&[T]) -> ServerMessage,
) -> usize {
    let empty = ServerFrame {
        time: i64::MAX,
        re: Some(u32::MAX),
        message: make(&[]),
    };
    let base = encoded_len(&empty);
    // An array header grows from 1 byte (up to 15 rows) to 5 (over 65,535).
    let Some(mut budget) = (MAX_FRAME_BYTES + LEN_PREFIX_BYTES).checked_sub(base + 4 + extra)
    else {
        return 0;
    };
    let mut taken = 0;
    let order: Box<dyn Iterator<Item = &T>> = match keep {
        Keep::First => Box::new(rows.iter()),
        Keep::Last => Box::new(rows.iter().rev()),
    };
    for row in order.take(max_rows) {
        let len = encoded_len(row);
        if len > budget {
            break;
        }
        budget -= len;
        taken += 1;
    }
    taken
}

/// [`frame`] for a list message: as many of `rows` as fit (see [`fitting`]), and how many went.
pub fn fitted<T: Serialize>(
    re: Option<u32>,
    rows: &[T],
    max_rows: usize,
    keep: Keep,
    make: impl Fn(&[T]) -> ServerMessage,
) -> Option<(Frame, usize)> {
    let n = fitting(rows, max_rows, keep, 0, &make);
    let chosen = match keep {
        Keep::First => &rows[..n],
        Keep::Last => &rows[rows.len() - n..],
    };
    frame(re, make(chosen)).map(|f| (f, n))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use chat_core::protocol::{RoomInfo, UserInfo};

    use super::*;

    fn widest_user(i: usize) -> UserInfo {
        // 4-byte letters (CJK Extension B) at the longest lengths the rules allow.
        let name: String = std::iter::repeat_n('𠀀', 64).collect();
        UserInfo {
            login: format!("{i:0>32}"),
            first_names: name.clone(),
            last_names: name,
            online: true,
            room: Some(std::iter::repeat_n('𠀀', 32).collect()),
            presence: chat_core::protocol::Presence::Away,
            away_text: Some(std::iter::repeat_n('𠀀', 2000).collect()),
        }
    }

    #[test]
    fn a_list_of_the_widest_rows_is_cut_to_fit_one_frame() {
        let users: Vec<UserInfo> = (0..500).map(widest_user).collect();
        let make = |rows: &[UserInfo]| ServerMessage::Users {
            users: rows.to_vec(),
            total: 500,
            offset: 0,
        };
        let (frame, n) = fitted(Some(1), &users, 500, Keep::First, make).unwrap();
        assert!((5..500).contains(&n), "{n} rows");
        assert!(frame.len() <= MAX_FRAME_BYTES + LEN_PREFIX_BYTES);
        // And not by much: one more row would not fit.
        let one_more = chat_core::frame::encode(&ServerFrame {
            time: i64::MAX,
            re: Some(u32::MAX),
            message: make(&users[..n + 1]),
        });
        assert!(one_more.is_err(), "{n} rows: one more would have fitted");
    }

    #[test]
    fn the_last_rows_are_kept_when_asked() {
        let rooms: Vec<RoomInfo> = (0..2000)
            .map(|i| RoomInfo {
                name: format!("{i:𠀀>28}"),
                members: 1,
                creator: Some("x".repeat(32)),
                is_default: false,
            })
            .collect();
        let make = |rows: &[RoomInfo]| ServerMessage::Rooms {
            rooms: rows.to_vec(),
            total: 2000,
            offset: 0,
        };
        let n = fitting(&rooms, usize::MAX, Keep::Last, 0, make);
        let (frame, m) = fitted(None, &rooms, usize::MAX, Keep::Last, make).unwrap();
        assert_eq!(n, m);
        let back: ServerFrame = chat_core::frame::decode(&frame[LEN_PREFIX_BYTES..]).unwrap();
        match back.message {
            ServerMessage::Rooms { rooms: got, .. } => {
                assert_eq!(got.last(), rooms.last());
                assert_eq!(got.len(), n);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(fitting(&rooms, 3, Keep::First, 0, make), 3);
    }
}
