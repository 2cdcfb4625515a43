//! The `#` command language of the course, parsed once here for every client.
//!
//! A line that does not start with `#` is a room message. A line that does is one of the commands
//! in [`COMMANDS`]; anything else is an error that lists them, and nothing is sent. Command words
//! ignore case (`#cr`, `#CR` and `#cR` are one command). `##text` sends the text `#text`.

use crate::error::{Error, Result};
use crate::protocol::Request;
use crate::validate;

/// One line typed by a user, understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Plain text for the current room.
    Say(String),
    /// `#cR <room>`: create a room and enter it.
    CreateRoom(String),
    /// `#gR <room>`: enter a room.
    EnterRoom(String),
    /// `#eR`: back to the default room.
    LeaveRoom,
    /// `#exit`: disconnect.
    Exit,
    /// `#lR`: list rooms with member counts.
    ListRooms,
    /// `#dR <room>`: delete a room you created.
    DeleteRoom(String),
    /// `#show users`: every user of the system.
    ShowUsers,
    /// `#\private<user> <text>`: a private message.
    Private {
        /// Recipient login.
        to: String,
        /// The text.
        text: String,
    },
    /// `#logout`: forget this session (the server revokes its token) and disconnect;
    /// `#logout all` revokes every session of the account, on every machine.
    Logout {
        /// Every session of the account, not only this one.
        all: bool,
    },
    /// `#away [text]`: tell others you are away.
    Away(Option<String>),
    /// `#back`: you are back.
    Back,
    /// `#help`: the command list, shown locally.
    Help,
}

impl Command {
    /// The request this command sends, or `None` for commands answered locally (`#help`).
    pub fn into_request(self) -> Option<Request> {
        Some(match self {
            Command::Say(text) => Request::Say {
                attachments: Vec::new(),
                reply_to: None,
                text,
            },
            Command::CreateRoom(room) => Request::CreateRoom { room },
            Command::EnterRoom(room) => Request::EnterRoom { room },
            Command::LeaveRoom => Request::LeaveRoom,
            Command::Exit => Request::Exit,
            Command::ListRooms => Request::ListRooms { offset: 0 },
            Command::DeleteRoom(room) => Request::DeleteRoom { room },
            Command::ShowUsers => Request::ShowUsers { offset: 0 },
            Command::Private { to, text } => Request::Private {
                attachments: Vec::new(),
                reply_to: None,
                to,
                text,
            },
            Command::Logout { all } => Request::Logout { all },
            Command::Away(text) => Request::Away { text },
            Command::Back => Request::Back,
            Command::Help => return None,
        })
    }
}

/// A command's syntax and what it does, for help screens and completion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommandSpec {
    /// How to type it.
    pub syntax: &'static str,
    /// The word a completion inserts.
    pub insert: &'static str,
    /// What it does, in English.
    pub summary: &'static str,
}

/// Every command, in the order of the course assignment.
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        syntax: "#cR <room>",
        insert: "#cR ",
        summary: "create a room and enter it",
    },
    CommandSpec {
        syntax: "#gR <room>",
        insert: "#gR ",
        summary: "enter a room",
    },
    CommandSpec {
        syntax: "#eR",
        insert: "#eR",
        summary: "go back to the default room",
    },
    CommandSpec {
        syntax: "#exit",
        insert: "#exit",
        summary: "disconnect",
    },
    CommandSpec {
        syntax: "#lR",
        insert: "#lR",
        summary: "list rooms and how many people are in each",
    },
    CommandSpec {
        syntax: "#dR <room>",
        insert: "#dR ",
        summary: "delete a room you created",
    },
    CommandSpec {
        syntax: "#show users",
        insert: "#show users",
        summary: "list every user of the system",
    },
    CommandSpec {
        syntax: "#\\private<user> <text>",
        insert: "#\\private",
        summary: "send a private message to a user in any room",
    },
    CommandSpec {
        syntax: "#away [text]",
        insert: "#away ",
        summary: "tell others you are away, with an optional message",
    },
    CommandSpec {
        syntax: "#back",
        insert: "#back",
        summary: "you are back",
    },
    CommandSpec {
        syntax: "#logout [all]",
        insert: "#logout",
        summary: "sign out here (or everywhere, with all) and disconnect",
    },
    CommandSpec {
        syntax: "#help",
        insert: "#help",
        summary: "show this list",
    },
];

