//! The centre of the main window: the current room's lines, drawn virtualised (only the rows on
//! screen are laid out) so a room with a hundred thousand lines scrolls at full frame rate. The
//! view follows the bottom unless the user scrolled up; then it counts what they have not seen.

use egui::Ui;

use crate::history::History;
use crate::i18n::{Texts, fill};
use crate::ui::lines::line_row;

/// What the view remembers between frames.
#[derive(Debug, Default)]
pub struct ScrollState {
    /// The next frame jumps to the newest line.
    pub jump_to_bottom: bool,
    /// Lines in the history at the last frame, and of which room.
    seen: (String, usize),
}

/// Draws `history` and updates `unseen`, the count of lines that arrived while scrolled up.
pub fn show(
    ui: &mut Ui,
    t: &Texts,
    room: &str,
    history: Option<&History>,
    unseen: &mut u32,
    state: &mut ScrollState,
) {
    let Some(history) = history else {
        return;
    };
    let row_height = ui
        .text_style_height(&egui::TextStyle::Body)
        .max(ui.text_style_height(&egui::TextStyle::Monospace))
        .max(ui.spacing().interact_size.y * 0.9);
    let mut area = egui::ScrollArea::vertical()
        .id_salt(("messages", room))
        .auto_shrink([false, false])
        .stick_to_bottom(true);
    if state.jump_to_bottom {
        // The content's full height: an offset past it would make the row range overflow.
        #[allow(clippy::cast_precision_loss)]
        let height = (row_height + ui.spacing().item_spacing.y) * history.len() as f32;
        area = area.vertical_scroll_offset(height);
        state.jump_to_bottom = false;
    }
    let output = area.show_rows(ui, row_height, history.len(), |ui, rows| {
        for line in rows.filter_map(|i| history.get(i)) {
            line_row(ui, t, line);
        }
    });
    let bottom = output.state.clamped_offset().y + output.inner_rect.height();
    let at_bottom = bottom >= output.content_size.y - row_height;
    let len = history.len();
    let (seen_room, seen_len) = &state.seen;
    if at_bottom {
        *unseen = 0;
    } else if seen_room == room && len > *seen_len {
        *unseen = unseen.saturating_add(u32::try_from(len - seen_len).unwrap_or(u32::MAX));
    }
    state.seen = (room.to_owned(), len);
    if *unseen > 0 {
        let rect = output.inner_rect;
        let pos = egui::pos2(rect.center().x, rect.bottom() - 36.0);
        egui::Area::new(egui::Id::unique("new-messages"))
            .fixed_pos(pos)
            .pivot(egui::Align2::CENTER_TOP)
            .show(ui.ctx(), |ui| {
                if ui.button(fill(t.new_messages, &[unseen])).clicked() {
                    state.jump_to_bottom = true;
                }
            });
    }
}
