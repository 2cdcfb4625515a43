//! "Host here" in a browser: a page cannot open a listening socket or keep a store, so hosting
//! is never available; the type is the desktop's, its running states uninhabited, so the
//! windows compile unchanged and the connect window leaves the section out.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;

use chat_core::client::Waker;

/// Where the hosted server stands: never anywhere.
#[derive(Debug, Default)]
pub enum Host {
    /// Not hosting.
    #[default]
    Idle,
    /// Never: a page starts no server.
    Starting(Infallible),
    /// Never: a page runs no server.
    Running(Infallible),
    /// A start was asked for, with the reason it cannot be.
    Failed(String),
    /// Never in a page.
    NoDataFolder,
}

impl Host {
    /// A page cannot host: fails at once.
    pub fn start(_bind: String, _data_dir: PathBuf, _waker: Option<Waker>) -> Host {
        Host::Failed("a web page cannot host a server".into())
    }

    /// Nothing ever starts.
    pub fn poll(&mut self) -> Option<SocketAddr> {
        None
    }

    /// Nothing runs.
    pub fn stop(&mut self) {}

    /// Nothing runs.
    pub fn address_for_others(&self) -> Option<SocketAddr> {
        None
    }

    /// Nothing runs.
    pub fn local_address(&self) -> Option<SocketAddr> {
        None
    }
}

/// No folder for a hosted server's accounts in a page.
pub fn default_data_dir() -> Option<PathBuf> {
    None
}
