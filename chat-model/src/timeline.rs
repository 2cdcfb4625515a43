//! Where each line of a history sits in its scrolling view, so only the lines on screen are laid
//! out however long the history is and however the lines wrap.
//!
//! Lines have different heights (text wraps; a sender's first line carries their name). Laying
//! out ten thousand lines to learn their heights would take a frame's whole budget, and again on
//! every change of width. Instead each line has an *estimate* (its length over the width) until
//! it has been on screen, then its *measured* height. Tops are prefix sums of those heights.
//!
//! Estimates are wrong by a few pixels, and a line measured for the first time would move every
//! line below it. The view stays still through an *anchor*: before measuring, the line at the
//! top of the view and how far into it the view starts are noted; after measuring, the scroll
//! offset is set so that same line is at that same place. While following the newest line the
//! view is anchored to the bottom instead, and lines are measured upward from the last one.
//!
//! Plain arithmetic, no drawing: tested here without a window.

use std::collections::VecDeque;
use std::ops::Range;

/// A height that was measured at the current width, or only estimated.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Entry {
    measured: Option<f32>,
    estimated: f32,
}

impl Entry {
    fn height(self) -> f32 {
        self.measured.unwrap_or(self.estimated)
    }
}

/// The line at the top of the view and how far into it the view starts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Anchor {
    /// The line's sequence number in its history (stable while older lines are dropped).
    pub seq: u64,
    /// Points from the line's top to the view's top.
    pub into: f32,
}

/// The geometry of one history's view.
#[derive(Debug, Clone)]
pub struct Timeline {
    width: f32,
    first_seq: u64,
    entries: VecDeque<Entry>,
    /// `tops[i]` is the top of line `i`; one more than lines: the last is the total height.
    tops: Vec<f32>,
    /// The view follows the newest line (it is scrolled to the bottom).
    pub follow: bool,
}

impl Default for Timeline {
    fn default() -> Self {
        Timeline {
            width: 0.0,
            first_seq: 0,
            entries: VecDeque::new(),
            tops: vec![0.0],
            follow: true,
        }
    }
}

impl Timeline {
    /// Lines known.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no line is known.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The width the heights are for.
    pub fn width(&self) -> f32 {
        self.width
    }

    /// The total height of every line.
    pub fn total(&self) -> f32 {
        self.tops.last().copied().unwrap_or(0.0)
    }

    /// The top of line `i`.
    pub fn top(&self, i: usize) -> f32 {
        self.tops.get(i).copied().unwrap_or_else(|| self.total())
    }

    /// The height of line `i` as known now.
    pub fn height(&self, i: usize) -> f32 {
        self.entries.get(i).map_or(0.0, |e| e.height())
    }

    /// Whether line `i` has been measured at the current width.
    pub fn is_measured(&self, i: usize) -> bool {
        self.entries.get(i).is_some_and(|e| e.measured.is_some())
    }

    /// The line at `offset` (a scroll position) by the tops of the last [`Timeline::relayout`],
    /// so it must be called before the history or the width change what the tops mean.
    pub fn anchor_at(&self, offset: f32) -> Option<Anchor> {
        if self.entries.is_empty() {
            return None;
        }
        let i = self.index_at(offset);
        Some(Anchor {
            seq: self.first_seq + i as u64,
            into: offset - self.top(i),
        })
    }

    /// The scroll offset that puts `anchor` where it was, by the current tops; `None` when its
    /// line is gone (dropped from the history).
    pub fn offset_of(&self, anchor: Anchor) -> Option<f32> {
        let i = anchor.seq.checked_sub(self.first_seq)?;
        let i = usize::try_from(i)
            .ok()
            .filter(|i| *i < self.entries.len())?;
        Some(self.top(i) + anchor.into)
    }

    /// The index of the line `anchor` names, if still held.
    pub fn index_of(&self, anchor: Anchor) -> Option<usize> {
        let i = anchor.seq.checked_sub(self.first_seq)?;
        usize::try_from(i).ok().filter(|i| *i < self.entries.len())
    }

    /// Follows the history: lines dropped at the front go, earlier lines put at the front and
    /// new lines at the back get an estimate. A new `width` forgets every measurement and
    /// estimates again. `estimate(i, width)` is the guess for line `i` of the history.
    pub fn sync(
        &mut self,
        first_seq: u64,
        len: usize,
        width: f32,
        estimate: impl Fn(usize, f32) -> f32,
    ) {
        if first_seq < self.first_seq && !self.entries.is_empty() {
            // Earlier lines were put before the first one (a page of history).
            let added = usize::try_from(self.first_seq - first_seq)
                .unwrap_or(usize::MAX)
                .min(len);
            if let Some(old_first) = self.entries.front_mut() {
                // It may now join the group of the line above it: its height may change.
                old_first.measured = None;
            }
            for i in (0..added).rev() {
                self.entries.push_front(Entry {
                    measured: None,
                    estimated: estimate(i, width),
                });
            }
        } else {
            let dropped = first_seq.saturating_sub(self.first_seq);
            let dropped = usize::try_from(dropped).unwrap_or(usize::MAX);
            self.entries.drain(..dropped.min(self.entries.len()));
            if dropped > 0
                && let Some(first) = self.entries.front_mut()
            {
                // The new first line has nothing above it to join: its height may change.
                first.measured = None;
            }
        }
        self.first_seq = first_seq;
        self.entries.truncate(len);
        if (width - self.width).abs() >= 0.5 {
            self.width = width;
            for (i, entry) in self.entries.iter_mut().enumerate() {
                *entry = Entry {
                    measured: None,
                    estimated: estimate(i, width),
                };
            }
        }
        while self.entries.len() < len {
            let i = self.entries.len();
            self.entries.push_back(Entry {
                measured: None,
                estimated: estimate(i, width),
            });
        }
    }

