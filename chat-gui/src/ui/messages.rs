//! The lines of a room or private conversation, newest at the bottom, drawn virtualised: only
//! the lines on screen are laid out, so a history of ten thousand wrapped lines scrolls and
//! resizes at full frame rate. [`chat_model::timeline`] keeps where each line sits; this module
//! measures the lines about to be seen, keeps the view still while it does, and draws them.
//!
//! The view follows the newest line until the user scrolls up; then it counts what arrived
//! meanwhile and offers a button back. A short history sits at the bottom, next to the input,
//! as in any chat. Scrolled to the top, it asks for the page of lines before (the server keeps
//! them); the page goes above without moving what is on screen. It can be sent to a line
//! (a find result), which it shows a third of the way down.

use chat_model::composer::Target;
use chat_model::history::{Changed, Earlier, History};
use chat_model::timeline::{Anchor, Timeline};
use egui::{Ui, pos2};

use crate::i18n::{Texts, fill};
use crate::limits::LOAD_EARLIER_WITHIN_POINTS;
use crate::ui::Intent;
use crate::ui::actions::Viewer;
use crate::ui::row::{self, Look, Mark};

/// Points of lines laid out beyond the top and bottom of the view, so a line is usually
/// measured before it shows.
const OVERSCAN: f32 = 200.0;

/// What a view remembers between frames.
#[derive(Debug, Default)]
pub struct View {
    timeline: Timeline,
    /// The viewport's height at the last frame.
    viewport_height: f32,
    /// The scroll offset at the end of the last frame.
    offset: f32,
    /// The history's end (as a sequence number) at the last frame, to count arrivals.
    seen_end: Option<u64>,
    /// A line to bring into view next frame, by sequence number.
    jump: Option<u64>,
    /// The history's revision the heights were measured at (lines change: edits, reactions).
    revision: u64,
}

impl View {
    /// Shows the line with sequence number `seq` next frame (and stops following the newest).
    pub fn reveal(&mut self, seq: u64) {
        self.jump = Some(seq);
    }

    /// Scrolls to the newest line and follows it again.
    pub fn follow(&mut self) {
        self.timeline.follow = true;
    }

    /// Whether the view shows the newest line, where new lines arrive.
    pub fn is_following(&self) -> bool {
        self.timeline.follow
    }
}

/// What the find bar highlights in a view.
#[derive(Debug, Clone, Copy)]
pub struct Highlight<'a> {
    /// The text looked for.
    pub query: &'a str,
    /// The line of the match shown now, by sequence number.
    pub current: Option<u64>,
}

/// The lines one view shows.
#[derive(Clone, Copy)]
pub struct Lines<'a> {
    /// Who looks at them, and what they may do there.
    pub viewer: Viewer<'a>,
    /// Whose lines (a page of earlier ones is asked for this target).
    pub target: &'a Target,
    /// Keeps each history's scroll position apart.
    pub salt: &'a str,
    /// The lines.
    pub history: &'a History,
    /// What the find bar highlights, if it is open over this view.
    pub highlight: Option<Highlight<'a>>,
}

