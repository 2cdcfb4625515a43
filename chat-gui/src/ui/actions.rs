//! What can be done to a line: reply, react, edit, delete, copy, report, and for a room's
//! creator or an administrator, mute or remove its author. Offered three ways, all reaching the
//! same [`Intent::Line`]: a bar of buttons over the line the pointer is on, or the line that has
//! the keyboard (Tab walks from the message box to the lines and through each bar; Up and Down
//! move between lines); the line's context menu (right click, or the bar's "⋯"); and the keys of
//! the message box (Up in an empty box edits the user's last line, Escape gives up a reply or
//! an edit).
//!
//! Also here: the quote of the reply being written and the edit under way, shown over the
//! message box, and the dialogs that ask before deleting a line and why a line is reported.

use chat_core::protocol::{Quote, Target as Place};
use chat_model::composer::{Draft, Target};
use egui::{Key, Rect, RichText, Ui, pos2, vec2};

use crate::i18n::{Texts, fill};
use crate::ui::Intent;

/// The reactions offered first, before the whole picker.
pub const QUICK_REACTIONS: [&str; 6] = ["👍", "❤️", "😂", "😮", "😢", "🎉"];

/// How long a mute lasts, as offered: seconds.
pub const MUTE_SECONDS: [u32; 3] = [10 * 60, 60 * 60, 24 * 60 * 60];

/// A numbered line someone said, as an action names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineRef {
    /// The message box of its room or conversation.
    pub target: Target,
    /// Where it is, as requests name it.
    pub place: Place,
    /// Its number.
    pub line: u64,
    /// Its author.
    pub from: String,
    /// Its text.
    pub text: String,
    /// The names of the files it carries.
    pub files: Vec<String>,
    /// It mentions the user.
    pub mentions: bool,
}

impl LineRef {
    /// The quote a reply to it shows: its author and first words (or its files' names).
    pub fn quote(&self) -> Quote {
        Quote {
            line: self.line,
            from: self.from.clone(),
            excerpt: self.shown(chat_core::limits::QUOTE_CHARS),
        }
    }

    /// Its first `max` characters, or the names of its files when it has no text.
    fn shown(&self, max: usize) -> String {
        chat_core::protocol::excerpt(&self.text, self.files.iter().map(String::as_str), max)
    }
}

/// What the user asked to do to a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineAction {
    /// Answer it (its quote goes over the message box).
    Reply,
    /// Put an emoji on it (`on`) or take the user's off.
    React { emoji: String, on: bool },
    /// Change its text (the user's own line).
    Edit,
    /// Ask before deleting it.
    Delete,
    /// Delete it: the user confirmed.
    ConfirmDelete,
    /// Open the dialog that reports it.
    Report,
    /// Mute its author in the room for so many seconds.
    Mute(u32),
    /// Remove its author from the room.
    Remove,
    /// Show the line it answers (number), loading earlier lines if needed.
    Jump(u64),
}

/// Who is looking at the lines, and what they may do there.
#[derive(Debug, Clone, Copy)]
pub struct Viewer<'a> {
    /// The user's login (mentions, own reactions).
    pub me: &'a str,
    /// The message box of these lines.
    pub target: &'a Target,
    /// Where these lines are, as requests name it.
    pub place: &'a Place,
    /// May delete anyone's line and keep order (a room's creator, an administrator).
    pub moderator: bool,
    /// The emoji picked most recently, for the picker.
    pub recent: &'a [String],
}

/// What a line offers: depends on whose it is and who looks.
#[derive(Debug, Clone, Copy)]
pub struct Offer {
    pub own: bool,
    pub moderator: bool,
    /// In a room (keeping order is a room's).
    pub room: bool,
}

impl Offer {
    fn edit(self) -> bool {
        self.own
    }
    fn delete(self) -> bool {
        self.own || (self.moderator && self.room)
    }
    fn report(self) -> bool {
        !self.own
    }
    fn keep_order(self) -> bool {
        !self.own && self.moderator && self.room
    }
}

