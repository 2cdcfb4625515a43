//! Checks what recording clients (`talker`) wrote down, after the fact:
//!
//! - every request was answered within two seconds (unless its connection ended first);
//! - every line a client received was said (asked by its sender), under one number;
//! - no client received a line twice, and each received a room's lines in increasing numbers
//!   (the cluster's one order);
//! - every acknowledged line (its sender got its own echo) reached every member that was in the
//!   room and connected from before it was said until the room closed or the run ended (or, for
//!   a member that lost its connection, every line between two lines it did receive);
//! - every private message received was sent; none twice; one answered `private_sent` reached
//!   its recipient live (unless the recipient's connection ended meanwhile), one answered
//!   `private_stored` reached it once, kept, at a later login.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use super::talker::{Answer, Ask, Seen};

/// The longest a request may wait for its answer.
pub const ANSWER_WITHIN: Duration = Duration::from_secs(2);

/// What was found.
#[derive(Debug, Default)]
pub struct Report {
    pub requests: usize,
    /// Requests whose connection ended before their answer.
    pub cut_short: usize,
    pub slowest: Duration,
    pub lines_said: usize,
    pub lines_acknowledged: usize,
    pub deliveries: usize,
    pub privates_sent: usize,
    pub privates_stored: usize,
    pub privates_refused: usize,
    pub violations: Vec<String>,
}

impl Report {
    /// One paragraph of figures.
    pub fn figures(&self) -> String {
        let mut s = String::new();
        let _ = write!(
            s,
            "{} requests (slowest answer {:?}, {} cut short by their connection); {} lines said, \
             {} acknowledged, {} deliveries checked; private messages: {} sent, {} kept, {} \
             refused; {} violations",
            self.requests,
            self.slowest,
            self.cut_short,
            self.lines_said,
            self.lines_acknowledged,
            self.deliveries,
            self.privates_sent,
            self.privates_stored,
            self.privates_refused,
            self.violations.len()
        );
        s
    }
}

/// Private messages asked, by (from, to, text): when, and the answer.
type Privates = HashMap<(String, String, String), (Instant, Option<(Instant, Answer)>)>;

/// A line as said.
struct Said {
    /// The room it was received in.
    room: Option<String>,
    asked: Instant,
    /// Its number, once anyone received it.
    id: Option<u64>,
    acknowledged: bool,
}

/// How a client's stay in a room ended.
#[derive(Debug, PartialEq, Eq)]
enum End {
    /// The room closed, or the run ended with the client in it: it received the room's lines to
    /// the end.
    ToTheEnd,
    /// Its connection ended, or it moved: only lines between two it received are owed.
    Cut,
}

/// A client's stay in a room.
struct Stay {
    room: String,
    from: Instant,
    end: End,
    ids: Vec<u64>,
}

/// Checks the histories of clients (login, history).
pub fn check(clients: &[(String, Vec<(Instant, Seen)>)]) -> Report {
    let mut report = Report::default();
    let mut said: HashMap<(String, String), Said> = HashMap::new();
    let mut privates: Privates = HashMap::new();
    for (login, history) in clients {
        for (at, seen) in history {
            let Seen::Asked { ask, answer } = seen else {
                continue;
            };
            report.requests += 1;
            match answer {
                Some((when, _)) => {
                    let took = when.duration_since(*at);
                    report.slowest = report.slowest.max(took);
                    if took > ANSWER_WITHIN {
                        report
                            .violations
                            .push(format!("{login}: {ask:?} answered after {took:?}"));
                    }
                }
                None => {
                    let ended = history
                        .iter()
                        .any(|(t, s)| matches!(s, Seen::Disconnected | Seen::Left) && *t >= *at);
                    if ended {
                        report.cut_short += 1;
                    } else {
                        report
                            .violations
                            .push(format!("{login}: {ask:?} never answered"));
                    }
                }
            }
            match ask {
                Ask::Say { text } => {
                    let line = Said {
                        room: None,
                        asked: *at,
                        id: None,
                        acknowledged: false,
                    };
                    said.insert((login.clone(), text.clone()), line);
                }
                Ask::Private { to, text } => {
                    let key = (login.clone(), to.clone(), text.clone());
                    privates.insert(key, (*at, answer.clone()));
                }
                Ask::Other(_) => {}
            }
        }
    }
    report.lines_said = said.len();
    check_lines(clients, &mut said, &mut report);
    check_privates(clients, &privates, &mut report);
    report
}

