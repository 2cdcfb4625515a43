//! Starting the server and stopping it, by design.
//!
//! [`start`] binds, opens the store and returns a [`ServerHandle`] at once; the server runs on
//! its own threads: one accepting per listener, one broadcasting the room directory, a small
//! pool hashing passwords, a small pool writing to clients (`writers`), and one reader per
//! client that handles its requests. Shutdown tells every client, waits for the writers to
//! send the goodbyes, and flushes the store.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use chat_core::protocol::CloseReason;
use crossbeam_channel::{Sender, bounded};

use crate::accounts::directory::Directory;
use crate::accounts::passwords::PasswordPool;
use crate::accounts::throttle::{FailedLogins, KeyedBuckets};
use crate::accounts::tokens::Sessions;
use crate::chat::hub::{HistoryLimits, Hub};
use crate::config::ServerConfig;
use crate::connection::accept::accept_loop;
use crate::connection::{Handoff, NoHandoff, Protocol, Security};
use crate::delivery::peer::Peer;
use crate::delivery::writers::WriterPool;
use crate::error::{Result, ServerError};
use crate::links::FileLinks;
use crate::protocols::http::Http;
use crate::protocols::irc::IrcSession;
use crate::protocols::native::Session;
use crate::shared::{Open, Shared};
use crate::store::archive::Archive;
use crate::store::{AccountStore, LocalTokens, MailStore, Store, TokenStore};
use crate::threads::families::{self, ConnectionThreads};
use crate::threads::gate::Gate;

/// How often the room directory is re-sent when it changed.
pub const DIRECTORY_INTERVAL: Duration = Duration::from_millis(500);
/// How often the reactions gathered since are told (one frame per changed line).
pub const REACTIONS_INTERVAL: Duration = Duration::from_millis(200);
/// How often stale rate-limit entries are forgotten.
pub const SWEEP_INTERVAL: Duration = Duration::from_secs(60);
/// How long shutdown waits for clients to be told and disconnected.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// A running server. Dropping it shuts the server down.
#[derive(Debug)]
pub struct ServerHandle {
    addr: SocketAddr,
    irc_addr: Option<SocketAddr>,
    irc_tls_addr: Option<SocketAddr>,
    shared: Arc<Shared>,
    /// Each listener's address and accept thread.
    accepts: Vec<(SocketAddr, JoinHandle<()>)>,
    directory: Option<JoinHandle<()>>,
    stop_directory: Sender<()>,
    /// This node's membership of a cluster, if any.
    #[cfg(feature = "cluster")]
    cluster: Option<Arc<crate::cluster::Cluster>>,
}

/// Binds `addr` for `what` (for the error message).
fn bind(addr: &str) -> Result<(TcpListener, SocketAddr)> {
    let listener = TcpListener::bind(addr).map_err(|source| ServerError::Bind {
        addr: addr.to_owned(),
        source,
    })?;
    let local = listener.local_addr()?;
    Ok((listener, local))
}

/// A node's name when none is given: the host's name and the port clients connect to, unique
/// on a network of machines with distinct names.
#[cfg(feature = "cluster")]
fn default_node_name(config: &ServerConfig) -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "node".into());
    let port = config.bind.rsplit(':').next().unwrap_or("0");
    format!("{host}:{port}")
}

/// Accounts, session tokens, kept messages and shared files: in this machine's sled store, or in PostgreSQL
/// with `accounts_url`.
#[allow(clippy::type_complexity, reason = "four handles, named at the call")]
fn open_shared_stores(
    config: &ServerConfig,
    store: &Store,
    archive: &Arc<Archive>,
) -> Result<(
    Arc<dyn AccountStore>,
    Arc<dyn TokenStore>,
    Arc<dyn MailStore>,
    Option<Arc<dyn crate::store::files::SharedContents>>,
)> {
    match &config.accounts_url {
        None => {
            let tokens = LocalTokens::load(store.sessions.clone(), config.clock.now_ms())?;
            let mail: Arc<dyn MailStore> = Arc::clone(archive) as Arc<dyn MailStore>;
            Ok((
                Arc::new(store.accounts.clone()),
                Arc::new(tokens),
                mail,
                None,
            ))
        }
        #[cfg(feature = "cluster")]
        Some(url) => {
            let pg = Arc::new(crate::store::Postgres::connect(url)?);
            tracing::info!(
                at = ?pg,
                "accounts, sessions, kept messages and shared files in PostgreSQL"
            );
            Ok((pg.clone(), pg.clone(), pg.clone(), Some(pg)))
        }
        #[cfg(not(feature = "cluster"))]
        Some(_) => Err(ServerError::Config(
            "accounts in PostgreSQL need a build with the `cluster` feature".into(),
        )),
    }
}

