//! A connection as the services see it, whatever its protocol: the server's shared state, the
//! peer it is, and the bookkeeping of its first steps (the time its handshake deadline does not
//! count, its place behind the first-steps gate).

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::in_flight::InFlight;
use crate::delivery::peer::Peer;
use crate::shared::Shared;
use crate::threads::gate::Pass;

/// One client connection, as every protocol's handlers and the services hold it.
#[derive(Debug)]
pub(crate) struct Conn {
    pub shared: Arc<Shared>,
    pub peer: Arc<Peer>,
    /// Time spent waiting for the password pool (or the gate) since the last request, which the
    /// handshake deadline does not count: the client cannot shorten those waits.
    pub deadline_credit: Duration,
    /// Its room lines on their way into the cluster's log.
    pub lines: Arc<InFlight>,
    /// The place behind the first-steps gate held while a request before login is handled.
    pass: Option<Pass>,
}

impl Conn {
    pub fn new(shared: Arc<Shared>, peer: Arc<Peer>) -> Self {
        Conn {
            shared,
            peer,
            deadline_credit: Duration::ZERO,
            lines: Arc::default(),
            pass: None,
        }
    }

    /// Takes a place behind the first-steps gate (see `threads::gate`), waiting for one; the
    /// wait is not counted against the handshake deadline.
    pub fn enter_gate(&mut self) {
        let (pass, waited) = self.shared.first_steps.enter();
        self.deadline_credit += waited;
        self.pass = Some(pass);
    }

    /// Gives the place behind the gate back, if one is held: before waiting for the password
    /// pool (whose queue bounds those waits already), and when a request is done.
    pub fn leave_gate(&mut self) {
        self.pass = None;
    }

    /// Adds the time since `started` to the time the handshake deadline does not count.
    pub fn credit_since(&mut self, started: Instant) {
        self.deadline_credit += started.elapsed();
    }
}
