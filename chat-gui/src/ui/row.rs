//! One line of a room or conversation: laid out once into galleys (which gives its exact height
//! for [`chat_model::timeline`]) and then drawn, shared by rooms and private conversations.
//!
//! People's lines read like a modern chat: the first line of a sender's group carries a coloured
//! initial, their name and the time; the lines after it sit under it in the same text column,
//! wrapped, at full contrast. The program's notices (joins, moves, refusals, the connection) are
//! set apart: an icon in the initials' column, smaller and dimmer text, their own colour.
//! Answers to `#help` and `#lR` are cards with one entry a line.

use std::sync::Arc;

use chat_core::protocol::{Attachment, ErrorCode, ModAction};
use chat_model::commands::Cmd;
use chat_model::history::{Delivery, History, LineKind};
use egui::text::{LayoutJob, TextFormat};
use egui::{Align2, Color32, FontId, Galley, Pos2, Rect, Sense, Ui, Vec2, pos2, vec2};

use crate::i18n::{Texts, fill};
use crate::ui::actions::{self, LineRef, Offer, Viewer};
use crate::ui::card::{self, CARD_MARGIN, Card, Pens, job};
use crate::ui::extras::{self, Around};
use crate::ui::markdown::{self, Ink, Rich};
use crate::ui::{Intent, clock_time, date_time, own_color, peer_color};

/// Width of the column of initials and notice icons, left of the text.
pub const GUTTER: f32 = 56.0;
/// Space right of the text.
const RIGHT_PAD: f32 = 14.0;
/// Diameter of a sender's initial.
const AVATAR: f32 = 34.0;
/// Space above the first line of a group.
const GROUP_PAD: f32 = 10.0;
/// Space above a line that continues a group.
const LINE_PAD: f32 = 2.0;
/// Space above and below a notice.
const NOTICE_PAD: f32 = 5.0;

/// Fonts and colours of rows, read from the style once a frame.
#[derive(Debug, Clone)]
pub struct Look {
    body: FontId,
    small: FontId,
    mono: FontId,
    text: Color32,
    weak: Color32,
    error: Color32,
    warn: Color32,
    good: Color32,
    own: Color32,
    card: Color32,
    hover: Color32,
    dark: bool,
    /// The fonts and colours of message text.
    ink: Ink,
    /// Height of a row of body text.
    pub row_height: f32,
    /// Average width of a character of body text, for estimates.
    pub char_width: f32,
}

impl Look {
    /// The fonts and colours of cards.
    fn pens(&self) -> Pens<'_> {
        Pens {
            body: &self.body,
            mono: &self.mono,
            text: self.text,
            weak: self.weak,
        }
    }

    /// The look of rows in this `ui`'s style.
    pub fn of(ui: &Ui) -> Look {
        let style = ui.style();
        let body = egui::TextStyle::Body.resolve(style);
        let small = egui::TextStyle::Small.resolve(style);
        let mono = egui::TextStyle::Monospace.resolve(style);
        let (row_height, char_width) = ui.fonts_mut(|f| {
            let sample = "the quick brown fox jumps over a lazy dog, THEN IT";
            let width: f32 = sample.chars().map(|c| f.glyph_width(&body, c)).sum();
            #[allow(clippy::cast_precision_loss)]
            let per_char = width / sample.chars().count() as f32;
            (f.row_height(&body), per_char)
        });
        let v = &style.visuals;
        let (found, found_current) = if v.dark_mode {
            (
                Color32::from_rgb(0x5c, 0x4b, 0x12),
                Color32::from_rgb(0xb3, 0x6b, 0x00),
            )
        } else {
            (
                Color32::from_rgb(0xff, 0xe9, 0x8f),
                Color32::from_rgb(0xff, 0xa9, 0x3a),
            )
        };
        Look {
            ink: Ink::of(ui, found, found_current),
            body,
            small,
            mono,
            text: v.text_color(),
            weak: v.weak_text_color(),
            error: v.error_fg_color,
            warn: v.warn_fg_color,
            good: crate::ui::success_color(ui),
            own: own_color(ui),
            card: if v.dark_mode {
                Color32::from_gray(44)
            } else {
                Color32::from_gray(228)
            },
            hover: v.faint_bg_color,
            dark: v.dark_mode,
            row_height,
            char_width,
        }
    }
}