fn check_lines(
    clients: &[(String, Vec<(Instant, Seen)>)],
    said: &mut HashMap<(String, String), Said>,
    report: &mut Report,
) {
    let mut stays: Vec<(String, Stay)> = Vec::new();
    for (login, history) in clients {
        let mut received: HashSet<u64> = HashSet::new();
        let mut stay: Option<Stay> = None;
        let mut connected = false;
        for (at, seen) in history {
            match seen {
                Seen::Connected => connected = true,
                Seen::Left => {
                    connected = false;
                    stays.extend(stay.take().map(|s| (login.clone(), s)));
                }
                Seen::Disconnected => {
                    connected = false;
                    if let Some(mut s) = stay.take() {
                        s.end = End::Cut;
                        stays.push((login.clone(), s));
                    }
                }
                Seen::Entered { room } => {
                    if let Some(mut s) = stay.take() {
                        s.end = End::Cut;
                        stays.push((login.clone(), s));
                    }
                    stay = Some(Stay {
                        room: room.clone(),
                        from: *at,
                        end: End::ToTheEnd,
                        ids: Vec::new(),
                    });
                }
                Seen::Closed { room } if stay.as_ref().is_some_and(|s| s.room == *room) => {
                    stays.extend(stay.take().map(|s| (login.clone(), s)));
                }
                Seen::Line {
                    room,
                    from,
                    text,
                    id,
                } => {
                    report.deliveries += 1;
                    if !received.insert(*id) {
                        report.violations.push(format!(
                            "{login}: line {id} ({from}: {text}) received twice"
                        ));
                    }
                    match said.get_mut(&(from.clone(), text.clone())) {
                        None => report
                            .violations
                            .push(format!("{login}: received {from}: {text:?}, never said")),
                        Some(line) => {
                            if line.id.is_some_and(|known| known != *id) {
                                report
                                    .violations
                                    .push(format!("{from}: {text:?} received under two numbers"));
                            }
                            line.id = Some(*id);
                            if *from == *login {
                                line.acknowledged = true;
                            }
                            if line.room.as_deref().is_some_and(|r| r != room) {
                                report.violations.push(format!(
                                    "{from}: {text:?} received in {:?} and in {room}",
                                    line.room
                                ));
                            }
                            line.room = Some(room.clone());
                        }
                    }
                    match &mut stay {
                        Some(s) if s.room == *room => {
                            if s.ids.last().is_some_and(|last| last >= id) {
                                report.violations.push(format!(
                                    "{login}: line {id} in {room} after line {:?}: out of order",
                                    s.ids.last()
                                ));
                            }
                            s.ids.push(*id);
                        }
                        _ => report
                            .violations
                            .push(format!("{login}: line {id} of {room}, a room it is not in")),
                    }
                }
                _ => {}
            }
        }
        if let Some(mut s) = stay.take() {
            if !connected {
                s.end = End::Cut;
            }
            stays.push((login.clone(), s));
        }
    }
    report.lines_acknowledged = said.values().filter(|l| l.acknowledged).count();
    // Every acknowledged line, to every member that owed it.
    let mut by_room: HashMap<&str, Vec<(u64, Instant, &str)>> = HashMap::new();
    for ((from, _), line) in said.iter() {
        if let (true, Some(id), Some(room)) = (line.acknowledged, line.id, &line.room) {
            by_room
                .entry(room.as_str())
                .or_default()
                .push((id, line.asked, from.as_str()));
        }
    }
    for (login, stay) in &stays {
        let Some(lines) = by_room.get(stay.room.as_str()) else {
            continue;
        };
        let first = stay.ids.first().copied().unwrap_or(u64::MAX);
        let last = stay.ids.last().copied().unwrap_or(0);
        let got: HashSet<u64> = stay.ids.iter().copied().collect();
        for (id, asked, from) in lines {
            let after_start = *id > first || *asked > stay.from;
            let before_end = stay.end == End::ToTheEnd || *id < last;
            if after_start && before_end && !got.contains(id) {
                report.violations.push(format!(
                    "{login}: missed line {id} of {} from {from} (in the room from {:?} to {:?})",
                    stay.room, stay.from, stay.end
                ));
            }
        }
    }
}

fn check_privates(
    clients: &[(String, Vec<(Instant, Seen)>)],
    privates: &Privates,
    report: &mut Report,
) {
    // What each recipient got: (from, text) -> [(when, stored)].
    let mut got: HashMap<(String, String, String), Vec<(Instant, bool)>> = HashMap::new();
    let mut cut_at: HashMap<&str, Vec<Instant>> = HashMap::new();
    for (login, history) in clients {
        for (at, seen) in history {
            match seen {
                Seen::Private { from, text, stored } => {
                    got.entry((from.clone(), login.clone(), text.clone()))
                        .or_default()
                        .push((*at, *stored));
                }
                Seen::Disconnected => cut_at.entry(login.as_str()).or_default().push(*at),
                _ => {}
            }
        }
    }
    for (key, deliveries) in &got {
        if !privates.contains_key(key) {
            report.violations.push(format!(
                "{} received {:?} from {}, never sent",
                key.1, key.2, key.0
            ));
        }
        if deliveries.len() > 1 {
            report.violations.push(format!(
                "{} received {:?} from {} {} times",
                key.1,
                key.2,
                key.0,
                deliveries.len()
            ));
        }
    }
    for (key, (asked, answer)) in privates {
        let delivered = got.get(key).map_or(&[][..], Vec::as_slice);
        let (from, to, text) = key;
        match answer {
            Some((answered, Answer::Done)) => {
                report.privates_sent += 1;
                let cut = cut_at.get(to.as_str()).is_some_and(|cuts| {
                    cuts.iter().any(|c| {
                        *c + Duration::from_secs(1) >= *asked && *c <= *answered + ANSWER_WITHIN
                    })
                });
                match delivered {
                    [(_, false)] => {}
                    [] if cut => {}
                    other => report.violations.push(format!(
                        "{from} -> {to} {text:?} answered sent, delivered {other:?}"
                    )),
                }
            }
            Some((_, Answer::Stored)) => {
                report.privates_stored += 1;
                if !matches!(delivered, [(_, true)]) {
                    report.violations.push(format!(
                        "{from} -> {to} {text:?} answered kept, delivered {delivered:?}"
                    ));
                }
            }
            Some((_, Answer::Refused(_))) | None => report.privates_refused += 1,
        }
    }
}
