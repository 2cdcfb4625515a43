//! What the log alone says, read by every node alike: which nodes are alive, where each user
//! is online, and which node took each private message. A state machine without I/O: the
//! listener passes each event of the log in, and does what comes out ([`Step`]).
//!
//! Because it depends only on the log's contents (their order, and the Redis clock each event
//! was appended at), every node reaches the same decisions at the same event, a node that
//! replays the log after a disconnection included: that is what makes one view of the cluster
//! after a partition, whatever its length.
//!
//! **The log's time.** A node is gone when the log has gone on for [`GONE_AFTER`] without an
//! event from it. Time counts while the log is alive only: between two events at most
//! [`LIVE_STEP_MAX`] counts (every node beats every second, so a longer silence is the log's
//! own, a Redis paused or unreachable to all, and says nothing about any one node).

use std::collections::{BTreeMap, HashMap};

use chat_core::protocol::PrivateSaid;
use chat_core::validate::login_key;

use super::GONE_AFTER;
use super::keys::Entry;
use crate::chat::bus::{BusEvent, Handover};

/// The most of the log's time one step between events counts for.
const LIVE_STEP_MAX_MS: i64 = 1_500;
/// Private messages being decided, kept at most (the oldest go first).
const DECIDING_KEPT: usize = 10_000;

fn gone_after_ms() -> i64 {
    i64::try_from(GONE_AFTER.as_millis()).unwrap_or(i64::MAX)
}

/// What an event of the log asks of this node, besides applying it to the hub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Step {
    /// Events were missed (trimmed from the log, or a new log): ask everyone for their state.
    Gap,
    /// This event was applied already.
    Duplicate,
    /// Node `node` is gone since this event: its users are offline, their rooms close.
    NodeGone(String),
    /// This node was found gone by the log (it was cut off): every node closed the rooms its
    /// users created before event `at`, and forgot its users; it does the same to its own
    /// rooms, and publishes its state again.
    WasGone { at: u64 },
    /// This node is the recipient's: answer `Taken` for message `seq`.
    Take { seq: u64 },
    /// Deliver a private message taken here (or keep it, if its recipient left meanwhile).
    Deliver { said: PrivateSaid, notice: bool },
    /// One of this node's private messages was decided (`said`: the message, for a sender
    /// that stopped waiting).
    Decided {
        seq: u64,
        outcome: Handover,
        said: Box<PrivateSaid>,
    },
    /// Nobody is to take this node's private message `seq`, as far as this node knows: append
    /// `Expired` now rather than after waiting (the log still decides: another node that
    /// thinks otherwise may have taken it first).
    Expire { seq: u64 },
}

/// A private message waiting for `Taken` or `Expired`.
#[derive(Debug)]
enum Deciding {
    /// This node sent it.
    Sent(Box<PrivateSaid>),
    /// This node is to deliver it if its `Taken` comes first.
    Taking {
        said: Box<PrivateSaid>,
        notice: bool,
    },
}

/// The log's view.
#[derive(Debug)]
pub(super) struct View {
    me: String,
    /// The number of the last event read (0: none yet).
    pos: u64,
    /// The log's time (ms of live log) and the clock of the last event.
    live_ms: i64,
    last_clock_ms: Option<i64>,
    /// Nodes alive: the log's time of their last event, and their clock offset.
    nodes: HashMap<String, (i64, i64)>,
    /// Where each user is online, by login key: its node and session.
    users: HashMap<String, (String, u64)>,
    deciding: BTreeMap<u64, Deciding>,
}

impl View {
    /// A view for node `me`, starting after event `pos`.
    pub fn new(me: &str, pos: u64) -> Self {
        View {
            me: me.to_owned(),
            pos,
            live_ms: 0,
            last_clock_ms: None,
            nodes: HashMap::new(),
            users: HashMap::new(),
            deciding: BTreeMap::new(),
        }
    }

    /// The number of the last event read.
    pub fn pos(&self) -> u64 {
        self.pos
    }

    /// The nodes alive, with their clock offsets.
    pub fn alive(&self) -> impl Iterator<Item = (&String, i64)> {
        self.nodes.iter().map(|(n, (_, offset))| (n, *offset))
    }

    /// The node where the log says `login_key` is online.
    pub fn node_of(&self, key: &str) -> Option<&str> {
        self.users.get(key).map(|(node, _)| node.as_str())
    }

