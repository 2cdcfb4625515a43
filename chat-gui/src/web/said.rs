//! What is said, as text in the page: the canvas is pixels to a screen reader (AccessKit, which
//! speaks for the desktop client, does not run in a browser), so the lines of the room and of
//! private conversations are also written, as they arrive, into the page's `role="log"` region
//! (`<div id="said">`, made by `scripts/web.sh`, hidden from sight). Screen readers read out
//! what is added there; scripts (the browser tests) read the same text.
//!
//! Only the newest lines are kept there ([`KEPT`]); entering a room writes its name and its
//! recent lines. A line's files follow it as buttons that download them (the same download as
//! the cards' button): a screen reader's user reaches them where the canvas's cards are out of
//! reach. Beside it, the `role="status"` region (`<div id="window">`) names the window
//! shown: "Log in", "Create an account", the room.

use std::collections::{HashMap, VecDeque};

use chat_core::protocol::Attachment;
use chat_model::chat::Chat;
use chat_model::composer::Target;
use chat_model::export::file_size;
use chat_model::history::History;
use wasm_bindgen::JsCast as _;
use wasm_bindgen::prelude::Closure;

use crate::files::Downloader;

/// The id of the page's log region.
pub const LOG_ID: &str = "said";

/// The id of the page's status region.
pub const STATUS_ID: &str = "window";

/// Lines the region keeps; older ones are taken out as new ones come.
const KEPT: usize = 100;

/// Lines written of a room just entered (or a conversation just seen): the recent ones.
const RECENT: u64 = 20;

/// One paragraph of the region, and the handlers of its buttons (which live as long as it).
struct Entry {
    paragraph: web_sys::Element,
    _clicks: Vec<Closure<dyn FnMut(web_sys::MouseEvent)>>,
}

/// Follows the chat and writes each new line of the room and of conversations in the region.
#[derive(Default)]
pub struct SaidLog {
    region: Option<web_sys::Element>,
    /// The paragraphs written, oldest first.
    entries: VecDeque<Entry>,
    /// What the files' buttons download with.
    downloader: Downloader,
    /// The word on those buttons, in the interface's language.
    download_word: String,
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
    /// Follows the page's region; without one (another page), nothing is written. Files are
    /// downloaded with `downloader`.
    pub fn new(downloader: Downloader) -> Self {
        let document = web_sys::window().and_then(|w| w.document());
        let find = |id| document.as_ref().and_then(|d| d.get_element_by_id(id));
        SaidLog {
            region: find(LOG_ID),
            status: find(STATUS_ID),
            downloader,
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

    /// Writes what arrived since the last call; files' buttons say `download_word`. Cheap
    /// when nothing did: sequence numbers are compared, nothing is formatted.
    pub fn follow(&mut self, chat: &Chat, download_word: &str) {
        if self.region.is_none() {
            return;
        }
        if self.download_word != download_word {
            download_word.clone_into(&mut self.download_word);
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
                        self.write(&format!("# {name}"), &[], &Target::Room);
                        recent(history)
                    }
                };
                let next = self.write_lines(history, from, &Target::Room, |from, text| {
                    format!("{from}: {text}")
                });
                self.room = Some((name.to_owned(), next));
            }
            _ => self.room = None,
        }
        for conversation in chat.conversations() {
            let history = &conversation.history;
            let known = self.private.get(&conversation.peer).copied();
            if known == Some(history.end_seq()) {
                continue;
            }
            let from = known.unwrap_or_else(|| recent(history));
            let me = chat.me.as_str();
            let peer = conversation.peer.as_str();
            let target = Target::Private(chat_core::validate::login_key(peer));
            let next = self.write_lines(history, from, &target, |from, text| {
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
        target: &Target,
        word: impl Fn(&str, &str) -> String,
    ) -> u64 {
        let end = history.end_seq();
        for seq in from.max(history.first_seq())..end {
            let Some(line) = history.index_of_seq(seq).and_then(|i| history.get(i)) else {
                continue;
            };
            if let Some((who, text)) = line.said() {
                let text = word(who, text);
                self.write(&text, &line.attachments, target);
            }
        }
        end
    }

    /// Adds one paragraph to the region, with a button for each of `files` (how a download
    /// ended told in `target`'s lines), taking the oldest out past [`KEPT`].
    fn write(&mut self, text: &str, files: &[Attachment], target: &Target) {
        let Some(region) = &self.region else {
            return;
        };
        let Some(document) = region.owner_document() else {
            return;
        };
        let Ok(paragraph) = document.create_element("p") else {
            return;
        };
        paragraph.set_text_content(Some(text));
        let mut clicks = Vec::new();
        for file in files {
            let Ok(button) = document.create_element("button") else {
                continue;
            };
            button.set_text_content(Some(&format!(
                "{} {} ({})",
                self.download_word,
                file.name,
                file_size(file.size)
            )));
            let (downloader, file) = (self.downloader.clone(), file.clone());
            let target = target.clone();
            let click = Closure::<dyn FnMut(web_sys::MouseEvent)>::new(move |_| {
                downloader.start(&file, target.clone());
            });
            if let Ok(button) = button.dyn_into::<web_sys::HtmlButtonElement>() {
                button.set_onclick(Some(click.as_ref().unchecked_ref()));
                let _ = paragraph.append_child(&button);
                clicks.push(click);
            }
        }
        let _ = region.append_child(&paragraph);
        self.entries.push_back(Entry {
            paragraph,
            _clicks: clicks,
        });
        while self.entries.len() > KEPT {
            if let Some(oldest) = self.entries.pop_front() {
                oldest.paragraph.remove();
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
