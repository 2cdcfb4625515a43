//! The `#` commands as the interface presents them: which command a typed line names (to say how
//! to use it when it was typed wrong), and completion of commands, room names and logins.
//!
//! Parsing itself is `chat_core::command`'s, shared with every client; this module only adds
//! what a window needs around it. Each command is a [`Cmd`], so the translation tables can word
//! every one with an exhaustive `match` rather than by position in a list.

use chat_core::command::{COMMANDS, CommandSpec};

/// A `#` command of the course.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cmd {
    /// `#cR <room>`.
    CreateRoom,
    /// `#gR <room>`.
    EnterRoom,
    /// `#eR`.
    LeaveRoom,
    /// `#exit`.
    Exit,
    /// `#lR`.
    ListRooms,
    /// `#dR <room>`.
    DeleteRoom,
    /// `#show users`.
    ShowUsers,
    /// `#\private<user> <text>`.
    Private,
    /// `#away [text]`.
    Away,
    /// `#back`.
    Back,
    /// `#logout [all]`.
    Logout,
    /// `#help`.
    Help,
}

/// What a command's argument is, for completion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Argument {
    /// None.
    Nothing,
    /// The name of a room that exists.
    Room,
    /// A name for a new room.
    NewRoom,
    /// A login, then text.
    Login,
}

impl Cmd {
    /// Every command, in the order of the course assignment (and of [`COMMANDS`]).
    pub const ALL: [Cmd; 12] = [
        Cmd::CreateRoom,
        Cmd::EnterRoom,
        Cmd::LeaveRoom,
        Cmd::Exit,
        Cmd::ListRooms,
        Cmd::DeleteRoom,
        Cmd::ShowUsers,
        Cmd::Private,
        Cmd::Away,
        Cmd::Back,
        Cmd::Logout,
        Cmd::Help,
    ];

    /// What a completion inserts: the command word as the course spells it.
    pub fn insert(self) -> &'static str {
        match self {
            Cmd::CreateRoom => "#cR ",
            Cmd::EnterRoom => "#gR ",
            Cmd::LeaveRoom => "#eR",
            Cmd::Exit => "#exit",
            Cmd::ListRooms => "#lR",
            Cmd::DeleteRoom => "#dR ",
            Cmd::ShowUsers => "#show users",
            Cmd::Private => "#\\private ",
            Cmd::Away => "#away ",
            Cmd::Back => "#back",
            Cmd::Logout => "#logout",
            Cmd::Help => "#help",
        }
    }

    /// The shared description of this command.
    pub fn spec(self) -> Option<&'static CommandSpec> {
        COMMANDS
            .iter()
            .find(|c| c.insert.trim_end() == self.insert().trim_end())
    }

    /// What follows the command word.
    pub fn argument(self) -> Argument {
        match self {
            Cmd::EnterRoom | Cmd::DeleteRoom => Argument::Room,
            Cmd::CreateRoom => Argument::NewRoom,
            Cmd::Private => Argument::Login,
            Cmd::LeaveRoom
            | Cmd::Exit
            | Cmd::ListRooms
            | Cmd::ShowUsers
            | Cmd::Away
            | Cmd::Back
            | Cmd::Logout
            | Cmd::Help => Argument::Nothing,
        }
    }

    /// The command a `#` line names by its first word (ignoring case), whether or not the rest
    /// of the line is right; `None` for a plain line or a word that is no command.
    pub fn named(line: &str) -> Option<Cmd> {
        let body = line.trim_start().strip_prefix('#')?;
        if body.starts_with('#') {
            return None;
        }
        let lower = body.to_lowercase();
        if lower.starts_with("\\private") || lower.starts_with("private ") {
            return Some(Cmd::Private);
        }
        let word = lower
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .trim_end_matches('.');
        Some(match word {
            "cr" => Cmd::CreateRoom,
            "gr" => Cmd::EnterRoom,
            "er" => Cmd::LeaveRoom,
            "exit" => Cmd::Exit,
            "lr" => Cmd::ListRooms,
            "dr" => Cmd::DeleteRoom,
            "show" => Cmd::ShowUsers,
            "away" => Cmd::Away,
            "back" => Cmd::Back,
            "logout" => Cmd::Logout,
            "help" | "?" => Cmd::Help,
            _ => return None,
        })
    }
}

/// The first word of a `#` line as typed, for saying which command is unknown.
pub fn first_word(line: &str) -> &str {
    line.split_whitespace().next().unwrap_or_default()
}

/// What can complete the word being typed, found from the text before the cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Slot {
    /// A command word (`#c…` at the start of the line).
    Command(String),
    /// A room name (after `#gR` or `#dR`).
    Room(String),
    /// A login (after `#\private` or `@`): suggestions are offered as it is typed.
    Login(String),
    /// Any other word: Tab completes it to a login, as chat programs do for names.
    Word(String),
    /// An emoji short code (`:smi…`), without the colon.
    Emoji(String),
    /// Nothing to complete (a new room's name, an empty word).
    Nothing,
}