    /// Reads one event; returns what this node must do about it, in order.
    pub fn read(&mut self, entry: &Entry) -> Vec<Step> {
        let mut steps = Vec::new();
        if self.pos != 0 && entry.seq <= self.pos {
            return vec![Step::Duplicate];
        }
        if self.pos != 0 && entry.seq > self.pos + 1 {
            steps.push(Step::Gap);
            self.after_gap();
        }
        self.pos = entry.seq;
        // The log's time, and who is alive in it.
        if let Some(last) = self.last_clock_ms {
            self.live_ms += (entry.time_ms - last).clamp(0, LIVE_STEP_MAX_MS);
        }
        self.last_clock_ms = Some(self.last_clock_ms.unwrap_or(i64::MIN).max(entry.time_ms));
        let node = &entry.envelope.node;
        let offset = match &entry.envelope.event {
            BusEvent::Beat { offset_ms } => Some(*offset_ms),
            _ => None,
        };
        match self.nodes.get_mut(node) {
            Some(seen) => {
                seen.0 = self.live_ms;
                if let Some(offset) = offset {
                    seen.1 = offset;
                }
            }
            None => {
                self.nodes
                    .insert(node.clone(), (self.live_ms, offset.unwrap_or(0)));
            }
        }
        self.find_gone(entry.seq, &mut steps);
        self.apply(entry, &mut steps);
        steps
    }

    /// Events were missed: nobody's silence meanwhile says anything, where users are may be
    /// stale (the snapshots asked for say), and messages being decided are in doubt (their
    /// senders give up).
    fn after_gap(&mut self) {
        let now = self.live_ms;
        for seen in self.nodes.values_mut() {
            seen.0 = now;
        }
        self.deciding.clear();
    }

    fn find_gone(&mut self, seq: u64, steps: &mut Vec<Step>) {
        let now = self.live_ms;
        let gone: Vec<String> = self
            .nodes
            .iter()
            .filter(|(_, (at, _))| now - at >= gone_after_ms())
            .map(|(n, _)| n.clone())
            .collect();
        for node in gone {
            self.nodes.remove(&node);
            self.users.retain(|_, (n, _)| *n != node);
            if node == self.me {
                self.deciding.retain(|_, d| matches!(d, Deciding::Sent(_)));
                steps.push(Step::WasGone { at: seq });
            } else {
                steps.push(Step::NodeGone(node));
            }
        }
    }

    fn apply(&mut self, entry: &Entry, steps: &mut Vec<Step>) {
        let node = entry.envelope.node.as_str();
        match &entry.envelope.event {
            BusEvent::LoggedIn { login, session, .. } => {
                self.users
                    .insert(login_key(login), (node.to_owned(), *session));
            }
            BusEvent::Moved { login, session, .. } => {
                let key = login_key(login);
                match self.users.get(&key) {
                    Some((n, s)) if n != node || s != session => {}
                    _ => {
                        self.users.insert(key, (node.to_owned(), *session));
                    }
                }
            }
            BusEvent::LoggedOut { login, session, .. } => {
                let key = login_key(login);
                if self
                    .users
                    .get(&key)
                    .is_some_and(|(n, s)| n == node && s == session)
                {
                    self.users.remove(&key);
                }
            }
            BusEvent::Snapshot { users, .. } => {
                self.users.retain(|_, (n, _)| n != node);
                for user in users {
                    self.users
                        .insert(login_key(&user.login), (node.to_owned(), user.session));
                }
            }
            BusEvent::Private {
                to,
                from,
                text,
                id,
                time,
                notice,
                reply_to,
                attachments,
            } => {
                let said = PrivateSaid {
                    from: from.clone(),
                    to: to.clone(),
                    text: text.clone(),
                    time: *time,
                    id: *id,
                    reply_to: reply_to.clone(),
                    attachments: attachments.clone(),
                    ..Default::default()
                };
                self.private(entry.seq, node, said, *notice, steps);
            }
            BusEvent::Taken { seq } => match self.deciding.remove(seq) {
                Some(Deciding::Sent(said)) => steps.push(Step::Decided {
                    seq: *seq,
                    outcome: Handover::Taken,
                    said,
                }),
                Some(Deciding::Taking { said, notice }) => {
                    steps.push(Step::Deliver {
                        said: *said,
                        notice,
                    });
                }
                None => {}
            },
            BusEvent::Expired { seq } => {
                if let Some(Deciding::Sent(said)) = self.deciding.remove(seq) {
                    steps.push(Step::Decided {
                        seq: *seq,
                        outcome: Handover::Offline,
                        said,
                    });
                }
            }
            _ => {}
        }
    }

