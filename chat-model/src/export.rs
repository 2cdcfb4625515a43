//! A room's or conversation's lines as a text file: one line per message, `[time] from: text`,
//! UTF-8, oldest first, as a record of a discussion; a file a message carries follows it as
//! `[file: name, size]`; a deleted message reads `[deleted]`. Notices of the program are left
//! out.
//!
//! Only the formatting, plain and tested here; the desktop client asks where to save and writes
//! the file.

use chrono::TimeZone;

use crate::history::History;

/// The transcript of `history`, times written in the time zone `tz`.
pub fn transcript<Tz: TimeZone>(history: &History, tz: &Tz) -> String
where
    Tz::Offset: std::fmt::Display,
{
    let mut out = String::new();
    for line in history.iter() {
        let Some((from, text)) = line.said() else {
            continue;
        };
        let time = tz.timestamp_millis_opt(line.time_ms).single().map_or_else(
            || "????-??-?? ??:??".to_owned(),
            |t| t.format("%Y-%m-%d %H:%M").to_string(),
        );
        let deleted = line
            .id
            .and_then(|id| history.extras(id))
            .is_some_and(|e| e.deleted.is_some());
        let text = if deleted { "[deleted]" } else { text };
        out.push_str(&format!("[{time}] {from}: {text}"));
        for file in &line.attachments {
            out.push_str(&format!(" [file: {}, {}]", file.name, file_size(file.size)));
        }
        out.push('\n');
    }
    out
}

/// A size as people read it: `512 B`, `1.4 KB`, `23.0 MB` (powers of 1,000, as file managers
/// show sizes).
pub fn file_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if bytes < 1000 {
        return format!("{bytes} B");
    }
    #[allow(clippy::cast_precision_loss)]
    let mut value = bytes as f64 / 1000.0;
    let mut unit = 0;
    while value >= 999.95 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// A file name for the transcript of `name` (a room or a login): only characters every system
/// accepts in a file name.
pub fn file_name(name: &str) -> String {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let safe = safe.trim_start_matches('.');
    if safe.is_empty() {
        "chat.txt".to_owned()
    } else {
        format!("{safe}.txt")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{Delivery, Line, LineKind};

    #[test]
    fn sizes_read_as_file_managers_show_them() {
        assert_eq!(file_size(0), "0 B");
        assert_eq!(file_size(999), "999 B");
        assert_eq!(file_size(1_400), "1.4 KB");
        assert_eq!(file_size(26_214_400), "26.2 MB");
        assert_eq!(file_size(999_999), "1.0 MB");
    }

    #[test]
    fn a_transcript_has_one_line_per_message_with_time_and_sender() {
        let mut h = History::new(10);
        let said = |t, from: &str, text: &str| {
            Line::new(
                t,
                LineKind::Message {
                    from: from.into(),
                    text: text.into(),
                    own: false,
                    delivery: Delivery::Direct,
                },
            )
        };
        h.push(said(1_764_669_600_000, "ana", "¿Empezamos? 🙂"));
        h.push(Line::new(1_764_669_630_000, LineKind::Joined("bob".into())));
        h.push(said(1_764_669_660_000, "bob", "yes: chapter 3"));
        let text = transcript(&h, &chrono::Utc);
        assert_eq!(
            text,
            "[2025-12-02 10:00] ana: ¿Empezamos? 🙂\n[2025-12-02 10:01] bob: yes: chapter 3\n"
        );
        let bogota = chrono::FixedOffset::west_opt(5 * 3600).unwrap();
        assert!(transcript(&h, &bogota).starts_with("[2025-12-02 05:00] ana"));
        // A deleted message says so, rather than reading as an empty one.
        let mut h = History::new(10);
        h.push(Line::numbered(
            1_764_669_600_000,
            7,
            LineKind::Message {
                from: "ana".into(),
                text: String::new(),
                own: false,
                delivery: Delivery::Direct,
            },
        ));
        h.extras_mut(7).deleted = Some("ana".into());
        assert_eq!(
            transcript(&h, &chrono::Utc),
            "[2025-12-02 10:00] ana: [deleted]\n"
        );
    }

    #[test]
    fn file_names_keep_only_safe_characters() {
        assert_eq!(file_name("lobby"), "lobby.txt");
        assert_eq!(file_name("sala común"), "sala_común.txt");
        assert_eq!(file_name("../etc"), "_etc.txt");
        assert_eq!(file_name(""), "chat.txt");
    }
}
