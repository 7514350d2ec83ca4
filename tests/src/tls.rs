//! TLS for the black-box runs: a certificate made in the test (rcgen), and an HTTPS client (the
//! CLI's hyper-util + hyper-rustls, replies read as [`crate::HttpTarget`] reads them) that trusts
//! only it, speaking HTTP/1.1 or HTTP/2 by ALPN.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject as _;

use crate::http::{error_chain, read_reply};
use crate::{HttpReply, Target};

/// How long one HTTPS request may take.
const TIMEOUT: Duration = Duration::from_secs(30);

/// A self-signed certificate for `localhost` and its key, written as PEM files in a fresh folder.
#[derive(Debug)]
pub struct TestCert {
    /// The certificate (PEM text), what clients trust.
    pub pem: String,
    /// The certificate file.
    pub cert_path: PathBuf,
    /// The key file.
    pub key_path: PathBuf,
}

impl TestCert {
    /// Makes a new certificate and key in a new folder under the system's temporary directory.
    ///
    /// # Panics
    /// If generating or writing fails.
    #[must_use]
    pub fn new() -> Self {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "flows-tests-tls-{}-{}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let mut cert = Self {
            pem: String::new(),
            cert_path: dir.join("cert.pem"),
            key_path: dir.join("key.pem"),
        };
        cert.renew();
        cert
    }

    /// Writes a new certificate and key over the files (as certbot renews), keeping the paths.
    ///
    /// # Panics
    /// If generating or writing fails.
    pub fn renew(&mut self) {
        let made = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        self.pem = made.cert.pem();
        write_replacing(&self.key_path, &made.signing_key.serialize_pem());
        write_replacing(&self.cert_path, &self.pem);
    }

    /// The `FLOWS_TLS_*` variables naming the files.
    #[must_use]
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("FLOWS_TLS_CERT", self.cert_path.display().to_string()),
            ("FLOWS_TLS_KEY", self.key_path.display().to_string()),
        ]
    }
}

impl Default for TestCert {
    fn default() -> Self {
        Self::new()
    }
}

/// Write then rename: a reader sees the old file or the new one, never half of one.
fn write_replacing(path: &Path, text: &str) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

/// The HTTP version an [`HttpsTarget`] offers by ALPN (and the only one it accepts).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    /// `http/1.1`.
    Http1,
    /// `h2`.
    Http2,
}

/// A server reached over TLS, trusting only one certificate. On HTTP/2 it keeps its connection open
/// between requests, as WhatsApp's client does.
#[derive(Clone, Debug)]
pub struct HttpsTarget {
    port: u16,
    version: Version,
    client: Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>,
}

impl HttpsTarget {
    /// A client for `https://localhost:<addr's port>` trusting only `cert_pem`.
    ///
    /// # Panics
    /// If the certificate does not parse.
    #[must_use]
    pub fn new(addr: SocketAddr, cert_pem: &str, version: Version) -> Self {
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(CertificateDer::from_pem_slice(cert_pem.as_bytes()).unwrap())
            .unwrap();
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
        let builder = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_only();
        let connector = match version {
            Version::Http1 => builder.enable_http1().build(),
            Version::Http2 => builder.enable_http2().build(),
        };
        // HTTP/1.1: a connection per request, as the plain-HTTP target does; a pooled connection the
        // server closes after a 413 (its body unread) would race the next request. HTTP/2 keeps one
        // connection for every request, which the certificate-reload check relies on.
        let idle = if version == Version::Http1 {
            0
        } else {
            usize::MAX
        };
        let client = Client::builder(TokioExecutor::new())
            .http2_only(version == Version::Http2)
            .pool_max_idle_per_host(idle)
            .build(connector);
        Self {
            port: addr.port(),
            version,
            client,
        }
    }

    /// One request; an error (TLS refused, connection closed) as text.
    ///
    /// # Errors
    /// What went wrong, including a timeout.
    pub async fn request(
        &self,
        method: http::Method,
        path: &str,
        headers: &[(&str, String)],
        body: Vec<u8>,
    ) -> Result<HttpReply, String> {
        let mut request = http::Request::builder()
            .method(method)
            .uri(format!("https://localhost:{}{path}", self.port));
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let request = request
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| e.to_string())?;
        let exchange = async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|e| error_chain(&e))?;
            let expected = match self.version {
                Version::Http1 => http::Version::HTTP_11,
                Version::Http2 => http::Version::HTTP_2,
            };
            if response.version() != expected {
                return Err(format!("answered over {:?}", response.version()));
            }
            read_reply(response).await
        };
        tokio::time::timeout(TIMEOUT, exchange)
            .await
            .map_err(|_| "HTTPS exchange timed out".to_owned())?
    }
}

impl Target for HttpsTarget {
    async fn post(&self, path: &str, headers: &[(&str, String)], body: Vec<u8>) -> HttpReply {
        self.request(http::Method::POST, path, headers, body)
            .await
            .unwrap_or_else(|e| panic!("POST {path} over {:?}: {e}", self.version))
    }

    async fn get(&self, path: &str) -> HttpReply {
        self.request(http::Method::GET, path, &[], Vec::new())
            .await
            .unwrap_or_else(|e| panic!("GET {path} over {:?}: {e}", self.version))
    }
}
