//! The client side of a connection, shared by the desktop client, the web client, the tests and
//! any tool.
//!
//! [`connect`] returns at once. Natively (`native`), a background thread resolves the address,
//! connects, says hello and synchronises the clock, then reads frames; a second thread writes.
//! In a browser (`web`), where there are no threads, the page's WebSocket does the same steps as
//! its events arrive, driven by [`Connection::try_events`] on the UI's frame. Either way the
//! caller sees the same [`Event`]s: [`Connection::send`] queues a request,
//! [`Connection::try_events`] yields what happened. An optional waker is called after every event
//! (the GUI passes `request_repaint`), so a caller never needs to poll.
//!
//! Architecture Invariant: nothing here blocks the caller's thread; natively the socket belongs
//! to the two background threads alone.

#[cfg(not(target_arch = "wasm32"))]
pub(crate) mod native;
#[cfg(target_arch = "wasm32")]
mod page_socket;
#[cfg(target_arch = "wasm32")]
mod web;

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::clock::{Clock, ClockSync, SystemClock};
use crate::limits::CLIENT_CONNECT_TIMEOUT;
use crate::protocol::{CloseReason, ServerFrame};
use crate::tls::{ClientTls, Trust};

#[cfg(not(target_arch = "wasm32"))]
pub use self::native::{Connection, connect};
#[cfg(target_arch = "wasm32")]
pub use self::web::{Connection, connect};

/// Called after each event is queued; must be cheap and must not block.
pub type Waker = Arc<dyn Fn() + Send + Sync>;

/// How to connect.
#[derive(Clone)]
pub struct ClientOptions {
    /// The local clock (a skewed one in tests).
    pub clock: Arc<dyn Clock>,
    /// Called after each event.
    pub waker: Option<Waker>,
    /// Name and version sent in the hello.
    pub client_name: String,
    /// Limit for the TCP connection and each handshake reply.
    pub timeout: Duration,
    /// TLS settings; `None` connects in plain TCP (only to a server started with `--no-tls`).
    pub tls: Option<ClientTls>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            clock: Arc::new(SystemClock),
            waker: None,
            client_name: format!("chat-core/{}", env!("CARGO_PKG_VERSION")),
            timeout: CLIENT_CONNECT_TIMEOUT,
            tls: Some(ClientTls::default()),
        }
    }
}

impl fmt::Debug for ClientOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientOptions")
            .field("clock", &self.clock)
            .field("client_name", &self.client_name)
            .field("timeout", &self.timeout)
            .field("tls", &self.tls)
            .finish_non_exhaustive()
    }
}

/// Facts learned in the handshake.
#[derive(Debug, Clone)]
pub struct Session {
    /// The address connected to.
    pub addr: SocketAddr,
    /// The server of the list that answered, as given (`host:port`): what its certificate is
    /// pinned for, and where its files are.
    pub host: String,
    /// The server's software name and version.
    pub server: String,
    /// The default room's name.
    pub default_room: String,
    /// The clock synchronisation's result.
    pub clock: ClockSync,
    /// How the connection is encrypted; `None` for plain TCP.
    pub tls: Option<TlsInfo>,
}

/// The server's certificate, as this connection trusted it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsInfo {
    /// SHA-256 fingerprint of the server's certificate.
    pub fingerprint: String,
    /// Why it was trusted.
    pub trust: Trust,
}

/// What happened on the connection, in order.
#[derive(Debug, Clone)]
pub enum Event {
    /// Hello answered and clock synchronised: requests may now be sent.
    Connected(Session),
    /// A frame from the server.
    Frame(ServerFrame),
    /// The connection is over; nothing follows.
    Disconnected(Disconnect),
}

/// Why a connection ended (or never started).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disconnect {
    /// The address could not be resolved.
    Unresolved(String),
    /// Nothing listens at the address.
    Refused,
    /// The server did not answer in time.
    TimedOut,
    /// The server speaks another protocol version.
    VersionMismatch(String),
    /// The server closed the connection and said why.
    ServerClosed {
        /// Why.
        reason: CloseReason,
        /// Why, for people.
        message: String,
    },
    /// This side closed it.
    ClosedByClient,
    /// The server's certificate is not the one pinned for this address: the connection was
    /// refused, as it may be an attacker's.
    CertificateChanged {
        /// The fingerprint remembered.
        expected: String,
        /// The fingerprint presented now.
        presented: String,
    },
    /// The TLS handshake failed.
    Tls(String),
    /// The connection broke or the server sent something unreadable.
    Lost(String),
}

impl fmt::Display for Disconnect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Disconnect::Unresolved(e) => write!(f, "the server's address could not be found ({e})"),
            Disconnect::Refused => f.write_str(
                "the server refused the connection: is it running, and is the port right?",
            ),
            Disconnect::TimedOut => f.write_str("the server did not answer in time"),
            Disconnect::VersionMismatch(m) => {
                write!(f, "the server speaks another protocol version: {m}")
            }
            Disconnect::ServerClosed { message, .. } => {
                write!(f, "the server closed the connection: {message}")
            }
            Disconnect::ClosedByClient => f.write_str("disconnected"),
            Disconnect::CertificateChanged {
                expected,
                presented,
            } => write!(
                f,
                "WARNING: the server's certificate changed. It was {expected} and is now {presented}. \
                 Someone may be intercepting the connection; connect only if the server's operator \
                 confirms the new fingerprint"
            ),
            Disconnect::Tls(e) => write!(f, "secure connection failed: {e}"),
            Disconnect::Lost(e) => write!(f, "the connection was lost: {e}"),
        }
    }
}

/// The servers in `addr`: one `host:port`, or several separated by commas.
pub fn servers(addr: &str) -> impl Iterator<Item = &str> {
    addr.split(',').map(str::trim).filter(|s| !s.is_empty())
}