/// Draws the lines in the rest of `ui`. `unseen` counts the lines that arrived while the user
/// was scrolled up (for rooms).
pub fn show(
    ui: &mut Ui,
    t: &Texts,
    lines: Lines<'_>,
    view: &mut View,
    unseen: Option<&mut u32>,
) -> Vec<Intent> {
    let Lines {
        viewer,
        target,
        salt,
        history,
        highlight,
    } = lines;
    let mut intents = Vec::new();
    let look = Look::of(ui);
    // Where the user left the view: last frame's offset, with that frame's wheel and drags.
    let previous_offset = view.offset;
    let viewport_height = if view.viewport_height > 0.0 {
        view.viewport_height
    } else {
        ui.available_height()
    };

    // Where the view was, by last frame's geometry, before anything moves; or the line it was
    // sent to, a third of the way down.
    let jump = view
        .jump
        .take()
        .filter(|seq| history.index_of_seq(*seq).is_some());
    let anchor = if let Some(seq) = jump {
        view.timeline.follow = false;
        Some(Anchor {
            seq,
            into: -viewport_height / 3.0,
        })
    } else if view.timeline.follow {
        None
    } else {
        view.timeline.anchor_at(previous_offset)
    };
    let width = (ui.available_width() - ui.spacing().scroll.allocated_width()).max(120.0);
    let end = history.end_seq();
    let arrived = view.seen_end.map_or(0, |seen| end.saturating_sub(seen));
    view.seen_end = Some(end);
    sync(&look, history, &mut view.timeline, width);
    // Lines that changed (edited, deleted, reactions, receipts) are measured again.
    match history.changed_since(view.revision) {
        Changed::Lines(lines) => lines.into_iter().for_each(|i| view.timeline.forget(i)),
        Changed::All => view.timeline.forget_all(),
    }
    view.revision = history.revision();

    // Measure what will be on screen, then place the view so the anchored line has not moved.
    let anchor_index = anchor.and_then(|a| view.timeline.index_of(a));
    match anchor_index {
        None => measure_up_from_end(
            ui,
            t,
            &look,
            (history, viewer),
            &mut view.timeline,
            viewport_height,
        ),
        Some(i) => measure_from(
            ui,
            t,
            &look,
            (history, viewer),
            &mut view.timeline,
            i,
            viewport_height,
        ),
    }
    view.timeline.relayout();
    let total = view.timeline.total();
    let max_offset = (total - viewport_height).max(0.0);
    let offset = match anchor {
        Some(a) => view
            .timeline
            .offset_of(a)
            .unwrap_or(max_offset)
            .clamp(0.0, max_offset),
        None => max_offset,
    };

    // No rubber band: the view places itself past last frame's end whenever lines arrive, which
    // the band would take for an overscroll and spring back from, frame after frame, with a
    // speed it keeps: the view would slide up by itself and stop following.
    ui.spacing_mut().scroll.kinetic.rubber_band = false;
    let output = egui::ScrollArea::vertical()
        .id_salt(("messages", salt))
        .auto_shrink([false, false])
        .scroll_bar_visibility(egui::scroll_area::ScrollBarVisibility::AlwaysVisible)
        .vertical_scroll_offset(offset)
        .show_viewport(ui, |ui, viewport| {
            let inner_width = ui.max_rect().width();
            if (inner_width - view.timeline.width()).abs() >= 0.5 {
                // The scroll bar took other room than guessed: heights are for another width.
                sync(&look, history, &mut view.timeline, inner_width);
                view.timeline.relayout();
                ui.ctx().request_repaint();
            }
            let total = view.timeline.total();
            // A short history sits at the bottom, next to the input.
            let pad = (viewport.height() - total).max(0.0);
            ui.set_min_height(total + pad);
            ui.set_min_width(inner_width);
            let origin = ui.max_rect().min;
            let visible = view
                .timeline
                .visible(viewport.min.y - pad, viewport.max.y - pad);
            let mut moved = false;
            for i in visible {
                let mark = highlight.filter(|h| !h.query.is_empty()).map(|h| Mark {
                    query: h.query,
                    current: h.current == Some(history.seq_of(i)),
                });
                let row = row::layout(ui, t, &look, history, i, inner_width, mark, viewer);
                moved |= view.timeline.measured(i, row.height);
                let at = pos2(origin.x, origin.y + pad + view.timeline.top(i));
                let id = ui.scope_id().with(("line", history.seq_of(i)));
                intents.extend(row::paint(ui, t, &look, &row, at, inner_width, id, viewer));
            }
            if moved {
                // A line turned out another height than assumed: place the rest anew.
                view.timeline.relayout();
                ui.ctx().request_repaint();
            }
        });

    let content = output.content_size.y;
    let inner = output.inner_rect.height();
    let now = output.state.clamped_offset().y;
    view.viewport_height = inner;
    view.offset = now;
    // Following stops only when the user scrolls up: the offset went down from where the view
    // was. An offset clamped short of the one asked for (the scroll area still knows last
    // frame's smaller content: new lines, another width) is no scroll of the user's.
    let moved_up = now < offset - 0.5 && now < previous_offset - 0.5;
    if view.timeline.follow && !moved_up && now < offset - 0.5 {
        ui.ctx().request_repaint();
    }
    let at_bottom = now + inner >= content - 2.0;
    view.timeline.follow = at_bottom || (view.timeline.follow && !moved_up);
    match history.earlier {
        Earlier::More if now <= LOAD_EARLIER_WITHIN_POINTS && !history.is_empty() => {
            intents.push(Intent::LoadEarlier(target.clone()));
        }
        Earlier::Loading => {
            let rect = output.inner_rect;
            egui::Area::new(ui.scope_id().with(("loading-earlier", salt)))
                .fixed_pos(pos2(rect.center().x, rect.top() + 8.0))
                .pivot(egui::Align2::CENTER_TOP)
                .interactable(false)
                .show(ui.ctx(), |ui| {
                    egui::Frame::popup(ui.style()).show(ui, |ui| {
                        ui.horizontal(|ui| {
                            ui.add(egui::Spinner::new());
                            ui.label(t.loading_earlier);
                        });
                    });
                });
        }
        Earlier::More | Earlier::None => {}
    }
    if let Some(unseen) = unseen {
        if view.timeline.follow {
            *unseen = 0;
        } else {
            *unseen = unseen.saturating_add(u32::try_from(arrived).unwrap_or(u32::MAX));
        }
        if *unseen > 0 {
            // Drawn in the view's own layer, over its lines and under every window and menu,
            // on one line however long the words.
            let text = egui::WidgetText::from(fill(t.new_messages, &[unseen]));
            let galley = text.clone().into_galley(
                ui,
                Some(egui::TextWrapMode::Extend),
                f32::INFINITY,
                egui::TextStyle::Button,
            );
            let size = galley.size() + 2.0 * ui.spacing().button_padding;
            let rect = output.inner_rect;
            let pill = egui::Rect::from_center_size(
                pos2(rect.center().x, rect.bottom() - 12.0 - size.y / 2.0),
                size,
            );
            let button = egui::Button::new(text).wrap_mode(egui::TextWrapMode::Extend);
            if ui.put(pill, button).clicked() {
                view.follow();
            }
        }
    }
    intents
}