    /// A private message from `from_node`: who decides it, where the log says its recipient is.
    fn private(
        &mut self,
        seq: u64,
        from_node: &str,
        said: PrivateSaid,
        notice: bool,
        steps: &mut Vec<Step>,
    ) {
        let recipient = self.node_of(&login_key(&said.to)).map(str::to_owned);
        let mine = from_node == self.me;
        match recipient {
            // Nobody to take it, as this node knows (or a user the log has here, whom the
            // sender's hub did not find: gone since): to be kept, once the log agrees.
            None if mine => {
                self.deciding.insert(seq, Deciding::Sent(Box::new(said)));
                steps.push(Step::Expire { seq });
            }
            None => {}
            Some(r) if mine && r == self.me => {
                self.deciding.insert(seq, Deciding::Sent(Box::new(said)));
                steps.push(Step::Expire { seq });
            }
            Some(_) if mine => {
                self.deciding.insert(seq, Deciding::Sent(Box::new(said)));
            }
            Some(r) if r == self.me => {
                self.deciding.insert(
                    seq,
                    Deciding::Taking {
                        said: Box::new(said),
                        notice,
                    },
                );
                steps.push(Step::Take { seq });
            }
            Some(_) => {}
        }
        while self.deciding.len() > DECIDING_KEPT {
            self.deciding.pop_first();
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::chat::bus::Envelope;

    /// The one decision among `steps`, if they are exactly one.
    fn decided(steps: &[Step]) -> Option<(u64, Handover)> {
        match steps {
            [Step::Decided { seq, outcome, .. }] => Some((*seq, *outcome)),
            _ => None,
        }
    }

    /// A log written by hand: events numbered from 1, each at the time given.
    struct Log {
        seq: u64,
    }

    impl Log {
        fn entry(&mut self, time_ms: i64, node: &str, event: BusEvent) -> Entry {
            self.seq += 1;
            Entry {
                seq: self.seq,
                time_ms,
                envelope: Envelope {
                    node: node.into(),
                    event,
                },
            }
        }
    }

    fn beat() -> BusEvent {
        BusEvent::Beat { offset_ms: 0 }
    }

    fn login(login: &str) -> BusEvent {
        BusEvent::LoggedIn {
            login: login.into(),
            session: 1,
            room: "lobby".into(),
        }
    }

    fn private(to: &str) -> BusEvent {
        BusEvent::Private {
            to: to.into(),
            from: "ana".into(),
            text: "hola".into(),
            id: 1,
            time: 0,
            notice: false,
            reply_to: None,
            attachments: Vec::new(),
        }
    }

    /// Every node reads the same log and reaches the same decisions at the same events.
    fn read_all(views: &mut [View], entry: &Entry) -> Vec<Vec<Step>> {
        views.iter_mut().map(|v| v.read(entry)).collect()
    }

    #[test]
    fn a_silent_node_is_gone_at_the_same_event_for_every_node_and_for_itself() {
        let mut log = Log { seq: 0 };
        let mut views = [View::new("n1", 0), View::new("n2", 0), View::new("n3", 0)];
        for t in 0..3 {
            for n in ["n1", "n2", "n3"] {
                read_all(&mut views, &log.entry(t * 1000, n, beat()));
            }
        }
        // n3 is cut off: n1 and n2 go on beating; n3 reads nothing meanwhile.
        let mut cut_off = Vec::new();
        let mut gone_at = None;
        for t in 3..8 {
            for n in ["n1", "n2"] {
                let e = log.entry(t * 1000, n, beat());
                let steps: Vec<Vec<Step>> = views[..2].iter_mut().map(|v| v.read(&e)).collect();
                if steps[0].contains(&Step::NodeGone("n3".into())) {
                    assert_eq!(steps[1], steps[0], "both decide at the same event");
                    gone_at.get_or_insert(e.seq);
                }
                cut_off.push(e);
            }
        }
        let gone_at = gone_at.expect("n3 found gone");
        // Back, n3 replays what it missed and finds itself gone at the same event.
        let found = cut_off
            .iter()
            .find_map(|e| {
                views[2]
                    .read(e)
                    .into_iter()
                    .find(|s| matches!(s, Step::WasGone { .. }))
                    .map(|s| (e.seq, s))
            })
            .unwrap();
        assert_eq!(found, (gone_at, Step::WasGone { at: gone_at }));
    }

    #[test]
    fn a_log_silent_for_everyone_finds_nobody_gone() {
        let mut log = Log { seq: 0 };
        let mut view = View::new("n1", 0);
        view.read(&log.entry(0, "n1", beat()));
        view.read(&log.entry(10, "n2", beat()));
        // Redis paused for ten seconds: the next events come much later, n1's first.
        let steps = view.read(&log.entry(10_000, "n1", beat()));
        assert!(steps.is_empty(), "{steps:?}");
        assert!(view.read(&log.entry(10_010, "n2", beat())).is_empty());
    }

    #[test]
    fn two_nodes_that_disagree_on_where_a_user_is_still_decide_one_way() {
        // n1 started late and has not heard that bea is on n2; n2 has.
        let mut log = Log { seq: 0 };
        let mut n1 = View::new("n1", 0);
        let mut n2 = View::new("n2", 0);
        n2.read(&log.entry(0, "n2", login("bea")));
        let sent = log.entry(1, "n1", private("bea"));
        assert_eq!(n1.read(&sent), vec![Step::Expire { seq: sent.seq }]);
        assert_eq!(n2.read(&sent), vec![Step::Take { seq: sent.seq }]);
        // n2's Taken reached the log first: sent, delivered, not kept.
        let taken = log.entry(2, "n2", BusEvent::Taken { seq: sent.seq });
        let expired = log.entry(3, "n1", BusEvent::Expired { seq: sent.seq });
        assert_eq!(decided(&n1.read(&taken)), Some((sent.seq, Handover::Taken)));
        assert!(matches!(n2.read(&taken)[..], [Step::Deliver { .. }]));
        assert_eq!((n1.read(&expired), n2.read(&expired)), (vec![], vec![]));
    }

    #[test]
    fn a_number_skipped_is_a_gap_and_a_number_read_twice_is_skipped() {
        let mut view = View::new("n1", 0);
        let mut log = Log { seq: 0 };
        let first = log.entry(0, "n2", beat());
        view.read(&first);
        assert_eq!(view.read(&first), vec![Step::Duplicate]);
        log.seq += 5;
        assert_eq!(view.read(&log.entry(1, "n2", beat())), vec![Step::Gap]);
    }

    #[test]
    fn a_private_message_goes_to_whichever_of_taken_and_expired_comes_first() {
        let mut log = Log { seq: 0 };
        // n1 sends to bea on n2.
        let mut views = [View::new("n1", 0), View::new("n2", 0)];
        read_all(&mut views, &log.entry(0, "n2", login("bea")));
        let sent = log.entry(1, "n1", private("bea"));
        let steps = read_all(&mut views, &sent);
        assert_eq!(steps[0], vec![]);
        assert_eq!(steps[1], vec![Step::Take { seq: sent.seq }]);
        // Taken first: delivered there, sent here; a late Expired changes nothing.
        let steps = read_all(
            &mut views,
            &log.entry(2, "n2", BusEvent::Taken { seq: sent.seq }),
        );
        assert_eq!(decided(&steps[0]), Some((sent.seq, Handover::Taken)));
        assert!(matches!(steps[1][..], [Step::Deliver { .. }]));
        let late = read_all(
            &mut views,
            &log.entry(3, "n1", BusEvent::Expired { seq: sent.seq }),
        );
        assert_eq!(late, vec![vec![], vec![]]);
        // Expired first: kept by the sender, never delivered by the recipient's node.
        let sent = log.entry(4, "n1", private("bea"));
        read_all(&mut views, &sent);
        let steps = read_all(
            &mut views,
            &log.entry(5, "n1", BusEvent::Expired { seq: sent.seq }),
        );
        assert_eq!(decided(&steps[0]), Some((sent.seq, Handover::Offline)));
        assert_eq!(steps[1], vec![]);
        let late = read_all(
            &mut views,
            &log.entry(6, "n2", BusEvent::Taken { seq: sent.seq }),
        );
        assert_eq!(late, vec![vec![], vec![]]);
        // To a user online nowhere: expired at once, kept once the log says so.
        let sent = log.entry(7, "n1", private("cai"));
        assert_eq!(
            read_all(&mut views, &sent)[0],
            vec![Step::Expire { seq: sent.seq }]
        );
        let steps = read_all(
            &mut views,
            &log.entry(8, "n1", BusEvent::Expired { seq: sent.seq }),
        );
        assert_eq!(decided(&steps[0]), Some((sent.seq, Handover::Offline)));
    }
}
