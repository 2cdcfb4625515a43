//! A fan-out loop's part in reaction storms (see `fanout/storm.rs`): member 0 says each storm's
//! line and finds its number in the room's history; every member reacts when its turn comes, and
//! checks each `reactions` event of the line against what all the members put.

use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use std::time::{Duration, Instant};

use chat_core::protocol::{Request, ServerFrame, ServerMessage, Target};

use super::{RoomLoop, Stage};
use crate::fanout::storm::{EMOJI, LEAD, expected_count, line_text};
use crate::net::Conns;

/// What one loop knows of the storms.
#[derive(Debug, Default)]
pub(super) struct LoopStorm {
    /// The last storm whose line member 0 said (in the loop that holds member 0).
    said: u64,
    /// The `history` request looking for that line: its id, and the storm.
    looking: Option<(u32, u64)>,
    /// The storm this loop reacts in, its line, and when its first reaction is due.
    ready: u64,
    line: u64,
    start_ns: u64,
    /// The next local member to react: members are in index order, so in order of their turns.
    next: usize,
    /// By local member: the storm in which it saw every reaction.
    complete: Vec<u64>,
    /// By emoji: how many members put it.
    expected: Vec<u32>,
}

impl LoopStorm {
    pub(super) fn new(local_members: usize, members: usize, kinds: usize) -> LoopStorm {
        LoopStorm {
            complete: vec![0; local_members],
            expected: (0..kinds)
                .map(|e| expected_count(members, kinds, e))
                .collect(),
            ..LoopStorm::default()
        }
    }

    /// Whether `counts` (each emoji on the line and how many put it) shows every reaction of
    /// the storm, each emoji with its exact count.
    fn all_there(&self, counts: &[(String, u32)]) -> bool {
        let kinds = self.expected.iter().filter(|&&c| c > 0).count();
        counts.len() == kinds
            && counts.iter().all(|(emoji, count)| {
                EMOJI[..self.expected.len()]
                    .iter()
                    .position(|e| e == emoji)
                    .is_some_and(|e| self.expected[e] == *count)
            })
    }
}

