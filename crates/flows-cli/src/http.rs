//! A small HTTP/1.1 client on hyper: http and https (rustls on aws-lc-rs, webpki roots), keep-alive,
//! timeouts with clear messages.

use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use hyper::header::{HeaderName, HeaderValue};
use hyper::{Method, Request, StatusCode, Uri};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client as LegacyClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::error::{Failure, chain};

/// The connector: plain TCP for `http://`, rustls for `https://`.
pub(crate) type Connector = HttpsConnector<HttpConnector>;

/// A pooled keep-alive client.
pub(crate) type Client = LegacyClient<Connector, Full<Bytes>>;

/// The `User-Agent` every request carries.
pub(crate) const USER_AGENT: &str = concat!("flows-cli/", env!("CARGO_PKG_VERSION"));

/// Builds the connector once (loading the roots and the TLS configuration is not free).
pub(crate) fn connector(connect_timeout: Duration) -> Result<Connector, Failure> {
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_nodelay(true);
    http.set_connect_timeout(Some(connect_timeout));
    let builder = hyper_rustls::HttpsConnectorBuilder::new()
        .with_provider_and_webpki_roots(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
        .map_err(|e| Failure::local(format!("cannot set up TLS: {e}")))?;
    Ok(builder.https_or_http().enable_http1().wrap_connector(http))
}

/// A client that keeps at most `idle` connections per host open between requests.
pub(crate) fn client(connector: Connector, idle: usize) -> Client {
    LegacyClient::builder(TokioExecutor::new())
        .pool_max_idle_per_host(idle)
        .build(connector)
}

/// Parses and checks an `http://` or `https://` URL.
pub(crate) fn parse_url(url: &str) -> Result<Uri, Failure> {
    let uri: Uri = url
        .parse()
        .map_err(|e| Failure::local(format!("`{url}` is not a URL: {e}")))?;
    match uri.scheme_str() {
        Some("http" | "https") if uri.host().is_some() => Ok(uri),
        _ => Err(Failure::local(format!(
            "`{url}` is not an http:// or https:// URL"
        ))),
    }
}

/// An answer: status and the whole body.
#[derive(Debug)]
pub(crate) struct Reply {
    /// The HTTP status.
    pub(crate) status: StatusCode,
    /// The body, read to the end.
    pub(crate) body: Bytes,
}

/// Why no answer came.
#[derive(Debug)]
pub(crate) enum NetError {
    /// Nothing within the timeout.
    Timeout,
    /// Connecting, TLS, or the exchange failed.
    Failed(String),
}

impl NetError {
    /// A one-line message naming the URL (never headers, which may hold a token).
    pub(crate) fn describe(&self, uri: &Uri, timeout: Duration) -> String {
        let target = without_query(uri);
        match self {
            Self::Timeout => format!(
                "timed out after {} waiting for {target} (raise it with --timeout)",
                crate::duration::human(timeout)
            ),
            Self::Failed(detail) => format!("request to {target} failed: {detail}"),
        }
    }

    /// The failure to exit with (1: the remote could not be reached or did not answer).
    pub(crate) fn into_failure(self, uri: &Uri, timeout: Duration) -> Failure {
        Failure::remote(self.describe(uri, timeout))
    }
}

/// The URL without its query string, for messages (queries can carry signed tokens).
fn without_query(uri: &Uri) -> String {
    match (uri.scheme_str(), uri.authority()) {
        (Some(scheme), Some(authority)) => format!("{scheme}://{authority}{}", uri.path()),
        _ => uri.path().to_owned(),
    }
}

/// Sends one request and reads the whole answer, all within `timeout`.
pub(crate) async fn send(
    client: &Client,
    method: Method,
    uri: &Uri,
    headers: &[(HeaderName, HeaderValue)],
    body: Bytes,
    timeout: Duration,
) -> Result<Reply, NetError> {
    let mut request = Request::builder().method(method).uri(uri.clone());
    for (name, value) in headers {
        request = request.header(name, value);
    }
    let request = request
        .header(hyper::header::USER_AGENT, USER_AGENT)
        .body(Full::new(body))
        .map_err(|e| NetError::Failed(chain(&e)))?;
    let exchange = async {
        let response = client
            .request(request)
            .await
            .map_err(|e| NetError::Failed(chain(&e)))?;
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| NetError::Failed(chain(&e)))?
            .to_bytes();
        Ok(Reply { status, body })
    };
    tokio::time::timeout(timeout, exchange)
        .await
        .unwrap_or(Err(NetError::Timeout))
}

/// A body for display: UTF-8 text, cut to `max` characters, one line.
pub(crate) fn snippet(body: &[u8], max: usize) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    let mut out: String = text
        .chars()
        .take(max)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.chars().count() > max {
        out.push('…');
    }
    out
}
