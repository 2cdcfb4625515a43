//! The message box of a room or private conversation: several lines (Enter sends, Shift+Enter
//! starts a new line; the box grows to a few rows, then scrolls), Up in an empty box edits the
//! user's last line (or brings back the last text sent), Escape gives up a reply or an edit,
//! Tab completes commands, room names and logins, `:` offers emoji by name, and a button opens
//! the emoji picker.
//!
//! Each box has an id of its own, so keys go to the box that has focus and to no other: text
//! typed in a private conversation can never reach the room.

use chat_model::commands::{self, Cmd, Slot};
use chat_model::composer::{Draft, Target};
use chat_model::emoji;
use egui::text::{CCursor, CCursorRange};
use egui::{Key, Modifiers, RichText, Ui};

use crate::i18n::Texts;
use crate::limits::INPUT_MAX_ROWS;
use crate::ui::Intent;

/// Most suggestions shown at once.
const MAX_SUGGESTIONS: usize = 8;

/// Names the box can complete.
#[derive(Debug, Clone, Copy)]
pub struct Names<'a> {
    /// Logins (room members, users listed, conversations).
    pub logins: &'a [String],
    /// Room names.
    pub rooms: &'a [String],
}

/// One message box.
pub struct Composer<'a> {
    /// Where its text goes.
    pub target: Target,
    /// Its accessible name (read by screen readers, found by tests).
    pub name: String,
    /// Grey text shown while empty.
    pub hint: String,
    /// Whether sending is possible (logged in).
    pub enabled: bool,
    /// Its text.
    pub draft: &'a mut Draft,
    /// What Tab and the suggestions complete.
    pub names: Names<'a>,
    /// Take keyboard focus this frame (a conversation was just opened).
    pub focus: bool,
    /// Take keyboard focus when nothing has it and this box was the one used last.
    pub default_focus: bool,
    /// The emoji picked most recently, newest first.
    pub recent: &'a [String],
}

/// The id of the text box of `target`, stable across frames.
pub fn box_id(target: &Target) -> egui::Id {
    egui::Id::unique(("message-box", target))
}

/// The message box that had the keyboard last, if any.
pub fn used_last(ctx: &egui::Context) -> Option<Target> {
    ctx.data(|d| d.get_temp::<Target>(used_last_id()))
}

fn used_last_id() -> egui::Id {
    egui::Id::unique("message-box-used-last")
}

