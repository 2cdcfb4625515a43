//! One event-loop thread of a fan-out run: logs its share of the members in, brings them into the
//! room, sends for its senders, and counts and times every message its members receive. What is
//! particular to an IRC port (`--irc`) is in `irc`, a member's part in reaction storms in
//! `storm`.

mod irc;
mod storm;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering::{Acquire, Relaxed};
use std::time::{Duration, Instant};

use chat_core::irc::Line;
use chat_core::protocol::{ErrorCode, Request, ServerFrame, ServerMessage};

use super::windows::{Splits, WindowView};
use super::{FanoutShared, Plan};
use crate::conn::Wire;
use crate::histogram::Histogram;
use crate::inbox::ReactionCounts;
use crate::net::{Closed, Conns, Handler, Net};
use crate::payload::Stamp;
use crate::session::{Account, Auth, AuthStep, busy_delay};

/// Timer tags.
const RETRY_AUTH: u32 = 1;
const RECONNECT: u32 = 2;
const RETRY_ENTER: u32 = 3;

/// Connection attempts per member before it counts as a failed login.
const CONNECT_ATTEMPTS: u32 = 3;
/// Wait before reconnecting a member whose connection failed while logging in.
const RECONNECT_DELAY: Duration = Duration::from_millis(200);
/// Deliveries between two updates of the shared totals within a turn.
const PUBLISH_EVERY: u64 = 4096;
/// Longest wait for readiness while something shared may change (start, stop).
const IDLE_WAIT: Duration = Duration::from_millis(5);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    NotStarted,
    LoggingIn,
    /// Logged in; the room does not exist yet.
    AwaitRoom,
    /// `create_room` or `enter_room` sent with this id (IRC: `JOIN` sent, id 0).
    Entering(u32),
    InRoom,
    Gone,
}

#[derive(Debug)]
struct Member {
    /// Index over the whole run (login suffix, sender number).
    index: usize,
    login: String,
    auth: Option<Auth>,
    stage: Stage,
    attempts: u32,
    sent: u64,
    /// This sender's messages known to have arrived, which free its window: its own echoes
    /// (chat protocol), or its deliveries at the member that acknowledges for it (IRC).
    acked: u64,
    /// IRC: the sender (local index) whose deliveries to this member free that sender's window.
    acks_for: Option<usize>,
    /// The server said goodbye (counted in `closes` by its reason).
    told_goodbye: bool,
}

/// What one loop measured.
#[derive(Debug, Default)]
pub struct LoopReport {
    pub latency: Histogram,
    pub received: u64,
    pub echoes: u64,
    pub sent: u64,
    /// Messages whose text was not a benchmark stamp.
    pub foreign: u64,
    /// When this loop's last expected message arrived (ns since the run's epoch).
    pub finished_ns: Option<u64>,
    pub disconnects: u64,
    pub login_failures: u64,
    pub registered: u64,
    pub server_busy: u64,
    /// `goodbye` reasons and connection errors, counted.
    pub closes: BTreeMap<String, u64>,
    /// The first few reasons a member could not join.
    pub failures: Vec<String>,
    /// With storms or upload rounds: latency by whether the line was said in a window.
    pub splits: Option<Box<Splits>>,
}

/// The members of one loop and what they know; the [`Handler`] of its [`Net`].
struct RoomLoop<'a> {
    plan: &'a Plan,
    shared: &'a FanoutShared,
    members: Vec<Member>,
    report: LoopReport,
    started: bool,
    room_ready: bool,
    logging_in: usize,
    expected_received: u64,
    expected_echoes: u64,
    /// Senders among `members`, by local index.
    senders: Vec<usize>,
    /// `#room`, for IRC.
    channel: String,
    /// Counts last added to the shared totals: received, echoes, sent.
    published: (u64, u64, u64),
    /// Reaction storms (`--storms`): this loop's part.
    storm: storm::LoopStorm,
    /// Storms' and upload rounds' windows, as this loop last read them.
    view: WindowView,
    /// Members that upload (the first ones): 0 without upload rounds.
    uploaders: usize,
}

