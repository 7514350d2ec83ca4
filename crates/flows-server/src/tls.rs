//! TLS with rustls: the certificate and key from PEM files, HTTP/2 and HTTP/1.1 by ALPN, and the
//! certificate swapped on SIGHUP for new handshakes while open connections keep theirs.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// Why a certificate or key cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// A PEM file could not be read or holds nothing usable.
    #[error("{what} {path}: {message}")]
    File {
        /// "certificate" or "key".
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// rustls refused the key or the configuration.
    #[error("{0}")]
    Rustls(#[from] rustls::Error),
}

/// The certificate handed to new handshakes; [`CertResolver::reload`] replaces it.
pub struct CertResolver {
    cert: PathBuf,
    key: PathBuf,
    current: RwLock<Arc<CertifiedKey>>,
}

impl fmt::Debug for CertResolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertResolver")
            .field("cert", &self.cert)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl CertResolver {
    /// Loads the certificate chain and key.
    ///
    /// # Errors
    /// [`TlsError`] naming the file and the problem.
    pub fn load(cert: &Path, key: &Path) -> Result<Self, TlsError> {
        let certified = load_certified(cert, key)?;
        Ok(Self {
            cert: cert.to_owned(),
            key: key.to_owned(),
            current: RwLock::new(Arc::new(certified)),
        })
    }

    /// Re-reads the files; on success new handshakes get the new certificate, on failure the old
    /// one stays (a half-written renewal must not take the server down).
    ///
    /// # Errors
    /// As [`CertResolver::load`].
    pub fn reload(&self) -> Result<(), TlsError> {
        let certified = Arc::new(load_certified(&self.cert, &self.key)?);
        // A poisoned lock only means a panic elsewhere while swapping an Arc: the value is whole.
        *self
            .current
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = certified;
        Ok(())
    }

    fn current(&self) -> Arc<CertifiedKey> {
        Arc::clone(
            &self
                .current
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }
}

impl ResolvesServerCert for CertResolver {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current())
    }
}

fn load_certified(cert: &Path, key: &Path) -> Result<CertifiedKey, TlsError> {
    let file_error = |what, path: &Path, message: String| TlsError::File {
        what,
        path: path.to_owned(),
        message,
    };
    let chain = CertificateDer::pem_file_iter(cert)
        .map_err(|e| file_error("certificate", cert, e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| file_error("certificate", cert, e.to_string()))?;
    if chain.is_empty() {
        return Err(file_error(
            "certificate",
            cert,
            "no CERTIFICATE in the file".to_owned(),
        ));
    }
    let der =
        PrivateKeyDer::from_pem_file(key).map_err(|e| file_error("key", key, e.to_string()))?;
    let provider = rustls::crypto::aws_lc_rs::default_provider();
    let signing = provider
        .key_provider
        .load_private_key(der)
        .map_err(|e| file_error("key", key, e.to_string()))?;
    let certified = CertifiedKey::new(chain, signing);
    certified
        .keys_match()
        .map_err(|e| file_error("key", key, format!("does not match the certificate: {e}")))?;
    Ok(certified)
}

/// A rustls server configuration using `resolver`, offering `h2` then `http/1.1` by ALPN.
///
/// # Errors
/// If rustls refuses the protocol versions (it does not for its defaults).
pub fn server_config(resolver: Arc<CertResolver>) -> Result<rustls::ServerConfig, TlsError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_cert_resolver(resolver);
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// Re-reads the certificate on every SIGHUP until the process ends (Unix; elsewhere never).
pub fn reload_on_sighup(resolver: Arc<CertResolver>) {
    #[cfg(unix)]
    tokio::spawn(async move {
        let Ok(mut hangup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        else {
            tracing::warn!("cannot listen for SIGHUP: the TLS certificate will not be reloaded");
            return;
        };
        while hangup.recv().await.is_some() {
            match resolver.reload() {
                Ok(()) => {
                    tracing::info!(cert = %resolver.cert.display(), "SIGHUP: TLS certificate reloaded")
                }
                Err(error) => {
                    tracing::error!(%error, "SIGHUP: TLS certificate NOT reloaded; keeping the old one")
                }
            }
        }
    });
    #[cfg(not(unix))]
    let _ = resolver;
}