/// Opens the store, binds and starts serving. Returns once the server accepts connections.
pub fn start(config: ServerConfig) -> Result<ServerHandle> {
    config.validate()?;
    if let Some(name) = &config.irc_server_name {
        crate::protocols::irc::render::name_server(name);
    }
    let store = Store::open(&config.accounts_dir(), config.store_cache_bytes)?;
    let files = store.files(&config.data_dir.join("files"))?;
    let default_lines = store.said.room_lines()?;
    let archive = Arc::new(Archive::start(
        store.said.clone(),
        config.default_room_history,
    )?);
    let (accounts, tokens, mail, contents) = open_shared_stores(&config, &store, &archive)?;
    // A forgetting of delivered kept messages that fails is tried again (store::forgetting).
    let mail: Arc<dyn MailStore> = crate::store::Forgetting::new(mail);
    // In a cluster every node serves every file (docs/SCALING.md).
    let files = match contents {
        Some(contents) => files.shared_through(contents),
        None => files,
    };
    #[cfg(feature = "cluster")]
    let cluster = match &config.cluster_url {
        Some(url) => {
            let node = config
                .node_name
                .clone()
                .unwrap_or_else(|| default_node_name(&config));
            let cluster = crate::cluster::Cluster::connect(url, &node)?;
            tracing::info!(%node, "a node of the cluster at {url}");
            Some(cluster)
        }
        None => None,
    };
    let directory = Directory::new(&accounts.all()?);
    let sessions = Sessions::new(tokens, config.session_lifetime);
    let tls = crate::tls::load(&config.tls, &config.data_dir)?;
    match &tls {
        Some(tls) => {
            tracing::info!(fingerprint = %tls.fingerprint, cert = %tls.cert_path.display(), "TLS on")
        }
        None => tracing::warn!(
            "TLS is OFF: passwords and messages cross the network in clear. Use only on a trusted network or for local testing"
        ),
    }
    let web = match &config.web_dir {
        Some(dir) => {
            let web = crate::protocols::http::web::WebBundle::load(dir)
                .map_err(|e| ServerError::Config(format!("web_dir: {e}")))?;
            tracing::info!(dir = %web.dir().display(), files = web.len(), "the web client is served at /");
            Some(web)
        }
        None => None,
    };
    let (listener, addr) = bind(&config.bind)?;
    let irc = config.irc_bind.as_deref().map(bind).transpose()?;
    if config.irc_tls_bind.is_some() && tls.is_none() {
        return Err(ServerError::Config(
            "irc_tls_bind needs TLS: remove no_tls, or use irc_bind".into(),
        ));
    }
    let irc_tls = config.irc_tls_bind.as_deref().map(bind).transpose()?;
    let passwords =
        PasswordPool::start(config.hash_workers, config.hash_queue, config.bcrypt_cost)?;
    let writers = WriterPool::start(config.writer_threads, config.write_timeout)?;
    let shared = Arc::new(Shared {
        hub: Hub::new(
            &config.default_room,
            config.max_rooms,
            config.max_rooms_per_user,
            config.presence_limit,
            HistoryLimits {
                per_room: config.history_per_room,
                default_room: config.default_room_history,
            },
            default_lines,
            config.clock.clone(),
        )
        .with_admins(&config.admins),
        per_ip: Mutex::new(Open::default()),
        max_connections: families::thread_budget(config.max_connections),
        login_ip: FailedLogins::new(config.login_free_failures, config.login_backoff_max),
        login_account: FailedLogins::new(config.login_free_failures, config.login_backoff_max),
        registrations: KeyedBuckets::new(
            config.registrations_per_ip,
            1.0 / config.registration_refill.as_secs_f64().max(0.001),
        ),
        counts: Default::default(),
        links: Arc::new(FileLinks::new(
            &files.link_key()?,
            config.files_url.clone(),
            addr.port(),
            tls.is_some(),
        )),
        files,
        web,
        config,
        store,
        accounts,
        mail,
        directory,
        departures: Default::default(),
        sessions,
        archive,
        passwords,
        tls,
        writers,
        threads: ConnectionThreads::new(),
        first_steps: Arc::new(Gate::new(
            thread::available_parallelism().map_or(2, usize::from),
        )),
        connections: Mutex::new(HashMap::new()),
        all_gone: Condvar::new(),
        shutting_down: AtomicBool::new(false),
    });
    #[cfg(feature = "cluster")]
    if let Some(cluster) = &cluster {
        shared
            .hub
            .join_cluster(Arc::clone(cluster) as Arc<dyn crate::chat::bus::Bus>);
        cluster.run(&shared)?;
    }
    let next_id = Arc::new(AtomicU64::new(1));
    let irc_addr = irc.as_ref().map(|(_, a)| *a);
    let irc_tls_addr = irc_tls.as_ref().map(|(_, a)| *a);
    let mut accepts = vec![listen::<Session, Http>(
        "accept",
        listener,
        addr,
        &shared,
        Security::AsConfigured,
        &next_id,
    )?];
    if let Some((listener, local)) = irc {
        let plain = Security::Plain;
        accepts.push(listen::<IrcSession, NoHandoff>(
            "accept-irc",
            listener,
            local,
            &shared,
            plain,
            &next_id,
        )?);
    }
    if let Some((listener, local)) = irc_tls {
        let tls = Security::Tls;
        accepts.push(listen::<IrcSession, NoHandoff>(
            "accept-irc",
            listener,
            local,
            &shared,
            tls,
            &next_id,
        )?);
    }
    let (stop_directory, stopped) = bounded::<()>(1);
    let directory_shared = Arc::clone(&shared);
    let directory = thread::Builder::new()
        .name("directory".into())
        .spawn(move || {
            let (mut last_sweep, mut last_directory) = (Instant::now(), Instant::now());
            while let Err(crossbeam_channel::RecvTimeoutError::Timeout) =
                stopped.recv_timeout(REACTIONS_INTERVAL)
            {
                tell_reactions(&directory_shared);
                if last_directory.elapsed() >= DIRECTORY_INTERVAL {
                    broadcast_directory(&directory_shared);
                    last_directory = Instant::now();
                }
                if last_sweep.elapsed() >= SWEEP_INTERVAL {
                    directory_shared.sweep();
                    crate::service::files::sweep(&directory_shared);
                    last_sweep = Instant::now();
                }
            }
        })?;
    tracing::info!(
        %addr,
        accounts = shared.directory.len(),
        sessions = shared.sessions.len(),
        "serving"
    );
    Ok(ServerHandle {
        addr,
        irc_addr,
        irc_tls_addr,
        shared,
        accepts,
        directory: Some(directory),
        stop_directory,
        #[cfg(feature = "cluster")]
        cluster,
    })
}

