//! The certificate check itself (rustls): public authorities first, then the pins. Not in a
//! browser, which checks the page's certificate itself.

use std::io;
use std::sync::{Arc, Mutex};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};

use super::{ClientTls, Trust, Verdict, VerdictSlot, lock};

/// The SHA-256 fingerprint of a certificate, as `SHA256:AB:CD:…` (how browsers show it).
pub fn fingerprint(der: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, der);
    let hex: Vec<String> = digest.as_ref().iter().map(|b| format!("{b:02X}")).collect();
    format!("SHA256:{}", hex.join(":"))
}

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