/// What the word ending at char `word_start..` of `text` (the part before the cursor) is.
pub fn slot(before_cursor: &str, word: &str) -> Slot {
    let head = &before_cursor[..before_cursor.len().saturating_sub(word.len())];
    if head.trim().is_empty() && word.starts_with('#') && !word.starts_with("##") {
        return Slot::Command(word.to_owned());
    }
    if let Some(code) = word.strip_prefix(':')
        && !code.is_empty()
        && !code.contains(':')
    {
        return Slot::Emoji(code.to_owned());
    }
    if let Some(login) = word.strip_prefix('@') {
        return Slot::Login(login.to_owned());
    }
    if word.is_empty() {
        return Slot::Nothing;
    }
    let previous: Vec<&str> = head.split_whitespace().collect();
    if previous.len() == 1 {
        match Cmd::named(previous[0]).map(Cmd::argument) {
            Some(Argument::Room) => return Slot::Room(word.to_owned()),
            Some(Argument::NewRoom) => return Slot::Nothing,
            Some(Argument::Login) => return Slot::Login(word.trim_start_matches('<').to_owned()),
            Some(Argument::Nothing) | None => {}
        }
    }
    Slot::Word(word.to_owned())
}

/// The names among `names` that start with `typed`, ignoring case, in their order, without
/// duplicates and without a name equal to what is typed (nothing left to complete).
pub fn matching<'a>(typed: &str, names: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let typed = typed.to_lowercase();
    let mut out: Vec<&str> = Vec::new();
    for name in names {
        let lower = name.to_lowercase();
        if lower.starts_with(&typed)
            && lower != typed
            && !out.iter().any(|n| n.to_lowercase() == lower)
        {
            out.push(name);
        }
    }
    out
}

/// The commands whose word starts with what is typed (ignoring case); none once the word is
/// complete.
pub fn matching_commands(typed: &str) -> Vec<Cmd> {
    let typed = typed.to_lowercase();
    Cmd::ALL
        .into_iter()
        .filter(|c| {
            let word = c.insert().trim_end().to_lowercase();
            word.starts_with(&typed) && word != typed
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shared_command_is_one_cmd_and_back() {
        assert_eq!(Cmd::ALL.len(), COMMANDS.len());
        for cmd in Cmd::ALL {
            let spec = cmd.spec().unwrap_or_else(|| panic!("{cmd:?} has no spec"));
            assert_eq!(Cmd::named(spec.insert), Some(cmd), "{}", spec.insert);
        }
    }

    #[test]
    fn a_line_names_its_command_even_when_wrong() {
        assert_eq!(Cmd::named("#gR"), Some(Cmd::EnterRoom));
        assert_eq!(Cmd::named("#CR two words"), Some(Cmd::CreateRoom));
        assert_eq!(Cmd::named("#\\privateana"), Some(Cmd::Private));
        assert_eq!(Cmd::named("#show rooms"), Some(Cmd::ShowUsers));
        assert_eq!(Cmd::named("#foo"), None);
        assert_eq!(Cmd::named("##tag"), None);
        assert_eq!(Cmd::named("hello"), None);
    }

    #[test]
    fn the_slot_depends_on_what_came_before() {
        assert_eq!(slot("#c", "#c"), Slot::Command("#c".into()));
        assert_eq!(slot("#gR lo", "lo"), Slot::Room("lo".into()));
        assert_eq!(slot("#dR ", ""), Slot::Nothing);
        assert_eq!(slot("#cR ne", "ne"), Slot::Nothing);
        assert_eq!(slot("#\\private fi", "fi"), Slot::Login("fi".into()));
        assert_eq!(slot("#\\private <fi", "<fi"), Slot::Login("fi".into()));
        assert_eq!(slot("hi @fi", "@fi"), Slot::Login("fi".into()));
        assert_eq!(slot("hi fi", "fi"), Slot::Word("fi".into()));
        assert_eq!(slot("so :smi", ":smi"), Slot::Emoji("smi".into()));
        assert_eq!(slot("12:30", "12:30"), Slot::Word("12:30".into()));
    }

    #[test]
    fn matching_ignores_case_and_skips_what_is_complete() {
        let names = ["Finn", "fiona", "finn", "gus"];
        assert_eq!(matching("fi", names), ["Finn", "fiona"]);
        assert_eq!(matching("FINN", names), Vec::<&str>::new());
        let commands: Vec<&str> = matching_commands("#")
            .into_iter()
            .map(Cmd::insert)
            .collect();
        assert_eq!(commands.len(), Cmd::ALL.len());
        assert_eq!(matching_commands("#c"), [Cmd::CreateRoom]);
        assert!(matching_commands("#lR").is_empty());
    }
}