impl RoomLoop<'_> {
    /// Takes up the storm the loops were told of, if it is a new one.
    fn storm_refresh(&mut self) {
        let shared = &self.shared.storm;
        let ready = shared.ready.load(Acquire);
        if ready != self.storm.ready {
            self.storm.ready = ready;
            self.storm.line = shared.line.load(Acquire);
            self.storm.start_ns = shared.start_ns.load(Acquire);
            self.storm.next = 0;
        }
    }

    /// Says the line of a storm just asked for (in member 0's loop) and sends the reactions
    /// that are due; returns how long until the next one is.
    pub(super) fn storm_turn(&mut self, conns: &mut Conns) -> Duration {
        let asked = self.shared.storm.asked.load(Acquire);
        if asked > self.storm.said {
            self.storm.said = asked;
            if self
                .members
                .first()
                .is_some_and(|m| m.index == 0 && m.stage == Stage::InRoom)
            {
                let say = Request::Say {
                    text: line_text(asked),
                    reply_to: None,
                    attachments: Vec::new(),
                };
                conns.send(0, say);
                let room = self.plan.room.clone();
                let id = conns.send(0, Request::History { room, before: None });
                self.storm.looking = id.map(|id| (id, asked));
            }
        }
        self.storm_refresh();
        if self.storm.ready == 0 {
            return Duration::MAX;
        }
        let storms = &self.plan.storms;
        let within_ns = (storms.react_within * 1e9) as u64;
        let members = self.plan.members as u64;
        let now = self.shared.now_ns();
        while let Some(member) = self.members.get(self.storm.next) {
            let turn = u64::try_from(
                u128::from(member.index as u64) * u128::from(within_ns) / u128::from(members),
            )
            .unwrap_or(within_ns);
            let due = self.storm.start_ns + turn;
            if due > now {
                return Duration::from_nanos(due - now);
            }
            let local = self.storm.next;
            self.storm.next += 1;
            if member.stage != Stage::InRoom {
                continue;
            }
            let react = Request::React {
                target: Target::Room(self.plan.room.clone()),
                line: self.storm.line,
                emoji: EMOJI[member.index % storms.emoji].to_owned(),
                on: true,
            };
            if conns.send(local, react).is_some() {
                self.shared.storm.sent.fetch_add(1, Relaxed);
            }
        }
        Duration::MAX
    }

    /// A `reactions` event reached member `local`: one of the storm's line counts.
    pub(super) fn on_storm_reactions(
        &mut self,
        local: usize,
        line: u64,
        counts: &[(String, u32)],
        at: Instant,
    ) {
        self.storm_refresh();
        if self.storm.ready != 0 && line == self.storm.line {
            self.storm_event(local, counts, at);
        }
    }

    /// Takes a frame that belongs to the storms: the history holding a storm's line, a
    /// `reactions` event (when not read in place), a refusal. Returns whether it was one.
    pub(super) fn on_storm_frame(
        &mut self,
        local: usize,
        frame: &ServerFrame,
        at: Instant,
    ) -> bool {
        match &frame.message {
            ServerMessage::History { messages, .. }
                if self
                    .storm
                    .looking
                    .is_some_and(|(id, _)| frame.re == Some(id)) =>
            {
                let Some((_, n)) = self.storm.looking.take() else {
                    return true;
                };
                let text = line_text(n);
                match messages.iter().rev().find(|said| said.text == text) {
                    Some(said) => self.storm_ready(n, said.id),
                    None => self
                        .shared
                        .storm
                        .fail(format!("storm {n}: its line is not in the room's history")),
                }
                true
            }
            ServerMessage::Reactions {
                line, reactions, ..
            } => {
                let counts: Vec<(String, u32)> = reactions
                    .iter()
                    .map(|r| (r.emoji.clone(), r.count))
                    .collect();
                self.on_storm_reactions(local, *line, &counts, at);
                true
            }
            ServerMessage::Error { code, message, .. } if frame.re.is_some() => {
                let storm = &self.shared.storm;
                storm.refused.fetch_add(1, Relaxed);
                let login = &self.members[local].login;
                storm.fail(format!("{login}: refused: {code:?}: {message}"));
                true
            }
            _ => false,
        }
    }

    /// Tells every loop storm `n`'s line; its reactions are due a moment later.
    fn storm_ready(&self, n: u64, line: u64) {
        let storm = &self.shared.storm;
        storm.complete.store(0, Relaxed);
        storm.done_ns.store(0, Relaxed);
        storm.events.store(0, Relaxed);
        storm.line.store(line, Relaxed);
        let start = self.shared.now_ns() + u64::try_from(LEAD.as_nanos()).unwrap_or(0);
        storm.start_ns.store(start, Relaxed);
        storm.ready.store(n, Release);
    }

    /// A `reactions` event of the storm's line reached member `local`.
    fn storm_event(&mut self, local: usize, counts: &[(String, u32)], at: Instant) {
        let storm = &self.shared.storm;
        storm.events.fetch_add(1, Relaxed);
        let all = self.storm.all_there(counts);
        let seen = &mut self.storm.complete[local];
        if *seen == self.storm.ready {
            if !all {
                storm.wrong_after_complete.fetch_add(1, Relaxed);
            }
        } else if all {
            *seen = self.storm.ready;
            storm.done_ns.fetch_max(self.shared.ns_at(at), Relaxed);
            storm.complete.fetch_add(1, Release);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reaction(emoji: &str, count: u32) -> (String, u32) {
        (emoji.to_owned(), count)
    }

    #[test]
    fn a_set_is_complete_only_with_every_emoji_at_its_exact_count() {
        let storm = LoopStorm::new(1, 5, 2);
        assert!(storm.all_there(&[reaction(EMOJI[0], 3), reaction(EMOJI[1], 2)]));
        assert!(storm.all_there(&[reaction(EMOJI[1], 2), reaction(EMOJI[0], 3)]));
        assert!(!storm.all_there(&[reaction(EMOJI[0], 3)]), "one missing");
        assert!(!storm.all_there(&[reaction(EMOJI[0], 2), reaction(EMOJI[1], 2)]));
        assert!(!storm.all_there(&[reaction(EMOJI[0], 3), reaction(EMOJI[2], 2)]));
        let storm = LoopStorm::new(1, 3, 20);
        let three: Vec<_> = (0..3).map(|e| reaction(EMOJI[e], 1)).collect();
        assert!(storm.all_there(&three), "emoji nobody put are not expected");
    }
}
