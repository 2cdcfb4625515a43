//! What the user does to lines, applied: replies and edits prepared in the message box,
//! reactions, deletions and reports sent (after their dialogs), order kept, the line a quote
//! names shown (earlier pages fetched until it is there), and read markers sent as the user
//! reads.

use chat_core::protocol::{ModAction, Request, Target as Place};
use chat_core::validate::login_key;
use chat_model::client::Pending;
use chat_model::composer::Target;
use chat_model::history::{Earlier, LineKind};

use super::{ChatApp, Pane};
use crate::i18n::Texts;
use crate::ui::actions::{self, LineAction, LineRef};
use crate::ui::{Intent, input};

/// A dialog about one line.
#[derive(Debug, Clone)]
pub(super) enum LineDialog {
    /// Asks before deleting it.
    Delete(LineRef),
    /// Asks why it is reported (the reason typed so far).
    Report(LineRef, String),
}

impl ChatApp {
    /// Applies what the user asked to do to `line`.
    pub(super) fn line_action(&mut self, line: LineRef, action: LineAction) {
        let place = line.place.clone();
        match action {
            LineAction::Reply => {
                self.end_edit(&line.target);
                let draft = self.drafts.entry(line.target.clone()).or_default();
                draft.reply_to = Some(line.quote());
                self.focus = Some(line.target);
            }
            LineAction::React { emoji, on } => {
                if on {
                    chat_model::emoji::remember(&mut self.settings.recent_emoji, &emoji);
                }
                let request = Request::React {
                    target: place,
                    line: line.line,
                    emoji,
                    on,
                };
                self.client.send(request, Pending::Command);
            }
            LineAction::Edit => self.start_edit(&line.target, line.line, &line.text),
            LineAction::Delete => self.line_dialog = Some(LineDialog::Delete(line)),
            LineAction::ConfirmDelete => {
                self.line_dialog = None;
                let request = Request::DeleteMessage {
                    target: place,
                    line: line.line,
                };
                self.client.send(request, Pending::Command);
            }
            LineAction::Report => self.line_dialog = Some(LineDialog::Report(line, String::new())),
            LineAction::Mute(seconds) => {
                self.moderate(&place, ModAction::Mute, Some(&line.from), Some(seconds));
            }
            LineAction::Remove => self.moderate(&place, ModAction::Remove, Some(&line.from), None),
            LineAction::Jump(id) => {
                self.line_jump = Some((line.target, id));
                self.follow_jump();
            }
        }
    }

    /// Asks the server to keep order in the room `place` names.
    fn moderate(
        &mut self,
        place: &Place,
        action: ModAction,
        login: Option<&str>,
        seconds: Option<u32>,
    ) {
        if let Place::Room(room) = place {
            let request = Request::Moderate {
                room: room.clone(),
                action,
                login: login.map(str::to_owned),
                seconds,
            };
            self.client.send(request, Pending::Command);
        }
    }

    /// Puts the text of the user's line `id` in the box of `target` to be changed; what was
    /// typed there comes back when the edit ends.
    fn start_edit(&mut self, target: &Target, id: u64, text: &str) {
        self.end_edit(target);
        let draft = self.drafts.entry(target.clone()).or_default();
        let typed = std::mem::replace(&mut draft.text, text.to_owned());
        draft.editing = Some((id, typed));
        draft.reply_to = None;
        self.focus = Some(target.clone());
        self.cursor_to_end = Some(target.clone());
    }

    /// Ends the edit under way in the box of `target`, if any: what was typed before comes back.
    pub(super) fn end_edit(&mut self, target: &Target) {
        if let Some(draft) = self.drafts.get_mut(target)
            && let Some((_, typed)) = draft.editing.take()
        {
            draft.text = typed;
        }
    }

    /// Up in an empty box: edits the user's newest line there, or (with none) brings back the
    /// last text sent.
    pub(super) fn edit_last(&mut self, target: Target) {
        let history = match &target {
            Target::Room => self.client.chat.current_history(),
            Target::Private(key) => self.client.chat.conversation(key).map(|c| &c.history),
        };
        let last = history.and_then(|h| {
            h.iter().rev().find_map(|line| match (&line.kind, line.id) {
                (
                    LineKind::Message {
                        own: true, text, ..
                    },
                    Some(id),
                ) if h.extras(id).is_none_or(|e| e.deleted.is_none()) => Some((id, text.clone())),
                _ => None,
            })
        });
        match last {
            Some((id, text)) => self.start_edit(&target, id, &text),
            None => {
                let draft = self.drafts.entry(target.clone()).or_default();
                if let Some(last) = draft.last_sent.clone() {
                    draft.text = last;
                    self.cursor_to_end = Some(target);
                }
            }
        }
    }

