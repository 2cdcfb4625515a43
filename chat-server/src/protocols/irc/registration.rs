//! Registration: `CAP`, `NICK`, `USER`, `PASS` or SASL PLAIN, until the client is logged in.
//!
//! A client must log in to register: `PASS login:password` (or `PASS password` with the login as
//! nick), or SASL PLAIN. Without valid credentials it gets `464` with a hint where accounts are
//! made, then `ERROR`, and never a half-registered session. The nick is the login.
//!
//! With `irc_guests` on, a client that gives no credentials registers as a guest under its nick,
//! if no account and no other guest has that name (else `433`, and it may pick another).

use base64::Engine as _;
use chat_core::irc::Line;
use chat_core::protocol::{CloseReason, ErrorCode, Password};
use chat_core::validate;

use super::caps::Caps;
use super::render::{self, mask};
use super::session::{IrcSession, Sasl};
use crate::chat::hub::Entered;
use crate::connection::Step;
use crate::delivery::event::Event;
use crate::service::account;
use crate::service::refusal::Refusal;

/// Characters of the user name `USER` gives that are kept (`USERLEN`).
pub(super) const USER_NAME_CHARS: usize = 16;

/// The user name `USER` gave as others are shown it (`WHOIS`, `WHO`, `WHOWAS`, `USERHOST`): its
/// letters, digits, `.`, `_` and `-`, at most [`USER_NAME_CHARS`] of them, or `~` when none is
/// left.
pub(super) fn user_name(given: &str) -> String {
    let kept: String = given
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        .take(USER_NAME_CHARS)
        .collect();
    if kept.is_empty() { "~".into() } else { kept }
}

/// Bytes of one `AUTHENTICATE` chunk; a shorter one (or `+`) ends the message.
const SASL_CHUNK: usize = 400;
/// Longest SASL message accepted (a login, a password and separators, in base64).
const SASL_MAX: usize = 1_024;

impl IrcSession {
    /// Commands before registration.
    #[inline(never)]
    pub(super) fn registering(&mut self, line: &Line) -> Step {
        match line.command.as_str() {
            "CAP" => self.cap(line),
            "PASS" => {
                if line.params.is_empty() {
                    self.numeric("461", &["PASS", "Not enough parameters"]);
                } else {
                    self.pass = Some(line.param(0).to_owned());
                }
            }
            "NICK" => {
                let nick = line.param(0);
                if nick.is_empty() {
                    self.numeric("431", &["No nickname given"]);
                } else if validate::login(nick).is_err() {
                    self.numeric("432", &[nick, "Erroneous nickname: nicks are logins here"]);
                } else {
                    self.nick = nick.to_owned();
                }
            }
            "USER" => {
                if line.params.len() < 4 || line.param(3).is_empty() {
                    self.numeric("461", &["USER", "Not enough parameters"]);
                } else {
                    self.user = true;
                    self.user_name = user_name(line.param(0));
                    self.real_name = line.param(3).to_owned();
                }
            }
            "AUTHENTICATE" => self.authenticate(line),
            "PING" => self.pong(line),
            "PONG" => {}
            "QUIT" => {
                self.peer.close(CloseReason::Exit, "client quit");
                return Step::Close("quit".into());
            }
            _ => self.numeric("451", &["You have not registered"]),
        }
        self.try_register()
    }

    /// SASL PLAIN.
    fn authenticate(&mut self, line: &Line) {
        let arg = line.param(0);
        if matches!(self.sasl, Sasl::Done(_)) {
            self.numeric("907", &["You have already authenticated"]);
            return;
        }
        if arg == "*" {
            self.sasl = Sasl::Idle;
            self.numeric("906", &["SASL authentication aborted"]);
            return;
        }
        match &mut self.sasl {
            Sasl::Idle => {
                if !self.caps.contains(Caps::SASL) || !arg.eq_ignore_ascii_case("PLAIN") {
                    self.numeric("908", &["PLAIN", "are available SASL mechanisms"]);
                    self.numeric("904", &["SASL authentication failed"]);
                    return;
                }
                self.sasl = Sasl::Receiving(String::new());
                self.send_line(&Line::new("AUTHENTICATE", &["+"]));
            }
            Sasl::Receiving(_) if arg.len() > SASL_CHUNK => {
                self.sasl = Sasl::Idle;
                self.numeric("905", &["SASL message too long"]);
            }
            Sasl::Receiving(buffer) => {
                if arg != "+" {
                    buffer.push_str(arg);
                }
                if buffer.len() > SASL_MAX {
                    // Refused; the chunks still coming are not new attempts.
                    self.sasl = if arg.len() == SASL_CHUNK {
                        Sasl::Discarding
                    } else {
                        Sasl::Idle
                    };
                    self.numeric("904", &["SASL authentication failed"]);
                    return;
                }
                if arg.len() == SASL_CHUNK {
                    return;
                }
                let encoded = std::mem::take(buffer);
                self.sasl = Sasl::Idle;
                self.sasl_plain(&encoded);
            }
            Sasl::Discarding => {
                if arg.len() < SASL_CHUNK {
                    self.sasl = Sasl::Idle;
                }
            }
            Sasl::Done(_) => {}
        }
    }

