//! What is being typed to a room or a private conversation, and what it becomes when sent.
//!
//! The server takes one line per message (a message may not hold a line break), so text typed on
//! several lines (Shift+Enter) goes out as one message a line, in order, and shows as one group
//! under the sender's name. A `#` command is a single line; in a private conversation a line
//! starting with `#` is just text. `:short_code:` names become emoji.

use crate::emoji;
use crate::limits::MAX_LINES_PER_SEND;

/// Where typed text goes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    /// The room the user is in.
    Room,
    /// The private conversation with this login (as the key `login_key` gives).
    Private(String),
}

/// The text being typed to one target, and the last text sent from it (Up brings it back).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Draft {
    /// What is typed.
    pub text: String,
    /// What was sent last.
    pub last_sent: Option<String>,
}

/// What typed text becomes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outgoing {
    /// Nothing (only spaces and line breaks).
    Nothing,
    /// A `#` command line, as typed.
    Command(String),
    /// Lines to send, one message each.
    Lines(Vec<String>),
    /// More lines than may go at once (their count).
    TooManyLines(usize),
}

/// What `text` becomes when sent; `commands` says whether `#` lines are commands (rooms) or text
/// (private conversations).
pub fn outgoing(text: &str, commands: bool) -> Outgoing {
    let text = emoji::replace_codes(text);
    let lines: Vec<String> = text
        .split('\n')
        .map(|l| l.trim_end_matches(['\r', ' ', '\t']))
        .filter(|l| !l.trim().is_empty())
        .map(str::to_owned)
        .collect();
    match lines.as_slice() {
        [] => Outgoing::Nothing,
        [one] if commands && one.trim_start().starts_with('#') => Outgoing::Command(one.clone()),
        many if many.len() > MAX_LINES_PER_SEND => Outgoing::TooManyLines(many.len()),
        _ => Outgoing::Lines(lines),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_typed_line_is_a_message_and_blank_lines_are_dropped() {
        assert_eq!(
            outgoing("first line\n\n  second :tada:  \n", true),
            Outgoing::Lines(vec!["first line".into(), "  second 🎉".into()])
        );
        assert_eq!(outgoing(" \n\t\n", true), Outgoing::Nothing);
    }

    #[test]
    fn a_single_hash_line_is_a_command_only_in_rooms() {
        assert_eq!(
            outgoing("#gR sala\n", true),
            Outgoing::Command("#gR sala".into())
        );
        assert_eq!(
            outgoing("#gR sala", false),
            Outgoing::Lines(vec!["#gR sala".into()])
        );
        assert_eq!(
            outgoing("#gR sala\nand text", true),
            Outgoing::Lines(vec!["#gR sala".into(), "and text".into()]),
            "several lines are text"
        );
    }

    #[test]
    fn too_many_lines_at_once_are_refused() {
        let text = ["x"; MAX_LINES_PER_SEND + 1].join("\n");
        assert_eq!(
            outgoing(&text, true),
            Outgoing::TooManyLines(MAX_LINES_PER_SEND + 1)
        );
    }
}