    /// Gives up the reply or the edit under way in the box of `target`.
    pub(super) fn cancel_compose(&mut self, target: &Target) {
        self.end_edit(target);
        if let Some(draft) = self.drafts.get_mut(target) {
            draft.reply_to = None;
        }
        self.focus = Some(target.clone());
    }

    /// Sends the report written in its dialog.
    pub(super) fn send_report(&mut self) {
        if let Some(LineDialog::Report(line, reason)) = self.line_dialog.take() {
            let reason = reason.trim();
            let request = Request::Report {
                target: line.place,
                line: line.line,
                reason: (!reason.is_empty()).then(|| reason.to_owned()),
            };
            self.client.send(request, Pending::Command);
        }
    }

    /// Shows the line a quote named once it is held, asking for earlier pages until it is (or
    /// none are left).
    pub(super) fn follow_jump(&mut self) {
        let Some((target, id)) = self.line_jump.clone() else {
            return;
        };
        let history = match &target {
            Target::Room => self.client.chat.current_history(),
            Target::Private(key) => self.client.chat.conversation(key).map(|c| &c.history),
        };
        let Some(history) = history else {
            self.line_jump = None;
            return;
        };
        if let Some(i) = history.index_of_id(id) {
            let seq = history.seq_of(i);
            self.views.entry(target).or_default().reveal(seq);
            self.line_jump = None;
            return;
        }
        match history.earlier {
            Earlier::More => self.client.load_earlier(&target),
            Earlier::Loading => {}
            Earlier::None => self.line_jump = None,
        }
    }

    /// Tells the server how far the user read the lines shown: the room and each open
    /// conversation whose view is at its newest line, while the window has the user's eyes
    /// (focused). Once per new line, not once per frame.
    pub(super) fn send_read_markers(&mut self, ctx: &egui::Context) {
        if !self.client.phase().is_logged_in() {
            return;
        }
        let focused = ctx.input(|i| i.focused);
        let mut seen: Vec<Place> = Vec::new();
        let room_shown = self.pane == Pane::Room || self.columns.beside;
        if let Some(room) = self.client.chat.room_name()
            && room_shown
            && focused
            && self
                .views
                .get(&Target::Room)
                .is_some_and(|v| v.is_following())
        {
            seen.push(Place::Room(room.to_owned()));
        }
        for conversation in self.client.chat.conversations().filter(|c| c.open) {
            let key = login_key(&conversation.peer);
            let window_focused = if self.settings.dock_private || ctx.embed_viewports() {
                focused
            } else {
                ctx.input_for(crate::ui::private::viewport_id(&key), |i| i.focused)
            };
            let following = self
                .views
                .get(&Target::Private(key))
                .is_some_and(|v| v.is_following());
            if window_focused && following {
                seen.push(Place::With(conversation.peer.clone()));
            }
        }
        for place in seen {
            if let Some(line) = self.client.chat.unread_marker(&place) {
                self.client.chat.mark_read(&place, line);
                let request = Request::MarkRead {
                    target: place,
                    line,
                    receipt: self.settings.read_receipts,
                };
                self.client.send(request, Pending::Quiet);
            }
        }
    }

    /// The dialog about a line, if one is open.
    pub(super) fn draw_line_dialog(&mut self, ctx: &egui::Context, t: &Texts) -> Vec<Intent> {
        match &mut self.line_dialog {
            Some(LineDialog::Delete(line)) => actions::confirm_delete(ctx, t, line),
            Some(LineDialog::Report(line, reason)) => actions::report_dialog(ctx, t, line, reason),
            None => Vec::new(),
        }
    }

    /// Puts the cursor at the end of a box whose text was just replaced (an edit begun).
    pub(super) fn place_cursor(&mut self, ctx: &egui::Context) {
        if let Some(target) = self.cursor_to_end.take() {
            let end = self.draft(&target).chars().count();
            input::set_cursor(ctx, input::box_id(&target), end);
        }
    }
}
