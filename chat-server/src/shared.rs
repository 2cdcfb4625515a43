//! What every thread of the server holds: the chat's state, the stores, the pools and the
//! connection table, behind one `Arc`. This module sits at the bottom of the server: every
//! part above it (connections, protocols, the cluster, `server`) reaches the rest through it,
//! and it imports none of them.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use crate::accounts::departures::Departures;
use crate::accounts::directory::Directory;
use crate::accounts::passwords::PasswordPool;
use crate::accounts::throttle::{FailedLogins, KeyedBuckets};
use crate::accounts::tokens::Sessions;
use crate::chat::hub::Hub;
use crate::config::ServerConfig;
use crate::delivery::peer::Peer;
use crate::delivery::writers::WriterPool;
use crate::error::Result;
use crate::links::FileLinks;
use crate::store::archive::Archive;
use crate::store::files::FileStore;
use crate::store::{AccountStore, MailStore, Store};
use crate::threads::families::ConnectionThreads;
use crate::threads::gate::Gate;
use crate::tls::ServerTls;

/// What every connection thread shares.
#[derive(Debug)]
pub(crate) struct Shared {
    pub config: ServerConfig,
    pub hub: Hub,
    /// This machine's sled store (what was said; accounts and tokens unless shared).
    pub store: Store,
    /// Where accounts live (sled, or PostgreSQL shared by a cluster's nodes).
    pub accounts: Arc<dyn AccountStore>,
    /// Where private messages for offline users wait.
    pub mail: Arc<dyn MailStore>,
    /// Every registered user's login and names, in memory.
    pub directory: Directory,
    /// Who left lately (IRC `WHOWAS`).
    pub departures: Departures,
    /// Session tokens, in memory (and on disk through `store`).
    pub sessions: Sessions,
    /// Shared files: their records and bytes.
    pub files: FileStore,
    /// The web client's files, when the server serves it.
    pub web: Option<crate::protocols::http::web::WebBundle>,
    /// Links to shared files for clients that cannot send a header (IRC's).
    pub links: Arc<FileLinks>,
    /// The writer of what was said (room history, private messages).
    pub archive: Arc<Archive>,
    pub passwords: PasswordPool,
    /// TLS configuration, when on.
    pub tls: Option<ServerTls>,
    /// Sends every client's queued frames.
    pub writers: WriterPool,
    /// The threads connections run on.
    pub threads: ConnectionThreads,
    /// Connections handling a frame before login, at most one per core.
    pub first_steps: Arc<Gate>,
    pub(crate) connections: Mutex<HashMap<u64, Arc<Peer>>>,
    pub(crate) all_gone: Condvar,
    pub(crate) shutting_down: AtomicBool,
    /// Open connections (admitted, not yet closed), by address and in all.
    pub(crate) per_ip: Mutex<Open>,
    /// The most connections admitted at once: `max_connections`, or fewer if this process
    /// cannot start more threads (`ceiling`).
    pub(crate) max_connections: usize,
    /// Failed logins by address and by account.
    pub login_ip: FailedLogins<IpAddr>,
    pub login_account: FailedLogins<String>,
    /// Registrations by address.
    pub registrations: KeyedBuckets<IpAddr>,
    /// What connections did, counted.
    pub counts: Counts,
}

/// What connections did, counted as it happens (relaxed atomics: each is one add where it
/// happens, never on a logged-in client's path but for its one settling in).
#[derive(Debug, Default)]
pub(crate) struct Counts {
    /// Requests handled behind the first-steps gate.
    pub gated: AtomicU64,
    /// Connections that settled in (moved to a normal-priority reader).
    pub settled: AtomicU64,
}

/// A snapshot of [`Counts`], for operators and tests (`ServerHandle::counts`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConnectionCounts {
    /// Requests handled behind the first-steps gate (before login), every protocol.
    pub gated: u64,
    /// Connections that settled in: asked for more than keep-alives after login, and were
    /// moved to a normal-priority reader.
    pub settled: u64,
}

impl Counts {
    pub fn snapshot(&self) -> ConnectionCounts {
        ConnectionCounts {
            gated: self.gated.load(Ordering::Relaxed),
            settled: self.settled.load(Ordering::Relaxed),
        }
    }
}

impl Shared {
    pub(crate) fn connections(&self) -> MutexGuard<'_, HashMap<u64, Arc<Peer>>> {
        self.connections.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn register(&self, peer: &Arc<Peer>) {
        self.connections().insert(peer.id, Arc::clone(peer));
    }

    pub fn unregister(&self, peer: &Peer) {
        let mut connections = self.connections();
        connections.remove(&peer.id);
        if connections.is_empty() {
            self.all_gone.notify_all();
        }
    }

