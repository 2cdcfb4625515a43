//! The native protocol (docs/PROTOCOL.md) on the connection driver: length-prefixed MessagePack
//! frames in (`Frames`), what each request does, one module per family (mini-redis's `cmd/`
//! shape: `hello`, `account` for register, login, resume and logout, `rooms` for the course's
//! room commands, `talk` for room and private messages, `history`, `presence` for away, back
//! and typing, `users` for `#show users`), and every event written as one frame (`render`,
//! `wire`).
//!
//! A handler gets the [`Session`] and the request's fields, queues its reply (or returns a
//! `Refusal`, sent as the `error` reply), and says whether the connection goes on. Handlers are
//! `#[inline(never)]`: inlined into the dispatcher, all their locals would sit in the reader's
//! stack on every request, a keep-alive `ping` included, and stack a reader touches once stays
//! resident for the life of its connection.

mod account;
mod dispatch;
mod hello;
mod history;
mod lines;
mod presence;
pub(crate) mod render;
mod rooms;
mod session;
mod talk;
mod users;
pub(crate) mod wire;

use chat_core::Error as CoreError;
use chat_core::frame::{self, FrameReader};
use chat_core::protocol::{
    self as wire_protocol, ClientFrame, CloseReason, Presence, ServerMessage,
};
use chat_core::transport::TransportReader;

pub(crate) use rooms::rooms_frame;
pub(crate) use session::Session;

use crate::connection::{Decoder, Protocol, Read, Step, Traits};
use crate::delivery::peer::Render;
use crate::service::conn::Conn;
use crate::service::refusal::Refusal;
use session::{Next, Phase};

/// The native port's units: frames (a 4-byte big-endian length, then a MessagePack body of at
/// most 64 KiB, checked before it is read).
#[derive(Debug, Default)]
pub(crate) struct Frames(FrameReader);

impl Decoder for Frames {
    fn read(&mut self, stream: &mut TransportReader) -> Read<'_> {
        match self.0.read_frame(stream) {
            Ok(Some(body)) => Read::Unit(body),
            Ok(None) => Read::End,
            Err(e) if e.is_timeout() => Read::Timeout,
            Err(CoreError::FrameTooLarge { len, .. }) => Read::TooLong { len },
            Err(CoreError::Truncated) => Read::Truncated,
            Err(CoreError::Io(e)) => Read::Failed(e),
            Err(e) => Read::Failed(std::io::Error::other(e.to_string())),
        }
    }
}

impl Protocol for Session {
    type Decoder = Frames;
    type Request = ClientFrame;
    const NAME: &'static str = "native";
    const RENDER: &'static dyn Render = &render::NativeRender;
    const LATE: &'static str = "hello and login were not completed in time";
    const SILENT: &'static str = "nothing heard from you for too long";
    const FLOODED: &'static str = "you sent too much, too fast, for too long";

    fn new(conn: Conn) -> Self {
        Session {
            conn,
            phase: Phase::AwaitHello,
            token: None,
        }
    }

    fn conn(&self) -> &Conn {
        &self.conn
    }

    fn conn_mut(&mut self) -> &mut Conn {
        &mut self.conn
    }

    fn logged_in(&self) -> bool {
        self.phase == Phase::LoggedIn
    }

    fn decode(&mut self, unit: &[u8]) -> Option<ClientFrame> {
        match frame::decode(unit) {
            Ok(frame) => Some(frame),
            Err(e) => {
                self.refused_frame(unit, e);
                None
            }
        }
    }

    fn traits(&self, frame: &ClientFrame) -> Traits {
        dispatch::traits(&frame.request)
    }

    fn handle(&mut self, frame: ClientFrame) -> Step {
        match dispatch::handle(self, frame.id, frame.request) {
            Ok(Next::Continue) => Step::Continue,
            Ok(Next::Close) => Step::Close("said goodbye".into()),
            Err(refusal) => {
                self.error(Some(frame.id), refusal);
                Step::Continue
            }
        }
    }

    #[cold]
    fn too_long(&mut self, len: usize) -> Step {
        let e = CoreError::FrameTooLarge {
            len,
            max: chat_core::limits::MAX_FRAME_BYTES,
        };
        self.error(None, Refusal::from(e));
        self.peer
            .close(CloseReason::ProtocolError, "frame too large");
        Step::Close("oversized frame".into())
    }

    fn ping(&self) {
        self.event(ServerMessage::Ping);
    }

    #[cold]
    fn marked(&self, away: bool) {
        self.event(ServerMessage::Presence {
            login: self.peer.name().to_owned(),
            presence: if away {
                Presence::Away
            } else {
                Presence::Online
            },
            text: None,
        });
    }
}

impl Session {
    /// A frame the decoder refused: answered with its `id` and the field at fault when those can
    /// be read, else as `malformed` with no `re`.
    #[cold]
    #[inline(never)]
    fn refused_frame(&self, body: &[u8], e: CoreError) {
        tracing::debug!(peer = self.peer.id, "refused frame: {e}");
        match wire_protocol::diagnose(body) {
            Some(d) => self.error(
                Some(d.id),
                Refusal {
                    code: d.code,
                    message: d.message,
                    field: d.field,
                    retry_after: None,
                },
            ),
            None => self.error(None, Refusal::from(e)),
        }
    }
}