/// Starts the thread accepting `P` on `listener`.
fn listen<P: Protocol, H: Handoff>(
    name: &str,
    listener: TcpListener,
    local: SocketAddr,
    shared: &Arc<Shared>,
    security: Security,
    next_id: &Arc<AtomicU64>,
) -> Result<(SocketAddr, JoinHandle<()>)> {
    let (shared, ids) = (Arc::clone(shared), Arc::clone(next_id));
    let accept = thread::Builder::new()
        .name(name.into())
        .spawn(move || accept_loop::<P, H>(&listener, &shared, security, &ids))?;
    Ok((local, accept))
}

/// Tells the members of rooms whose lines' reactions changed, and rewrites the default room's
/// changed lines on disk.
fn tell_reactions(shared: &Shared) {
    for said in shared.hub.tell_reactions() {
        shared.archive.replace_room_line(said);
    }
}

/// Sends the room list to everyone online if it changed since the last time.
fn broadcast_directory(shared: &Shared) {
    if !shared.hub.take_directory_change() {
        return;
    }
    let Some(frame) = crate::protocols::native::rooms_frame(shared, None, 0) else {
        return;
    };
    // Written for native clients only: IRC has no room list that follows changes.
    let event = crate::delivery::event::Event::written_as(crate::protocols::ways::NATIVE, frame);
    crate::delivery::peer::broadcast(&shared.hub.online_peers(), &event, None);
}

