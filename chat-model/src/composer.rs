//! What is being typed to a room or a private conversation, and what it becomes when sent.
//!
//! Text typed on several lines (Shift+Enter) goes out as one message that keeps its lines, so
//! code keeps its indentation and a list its items; blank lines before and after are dropped.
//! A `#` command is a single line; in a private conversation a line starting with `#` is just
//! text. `:short_code:` names become emoji.

use chat_core::protocol::Quote;

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

/// The text being typed to one target, what it answers or changes, and the last text sent from
/// it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Draft {
    /// What is typed.
    pub text: String,
    /// What was sent last.
    pub last_sent: Option<String>,
    /// The line this text answers (shown quoted above the box until sent or cancelled).
    pub reply_to: Option<Quote>,
    /// The number of the user's own line this text replaces (an edit under way), and the text
    /// that was in the box before the edit began (put back when it ends).
    pub editing: Option<(u64, String)>,
}

/// What typed text becomes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outgoing {
    /// Nothing (only spaces and line breaks).
    Nothing,
    /// A `#` command line, as typed.
    Command(String),
    /// One message, on one line or several.
    Message(String),
    /// More lines than one message may hold (their count).
    TooManyLines(usize),
}

/// What `text` becomes when sent; `commands` says whether `#` lines are commands (rooms) or text
/// (private conversations).
pub fn outgoing(text: &str, commands: bool) -> Outgoing {
    let text = emoji::replace_codes(text);
    let lines: Vec<&str> = text
        .split('\n')
        .map(|l| l.trim_end_matches(['\r', ' ', '\t']))
        .collect();
    let Some(first) = lines.iter().position(|l| !l.trim().is_empty()) else {
        return Outgoing::Nothing;
    };
    let last = lines
        .iter()
        .rposition(|l| !l.trim().is_empty())
        .unwrap_or(first);
    let lines = &lines[first..=last];
    match lines {
        [one] if commands && one.trim_start().starts_with('#') => {
            Outgoing::Command((*one).to_owned())
        }
        many if many.len() > MAX_LINES_PER_SEND => Outgoing::TooManyLines(many.len()),
        _ => Outgoing::Message(lines.join("\n")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_lines_go_as_one_message_without_blank_lines_around() {
        assert_eq!(
            outgoing("\n first line\n\n  second :tada:  \n\n", true),
            Outgoing::Message(" first line\n\n  second 🎉".into())
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
            Outgoing::Message("#gR sala".into())
        );
        assert_eq!(
            outgoing("#gR sala\nand text", true),
            Outgoing::Message("#gR sala\nand text".into()),
            "several lines are text"
        );
    }

    #[test]
    fn more_lines_than_a_message_holds_are_refused() {
        let text = ["x"; MAX_LINES_PER_SEND + 1].join("\n");
        assert_eq!(
            outgoing(&text, true),
            Outgoing::TooManyLines(MAX_LINES_PER_SEND + 1)
        );
    }
}
