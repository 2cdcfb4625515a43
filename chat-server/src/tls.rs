//! The server's TLS: a certificate given by the operator, or one made on first start and kept in
//! the data directory so that clients which pinned it keep trusting it.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::error::{Result, ServerError};

/// Where the certificate comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsSetting {
    /// No TLS: passwords and messages cross the network in clear. Local testing only.
    Off,
    /// A self-signed certificate made on first start, in `<data dir>/tls/`.
    SelfSigned,
    /// The operator's certificate chain and private key (PEM files).
    Files {
        /// Certificate chain, leaf first.
        cert: PathBuf,
        /// Private key.
        key: PathBuf,
    },
}

/// A ready TLS configuration.
#[derive(Debug, Clone)]
pub struct ServerTls {
    /// For each accepted connection.
    pub config: Arc<rustls::ServerConfig>,
    /// SHA-256 fingerprint of the leaf certificate, for people to compare with what clients show.
    pub fingerprint: String,
    /// Where the certificate was read from.
    pub cert_path: PathBuf,
}

/// Loads (or, for [`TlsSetting::SelfSigned`], makes once) the certificate.
pub fn load(setting: &TlsSetting, data_dir: &Path) -> Result<Option<ServerTls>> {
    let (cert, key) = match setting {
        TlsSetting::Off => return Ok(None),
        TlsSetting::Files { cert, key } => (cert.clone(), key.clone()),
        TlsSetting::SelfSigned => {
            let dir = data_dir.join("tls");
            let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
            if !cert.exists() && !key.exists() {
                make_self_signed(&dir, &cert, &key)?;
            }
            (cert, key)
        }
    };
    let tls_err = |what: &str, path: &Path, e: &dyn std::fmt::Display| {
        ServerError::Tls(format!("{what} {}: {e}", path.display()))
    };
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&cert)
        .map_err(|e| tls_err("cannot read the certificate", &cert, &e))?
        .collect::<Result<_, _>>()
        .map_err(|e| tls_err("cannot parse the certificate", &cert, &e))?;
    let Some(leaf) = chain.first() else {
        return Err(ServerError::Tls(format!(
            "no certificate in {}",
            cert.display()
        )));
    };
    let fingerprint = chat_core::tls::fingerprint(leaf);
    let private = PrivateKeyDer::from_pem_file(&key)
        .map_err(|e| tls_err("cannot read the private key", &key, &e))?;
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| ServerError::Tls(e.to_string()))?
    .with_no_client_auth()
    .with_single_cert(chain, private)
    .map_err(|e| ServerError::Tls(format!("certificate and key do not fit together: {e}")))?;
    Ok(Some(ServerTls {
        config: Arc::new(config),
        fingerprint,
        cert_path: cert,
    }))
}

fn make_self_signed(dir: &Path, cert: &Path, key: &Path) -> Result<()> {
    let names = vec!["localhost".to_owned(), "chat-server".to_owned()];
    let made =
        rcgen::generate_simple_self_signed(names).map_err(|e| ServerError::Tls(e.to_string()))?;
    fs::create_dir_all(dir)?;
    write_private(key, made.signing_key.serialize_pem().as_bytes())?;
    fs::write(cert, made.cert.pem())?;
    tracing::info!(cert = %cert.display(), "made a self-signed TLS certificate");
    Ok(())
}

/// Writes a file only its owner can read.
fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    #[cfg(unix)]
    {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        Ok(())
    }
    #[cfg(not(unix))]
    {
        fs::write(path, bytes)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_self_signed_certificate_is_made_once_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let first = load(&TlsSetting::SelfSigned, dir.path()).unwrap().unwrap();
        let again = load(&TlsSetting::SelfSigned, dir.path()).unwrap().unwrap();
        assert_eq!(first.fingerprint, again.fingerprint);
        assert!(first.fingerprint.starts_with("SHA256:"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(dir.path().join("tls/key.pem"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(load(&TlsSetting::Off, dir.path()).unwrap().is_none());
    }

    #[test]
    fn missing_files_are_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let setting = TlsSetting::Files {
            cert: dir.path().join("nope.pem"),
            key: dir.path().join("nokey.pem"),
        };
        let err = load(&setting, dir.path()).unwrap_err().to_string();
        assert!(err.contains("nope.pem"), "{err}");
    }
}