/// One line, laid out.
#[derive(Debug, Clone)]
pub struct Row {
    /// Its height, spacing included.
    pub height: f32,
    top: f32,
    parts: Parts,
}

// Most rows are messages: boxing the largest variant would cost every row an allocation to
// save the few notices and dividers some bytes.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
enum Parts {
    Message {
        header: Option<Header>,
        body: Rich,
        /// The quote above, the marks after, the reactions under.
        around: Around,
        /// The line as actions name it (a numbered line someone said, not deleted).
        line: Option<LineRef>,
        offer: Offer,
        /// How it travelled, when that is worth saying (kept for later, sent while away).
        note: Option<Arc<Galley>>,
        time: Arc<Galley>,
        full_time: String,
        /// The files it carries, drawn under its text.
        files: Vec<Attachment>,
    },
    /// A rule across the row with words in its middle.
    Divider(Arc<Galley>),
    Notice {
        icon: Arc<Galley>,
        body: Arc<Galley>,
    },
    Card(Card),
}

#[derive(Debug, Clone)]
struct Header {
    from: String,
    own: bool,
    name: Arc<Galley>,
    initial: Arc<Galley>,
    color: Color32,
}

fn format(font: &FontId, color: Color32) -> TextFormat {
    TextFormat::simple(font.clone(), color)
}

/// The width text wraps at in a row `width` wide.
pub fn text_width(width: f32) -> f32 {
    (width - GUTTER - RIGHT_PAD).max(40.0)
}

/// What the find bar looks for, to highlight in a line.
#[derive(Debug, Clone, Copy)]
pub struct Mark<'a> {
    /// The text looked for.
    pub query: &'a str,
    /// Whether this line holds the match shown now.
    pub current: bool,
}

/// A guess of line `i`'s height without laying it out: its length over the width.
pub fn estimate(look: &Look, history: &History, i: usize, width: f32) -> f32 {
    let Some(line) = history.get(i) else {
        return 0.0;
    };
    let text_w = text_width(width);
    let rows = |chars: usize| {
        #[allow(clippy::cast_precision_loss)]
        let wide = chars as f32 * look.char_width;
        (wide / text_w).ceil().max(1.0)
    };
    match &line.kind {
        LineKind::Message { text, delivery, .. } => {
            let rows: f32 = text.split('\n').map(|l| rows(l.chars().count())).sum();
            let mut body = rows * look.row_height;
            if *delivery != Delivery::Direct {
                body += look.row_height;
            }
            body += crate::ui::files::attachments::height(None, &line.attachments, text_w);
            if history.starts_group(i) {
                GROUP_PAD + look.row_height + 2.0 + body
            } else {
                LINE_PAD + body
            }
        }
        LineKind::Help => card_height(look, Cmd::ALL.len() + 2),
        LineKind::RoomList(rooms) => card_height(look, rooms.len() + 1),
        _ => 2.0 * NOTICE_PAD + look.row_height,
    }
}

#[allow(clippy::cast_precision_loss)]
fn card_height(look: &Look, rows: usize) -> f32 {
    2.0 * NOTICE_PAD + 2.0 * CARD_MARGIN + rows as f32 * look.row_height
}