/// The lines of a private conversation, as `me` sees them.
pub fn conversation(
    ui: &mut Ui,
    t: &Texts,
    conversation: &chat_model::chat::Conversation,
    view: &mut View,
    highlight: Option<Highlight<'_>>,
    (me, recent): (&str, &[String]),
) -> Vec<Intent> {
    let key = chat_core::validate::login_key(&conversation.peer);
    let salt = format!("private:{key}");
    let target = Target::Private(key);
    let place = chat_core::protocol::Target::With(conversation.peer.clone());
    let viewer = Viewer {
        me,
        target: &target,
        place: &place,
        moderator: false,
        recent,
    };
    let lines = Lines {
        viewer,
        target: &target,
        salt: &salt,
        history: &conversation.history,
        highlight,
    };
    show(ui, t, lines, view, None)
}

/// Brings the timeline up to date with the history at `width`.
fn sync(look: &Look, history: &History, timeline: &mut Timeline, width: f32) {
    timeline.sync(history.first_seq(), history.len(), width, |i, w| {
        row::estimate(look, history, i, w)
    });
}

/// Measures the newest lines, upward, until they fill the view.
fn measure_up_from_end(
    ui: &Ui,
    t: &Texts,
    look: &Look,
    lines: (&History, Viewer<'_>),
    timeline: &mut Timeline,
    height: f32,
) {
    let mut filled = 0.0;
    for i in (0..timeline.len()).rev() {
        if filled > height + OVERSCAN {
            break;
        }
        filled += measure(ui, t, look, lines, timeline, i);
    }
}

/// The height of line `i`, laid out if it was not measured at this width yet.
fn measure(
    ui: &Ui,
    t: &Texts,
    look: &Look,
    (history, viewer): (&History, Viewer<'_>),
    timeline: &mut Timeline,
    i: usize,
) -> f32 {
    if !timeline.is_measured(i) {
        let row = row::layout(ui, t, look, history, i, timeline.width(), None, viewer);
        timeline.measured(i, row.height);
    }
    timeline.height(i)
}

/// Measures a little above line `first` and from it down until the view is filled.
fn measure_from(
    ui: &Ui,
    t: &Texts,
    look: &Look,
    lines: (&History, Viewer<'_>),
    timeline: &mut Timeline,
    first: usize,
    height: f32,
) {
    let mut above = 0.0;
    for i in (0..first).rev() {
        if above > OVERSCAN {
            break;
        }
        above += measure(ui, t, look, lines, timeline, i);
    }
    let mut filled = 0.0;
    for i in first..timeline.len() {
        if filled > height + OVERSCAN {
            break;
        }
        filled += measure(ui, t, look, lines, timeline, i);
    }
}