/// Draws the box and returns what the user asked for.
pub fn show(ui: &mut Ui, t: &Texts, composer: Composer<'_>) -> Vec<Intent> {
    let mut intents = Vec::new();
    let Composer {
        target,
        name,
        hint,
        enabled,
        draft,
        names,
        focus,
        default_focus,
        recent,
    } = composer;
    let id = box_id(&target);
    let popup_open_id = id.with("suggestions-open");
    let popup_was_open = ui.data(|d| d.get_temp::<bool>(popup_open_id).unwrap_or(false));
    let has_focus = ui.memory(|m| m.has_focus(id));

    // Keys this box acts on itself, taken before the text box sees them. While suggestions
    // show, Enter, Tab and the arrows are theirs.
    let (mut send, mut tab, mut recall) = (false, false, false);
    let mut onward = None;
    if has_focus && !popup_was_open {
        ui.input_mut(|i| {
            send = take_key(i, Key::Enter);
            // Tab completes a word; in an empty box it moves the keyboard on, as anywhere.
            tab = take_key(i, Key::Tab);
            onward = if draft.text.is_empty() && tab {
                tab = false;
                Some(egui::FocusDirection::Next)
            } else if i.consume_key(Modifiers::SHIFT, Key::Tab) {
                Some(egui::FocusDirection::Previous)
            } else {
                None
            };
            if draft.text.is_empty() {
                recall = take_key(i, Key::ArrowUp);
            }
        });
    }

    // Files attached to this box, above it; with them, Send needs no text.
    intents.extend(crate::ui::files::strip::show(ui, t, &target));
    let files = crate::ui::files::has_attached(ui.ctx(), &target);
    let row_height = ui.text_style_height(&egui::TextStyle::Body);
    let mut output = None;
    ui.horizontal(|ui| {
        intents.extend(crate::ui::files::attach_button(ui, t, &target, enabled));
        let picked = emoji_button(ui, t, id, recent);
        let send_width = 84.0;
        let width = (ui.available_width() - send_width).max(80.0);
        #[allow(clippy::cast_precision_loss)]
        let max_height = row_height * INPUT_MAX_ROWS as f32 + 12.0;
        // The box is as tall as its text was last frame, up to `INPUT_MAX_ROWS`, even where the
        // panel around it is still as short as it was: panels take their size from their content.
        let height_id = id.with("text-height");
        let last_height = ui.data(|d| d.get_temp::<f32>(height_id)).unwrap_or(0.0);
        egui::ScrollArea::vertical()
            .id_salt(id.with("scroll"))
            .max_height(max_height)
            .min_scrolled_height(last_height.clamp(row_height + 12.0, max_height))
            .max_width(width)
            .show(ui, |ui| {
                let edit = egui::TextEdit::multiline(&mut draft.text)
                    .desired_rows(1)
                    .desired_width(width - 8.0)
                    .hint_text(hint.as_str())
                    .margin(egui::Margin::symmetric(8, 6))
                    .return_key(egui::KeyboardShortcut::new(Modifiers::SHIFT, Key::Enter))
                    // Tab completes (taken above) instead of moving the keyboard elsewhere;
                    // with nothing to complete it moves on (below).
                    .lock_focus(true);
                let popup = egui::CompletionPopup::new(id).max_height(260.0);
                let shown = ui.add_enabled_ui(enabled, |ui| {
                    popup.show(ui, edit, |query| suggestions(t, names, query))
                });
                output = Some(shown.inner);
            });
        if let (Some(glyph), Some(out)) = (picked, output.as_ref()) {
            let at = out.text_edit.cursor_range.map(|r| r.primary.index.0);
            let cursor = insert_at(&mut draft.text, at, &glyph);
            set_cursor(ui.ctx(), id, cursor);
            ui.memory_mut(|m| m.request_focus(id));
            intents.push(Intent::EmojiUsed(glyph));
        }
        let button = ui.add_enabled(
            enabled && (files || !draft.text.trim().is_empty()),
            egui::Button::new(t.send).min_size(egui::vec2(send_width - 8.0, row_height + 12.0)),
        );
        if button.clicked() {
            send = true;
        }
    });
    let Some(output) = output else {
        return intents;
    };
    let response = output
        .text_edit
        .response
        .response
        .clone()
        .accessible_name(name);
    let height_id = id.with("text-height");
    let height = response.rect.height();
    if ui.data(|d| d.get_temp::<f32>(height_id)) != Some(height) {
        ui.data_mut(|d| d.insert_temp(height_id, height));
        ui.ctx().request_repaint();
    }
    ui.data_mut(|d| d.insert_temp(popup_open_id, output.is_open));

    if tab {
        let cursor = output
            .text_edit
            .cursor_range
            .map_or(draft.text.chars().count(), |r| r.primary.index.0);
        if let Some(at) = complete_word(&mut draft.text, cursor, names) {
            set_cursor(ui.ctx(), id, at);
        }
    }
    if recall {
        // The app edits the user's last line here, or brings back the last text sent.
        intents.push(Intent::EditLast(target.clone()));
    }
    if response.changed() && !draft.text.trim().is_empty() {
        intents.push(Intent::Typed(target.clone()));
    }
    if send && enabled && (files || !draft.text.trim().is_empty()) {
        intents.push(Intent::Submit(target.clone()));
        response.request_focus();
    }
    // With nothing focused (after a click on the background), the keyboard goes back to the box
    // used last, never to another one: text meant for a conversation must not reach the room.
    let last_id = used_last_id();
    // Escape leaves the box for good: the keyboard then walks the window's controls (Tab) and
    // the box takes it back only when the user returns to it.
    let left_id = id.with("left-by-escape");
    // (Read from the raw events: a popup may have taken the key already. Not while a picture
    // is open in the viewer: Escape closes that, and leaves a reply or an edit as it was.)
    let viewing = crate::ui::files::shelf(ui.ctx()).viewer.is_some();
    let escaped = !viewing
        && ui.input(|i| {
            i.raw.events.iter().any(|e| {
                matches!(
                    e,
                    egui::Event::Key {
                        key: Key::Escape,
                        pressed: true,
                        ..
                    }
                )
            })
        });
    let composing = draft.reply_to.is_some() || draft.editing.is_some();
    if (has_focus || response.lost_focus()) && escaped && composing {
        // Escape first gives up the reply or the edit; the box keeps the keyboard.
        intents.push(Intent::CancelCompose(target.clone()));
        response.request_focus();
    } else if (has_focus || response.lost_focus()) && escaped {
        ui.data_mut(|d| d.insert_temp(left_id, true));
    }
    if response.has_focus() {
        ui.data_mut(|d| d.insert_temp(last_id, target.clone()));
        if !has_focus {
            ui.data_mut(|d| d.remove::<bool>(left_id));
        }
    }
    if let Some(direction) = onward {
        ui.data_mut(|d| d.insert_temp(left_id, true));
        ui.memory_mut(|m| m.move_focus(direction));
    }
    let left = ui.data(|d| d.get_temp::<bool>(left_id)).unwrap_or(false);
    let used_last = ui
        .data(|d| d.get_temp::<Target>(last_id))
        .is_none_or(|last| last == target);
    let nothing_focused = ui.memory(|m| m.focused().is_none());
    if enabled
        && !response.has_focus()
        && (focus || (default_focus && used_last && nothing_focused && !left))
    {
        response.request_focus();
    }
    // A picture pasted here (Ctrl+V); files dropped on this box's window go to the box used
    // last there.
    let own_window = ui.ctx().viewport_id() != egui::ViewportId::ROOT;
    if !cfg!(target_arch = "wasm32") {
        intents.extend(crate::ui::files::take_input(
            ui,
            &target,
            response.has_focus() || has_focus,
            own_window || used_last,
        ));
    }
    let keys = if matches!(target, Target::Room) {
        t.input_keys
    } else {
        t.input_keys_private
    };
    ui.label(RichText::new(keys).small().weak());
    intents
}

