//! What is said, as text in the page: the canvas is pixels to a screen reader (AccessKit, which
//! speaks for the desktop client, does not run in a browser), so the lines of the room and of
//! private conversations are also written, as they arrive, into the page's `role="log"` region
//! (`<div id="said">`, made by `scripts/web.sh`, hidden from sight). Screen readers read out
//! what is added there; scripts (the browser tests) read the same text.
//!
//! Only the newest lines are kept there ([`KEPT`]); entering a room writes its name and its
//! recent lines. Beside it, the `role="status"` region (`<div id="window">`) names the window
//! shown: "Log in", "Create an account", the room.

use std::collections::HashMap;

use chat_model::chat::Chat;
use chat_model::history::History;

/// The id of the page's log region.
pub const LOG_ID: &str = "said";

/// The id of the page's status region.
pub const STATUS_ID: &str = "window";

/// Lines the region keeps; older ones are taken out as new ones come.
const KEPT: u32 = 100;

/// Lines written of a room just entered (or a conversation just seen): the recent ones.
const RECENT: u64 = 20;

/// Follows the chat and writes each new line of the room and of conversations in the region.
#[derive(Debug, Default)]
pub struct SaidLog {
    region: Option<web_sys::Element>,
    status: Option<web_sys::Element>,
    /// What the status region says.
    heading: String,
    /// Whose chat was followed: another login starts over.
    me: String,
    /// The room followed, and the sequence number of its next line to write.
    room: Option<(String, u64)>,
    /// Per conversation, the sequence number of its next line to write.
    private: HashMap<String, u64>,
}

impl SaidLog {
    /// Follows the page's region; without one (another page), nothing is written.
    pub fn new() -> Self {
        let document = web_sys::window().and_then(|w| w.document());
        let find = |id| document.as_ref().and_then(|d| d.get_element_by_id(id));
        SaidLog {
            region: find(LOG_ID),
            status: find(STATUS_ID),
            ..SaidLog::default()
        }
    }

    /// Names the window shown, when it changed.
    pub fn show_heading(&mut self, heading: String) {
        if heading != self.heading {
            if let Some(status) = &self.status {
                status.set_text_content(Some(&heading));
            }
            self.heading = heading;
        }
    }

    /// Writes what arrived since the last call. Cheap when nothing did: sequence numbers are
    /// compared, nothing is formatted.
    pub fn follow(&mut self, chat: &Chat) {
        if self.region.is_none() {
            return;
        }
        if chat.me != self.me {
            self.me.clone_from(&chat.me);
            self.room = None;
            self.private.clear();
        }
        match (chat.room_name(), chat.current_history()) {
            (Some(name), Some(history)) => {
                let from = match &self.room {
                    Some((followed, next)) if followed == name => *next,
                    _ => {
                        self.write(&format!("# {name}"));
                        recent(history)
                    }
                };
                let next = self.write_lines(history, from, |from, text| format!("{from}: {text}"));
                self.room = Some((name.to_owned(), next));
            }
            _ => self.room = None,
        }
        for conversation in chat.conversations() {
            let history = &conversation.history;
            let from = self
                .private
                .get(&conversation.peer)
                .copied()
                .unwrap_or_else(|| recent(history));
            let me = chat.me.as_str();
            let peer = conversation.peer.as_str();
            let next = self.write_lines(history, from, |from, text| {
                let to = if from == me { peer } else { me };
                format!("{from} → {to}: {text}")
            });
            self.private.insert(conversation.peer.clone(), next);
        }
    }

    /// Writes the lines of `history` from sequence number `from`; returns the next one.
    fn write_lines(
        &mut self,
        history: &History,
        from: u64,
        word: impl Fn(&str, &str) -> String,
    ) -> u64 {
        let end = history.end_seq();
        for seq in from.max(history.first_seq())..end {
            let said = history
                .index_of_seq(seq)
                .and_then(|i| history.get(i))
                .and_then(|line| line.said());
            if let Some((who, text)) = said {
                self.write(&word(who, text));
            }
        }
        end
    }

    /// Adds one paragraph to the region, taking the oldest out past [`KEPT`].
    fn write(&mut self, text: &str) {
        let Some(region) = &self.region else {
            return;
        };
        let Some(document) = region.owner_document() else {
            return;
        };
        if let Ok(paragraph) = document.create_element("p") {
            paragraph.set_text_content(Some(text));
            let _ = region.append_child(&paragraph);
        }
        while region.child_element_count() > KEPT {
            match region.first_element_child() {
                Some(oldest) => oldest.remove(),
                None => break,
            }
        }
    }
}

/// Where writing starts in a history seen for the first time: its recent lines.
fn recent(history: &History) -> u64 {
    history
        .end_seq()
        .saturating_sub(RECENT)
        .max(history.first_seq())
}