/// Lays out line `i` of `history` for a row `width` wide, as `viewer` sees it; `mark`
/// highlights what the find bar looks for.
#[allow(clippy::too_many_arguments)]
pub fn layout(
    ui: &Ui,
    t: &Texts,
    look: &Look,
    history: &History,
    i: usize,
    width: f32,
    mark: Option<Mark<'_>>,
    viewer: Viewer<'_>,
) -> Row {
    let painter = ui.painter();
    let text_w = text_width(width);
    let Some(line) = history.get(i) else {
        return Row {
            height: 0.0,
            top: 0.0,
            parts: Parts::Notice {
                icon: painter.layout_job(LayoutJob::default()),
                body: painter.layout_job(LayoutJob::default()),
            },
        };
    };
    match &line.kind {
        LineKind::Message {
            from,
            text,
            own,
            delivery,
        } => {
            let extras = line.id.and_then(|id| history.extras(id));
            let deleted = extras.is_some_and(|e| e.deleted.is_some());
            let body = if deleted {
                markdown::placeholder(ui, &look.ink, t.message_deleted, text_w)
            } else {
                let found = mark.map(|m| markdown::Found {
                    query: m.query,
                    current: m.current,
                });
                markdown::layout(ui, &look.ink, text, viewer.me, text_w, found)
            };
            let said = extras::Said {
                extras,
                own: *own,
                private: matches!(viewer.place, chat_core::protocol::Target::With(_)),
                delivery: *delivery,
                me: viewer.me,
            };
            let around = extras::layout(ui, t, said, &body, text_w);
            let line_ref = line.id.filter(|_| !deleted).map(|id| LineRef {
                target: viewer.target.clone(),
                place: viewer.place.clone(),
                line: id,
                from: from.clone(),
                text: text.clone(),
                files: line.attachments.iter().map(|f| f.name.clone()).collect(),
                mentions: body.mentions,
            });
            let offer = Offer {
                own: *own,
                moderator: viewer.moderator,
                room: matches!(viewer.place, chat_core::protocol::Target::Room(_)),
            };
            let note = match delivery {
                Delivery::Direct => None,
                Delivery::Kept => Some(format!("⏳ {}", t.kept_for_later)),
                Delivery::WhileAway => Some(format!(
                    "✉ {}",
                    fill(t.sent_while_away, &[&date_time(line.time_ms)])
                )),
            }
            .map(|n| painter.layout_job(job(&n, &look.small, look.weak, text_w)));
            let time = painter.layout_job(job(
                &clock_time(line.time_ms, false),
                &look.small,
                look.weak,
                f32::INFINITY,
            ));
            let header = history
                .starts_group(i)
                .then(|| header(ui, t, look, from, *own, text_w));
            let (top, header_h) = match &header {
                Some(h) => (GROUP_PAD, h.name.size().y + 2.0),
                None => (LINE_PAD, 0.0),
            };
            let note_h = note.as_ref().map_or(0.0, |n| n.size().y + 6.0);
            let shelf = crate::ui::files::shelf(ui.ctx());
            let files_h =
                crate::ui::files::attachments::height(Some(&shelf), &line.attachments, text_w);
            Row {
                height: top
                    + header_h
                    + around.quote_height
                    + body.size.y
                    + around.marks_height
                    + around.chips.height
                    + note_h
                    + files_h,
                top,
                parts: Parts::Message {
                    header,
                    body,
                    around,
                    line: line_ref,
                    offer,
                    note,
                    time,
                    full_time: clock_time(line.time_ms, true),
                    files: line.attachments.clone(),
                },
            }
        }
        LineKind::Help => card_row(card::layout(painter, look.pens(), card::help(t), text_w)),
        LineKind::RoomList(rooms) => card_row(card::layout(
            painter,
            look.pens(),
            card::rooms(t, rooms),
            text_w,
        )),
        LineKind::EarlierAbove => {
            let label = painter.layout_job(job(
                &format!("↑ {}", t.earlier_messages),
                &look.small,
                look.weak,
                f32::INFINITY,
            ));
            Row {
                height: 2.0 * NOTICE_PAD + look.row_height,
                top: NOTICE_PAD,
                parts: Parts::Divider(label),
            }
        }
        kind => {
            let (icon, color, text) = notice(t, look, kind);
            let mut job = job(&text, &look.body, color, text_w);
            job.append(
                &format!("   {}", clock_time(line.time_ms, false)),
                0.0,
                format(&look.small, look.weak),
            );
            let body = painter.layout_job(job);
            let icon = painter.layout_job(self::job(icon, &look.body, color, f32::INFINITY));
            Row {
                height: 2.0 * NOTICE_PAD + body.size().y,
                top: NOTICE_PAD,
                parts: Parts::Notice { icon, body },
            }
        }
    }
}