/// Takes the presses of `key` with no modifier held (so Shift+Enter still reaches the box).
fn take_key(input: &mut egui::InputState, key: Key) -> bool {
    let before = input.events.len();
    input.events.retain(|e| {
        !matches!(e, egui::Event::Key { key: k, pressed: true, modifiers, .. }
            if *k == key && modifiers.is_none())
    });
    before != input.events.len()
}

/// Inserts `text` at char `at` (the end when `None`); returns the char index after it.
fn insert_at(into: &mut String, at: Option<usize>, text: &str) -> usize {
    let at = at.unwrap_or(usize::MAX).min(into.chars().count());
    let byte = into.char_indices().nth(at).map_or(into.len(), |(b, _)| b);
    into.insert_str(byte, text);
    at + text.chars().count()
}

pub(crate) fn set_cursor(ctx: &egui::Context, id: egui::Id, at: usize) {
    let mut state = egui::TextEdit::load_state(ctx, id).unwrap_or_default();
    state
        .cursor
        .set_char_range(Some(CCursorRange::one(CCursor::new(at))));
    state.store(ctx, id);
}

/// What the word before the cursor can become, for the suggestions under the box.
fn suggestions(
    t: &Texts,
    names: Names<'_>,
    query: &egui::CompletionQuery<'_>,
) -> Vec<egui::Suggestion> {
    let before: String = query.text.chars().take(query.word_range.end.0).collect();
    match commands::slot(&before, query.word) {
        Slot::Command(word) => commands::matching_commands(&word)
            .into_iter()
            .map(|cmd| command_suggestion(t, cmd))
            .collect(),
        Slot::Room(word) => commands::matching(&word, names.rooms.iter().map(String::as_str))
            .into_iter()
            .take(MAX_SUGGESTIONS)
            .map(|room| egui::Suggestion::new(format!("{room} ")))
            .collect(),
        Slot::Login(word) => {
            let at = if query.word.starts_with('@') { "@" } else { "" };
            commands::matching(&word, names.logins.iter().map(String::as_str))
                .into_iter()
                .take(MAX_SUGGESTIONS)
                .map(|login| egui::Suggestion::new(format!("{at}{login} ")))
                .collect()
        }
        Slot::Emoji(code) => emoji::search(&code, MAX_SUGGESTIONS)
            .into_iter()
            .map(|e| {
                egui::Suggestion::new(e.as_str()).content(format!(
                    "{}   :{}:",
                    e.as_str(),
                    emoji::code(e)
                ))
            })
            .collect(),
        Slot::Word(_) | Slot::Nothing => Vec::new(),
    }
}

fn command_suggestion(t: &Texts, cmd: Cmd) -> egui::Suggestion {
    let text = t.command(cmd);
    egui::Suggestion::new(cmd.insert())
        .content(RichText::new(text.syntax).monospace())
        .description(text.summary)
}