impl ServerHandle {
    /// The address the server listens on (with the real port when bound to port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// This node's view of its cluster (`None` for a single server).
    #[cfg(feature = "cluster")]
    pub fn cluster_status(&self) -> Option<crate::cluster::ClusterStatus> {
        self.cluster.as_ref().map(|c| c.status())
    }

    /// Where IRC clients connect in plain text, when the gateway is on.
    pub fn irc_addr(&self) -> Option<SocketAddr> {
        self.irc_addr
    }

    /// Where IRC clients connect with TLS, when on.
    pub fn irc_tls_addr(&self) -> Option<SocketAddr> {
        self.irc_tls_addr
    }

    /// Users logged in now.
    pub fn online_count(&self) -> usize {
        self.shared.hub.online_count()
    }

    /// The TLS certificate's fingerprint, when TLS is on.
    pub fn tls_fingerprint(&self) -> Option<&str> {
        self.shared.tls.as_ref().map(|t| t.fingerprint.as_str())
    }

    /// What connections did so far (requests behind the first-steps gate, clients settled in).
    pub fn counts(&self) -> crate::shared::ConnectionCounts {
        self.shared.counts.snapshot()
    }

    /// Removes the shared files nothing carries any more, past their grace period (as the
    /// server does every minute). Returns how many went.
    pub fn sweep_files(&self) -> usize {
        crate::service::files::sweep(&self.shared)
    }

    /// How many distinct contents the shared files take on disk.
    pub fn stored_objects(&self) -> usize {
        self.shared.files.objects()
    }

    /// Uploads begun and neither finished nor cancelled.
    pub fn unfinished_uploads(&self) -> usize {
        self.shared.files.uploads().map_or(0, |u| u.len())
    }

    /// Forgets every upload under way, as the sweep does once they lapse (`file_grace`): their
    /// clients, asking where they are, are told there is no such upload. Returns how many.
    pub fn forget_uploads(&self) -> usize {
        let uploads = self.shared.files.uploads().unwrap_or_default();
        uploads
            .iter()
            .filter(|u| {
                let Some(_writing) = self.shared.files.writing(&u.id, Duration::from_secs(30))
                else {
                    return false;
                };
                self.shared.files.drop_upload(&u.id).is_ok()
            })
            .count()
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
        // Wake each accept loop with a connection of our own.
        for (addr, accept) in self.accepts.drain(..) {
            let wake = match addr.ip() {
                IpAddr::V4(ip) if ip.is_unspecified() => {
                    SocketAddr::new(Ipv4Addr::LOCALHOST.into(), addr.port())
                }
                IpAddr::V6(ip) if ip.is_unspecified() => {
                    SocketAddr::new(Ipv6Addr::LOCALHOST.into(), addr.port())
                }
                _ => addr,
            };
            let _ = TcpStream::connect_timeout(&wake, Duration::from_secs(1));
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
        // A reader ends as soon as its socket is shut for reading, which can be before a writer
        // sent the goodbye: wait for the writers too, or the process could exit first.
        while peers.iter().any(|p| !p.outbox.is_done()) && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(2));
        }
        drop(peers);
        // The cluster hears of this node's users leaving, then the node stops talking to it.
        #[cfg(feature = "cluster")]
        if let Some(cluster) = self.cluster.take() {
            cluster.stop();
        }
        // A client thread unregisters just before it ends; wait until each one let go of the
        // shared state, so that the store is closed when the handle is (a restart reopens it).
        while Arc::strong_count(&self.shared) > 1 && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(1));
        }
        self.shared.archive.stop();
        self.shared.store.flush()?;
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
