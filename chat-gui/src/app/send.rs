//! Sending what was typed: room lines, private lines (each maybe answering a line), the new
//! text of a line being edited, and `#` commands. A refused text (a broken rule, an unknown
//! command, too many lines) stays in the box to be corrected, with a notice saying why.

use chat_core::command::{self, Command};
use chat_core::protocol::{ErrorCode, Quote, Request, Target as Place};
use chat_model::client::Pending;
use chat_model::commands::{Cmd, first_word};
use chat_model::composer::{Outgoing, Target, outgoing};
use chat_model::history::{Line, LineKind, Refusal};
use chat_model::limits::MAX_LINES_PER_SEND;

use super::ChatApp;

impl ChatApp {
    /// Sends what is typed to `target`: a new line (answering the line quoted over the box, if
    /// any), a `#` command, or the new text of the line being edited.
    pub(super) fn submit(&mut self, target: Target) {
        if self.submit_with_files(&target) {
            return;
        }
        let draft = self.drafts.entry(target.clone()).or_default();
        let text = std::mem::take(&mut draft.text);
        let reply_to = draft.reply_to.clone();
        let editing = draft.editing.as_ref().map(|(id, _)| *id);
        // A reply or an edit is text, never a command.
        let commands = target == Target::Room && reply_to.is_none() && editing.is_none();
        let sent = match outgoing(&text, commands) {
            Outgoing::Nothing => false,
            Outgoing::TooManyLines(_) => {
                self.notice(&target, LineKind::TooManyLines(MAX_LINES_PER_SEND));
                false
            }
            Outgoing::Command(line) => self.run_command(&line),
            Outgoing::Message(message) => match editing {
                Some(id) => self.send_edit(&target, id, message),
                None => self.send_message(&target, message, reply_to),
            },
        };
        if sent && editing.is_some() {
            // What was typed before the edit comes back.
            self.end_edit(&target);
            return;
        }
        let draft = self.drafts.entry(target.clone()).or_default();
        if sent {
            draft.last_sent = Some(text);
            draft.reply_to = None;
            self.views.entry(target).or_default().follow();
        } else {
            draft.text = text;
        }
    }

    /// Where the lines of `target` are, as requests name it.
    pub(super) fn place_of(&self, target: &Target) -> Option<Place> {
        match target {
            Target::Room => self
                .client
                .chat
                .room_name()
                .map(|r| Place::Room(r.to_owned())),
            Target::Private(key) => self
                .client
                .chat
                .conversation(key)
                .map(|c| Place::With(c.peer.clone())),
        }
    }

    /// Refuses `text` before sending if it breaks the text rule (said in `target`).
    fn refused_text(&mut self, target: &Target, text: &str) -> bool {
        match chat_core::validate::text(text)
            .err()
            .and_then(|e| e.field())
        {
            Some(field) => {
                let refusal = Refusal {
                    code: ErrorCode::Invalid,
                    field: Some(field),
                };
                self.notice(target, LineKind::Refused(refusal));
                true
            }
            None => false,
        }
    }

    /// Says `text` in the room or to the peer, answering `reply_to` if given.
    fn send_message(&mut self, target: &Target, text: String, reply_to: Option<Quote>) -> bool {
        if self.refused_text(target, &text) {
            return false;
        }
        match target {
            Target::Room => self.client.say(text, reply_to.map(|q| q.line)),
            Target::Private(key) => {
                let Some(peer) = self.client.chat.conversation(key).map(|c| c.peer.clone()) else {
                    return false;
                };
                let request = Request::Private {
                    attachments: Vec::new(),
                    reply_to: reply_to.as_ref().map(|q| q.line),
                    to: peer.clone(),
                    text,
                };
                let pending = match reply_to {
                    Some(quote) => Pending::PrivateReply(peer, quote),
                    None => Pending::Private(peer),
                };
                self.client.send(request, pending);
            }
        }
        true
    }

    /// Replaces the text of the user's line `id` in `target` with `text`.
    fn send_edit(&mut self, target: &Target, id: u64, text: String) -> bool {
        if self.refused_text(target, &text) {
            return false;
        }
        let Some(place) = self.place_of(target) else {
            return false;
        };
        let request = Request::Edit {
            target: place,
            line: id,
            text,
        };
        self.client.send(request, Pending::Command);
        true
    }

    /// Runs a `#` command typed in the room. Returns whether it was accepted (a refused one
    /// stays typed, to be corrected).
    fn run_command(&mut self, line: &str) -> bool {
        let time = self.client.server_now_ms();
        match command::parse(line) {
            Ok(Command::Help) => self.client.chat.note(time, LineKind::Help),
            Ok(Command::ListRooms) => self
                .client
                .send(Request::ListRooms { offset: 0 }, Pending::ListRooms),
            Ok(Command::ShowUsers) => {
                self.users_open = true;
                self.client
                    .send(Request::ShowUsers { offset: 0 }, Pending::ShowUsers);
            }
            // Logging out forgets the kept session too, as the menu does.
            Ok(Command::Logout { all }) => self.logout(all),
            Ok(Command::Private { to, text }) => {
                self.open_private(&to);
                self.client.send(
                    Request::Private {
                        attachments: Vec::new(),
                        reply_to: None,
                        to: to.clone(),
                        text,
                    },
                    Pending::Private(to),
                );
            }
            Ok(other) => {
                if let Some(request) = other.into_request() {
                    self.client.send(request, Pending::Command);
                }
            }
            Err(chat_core::Error::Command(_)) => {
                let kind = match Cmd::named(line) {
                    Some(cmd) => LineKind::Usage(cmd),
                    None => LineKind::UnknownCommand(first_word(line).to_owned()),
                };
                self.client.chat.note(time, kind);
                return false;
            }
            Err(e) => {
                let refusal = Refusal {
                    code: e.code(),
                    field: e.field(),
                };
                self.client.chat.note(time, LineKind::Refused(refusal));
                return false;
            }
        }
        true
    }

    /// Adds a notice to the room or to the conversation `target` names.
    pub(super) fn notice(&mut self, target: &Target, kind: LineKind) {
        let time_ms = self.client.server_now_ms();
        match target {
            Target::Room => self.client.chat.note(time_ms, kind),
            Target::Private(key) => {
                if let Some(peer) = self.client.chat.conversation(key).map(|c| c.peer.clone()) {
                    self.client
                        .chat
                        .conversation_mut(&peer)
                        .history
                        .push(Line::new(time_ms, kind));
                }
            }
        }
    }
}
