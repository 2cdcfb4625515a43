//! The memory of 500 rooms with full history: 500 users each create a room and say 200 lines
//! of 100 characters in it (the default `history_per_room`), and the server's resident memory
//! is read before and after the lines.
//!
//! ```sh
//! cargo build --release -p chat-server
//! cargo run --release -p chat-server --example history_memory -- 500 200 100
//! ```
//!
//! Arguments: rooms, lines per room, characters per line. The growth per room is what history
//! costs in memory, with the per-line frame the server keeps ready to send.

mod common;

use std::io::Write;

use chat_core::frame::encode;
use chat_core::protocol::{ClientFrame, Request, ServerMessage};
use common::{Failure, Raw, login, proc_stats, seed, server_binary, spawn_server};

const PASSWORD: &str = "history-password";

fn main() -> Result<(), Failure> {
    let mut args = std::env::args().skip(1);
    let mut arg = |default: usize| -> Result<usize, Failure> {
        Ok(args.next().map_or(Ok(default), |a| a.parse())?)
    };
    let (rooms, lines, chars) = (arg(500)?, arg(200)?, arg(100)?);
    let bin = server_binary()?;
    let dir = std::env::temp_dir().join(format!("chat-history-{rooms}"));
    seed(&dir, rooms, PASSWORD)?;
    let (mut child, addr) = spawn_server(
        &bin,
        &dir,
        &["--flood-per-second", "0", "--max-rooms", "100000"],
    )?;
    let measured = measure(addr, child.id(), rooms, lines, chars);
    child.kill()?;
    child.wait()?;
    let (before, after) = measured?;
    let per_room = (after.saturating_sub(before)) as f64 / rooms as f64;
    println!(
        "{{\"rooms\": {rooms}, \"lines_per_room\": {lines}, \"chars_per_line\": {chars}, \
         \"rss_kb_before\": {before}, \"rss_kb_after\": {after}, \
         \"kb_per_room\": {per_room:.1}, \"bytes_per_line\": {:.0}}}",
        per_room * 1024.0 / lines as f64
    );
    Ok(())
}

/// Resident memory (kB) with every room created and empty, and with every room's history full.
fn measure(
    addr: std::net::SocketAddr,
    pid: u32,
    rooms: usize,
    lines: usize,
    chars: usize,
) -> Result<(u64, u64), Failure> {
    let mut clients: Vec<Raw> = Vec::with_capacity(rooms);
    for i in 0..rooms {
        let mut raw = login(addr, &format!("user{i:06}"), PASSWORD)?;
        match raw.request(Request::CreateRoom {
            room: format!("room{i}"),
        })? {
            ServerMessage::Entered { .. } => {}
            other => return Err(format!("create room{i}: {other:?}").into()),
        }
        clients.push(raw);
    }
    // Let the room list reach everyone, then read the baseline.
    std::thread::sleep(std::time::Duration::from_secs(1));
    for raw in &mut clients {
        raw.events()?;
    }
    let before = proc_stats(pid)?.rss_kb;
    for (i, raw) in clients.iter_mut().enumerate() {
        let mut batch = Vec::new();
        for n in 0..lines {
            let head = format!("room {i} line {n} ");
            let text: String = head
                .chars()
                .chain("abcdefghij".chars().cycle())
                .take(chars)
                .collect();
            batch.extend(encode(&ClientFrame {
                id: 1_000_000 + u32::try_from(n)?,
                request: Request::Say {
                    attachments: Vec::new(),
                    reply_to: None,
                    text,
                },
            })?);
        }
        raw.stream_mut().write_all(&batch)?;
        raw.events()?;
    }
    std::thread::sleep(std::time::Duration::from_secs(1));
    let after = proc_stats(pid)?.rss_kb;
    Ok((before, after))
}
