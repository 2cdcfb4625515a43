//! A private conversation: its header (whom it is with and how they are doing), the find bar when
//! open, its lines and its message box. It is drawn in a native window of its own (an egui
//! viewport: eframe opens one on Windows, macOS and Linux alike) or in the main window beside the
//! room, as the user chooses; never floating over the room. Opening it brings its window to the
//! front with the keyboard in its box.

use chat_model::chat::Conversation;
use chat_model::composer::Target;
use chat_model::find::Finder;

use crate::i18n::{Texts, fill};
use crate::limits::PRIVATE_WINDOW_SIZE;
use crate::ui::header::{self, Place};
use crate::ui::{Intent, input, messages};

/// What one conversation shows and edits.
pub struct Pane<'a> {
    /// The conversation.
    pub conversation: &'a Conversation,
    /// Its message box (when it takes the keyboard, its window comes to the front).
    pub composer: input::Composer<'a>,
    /// Its lines' view.
    pub view: &'a mut messages::View,
    /// How the peer is doing (typing, away, online), as the header says it.
    pub status: (String, chat_core::protocol::Presence),
    /// The find bar, when open over this conversation, and whether it takes the keyboard.
    pub find: Option<(&'a mut Finder, bool)>,
    /// The signed-in user's login.
    pub me: &'a str,
}

/// Draws a conversation in `ui`, at `place`.
pub fn pane(ui: &mut egui::Ui, t: &Texts, place: Place<'_>, pane: Pane<'_>) -> Vec<Intent> {
    let Pane {
        conversation,
        composer,
        view,
        status,
        find,
        me,
    } = pane;
    let peer = &conversation.peer;
    let key = chat_core::validate::login_key(peer);
    let recent = composer.recent;
    let mut intents = header::conversation(ui, t, peer, place, &status);
    let mut highlight = None;
    if let Some((finder, focus)) = find {
        intents.extend(crate::ui::find::bar(ui, t, finder, focus));
        highlight = Some(messages::Highlight {
            query: &finder.query,
            current: finder.current_seq(),
        });
    }
    egui::Panel::bottom(egui::Id::unique(("conversation-box", &key)))
        .show_separator_line(true)
        .frame(egui::Frame::new().inner_margin(egui::Margin::symmetric(10, 8)))
        .show(ui, |ui| {
            intents.extend(crate::ui::actions::composing(
                ui,
                t,
                &composer.target,
                composer.draft,
            ));
            intents.extend(input::show(ui, t, composer));
        });
    intents.extend(messages::conversation(
        ui,
        t,
        conversation,
        view,
        highlight,
        (me, recent),
    ));
    intents
}

/// The id of the native window of the conversation with `key`.
pub fn viewport_id(key: &str) -> egui::ViewportId {
    egui::ViewportId::from_hash_of(("private-window", key))
}

/// Draws a conversation in a native window of its own.
pub fn window(ctx: &egui::Context, t: &Texts, conversation: Pane<'_>) -> Vec<Intent> {
    let mut intents = Vec::new();
    let peer = conversation.conversation.peer.clone();
    let key = chat_core::validate::login_key(&peer);
    let target = Target::Private(key.clone());
    let focus = conversation.composer.focus;
    let builder = egui::ViewportBuilder::default()
        .with_title(fill(t.private_title, &[&peer]))
        .with_app_id(crate::limits::APP_ID)
        .with_inner_size(PRIVATE_WINDOW_SIZE)
        .with_min_inner_size([320.0, 240.0]);
    let mut conversation = Some(conversation);
    ctx.show_viewport_immediate(viewport_id(&key), builder, |ui, class| {
        let Some(conversation) = conversation.take() else {
            return;
        };
        let native = class != egui::ViewportClass::EmbeddedWindow;
        if native && focus {
            ui.ctx().send_viewport_cmd(egui::ViewportCommand::Focus);
        }
        if native && ui.input(|i| i.viewport().close_requested()) {
            intents.push(Intent::ClosePrivate(peer.clone()));
        }
        let find = egui::KeyboardShortcut::new(egui::Modifiers::COMMAND, egui::Key::F);
        if native && ui.input_mut(|i| i.consume_shortcut(&find)) {
            intents.push(Intent::OpenFind(target.clone()));
        }
        egui::CentralPanel::default()
            .frame(egui::Frame::central_panel(ui.style()).inner_margin(0))
            .show(ui, |ui| {
                intents.extend(pane(ui, t, Place::Window, conversation));
            });
    });
    intents
}