    fn sasl_plain(&mut self, encoded: &str) {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok());
        let Some(decoded) = decoded else {
            self.numeric("904", &["SASL authentication failed"]);
            return;
        };
        let mut parts = decoded.split('\0');
        let (_authzid, login, password) = (parts.next(), parts.next(), parts.next());
        let (Some(login), Some(password)) = (login, password) else {
            self.numeric("904", &["SASL authentication failed"]);
            return;
        };
        match self.check(login, password) {
            Ok(name) => {
                let shown = if self.nick.is_empty() {
                    name.clone()
                } else {
                    self.nick.clone()
                };
                self.numeric(
                    "900",
                    &[
                        &mask(&shown),
                        &name,
                        &format!("You are now logged in as {name}"),
                    ],
                );
                self.numeric("903", &["SASL authentication successful"]);
                self.sasl = Sasl::Done(name);
            }
            Err(refusal) => {
                self.notice(&refusal.message);
                self.numeric("904", &["SASL authentication failed"]);
            }
        }
    }

    /// Checks credentials on the password pool (the same checks and back-off as native
    /// logins). Returns the login as registered.
    fn check(&mut self, login: &str, password: &str) -> Result<String, Refusal> {
        account::check_password(self, login, Password(password.to_owned()), false)
            .map(|(account, _)| account.login)
    }

    /// Registers once `NICK` and `USER` came and capability negotiation is over: logs in with
    /// the SASL account or `PASS`, or closes with `464`.
    fn try_register(&mut self) -> Step {
        if self.registered || self.negotiating || self.nick.is_empty() || !self.user {
            return Step::Continue;
        }
        let login = match (&self.sasl, self.pass.take()) {
            (Sasl::Done(name), _) => Ok(name.clone()),
            (_, Some(pass)) => {
                let (login, password) = match pass.split_once(':') {
                    Some((login, password)) if validate::login(login).is_ok() => {
                        (login.to_owned(), password.to_owned())
                    }
                    _ => (self.nick.clone(), pass),
                };
                self.check(&login, &password)
            }
            (_, None) if self.shared.config.irc_guests => {
                if !self
                    .shared
                    .directory
                    .admit_guest(&self.nick, &self.real_name)
                {
                    let nick = std::mem::take(&mut self.nick);
                    self.numeric("433", &[&nick, "Nickname is already in use"]);
                    if self
                        .shared
                        .directory
                        .get(&validate::login_key(&nick))
                        .is_some_and(|p| !p.guest)
                    {
                        self.notice(&format!(
                            "{nick} is an account: log in with PASS {nick}:password, or choose another nick"
                        ));
                    }
                    return Step::Continue;
                }
                self.guest = true;
                Ok(self.nick.clone())
            }
            (_, None) => Err(Refusal::new(
                ErrorCode::BadCredentials,
                "a password is required",
            )),
        };
        let name = match login {
            Ok(name) => name,
            Err(refusal) => {
                let why = match refusal.code {
                    ErrorCode::BadCredentials => "Password incorrect".to_owned(),
                    _ => refusal.message.clone(),
                };
                self.numeric("464", &[&why]);
                self.notice(
                    "Log in with PASS login:password (or SASL PLAIN); accounts are made with \
                     the chat desktop client, or any client of the chat protocol",
                );
                self.peer.close(CloseReason::ProtocolError, &why);
                return Step::Close("IRC login refused".into());
            }
        };
        let user_name = std::mem::take(&mut self.user_name);
        self.peer.set_user_name(user_name);
        let asked = std::mem::replace(&mut self.nick, name.clone());
        // The welcome and the `JOIN` of the default room are queued as the user joins it: no
        // line of the room comes before them.
        let greet = |entered: Entered| {
            self.welcome();
            if asked != name {
                // The nick is the login, as registered.
                self.send_line(&render::line(Some(&mask(&asked)), "NICK", &[&name]));
            }
            self.peer.event(&Event::new(entered.into()));
        };
        match account::log_in(self, &name, self.guest, greet) {
            Ok(()) => {}
            Err(refusal) => {
                if self.guest {
                    self.shared
                        .directory
                        .remove_guest(&validate::login_key(&name));
                    self.guest = false;
                }
                self.peer
                    .close(CloseReason::ProtocolError, &refusal.message);
                return Step::Close("hub refused the login".into());
            }
        };
        self.registered = true;
        if !self.guest {
            account::deliver_kept(&self.shared, &self.peer);
        }
        Step::Continue
    }
}
