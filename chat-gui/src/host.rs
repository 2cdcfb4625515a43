//! "Host here": a chat server running inside the client, so one person can host a session for
//! others without a terminal. The server is `chat-server` used as a library; starting it (opening
//! the account store, binding the port) happens on a helper thread so the window never stalls.
//!
//! Architecture Invariant: this is the only module of the client that knows the server crate.

use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::path::PathBuf;
use std::thread;

use chat_core::client::Waker;
use chat_server::{ServerConfig, ServerHandle};
use crossbeam_channel::{Receiver, bounded};

/// Where the hosted server stands.
#[derive(Debug, Default)]
pub enum Host {
    /// Not hosting.
    #[default]
    Idle,
    /// Opening the store and binding the port.
    Starting(Receiver<Result<ServerHandle, String>>),
    /// Serving.
    Running(ServerHandle),
    /// The last start failed, with the reason.
    Failed(String),
    /// This system has no folder for the program's data, where the accounts would be kept.
    NoDataFolder,
}

impl Host {
    /// Starts a server on `port` of every interface, keeping accounts in `data_dir`. `waker` is
    /// called once the outcome is known.
    pub fn start(bind: String, data_dir: PathBuf, waker: Option<Waker>) -> Host {
        let (tx, rx) = bounded(1);
        let spawned = thread::Builder::new()
            .name("host-start".into())
            .spawn(move || {
                let mut config = ServerConfig::new(data_dir);
                config.bind = bind;
                let result = chat_server::start(config).map_err(|e| e.to_string());
                let _ = tx.send(result);
                if let Some(wake) = waker {
                    wake();
                }
            });
        match spawned {
            Ok(_) => Host::Starting(rx),
            Err(e) => Host::Failed(e.to_string()),
        }
    }

    /// Picks up the outcome of a start, if it arrived. Returns the server's address when it has
    /// just started.
    pub fn poll(&mut self) -> Option<SocketAddr> {
        let Host::Starting(rx) = self else {
            return None;
        };
        let result = rx.try_recv().ok()?;
        match result {
            Ok(handle) => {
                let addr = handle.local_addr();
                tracing::info!(%addr, "hosting a server");
                *self = Host::Running(handle);
                Some(addr)
            }
            Err(e) => {
                tracing::warn!("the hosted server did not start: {e}");
                *self = Host::Failed(e);
                None
            }
        }
    }

    /// Stops the server, if one runs. Clients connected to it are told it is shutting down; the
    /// server waits for them to go and flushes its store on a helper thread, so the window never
    /// waits for that.
    pub fn stop(&mut self) {
        if let Host::Running(handle) = std::mem::take(self) {
            let spawned = thread::Builder::new()
                .name("host-stop".into())
                .spawn(move || {
                    if let Err(e) = handle.shutdown() {
                        tracing::error!("stopping the hosted server: {e}");
                    }
                });
            if let Err(e) = spawned {
                tracing::warn!("stopping the hosted server here: {e}");
            }
        }
    }

    /// The address others should type to reach the hosted server: this machine's address on the
    /// network it would use to go out, with the server's port.
    pub fn address_for_others(&self) -> Option<SocketAddr> {
        let Host::Running(handle) = self else {
            return None;
        };
        let port = handle.local_addr().port();
        Some(SocketAddr::new(
            outward_ip().unwrap_or(IpAddr::from([127, 0, 0, 1])),
            port,
        ))
    }

    /// The address this client should connect to, on the same machine.
    pub fn local_address(&self) -> Option<SocketAddr> {
        let Host::Running(handle) = self else {
            return None;
        };
        Some(SocketAddr::new(
            IpAddr::from([127, 0, 0, 1]),
            handle.local_addr().port(),
        ))
    }
}

/// This machine's address on its default route. Connecting a UDP socket sends nothing; it only
/// asks the system which interface it would use.
fn outward_ip() -> Option<IpAddr> {
    let socket = UdpSocket::bind("0.0.0.0:0").ok()?;
    socket.connect("192.0.2.1:9").ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_unspecified()).then_some(ip)
}

/// Where a hosted server keeps its accounts: the client's data folder.
pub fn default_data_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("org", "chat", crate::limits::APP_ID)
        .map(|d| d.data_dir().join("hosted-server"))
}