    pub fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::Acquire)
    }

    fn per_ip(&self) -> MutexGuard<'_, Open> {
        self.per_ip.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Connections open now, logged in or not, every protocol's.
    pub(crate) fn open_connections(&self) -> usize {
        self.per_ip().total
    }

    /// Counts a new connection in, or says why it is refused.
    pub(crate) fn admit(self: &Arc<Self>, ip: IpAddr) -> Result<Admission, &'static str> {
        let ip = network_of(ip);
        let mut open = self.per_ip();
        if open.total >= self.max_connections {
            return Err("the server is full; try again later");
        }
        let mine = open.by_ip.entry(ip).or_insert(0);
        if self.config.max_connections_per_ip > 0 && *mine >= self.config.max_connections_per_ip {
            return Err("too many connections from your address");
        }
        *mine += 1;
        open.total += 1;
        Ok(Admission {
            shared: Arc::clone(self),
            ip,
        })
    }

    /// The user with this login key: from the directory, or, when accounts are shared with other
    /// servers, from the account store (someone registered elsewhere since this one started),
    /// then remembered.
    pub fn person(&self, key: &str) -> Option<crate::accounts::directory::Person> {
        if let Some(person) = self.directory.get(key) {
            return Some(person);
        }
        if self.accounts.is_local() {
            return None;
        }
        match self.accounts.get(key) {
            Ok(Some(account)) => {
                self.directory.insert(&account);
                self.directory.get(key)
            }
            Ok(None) => None,
            Err(e) => {
                tracing::warn!("cannot look an account up: {e}");
                None
            }
        }
    }

    /// Keeps a private message for its offline recipient, durably, and in the conversation.
    pub fn keep_offline(&self, said: chat_core::protocol::PrivateSaid) -> Result<()> {
        if self.mail.is_local() {
            // The archive keeps it with the conversation.
            return self.mail.keep(&said);
        }
        self.mail.keep(&said)?;
        self.archive.private(said);
        Ok(())
    }

    /// [`Shared::keep_offline`] for a request that must be answered by `until`: a store shared
    /// over the network (PostgreSQL, cut off or stalled) is waited for until then, and the
    /// keeping goes on without the request. `ServerError::NotConfirmed` then: the message may
    /// still be kept (and is then delivered at the recipient's next login), or not. A store on
    /// this machine is waited for.
    pub fn keep_offline_until(
        self: &Arc<Self>,
        said: chat_core::protocol::PrivateSaid,
        until: std::time::Instant,
    ) -> Result<()> {
        if self.mail.is_local() {
            return self.keep_offline(said);
        }
        let (done, outcome) = crossbeam_channel::bounded(1);
        let shared = Arc::clone(self);
        // At most one thread per connection to the store waits on it; the others find every
        // connection busy within a moment and end.
        std::thread::Builder::new()
            .name("keep".into())
            .spawn(move || {
                let kept = shared.keep_offline(said);
                if let Err(e) = &kept {
                    tracing::warn!("cannot keep a private message: {e}");
                }
                let _ = done.send(kept);
            })?;
        outcome
            .recv_timeout(until.saturating_duration_since(std::time::Instant::now()))
            .unwrap_or(Err(crate::error::ServerError::NotConfirmed {
                what: "the account database",
            }))
    }

    /// Forgets stale rate-limit entries and expired session tokens.
    pub(crate) fn sweep(&self) {
        let now = self.config.clock.now();
        self.login_ip.sweep(now);
        self.login_account.sweep(now);
        self.registrations.sweep(now);
        if let Err(e) = self.sessions.sweep(self.config.clock.now_ms()) {
            tracing::error!("cannot forget expired sessions: {e}");
        }
    }
}

/// A counted connection; dropping it counts the connection out.
#[derive(Debug)]
pub(crate) struct Admission {
    shared: Arc<Shared>,
    ip: IpAddr,
}

/// What limits per address count by: an IPv4 address, or the /64 network of an IPv6 one (one
/// machine, or one home, is handed a whole /64: counted by address, it would have 2^64 of
/// them). An IPv4 address written in IPv6 (`::ffff:a.b.c.d`) is that IPv4 address.
pub(crate) fn network_of(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let bits = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(std::net::Ipv6Addr::from(bits))
            }
        },
    }
}

/// Open connections by address, and their sum (kept, so admitting one never adds them up).
#[derive(Debug, Default)]
pub(crate) struct Open {
    by_ip: HashMap<IpAddr, usize>,
    total: usize,
}

impl Drop for Admission {
    fn drop(&mut self) {
        let mut guard = self.shared.per_ip();
        let open = &mut *guard;
        if let Some(n) = open.by_ip.get_mut(&self.ip) {
            *n -= 1;
            open.total -= 1;
            if *n == 0 {
                open.by_ip.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_count_an_ipv6_network_as_one_address() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(network_of(a), network_of(b));
        assert_ne!(network_of(a), network_of(other));
        let v4: IpAddr = "192.0.2.7".parse().unwrap();
        assert_eq!(network_of(v4), v4);
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(network_of(mapped), v4);
    }
}
