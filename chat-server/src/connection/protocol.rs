//! What a protocol gives the connection driver: how bytes are cut into units (`Decoder`), how a
//! unit becomes a request and what the connection's rules make of it (`Traits`), what each
//! request does, and how its clients are written to (`peer::Render`). Everything else about a
//! connection (TLS, deadlines, the first-steps gate, settling, keep-alives, flood control,
//! auto-away, hand-overs, shutdown) is the driver's, the same for every protocol.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use chat_core::transport::{Transport, TransportReader};

use crate::delivery::peer::Render;
use crate::service::conn::Conn;
use crate::shared::Shared;

/// What one read gave.
pub(crate) enum Read<'a> {
    /// A whole unit: a frame's body, a line without its ending.
    Unit(&'a [u8]),
    /// A unit longer than the protocol allows (`len` bytes, when known), skipped or refused.
    TooLong { len: usize },
    /// The stream ended cleanly between units.
    End,
    /// Nothing came before the read timeout; a partial unit is kept for the next read.
    Timeout,
    /// The stream ended inside a unit.
    Truncated,
    /// The read failed.
    Failed(io::Error),
}

/// Cuts a byte stream into a protocol's units, keeping a partial unit across read timeouts.
pub(crate) trait Decoder: Default + Send + 'static {
    /// Reads until a whole unit, a timeout, the end or an error.
    fn read(&mut self, stream: &mut TransportReader) -> Read<'_>;
}

/// What the connection's rules make of one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Traits {
    /// It pays into flood control.
    pub flood: bool,
    /// It is the user doing something (not a keep-alive or a clock sample): it ends being away
    /// for lack of input.
    pub input: bool,
    /// After login: the client settled in by asking it, and is read at normal priority from
    /// then on (anything but keep-alives, clock samples and leaving).
    pub settles: bool,
    /// Before login: it is handled behind the first-steps gate.
    pub gated: bool,
}

/// What the driver does after a request.
#[derive(Debug)]
pub(crate) enum Step {
    /// Reads on.
    Continue,
    /// The connection is over, for this reason (for the log): the handler said goodbye.
    Close(String),
}

/// One protocol on the connection driver. Implemented by the protocol's connection state, which
/// holds the [`Conn`].
pub(crate) trait Protocol: Send + Sized + 'static {
    /// How its bytes are cut into units.
    type Decoder: Decoder;
    /// A unit, decoded.
    type Request;
    /// Its name, in logs.
    const NAME: &'static str;
    /// How its clients are written to.
    const RENDER: &'static dyn Render;
    /// The goodbye of a client that did not log in in time.
    const LATE: &'static str;
    /// The goodbye of a client that did not answer a keep-alive.
    const SILENT: &'static str;
    /// The goodbye of a client that flooded.
    const FLOODED: &'static str;

    /// A new connection's state.
    fn new(conn: Conn) -> Self;
    fn conn(&self) -> &Conn;
    fn conn_mut(&mut self) -> &mut Conn;
    /// Whether the client logged in.
    fn logged_in(&self) -> bool;
    /// Decodes a unit, or answers it (a malformed frame, an empty line) and returns `None`.
    fn decode(&mut self, unit: &[u8]) -> Option<Self::Request>;
    /// What the connection's rules make of a request.
    fn traits(&self, request: &Self::Request) -> Traits;
    /// Does what the request asks.
    fn handle(&mut self, request: Self::Request) -> Step;
    /// A unit over the protocol's limit came (see [`Read::TooLong`]).
    fn too_long(&mut self, len: usize) -> Step;
    /// Asks a silent client to answer.
    fn ping(&self);
    /// Tells the user the server marked it away for lack of input (`away`), or back.
    fn marked(&self, away: bool);
}

/// Another way of serving a listener's connections, told apart by their first byte: the native
/// port also answers HTTP (files, and later the web client), whose requests start with a
/// letter where a native frame starts with a zero byte.
pub(crate) trait Handoff {
    /// Whether this listener hands any connection over at all.
    const WANTED: bool;

    /// Whether a connection whose first byte is `first` is this way's.
    fn claims(first: u8) -> bool;

    /// Serves the connection (its first bytes are still in `stream`) until it ends, on the
    /// connection's first thread; `deadline` bounds its first request. Or, when the connection
    /// turns to the listener's own protocol (a WebSocket that carries it), returns it: the
    /// driver serves it from there as any other.
    fn serve(
        shared: Arc<Shared>,
        transport: Transport,
        stream: TransportReader,
        addr: SocketAddr,
        id: u64,
        deadline: Instant,
    ) -> Option<(Transport, TransportReader)>;
}

/// A listener whose connections all speak its protocol.
#[derive(Debug)]
pub(crate) struct NoHandoff;

impl Handoff for NoHandoff {
    const WANTED: bool = false;

    fn claims(_: u8) -> bool {
        false
    }

    fn serve(
        _: Arc<Shared>,
        _: Transport,
        _: TransportReader,
        _: SocketAddr,
        _: u64,
        _: Instant,
    ) -> Option<(Transport, TransportReader)> {
        None
    }
}