    /// Records the height line `i` has when laid out at the current width. Returns whether it
    /// differs from what was assumed (the tops must then be recomputed).
    pub fn measured(&mut self, i: usize, height: f32) -> bool {
        let Some(entry) = self.entries.get_mut(i) else {
            return false;
        };
        let changed = (entry.height() - height).abs() > 0.01;
        entry.measured = Some(height);
        changed
    }

    /// Forgets the measured height of line `i` (it changed): it is measured again when seen.
    pub fn forget(&mut self, i: usize) {
        if let Some(entry) = self.entries.get_mut(i) {
            entry.measured = None;
        }
    }

    /// Forgets every measured height.
    pub fn forget_all(&mut self) {
        for entry in &mut self.entries {
            entry.measured = None;
        }
    }

    /// Recomputes the tops from the heights.
    pub fn relayout(&mut self) {
        self.tops.clear();
        self.tops.reserve(self.entries.len() + 1);
        let mut y = 0.0;
        self.tops.push(y);
        for entry in &self.entries {
            y += entry.height();
            self.tops.push(y);
        }
    }

    /// The line whose span holds `y` (the last line for a `y` past the end).
    pub fn index_at(&self, y: f32) -> usize {
        let lines = self.entries.len();
        if lines == 0 {
            return 0;
        }
        // The first top greater than y, minus one.
        let after = self.tops[..lines].partition_point(|top| *top <= y);
        after.saturating_sub(1).min(lines - 1)
    }

    /// The lines that overlap `from..to` (content coordinates).
    pub fn visible(&self, from: f32, to: f32) -> Range<usize> {
        if self.entries.is_empty() || to <= from {
            return 0..0;
        }
        let first = self.index_at(from);
        let last = self.index_at(to);
        first..(last + 1).min(self.entries.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every line is guessed at 20 points.
    fn guess(_: usize, _: f32) -> f32 {
        20.0
    }

    fn timeline(lines: usize) -> Timeline {
        let mut t = Timeline::default();
        t.sync(0, lines, 400.0, guess);
        t.relayout();
        t
    }

    #[test]
    fn tops_are_the_sums_of_the_heights_above() {
        let mut t = timeline(3);
        assert_eq!(t.total(), 60.0);
        assert!(t.measured(1, 50.0));
        assert!(
            !t.measured(1, 50.0),
            "the same height again changes nothing"
        );
        t.relayout();
        assert_eq!(
            (t.top(0), t.top(1), t.top(2), t.total()),
            (0.0, 20.0, 70.0, 90.0)
        );
        assert_eq!(t.index_at(0.0), 0);
        assert_eq!(t.index_at(69.9), 1);
        assert_eq!(t.index_at(70.0), 2);
        assert_eq!(t.index_at(1e9), 2);
        assert_eq!(t.visible(25.0, 75.0), 1..3);
    }

    #[test]
    fn a_measured_line_above_does_not_move_the_view() {
        let mut t = timeline(100);
        // The view starts 5 points into line 50.
        let anchor = t.anchor_at(1005.0).unwrap();
        assert_eq!(anchor, Anchor { seq: 50, into: 5.0 });
        // Lines 48 and 49, just above, turn out taller than guessed.
        t.measured(48, 60.0);
        t.measured(49, 40.0);
        t.relayout();
        assert_eq!(
            t.offset_of(anchor),
            Some(1065.0),
            "the same line, the same place"
        );
    }

    #[test]
    fn a_new_width_forgets_measurements_and_dropped_lines_keep_their_numbers() {
        let mut t = timeline(10);
        t.measured(3, 99.0);
        t.sync(0, 10, 200.0, |_, w| 8000.0 / w);
        t.relayout();
        assert!(!t.is_measured(3));
        assert_eq!(t.total(), 400.0);
        let anchor = t.anchor_at(85.0).unwrap();
        assert_eq!(anchor.seq, 2);
        // Two old lines dropped, one new line: line seq 2 is now index 0.
        t.sync(2, 9, 200.0, guess);
        t.relayout();
        assert_eq!(t.len(), 9);
        assert_eq!(t.index_of(anchor), Some(0));
        assert_eq!(t.offset_of(anchor), Some(5.0));
        t.sync(5, 9, 200.0, guess);
        assert_eq!(t.offset_of(anchor), None, "its line is gone");
    }

    #[test]
    fn earlier_lines_put_in_front_do_not_move_the_view() {
        let mut t = Timeline::default();
        t.sync(100, 10, 400.0, guess);
        t.relayout();
        // The view shows line 100 (the first) from its top: the user scrolled to the top.
        let anchor = t.anchor_at(0.0).unwrap();
        assert_eq!(anchor.seq, 100);
        // A page of five earlier lines arrives.
        t.sync(95, 15, 400.0, guess);
        t.relayout();
        assert_eq!(t.len(), 15);
        assert_eq!(t.index_of(anchor), Some(5));
        assert_eq!(
            t.offset_of(anchor),
            Some(100.0),
            "the same line stays at the top of the view, the page above it"
        );
    }
}
