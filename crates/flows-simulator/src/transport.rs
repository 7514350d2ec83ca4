//! How requests reach the endpoint: over HTTP(S) as WhatsApp sends them, or in process to a
//! [`flows_router::Endpoint`] (no socket, for the business's own `cargo test`).

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Request, Uri};
use http_body_util::{BodyExt as _, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use whatsapp_flows_crypto::PublicKey;

/// What the endpoint answered: the HTTP status and the whole body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawReply {
    /// HTTP status code.
    pub status: u16,
    /// The body, read to the end.
    pub body: Bytes,
}

/// Why no answer came (the endpoint's own error statuses are [`RawReply`]s, not this).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// Connecting, TLS or the exchange failed.
    #[error("the request failed: {0}")]
    Failed(String),
    /// The key could not be fetched again after a 421.
    #[error("cannot fetch the endpoint's public key again: {0}")]
    Key(String),
}

/// A way to the endpoint. The simulator encrypts and signs; the transport carries the bytes.
///
/// Implement it to put something between the simulator and the endpoint (a proxy, a fault
/// injector): [`Transport::refresh_key`] is the hook the client's 421 handling calls.
pub trait Transport: Send + Sync {
    /// The business public key requests are encrypted to.
    fn public_key(&self) -> &PublicKey;

    /// The Meta app secret requests are signed with (`X-Hub-Signature-256`), if any.
    fn app_secret(&self) -> Option<&[u8]>;

    /// POSTs one request body (the JSON envelope) with these headers.
    fn post(
        &self,
        headers: HeaderMap,
        body: Bytes,
    ) -> impl Future<Output = Result<RawReply, TransportError>> + Send;

    /// After an HTTP 421 the client fetches the business key again before its one retry. The
    /// default keeps the key it has.
    fn refresh_key(&mut self) -> impl Future<Output = Result<(), TransportError>> + Send {
        async { Ok(()) }
    }
}

/// The endpoint in this process: [`flows_router::Endpoint::handle`] is called directly.
///
/// ```no_run
/// # fn demo(endpoint: flows_router::Endpoint, key: whatsapp_flows_crypto::PrivateKey) {
/// use flows_simulator::InProcess;
/// let transport = InProcess::new(endpoint, key.public_key().clone());
/// # }
/// ```
#[derive(Clone)]
pub struct InProcess {
    endpoint: flows_router::Endpoint,
    public_key: PublicKey,
    app_secret: Option<Vec<u8>>,
}

impl InProcess {
    /// The endpoint and the public key of its private key.
    #[must_use]
    pub fn new(endpoint: flows_router::Endpoint, public_key: PublicKey) -> Self {
        Self {
            endpoint,
            public_key,
            app_secret: None,
        }
    }

    /// Signs every request with this app secret (for endpoints that verify signatures).
    #[must_use]
    pub fn with_app_secret(mut self, secret: impl Into<Vec<u8>>) -> Self {
        self.app_secret = Some(secret.into());
        self
    }

    /// Encrypts to this key from now on (a test can hand the simulator the wrong key first).
    pub fn set_public_key(&mut self, key: PublicKey) {
        self.public_key = key;
    }
}

impl Transport for InProcess {
    fn public_key(&self) -> &PublicKey {
        &self.public_key
    }

    fn app_secret(&self) -> Option<&[u8]> {
        self.app_secret.as_deref()
    }

    async fn post(&self, headers: HeaderMap, body: Bytes) -> Result<RawReply, TransportError> {
        let reply = self.endpoint.handle(&headers, body).await;
        // `u16::from` accepts both a plain code and an `http::StatusCode`.
        #[allow(clippy::useless_conversion)]
        let status = u16::from(reply.status);
        Ok(RawReply {
            status,
            body: reply.body,
        })
    }
}

type HttpsClient = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// HTTP(S) to the endpoint's URL, as WhatsApp (through Meta's servers) sends it.
#[derive(Clone)]
pub struct Http {
    url: Uri,
    public_key: PublicKey,
    key_file: Option<PathBuf>,
    app_secret: Option<Vec<u8>>,
    client: HttpsClient,
}

impl std::fmt::Debug for Http {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Http")
            .field("url", &self.url)
            .field("public_key", &self.public_key.fingerprint().to_string())
            .field("signed", &self.app_secret.is_some())
            .finish()
    }
}

impl Http {
    /// A transport to `url` (http:// or https://), encrypting to `public_key`, signing with
    /// `app_secret` when given.
    ///
    /// # Errors
    /// [`TransportError::Failed`] if the URL is not http(s) or TLS cannot be set up.
    pub fn new(
        url: &str,
        public_key: PublicKey,
        app_secret: Option<Vec<u8>>,
    ) -> Result<Self, TransportError> {
        Self::pooled(url, public_key, app_secret, 1)
    }

    /// As [`Http::new`], keeping up to `idle_connections` keep-alive connections open between
    /// requests. Clones share the pool, so many simulated phones (one clone each) reuse a few
    /// connections and one TLS set-up instead of connecting for every walk.
    ///
    /// # Errors
    /// As [`Http::new`].
    pub fn pooled(
        url: &str,
        public_key: PublicKey,
        app_secret: Option<Vec<u8>>,
        idle_connections: usize,
    ) -> Result<Self, TransportError> {
        let url: Uri = url
            .parse()
            .map_err(|e| TransportError::Failed(format!("`{url}` is not a URL: {e}")))?;
        if !matches!(url.scheme_str(), Some("http" | "https")) || url.host().is_none() {
            return Err(TransportError::Failed(format!(
                "`{url}` is not an http:// or https:// URL"
            )));
        }
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
            .map_err(|e| TransportError::Failed(format!("cannot set up TLS: {e}")))?
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let client = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(idle_connections.max(1))
            .build(connector);
        Ok(Self {
            url,
            public_key,
            key_file: None,
            app_secret,
            client,
        })
    }

    /// After a 421, read the public key again from this file, PEM or DER (the way the client
    /// re-fetches the business key: a rotated key on disk is picked up).
    #[must_use]
    pub fn with_key_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.key_file = Some(path.into());
        self
    }
}

impl Transport for Http {
    fn public_key(&self) -> &PublicKey {
        &self.public_key
    }

    fn app_secret(&self) -> Option<&[u8]> {
        self.app_secret.as_deref()
    }

    async fn post(&self, headers: HeaderMap, body: Bytes) -> Result<RawReply, TransportError> {
        let mut request = Request::builder()
            .method(Method::POST)
            .uri(self.url.clone())
            .body(Full::new(body))
            .map_err(|e| TransportError::Failed(e.to_string()))?;
        *request.headers_mut() = headers;
        request.headers_mut().insert(
            http::header::USER_AGENT,
            HeaderValue::from_static(concat!("flows-simulator/", env!("CARGO_PKG_VERSION"))),
        );
        let response = self
            .client
            .request(request)
            .await
            .map_err(|e| TransportError::Failed(chain(&e)))?;
        let status = response.status().as_u16();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| TransportError::Failed(chain(&e)))?
            .to_bytes();
        Ok(RawReply { status, body })
    }

    async fn refresh_key(&mut self) -> Result<(), TransportError> {
        let Some(path) = &self.key_file else {
            return Ok(());
        };
        let data = std::fs::read(path)
            .map_err(|e| TransportError::Key(format!("{}: {e}", path.display())))?;
        self.public_key = PublicKey::from_bytes(&data)
            .map_err(|e| TransportError::Key(format!("{}: {e}", path.display())))?;
        Ok(())
    }
}

/// An error and its sources on one line (hyper puts the useful part at the bottom).
fn chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = cause.source();
    }
    out
}
