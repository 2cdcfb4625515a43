//! A sender's room lines on a node of a cluster: many in flight at once (they share the link's
//! round trips to Redis), delivered to everyone in the order said, and each one the log does
//! not take refused with its own `re` within two seconds, while its sender goes on (an IRC
//! client is told by a `NOTICE`).

use std::time::{Duration, Instant};

use chat_core::protocol::{ErrorCode, Request, ServerMessage};

use super::super::harness::{Client, registration};
use super::super::irc::Irc;
use super::{Cluster, eventually};

fn say(text: &str) -> Request {
    Request::Say {
        attachments: Vec::new(),
        reply_to: None,
        text: text.into(),
    }
}

/// The texts of the next `n` lines from `from` that `client` receives.
fn lines_from(client: &mut Client, from: &str, n: usize) -> Vec<String> {
    (0..n)
        .map(|_| {
            match client.expect("a line", |m| {
                matches!(m, ServerMessage::Message { from: f, .. } if f == from)
                    || matches!(m, ServerMessage::Error { .. })
            }) {
                ServerMessage::Message { text, .. } => text,
                other => panic!("a line refused: {other:?}"),
            }
        })
        .collect()
}

/// Sends lines, then a `ping`: everything up to the `pong`. A sender whose lines are in flight
/// is answered at once; a line is refused only when the log (or its deadline) says so.
fn say_then_ping(
    client: &mut Client,
    texts: &[String],
) -> (Vec<(u32, Instant)>, Vec<ServerMessage>) {
    let sent = texts
        .iter()
        .map(|t| (client.send(say(t)), Instant::now()))
        .collect();
    let ping = client.send(Request::Ping);
    let before = client
        .frames_until("the pong", |f| f.re == Some(ping))
        .into_iter()
        .map(|f| f.message)
        .collect();
    (sent, before)
}

#[test]
fn a_senders_lines_fly_together_in_order_and_each_the_log_missed_is_refused_with_its_re() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let mut fede = cluster.nodes[0].user("fede");
    let mut gala = cluster.nodes[1].user("gala");
    eventually("gala in the lobby on fede's node", || {
        super::users(&mut fede)
            .iter()
            .any(|(login, _)| login == "gala")
    });
    // A burst said without waiting: everyone gets it, in the order said. (Within the default
    // flood control's burst of 20 requests, with what follows: no request here is delayed.)
    let burst: Vec<String> = (0..8).map(|i| format!("línea {i}")).collect();
    for text in &burst {
        fede.send(say(text));
    }
    assert_eq!(lines_from(&mut gala, "fede", burst.len()), burst);
    assert_eq!(lines_from(&mut fede, "fede", burst.len()), burst);

    // An IRC client on fede's node.
    cluster.nodes[0]
        .client()
        .request(Request::Register(registration("hugo")));
    let irc = cluster.nodes[0]
        .handle()
        .irc_addr()
        .expect("the IRC gateway");
    let mut hugo = Irc::register(irc, "hugo");

    // The log stops answering (SIGSTOP: no reset, no timeout but the node's own).
    cluster.redis.pause();
    let first: Vec<String> = (0..3).map(|i| format!("primera {i}")).collect();
    let (mut sent, before) = say_then_ping(&mut fede, &first);
    // The sender went on: nothing refused yet (the node cannot know for a second).
    assert!(
        !before
            .iter()
            .any(|m| matches!(m, ServerMessage::Error { .. })),
        "{before:?}"
    );
    hugo.send("PRIVMSG #lobby :¿me oís?");
    hugo.send("PRIVMSG #lobby :¿y ahora?");
    let not_sent =
        |l: &chat_core::irc::Line| l.command == "NOTICE" && l.param(1).starts_with("Not sent");
    let before = hugo.settle();
    assert!(!before.iter().any(not_sent), "{before:?}");
    // Lines queued behind a round trip the link is stuck in.
    std::thread::sleep(Duration::from_millis(300));
    let second: Vec<String> = (0..3).map(|i| format!("segunda {i}")).collect();
    let (more, before) = say_then_ping(&mut fede, &second);
    assert!(
        !before
            .iter()
            .any(|m| matches!(m, ServerMessage::Error { .. })),
        "{before:?}"
    );
    sent.extend(more);
    // Each refused, with its own `re`, within two seconds of being said.
    for (id, at) in sent {
        let frame = fede.expect_frame("the line's refusal", |f| f.re == Some(id));
        let waited = at.elapsed();
        match frame.message {
            ServerMessage::Error {
                code: ErrorCode::ServerBusy,
                retry_after_ms: Some(_),
                ..
            } => {}
            other => panic!("line {id}: {other:?}"),
        }
        assert!(waited < Duration::from_secs(2), "line {id}: {waited:?}");
    }

    // The IRC client's lines too, each by a NOTICE.
    for _ in 0..2 {
        hugo.expect("a line's refusal", not_sent);
    }

    cluster.redis.resume();
    eventually("a line goes through again", || {
        fede.send(say("de vuelta"));
        gala.settle()
            .iter()
            .any(|m| matches!(m, ServerMessage::Message { text, .. } if text == "de vuelta"))
    });
}
