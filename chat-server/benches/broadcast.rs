//! The broadcast path on the hub's side: encode a room message once and queue the shared frame
//! for every member. (Sending is measured end to end by `chat-bench fanout`.)
//! `cargo bench -p chat-server`.
#![allow(clippy::unwrap_used)]

use std::hint::black_box;
use std::sync::Arc;

use chat_core::frame::encode;
use chat_core::protocol::{ServerFrame, ServerMessage};
use chat_server::outbox::{Frame, Outbox};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};

fn message() -> ServerFrame {
    ServerFrame {
        time: 1_795_600_000_000,
        re: None,
        message: ServerMessage::Message {
            attachments: Vec::new(),
            reply_to: None,
            room: "lobby".into(),
            from: "ana".into(),
            text: "x".repeat(64),
            id: 0,
        },
    }
}

fn broadcast(c: &mut Criterion) {
    let mut group = c.benchmark_group("broadcast");
    for members in [100usize, 1000] {
        group.throughput(Throughput::Elements(members as u64));
        group.bench_function(format!("encode once, queue for {members} members"), |b| {
            b.iter_batched_ref(
                || {
                    (0..members)
                        .map(|_| Outbox::new(1 << 20))
                        .collect::<Vec<_>>()
                },
                |outboxes| {
                    let frame: Frame = Arc::from(encode(black_box(&message())).unwrap());
                    for outbox in outboxes.iter() {
                        let _ = outbox.push(Frame::clone(&frame));
                    }
                },
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, broadcast);
criterion_main!(benches);
