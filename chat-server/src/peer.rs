//! One connected client as the rest of the server sees it: an id, an address, a login once
//! logged in, and an outbox. Anyone may queue a frame for a peer or tell it to go; only the
//! peer's own threads touch its socket's data.

use std::net::{Shutdown, SocketAddr};
use std::sync::OnceLock;

use chat_core::transport::Transport;

use chat_core::protocol::{CloseReason, ServerMessage};

use crate::outbox::{Frame, Outbox, PushError};
use crate::wire;

/// A connected client.
#[derive(Debug)]
pub struct Peer {
    /// Unique for the server's lifetime.
    pub id: u64,
    /// Remote address.
    pub addr: SocketAddr,
    /// Frames waiting to be written.
    pub outbox: Outbox,
    /// A handle on the socket, used only to shut it down.
    socket: Transport,
    /// Set once, at login.
    login: OnceLock<Login>,
}

/// A peer's login: as registered, and as a key.
#[derive(Debug, Clone)]
pub struct Login {
    /// As registered.
    pub name: String,
    /// Lowercased, for look-ups.
    pub key: String,
}

impl Peer {
    /// A peer with an empty outbox of `max_outbox_bytes`.
    pub fn new(id: u64, addr: SocketAddr, socket: Transport, max_outbox_bytes: usize) -> Self {
        Peer {
            id,
            addr,
            outbox: Outbox::new(max_outbox_bytes),
            socket,
            login: OnceLock::new(),
        }
    }

    /// The login, once logged in.
    pub fn login(&self) -> Option<&Login> {
        self.login.get()
    }

    /// Records the login; a connection logs in at most once.
    pub fn set_login(&self, login: Login) -> bool {
        self.login.set(login).is_ok()
    }

    /// The login name for logs and events (`-` before login).
    pub fn name(&self) -> &str {
        self.login().map_or("-", |l| l.name.as_str())
    }

    /// Queues a frame. A full outbox disconnects the peer as a slow consumer: the room never
    /// waits for it. Returns whether the frame was queued.
    pub fn send(&self, frame: &Frame) -> bool {
        match self.outbox.push(Frame::clone(frame)) {
            Ok(()) => true,
            Err(PushError::Closed) => false,
            Err(PushError::Full) => {
                tracing::warn!(peer = self.id, login = %self.name(), "send queue full: disconnecting a slow consumer");
                let goodbye = wire::event(ServerMessage::Goodbye {
                    reason: CloseReason::SlowConsumer,
                    message: "you were not reading messages fast enough".into(),
                });
                self.outbox.abort_with(goodbye);
                self.socket.shutdown(Shutdown::Read);
                false
            }
        }
    }

    /// Says goodbye after what is already queued, then closes the connection.
    pub fn close(&self, reason: CloseReason, message: &str) {
        self.close_replying(None, reason, message);
    }

    /// [`Peer::close`], with the goodbye answering request `re` (for `exit`).
    pub fn close_replying(&self, re: Option<u32>, reason: CloseReason, message: &str) {
        let goodbye = wire::frame(
            re,
            ServerMessage::Goodbye {
                reason,
                message: message.to_owned(),
            },
        );
        self.outbox.close_with(goodbye);
        // Unblocks the reader thread, which then cleans up; the writer still sends the goodbye.
        self.socket.shutdown(Shutdown::Read);
    }
}
