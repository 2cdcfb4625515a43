//! A fan-out member on an IRC port (`--irc`): registering with `NICK`/`USER` and no password,
//! joining `#ROOM` (member 0 first, as it creates the room), answering `PING`, and what the
//! numerics on the way mean. Channel `PRIVMSG`s are counted and timed by the same code as the
//! chat protocol's `message` events.
//!
//! **How a sender's window is acknowledged.** The chat protocol sends each message back to its
//! sender, and that echo frees a slot of the sender's window. IRC servers do not echo a
//! `PRIVMSG` unless the client negotiates IRCv3's `echo-message`, which ngircd does not offer; a
//! `PING` after each message would be a second command per message, and ngircd handles only
//! three commands of a client per pass of its loop. So both servers are driven the same way,
//! with no extra traffic: each sender has an *acknowledging member*, the next member of the same
//! event loop, and every delivery of the sender's messages to that member frees one slot of the
//! sender's window. A slot is thus freed when the message has reached one member of the room,
//! as the echo reaches the sender on the chat protocol, and being in the same loop the member
//! refills the window at once. Those deliveries are ordinary deliveries (counted and timed as
//! any other); `echoes` stays 0. Every loop holds two members or more (see `Plan::loops`), so
//! every sender has one.

use std::time::Instant;

use chat_core::irc::Line;

use super::{CONNECT_ATTEMPTS, RoomLoop, Stage};
use crate::irc;
use crate::net::Conns;

/// The first few numerics and `ERROR`s kept as failures.
const FAILURES_KEPT: usize = 5;

impl RoomLoop<'_> {
    /// Makes the member after each sender (in this loop) the one that acknowledges for it.
    pub(super) fn choose_ackers(&mut self) {
        let count = self.members.len();
        if count < 2 {
            return;
        }
        for &sender in &self.senders {
            self.members[(sender + 1) % count].acks_for = Some(sender);
        }
    }

    /// A delivery of `sender`'s message to `local`, which acknowledges for one sender: frees a
    /// slot of that sender's window when it is the one. Kept out of line, so that the chat
    /// protocol's path through `count_message` stays as small as it was.
    #[inline(never)]
    pub(super) fn acknowledge(&mut self, conns: &mut Conns, local: usize, sender: u32) {
        let Some(acked) = self.members[local].acks_for else {
            return;
        };
        if self.members[acked].index != sender as usize {
            return;
        }
        self.members[acked].acked += 1;
        if self.started {
            self.fill_window(conns, acked, self.shared.now_ns());
        }
    }

    /// Queues `NICK` and `USER` on the member's fresh connection.
    pub(super) fn register_irc(&mut self, conns: &mut Conns, local: usize) {
        conns.send_text(local, &irc::register(&self.members[local].login));
    }

    /// Queues `JOIN #room`; the member is in once the names of the channel have come (`366`).
    pub(super) fn join(&mut self, conns: &mut Conns, local: usize) {
        if conns.send_text(local, &irc::join(&self.channel)) {
            self.members[local].stage = Stage::Entering(0);
        }
    }

    /// An IRC line other than a channel `PRIVMSG` found in place.
    #[inline(never)]
    pub(super) fn on_irc_line(
        &mut self,
        conns: &mut Conns,
        local: usize,
        line: &Line,
        at: Instant,
    ) {
        let stage = self.members[local].stage;
        match line.command.as_str() {
            "PING" => {
                conns.send_text(local, &irc::pong(line));
            }
            "001" if stage == Stage::LoggingIn => self.logged_in(conns, local),
            "366"
                if matches!(stage, Stage::Entering(_))
                    && line.param(1).eq_ignore_ascii_case(&self.channel) =>
            {
                self.entered(local);
            }
            // A channel message of a shape the fast path leaves to the parser.
            "PRIVMSG" if line.param(0).eq_ignore_ascii_case(&self.channel) => {
                self.count_message(conns, local, line.param(1).as_bytes(), at);
            }
            "PRIVMSG" => self.report.foreign += 1,
            "ERROR" => {
                *self.report.closes.entry("ERROR".into()).or_default() += 1;
                self.keep_failure(local, line);
            }
            code if is_error_numeric(code) => match stage {
                Stage::LoggingIn | Stage::Entering(_) => {
                    self.members[local].attempts = CONNECT_ATTEMPTS;
                    self.setup_failed(conns, local, describe(line));
                }
                _ => self.keep_failure(local, line),
            },
            _ => {}
        }
    }

    /// Keeps the first few error lines of the run in the report.
    fn keep_failure(&mut self, local: usize, line: &Line) {
        if self.report.failures.len() < FAILURES_KEPT {
            let who = &self.members[local].login;
            self.report
                .failures
                .push(format!("{who}: {}", describe(line)));
        }
    }
}

/// Whether `command` is an error reply (400–599).
fn is_error_numeric(command: &str) -> bool {
    command.len() == 3
        && command.bytes().all(|b| b.is_ascii_digit())
        && matches!(command.as_bytes()[0], b'4' | b'5')
}

/// A line for a report: its command and parameters.
fn describe(line: &Line) -> String {
    format!("{} {}", line.command, line.params.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_4xx_and_5xx_numerics_are_errors() {
        for code in ["401", "433", "464", "599", "500"] {
            assert!(is_error_numeric(code), "{code}");
        }
        for code in ["001", "366", "372", "600", "PRIVMSG", "4x1", "4000", "40"] {
            assert!(!is_error_numeric(code), "{code}");
        }
    }
}
