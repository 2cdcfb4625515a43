//! Answers shown as cards among the lines (`#help`, `#lR`): a title, then a table of two
//! columns (what to type, what it does; a room, who is in it), each entry's second column
//! wrapping within its own column, then a closing line. Where the window is too narrow for the
//! two columns side by side, each entry takes two lines: no text is drawn over another.

use std::sync::Arc;

use chat_model::commands::Cmd;
use egui::text::LayoutJob;
use egui::{Color32, FontId, Galley, Vec2, vec2};

use crate::i18n::{Texts, fill};

/// Inner margin of a card.
pub const CARD_MARGIN: f32 = 8.0;

/// The fonts and colours a card is written in.
#[derive(Debug, Clone, Copy)]
pub struct Pens<'a> {
    /// Titles and second columns.
    pub body: &'a FontId,
    /// First columns (what to type).
    pub mono: &'a FontId,
    /// Titles and first columns.
    pub text: Color32,
    /// Second columns and closing lines.
    pub weak: Color32,
}

/// `text` in one font and colour, wrapping at `wrap` points.
pub fn job(text: &str, font: &FontId, color: Color32, wrap: f32) -> LayoutJob {
    let mut job = LayoutJob::simple(text.to_owned(), font.clone(), color, wrap);
    job.wrap.max_width = wrap;
    job
}

/// A card, laid out.
#[derive(Debug, Clone)]
pub struct Card {
    pub title: Arc<Galley>,
    pub rows: Vec<(Arc<Galley>, Arc<Galley>)>,
    pub footer: Option<Arc<Galley>>,
    /// Where the second column starts, from the card's text.
    pub column: f32,
    /// The second column goes under the first (too narrow for both side by side).
    pub stacked: bool,
    pub size: Vec2,
}

/// What a card says: its title, its entries (first and second column), its closing line.
pub struct CardText {
    title: String,
    rows: Vec<(String, String)>,
    footer: Option<String>,
}

/// Lays out a card `wrap` wide: the first column as wide as its widest entry, the second
/// wrapping in the rest.
pub fn layout(painter: &egui::Painter, look: Pens<'_>, text: CardText, wrap: f32) -> (Card, f32) {
    let inner = (wrap - 2.0 * CARD_MARGIN).max(80.0);
    let title = painter.layout_job(job(&text.title, look.body, look.text, inner));
    let firsts: Vec<Arc<Galley>> = text
        .rows
        .iter()
        .map(|(first, _)| painter.layout_job(job(first, look.mono, look.text, f32::INFINITY)))
        .collect();
    let widest = firsts.iter().map(|g| g.size().x).fold(0.0, f32::max);
    // Side by side while the first column takes at most half; else each entry on two lines,
    // so no text is ever drawn over another.
    let stacked = widest + 16.0 > inner * 0.5;
    let column = if stacked { STACK_INDENT } else { widest + 16.0 };
    let rows: Vec<(Arc<Galley>, Arc<Galley>)> = firsts
        .into_iter()
        .zip(&text.rows)
        .map(|(first, (first_text, second))| {
            let first = if stacked && first.size().x > inner {
                painter.layout_job(job(first_text, look.mono, look.text, inner))
            } else {
                first
            };
            let second = job(second, look.body, look.weak, (inner - column).max(60.0));
            (first, painter.layout_job(second))
        })
        .collect();
    let footer = text
        .footer
        .map(|f| painter.layout_job(job(&f, look.body, look.weak, inner)));
    let mut height = title.size().y + 4.0;
    for (first, second) in &rows {
        height += entry_height(stacked, first, second);
    }
    if let Some(footer) = &footer {
        height += 4.0 + footer.size().y;
    }
    let width = rows
        .iter()
        .map(|(first, second)| (column + second.size().x).max(first.size().x))
        .chain(std::iter::once(title.size().x))
        .chain(footer.iter().map(|f| f.size().x))
        .fold(0.0, f32::max);
    let size = vec2(width, height);
    let card = Card {
        title,
        rows,
        footer,
        column,
        stacked,
        size,
    };
    (card, height)
}

/// The indent of a stacked card's second column, in points.
const STACK_INDENT: f32 = 14.0;

/// The height of one entry of a card.
pub fn entry_height(stacked: bool, first: &Galley, second: &Galley) -> f32 {
    if stacked {
        first.size().y + second.size().y + 4.0
    } else {
        first.size().y.max(second.size().y) + 2.0
    }
}

/// `#help`: each command's syntax, then what it does.
pub fn help(t: &Texts) -> CardText {
    CardText {
        title: t.line_help.to_owned(),
        rows: Cmd::ALL
            .iter()
            .map(|cmd| {
                let text = t.command(*cmd);
                (text.syntax.to_owned(), text.summary.to_owned())
            })
            .collect(),
        footer: Some(t.line_help_footer.to_owned()),
    }
}

/// `#lR`: each room, its member count and who created it.
pub fn rooms(t: &Texts, rooms: &[chat_core::protocol::RoomInfo]) -> CardText {
    CardText {
        title: t.line_room_list.to_owned(),
        rows: rooms
            .iter()
            .map(|room| {
                let who = match &room.creator {
                    Some(creator) => fill(t.created_by, &[creator]),
                    None => t.default_room_mark.to_owned(),
                };
                let members = t.member_count(room.members);
                (room.name.clone(), format!("{members} · {who}"))
            })
            .collect(),
        footer: None,
    }
}
