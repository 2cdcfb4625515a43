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

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};

/// The SHA-256 fingerprint of a certificate, as `SHA256:AB:CD:…` (how browsers show it).
pub fn fingerprint(der: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, der);
    let hex: Vec<String> = digest.as_ref().iter().map(|b| format!("{b:02X}")).collect();
    format!("SHA256:{}", hex.join(":"))
}

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

/// The certificate verifier: public authorities first, then the pins.
#[derive(Debug)]
struct PinningVerifier {
    authorities: Arc<WebPkiServerVerifier>,
    provider: Arc<CryptoProvider>,
    pinned: Option<String>,
    trust_new: bool,
    verdict: VerdictSlot,
}

impl ServerCertVerifier for PinningVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let presented = fingerprint(end_entity);
        let by_authority = self.authorities.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        );
        let verdict = match (&by_authority, &self.pinned) {
            (Ok(_), _) => Verdict::Trusted {
                trust: Trust::Authority,
                fingerprint: presented,
            },
            (Err(_), Some(pin)) if *pin == presented => Verdict::Trusted {
                trust: Trust::Pinned,
                fingerprint: presented,
            },
            (Err(_), Some(_)) if self.trust_new => Verdict::Trusted {
                trust: Trust::Replaced,
                fingerprint: presented,
            },
            (Err(_), Some(pin)) => Verdict::Changed {
                expected: pin.clone(),
                presented,
            },
            (Err(_), None) => Verdict::Trusted {
                trust: Trust::FirstUse,
                fingerprint: presented,
            },
        };
        let refused = matches!(verdict, Verdict::Changed { .. });
        *lock(&self.verdict) = Some(verdict);
        if refused {
            return Err(rustls::Error::General(
                "the server's certificate changed".into(),
            ));
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// A rustls client configuration for connecting to `host_port`, and the slot where its verifier
/// leaves its verdict.
pub fn client_config(
    tls: &ClientTls,
    host_port: &str,
) -> io::Result<(Arc<rustls::ClientConfig>, VerdictSlot)> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let authorities =
        WebPkiServerVerifier::builder_with_provider(Arc::new(roots), Arc::clone(&provider))
            .build()
            .map_err(io::Error::other)?;
    let verdict = Arc::new(Mutex::new(None));
    let verifier = PinningVerifier {
        authorities,
        provider: Arc::clone(&provider),
        pinned: tls.known_hosts.get(host_port)?,
        trust_new: tls.trust_new_certificate,
        verdict: Arc::clone(&verdict),
    };
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(io::Error::other)?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    Ok((Arc::new(config), verdict))
}

/// The TLS server name for a `host:port` (an IP address or a DNS name).
pub fn server_name(host_port: &str) -> io::Result<ServerName<'static>> {
    let host = match host_port.rsplit_once(':') {
        Some((host, _)) => host.trim_start_matches('[').trim_end_matches(']'),
        None => host_port,
    };
    ServerName::try_from(host.to_owned())
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))
}

#[cfg(test)]
mod tests {
    use super::*;

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
