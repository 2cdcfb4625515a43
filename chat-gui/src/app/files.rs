//! Files in the window (see [`crate::files`]): each frame, what the transfers reported and the
//! messages whose files are ready; attaching from the message boxes and the window (a drop
//! or a paste no box took), the viewer, and Send in a box that has files. In a page, the same
//! through the page's own transfers (`web::files`).

use std::sync::Arc;

use chat_core::protocol::{Attachment, ErrorCode, Field, Quote};
use chat_model::composer::{Outgoing, Target, outgoing};
use chat_model::history::{LineKind, Refusal};
use chat_model::transfers::Ready;

use super::ChatApp;
use crate::files::News;
#[cfg(not(target_arch = "wasm32"))]
use crate::files::platform::Picker;
use crate::save::Saved;
use crate::ui::files::{FileIntent, Pasted};
use crate::ui::{Intent, input};

impl ChatApp {
    /// Chooses files to attach, and where to save copies, with `picker` instead of the
    /// system's dialogs (tests give the paths the dialogs would).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn set_file_picker(&mut self, picker: Arc<dyn Picker>) {
        self.files.set_picker(picker);
    }

    /// The files attached, uploading and downloading.
    pub fn transfers(&self) -> &chat_model::transfers::Transfers {
        &self.files.transfers
    }

    /// In a page: downloads go with the session's token; how they ended is shown.
    #[cfg(target_arch = "wasm32")]
    pub(super) fn update_files(&mut self, ctx: &egui::Context) {
        if let Some(waker) = &self.waker {
            self.files.set_waker(Arc::clone(waker));
        }
        self.files
            .set_token(self.client.token().map(|t| t.token.clone()));
        let room = self.client.chat.room_name().map(str::to_owned);
        for news in self.files.update(ctx, room.as_deref()) {
            self.files_news(news);
        }
    }

    /// What starts downloads in a page (its text of what is said offers them too).
    #[cfg(target_arch = "wasm32")]
    pub fn file_downloader(&self) -> crate::files::Downloader {
        self.files.downloader()
    }

    /// Applies what the transfers reported; sends the messages whose files are ready.
    #[cfg(not(target_arch = "wasm32"))]
    pub(super) fn update_files(&mut self, ctx: &egui::Context) {
        if let Some(waker) = &self.waker {
            self.files.set_waker(Arc::clone(waker));
        }
        let room = self.client.chat.room_name().map(str::to_owned);
        let news = self
            .files
            .update(ctx, self.client.file_server(), room.as_deref());
        for news in news {
            self.files_news(news);
        }
    }

    pub(super) fn files_intent(&mut self, intent: FileIntent) {
        let news = self.files.apply(intent, self.texts());
        for news in news {
            self.files_news(news);
        }
    }

    fn files_news(&mut self, news: News) {
        match news {
            News::Ready(Ready::Send {
                target,
                lines,
                attachments,
                reply_to,
            }) => self.send_with_files(&target, lines, &attachments, reply_to),
            // A room message whose room the user left while it waited: back in the box,
            // before whatever is being written there now (never dropped).
            News::Ready(Ready::Held { lines }) => {
                let draft = self.drafts.entry(Target::Room).or_default();
                let held = lines.join("\n");
                draft.text = if draft.text.trim().is_empty() {
                    held
                } else {
                    format!("{held}\n{}", draft.text)
                };
            }
            News::TooMany(target) => {
                let refusal = Refusal {
                    code: ErrorCode::Invalid,
                    field: Some(Field::Attachments),
                };
                self.notice(&target, LineKind::Refused(refusal));
            }
            News::Saved(target, Saved::To(path)) => {
                self.notice(&target, LineKind::Saved(path.display().to_string()));
            }
            News::Saved(target, Saved::Failed(path)) => {
                let path = path.display().to_string();
                self.notice(&target, LineKind::SaveFailed(path));
            }
            News::Saved(_, Saved::Cancelled) => {}
        }
    }

    /// Sends `lines` to `target`, the last carrying `attachments` (alone when no text) and
    /// answering `reply_to`.
    fn send_with_files(
        &mut self,
        target: &Target,
        mut lines: Vec<String>,
        files: &[Attachment],
        reply_to: Option<Quote>,
    ) {
        let last = lines.pop().unwrap_or_default();
        match target {
            Target::Room => {
                for text in lines {
                    self.client.say(text, None);
                }
                self.client
                    .say_with_files(last, files, reply_to.map(|q| q.line));
            }
            Target::Private(key) => {
                let Some(peer) = self.client.chat.conversation(key).map(|c| c.peer.clone()) else {
                    return;
                };
                for text in lines {
                    self.client.private_with_files(&peer, text, &[], None);
                }
                self.client.private_with_files(&peer, last, files, reply_to);
            }
        }
        self.views.entry(target.clone()).or_default().follow();
    }

    /// Send in a box with files attached: the text waits for them and goes with them,
    /// answering the line quoted over the box. Returns whether it was taken (a `#` command,
    /// text that breaks a rule, or the new text of a line being edited, which carries no files
    /// and leaves them for the next message, goes the usual way).
    pub(super) fn submit_with_files(&mut self, target: &Target) -> bool {
        if !self.files.transfers.has_attached(target)
            || self.drafts.get(target).is_some_and(|d| d.editing.is_some())
        {
            return false;
        }
        let text = self.draft(target).to_owned();
        // A reply is text, never a command (as without files).
        let replying = self
            .drafts
            .get(target)
            .is_some_and(|d| d.reply_to.is_some());
        let lines = match outgoing(&text, *target == Target::Room && !replying) {
            Outgoing::Nothing => Vec::new(),
            Outgoing::Message(message) => vec![message],
            Outgoing::Command(_) | Outgoing::TooManyLines(_) => return false,
        };
        if lines.iter().any(|l| chat_core::validate::text(l).is_err()) {
            return false;
        }
        let room = self.client.chat.room_name().map(str::to_owned);
        let draft = self.drafts.entry(target.clone()).or_default();
        let reply_to = draft.reply_to.take();
        self.files
            .transfers
            .send(target, room.as_deref(), lines, reply_to);
        let draft = self.drafts.entry(target.clone()).or_default();
        draft.text.clear();
        if !text.trim().is_empty() {
            draft.last_sent = Some(text);
        }
        self.views.entry(target.clone()).or_default().follow();
        true
    }

    /// The viewer, and on the desktop what a drop or a paste left.
    pub(super) fn draw_files(&mut self, ctx: &egui::Context) -> Vec<Intent> {
        let mut intents = Vec::new();
        if !self.client.phase().is_logged_in() {
            return intents;
        }
        intents.extend(crate::ui::files::viewer::show(ctx, self.texts()));
        intents.extend(self.dropped_and_pasted(ctx));
        intents
    }

    /// What a drop or a paste left that no message box took (it goes to the box used last,
    /// else the room's), and a word while files are dragged over the window.
    fn dropped_and_pasted(&mut self, ctx: &egui::Context) -> Vec<Intent> {
        let mut intents = Vec::new();
        let t = self.texts();
        let target = match input::used_last(ctx) {
            Some(Target::Private(key))
                if self.client.chat.conversation(&key).is_some_and(|c| c.open) =>
            {
                Target::Private(key)
            }
            _ => Target::Room,
        };
        // A page hears of pasted files from the browser (egui gives it pasted text only).
        #[cfg(target_arch = "wasm32")]
        self.files.paste_into(&target);
        let (dropped, pasted) = ctx.input_mut(|i| {
            let dropped = std::mem::take(&mut i.raw.dropped_files);
            let mut pasted = Vec::new();
            i.events.retain(|e| match e {
                egui::Event::PasteImage(image) => {
                    pasted.push(Arc::clone(image));
                    false
                }
                _ => true,
            });
            (dropped, pasted)
        });
        let dropped = crate::ui::files::dropped(dropped);
        if !dropped.is_empty() {
            intents.push(Intent::Files(FileIntent::Attach(target.clone(), dropped)));
        }
        for image in pasted {
            intents.push(Intent::Files(FileIntent::Pasted(
                target.clone(),
                Pasted(image),
            )));
        }
        if ctx.input(|i| !i.raw.hovered_files.is_empty()) {
            let screen = ctx.content_rect();
            let painter = ctx.layer_painter(egui::LayerId::new(
                egui::Order::Foreground,
                egui::Id::unique("drop-files"),
            ));
            painter.rect_filled(screen, 0.0, egui::Color32::from_black_alpha(160));
            painter.text(
                screen.center(),
                egui::Align2::CENTER_CENTER,
                format!("📎 {}", t.attach_drop),
                egui::FontId::proportional(24.0),
                egui::Color32::WHITE,
            );
        }
        intents
    }
}
