//! `files`: one file up and down over HTTP on the chat port (docs/PROTOCOL.md, "Files"), in turn
//! with the same bytes up and down a bare stream of the same kind (TLS with `--tls`) to a sink in
//! this process, round after round. Both are driven by the same client code, on connections set
//! up beforehand, so the ratio of their speeds is what the file path costs beyond the stream:
//! the HTTP requests, the server's reading, writing to disk, hashing and syncing.
//!
//! On a machine shared with other work a transfer's speed moves from one second to the next, so
//! the four transfers of a round follow each other closely and their order alternates from round
//! to round (stream up, file up, file down, stream down; then file up, stream up, stream down,
//! file down), and the report gives each one's median over the rounds.
//!
//! The modules beside it serve `fanout --upload-rounds` too: `http` (the requests), `stream`
//! (blocking connections and the sink), `content` (a file's bytes), `login` (a session token).

pub mod content;
pub mod http;
pub mod login;
pub mod stream;

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::cli::FilesArgs;
use crate::run::{ServerProbe, round3};
use content::Content;
use stream::Sink;

/// Bytes in a MiB.
pub const MIB: usize = 1024 * 1024;

#[derive(Debug, Serialize)]
struct Round {
    /// MB/s (10^6 bytes a second) of each transfer.
    stream_up_mbps: f64,
    stream_down_mbps: f64,
    file_up_mbps: f64,
    file_down_mbps: f64,
}

#[derive(Debug, Serialize)]
struct Medians {
    stream_up_mbps: f64,
    stream_down_mbps: f64,
    file_up_mbps: f64,
    file_down_mbps: f64,
    /// The file's speed over the stream's, each the median of its rounds.
    up_ratio: f64,
    down_ratio: f64,
}

#[derive(Debug, Serialize)]
struct FilesReport {
    command: &'static str,
    addr: String,
    tls: bool,
    bytes: usize,
    patch_bytes: usize,
    /// `complete`, or `failed` (see `failures`).
    outcome: &'static str,
    rounds: Vec<Round>,
    #[serde(skip_serializing_if = "Option::is_none")]
    medians: Option<Medians>,
    /// The server's resident memory before the first round and after the last (KiB), and its
    /// peak since it started.
    #[serde(skip_serializing_if = "Option::is_none")]
    server_rss_kb: Option<(u64, u64)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    server_peak_rss_kb: Option<u64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    failures: Vec<String>,
}

