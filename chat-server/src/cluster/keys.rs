//! Where nodes meet in Redis (keys, the log) and how events are written there and read back.
//!
//! The cluster's events are one Redis stream, `chat:events`: the log. Every event goes in
//! through a Lua script that takes the next number of `chat:seq` and appends the event under
//! the stream id `<number>-0`, with Redis' clock, in one step: Redis runs scripts one at a
//! time, so the numbers are the log's order, without holes. A room line's number is its id
//! (ids grow in every room, as history paging needs); a node reading the log knows where it
//! stopped (the last number it applied) and reads on from there after a disconnection; a
//! number skipped tells it that events it never read are gone (trimmed from the log, or a
//! Redis restarted empty).
//!
//! The log is trimmed to about [`LOG_EVENTS`] events (`MAXLEN ~`): its memory is bounded.
//!
//! A new log (first start, or a Redis restarted empty) numbers from the microseconds since the
//! epoch, so its numbers stay above any an earlier log used (which counted fewer than a million
//! events a second); each call also passes the highest number its node has seen, and the
//! counter never goes below it.

use crate::chat::bus::Envelope;

/// The log every node reads.
pub const STREAM: &str = "chat:events";
/// The event counter.
pub const SEQ_KEY: &str = "chat:seq";
/// The first number of the log as it is now: another means Redis started a new log (it was
/// restarted empty), not that this node was away longer than the log holds.
pub const LOG_KEY: &str = "chat:log";
/// The room names in use across the cluster: field room key, value `node\tcreator\tnumber`
/// (the number of the room's creation in the log).
pub const ROOMS_KEY: &str = "chat:rooms";
/// The counter private messages are numbered by, across the cluster.
pub const PRIVATE_IDS_KEY: &str = "chat:private_ids";
/// Prefix of each node's liveness key (`chat:node:<name>`, expiring), for operators.
pub const NODE_KEY_PREFIX: &str = "chat:node:";
/// About how many events the log keeps (Redis trims whole blocks, so a little more). At a few
/// hundred bytes an event, some tens of MB of Redis memory.
pub const LOG_EVENTS: u64 = 100_000;

/// Appends `payload` to the log; returns its number as a string (Lua's own numbers print
/// large integers in exponent form). KEYS: counter, stream, first number; ARGV[1]: floor,
/// ARGV[2]: length.
const APPEND: &str = r"
local function append(payload)
  local t = redis.call('TIME')
  local floor = tonumber(ARGV[1])
  local now = redis.call('GET', KEYS[1])
  if not now then
    local start = t[1] .. string.format('%06d', tonumber(t[2]))
    if tonumber(start) < floor then start = ARGV[1] end
    redis.call('SET', KEYS[1], start)
    redis.call('SET', KEYS[3], start)
  elseif tonumber(now) < floor then
    redis.call('SET', KEYS[1], ARGV[1])
  end
  local seq = string.format('%d', redis.call('INCR', KEYS[1]))
  local ms = t[1] .. string.format('%03d', math.floor(tonumber(t[2]) / 1000))
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], seq .. '-0', 't', ms, 'e', payload)
  return seq
end
";

/// The next private message number: above ARGV[1] (the highest the calling node has seen);
/// a new counter (first start, or a Redis restarted empty) starts from the microseconds since
/// the epoch, as the log does, so its numbers stay above any an earlier counter gave. Returns
/// it as a string. KEYS[1]: the counter.
pub const PRIVATE_ID: &str = r"
local floor = tonumber(ARGV[1])
local now = redis.call('GET', KEYS[1])
if not now then
  local t = redis.call('TIME')
  local start = t[1] .. string.format('%06d', tonumber(t[2]))
  if tonumber(start) < floor then start = ARGV[1] end
  redis.call('SET', KEYS[1], start)
elseif tonumber(now) < floor then
  redis.call('SET', KEYS[1], ARGV[1])
end
return string.format('%d', redis.call('INCR', KEYS[1]))
";

/// Appends every ARGV from the third on, in order; returns the first one's number.
pub fn publish_script() -> String {
    format!(
        "{APPEND}
local first = nil
for i = 3, #ARGV do
  local seq = append(ARGV[i])
  if not first then first = seq end
end
return first or '0'
"
    )
}

/// Claims a room name and appends its creation, or does neither: returns the creation's
/// number, or `0` when the name is taken. KEYS: counter, stream, first number, rooms; ARGV[3]: the
/// `RoomCreated` event, ARGV[4]: the room key, ARGV[5]: `node\tcreator`.
pub fn claim_script() -> String {
    format!(
        "{APPEND}
if redis.call('HEXISTS', KEYS[4], ARGV[4]) == 1 then return '0' end
local seq = append(ARGV[3])
redis.call('HSET', KEYS[4], ARGV[4], ARGV[5] .. '\\t' .. seq)
return seq
"
    )
}