/// Whether the bar of this line has a menu open (the reactions, "more"): the bar stays while
/// the pointer or the keyboard is in the menu, away from the line.
pub fn bar_menu_open(ui: &Ui, row: egui::Id) -> bool {
    egui::Popup::is_id_open(ui.ctx(), row.with("react-popup"))
        || egui::Popup::is_id_open(ui.ctx(), row.with("more-popup"))
}

/// Whether the keyboard is on this line or on one of the buttons of its bar.
pub fn has_keyboard(ui: &Ui, row: egui::Id) -> bool {
    ui.memory(|m| m.has_focus(row))
        || ui
            .data(|d| d.get_temp::<bool>(row.with("bar-focus")))
            .unwrap_or(false)
}

/// The line's own widget: it takes the keyboard (Tab), its context menu (right click), and
/// moves the keyboard to the line above or below with Up and Down. Drawn under the line's
/// words, so they stay selectable.
pub fn row_widget(
    ui: &mut Ui,
    t: &Texts,
    rect: Rect,
    row: egui::Id,
    line: &LineRef,
    offer: Offer,
    viewer: Viewer<'_>,
) -> Vec<Intent> {
    let mut intents = Vec::new();
    let response = ui.interact(rect, row, egui::Sense::click());
    response.widget_info(|| {
        let words = if line.mentions {
            t.line_mentions_you
        } else {
            t.line_by
        };
        egui::WidgetInfo::labeled(
            egui::Role::ListItem,
            true,
            fill(words, &[&line.from, &line.text]),
        )
    });
    if response.gained_focus() {
        response.scroll_to_me(None);
    }
    if response.has_focus() {
        let (up, down) = ui.input_mut(|i| {
            (
                i.consume_key(egui::Modifiers::NONE, Key::ArrowUp),
                i.consume_key(egui::Modifiers::NONE, Key::ArrowDown),
            )
        });
        if up {
            ui.memory_mut(|m| m.move_focus(egui::FocusDirection::Up));
        } else if down {
            ui.memory_mut(|m| m.move_focus(egui::FocusDirection::Down));
        }
    }
    response.context_menu(|ui| intents.extend(menu(ui, t, line, offer, viewer)));
    intents
}

/// The bar over a line the pointer or the keyboard is on: reply, react, edit, delete, more.
pub fn bar(
    ui: &mut Ui,
    t: &Texts,
    row_rect: Rect,
    row: egui::Id,
    line: &LineRef,
    offer: Offer,
    viewer: Viewer<'_>,
) -> Vec<Intent> {
    let mut intents = Vec::new();
    let mut buttons: Vec<(LineAction, &str, &str)> = vec![
        (LineAction::Reply, "↩", t.reply),
        (
            LineAction::React {
                emoji: String::new(),
                on: true,
            },
            "☺",
            t.react,
        ),
    ];
    if offer.edit() {
        buttons.push((LineAction::Edit, "✏", t.edit));
    }
    if offer.delete() {
        buttons.push((LineAction::Delete, "🗑", t.delete));
    }
    // "More" is the menu.
    buttons.push((LineAction::Report, "⋯", t.more_actions));
    let size = vec2(28.0, 24.0);
    #[allow(clippy::cast_precision_loss)]
    let width = size.x * buttons.len() as f32 + 8.0;
    let frame = Rect::from_min_size(
        pos2(row_rect.right() - width - 10.0, row_rect.top() + 1.0),
        vec2(width, size.y + 4.0),
    );
    ui.painter().rect(
        frame,
        6.0,
        ui.visuals().window_fill,
        ui.visuals().widgets.noninteractive.bg_stroke,
        egui::StrokeKind::Inside,
    );
    let mut focused = false;
    let mut x = frame.left() + 4.0;
    for (action, glyph, name) in buttons {
        let rect = Rect::from_min_size(pos2(x, frame.top() + 2.0), size);
        x += size.x;
        let button = egui::Button::new(RichText::new(glyph).size(15.0)).frame(false);
        let response = ui
            .put(rect, button)
            .on_hover_text(name)
            .accessible_name(name);
        focused |= response.has_focus();
        match action {
            LineAction::React { .. } => {
                let opened = response.clicked();
                let popup_id = row.with("react-popup");
                egui::Popup::menu(&response)
                    .id(popup_id)
                    .close_behavior(egui::PopupCloseBehavior::CloseOnClickOutside)
                    .show(|ui| {
                        if let Some(emoji) = reaction_picker(ui, t, popup_id, viewer.recent, opened)
                        {
                            intents.push(Intent::Line(
                                line.clone(),
                                LineAction::React { emoji, on: true },
                            ));
                            egui::Popup::close_id(ui.ctx(), popup_id);
                        }
                    });
            }
            LineAction::Report => {
                egui::Popup::menu(&response)
                    .id(row.with("more-popup"))
                    .show(|ui| intents.extend(menu(ui, t, line, offer, viewer)));
            }
            action => {
                if response.clicked() {
                    intents.push(Intent::Line(line.clone(), action));
                }
            }
        }
    }
    ui.data_mut(|d| d.insert_temp(row.with("bar-focus"), focused));
    intents
}