/// Runs the rounds and returns the report and whether every transfer succeeded.
pub fn run(args: FilesArgs) -> std::io::Result<(String, bool)> {
    let common = &args.common;
    let size = usize::try_from(args.mib).unwrap_or(usize::MAX / MIB) * MIB;
    let patch = usize::try_from(args.patch_mib).unwrap_or(0) * MIB;
    let tls = common.transport.tls.clone();
    let server = ServerProbe(common.server_pid.clone());
    let before = server.sample();
    let token = login::token(
        common.addr,
        tls.as_ref(),
        &common.login(0),
        &common.password,
    )?;
    eprintln!("logged in as {}", common.login(0));
    let sink_content = Arc::new(Content::new(u64::MAX, size).bytes);
    let sink = Sink::start(tls.clone(), sink_content)?;
    let mut rounds = Vec::new();
    let mut failures = Vec::new();
    let mut back = Vec::with_capacity(size);
    // A seed of this run's own, so that a run on a server's store never meets content stored
    // by an earlier one.
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    for round in 0..args.rounds {
        let content = Content::new(seed.wrapping_add(u64::from(round)), size);
        let stream_first = round % 2 == 0;
        match one_round(
            common,
            &sink,
            &token,
            &content,
            patch,
            stream_first,
            &mut back,
        ) {
            Ok(r) => {
                eprintln!(
                    "round {round}: stream {:.0} / {:.0} MB/s, file {:.0} / {:.0} MB/s (up / down)",
                    r.stream_up_mbps, r.stream_down_mbps, r.file_up_mbps, r.file_down_mbps
                );
                rounds.push(r);
            }
            Err(e) => {
                eprintln!("round {round}: {e}");
                failures.push(format!("round {round}: {e}"));
            }
        }
    }
    let after = server.sample();
    let medians = (!rounds.is_empty()).then(|| {
        let med = |f: fn(&Round) -> f64| round1(median(rounds.iter().map(f).collect()));
        let m = Medians {
            stream_up_mbps: med(|r| r.stream_up_mbps),
            stream_down_mbps: med(|r| r.stream_down_mbps),
            file_up_mbps: med(|r| r.file_up_mbps),
            file_down_mbps: med(|r| r.file_down_mbps),
            up_ratio: 0.0,
            down_ratio: 0.0,
        };
        Medians {
            up_ratio: round3(m.file_up_mbps / m.stream_up_mbps),
            down_ratio: round3(m.file_down_mbps / m.stream_down_mbps),
            ..m
        }
    });
    let clean = failures.is_empty();
    let report = FilesReport {
        command: "files",
        addr: common.addr.to_string(),
        tls: tls.is_some(),
        bytes: size,
        patch_bytes: patch,
        outcome: if clean { "complete" } else { "failed" },
        rounds,
        medians,
        server_rss_kb: before.zip(after).map(|(b, a)| (b.rss_kb, a.rss_kb)),
        server_peak_rss_kb: after.map(|a| a.peak_rss_kb),
        failures,
    };
    Ok((serde_json::to_string(&report)?, clean))
}

/// One round: the bytes up and down the bare stream and as a file, on connections set up
/// beforehand; the stream's transfers first (`stream_first`) or the file's. Checks that every byte
/// came back each way.
fn one_round(
    common: &crate::cli::Common,
    sink: &Sink,
    token: &str,
    content: &Content,
    patch: usize,
    stream_first: bool,
    back: &mut Vec<u8>,
) -> std::io::Result<Round> {
    let size = content.bytes.len();
    let mut bare = sink.connect()?;
    let mut file = stream::Stream::connect(common.addr, common.transport.tls.as_ref())?;
    let mut stream_up = Duration::ZERO;
    if stream_first {
        stream_up = Sink::up(&mut bare, &content.bytes)?;
    }
    let started = Instant::now();
    let id = http::upload(
        &mut file,
        token,
        "bench.bin",
        &content.bytes,
        &content.sha256,
        patch,
    )?;
    let file_up = started.elapsed();
    if !stream_first {
        stream_up = Sink::up(&mut bare, &content.bytes)?;
    }
    let mut file_down = Duration::ZERO;
    let mut fetch = |back: &mut Vec<u8>| -> std::io::Result<()> {
        let started = Instant::now();
        http::download(&mut file, token, &id, size, back)?;
        file_down = started.elapsed();
        if *back != content.bytes {
            return Err(std::io::Error::other("the file came back different"));
        }
        Ok(())
    };
    if stream_first {
        fetch(back)?;
    }
    let stream_down = Sink::down(&mut bare, size, back)?;
    if !stream_first {
        fetch(back)?;
    }
    Ok(Round {
        stream_up_mbps: mbps(size, stream_up),
        stream_down_mbps: mbps(size, stream_down),
        file_up_mbps: mbps(size, file_up),
        file_down_mbps: mbps(size, file_down),
    })
}

/// MB/s (10^6 bytes a second), one decimal.
fn mbps(bytes: usize, took: Duration) -> f64 {
    let s = took.as_secs_f64().max(1e-9);
    (bytes as f64 / s / 1e5).round() / 10.0
}

/// Rounds to one decimal.
fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// The median (the mean of the middle two for an even count); 0 when empty.
pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => 0.0,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_and_speeds() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), 2.5);
        assert_eq!(median(Vec::new()), 0.0);
        assert_eq!(mbps(25 * MIB, Duration::from_millis(250)), 104.9);
    }
}
