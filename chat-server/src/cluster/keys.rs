//! Where nodes meet in Redis (keys, the channel) and how events are written there.
//!
//! Every event goes through one Lua script that takes the next number of `chat:seq` and
//! publishes `<number> <event>` on `chat:bus` in one step: Redis runs scripts one at a time, so
//! the numbers are the order in which every subscriber receives the events. A room line's number
//! is its id (ids grow in every room, as history paging needs), and a node that sees a number
//! skipped knows it missed events (it asks for everyone's state again).
//!
//! The counter lives in Redis memory: a Redis restarted empty would start again at 1, so each
//! call passes the highest number its node has seen, and the script never goes below it.

use crate::chat::bus::Envelope;

/// The channel every node subscribes to.
pub const CHANNEL: &str = "chat:bus";
/// The event counter.
pub const SEQ_KEY: &str = "chat:seq";
/// The room names in use across the cluster: field room key, value `node\tcreator`.
pub const ROOMS_KEY: &str = "chat:rooms";
/// Prefix of each node's liveness key (`chat:node:<name>`, expiring).
pub const NODE_KEY_PREFIX: &str = "chat:node:";

/// Numbers and publishes one event (KEYS: counter, channel; ARGV: event, floor).
pub const PUBLISH_SCRIPT: &str = r"
local floor = tonumber(ARGV[2])
local now = tonumber(redis.call('GET', KEYS[1]) or '0')
if now < floor then redis.call('SET', KEYS[1], floor) end
local seq = redis.call('INCR', KEYS[1])
redis.call('PUBLISH', KEYS[2], seq .. ' ' .. ARGV[1])
return seq
";

/// A message from the channel: its number and event, or why it is unreadable.
pub fn decode(payload: &[u8]) -> Result<(u64, Envelope), String> {
    let space = payload
        .iter()
        .position(|b| *b == b' ')
        .ok_or("no sequence number")?;
    let seq = std::str::from_utf8(&payload[..space])
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .ok_or("a bad sequence number")?;
    let envelope = Envelope::decode(&payload[space + 1..])?;
    Ok((seq, envelope))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::chat::bus::BusEvent;

    #[test]
    fn a_published_event_reads_back_with_its_number() {
        let envelope = Envelope {
            node: "n1".into(),
            event: BusEvent::Said {
                room: "aula".into(),
                from: "ana".into(),
                text: "hola 👋".into(),
                time: 17,
                notice: false,
                reply_to: None,
                attachments: Vec::new(),
            },
        };
        let mut payload = b"42 ".to_vec();
        payload.extend(envelope.encode());
        assert_eq!(decode(&payload).unwrap(), (42, envelope));
        assert!(decode(b"x 1").is_err());
        assert!(decode(b"12").is_err());
        assert!(decode(b"12 \xc1").is_err());
    }
}