/// The command list as text, one command a line.
pub fn help_text() -> String {
    let mut out = String::from("Commands:\n");
    for c in COMMANDS {
        out.push_str(&format!("  {:<24} {}\n", c.syntax, c.summary));
    }
    out.push_str(
        "  Any other text goes to everyone in your room; start it with ## to send a leading #.",
    );
    out
}

/// The commands whose syntax starts with what has been typed (ignoring case), for completion.
/// Empty unless `typed` starts with `#`.
pub fn completions(typed: &str) -> Vec<&'static CommandSpec> {
    if !typed.starts_with('#') || typed.starts_with("##") {
        return Vec::new();
    }
    let typed = typed.to_lowercase();
    COMMANDS
        .iter()
        .filter(|c| {
            let syntax = c.syntax.to_lowercase();
            syntax.starts_with(&typed) || typed.starts_with(&c.insert.trim_end().to_lowercase())
        })
        .collect()
}

fn unknown(input: &str) -> Error {
    Error::Command(format!("unknown command {input:?}.\n{}", help_text()))
}

fn usage(syntax: &str) -> Error {
    Error::Command(format!("usage: {syntax}"))
}

/// Strips `prefix` from the start of `s`, ignoring ASCII case.
fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// Takes `<x>` or `x` off the front of `rest`: the argument and what follows it.
fn take_argument(rest: &str) -> (&str, &str) {
    let rest = rest.trim_start();
    if let Some(inner) = rest.strip_prefix('<')
        && let Some(end) = inner.find('>')
    {
        return (&inner[..end], inner[end + 1..].trim_start());
    }
    match rest.find(char::is_whitespace) {
        Some(end) => (&rest[..end], rest[end..].trim_start()),
        None => (rest, ""),
    }
}

/// A command that takes one room name and nothing else.
fn room_argument(rest: &str, syntax: &str) -> Result<String> {
    let rest = rest.trim();
    if rest.is_empty() {
        return Err(usage(syntax));
    }
    let room = rest
        .strip_prefix('<')
        .and_then(|r| r.strip_suffix('>'))
        .unwrap_or(rest);
    validate::room(room)?;
    Ok(room.to_owned())
}

/// A command that takes nothing; a trailing `.` (as the assignment writes `#eR.`) is allowed.
fn no_argument(rest: &str, command: Command, syntax: &str) -> Result<Command> {
    match rest.trim() {
        "" | "." => Ok(command),
        _ => Err(usage(syntax)),
    }
}

fn private(rest: &str) -> Result<Command> {
    const SYNTAX: &str = "#\\private<user> <text>";
    let (to, text) = take_argument(rest);
    if to.is_empty() || text.is_empty() {
        return Err(usage(SYNTAX));
    }
    validate::login(to)?;
    validate::text(text)?;
    Ok(Command::Private {
        to: to.to_owned(),
        text: text.to_owned(),
    })
}

