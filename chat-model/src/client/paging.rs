//! Asking for earlier lines: a conversation's first page when it opens (or its first message
//! arrives), and the page before the oldest line held when the user scrolls to the top.

use chat_core::protocol::Request;
use chat_core::validate::login_key;

use super::{Client, Pending};
use crate::chat::FirstPage;
use crate::composer::Target;
use crate::history::Earlier;

impl Client {
    /// Opens the conversation with `peer` and, the first time, asks for the messages the server
    /// keeps of it. Asked before anything is sent to them, so what the user sends next comes
    /// after that page and is never in it.
    pub fn open_conversation(&mut self, peer: &str) {
        self.chat.open_conversation(peer);
        self.chat.presence.wanted(peer);
        self.ask_first_page(peer);
        self.ask_presence();
    }

    /// Asks for the users list when a conversation's peer has a presence the server stopped
    /// telling (or never told), one list at a time: whatever becomes unknown meanwhile is asked
    /// for after it arrives.
    pub(super) fn ask_presence(&mut self) {
        if !self.phase.is_logged_in() || self.pending.values().any(|p| *p == Pending::Presence) {
            return;
        }
        let presence = &self.chat.presence;
        if !self.chat.conversations().any(|c| presence.to_ask(&c.peer)) {
            return;
        }
        self.chat.presence.asked();
        self.send(Request::ShowUsers { offset: 0 }, Pending::Presence);
    }

    /// Asks for the newest page of the conversation with `peer`, once.
    pub(super) fn ask_first_page(&mut self, peer: &str) {
        if !self.phase.is_logged_in() {
            return;
        }
        let c = self.chat.conversation_mut(peer);
        if c.first_page != FirstPage::NotAsked {
            return;
        }
        c.first_page = FirstPage::Asked;
        let with = c.peer.clone();
        self.send(
            Request::PrivateHistory { with, before: None },
            Pending::PrivateHistory(login_key(peer)),
        );
    }

    /// Asks for the page of lines before the oldest held in `target`, if the server keeps
    /// earlier ones and none is on its way.
    pub fn load_earlier(&mut self, target: &Target) {
        if !self.phase.is_logged_in() {
            return;
        }
        match target {
            Target::Room => {
                let Some(room) = self.chat.room_name().map(str::to_owned) else {
                    return;
                };
                let Some(h) = self.chat.current_history_mut() else {
                    return;
                };
                let Some(before) = h.oldest_id().filter(|_| h.earlier == Earlier::More) else {
                    return;
                };
                h.earlier = Earlier::Loading;
                self.send(
                    Request::History {
                        room,
                        before: Some(before),
                    },
                    Pending::History,
                );
            }
            Target::Private(key) => {
                let Some(c) = self.chat.conversation(key) else {
                    return;
                };
                let Some(before) = c
                    .history
                    .oldest_id()
                    .filter(|_| c.history.earlier == Earlier::More)
                else {
                    return;
                };
                let with = c.peer.clone();
                self.chat.conversation_mut(key).history.earlier = Earlier::Loading;
                self.send(
                    Request::PrivateHistory {
                        with,
                        before: Some(before),
                    },
                    Pending::PrivateHistory(key.clone()),
                );
            }
        }
    }
}
