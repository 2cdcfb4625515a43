//! Long histories: bounded in memory and drawn virtualised.

use std::time::{Duration, Instant};

use chat_core::protocol::ServerMessage;
use chat_model::limits::MAX_ROOM_HISTORY_LINES;

use super::support::*;

#[test]
fn a_hundred_thousand_messages_stay_bounded_and_draw_quickly() {
    let (_server, [mut h]) = together(["kim"]);
    let chat = &mut h.state_mut().client.chat;
    for n in 0..100_000 {
        let message = ServerMessage::Message {
            attachments: Vec::new(),
            reply_to: None,
            room: "lobby".into(),
            from: "bot".into(),
            text: format!("line number {n}"),
            id: 0,
        };
        chat.apply(1_700_000_000_000 + n, &message);
    }
    assert_eq!(
        chat.current_history().map(|h| h.len()),
        Some(MAX_ROOM_HISTORY_LINES)
    );
    h.step();
    let started = Instant::now();
    for _ in 0..20 {
        h.step();
    }
    let per_frame = started.elapsed() / 20;
    // Only the rows on screen are laid out; a debug build on a busy machine stays far below this.
    assert!(
        per_frame < Duration::from_millis(100),
        "{per_frame:?} per frame"
    );
    wait_for_text(&mut h, "line number 99999");
    assert!(!shows(&h, "line number 50000"));
}