/// Tab with no suggestions showing: completes the word before char `cursor` to the first
/// command, room or login it starts, as chat programs complete names. Returns the new cursor.
fn complete_word(text: &mut String, cursor: usize, names: Names<'_>) -> Option<usize> {
    let before: String = text.chars().take(cursor).collect();
    let word_start = before
        .char_indices()
        .rfind(|(_, c)| c.is_whitespace())
        .map_or(0, |(b, c)| b + c.len_utf8());
    let word = &before[word_start..];
    let logins = names.logins.iter().map(String::as_str);
    let replacement = match commands::slot(&before, word) {
        Slot::Command(w) => commands::matching_commands(&w)
            .first()
            .map(|c| c.insert().to_owned()),
        Slot::Room(w) => commands::matching(&w, names.rooms.iter().map(String::as_str))
            .first()
            .map(|r| format!("{r} ")),
        Slot::Login(w) => commands::matching(&w, logins).first().map(|l| {
            let at = if word.starts_with('@') { "@" } else { "" };
            format!("{at}{l} ")
        }),
        Slot::Word(w) => commands::matching(&w, logins)
            .first()
            .map(|l| format!("{l} ")),
        Slot::Emoji(code) => emoji::search(&code, 1)
            .first()
            .map(|e| e.as_str().to_owned()),
        Slot::Nothing => None,
    }?;
    let after: String = text.chars().skip(cursor).collect();
    let head = &before[..word_start];
    let new_cursor = head.chars().count() + replacement.chars().count();
    *text = format!("{head}{replacement}{after}");
    Some(new_cursor)
}

/// The emoji button and its picker; returns the emoji picked this frame.
fn emoji_button(ui: &mut Ui, t: &Texts, box_id: egui::Id, recent: &[String]) -> Option<String> {
    let face = RichText::new("😊")
        .size(17.0)
        .color(ui.visuals().strong_text_color());
    let button = ui
        .add(egui::Button::new(face).min_size(egui::vec2(34.0, 30.0)))
        .on_hover_text(t.emoji)
        .accessible_name(t.emoji);
    let picker_id = box_id.with("emoji-picker");
    let mut picked = None;
    let opened = button.clicked() && !egui::Popup::is_id_open(ui.ctx(), picker_id);
    egui::Popup::from_toggle_button_response(&button)
        .id(picker_id)
        .close_behavior(egui::PopupCloseBehavior::CloseOnClickOutside)
        .show(|ui| picked = emoji_picker(ui, t, picker_id, recent, opened));
    if picked.is_some() {
        egui::Popup::close_id(ui.ctx(), picker_id);
    }
    picked
}

/// The picker: a search by name or short code, the recently used, and every emoji the fonts
/// draw, by group.
pub(crate) fn emoji_picker(
    ui: &mut Ui,
    t: &Texts,
    id: egui::Id,
    recent: &[String],
    opened: bool,
) -> Option<String> {
    let width = (ui.ctx().content_rect().width() - 24.0).clamp(240.0, 360.0);
    ui.set_width(width);
    let query_id = id.with("query");
    let group_id = id.with("group");
    let mut query = ui
        .data(|d| d.get_temp::<String>(query_id))
        .unwrap_or_default();
    let field = crate::ui::labelled_field(ui, t.emoji_search, &mut query, |e| {
        e.desired_width(f32::INFINITY)
    });
    if opened {
        field.request_focus();
    }
    ui.data_mut(|d| d.insert_temp(query_id, query.clone()));
    let font = egui::FontId::proportional(20.0);
    // egui draws one glyph a character: a sequence joined by U+200D would show as its parts.
    let drawable = |ui: &Ui, e: &emoji::Emoji| {
        !e.as_str().contains('\u{200d}') && ui.fonts_mut(|f| f.has_glyphs(&font, e.as_str()))
    };
    let mut picked = None;
    let columns = ((width / 32.0).floor() as usize).max(6);
    if !query.trim().is_empty() {
        let found: Vec<&emoji::Emoji> = emoji::search(&query, usize::MAX)
            .into_iter()
            .filter(|e| drawable(ui, e))
            .take(240)
            .collect();
        if found.is_empty() {
            ui.label(RichText::new(t.find_none).weak());
        }
        egui::ScrollArea::vertical()
            .id_salt(id.with("found"))
            .max_height(260.0)
            .show(ui, |ui| {
                picked = emoji_grid(ui, id.with("found-grid"), &found, columns)
            });
        return picked;
    }
    let recent: Vec<&emoji::Emoji> = recent.iter().filter_map(|g| emoji::get(g)).collect();
    if !recent.is_empty() {
        ui.label(RichText::new(t.emoji_recent).weak());
        picked = emoji_grid(ui, id.with("recent-grid"), &recent, columns);
        ui.separator();
    }
    let mut group = ui
        .data(|d| d.get_temp::<usize>(group_id))
        .unwrap_or_default();
    ui.horizontal_wrapped(|ui| {
        for (i, g) in emoji::groups().enumerate() {
            let icon = emoji::in_group(g).next().map_or("?", |e| e.as_str());
            let name = group_name(t, g);
            if ui
                .selectable_label(group == i, RichText::new(icon).size(18.0))
                .on_hover_text(name)
                .accessible_name(name)
                .clicked()
            {
                group = i;
            }
        }
    });
    ui.data_mut(|d| d.insert_temp(group_id, group));
    if let Some(g) = emoji::groups().nth(group) {
        ui.label(RichText::new(group_name(t, g)).weak());
        let shown: Vec<&emoji::Emoji> = emoji::in_group(g).filter(|e| drawable(ui, e)).collect();
        egui::ScrollArea::vertical()
            .id_salt(id.with("group-scroll"))
            .max_height(220.0)
            .show(ui, |ui| {
                if let Some(e) = emoji_grid(ui, id.with(("group-grid", group)), &shown, columns) {
                    picked = Some(e);
                }
            });
    }
    picked
}