/// The quick reactions, then the whole picker; returns the emoji picked. `opened`: the picker
/// opened this frame (its search field takes the keyboard).
fn reaction_picker(
    ui: &mut Ui,
    t: &Texts,
    id: egui::Id,
    recent: &[String],
    opened: bool,
) -> Option<String> {
    let mut picked = None;
    ui.horizontal(|ui| {
        for emoji in QUICK_REACTIONS {
            let code = chat_model::emoji::get(emoji).map_or(emoji, chat_model::emoji::code);
            if ui
                .add(egui::Button::new(RichText::new(emoji).size(20.0)).frame(false))
                .on_hover_text(format!(":{code}:"))
                .accessible_name(code)
                .clicked()
            {
                picked = Some(emoji.to_owned());
            }
        }
    });
    ui.separator();
    if let Some(emoji) = crate::ui::input::emoji_picker(ui, t, id.with("picker"), recent, opened) {
        picked = Some(emoji);
    }
    picked
}

/// Every action on a line, as a menu (right click, or "⋯").
fn menu(ui: &mut Ui, t: &Texts, line: &LineRef, offer: Offer, viewer: Viewer<'_>) -> Vec<Intent> {
    let mut intents = Vec::new();
    let mut act = |action: LineAction| intents.push(Intent::Line(line.clone(), action));
    if ui.button(format!("↩  {}", t.reply)).clicked() {
        act(LineAction::Reply);
    }
    ui.menu_button(format!("☺  {}", t.react), |ui| {
        ui.horizontal(|ui| {
            for emoji in QUICK_REACTIONS {
                if ui.button(RichText::new(emoji).size(18.0)).clicked() {
                    act(LineAction::React {
                        emoji: emoji.to_owned(),
                        on: true,
                    });
                }
            }
        });
    });
    if offer.edit() && ui.button(format!("✏  {}", t.edit)).clicked() {
        act(LineAction::Edit);
    }
    if ui.button(format!("📋  {}", t.copy_text)).clicked() {
        ui.ctx().copy_text(line.text.clone());
    }
    if offer.delete() && ui.button(format!("🗑  {}", t.delete)).clicked() {
        act(LineAction::Delete);
    }
    if offer.report() && ui.button(format!("⚑  {}", t.report)).clicked() {
        act(LineAction::Report);
    }
    if offer.keep_order() {
        ui.separator();
        ui.menu_button(fill(t.mute_login, &[&line.from]), |ui| {
            for seconds in MUTE_SECONDS {
                if ui.button(t.duration(seconds)).clicked() {
                    act(LineAction::Mute(seconds));
                }
            }
        });
        if ui.button(fill(t.remove_login, &[&line.from])).clicked() {
            act(LineAction::Remove);
        }
    }
    let _ = viewer;
    intents
}

