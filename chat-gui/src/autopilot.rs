//! A scripted user for demonstrations and screenshots: steps such as "connect", "log in",
//! "say hello" fed to the app as the same intents the mouse and keyboard produce, each when the
//! window it needs is showing. Read from `CHAT_GUI_AUTOPILOT` by debug builds only.
//!
//! Script: steps separated by `;`, each `name` or `name=arg,arg`:
//! `address=HOST:PORT`, `connect`, `register-form`, `fill-register=LOGIN,FIRST,LAST,AGE,PASSWORD,CONFIRM`,
//! `register`, `fill-login=LOGIN[,PASSWORD]`, `login`, `say=TEXT`, `users`, `close-users`, `open-private=LOGIN`,
//! `private=LOGIN,TEXT`, `wait=MILLISECONDS`, `theme=light|dark`, `language=en|es`, `type=TEXT` (into
//! the room's box, not sent), `emoji-picker`, `ask-delete=ROOM`, `dock=on|off`,
//! `close-private=LOGIN`, `escape` (closes menus, pickers and questions), `keep-signed-in` (ticks
//! the login window's box), `find=TEXT` (the find bar over the main pane), `search=TEXT` (the
//! search window), `away=TEXT` (away with that message), `back`, `attach=PATH` (a file attached
//! to the room's box, as a drop does), `send` (Send in the room's box), `view-picture` (the newest
//! picture of the room in the viewer); and on the room's newest line that starts with START:
//! `reply=START,TEXT`, `react=START,EMOJI`, `edit=START,TEXT` (the user's own line),
//! `delete=START` (asked, then confirmed); `mute=LOGIN` (ten minutes, in the room).

use std::collections::VecDeque;
use std::time::Duration;
use web_time::Instant;

/// One scripted action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Type a server address.
    Address(String),
    /// Press Connect.
    Connect,
    /// Open the register window.
    RegisterForm,
    /// Fill the register window: login, first names, last names, age, password, confirmation.
    FillRegister([String; 6]),
    /// Press Create account.
    Register,
    /// Fill the login window.
    FillLogin(String, String),
    /// Press Log in.
    Login,
    /// Type a line into the input and press Enter.
    Say(String),
    /// Open the users window.
    Users,
    /// Close the users window.
    CloseUsers,
    /// Open a private conversation.
    OpenPrivate(String),
    /// Send a private message.
    Private(String, String),
    /// Do nothing for a while.
    Wait(Duration),
    /// Switch theme (`light` or `dark`).
    Theme(String),
    /// Switch language (`en` or `es`).
    Language(String),
    /// Type into the room's message box without sending.
    Type(String),
    /// Open the emoji picker of the room's message box.
    EmojiPicker,
    /// Ask to delete a room (the confirmation shows).
    AskDelete(String),
    /// Show conversations in the main window (`true`) or in windows of their own.
    Dock(bool),
    /// Close a private conversation.
    ClosePrivate(String),
    /// Close menus, pickers, windows and questions, as Escape and clicks elsewhere do.
    Escape,
    /// Tick "keep me signed in".
    KeepSignedIn,
    /// Open the find bar over the main pane, looking for this.
    Find(String),
    /// Open the search window, looking for this.
    Search(String),
    /// Be away with this message.
    Away(String),
    /// Be back.
    Back,
    /// Answer the room's newest line that starts with the first text, saying the second.
    Reply(String, String),
    /// Put an emoji on the room's newest line that starts with the text.
    React(String, String),
    /// Change the user's newest line that starts with the first text to the second.
    Edit(String, String),
    /// Delete the room's newest line that starts with the text.
    Delete(String),
    /// Mute a member of the room for ten minutes.
    Mute(String),
    /// Attach a file to the room's box, as a drop does.
    Attach(String),
    /// Press Send in the room's box.
    Send,
    /// Open the room's newest picture in the viewer.
    ViewPicture,
}

impl Step {
    /// Whether the step needs the login or register window (connected, logged out).
    pub fn needs_forms(&self) -> bool {
        matches!(
            self,
            Step::RegisterForm
                | Step::KeepSignedIn
                | Step::FillRegister(_)
                | Step::Register
                | Step::FillLogin(..)
                | Step::Login
        )
    }

    /// Whether the step needs the main window.
    pub fn needs_session(&self) -> bool {
        matches!(
            self,
            Step::Say(_)
                | Step::Users
                | Step::OpenPrivate(_)
                | Step::Private(..)
                | Step::Type(_)
                | Step::EmojiPicker
                | Step::AskDelete(_)
                | Step::Find(_)
                | Step::Search(_)
                | Step::Away(_)
                | Step::Back
                | Step::Reply(..)
                | Step::React(..)
                | Step::Edit(..)
                | Step::Delete(_)
                | Step::Mute(_)
                | Step::Attach(_)
                | Step::Send
                | Step::ViewPicture
        )
    }
}