fn header(ui: &Ui, t: &Texts, look: &Look, from: &str, own: bool, wrap: f32) -> Header {
    let painter = ui.painter();
    let color = if own { look.own } else { peer_color(ui, from) };
    let mut name = job(from, &look.body, color, wrap);
    if own {
        name.append(&format!(" ({})", t.you), 0.0, format(&look.body, look.weak));
    }
    let initial: String = from.chars().next().unwrap_or('?').to_uppercase().collect();
    let on_color = if look.dark {
        Color32::from_gray(20)
    } else {
        Color32::WHITE
    };
    Header {
        from: from.to_owned(),
        own,
        name: painter.layout_job(name),
        initial: painter.layout_job(job(&initial, &look.body, on_color, f32::INFINITY)),
        color,
    }
}

/// A card as a row of the lines, with room around it.
fn card_row((card, height): (Card, f32)) -> Row {
    Row {
        height: 2.0 * NOTICE_PAD + 2.0 * CARD_MARGIN + height,
        top: NOTICE_PAD,
        parts: Parts::Card(card),
    }
}

/// The icon, colour and words of a notice.
fn notice(t: &Texts, look: &Look, kind: &LineKind) -> (&'static str, Color32, String) {
    match kind {
        LineKind::Joined(who) => ("→", look.weak, fill(t.line_joined, &[who])),
        LineKind::Left(who) => ("←", look.weak, fill(t.line_left, &[who])),
        LineKind::Entered { room, after: None } => ("⌂", look.weak, fill(t.line_entered, &[room])),
        LineKind::Entered {
            room,
            after: Some((closed, closure)),
        } => (
            "⌂",
            look.weak,
            fill(t.line_moved, &[&t.room_closed(closed, *closure), room]),
        ),
        LineKind::RoomClosed { room, closure } => ("✖", look.weak, t.room_closed(room, *closure)),
        LineKind::RoomDeleted(room) => ("✖", look.weak, fill(t.line_you_deleted, &[room])),
        LineKind::Refused(refusal) => ("⚠", look.error, t.refusal(refusal)),
        LineKind::UnknownCommand(word) => ("⚠", look.error, fill(t.unknown_command, &[word])),
        LineKind::Usage(cmd) => ("⚠", look.error, fill(t.usage, &[&t.command(*cmd).syntax])),
        LineKind::TooManyLines(max) => ("⚠", look.error, fill(t.too_many_lines, &[max])),
        LineKind::ConnectionLost => ("⚠", look.warn, t.line_lost.to_owned()),
        LineKind::ConnectionBack => ("✓", look.good, t.line_back.to_owned()),
        LineKind::Moderated {
            action,
            login,
            until,
            seconds,
            by,
        } => {
            let login = login.as_deref().unwrap_or("?");
            match action {
                ModAction::Mute => {
                    let until = until.map_or_else(String::new, |u| clock_time(u, false));
                    ("🔇", look.warn, fill(t.line_muted, &[&login, by, &until]))
                }
                ModAction::Unmute => ("🔈", look.weak, fill(t.line_unmuted, &[&login, by])),
                ModAction::Readmit => ("↩", look.weak, fill(t.line_readmitted, &[&login, by])),
                ModAction::Voice => ("🔊", look.weak, fill(t.line_voiced, &[&login, by])),
                ModAction::Devoice => ("🔈", look.weak, fill(t.line_devoiced, &[&login, by])),
                ModAction::Remove => ("⛔", look.warn, fill(t.line_removed, &[&login, by])),
                ModAction::Slow => match seconds.unwrap_or(0) {
                    0 => ("🐢", look.weak, fill(t.line_slow_off, &[by])),
                    n => ("🐢", look.weak, fill(t.line_slow, &[by, &n])),
                },
                ModAction::Unknown => ("⚑", look.weak, fill(t.line_order_kept, &[by])),
            }
        }
        LineKind::Wait {
            code,
            until,
            after_ms,
        } => {
            let words = match code {
                ErrorCode::Muted => fill(t.error_muted_until, &[&clock_time(*until, false)]),
                _ => fill(t.error_slow_mode_wait, &[&after_ms.div_ceil(1000)]),
            };
            ("⏳", look.warn, words)
        }
        LineKind::KeptDropped(count) => ("⚠", look.warn, fill(t.line_kept_dropped, &[count])),
        LineKind::Saved(path) => ("✓", look.good, fill(t.line_saved, &[path])),
        LineKind::SaveFailed(path) => ("⚠", look.error, fill(t.line_save_failed, &[path])),
        LineKind::EarlierAbove => ("", look.weak, t.earlier_messages.to_owned()),
        // Drawn as messages and cards, not notices.
        LineKind::Message { text, .. } => ("", look.text, text.clone()),
        LineKind::Help => ("", look.text, t.line_help.to_owned()),
        LineKind::RoomList(_) => ("", look.text, t.line_room_list.to_owned()),
    }
}