/// Runs the loop for the members with indices `indices` until the coordinator says stop.
pub fn run(plan: Arc<Plan>, shared: Arc<FanoutShared>, indices: Vec<usize>) -> LoopReport {
    let mut net = match Net::new(plan.common.addr, indices.len()) {
        Ok(net) => net,
        Err(e) => {
            shared.setup_failed.fetch_add(indices.len(), Relaxed);
            return LoopReport {
                login_failures: indices.len() as u64,
                failures: vec![format!("cannot start an event loop: {e}")],
                ..LoopReport::default()
            };
        }
    };
    net.conns.set_delayed_acks(!plan.immediate_acks);
    net.conns
        .set_wire(if plan.irc { Wire::Irc } else { Wire::Native });
    net.conns.set_transport(
        &plan.common.transport,
        indices.first().copied().unwrap_or(0),
    );
    let k = plan.senders as u64;
    let m = plan.messages;
    let storms = plan.storms.storms > 0;
    let uploads = plan.uploads.upload_rounds > 0;
    let mut lp = RoomLoop {
        storm: storm::LoopStorm::new(
            if storms { indices.len() } else { 0 },
            plan.members,
            plan.storms.emoji,
        ),
        view: WindowView::default(),
        uploaders: if uploads { plan.uploads.uploaders } else { 0 },
        plan: &plan,
        shared: &shared,
        expected_received: indices
            .iter()
            .map(|&i| if i < plan.senders { (k - 1) * m } else { k * m })
            .sum(),
        expected_echoes: if plan.irc {
            0
        } else {
            indices.iter().filter(|&&i| i < plan.senders).count() as u64 * m
        },
        senders: (0..indices.len())
            .filter(|&l| indices[l] < plan.senders)
            .collect(),
        members: indices
            .into_iter()
            .map(|index| Member {
                index,
                login: plan.common.login(index),
                auth: None,
                stage: Stage::NotStarted,
                attempts: 0,
                sent: 0,
                acked: 0,
                acks_for: None,
                told_goodbye: false,
            })
            .collect(),
        channel: format!("#{}", plan.room),
        report: LoopReport {
            splits: (storms || uploads).then(Box::default),
            ..LoopReport::default()
        },
        started: false,
        room_ready: false,
        logging_in: 0,
        published: (0, 0, 0),
    };
    if plan.irc {
        lp.choose_ackers();
    }
    let login_limit = plan.login_limit_per_loop();
    let mut next_to_start = 0;
    let mut done_told = false;
    while !shared.stop.load(Acquire) {
        while next_to_start < lp.members.len() && lp.logging_in < login_limit {
            lp.start(&mut net.conns, next_to_start);
            next_to_start += 1;
        }
        if !lp.room_ready && shared.room_ready.load(Acquire) {
            lp.room_ready = true;
            lp.enter_waiting(&mut net.conns);
        }
        if !lp.started && shared.started.load(Acquire) {
            lp.started = true;
        }
        let wait = if lp.started {
            let storm = if storms {
                lp.storm_turn(&mut net.conns)
            } else {
                Duration::MAX
            };
            lp.send_due(&mut net.conns).min(storm).min(IDLE_WAIT * 4)
        } else {
            IDLE_WAIT
        };
        net.flush(&mut lp);
        if let Err(e) = net.turn(wait, &mut lp) {
            lp.report.failures.push(format!("event loop failed: {e}"));
            break;
        }
        lp.publish();
        if !done_told && lp.report.finished_ns.is_some() {
            done_told = true;
            shared.loops_done.fetch_add(1, Relaxed);
        }
    }
    lp.report
}

