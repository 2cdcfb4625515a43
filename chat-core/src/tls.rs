//! TLS for clients: which certificates to trust, and remembering the ones trusted on first use.
//!
//! A certificate signed by a public authority (Mozilla's list) is accepted as browsers accept it.
//! Any other certificate — the self-signed one a server makes on first start — is trusted the
//! first time it is seen for a `host:port` and remembered ("pinned", as ssh's `known_hosts`
//! does); later it must be the same, and a different one is refused with a clear warning, since
//! that is what an attacker in the middle would present.

use std::collections::HashMap;
use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

#[cfg(not(target_arch = "wasm32"))]
mod verify;
#[cfg(not(target_arch = "wasm32"))]
pub use self::verify::{client_config, fingerprint, server_name};

/// Where pinned certificates are remembered.
#[derive(Clone)]
pub enum KnownHosts {
    /// A text file, one `host:port fingerprint` per line (the desktop client's).
    File(PathBuf),
    /// Memory only, shared by the clones of this value (tests, throwaway clients).
    Memory(Arc<Mutex<HashMap<String, String>>>),
}

impl fmt::Debug for KnownHosts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KnownHosts::File(p) => f.debug_tuple("File").field(p).finish(),
            KnownHosts::Memory(_) => f.write_str("Memory"),
        }
    }
}

impl Default for KnownHosts {
    fn default() -> Self {
        KnownHosts::Memory(Arc::default())
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl KnownHosts {
    /// The fingerprint pinned for `host`, if any.
    pub fn get(&self, host: &str) -> io::Result<Option<String>> {
        match self {
            KnownHosts::Memory(m) => Ok(lock(m).get(host).cloned()),
            KnownHosts::File(path) => Ok(read_file(path)?.remove(host)),
        }
    }

    /// Pins `fingerprint` for `host`, replacing any earlier pin.
    pub fn set(&self, host: &str, fingerprint: &str) -> io::Result<()> {
        match self {
            KnownHosts::Memory(m) => {
                lock(m).insert(host.to_owned(), fingerprint.to_owned());
                Ok(())
            }
            KnownHosts::File(path) => {
                let mut all = read_file(path)?;
                all.insert(host.to_owned(), fingerprint.to_owned());
                let mut lines: Vec<String> =
                    all.into_iter().map(|(h, f)| format!("{h} {f}")).collect();
                lines.sort();
                if let Some(dir) = path.parent() {
                    fs::create_dir_all(dir)?;
                }
                let tmp = path.with_extension("tmp");
                fs::write(&tmp, lines.join("\n") + "\n")?;
                fs::rename(&tmp, path)
            }
        }
    }
}

fn read_file(path: &Path) -> io::Result<HashMap<String, String>> {
    match fs::read_to_string(path) {
        Ok(text) => Ok(text
            .lines()
            .filter_map(|l| {
                let mut parts = l.split_whitespace();
                Some((parts.next()?.to_owned(), parts.next()?.to_owned()))
            })
            .collect()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(HashMap::new()),
        Err(e) => Err(e),
    }
}

/// How a client treats the server's certificate.
#[derive(Debug, Clone, Default)]
pub struct ClientTls {
    /// Where pins live.
    pub known_hosts: KnownHosts,
    /// Accept and pin a certificate that differs from the pinned one (after the user was shown
    /// the warning and agreed).
    pub trust_new_certificate: bool,
}

/// How the server's certificate was trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trust {
    /// Signed by a public certificate authority for this name.
    Authority,
    /// The pinned certificate, seen before.
    Pinned,
    /// First seen now, and pinned from now on.
    FirstUse,
    /// Differed from the pin and was accepted on request.
    Replaced,
    /// Checked by the browser that opened the page (the web client): the page cannot see the
    /// certificate, and a browser trusts what it would trust for any site.
    Browser,
}

/// What the verifier saw, read by the connection after the handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Trusted.
    Trusted {
        /// How.
        trust: Trust,
        /// The server certificate's fingerprint.
        fingerprint: String,
    },
    /// Refused: the certificate is not the pinned one.
    Changed {
        /// The pinned fingerprint.
        expected: String,
        /// The one presented.
        presented: String,
    },
}

/// Where the verifier leaves its verdict for the connection to read after the handshake.
pub type VerdictSlot = Arc<Mutex<Option<Verdict>>>;

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::pki_types::ServerName;

    #[test]
    fn fingerprints_look_like_browsers_show_them() {
        let f = fingerprint(b"abc");
        assert!(f.starts_with("SHA256:BA:78:16:BF:"), "{f}");
        assert_eq!(f.len(), "SHA256:".len() + 32 * 3 - 1);
    }

    #[test]
    fn a_known_hosts_file_round_trips_and_replaces() {
        let dir = std::env::temp_dir().join(format!("known-hosts-test-{}", std::process::id()));
        let file = KnownHosts::File(dir.join("known_hosts"));
        assert_eq!(file.get("a:1").unwrap(), None);
        file.set("a:1", "SHA256:01").unwrap();
        file.set("b:2", "SHA256:02").unwrap();
        file.set("a:1", "SHA256:03").unwrap();
        assert_eq!(file.get("a:1").unwrap().as_deref(), Some("SHA256:03"));
        assert_eq!(file.get("b:2").unwrap().as_deref(), Some("SHA256:02"));
        let _ = fs::remove_dir_all(dir);
    }

    #[test]
    fn server_names_from_addresses() {
        assert!(matches!(
            server_name("127.0.0.1:7878").unwrap(),
            ServerName::IpAddress(_)
        ));
        assert!(matches!(
            server_name("[::1]:7878").unwrap(),
            ServerName::IpAddress(_)
        ));
        assert!(matches!(
            server_name("chat.example.org:7878").unwrap(),
            ServerName::DnsName(_)
        ));
    }
}