/// Frees a room name if it is still claimed by the same room (KEYS: rooms; ARGV: room key,
/// claim): a name claimed again since by another room stays.
pub const RELEASE_SCRIPT: &str = r"
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
  return redis.call('HDEL', KEYS[1], ARGV[1])
end
return 0
";

/// A claim's value in [`ROOMS_KEY`].
pub fn claim(node: &str, creator: &str, created: u64) -> String {
    format!("{node}\t{creator}\t{created}")
}

/// One event of the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Its number.
    pub seq: u64,
    /// Redis' clock when it was appended, ms since the epoch.
    pub time_ms: i64,
    pub envelope: Envelope,
}

/// The entries of an `XREAD` reply for one stream (none when it timed out); an entry that
/// cannot be read is passed as an error (with its number when that was readable), in place.
pub fn entries(reply: redis::Value) -> Vec<Result<Entry, (Option<u64>, String)>> {
    use redis::Value;
    // [[stream, [[id, [field, value, …]], …]]] in RESP2; a map of streams in RESP3.
    let streams = match reply {
        Value::Array(streams) => streams
            .into_iter()
            .filter_map(|s| match s {
                Value::Array(mut pair) if pair.len() == 2 => pair.pop(),
                _ => None,
            })
            .collect(),
        Value::Map(streams) => streams.into_iter().map(|(_, v)| v).collect(),
        _ => Vec::new(),
    };
    let mut out = Vec::new();
    for items in streams {
        let Value::Array(items) = items else {
            continue;
        };
        for item in items {
            out.push(entry(item));
        }
    }
    out
}

fn entry(item: redis::Value) -> Result<Entry, (Option<u64>, String)> {
    use redis::Value;
    let Value::Array(mut parts) = item else {
        return Err((None, "an entry that is not an array".into()));
    };
    if parts.len() != 2 {
        return Err((None, "an entry without id and fields".into()));
    }
    let fields = parts.pop();
    let seq = match parts.pop() {
        Some(Value::BulkString(id)) => parse_id(&id),
        Some(Value::SimpleString(id)) => parse_id(id.as_bytes()),
        _ => None,
    }
    .ok_or((None, "an entry without a readable id".to_owned()))?;
    let fields = match fields {
        Some(Value::Array(fields)) => fields,
        Some(Value::Map(pairs)) => pairs.into_iter().flat_map(|(k, v)| [k, v]).collect(),
        _ => return Err((Some(seq), "an entry without fields".into())),
    };
    let mut time_ms = None;
    let mut payload = None;
    let mut fields = fields.into_iter();
    while let (Some(name), Some(value)) = (fields.next(), fields.next()) {
        let (Value::BulkString(name), Value::BulkString(value)) = (name, value) else {
            continue;
        };
        match name.as_slice() {
            b"t" => {
                time_ms = std::str::from_utf8(&value)
                    .ok()
                    .and_then(|s| s.parse::<i64>().ok());
            }
            b"e" => payload = Some(value),
            _ => {}
        }
    }
    let time_ms = time_ms.ok_or((Some(seq), "an entry without a time".to_owned()))?;
    let payload = payload.ok_or((Some(seq), "an entry without an event".to_owned()))?;
    let envelope = Envelope::decode(&payload).map_err(|e| (Some(seq), e))?;
    Ok(Entry {
        seq,
        time_ms,
        envelope,
    })
}

/// The number of a stream id `<number>-0`.
fn parse_id(id: &[u8]) -> Option<u64> {
    let id = std::str::from_utf8(id).ok()?;
    let (number, _) = id.split_once('-')?;
    number.parse().ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::chat::bus::BusEvent;
    use redis::Value;

    fn bulk(s: &[u8]) -> Value {
        Value::BulkString(s.to_vec())
    }

    #[test]
    fn an_xread_reply_reads_back_as_numbered_timed_events() {
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
        let item =
            |id: &[u8], fields: Vec<Value>| Value::Array(vec![bulk(id), Value::Array(fields)]);
        let reply = Value::Array(vec![Value::Array(vec![
            bulk(b"chat:events"),
            Value::Array(vec![
                item(
                    b"42-0",
                    vec![
                        bulk(b"t"),
                        bulk(b"1700"),
                        bulk(b"e"),
                        bulk(&envelope.encode()),
                    ],
                ),
                item(
                    b"43-0",
                    vec![bulk(b"t"), bulk(b"1701"), bulk(b"e"), bulk(b"\xc1")],
                ),
                item(b"x-0", vec![]),
            ]),
        ])]);
        let got = entries(reply);
        assert_eq!(
            got[0],
            Ok(Entry {
                seq: 42,
                time_ms: 1700,
                envelope
            })
        );
        assert_eq!(got[1].as_ref().unwrap_err().0, Some(43));
        assert_eq!(got[2].as_ref().unwrap_err().0, None);
        assert!(entries(Value::Nil).is_empty());
    }
}
