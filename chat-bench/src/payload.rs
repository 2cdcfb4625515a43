//! The text of a benchmark message: when it was sent and by which sender, padded to a size.
//!
//! Layout: 16 hex digits of the send time (ns since the run's start, monotonic clock), `.`, 8 hex
//! digits of the sender's index, `.`, then [`FILLER`] up to the requested size. Fixed widths keep
//! parsing cheap and every message of a run the same length. Hex digits and a letter are printable,
//! so the text passes the server's rules.

/// Characters of the stamp before the filler: the smallest `--size` that fits.
pub const STAMP_CHARS: usize = 16 + 1 + 8 + 1;

/// The letter that pads a message to its size.
pub const FILLER: char = 'x';

/// What a benchmark message carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    /// Nanoseconds since the run's start when the sender queued the message.
    pub sent_ns: u64,
    /// Index of the sending member.
    pub sender: u32,
}

impl Stamp {
    /// The text for this stamp, `size` characters long (at least [`STAMP_CHARS`]).
    pub fn encode(self, size: usize) -> String {
        let mut text = format!("{:016x}.{:08x}.", self.sent_ns, self.sender);
        let pad = size.saturating_sub(text.len());
        text.extend(std::iter::repeat_n(FILLER, pad));
        text
    }

    /// Reads the stamp at the start of `text` (a message's bytes); `None` when the text is not a
    /// benchmark message.
    pub fn decode(bytes: &[u8]) -> Option<Stamp> {
        if bytes.len() < STAMP_CHARS || bytes[16] != b'.' || bytes[25] != b'.' {
            return None;
        }
        let sent_ns = parse_hex(&bytes[..16])?;
        let sender = u32::try_from(parse_hex(&bytes[17..25])?).ok()?;
        Some(Stamp { sent_ns, sender })
    }
}

/// Lower-case or upper-case hex digits to a number; `None` on anything else.
fn parse_hex(digits: &[u8]) -> Option<u64> {
    let mut value = 0u64;
    for &d in digits {
        let nibble = match d {
            b'0'..=b'9' => d - b'0',
            b'a'..=b'f' => d - b'a' + 10,
            b'A'..=b'F' => d - b'A' + 10,
            _ => return None,
        };
        value = (value << 4) | u64::from(nibble);
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stamp_survives_the_round_trip_at_every_size() {
        let stamp = Stamp {
            sent_ns: 123_456_789_012,
            sender: 42,
        };
        for size in [STAMP_CHARS, 64, 2000] {
            let text = stamp.encode(size);
            assert_eq!(text.chars().count(), size);
            assert_eq!(Stamp::decode(text.as_bytes()), Some(stamp));
        }
    }

    #[test]
    fn extreme_values_round_trip() {
        let stamp = Stamp {
            sent_ns: u64::MAX,
            sender: u32::MAX,
        };
        assert_eq!(Stamp::decode(stamp.encode(64).as_bytes()), Some(stamp));
    }

    #[test]
    fn the_text_obeys_the_servers_rules() {
        let text = Stamp {
            sent_ns: 1,
            sender: 2,
        }
        .encode(64);
        assert!(chat_core::validate::text(&text).is_ok());
        assert!(text.ends_with(FILLER));
    }

    #[test]
    fn foreign_text_is_not_a_stamp() {
        assert_eq!(Stamp::decode(b"hello everyone"), None);
        assert_eq!(Stamp::decode(b"0000000000000001-00000002.xxxx"), None);
        assert_eq!(Stamp::decode(b"000000000000000g.00000002.xxxx"), None);
        assert_eq!(Stamp::decode(b""), None);
    }
}
