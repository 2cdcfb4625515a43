//! `floor`: the fan-out latency run with no chat server, to measure what no server can go under.
//!
//! The members connect over loopback to a listener in this process. A stand-in for the server
//! holds the accepted sockets on `--writers` threads and, for each message, encodes one `message`
//! frame (the bytes the server would send) and writes it to each of its sockets in turn with plain
//! blocking writes: no hub, no queues, no requests to read. The members are read by the same
//! event loops, the same code and the same acknowledgement policy as in `fanout`, and latency is
//! taken the same way, from a stamp in the text. So a `fanout` run and a `floor` run with the same
//! members, rate and threads differ only by what the server does beyond writing; the kernel's
//! loopback TCP and the generator cost the same in both.

use std::io::{self, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::Ordering::{Acquire, Relaxed};
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::{Arc, mpsc};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use chat_core::clock::system_now_ms;
use chat_core::frame::encode;
use chat_core::protocol::{ServerFrame, ServerMessage};
use serde::Serialize;

use crate::cli::FloorArgs;
use crate::histogram::{Histogram, Latency};
use crate::net::{Closed, Conns, Handler, Net};
use crate::payload::Stamp;
use crate::run::{Progress, StopOnDrop, TICK, join_loops, partition, round3, secs, spawn_loops};
use crate::usage::{own_cpu_seconds, thread_cpu_seconds};

/// A member that stops reading cannot hold a stand-in thread for longer than this.
const WRITE_TIMEOUT: Duration = Duration::from_secs(2);
/// Longest wait of a member loop for readiness, so it sees the end of the run.
const LOOP_WAIT: Duration = Duration::from_millis(5);

/// What the coordinator, the stand-in and the member loops share.
#[derive(Debug)]
struct Shared {
    epoch: Instant,
    stop: AtomicBool,
    received: AtomicU64,
    closed: AtomicU64,
}

impl Shared {
    fn ns_at(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.epoch).as_nanos()).unwrap_or(u64::MAX)
    }
}

/// What one member loop measured.
#[derive(Debug, Default)]
struct LoopReport {
    latency: Histogram,
    received: u64,
    foreign: u64,
    closed: u64,
    connect_failures: u64,
    /// When the loop's last message arrived (ns since the epoch).
    last_ns: u64,
}

/// The [`Handler`] of one member loop: counts and times messages.
struct Members<'a> {
    shared: &'a Shared,
    report: LoopReport,
}

impl Handler for Members<'_> {
    fn on_frame(&mut self, _: &mut Conns, _: usize, _: ServerFrame, _: Instant) {
        self.report.foreign += 1;
    }

    fn on_message(&mut self, _: &mut Conns, _: usize, text: &[u8], at: Instant) {
        let Some(stamp) = Stamp::decode(text) else {
            self.report.foreign += 1;
            return;
        };
        let at_ns = self.shared.ns_at(at);
        self.report.received += 1;
        self.report.last_ns = self.report.last_ns.max(at_ns);
        self.report
            .latency
            .record(at_ns.saturating_sub(stamp.sent_ns));
    }

    fn on_closed(&mut self, _: &mut Conns, _: usize, _: Closed) {
        self.report.closed += 1;
        self.shared.closed.fetch_add(1, Relaxed);
    }

    fn on_timer(&mut self, _: &mut Conns, _: usize, _: u32) {}
}

fn member_loop(shared: &Shared, addr: SocketAddr, count: usize, delayed_acks: bool) -> LoopReport {
    let mut members = Members {
        shared,
        report: LoopReport::default(),
    };
    let mut net = match Net::new(addr, count) {
        Ok(net) => net,
        Err(e) => {
            eprintln!("chat-bench: cannot start an event loop: {e}");
            members.report.connect_failures = count as u64;
            return members.report;
        }
    };
    net.conns.set_delayed_acks(delayed_acks);
    for local in 0..count {
        if net.conns.connect(local).is_err() {
            members.report.connect_failures += 1;
        }
    }
    let mut published = 0;
    while !shared.stop.load(Acquire) {
        if let Err(e) = net.turn(LOOP_WAIT, &mut members) {
            eprintln!("chat-bench: event loop failed: {e}");
            break;
        }
        let received = members.report.received;
        shared.received.fetch_add(received - published, Relaxed);
        published = received;
    }
    members.report
}

