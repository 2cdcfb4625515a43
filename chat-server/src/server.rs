//! The accept loop, the shared state every connection holds, and a designed shutdown.
//!
//! [`start`] binds, opens the store and returns a [`ServerHandle`] at once; the server runs on
//! its own threads: one accepting, one broadcasting the room directory, a small pool hashing
//! passwords, and two per client (a reader that handles requests, a writer that drains the
//! client's outbox).

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use chat_core::protocol::{CloseReason, ServerMessage};
use crossbeam_channel::{Sender, bounded};

use crate::config::ServerConfig;
use crate::error::{Result, ServerError};
use crate::hub::Hub;
use crate::passwords::PasswordPool;
use crate::peer::Peer;
use crate::session::{self, READER_STACK_BYTES};
use crate::store::Accounts;
use crate::wire;

/// How often the room directory is re-sent when it changed.
pub const DIRECTORY_INTERVAL: Duration = Duration::from_millis(500);
/// How long shutdown waits for clients to be told and disconnected.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// What every connection thread shares.
#[derive(Debug)]
pub(crate) struct Shared {
    pub config: ServerConfig,
    pub hub: Hub,
    pub accounts: Accounts,
    pub passwords: PasswordPool,
    connections: Mutex<HashMap<u64, Arc<Peer>>>,
    all_gone: Condvar,
    shutting_down: AtomicBool,
}

impl Shared {
    fn connections(&self) -> MutexGuard<'_, HashMap<u64, Arc<Peer>>> {
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
}

/// A running server. Dropping it shuts the server down.
#[derive(Debug)]
pub struct ServerHandle {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
    directory: Option<JoinHandle<()>>,
    stop_directory: Sender<()>,
}

/// Opens the store, binds and starts serving. Returns once the server accepts connections.
pub fn start(config: ServerConfig) -> Result<ServerHandle> {
    config.validate()?;
    let accounts = Accounts::open(&config.data_dir, config.store_cache_bytes)?;
    let listener = TcpListener::bind(&config.bind).map_err(|source| ServerError::Bind {
        addr: config.bind.clone(),
        source,
    })?;
    let addr = listener.local_addr()?;
    let passwords =
        PasswordPool::start(config.hash_workers, config.hash_queue, config.bcrypt_cost)?;
    let shared = Arc::new(Shared {
        hub: Hub::new(&config.default_room, config.max_rooms),
        config,
        accounts,
        passwords,
        connections: Mutex::new(HashMap::new()),
        all_gone: Condvar::new(),
        shutting_down: AtomicBool::new(false),
    });
    let accept_shared = Arc::clone(&shared);
    let accept = thread::Builder::new()
        .name("accept".into())
        .spawn(move || accept_loop(&listener, &accept_shared))?;
    let (stop_directory, stopped) = bounded::<()>(1);
    let directory_shared = Arc::clone(&shared);
    let directory = thread::Builder::new()
        .name("directory".into())
        .spawn(move || {
            while let Err(crossbeam_channel::RecvTimeoutError::Timeout) =
                stopped.recv_timeout(DIRECTORY_INTERVAL)
            {
                broadcast_directory(&directory_shared);
            }
        })?;
    tracing::info!(%addr, accounts = shared.accounts.len(), "serving");
    Ok(ServerHandle {
        addr,
        shared,
        accept: Some(accept),
        directory: Some(directory),
        stop_directory,
    })
}

fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>) {
    let next_id = AtomicU64::new(1);
    for stream in listener.incoming() {
        if shared.is_shutting_down() {
            break;
        }
        let stream = match stream {
            Ok(s) => s,
            Err(e) => {
                // Out of descriptors or memory: back off instead of spinning.
                tracing::warn!("accept failed: {e}");
                thread::sleep(Duration::from_millis(50));
                continue;
            }
        };
        let addr = match stream.peer_addr() {
            Ok(a) => a,
            Err(_) => continue,
        };
        let id = next_id.fetch_add(1, Ordering::Relaxed);
        let shared = Arc::clone(shared);
        let spawned = thread::Builder::new()
            .name(format!("client-{id}"))
            .stack_size(READER_STACK_BYTES)
            .spawn(move || session::serve(shared, stream, addr, id));
        if let Err(e) = spawned {
            tracing::warn!(%addr, "cannot start a client thread: {e}; connection dropped");
        }
    }
}

/// Sends the room list to everyone online if it changed since the last time.
fn broadcast_directory(shared: &Shared) {
    if !shared.hub.take_directory_change() {
        return;
    }
    let Some(frame) = wire::event(ServerMessage::Rooms {
        rooms: shared.hub.rooms(),
    }) else {
        return;
    };
    for peer in shared.hub.online_peers() {
        peer.send(&frame);
    }
}

impl ServerHandle {
    /// The address the server listens on (with the real port when bound to port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Users logged in now.
    pub fn online_count(&self) -> usize {
        self.shared.hub.online_count()
    }

    /// Connections open now, logged in or not.
    pub fn connection_count(&self) -> usize {
        self.shared.connections().len()
    }

    /// Stops accepting, tells every client the server is going away, waits (a few seconds at
    /// most) for them to be gone, and flushes the store.
    pub fn shutdown(mut self) -> Result<()> {
        self.stop()
    }

    fn stop(&mut self) -> Result<()> {
        if self.shared.shutting_down.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        tracing::info!("shutting down");
        let _ = self.stop_directory.try_send(());
        // Wake the accept loop with a connection of our own.
        let wake = match self.addr.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => {
                SocketAddr::new(Ipv4Addr::LOCALHOST.into(), self.addr.port())
            }
            IpAddr::V6(ip) if ip.is_unspecified() => {
                SocketAddr::new(Ipv6Addr::LOCALHOST.into(), self.addr.port())
            }
            _ => self.addr,
        };
        let _ = TcpStream::connect_timeout(&wake, Duration::from_secs(1));
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
        if let Some(directory) = self.directory.take() {
            let _ = directory.join();
        }
        let peers: Vec<Arc<Peer>> = self.shared.connections().values().cloned().collect();
        for peer in &peers {
            peer.close(CloseReason::ServerShutdown, "the server is shutting down");
        }
        let deadline = Instant::now() + SHUTDOWN_GRACE;
        let mut connections = self.shared.connections();
        while !connections.is_empty() {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                tracing::warn!(
                    remaining = connections.len(),
                    "clients still connected after the grace period"
                );
                break;
            }
            connections = self
                .shared
                .all_gone
                .wait_timeout(connections, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        drop(connections);
        self.shared.accounts.flush()?;
        tracing::info!("stopped; store flushed");
        Ok(())
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        if let Err(e) = self.stop() {
            tracing::error!("shutdown: {e}");
        }
    }
}
