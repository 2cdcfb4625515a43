//! A native connection as its handlers see it: the connection (`Conn`), where it is in its life
//! (`Phase`), its session token, and how replies and events are queued for it.
//!
//! A connection must say `hello` first, then may only `clock`, `register`, `login`, `resume`,
//! `ping` or `exit` until logged in, then may do everything. A request out of phase gets a
//! typed error and the connection stays open.

use std::ops::{Deref, DerefMut};

use chat_core::protocol::{ErrorCode, ServerMessage};

use super::wire;
use crate::delivery::outbox::Frame;
use crate::delivery::peer::Peer;
use crate::service::conn::Conn;
use crate::service::refusal::Refusal;

/// Where a connection is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    AwaitHello,
    AwaitLogin,
    LoggedIn,
}

/// What the reader does after a request.
pub(crate) enum Next {
    Continue,
    Close,
}

/// What a handler returns: go on or close, or the refusal sent as the `error` reply.
pub(crate) type Handled = Result<Next, Refusal>;

/// A native connection.
#[derive(Debug)]
pub(crate) struct Session {
    pub conn: Conn,
    pub phase: Phase,
    /// The token this session logged in with or was given, for `logout`.
    pub token: Option<String>,
}

impl Deref for Session {
    type Target = Conn;

    fn deref(&self) -> &Conn {
        &self.conn
    }
}

impl DerefMut for Session {
    fn deref_mut(&mut self) -> &mut Conn {
        &mut self.conn
    }
}

impl Session {
    /// Queues a reply to request `re`.
    pub fn reply(&self, re: u32, message: ServerMessage) {
        match wire::frame(Some(re), message) {
            Some(frame) => {
                self.peer.send(&frame);
            }
            None => self.error(
                Some(re),
                Refusal::new(ErrorCode::Internal, "the reply was too large to send"),
            ),
        }
    }

    /// Queues an already encoded frame.
    pub fn send(&self, frame: &Frame) {
        self.peer.send(frame);
    }

    /// Queues an event.
    pub fn event(&self, message: ServerMessage) {
        if let Some(frame) = wire::event(message) {
            self.peer.send(&frame);
        }
    }

    /// Queues an error, as the reply to `re` when there is one.
    #[inline(never)]
    pub fn error(&self, re: Option<u32>, refusal: Refusal) {
        refuse(&self.peer, re, refusal);
    }
}

/// Queues an error for `peer`, as the reply to `re` when there is one: from any thread (a line
/// the cluster refused after its sender went on).
pub(crate) fn refuse(peer: &Peer, re: Option<u32>, refusal: Refusal) {
    if let Some(frame) = wire::frame(re, refusal.into_message()) {
        peer.send(&frame);
    }
}