/// Over the message box: the line being answered, or the edit under way, each with a button
/// that gives it up (as Escape does).
pub fn composing(ui: &mut Ui, t: &Texts, target: &Target, draft: &Draft) -> Vec<Intent> {
    let mut intents = Vec::new();
    let words = match (&draft.editing, &draft.reply_to) {
        (Some(_), _) => format!("✏ {}", t.editing),
        (None, Some(quote)) => format!(
            "↩ {}",
            fill(t.replying_to, &[&quote.from, &one_line(&quote.excerpt)])
        ),
        (None, None) => return intents,
    };
    ui.horizontal(|ui| {
        let bar = ui.visuals().selection.bg_fill;
        let (rect, _) = ui.allocate_exact_size(vec2(3.0, 18.0), egui::Sense::hover());
        ui.painter().rect_filled(rect, 1.0, bar);
        ui.add(egui::Label::new(RichText::new(words).weak()).truncate());
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if ui
                .small_button("✕")
                .on_hover_text(t.cancel_escape)
                .accessible_name(t.cancel)
                .clicked()
            {
                intents.push(Intent::CancelCompose(target.clone()));
            }
        });
    });
    intents
}

/// A quote's words on one line, without their Markdown.
pub fn one_line(text: &str) -> String {
    chat_model::markdown::plain(text)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Asks before deleting a line; returns the user's answer.
pub fn confirm_delete(ctx: &egui::Context, t: &Texts, line: &LineRef) -> Vec<Intent> {
    let mut intents = Vec::new();
    let modal = egui::Modal::new(egui::Id::unique("delete-line")).show(ctx, |ui| {
        ui.set_max_width(380.0);
        ui.heading(t.delete_line_title);
        ui.add_space(6.0);
        ui.label(RichText::new(format!("{}: {}", line.from, excerpt(&line.shown(200)))).weak());
        ui.add_space(10.0);
        ui.horizontal(|ui| {
            let delete = ui.button(RichText::new(t.delete).color(ui.visuals().error_fg_color));
            if !ui.memory(|m| m.focused().is_some()) {
                delete.request_focus();
            }
            if delete.clicked() {
                intents.push(Intent::Line(line.clone(), LineAction::ConfirmDelete));
            }
            if ui.button(t.cancel).clicked() {
                intents.push(Intent::CloseLineDialog);
            }
        });
    });
    if modal.should_close() && intents.is_empty() {
        intents.push(Intent::CloseLineDialog);
    }
    intents
}

/// Why a line is reported: the dialog that asks, and sends.
pub fn report_dialog(
    ctx: &egui::Context,
    t: &Texts,
    line: &LineRef,
    reason: &mut String,
) -> Vec<Intent> {
    let mut intents = Vec::new();
    let modal = egui::Modal::new(egui::Id::unique("report-line")).show(ctx, |ui| {
        ui.set_max_width(420.0);
        ui.heading(t.report_title);
        ui.add_space(4.0);
        ui.label(t.report_intro);
        ui.add_space(4.0);
        ui.label(RichText::new(format!("{}: {}", line.from, excerpt(&line.shown(200)))).weak());
        ui.add_space(8.0);
        let field = crate::ui::labelled_field(ui, t.report_reason, reason, |e| {
            e.desired_width(f32::INFINITY)
                .char_limit(chat_core::limits::REASON_MAX_CHARS)
        });
        if !ui.memory(|m| m.focused().is_some()) {
            field.request_focus();
        }
        let send = crate::ui::submitted(ui, &field);
        ui.add_space(10.0);
        ui.horizontal(|ui| {
            if ui.button(t.report_send).clicked() || send {
                intents.push(Intent::SendReport);
            }
            if ui.button(t.cancel).clicked() {
                intents.push(Intent::CloseLineDialog);
            }
        });
    });
    if modal.should_close() && intents.is_empty() {
        intents.push(Intent::CloseLineDialog);
    }
    intents
}

/// The first words of a line, for a dialog.
fn excerpt(text: &str) -> String {
    let line = one_line(text);
    if line.chars().count() > 120 {
        format!("{}…", line.chars().take(120).collect::<String>())
    } else {
        line
    }
}
