//! A line's reactions as chips under it: the emoji and how many put it there, the user's own
//! highlighted; a click puts the user's on or takes it off; hovering tells who reacted.

use std::sync::Arc;

use chat_core::protocol::Reaction;
use chat_core::validate::login_key;
use egui::{FontId, Galley, Pos2, Rect, Ui, Vec2, pos2, vec2};

use crate::i18n::{Texts, fill};
use crate::ui::Intent;
use crate::ui::actions::{LineAction, LineRef};

/// Space between chips, and above the first row of them.
const GAP: f32 = 4.0;
/// Inner margin of a chip.
const PAD: Vec2 = vec2(7.0, 2.0);

/// The chips of one line, laid out.
#[derive(Debug, Clone, Default)]
pub struct Chips {
    chips: Vec<Chip>,
    /// Their height, the gap above them included (0 without reactions).
    pub height: f32,
}

#[derive(Debug, Clone)]
struct Chip {
    rect: Rect,
    galley: Arc<Galley>,
    emoji: String,
    count: u32,
    mine: bool,
    by: Vec<String>,
}

/// Lays out `reactions` in rows `width` wide; `me` marks the user's own.
pub fn layout(ui: &Ui, reactions: &[Reaction], me: &str, width: f32) -> Chips {
    if reactions.is_empty() {
        return Chips::default();
    }
    let font = FontId::proportional(egui::TextStyle::Body.resolve(ui.style()).size - 1.0);
    let color = ui.visuals().text_color();
    let me = login_key(me);
    let mut chips = Vec::new();
    let (mut x, mut y) = (0.0, GAP);
    let mut row_height: f32 = 0.0;
    for reaction in reactions {
        let text = format!("{} {}", reaction.emoji, reaction.count);
        let galley = ui.painter().layout_no_wrap(text, font.clone(), color);
        let size = galley.size() + 2.0 * PAD;
        if x > 0.0 && x + size.x > width {
            x = 0.0;
            y += row_height + GAP;
            row_height = 0.0;
        }
        chips.push(Chip {
            rect: Rect::from_min_size(pos2(x, y), size),
            galley,
            emoji: reaction.emoji.clone(),
            count: reaction.count,
            mine: reaction.by.iter().any(|b| login_key(b) == me),
            by: reaction.by.clone(),
        });
        x += size.x + GAP;
        row_height = row_height.max(size.y);
    }
    Chips {
        chips,
        height: y + row_height,
    }
}

/// Draws `chips` from `at`; a click asks to put the user's reaction on or take it off.
pub fn paint(ui: &mut Ui, t: &Texts, chips: &Chips, at: Pos2, line: &LineRef) -> Vec<Intent> {
    let mut intents = Vec::new();
    for chip in &chips.chips {
        let rect = chip.rect.translate(at.to_vec2());
        let button = egui::Button::selectable(chip.mine, Arc::clone(&chip.galley))
            .corner_radius(10.0)
            .min_size(rect.size());
        let response = ui.put(rect, button).on_hover_text(who_reacted(t, chip));
        if response.clicked() {
            let action = LineAction::React {
                emoji: chip.emoji.clone(),
                on: !chip.mine,
            };
            intents.push(Intent::Line(line.clone(), action));
        }
    }
    intents
}

/// "ana, bob and 3 more reacted with 👍".
fn who_reacted(t: &Texts, chip: &Chip) -> String {
    let listed = u32::try_from(chip.by.len()).unwrap_or(u32::MAX);
    let names = chip.by.join(", ");
    if chip.count > listed {
        fill(
            t.reacted_by_more,
            &[&names, &(chip.count - listed), &chip.emoji],
        )
    } else {
        fill(t.reacted_by, &[&names, &listed, &chip.emoji])
    }
}
