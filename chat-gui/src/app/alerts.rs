//! Desktop notifications: after each batch of events, the lines that arrived are weighed by
//! [`chat_model::notify::decide`] against what the user is looking at, worded in the interface's
//! language, and handed to the notifier; the taskbar flashes when the window is not focused.

use chat_model::notify::{Alert, Situation, decide};

use super::{ChatApp, Pane};
use crate::i18n::fill;
use crate::notifier::Shown;

impl ChatApp {
    /// What the user is looking at, for the notification rules.
    fn situation(&self, ctx: &egui::Context) -> Situation {
        let chat = &self.client.chat;
        let conversations_shown = match &self.pane {
            Pane::Conversation(key) => chat
                .conversation(key)
                .map(|c| vec![c.peer.clone()])
                .unwrap_or_default(),
            Pane::Room if !self.settings.dock_private => chat
                .conversations()
                .filter(|c| c.open)
                .map(|c| c.peer.clone())
                .collect(),
            Pane::Room => Vec::new(),
        };
        Situation {
            me: chat.me.clone(),
            // A window system that does not say counts as focused: no notification is better
            // than one for what is on screen.
            focused: ctx.input(|i| i.viewport().focused).unwrap_or(true),
            room_shown: self.pane == Pane::Room,
            conversations_shown,
            enabled: self.settings.notifications,
        }
    }

    /// Notifies of what arrived since the last frame, if it deserves it.
    pub(super) fn alert(&mut self, ctx: &egui::Context) {
        let arrivals = self.client.chat.take_arrivals();
        if arrivals.is_empty() {
            return;
        }
        let situation = self.situation(ctx);
        let alerts = decide(&arrivals, &situation);
        if alerts.is_empty() {
            return;
        }
        let t = self.texts();
        for alert in alerts {
            let shown = match alert {
                Alert::Private { from, text } => Shown {
                    title: fill(t.notify_private, &[&from]),
                    body: text,
                },
                Alert::Mention { room, from, text } => Shown {
                    title: fill(t.notify_mention, &[&from, &format!("# {room}")]),
                    body: text,
                },
                Alert::KeptWhileAway { count, from } => Shown {
                    title: t.notify_kept.to_owned(),
                    body: t.kept_summary(count, &from.join(", ")),
                },
            };
            self.notifier.show(shown);
        }
        if !situation.focused {
            ctx.send_viewport_cmd(egui::ViewportCommand::RequestUserAttention(
                egui::UserAttentionType::Informational,
            ));
        }
    }
}
