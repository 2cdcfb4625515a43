//! What the connection reports, turned into state: connected (the handshake done), a frame
//! (a reply routed to its request, or an event for the model), disconnected (and whether to
//! reconnect).

use std::time::Duration;
use web_time::Instant;

use chat_core::client::{Disconnect, Session};
use chat_core::protocol::{CloseReason, ErrorCode, ServerFrame, ServerMessage};

use super::{Client, LoginProblem, Pending, Phase, TokenNews};
use crate::chat::{Chat, FirstPage};
use crate::history::{Earlier, Line, LineKind, Refusal};

impl Client {
    /// The handshake is done: resume the session if there is one to resume, else the forms.
    pub(super) fn connected(&mut self, session: Session) {
        self.session = Some(session);
        self.last = None;
        let reconnecting = matches!(self.phase, Phase::Reconnecting { .. });
        let resume = matches!(self.phase, Phase::Connecting { resume: true });
        if self.token.is_some() && (reconnecting || resume) {
            self.send_resume(reconnecting);
        } else {
            self.phase = Phase::Connected;
        }
    }

    /// A frame from the server: a reply goes to what asked for it, everything else to the model.
    pub(super) fn frame(&mut self, frame: ServerFrame, now: Instant) {
        if let ServerMessage::Message { id, .. } = &frame.message {
            self.last_line = self.last_line.max(*id);
        }
        let pending = frame.re.and_then(|re| self.pending.remove(&re));
        let files = frame.re.and_then(|re| self.files_sent.remove(&re));
        let time = frame.time;
        match (&frame.message, pending) {
            (
                ServerMessage::Error {
                    code,
                    message,
                    field,
                    retry_after_ms,
                },
                pending,
            ) => {
                tracing::debug!(?code, ?field, message, "request refused");
                let refusal = Refusal {
                    code: *code,
                    field: *field,
                };
                let retry_at = retry_after_ms.map(|ms| now + Duration::from_millis(ms));
                match (code, retry_after_ms) {
                    // A muted member, or one writing faster than slow mode allows, is told
                    // until when: the server says how long from its own clock.
                    (ErrorCode::Muted | ErrorCode::SlowMode, Some(ms)) => {
                        let kind = LineKind::Wait {
                            code: *code,
                            until: time.saturating_add(i64::try_from(*ms).unwrap_or(i64::MAX)),
                            after_ms: *ms,
                        };
                        self.chat.note(time, kind);
                    }
                    _ => self.refused(time, refusal, retry_at, pending),
                }
            }
            (ServerMessage::Registered { login }, _) => {
                self.feedback.registered = Some(login.clone());
            }
            (
                ServerMessage::LoggedIn {
                    login,
                    token,
                    token_expires,
                    admin,
                },
                pending,
            ) => {
                self.logged_in(time, login, token.as_deref(), *token_expires, pending);
                self.admin = *admin;
            }
            (ServerMessage::Rooms { .. }, Some(Pending::ListRooms)) => {
                self.chat.apply(time, &frame.message);
                let rooms = self.chat.rooms.clone();
                self.chat.note(time, LineKind::RoomList(rooms));
            }
            (
                ServerMessage::PrivateSent { to, id, .. }
                | ServerMessage::PrivateStored { to, id, .. },
                Some(Pending::PrivateReply(_, quote)),
            ) => {
                // The sender's own copy carries no quote: the client remembers what it answered.
                self.chat.apply(time, &frame.message);
                if *id != 0 {
                    let history = &mut self.chat.conversation_mut(to).history;
                    history.extras_mut(*id).reply_to = Some(quote);
                }
            }
            // The answer to the user's own `moderate` in the room they are in: the room's
            // event says it too (every member gets it), and says it once.
            (ServerMessage::Moderated { room, .. }, Some(_))
                if self
                    .chat
                    .room_name()
                    .is_some_and(|r| r.eq_ignore_ascii_case(room)) => {}
            (ServerMessage::Users { .. }, Some(Pending::ShowUsers)) => {
                self.chat.apply(time, &frame.message);
                self.feedback.users_arrived = true;
            }
            (message, _) => {
                self.chat.apply(time, message);
                if let ServerMessage::Private { from, .. } = message {
                    // A conversation that starts with their message shows what came before.
                    self.ask_first_page(from);
                }
            }
        }
        self.own_files_arrived(files, &frame.message);
    }

