//! Working with the lines of rooms and conversations: the find bar (Ctrl+F) and its matches,
//! the search across everything (Ctrl+Shift+F) and going to what it found, and saving a copy of
//! a room or conversation to a file.

use chat_model::composer::Target;
use chat_model::export;
use chat_model::find::{Finder, Found, Place};
use chat_model::history::{History, LineKind};
use egui::{Key, KeyboardShortcut, Modifiers};

use super::{ChatApp, FindBar, Pane};
use crate::i18n::fill;
use crate::save::{self, Saved};
use crate::ui::{Intent, input};

impl ChatApp {
    /// The lines of `target`.
    fn lines_of(&self, target: &Target) -> Option<&History> {
        match target {
            Target::Room => self.client.chat.current_history(),
            Target::Private(key) => self.client.chat.conversation(key).map(|c| &c.history),
        }
    }

    /// Ctrl+F and Ctrl+Shift+F, taken before any widget sees them.
    pub(super) fn shortcuts(&mut self, ctx: &egui::Context) -> Vec<Intent> {
        let mut intents = Vec::new();
        if !self.client.in_session() {
            return intents;
        }
        let search = KeyboardShortcut::new(Modifiers::COMMAND | Modifiers::SHIFT, Key::F);
        let find = KeyboardShortcut::new(Modifiers::COMMAND, Key::F);
        let (search, find) =
            ctx.input_mut(|i| (i.consume_shortcut(&search), i.consume_shortcut(&find)));
        if search {
            intents.push(Intent::OpenSearch);
        } else if find {
            intents.push(Intent::OpenFind(self.lines_in_use(ctx)));
        }
        intents
    }

    /// The lines the user is working in: the conversation whose box had the keyboard last,
    /// if it is on screen, else what the main pane shows.
    fn lines_in_use(&self, ctx: &egui::Context) -> Target {
        if let Some(Target::Private(key)) = input::used_last(ctx)
            && self.client.chat.conversation(&key).is_some_and(|c| c.open)
        {
            return Target::Private(key);
        }
        match &self.pane {
            Pane::Conversation(key) => Target::Private(key.clone()),
            Pane::Room => Target::Room,
        }
    }

    pub(super) fn open_find(&mut self, target: Target) {
        let finder = match self.find.take() {
            Some(bar) if bar.target == target => bar.finder,
            _ => Finder::default(),
        };
        self.find = Some(FindBar {
            target,
            finder,
            focus: true,
        });
    }

    /// Searches again as the query or the lines change, and brings a new current match into
    /// view.
    pub(super) fn refresh_find(&mut self) {
        let Some(bar) = self.find.take() else {
            return;
        };
        let Some(history) = self.lines_of(&bar.target) else {
            return;
        };
        let mut bar = bar;
        let before = bar.finder.current_seq();
        if bar.finder.refresh(history)
            && let Some(seq) = bar.finder.current_seq().filter(|s| Some(*s) != before)
        {
            self.views
                .entry(bar.target.clone())
                .or_default()
                .reveal(seq);
        }
        self.find = Some(bar);
    }

    pub(super) fn step_find(&mut self, newer: bool) {
        let Some(bar) = &mut self.find else {
            return;
        };
        let seq = if newer {
            bar.finder.newer()
        } else {
            bar.finder.older()
        };
        if let Some(seq) = seq {
            self.views
                .entry(bar.target.clone())
                .or_default()
                .reveal(seq);
        }
    }

    /// Shows a line the search found: in the room (entering it first if need be) or the
    /// conversation, highlighted by the find bar.
    pub(super) fn jump_to(&mut self, found: Found) {
        // The window's work is done: the line is shown where it was said, with nothing over it.
        let query = self.search.take().unwrap_or_default();
        match &found.place {
            Place::Room(key)
                if !self
                    .client
                    .chat
                    .rooms
                    .iter()
                    .any(|r| chat_core::validate::room_key(&r.name) == *key) =>
            {
                // The room has closed since: nowhere to go (the search window says so).
                self.search = Some(query);
            }
            Place::Room(key) => {
                let here = self
                    .client
                    .chat
                    .room_name()
                    .is_some_and(|r| chat_core::validate::room_key(r) == *key);
                if here {
                    self.show_room();
                    self.reveal_found(Target::Room, &found, query);
                } else {
                    self.client.send(
                        chat_core::protocol::Request::EnterRoom {
                            room: found.name.clone(),
                        },
                        chat_model::client::Pending::Command,
                    );
                    self.show_room();
                    self.pending_jump = Some((found, query));
                }
            }
            Place::Conversation(key) => {
                let target = Target::Private(key.clone());
                self.open_private(&found.name);
                self.reveal_found(target, &found, query);
            }
        }
    }

    /// Once in the room a search result was in, shows it.
    pub(super) fn jump_when_there(&mut self) {
        let Some((found, _)) = &self.pending_jump else {
            return;
        };
        let Place::Room(key) = &found.place else {
            return;
        };
        let arrived = self
            .client
            .chat
            .room_name()
            .is_some_and(|r| chat_core::validate::room_key(r) == *key);
        if arrived && let Some((found, query)) = self.pending_jump.take() {
            self.reveal_found(Target::Room, &found, query);
        }
    }

    fn reveal_found(&mut self, target: Target, found: &Found, query: String) {
        let mut finder = Finder::with_query(query);
        if let Some(history) = self.lines_of(&target) {
            finder.refresh(history);
        }
        finder.select(found.seq);
        self.views
            .entry(target.clone())
            .or_default()
            .reveal(found.seq);
        self.find = Some(FindBar {
            target,
            finder,
            focus: false,
        });
    }

    /// The lines of `target` as a saved copy has them (local times).
    pub fn transcript(&self, target: &Target) -> Option<String> {
        self.lines_of(target)
            .map(|history| export::transcript(history, &chrono::Local))
    }

    /// Asks where to save a copy of `target`'s lines and writes it, off the UI thread.
    pub(super) fn export(&mut self, target: Target) {
        let Some(text) = self.transcript(&target) else {
            return;
        };
        let name = match &target {
            Target::Room => self.client.chat.room_name().unwrap_or("chat").to_owned(),
            Target::Private(key) => self
                .client
                .chat
                .conversation(key)
                .map_or_else(|| key.clone(), |c| c.peer.clone()),
        };
        let title = fill(self.texts().export_title, &[&name]);
        let tx = self.saved.0.clone();
        let waker = self.waker.clone();
        save::save_with_dialog(export::file_name(&name), title, text, move |saved| {
            // The window may have closed meanwhile: nothing then waits for the answer.
            let _ = tx.send((target, saved));
            if let Some(wake) = waker {
                wake();
            }
        });
    }

    /// Says where copies were saved, in the lines that were saved.
    pub(super) fn collect_saved(&mut self) {
        let done: Vec<(Target, Saved)> = self.saved.1.try_iter().collect();
        for (target, saved) in done {
            let kind = match saved {
                Saved::To(path) => LineKind::Saved(path.display().to_string()),
                Saved::Failed(path) => LineKind::SaveFailed(path.display().to_string()),
                Saved::Cancelled => continue,
            };
            self.notice(&target, kind);
        }
    }
}
