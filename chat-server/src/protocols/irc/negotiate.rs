//! `CAP`: capability negotiation (`LS`, `LIST`, `REQ`, `END`), before and after registration.

use chat_core::irc::Line;

use super::caps::{Caps, OFFERED};
use super::render;
use super::session::IrcSession;

impl IrcSession {
    /// `CAP LS`, `LIST`, `REQ` and `END`; also after registration.
    pub(super) fn cap(&mut self, line: &Line) {
        let nick = if self.nick.is_empty() {
            "*".to_owned()
        } else {
            self.nick.clone()
        };
        let reply = |sub: &str, text: &str| render::line(None, "CAP", &[&nick, sub, text]);
        match line.param(0).to_ascii_uppercase().as_str() {
            "LS" => {
                if !self.registered {
                    self.negotiating = true;
                }
                let v302 = line.param(1).parse::<u32>().is_ok_and(|v| v >= 302);
                let names: Vec<&str> = OFFERED
                    .iter()
                    .map(|(name, _)| {
                        if v302 {
                            *name
                        } else {
                            name.split('=').next().unwrap_or(name)
                        }
                    })
                    .collect();
                self.send_line(&reply("LS", &names.join(" ")));
            }
            "LIST" => self.send_line(&reply("LIST", &self.caps.names().join(" "))),
            "REQ" => {
                if !self.registered {
                    self.negotiating = true;
                }
                let asked = line.param(1);
                let mut caps = self.caps;
                let mut ok = true;
                for name in asked.split_whitespace() {
                    let (remove, name) = match name.strip_prefix('-') {
                        Some(name) => (true, name),
                        None => (false, name),
                    };
                    match Caps::named(name) {
                        Some(cap) if remove => caps = caps.without(cap),
                        Some(cap) => caps = caps.with(cap),
                        None => ok = false,
                    }
                }
                if ok {
                    self.caps = caps;
                    self.peer.set_options(caps.bits());
                    self.send_line(&reply("ACK", asked));
                } else {
                    self.send_line(&reply("NAK", asked));
                }
            }
            "END" => self.negotiating = false,
            other => self.numeric("410", &[other, "Invalid CAP command"]),
        }
    }
}
