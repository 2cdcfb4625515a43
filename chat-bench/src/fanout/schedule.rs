//! When reaction storms or upload rounds happen in a paced fan-out: `--calm` seconds of plain
//! chat, then one, then calm again, as many as were asked for while the senders still have lines
//! to say; and what the report says of them.

use std::time::{Duration, Instant};

use serde::Serialize;

use super::storm::{StormRunner, StormsReport};
use super::uploads::{UploadRunner, UploadsReport};
use super::windows::{SplitReport, Splits};
use super::{FanoutShared, Plan};
use crate::run::{ServerProbe, round3};

/// The storms' or the rounds' own state.
#[derive(Debug)]
enum Runner {
    Storms(StormRunner),
    Uploads(UploadRunner),
}

/// The coordinator's timetable of windows.
#[derive(Debug)]
pub struct Schedule {
    runner: Runner,
    asked: u32,
    begun: u32,
    busy: bool,
    calm: Duration,
    /// When the next one may begin.
    next_at: Instant,
    /// Sending time one needs left to begin.
    need: Duration,
}

impl Schedule {
    /// The schedule the flags ask for, if any.
    pub fn new(plan: &Plan) -> Option<Schedule> {
        let (runner, asked, need) = if plan.storms.storms > 0 {
            let need = Duration::from_secs_f64(plan.storms.react_within + 1.0);
            (
                Runner::Storms(StormRunner::default()),
                plan.storms.storms,
                need,
            )
        } else if plan.uploads.upload_rounds > 0 {
            let need = Duration::from_secs(1);
            let runner = Runner::Uploads(UploadRunner::default());
            (runner, plan.uploads.upload_rounds, need)
        } else {
            return None;
        };
        Some(Schedule {
            runner,
            asked,
            begun: 0,
            busy: false,
            calm: Duration::from_secs_f64(plan.calm),
            next_at: Instant::now(),
            need,
        })
    }

    /// The timed phase started: the first calm begins.
    pub fn start(&mut self) {
        self.next_at = Instant::now() + self.calm;
    }

    /// Whether a storm or round is under way.
    pub fn busy(&self) -> bool {
        self.busy
    }

    /// Moves on: ends what is under way when it is over, begins the next when its time came.
    pub fn tick(&mut self, plan: &Plan, shared: &FanoutShared, server: &ServerProbe) {
        let windows = &shared.windows;
        if self.busy {
            let over = match &mut self.runner {
                Runner::Storms(storms) => {
                    let timeout = Duration::from_secs_f64(plan.storms.storm_timeout);
                    storms.poll(shared, windows, plan.members, timeout)
                }
                Runner::Uploads(uploads) => uploads.poll(plan, shared, windows, server),
            };
            if over {
                self.busy = false;
                self.next_at = Instant::now() + self.calm;
            }
            return;
        }
        if self.begun >= self.asked || Instant::now() < self.next_at {
            return;
        }
        let start_ns = shared.start_ns();
        let last_send = plan
            .due_ns(start_ns, plan.senders - 1, plan.messages - 1)
            .unwrap_or(start_ns);
        let need_ns = u64::try_from(self.need.as_nanos()).unwrap_or(u64::MAX);
        if shared.now_ns().saturating_add(need_ns) > last_send {
            return;
        }
        match &mut self.runner {
            Runner::Storms(storms) => storms.begin(shared),
            Runner::Uploads(uploads) => {
                if !uploads.can_begin(plan, shared) {
                    return;
                }
                uploads.begin(shared, windows, server);
            }
        }
        self.begun += 1;
        self.busy = true;
    }

    /// The report's part on the windows, and whether every one asked for ran cleanly.
    pub fn report(
        self,
        plan: &Plan,
        shared: &FanoutShared,
        splits: &Splits,
    ) -> (WindowsReport, bool) {
        let (busy_s, windows) = shared.windows.busy();
        let uploads = matches!(self.runner, Runner::Uploads(_));
        let (storms, upload_rounds) = match self.runner {
            Runner::Storms(runner) => (Some(StormsReport::new(runner, plan, shared)), None),
            Runner::Uploads(runner) => (None, Some(UploadsReport::new(runner, plan, shared))),
        };
        let clean = storms.as_ref().is_none_or(StormsReport::clean)
            && upload_rounds.as_ref().is_none_or(UploadsReport::clean);
        let report = WindowsReport {
            kind: if uploads { "uploads" } else { "storms" },
            windows,
            busy_s: round3(busy_s),
            calm_s: plan.calm,
            latency: splits.all.report(),
            to_others: uploads.then(|| splits.to_others.report()),
            from_uploaders: uploads.then(|| splits.from_uploaders.report()),
            storms,
            uploads: upload_rounds,
        };
        (report, clean)
    }
}

/// Storms or upload rounds, and the latency of lines said outside (`quiet`) and inside
/// (`busy`) them.
#[derive(Debug, Serialize)]
pub struct WindowsReport {
    kind: &'static str,
    windows: usize,
    busy_s: f64,
    calm_s: f64,
    /// Every delivery.
    latency: SplitReport,
    /// Upload rounds: deliveries to members that do not upload.
    #[serde(skip_serializing_if = "Option::is_none")]
    to_others: Option<SplitReport>,
    /// Upload rounds: deliveries of the uploaders' own lines.
    #[serde(skip_serializing_if = "Option::is_none")]
    from_uploaders: Option<SplitReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    storms: Option<StormsReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    uploads: Option<UploadsReport>,
}