impl RoomLoop<'_> {
    /// Adds what was counted since last time to the shared totals the coordinator watches.
    fn publish(&mut self) {
        let now = (self.report.received, self.report.echoes, self.report.sent);
        let last = self.published;
        self.shared.received.fetch_add(now.0 - last.0, Relaxed);
        self.shared.echoes.fetch_add(now.1 - last.1, Relaxed);
        self.shared.sent.fetch_add(now.2 - last.2, Relaxed);
        self.published = now;
    }

    fn account(&self, local: usize) -> Account<'_> {
        Account {
            login: &self.members[local].login,
            password: &self.plan.common.password,
        }
    }

    fn start(&mut self, conns: &mut Conns, local: usize) {
        self.members[local].attempts += 1;
        self.members[local].stage = Stage::LoggingIn;
        self.logging_in += 1;
        if let Err(e) = conns.connect(local) {
            self.setup_failed(conns, local, format!("connect: {e}"));
            return;
        }
        if self.plan.irc {
            self.register_irc(conns, local);
            return;
        }
        let auth = Auth::begin(conns, local, self.account(local));
        self.members[local].auth = Some(auth);
    }

    /// A member could not log in or enter the room: try again, or give it up.
    fn setup_failed(&mut self, conns: &mut Conns, local: usize, why: String) {
        conns.close(local);
        let member = &mut self.members[local];
        if member.stage == Stage::LoggingIn {
            self.logging_in -= 1;
        }
        if member.attempts < CONNECT_ATTEMPTS && !self.started {
            member.stage = Stage::NotStarted;
            conns.after(RECONNECT_DELAY, local, RECONNECT);
            return;
        }
        member.stage = Stage::Gone;
        self.report.login_failures += 1;
        if self.report.failures.len() < 5 {
            self.report
                .failures
                .push(format!("{}: {why}", member.login));
        }
        self.shared.setup_failed.fetch_add(1, Relaxed);
        if member.index == 0 {
            self.shared
                .creator_failed
                .store(true, std::sync::atomic::Ordering::Release);
        }
    }

    fn logged_in(&mut self, conns: &mut Conns, local: usize) {
        self.logging_in -= 1;
        self.shared.logged_in.fetch_add(1, Relaxed);
        if self.members[local].index == 0 {
            if self.plan.irc {
                self.join(conns, local);
                return;
            }
            let room = self.plan.room.clone();
            self.request_room(conns, local, Request::CreateRoom { room });
        } else if self.room_ready {
            self.enter(conns, local);
        } else {
            self.members[local].stage = Stage::AwaitRoom;
        }
    }

    fn enter(&mut self, conns: &mut Conns, local: usize) {
        if self.plan.irc {
            self.join(conns, local);
            return;
        }
        let room = self.plan.room.clone();
        self.request_room(conns, local, Request::EnterRoom { room });
    }

    fn request_room(&mut self, conns: &mut Conns, local: usize, request: Request) {
        if let Some(id) = conns.send(local, request) {
            self.members[local].stage = Stage::Entering(id);
        }
    }

    fn enter_waiting(&mut self, conns: &mut Conns) {
        for local in 0..self.members.len() {
            if self.members[local].stage == Stage::AwaitRoom {
                self.enter(conns, local);
            }
        }
    }

    /// Sends what each local sender may send now; returns how long until the next send is due.
    fn send_due(&mut self, conns: &mut Conns) -> Duration {
        let now_ns = self.shared.now_ns();
        let mut next = Duration::MAX;
        for i in 0..self.senders.len() {
            let local = self.senders[i];
            if let Some(due) = self.fill_window(conns, local, now_ns) {
                next = next.min(Duration::from_nanos(due.saturating_sub(now_ns)));
            }
        }
        next
    }

    /// Sends while the sender has messages left, room in its window and (when paced) a send
    /// due. Returns when the next paced send is due, if one is waiting for its time.
    fn fill_window(&mut self, conns: &mut Conns, local: usize, now_ns: u64) -> Option<u64> {
        let plan = self.plan;
        let member = &mut self.members[local];
        if member.stage != Stage::InRoom {
            return None;
        }
        while member.sent < plan.messages && member.sent - member.acked < plan.window {
            if let Some(due) = plan.due_ns(self.shared.start_ns(), member.index, member.sent)
                && due > now_ns
            {
                return Some(due);
            }
            let text = Stamp {
                sent_ns: self.shared.now_ns(),
                sender: u32::try_from(member.index).unwrap_or(u32::MAX),
            }
            .encode(plan.size);
            if plan.irc {
                if !conns.send_text(local, &crate::irc::privmsg(&self.channel, &text)) {
                    return None;
                }
            } else {
                conns.send(
                    local,
                    Request::Say {
                        attachments: Vec::new(),
                        reply_to: None,
                        text,
                    },
                )?;
            }
            member.sent += 1;
            self.report.sent += 1;
        }
        None
    }

    fn count_message(&mut self, conns: &mut Conns, local: usize, text: &[u8], at: Instant) {
        let Some(stamp) = Stamp::decode(text) else {
            self.report.foreign += 1;
            return;
        };
        if stamp.sender as usize == self.members[local].index {
            self.members[local].acked += 1;
            self.report.echoes += 1;
            if self.started {
                self.fill_window(conns, local, self.shared.now_ns());
            }
        } else {
            self.report.received += 1;
            let at_ns = self.shared.ns_at(at);
            let latency = at_ns.saturating_sub(stamp.sent_ns);
            self.report.latency.record(latency);
            if let Some(splits) = self.report.splits.as_mut() {
                let busy = self.view.holds(&self.shared.windows, stamp.sent_ns);
                splits.all.record(busy, latency);
                if self.uploaders > 0 {
                    if self.members[local].index >= self.uploaders {
                        splits.to_others.record(busy, latency);
                    }
                    if (stamp.sender as usize) < self.uploaders {
                        splits.from_uploaders.record(busy, latency);
                    }
                }
            }
            if self.members[local].acks_for.is_some() {
                self.acknowledge(conns, local, stamp.sender);
            }
        }
        if self.report.received.is_multiple_of(PUBLISH_EVERY) {
            // A loop starved of CPU may spend long in one turn: keep the coordinator informed.
            self.publish();
        }
        if self.report.finished_ns.is_none()
            && self.report.received >= self.expected_received
            && self.report.echoes >= self.expected_echoes
        {
            self.report.finished_ns = Some(self.shared.ns_at(at));
        }
    }

    /// The member is in the room; when it is the first, the others may come in.
    fn entered(&mut self, local: usize) {
        self.members[local].stage = Stage::InRoom;
        self.shared.in_room.fetch_add(1, Relaxed);
        if self.members[local].index == 0 {
            self.shared
                .room_ready
                .store(true, std::sync::atomic::Ordering::Release);
        }
    }

    fn on_room_reply(&mut self, conns: &mut Conns, local: usize, message: &ServerMessage) {
        match message {
            ServerMessage::Entered { .. } => self.entered(local),
            ServerMessage::Error {
                code: ErrorCode::RoomExists,
                ..
            } => self.enter(conns, local),
            ServerMessage::Error {
                code: ErrorCode::RoomNotFound,
                ..
            } => {
                self.members[local].stage = Stage::AwaitRoom;
                conns.after(RECONNECT_DELAY, local, RETRY_ENTER);
            }
            ServerMessage::Error { code, message, .. } => {
                let why = format!("entering the room: {code:?}: {message}");
                self.members[local].attempts = CONNECT_ATTEMPTS;
                self.setup_failed(conns, local, why);
            }
            _ => {}
        }
    }
}

