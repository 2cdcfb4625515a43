//! Encoding and decoding frames: the work done once per message sent (encode) and once per
//! request received (decode). `cargo bench -p chat-core`.
#![allow(clippy::unwrap_used)]

use std::hint::black_box;

use chat_core::frame::{FrameReader, decode, encode};
use chat_core::limits::LEN_PREFIX_BYTES;
use chat_core::protocol::{ClientFrame, Request, ServerFrame, ServerMessage};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn message(len: usize) -> ServerFrame {
    ServerFrame {
        time: 1_795_600_000_000,
        re: None,
        message: ServerMessage::Message {
            attachments: Vec::new(),
            reply_to: None,
            room: "lobby".into(),
            from: "ana".into(),
            text: "x".repeat(len),
            id: 123_456,
        },
    }
}

fn frames(c: &mut Criterion) {
    let mut group = c.benchmark_group("frame");
    for len in [64usize, 1024] {
        let event = message(len);
        let bytes = encode(&event).unwrap();
        group.throughput(Throughput::Elements(1));
        group.bench_function(format!("encode message {len} B"), |b| {
            b.iter(|| encode(black_box(&event)).unwrap())
        });
        group.bench_function(format!("decode message {len} B"), |b| {
            b.iter(|| decode::<ServerFrame>(black_box(&bytes[LEN_PREFIX_BYTES..])).unwrap())
        });
    }
    let say = encode(&ClientFrame {
        id: 7,
        request: Request::Say {
            attachments: Vec::new(),
            reply_to: None,
            text: "x".repeat(64),
        },
    })
    .unwrap();
    group.bench_function("decode say 64 B", |b| {
        b.iter(|| decode::<ClientFrame>(black_box(&say[LEN_PREFIX_BYTES..])).unwrap())
    });
    // A read of 256 back-to-back frames, as a busy connection delivers them.
    let stream: Vec<u8> = say.iter().copied().cycle().take(say.len() * 256).collect();
    group.throughput(Throughput::Elements(256));
    group.bench_function("read 256 say frames", |b| {
        b.iter(|| {
            let mut reader = FrameReader::new();
            let mut input = &stream[..];
            let mut n = 0;
            while let Some(body) = reader.read_frame(&mut input).unwrap() {
                n += body.len();
            }
            black_box(n)
        })
    });
    group.finish();
}

criterion_group!(benches, frames);
criterion_main!(benches);