/// What one thread of the stand-in did.
struct StandIn {
    cpu_s: f64,
    failed_writes: u64,
    /// Still open: the members must not see them close before the run is over.
    sockets: Vec<TcpStream>,
}

/// One thread of the stand-in: writes every frame it is given to each of its sockets.
fn stand_in(mut sockets: Vec<TcpStream>, frames: mpsc::Receiver<Arc<[u8]>>) -> StandIn {
    let mut failed_writes = 0;
    for frame in frames {
        for socket in &mut sockets {
            if socket.write_all(&frame).is_err() {
                failed_writes += 1;
            }
        }
    }
    StandIn {
        cpu_s: thread_cpu_seconds(),
        failed_writes,
        sockets,
    }
}

/// A loopback listener whose queue holds `backlog` connections: the members all connect at once,
/// and a connection the queue cannot hold is lost to the run.
pub fn listen(backlog: usize) -> io::Result<TcpListener> {
    #[cfg(target_os = "linux")]
    {
        use socket2::{Domain, Socket, Type};
        let socket = Socket::new(Domain::IPV4, Type::STREAM, None)?;
        socket.bind(&SocketAddr::from((Ipv4Addr::LOCALHOST, 0)).into())?;
        socket.listen(i32::try_from(backlog).unwrap_or(i32::MAX))?;
        Ok(socket.into())
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = backlog;
        TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
    }
}

/// Accepts `n` connections before `deadline`, dealt round robin to `groups` threads.
fn accept_members(
    listener: &TcpListener,
    n: usize,
    groups: usize,
    deadline: Instant,
) -> io::Result<Vec<Vec<TcpStream>>> {
    let mut dealt: Vec<Vec<TcpStream>> = (0..groups).map(|_| Vec::new()).collect();
    let mut accepted = 0;
    while accepted < n && Instant::now() < deadline {
        match listener.accept() {
            Ok((socket, _)) => {
                socket.set_nonblocking(false)?;
                socket.set_nodelay(true)?;
                socket.set_write_timeout(Some(WRITE_TIMEOUT))?;
                dealt[accepted % groups].push(socket);
                accepted += 1;
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                thread::sleep(Duration::from_millis(1));
            }
            Err(e) => return Err(e),
        }
    }
    Ok(dealt)
}

/// The frame the server would send for one benchmark message.
fn message_frame(text: String) -> io::Result<Arc<[u8]>> {
    let frame = encode(&ServerFrame {
        time: system_now_ms(),
        re: None,
        message: ServerMessage::Message {
            attachments: Vec::new(),
            reply_to: None,
            room: "floor".into(),
            from: "floor".into(),
            text,
            id: 0,
        },
    })
    .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    Ok(Arc::from(frame))
}

#[derive(Debug, Serialize)]
struct Params {
    members: usize,
    messages: u64,
    rate: f64,
    burst: u64,
    size: usize,
    writers: u64,
    threads: u64,
    immediate_acks: bool,
    timeout_s: u64,
}

#[derive(Debug, Serialize)]
struct FloorReport {
    command: &'static str,
    params: Params,
    /// `complete`, `timeout` or `setup_failed`.
    outcome: &'static str,
    deliveries_per_sec: f64,
    expected: u64,
    received: u64,
    lost: u64,
    latency_us: Latency,
    duration_s: f64,
    /// CPU of the stand-in's writing threads: what writing alone costs the "server".
    stand_in_cpu_s: f64,
    /// CPU of the rest of the process: the member loops (and the pacing, a few µs a message).
    members_cpu_s: f64,
    stand_in_us_per_delivery: f64,
    members_us_per_delivery: f64,
    closes: u64,
    failed_writes: u64,
    foreign_messages: u64,
}