    /// An `error` reply, routed to the request that caused it.
    fn refused(
        &mut self,
        time: i64,
        refusal: Refusal,
        retry_at: Option<Instant>,
        pending: Option<Pending>,
    ) {
        let busy = matches!(refusal.code, ErrorCode::ServerBusy | ErrorCode::RateLimited);
        match pending {
            Some(Pending::Register(_)) => self.feedback.register = Some(refusal),
            Some(Pending::Login) => {
                // A busy server is asked again when it says; other refusals need the user.
                let again_at = retry_at.filter(|_| refusal.code == ErrorCode::ServerBusy);
                let retrying = match (&mut self.phase, again_at) {
                    (Phase::LoggingIn(login), Some(at)) if login.holds_password() => {
                        login.retry_at = Some(at);
                        true
                    }
                    _ => {
                        // The password goes with the login.
                        self.phase = Phase::Connected;
                        false
                    }
                };
                self.feedback.login = Some(LoginProblem {
                    refusal,
                    retry_at,
                    retrying,
                });
            }
            Some(Pending::Relogin | Pending::Resume) if busy && retry_at.is_some() => {
                if let Phase::LoggingIn(login) = &mut self.phase {
                    login.retry_at = retry_at;
                }
                self.feedback.login = Some(LoginProblem {
                    refusal,
                    retry_at,
                    retrying: true,
                });
            }
            Some(Pending::Relogin | Pending::Resume) => {
                // The token is no longer valid: the password is needed.
                self.token = None;
                self.feedback.token = Some(TokenNews::Ended);
                self.chat = Chat::default();
                self.phase = Phase::Connected;
                self.feedback.login = Some(LoginProblem {
                    refusal,
                    retry_at: None,
                    retrying: false,
                });
            }
            Some(Pending::ReEnter | Pending::Logout | Pending::Presence | Pending::Quiet) => {}
            Some(Pending::History) => {
                if let Some(h) = self.chat.current_history_mut() {
                    h.earlier = Earlier::None;
                }
            }
            Some(Pending::PrivateHistory(key)) => {
                let c = self.chat.conversation_mut(&key);
                c.first_page = FirstPage::Arrived;
                c.history.earlier = Earlier::None;
            }
            Some(Pending::Private(peer) | Pending::PrivateReply(peer, _)) => {
                self.chat
                    .conversation_mut(&peer)
                    .history
                    .push(Line::new(time, LineKind::Refused(refusal)));
            }
            Some(Pending::ListRooms | Pending::ShowUsers | Pending::Command) | None => {
                self.chat.note(time, LineKind::Refused(refusal));
            }
        }
    }

    /// The connection is over: wait and reconnect if the session can be resumed, else offline.
    pub(super) fn disconnected(&mut self, why: Disconnect, now: Instant) {
        // The window words the reason in its language; the system's details go to the log.
        tracing::info!(addr = %self.addr, "disconnected: {why}");
        let was_in_session = self.in_session();
        self.connection = None;
        self.pending.clear();
        // Nothing the server said of anyone's presence holds while it cannot say more.
        self.chat.presence.lost();
        if self.phase == Phase::LoggingOut {
            self.finish_logout();
            return;
        }
        let recoverable = match &why {
            Disconnect::ServerClosed { reason, .. } => matches!(
                reason,
                CloseReason::ServerShutdown
                    | CloseReason::IdleTimeout
                    | CloseReason::SlowConsumer
                    | CloseReason::TooManyConnections
            ),
            Disconnect::Lost(_)
            | Disconnect::TimedOut
            | Disconnect::Refused
            | Disconnect::Unresolved(_) => true,
            // A changed certificate needs the user's decision; the others will not heal by waiting.
            Disconnect::VersionMismatch(_)
            | Disconnect::ClosedByClient
            | Disconnect::CertificateChanged { .. }
            | Disconnect::Tls(_) => false,
        };
        if was_in_session && recoverable && self.token.is_some() {
            if matches!(self.phase, Phase::LoggedIn) {
                let time = self.server_now_ms();
                self.chat.note(time, LineKind::ConnectionLost);
                self.lost = Some(why.clone());
            }
            let delay = self.backoff.next_delay();
            self.phase = Phase::Reconnecting {
                attempt: self.backoff.failures(),
                retry_at: Some(now + delay),
            };
        } else {
            self.session = None;
            self.token = None;
            self.lost = None;
            self.phase = Phase::Offline;
        }
        self.last = Some(why);
    }
}