/// Understands one typed line.
pub fn parse(line: &str) -> Result<Command> {
    let line = line.trim_end_matches(['\r', '\n']);
    let trimmed = line.trim();
    let Some(body) = trimmed.strip_prefix('#') else {
        validate::text(line)?;
        return Ok(Command::Say(line.to_owned()));
    };
    if let Some(text) = body.strip_prefix('#') {
        let text = format!("#{text}");
        validate::text(&text)?;
        return Ok(Command::Say(text));
    }
    if let Some(rest) = strip_prefix_ci(body, "\\private") {
        return private(rest);
    }
    let (word, rest) = match body.find(char::is_whitespace) {
        Some(end) => (&body[..end], &body[end..]),
        None => (body, ""),
    };
    let word = word.to_ascii_lowercase();
    match word.trim_end_matches('.') {
        "cr" => room_argument(rest, "#cR <room>").map(Command::CreateRoom),
        "gr" => room_argument(rest, "#gR <room>").map(Command::EnterRoom),
        "dr" => room_argument(rest, "#dR <room>").map(Command::DeleteRoom),
        "er" => no_argument(rest, Command::LeaveRoom, "#eR"),
        "exit" => no_argument(rest, Command::Exit, "#exit"),
        "lr" => no_argument(rest, Command::ListRooms, "#lR"),
        "help" | "?" => no_argument(rest, Command::Help, "#help"),
        "show" => match rest.trim().trim_end_matches('.') {
            r if r.eq_ignore_ascii_case("users") => Ok(Command::ShowUsers),
            _ => Err(usage("#show users")),
        },
        "private" => private(rest),
        "away" => match rest.trim() {
            "" => Ok(Command::Away(None)),
            text => {
                validate::text(text)?;
                Ok(Command::Away(Some(text.to_owned())))
            }
        },
        "back" => no_argument(rest, Command::Back, "#back"),
        "logout" => match rest.trim().trim_end_matches('.') {
            "" => Ok(Command::Logout { all: false }),
            r if r.eq_ignore_ascii_case("all") => Ok(Command::Logout { all: true }),
            _ => Err(usage("#logout [all]")),
        },
        _ => Err(unknown(trimmed)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(line: &str) -> Command {
        parse(line).unwrap_or_else(|e| panic!("{line:?}: {e}"))
    }

    #[test]
    fn the_course_spellings_work_exactly_as_written() {
        assert_eq!(ok("#cR sala1"), Command::CreateRoom("sala1".into()));
        assert_eq!(ok("#gR sala1"), Command::EnterRoom("sala1".into()));
        assert_eq!(ok("#eR"), Command::LeaveRoom);
        assert_eq!(ok("#eR."), Command::LeaveRoom);
        assert_eq!(ok("#exit"), Command::Exit);
        assert_eq!(ok("#lR"), Command::ListRooms);
        assert_eq!(ok("#dR sala1"), Command::DeleteRoom("sala1".into()));
        assert_eq!(ok("#show users"), Command::ShowUsers);
        let private = Command::Private {
            to: "ana".into(),
            text: "hola, ¿cómo vas?".into(),
        };
        assert_eq!(ok("#\\privateana hola, ¿cómo vas?"), private);
        assert_eq!(ok("#\\private<ana> hola, ¿cómo vas?"), private);
        assert_eq!(ok("#\\private ana hola, ¿cómo vas?"), private);
        assert_eq!(ok("#private ana hola, ¿cómo vas?"), private);
    }

    #[test]
    fn command_words_ignore_case_and_placeholders_are_tolerated() {
        assert_eq!(ok("#CR Sala"), Command::CreateRoom("Sala".into()));
        assert_eq!(ok("#gr <Sala>"), Command::EnterRoom("Sala".into()));
        assert_eq!(ok("#SHOW USERS"), Command::ShowUsers);
        assert_eq!(
            ok("#\\PRIVATE<ana> hi"),
            Command::Private {
                to: "ana".into(),
                text: "hi".into()
            }
        );
        assert_eq!(ok("#help"), Command::Help);
    }

    #[test]
    fn plain_lines_are_room_messages() {
        assert_eq!(ok("hola a todos"), Command::Say("hola a todos".into()));
        assert_eq!(
            ok("  sangría # uno"),
            Command::Say("  sangría # uno".into())
        );
        assert_eq!(ok("##hashtag"), Command::Say("#hashtag".into()));
        assert!(parse("   ").is_err());
    }

    #[test]
    fn unknown_or_malformed_commands_list_the_valid_ones() {
        let err = parse("#fly away").unwrap_err().to_string();
        assert!(
            err.contains("#cR <room>") && err.contains("#show users"),
            "{err}"
        );
        for bad in [
            "#cR",
            "#gR   ",
            "#dR two words",
            "#eR now",
            "#show",
            "#show rooms",
            "#\\private",
            "#\\privateana",
            "#private ana   ",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn help_is_local_and_everything_else_becomes_a_request() {
        assert_eq!(Command::Help.into_request(), None);
        assert_eq!(
            ok("#lR").into_request(),
            Some(Request::ListRooms { offset: 0 })
        );
        assert_eq!(
            ok("#logout all").into_request(),
            Some(Request::Logout { all: true })
        );
        assert_eq!(ok("#LOGOUT"), Command::Logout { all: false });
        assert!(parse("#logout everyone").is_err());
        assert_eq!(ok("#away"), Command::Away(None));
        assert_eq!(
            ok("#away  at lunch "),
            Command::Away(Some("at lunch".into()))
        );
        assert_eq!(ok("#back"), Command::Back);
        assert!(parse("#back soon").is_err());
    }

    #[test]
    fn completion_offers_matching_commands() {
        let all = completions("#");
        assert_eq!(all.len(), COMMANDS.len());
        let c: Vec<_> = completions("#c").iter().map(|c| c.insert).collect();
        assert_eq!(c, ["#cR "]);
        assert!(completions("hola").is_empty());
        assert_eq!(completions("#\\p").len(), 1);
    }
}