/// Runs the floor measurement and returns its report and whether it completed cleanly.
pub fn run(args: FloorArgs) -> io::Result<(String, bool)> {
    let listener = listen(args.members)?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let shared = Arc::new(Shared {
        epoch: Instant::now(),
        stop: AtomicBool::new(false),
        received: AtomicU64::new(0),
        closed: AtomicU64::new(0),
    });
    let deadline = shared.epoch + Duration::from_secs(args.timeout);
    let n = args.members;
    let expected = args.messages * n as u64;

    let parts = partition(n, args.threads as usize);
    let delayed_acks = !args.immediate_acks;
    let loops = {
        let shared = Arc::clone(&shared);
        spawn_loops(parts, move |part| {
            member_loop(&shared, addr, part.len(), delayed_acks)
        })?
    };
    let stopper = StopOnDrop(&shared.stop);
    let groups = accept_members(&listener, n, args.writers as usize, deadline)?;
    let accepted: usize = groups.iter().map(Vec::len).sum();
    if accepted < n {
        eprintln!("only {accepted} of {n} members connected in time");
    }

    let mut outcome = "setup_failed";
    let mut writers: Vec<JoinHandle<StandIn>> = Vec::new();
    let (mut start, mut cpu_start) = (Instant::now(), own_cpu_seconds());
    if accepted == n {
        eprintln!("all {n} members connected; sending");
        let mut senders = Vec::new();
        for (i, sockets) in groups.into_iter().enumerate() {
            let (tx, rx) = mpsc::channel();
            senders.push(tx);
            writers.push(
                thread::Builder::new()
                    .name(format!("stand-in-{i}"))
                    .spawn(move || stand_in(sockets, rx))?,
            );
        }
        (start, cpu_start) = (Instant::now(), own_cpu_seconds());
        let interval = Duration::from_secs_f64(1.0 / args.rate);
        let mut progress = Progress::new();
        outcome = "timeout";
        for j in (0..args.messages).step_by(args.burst as usize) {
            let due = start + interval.mul_f64(j as f64);
            let now = Instant::now();
            if due > deadline {
                break;
            }
            if due > now {
                thread::sleep(due - now);
            }
            let stamp = Stamp {
                sent_ns: shared.ns_at(Instant::now()),
                sender: 0,
            };
            let one = message_frame(stamp.encode(args.size))?;
            let together = args.burst.min(args.messages - j) as usize;
            let frame: Arc<[u8]> = one.repeat(together).into();
            for tx in &senders {
                let _ = tx.send(Arc::clone(&frame));
            }
            progress.tick(|| format!("sent {j}, received {}", shared.received.load(Relaxed)));
        }
        drop(senders);
        while Instant::now() < deadline {
            if shared.received.load(Relaxed) >= expected {
                outcome = "complete";
                break;
            }
            thread::sleep(TICK);
        }
    }
    let cpu = own_cpu_seconds() - cpu_start;
    let (mut stand_in_cpu, mut failed_writes, mut open) = (0.0, 0, Vec::new());
    for writer in writers {
        if let Ok(done) = writer.join() {
            stand_in_cpu += done.cpu_s;
            failed_writes += done.failed_writes;
            open.push(done.sockets);
        }
    }
    drop(stopper);
    let reports = join_loops(loops);
    drop(open);

    let mut latency = Histogram::new();
    let (mut received, mut foreign, mut closes, mut last_ns) = (0, 0, 0, 0);
    for r in &reports {
        latency.merge(&r.latency);
        received += r.received;
        foreign += r.foreign;
        closes += r.closed + r.connect_failures;
        last_ns = last_ns.max(r.last_ns);
    }
    let duration = Duration::from_nanos(last_ns.saturating_sub(shared.ns_at(start)));
    let per_delivery = |cpu: f64| {
        if received == 0 {
            0.0
        } else {
            round3(cpu * 1e6 / received as f64)
        }
    };
    let members_cpu = (cpu - stand_in_cpu).max(0.0);
    let lost = expected.saturating_sub(received);
    let clean = outcome == "complete" && lost == 0 && closes == 0;
    let report = FloorReport {
        command: "floor",
        params: Params {
            members: n,
            messages: args.messages,
            rate: args.rate,
            burst: args.burst,
            size: args.size,
            writers: args.writers,
            threads: args.threads,
            immediate_acks: args.immediate_acks,
            timeout_s: args.timeout,
        },
        outcome,
        deliveries_per_sec: if duration.is_zero() {
            0.0
        } else {
            (received as f64 / duration.as_secs_f64()).round()
        },
        expected,
        received,
        lost,
        latency_us: Latency::of(&latency),
        duration_s: secs(duration),
        stand_in_cpu_s: round3(stand_in_cpu),
        members_cpu_s: round3(members_cpu),
        stand_in_us_per_delivery: per_delivery(stand_in_cpu),
        members_us_per_delivery: per_delivery(members_cpu),
        closes,
        failed_writes,
        foreign_messages: foreign,
    };
    Ok((serde_json::to_string(&report)?, clean))
}