/// A grid of emoji buttons; returns the one clicked.
fn emoji_grid(
    ui: &mut Ui,
    id: egui::Id,
    shown: &[&emoji::Emoji],
    columns: usize,
) -> Option<String> {
    let mut picked = None;
    egui::Grid::new(id).spacing([2.0, 2.0]).show(ui, |ui| {
        for (i, e) in shown.iter().enumerate() {
            let code = emoji::code(e);
            let b = ui
                .add(
                    egui::Button::new(RichText::new(e.as_str()).size(20.0))
                        .frame(false)
                        .min_size(egui::vec2(30.0, 30.0)),
                )
                .accessible_name(code)
                .on_hover_text(format!(":{code}:"));
            if b.clicked() {
                picked = Some(e.as_str().to_owned());
            }
            if i % columns == columns - 1 {
                ui.end_row();
            }
        }
    });
    picked
}

/// A group's name in the interface's language.
fn group_name(t: &Texts, group: emoji::Group) -> &'static str {
    match group {
        emoji::Group::SmileysAndEmotion => t.emoji_smileys,
        emoji::Group::PeopleAndBody => t.emoji_people,
        emoji::Group::AnimalsAndNature => t.emoji_nature,
        emoji::Group::FoodAndDrink => t.emoji_food,
        emoji::Group::TravelAndPlaces => t.emoji_travel,
        emoji::Group::Activities => t.emoji_activities,
        emoji::Group::Objects => t.emoji_objects,
        emoji::Group::Symbols => t.emoji_symbols,
        emoji::Group::Flags => t.emoji_flags,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tab_completes_the_word_before_the_cursor() {
        let logins = ["finn".to_owned(), "Fiona".to_owned()];
        let rooms = ["games".to_owned()];
        let names = Names {
            logins: &logins,
            rooms: &rooms,
        };
        let mut text = "hi fi and".to_owned();
        assert_eq!(complete_word(&mut text, 5, names), Some(8));
        assert_eq!(text, "hi finn  and");
        let mut text = "#gR ga".to_owned();
        assert_eq!(complete_word(&mut text, 6, names), Some(10));
        assert_eq!(text, "#gR games ");
        let mut text = "#c".to_owned();
        complete_word(&mut text, 2, names);
        assert_eq!(text, "#cR ");
        let mut text = "zz".to_owned();
        assert_eq!(complete_word(&mut text, 2, names), None);
        assert_eq!(text, "zz");
    }

    #[test]
    fn an_emoji_goes_where_the_cursor_is() {
        let mut text = "año nuevo".to_owned();
        assert_eq!(insert_at(&mut text, Some(3), " 🎉"), 5);
        assert_eq!(text, "año 🎉 nuevo");
        assert_eq!(insert_at(&mut text, None, "!"), 12);
    }
}