/// Draws `row` with its top-left corner at `at`, `width` wide, as `viewer` sees it; `id` is the
/// line's own. Clicking a sender's name asks to write to them privately.
#[allow(clippy::too_many_arguments)]
pub fn paint(
    ui: &mut Ui,
    t: &Texts,
    look: &Look,
    row: &Row,
    at: Pos2,
    width: f32,
    id: egui::Id,
    viewer: Viewer<'_>,
) -> Vec<Intent> {
    let mut intents = Vec::new();
    let rect = Rect::from_min_size(at, vec2(width, row.height));
    let hovered = ui.rect_contains_pointer(rect) && ui.ui_contains_pointer();
    let text_x = at.x + GUTTER;
    let y = at.y + row.top;
    match &row.parts {
        Parts::Message {
            header,
            body,
            around,
            line,
            offer,
            note,
            time,
            full_time,
            files,
        } => {
            let band_rect = Rect::from_min_max(pos2(rect.left(), y - 1.0), rect.max);
            if let Some(line) = line {
                intents.extend(actions::row_widget(
                    ui, t, band_rect, id, line, *offer, viewer,
                ));
            }
            let keyboard = actions::has_keyboard(ui, id);
            if keyboard {
                ui.painter().rect_stroke(
                    band_rect.shrink(1.0),
                    4.0,
                    ui.visuals().selection.stroke,
                    egui::StrokeKind::Inside,
                );
            }
            if hovered {
                let band = Rect::from_min_max(pos2(rect.left(), y - 1.0), rect.max);
                ui.painter().rect_filled(band, 4.0, look.hover);
            }
            let mut body_y = y;
            if let Some(h) = header {
                let center = pos2(at.x + GUTTER / 2.0, y + AVATAR / 2.0);
                ui.painter().circle_filled(center, AVATAR / 2.0, h.color);
                ui.painter().galley(
                    center - h.initial.size() / 2.0,
                    Arc::clone(&h.initial),
                    look.text,
                );
                let name = place(ui, pos2(text_x, y), &h.name, !h.own);
                if !h.own {
                    let name = name.on_hover_text(fill(t.write_to, &[&h.from]));
                    if name.clicked() {
                        intents.push(Intent::OpenPrivate(h.from.clone()));
                    }
                }
                let time_at = pos2(
                    text_x + h.name.size().x + 10.0,
                    y + (h.name.size().y - time.size().y) / 2.0 + 1.0,
                );
                place(ui, time_at, time, false).on_hover_text(full_time);
                body_y += h.name.size().y + 2.0;
            } else if hovered {
                let pos = pos2(
                    text_x - 8.0,
                    body_y + (look.row_height - time.size().y) / 2.0,
                );
                let painter = ui.painter();
                let r = Align2::RIGHT_TOP.anchor_size(pos, time.size());
                painter.galley(r.min, Arc::clone(time), look.weak);
            }
            intents.extend(extras::paint_quote(
                ui,
                t,
                around,
                pos2(text_x, body_y),
                line.as_ref(),
            ));
            body_y += around.quote_height;
            markdown::paint(ui, t, &look.ink, body, pos2(text_x, body_y), id);
            let chips_y = body_y + body.size.y + around.marks_height;
            intents.extend(extras::paint_after(
                ui,
                t,
                around,
                pos2(text_x, body_y),
                pos2(text_x, chips_y),
                line.as_ref(),
            ));
            if let Some(note) = note {
                let note_y = chips_y + around.chips.height + 2.0;
                place(ui, pos2(text_x, note_y), note, false);
            }
            if let Some(line) = line
                && (hovered || keyboard || actions::bar_menu_open(ui, id))
            {
                intents.extend(actions::bar(ui, t, band_rect, id, line, *offer, viewer));
            }
            if !files.is_empty() {
                // Under the reactions and the note, as the row's height counts them.
                let files_y =
                    chips_y + around.chips.height + note.as_ref().map_or(0.0, |n| n.size().y + 6.0);
                let text_w = text_width(width);
                intents.extend(crate::ui::files::attachments::paint(
                    ui,
                    t,
                    files,
                    pos2(text_x, files_y),
                    text_w,
                    viewer.target,
                ));
            }
        }
        Parts::Divider(label) => {
            let mid_y = y + look.row_height / 2.0;
            let center_x = at.x + width / 2.0;
            let half = label.size().x / 2.0 + 10.0;
            let stroke = egui::Stroke::new(1.0, look.weak.gamma_multiply(0.5));
            let painter = ui.painter();
            painter.hline((text_x)..=(center_x - half), mid_y, stroke);
            painter.hline(
                (center_x + half)..=(at.x + width - RIGHT_PAD),
                mid_y,
                stroke,
            );
            let label_at = pos2(
                center_x - label.size().x / 2.0,
                mid_y - label.size().y / 2.0,
            );
            place(ui, label_at, label, false);
        }
        Parts::Notice { icon, body } => {
            let icon_at = pos2(
                at.x + (GUTTER - icon.size().x) / 2.0,
                y + (look.row_height - icon.size().y) / 2.0,
            );
            ui.painter().galley(icon_at, Arc::clone(icon), look.weak);
            place(ui, pos2(text_x, y), body, false);
        }
        Parts::Card(card) => {
            let back = Rect::from_min_size(
                pos2(text_x - CARD_MARGIN, y),
                card.size + Vec2::splat(2.0 * CARD_MARGIN),
            );
            ui.painter().rect_filled(back, 6.0, look.card);
            let mut at = y + CARD_MARGIN;
            place(ui, pos2(text_x, at), &card.title, false);
            at += card.title.size().y + 4.0;
            for (first, second) in &card.rows {
                place(ui, pos2(text_x, at), first, false);
                let second_y = if card.stacked {
                    at + first.size().y
                } else {
                    at
                };
                place(ui, pos2(text_x + card.column, second_y), second, false);
                at += card::entry_height(card.stacked, first, second);
            }
            if let Some(footer) = &card.footer {
                place(ui, pos2(text_x, at + 4.0), footer, false);
            }
        }
    }
    intents
}

/// Puts a laid-out text at `at` as a selectable label (clickable when `click`).
fn place(ui: &mut Ui, at: Pos2, galley: &Arc<Galley>, click: bool) -> egui::Response {
    let rect = Rect::from_min_size(at, galley.size());
    let mut label = egui::Label::new(Arc::clone(galley)).selectable(!click);
    if click {
        label = label.sense(Sense::click());
    }
    ui.place(rect, label)
}