impl Handler for RoomLoop<'_> {
    fn on_frame(&mut self, conns: &mut Conns, local: usize, frame: ServerFrame, at: Instant) {
        if let ServerMessage::Ping = frame.message {
            conns.send(local, Request::Ping);
            return;
        }
        match self.members[local].stage {
            Stage::LoggingIn => {
                let plan = self.plan;
                let member = &mut self.members[local];
                let account = Account {
                    login: &member.login,
                    password: &plan.common.password,
                };
                let Some(auth) = member.auth.as_mut() else {
                    return;
                };
                if let ServerMessage::LoggedIn {
                    token: Some(token), ..
                } = &frame.message
                    && member.index < self.uploaders
                {
                    self.shared.uploads.set_token(member.index, token);
                }
                match auth.on_frame(conns, local, account, &frame) {
                    AuthStep::Pending => {}
                    AuthStep::Registered => self.report.registered += 1,
                    AuthStep::Busy => {
                        self.report.server_busy += 1;
                        conns.after(busy_delay(local), local, RETRY_AUTH);
                    }
                    AuthStep::LoggedIn => self.logged_in(conns, local),
                    AuthStep::Failed(why) => {
                        self.members[local].attempts = CONNECT_ATTEMPTS;
                        self.setup_failed(conns, local, why);
                    }
                }
                return;
            }
            Stage::Entering(id) if frame.re == Some(id) => {
                self.on_room_reply(conns, local, &frame.message);
                return;
            }
            _ => {}
        }
        let in_room = self.members[local].stage == Stage::InRoom;
        if in_room && self.plan.storms.storms > 0 && self.on_storm_frame(local, &frame, at) {
            return;
        }
        match &frame.message {
            ServerMessage::Message { text, .. } => {
                self.count_message(conns, local, text.as_bytes(), at);
            }
            ServerMessage::Goodbye { reason, .. } => {
                self.members[local].told_goodbye = true;
                *self.report.closes.entry(format!("{reason:?}")).or_default() += 1;
            }
            _ => {}
        }
    }

    fn on_message(&mut self, conns: &mut Conns, local: usize, text: &[u8], at: Instant) {
        self.count_message(conns, local, text, at);
    }

    fn on_reactions(&mut self, _: &mut Conns, local: usize, counts: &ReactionCounts, at: Instant) {
        if self.plan.storms.storms > 0 && self.members[local].stage == Stage::InRoom {
            self.on_storm_reactions(local, counts.line, &counts.counts, at);
        }
    }

    fn on_line(&mut self, conns: &mut Conns, local: usize, line: &Line, at: Instant) {
        self.on_irc_line(conns, local, line, at);
    }

    fn on_closed(&mut self, conns: &mut Conns, local: usize, why: Closed) {
        match &why {
            Closed::Failed(e) => {
                *self
                    .report
                    .closes
                    .entry(format!("error: {}", e.kind()))
                    .or_default() += 1;
            }
            // So that a run that lost a member says how, even when no goodbye came first.
            Closed::ByServer if !self.members[local].told_goodbye => {
                *self
                    .report
                    .closes
                    .entry("closed without a goodbye".to_owned())
                    .or_default() += 1;
            }
            Closed::ByServer => {}
        }
        match self.members[local].stage {
            Stage::LoggingIn | Stage::AwaitRoom | Stage::Entering(_) => {
                let why = match why {
                    Closed::ByServer => "closed by the server".to_owned(),
                    Closed::Failed(e) => e.to_string(),
                };
                self.setup_failed(conns, local, why);
            }
            Stage::InRoom => {
                self.members[local].stage = Stage::Gone;
                self.report.disconnects += 1;
                self.shared.disconnects.fetch_add(1, Relaxed);
            }
            Stage::NotStarted | Stage::Gone => {}
        }
    }

    fn on_timer(&mut self, conns: &mut Conns, local: usize, tag: u32) {
        match (tag, self.members[local].stage) {
            (RETRY_AUTH, Stage::LoggingIn) => {
                let plan = self.plan;
                let member = &mut self.members[local];
                let account = Account {
                    login: &member.login,
                    password: &plan.common.password,
                };
                if let Some(auth) = member.auth.as_mut() {
                    auth.retry(conns, local, account);
                }
            }
            (RECONNECT, Stage::NotStarted) => self.start(conns, local),
            (RETRY_ENTER, Stage::AwaitRoom) if self.room_ready => self.enter(conns, local),
            _ => {}
        }
    }
}