/// The steps still to do.
#[derive(Debug, Clone)]
pub struct Autopilot {
    steps: VecDeque<Step>,
    not_before: Instant,
}

impl Autopilot {
    /// Reads a script; the error names the step it could not read.
    pub fn parse(script: &str) -> Result<Autopilot, String> {
        let mut steps = VecDeque::new();
        for raw in script.split(';').map(str::trim).filter(|s| !s.is_empty()) {
            let (name, arg) = raw.split_once('=').unwrap_or((raw, ""));
            let args: Vec<String> = arg.split(',').map(str::to_owned).collect();
            let arg = arg.to_owned();
            let step = match (name, args.as_slice()) {
                ("address", _) => Step::Address(arg),
                ("connect", _) => Step::Connect,
                ("register-form", _) => Step::RegisterForm,
                ("fill-register", [a, b, c, d, e, f]) => Step::FillRegister([
                    a.clone(),
                    b.clone(),
                    c.clone(),
                    d.clone(),
                    e.clone(),
                    f.clone(),
                ]),
                ("register", _) => Step::Register,
                ("fill-login", [login]) => Step::FillLogin(login.clone(), String::new()),
                ("fill-login", [login, password]) => {
                    Step::FillLogin(login.clone(), password.clone())
                }
                ("login", _) => Step::Login,
                ("say", _) => Step::Say(arg),
                ("users", _) => Step::Users,
                ("close-users", _) => Step::CloseUsers,
                ("open-private", _) => Step::OpenPrivate(arg),
                ("private", [to, ..]) => {
                    let text = arg
                        .split_once(',')
                        .map(|(_, t)| t.to_owned())
                        .unwrap_or_default();
                    Step::Private(to.clone(), text)
                }
                ("wait", _) => Step::Wait(Duration::from_millis(
                    arg.parse()
                        .map_err(|_| format!("not a number of milliseconds: {raw:?}"))?,
                )),
                ("theme", _) => Step::Theme(arg),
                ("language", _) => Step::Language(arg),
                ("type", _) => Step::Type(arg),
                ("emoji-picker", _) => Step::EmojiPicker,
                ("ask-delete", _) => Step::AskDelete(arg),
                ("dock", _) => Step::Dock(arg == "on"),
                ("close-private", _) => Step::ClosePrivate(arg),
                ("escape", _) => Step::Escape,
                ("keep-signed-in", _) => Step::KeepSignedIn,
                ("find", _) => Step::Find(arg),
                ("search", _) => Step::Search(arg),
                ("away", _) => Step::Away(arg),
                ("back", _) => Step::Back,
                ("reply" | "react" | "edit", _) => {
                    let (start, text) = arg
                        .split_once(',')
                        .ok_or_else(|| format!("{raw:?} needs START,TEXT"))?;
                    let (start, text) = (start.to_owned(), text.to_owned());
                    match name {
                        "reply" => Step::Reply(start, text),
                        "react" => Step::React(start, text),
                        _ => Step::Edit(start, text),
                    }
                }
                ("delete", _) => Step::Delete(arg),
                ("mute", _) => Step::Mute(arg),
                ("attach", _) => Step::Attach(arg),
                ("send", _) => Step::Send,
                ("view-picture", _) => Step::ViewPicture,
                _ => return Err(format!("unknown step {raw:?}")),
            };
            steps.push_back(step);
        }
        Ok(Autopilot {
            steps,
            not_before: Instant::now(),
        })
    }

    /// The next step, if it is time for one.
    pub fn peek(&self, now: Instant) -> Option<&Step> {
        (now >= self.not_before)
            .then(|| self.steps.front())
            .flatten()
    }

    /// Marks the next step done; a wait starts its clock.
    pub fn advance(&mut self, now: Instant) {
        if let Some(Step::Wait(d)) = self.steps.pop_front() {
            self.not_before = now + d;
        }
    }

    /// Whether every step is done.
    pub fn is_done(&self) -> bool {
        self.steps.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_script_reads_into_steps() {
        let p = Autopilot::parse("address=127.0.0.1:7878; connect; fill-login=ana,pw; login; private=bob,hi, there; wait=50").unwrap();
        let steps: Vec<Step> = p.steps.iter().cloned().collect();
        assert_eq!(steps[0], Step::Address("127.0.0.1:7878".into()));
        assert_eq!(steps[2], Step::FillLogin("ana".into(), "pw".into()));
        assert_eq!(steps[4], Step::Private("bob".into(), "hi, there".into()));
        assert_eq!(steps[5], Step::Wait(Duration::from_millis(50)));
        assert!(Autopilot::parse("fly").is_err());
    }

    #[test]
    fn a_wait_delays_the_next_step() {
        let mut p = Autopilot::parse("wait=1000;connect").unwrap();
        let now = Instant::now();
        p.advance(now);
        assert!(p.peek(now).is_none());
        assert_eq!(p.peek(now + Duration::from_secs(1)), Some(&Step::Connect));
    }
}
