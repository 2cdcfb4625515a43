//! Sending what was typed: room lines, private lines and `#` commands. A refused text (a broken
//! rule, an unknown command, too many lines) stays in the box to be corrected, with a notice
//! saying why.

use chat_core::command::{self, Command};
use chat_core::protocol::{ErrorCode, Request};
use chat_model::client::Pending;
use chat_model::commands::{Cmd, first_word};
use chat_model::composer::{Outgoing, Target, outgoing};
use chat_model::history::{Line, LineKind, Refusal};
use chat_model::limits::MAX_LINES_PER_SEND;

use super::ChatApp;

impl ChatApp {
    /// Sends what is typed to `target`.
    pub(super) fn submit(&mut self, target: Target) {
        if self.submit_with_files(&target) {
            return;
        }
        let text = self
            .drafts
            .get_mut(&target)
            .map(|d| std::mem::take(&mut d.text))
            .unwrap_or_default();
        let sent = match outgoing(&text, target == Target::Room) {
            Outgoing::Nothing => false,
            Outgoing::TooManyLines(_) => {
                self.notice(&target, LineKind::TooManyLines(MAX_LINES_PER_SEND));
                false
            }
            Outgoing::Command(line) => self.run_command(&line),
            Outgoing::Lines(lines) => self.send_lines(&target, lines),
        };
        let draft = self.drafts.entry(target.clone()).or_default();
        if sent {
            draft.last_sent = Some(text);
            self.views.entry(target).or_default().follow();
        } else {
            draft.text = text;
        }
    }

    /// Says `lines` in the room or to the peer, one message each; none if any breaks the text
    /// rule.
    fn send_lines(&mut self, target: &Target, lines: Vec<String>) -> bool {
        if let Some(field) = lines
            .iter()
            .find_map(|l| chat_core::validate::text(l).err().and_then(|e| e.field()))
        {
            let refusal = Refusal {
                code: ErrorCode::Invalid,
                field: Some(field),
            };
            self.notice(target, LineKind::Refused(refusal));
            return false;
        }
        match target {
            Target::Room => {
                for text in lines {
                    self.client.say(text);
                }
            }
            Target::Private(key) => {
                let Some(peer) = self.client.chat.conversation(key).map(|c| c.peer.clone()) else {
                    return false;
                };
                for text in lines {
                    let request = Request::Private {
                        attachments: Vec::new(),
                        reply_to: None,
                        to: peer.clone(),
                        text,
                    };
                    self.client.send(request, Pending::Private(peer.clone()));
                }
            }
        }
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
