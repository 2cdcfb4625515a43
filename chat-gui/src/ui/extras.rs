//! What a line shows around its text ([`chat_model::history::Extras`]): the quote of the line it
//! answers above it (a click shows that line), "(edited)" and the ticks of a private message
//! after it (sent ✓, delivered ✓✓, read ✓✓ in colour), and its reactions under it. Laid out
//! with the line, so the row's height counts them.

use std::sync::Arc;

use chat_core::protocol::{Quote, Receipt};
use chat_model::history::{Delivery, Extras};
use egui::{Color32, FontId, Galley, Pos2, Rect, Sense, Ui, Vec2, pos2, vec2};

use crate::i18n::{Texts, fill};
use crate::ui::Intent;
use crate::ui::actions::{LineAction, LineRef, one_line};
use crate::ui::card::job;
use crate::ui::markdown::Rich;
use crate::ui::reactions::{self, Chips};

/// Space between the quote and the line.
const QUOTE_GAP: f32 = 3.0;

/// What a line shows around its text, laid out.
#[derive(Debug, Clone, Default)]
pub struct Around {
    quote: Option<(Arc<Galley>, Quote)>,
    /// The quote's height, its gap included (0 without one).
    pub quote_height: f32,
    marks: Vec<(Arc<Galley>, &'static str)>,
    /// Where the marks start, from the text's top-left corner.
    marks_at: Vec2,
    /// Height the marks add under the text (0 when they fit after its last row).
    pub marks_height: f32,
    /// The reactions.
    pub chips: Chips,
}

/// What a line is, for what shows around it.
#[derive(Debug, Clone, Copy)]
pub struct Said<'a> {
    pub extras: Option<&'a Extras>,
    /// The user's own line.
    pub own: bool,
    /// A private message (ticks show on the user's own).
    pub private: bool,
    pub delivery: Delivery,
    pub me: &'a str,
}

/// Lays out what goes around `body` (the line's text, `width` wide).
pub fn layout(ui: &Ui, t: &Texts, said: Said<'_>, body: &Rich, width: f32) -> Around {
    let painter = ui.painter();
    let small = egui::TextStyle::Small.resolve(ui.style());
    let weak = ui.visuals().weak_text_color();
    let mut around = Around::default();
    let deleted = said.extras.is_some_and(|e| e.deleted.is_some());
    if let Some(quote) = said.extras.and_then(|e| e.reply_to.as_ref()) {
        let excerpt = if quote.excerpt.is_empty() {
            t.message_deleted.to_owned()
        } else {
            one_line(&quote.excerpt)
        };
        let text = format!("↪ {}: {excerpt}", quote.from);
        let mut quote_job = job(&text, &small, weak, width - 12.0);
        quote_job.wrap.max_rows = 1;
        let galley = painter.layout_job(quote_job);
        around.quote_height = galley.size().y + QUOTE_GAP;
        around.quote = Some((galley, quote.clone()));
    }
    if !deleted && said.extras.is_some_and(|e| e.edited.is_some()) {
        let galley = painter.layout_job(job(t.edited_mark, &small, weak, f32::INFINITY));
        around.marks.push((galley, t.edited_mark));
    }
    if said.own && said.private && !deleted {
        let receipt = said.extras.and_then(|e| e.receipt);
        let (ticks, color, words) = ticks(ui, t, receipt, said.delivery);
        let galley = painter.layout_job(job(
            ticks,
            &FontId::proportional(small.size),
            color,
            f32::INFINITY,
        ));
        around.marks.push((galley, words));
    }
    if !around.marks.is_empty() {
        let marks_width: f32 = around.marks.iter().map(|(g, _)| g.size().x + 6.0).sum();
        let marks_height = around
            .marks
            .iter()
            .map(|(g, _)| g.size().y)
            .fold(0.0, f32::max);
        match body.end() {
            Some((end, row_height)) if end.x + 6.0 + marks_width <= width => {
                around.marks_at = vec2(
                    end.x + 6.0,
                    end.y + (row_height - marks_height).max(0.0) - 1.0,
                );
            }
            _ => {
                around.marks_at = vec2(0.0, body.size.y + 2.0);
                around.marks_height = marks_height + 2.0;
            }
        }
    }
    if !deleted {
        let reactions = said.extras.map_or(&[][..], |e| e.reactions.as_slice());
        around.chips = reactions::layout(ui, reactions, said.me, width);
    }
    around
}

/// The ticks of one's own private message: the glyphs, their colour and their words.
fn ticks(
    ui: &Ui,
    t: &Texts,
    receipt: Option<Receipt>,
    delivery: Delivery,
) -> (&'static str, Color32, &'static str) {
    let weak = ui.visuals().weak_text_color();
    match (receipt, delivery) {
        (Some(Receipt::Read), _) => ("✓✓", crate::ui::own_color(ui), t.receipt_read),
        (Some(Receipt::Delivered), _) | (_, Delivery::Direct | Delivery::WhileAway) => {
            ("✓✓", weak, t.receipt_delivered)
        }
        (_, Delivery::Kept) => ("✓", weak, t.receipt_sent),
    }
}

/// Draws the quote with its top-left corner at `at`; a click on it asks to show the line it
/// quotes.
pub fn paint_quote(
    ui: &mut Ui,
    t: &Texts,
    around: &Around,
    at: Pos2,
    line: Option<&LineRef>,
) -> Vec<Intent> {
    let mut intents = Vec::new();
    let Some((galley, quote)) = &around.quote else {
        return intents;
    };
    let bar = Rect::from_min_size(at, vec2(3.0, galley.size().y));
    ui.painter()
        .rect_filled(bar, 1.5, ui.visuals().selection.bg_fill);
    let rect = Rect::from_min_size(at + vec2(9.0, 0.0), galley.size());
    let words = fill(t.reply_quote, &[&quote.from, &one_line(&quote.excerpt)]);
    let response = ui
        .place(
            rect,
            egui::Label::new(Arc::clone(galley)).sense(Sense::click()),
        )
        .on_hover_cursor(egui::CursorIcon::PointingHand)
        .on_hover_text(t.show_original);
    // A link: it leads to the line it quotes.
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Link, true, &words));
    if response.clicked()
        && let Some(line) = line
    {
        intents.push(Intent::Line(line.clone(), LineAction::Jump(quote.line)));
    }
    intents
}

/// Draws the marks after the text (whose top-left corner is `body_at`) and the reactions from
/// `chips_at`.
pub fn paint_after(
    ui: &mut Ui,
    t: &Texts,
    around: &Around,
    body_at: Pos2,
    chips_at: Pos2,
    line: Option<&LineRef>,
) -> Vec<Intent> {
    let mut x = body_at.x + around.marks_at.x;
    for (galley, words) in &around.marks {
        let rect = Rect::from_min_size(pos2(x, body_at.y + around.marks_at.y), galley.size());
        ui.place(
            rect,
            egui::Label::new(Arc::clone(galley)).sense(Sense::hover()),
        )
        .on_hover_text(*words)
        .accessible_name(*words);
        x += galley.size().x + 6.0;
    }
    match line {
        Some(line) => reactions::paint(ui, t, &around.chips, chips_at, line),
        None => Vec::new(),
    }
}
