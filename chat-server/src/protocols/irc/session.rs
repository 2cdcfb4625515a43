//! An IRC connection as its handlers see it: the connection (`Conn`), where registration is,
//! the nick, the capabilities the client asked for, and how lines are queued for it.

use std::ops::{Deref, DerefMut};

use chat_core::irc::{self, Line};
use chat_core::protocol::ServerMessage;

use super::caps::Caps;
use super::render::{self, mask, numeric, server};
use crate::delivery::outbox::Frame;
use crate::delivery::peer::Peer;
use crate::links::ReaderLinks;
use crate::service::conn::Conn;

/// Where SASL authentication is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Sasl {
    Idle,
    /// `AUTHENTICATE PLAIN` accepted: base64 chunks expected.
    Receiving(String),
    /// The message grew too long and was refused: its remaining chunks are ignored.
    Discarding,
    /// Authenticated as this login.
    Done(String),
}

/// An IRC connection.
#[derive(Debug)]
pub(crate) struct IrcSession {
    pub conn: Conn,
    pub registered: bool,
    /// The nick the client asked for (before registration); the login after.
    pub nick: String,
    /// `USER` came.
    pub(super) user: bool,
    /// The user name `USER` gave, as shown (see `registration::user_name`).
    pub(super) user_name: String,
    /// The real name `USER` gave.
    pub(super) real_name: String,
    pub(super) pass: Option<String>,
    /// Logged in as a guest (no account).
    pub guest: bool,
    pub caps: Caps,
    /// `CAP LS` or `CAP REQ` came and `CAP END` not yet: registration waits.
    pub(super) negotiating: bool,
    pub(super) sasl: Sasl,
}

impl Deref for IrcSession {
    type Target = Conn;

    fn deref(&self) -> &Conn {
        &self.conn
    }
}

impl DerefMut for IrcSession {
    fn deref_mut(&mut self) -> &mut Conn {
        &mut self.conn
    }
}

impl IrcSession {
    /// A connection that has not registered.
    pub fn new(conn: Conn) -> Self {
        let links = &conn.shared.links;
        conn.peer.set_file_links(ReaderLinks {
            links: std::sync::Arc::clone(links),
            base: links.base_for(conn.peer.local_addr()),
            clock: conn.shared.config.clock.clone(),
        });
        IrcSession {
            conn,
            registered: false,
            nick: String::new(),
            user: false,
            user_name: String::new(),
            real_name: String::new(),
            pass: None,
            guest: false,
            caps: Caps::NONE,
            negotiating: false,
            sasl: Sasl::Idle,
        }
    }

    /// Queues IRC text (whole lines with CR LF) for the client.
    pub fn send_text(&self, text: String) {
        if !text.is_empty() {
            self.peer.send(&Frame::from(text.into_bytes()));
        }
    }

    /// Queues one line.
    pub fn send_line(&self, line: &Line) {
        self.send_text(irc::to_string(line));
    }

    /// Queues a numeric reply to this client.
    pub fn numeric(&self, code: &str, params: &[&str]) {
        let nick = if self.nick.is_empty() {
            "*"
        } else {
            &self.nick
        };
        self.send_line(&numeric(code, nick, params));
    }

    /// Queues a server `NOTICE` to this client.
    pub fn notice(&self, text: &str) {
        notice_to(&self.peer, &self.nick, text);
    }

    /// The user name an online user gave of itself (IRC `USER`), or its login.
    pub fn user_name_of(&self, key: &str, login: &str) -> String {
        self.shared
            .hub
            .online_peer(key)
            .and_then(|p| p.user_name().map(str::to_owned))
            .unwrap_or_else(|| login.to_owned())
    }

    /// Shows `message` to this client as its room's members are shown it (to an operator who
    /// kept order in a room it is not in).
    pub fn show(&self, message: &ServerMessage, style: render::Style<'_>) {
        let now = self.shared.config.clock.now_ms();
        if let Some(frame) = render::write_event(message, now, self.caps, &self.nick, style) {
            self.peer.send(&frame);
        }
    }

    /// This client's mask.
    pub fn mask(&self) -> String {
        mask(&self.nick)
    }

    /// `PING token`: `PONG` with the token (`461` without one). Before registration too.
    pub fn pong(&self, line: &Line) {
        if line.params.is_empty() {
            self.numeric("461", &["PING", "Not enough parameters"]);
        } else {
            self.send_line(&render::line(None, "PONG", &[server(), line.param(0)]));
        }
    }
}

/// Queues a server `NOTICE` to `peer`, whose nick is `nick`: from any thread (a line the
/// cluster refused after its sender went on).
pub(crate) fn notice_to(peer: &Peer, nick: &str, text: &str) {
    let nick = if nick.is_empty() { "*" } else { nick };
    let line = irc::to_string(&render::line(None, "NOTICE", &[nick, text]));
    peer.send(&Frame::from(line.into_bytes()));
}
