//! hyper 1.x adapter (feature `hyper`): a `Service` with the routes every Flows endpoint needs, and
//! `serve` with graceful shutdown.
//!
//! Routes: `POST /flow` (configurable) to [`Endpoint::handle`], `GET /health` (`{"status":"ok"}`),
//! `GET /metrics` (Prometheus text); anything else 404, or 405 for a wrong method on a known path.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, header};
use http_body_util::Full;
use hyper::body::Body;

use crate::Endpoint;
use crate::router::BoxFuture;

/// How long [`serve`] waits for in-flight requests at shutdown (Meta gives up after 10 s anyway).
pub const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(15);

/// The path WhatsApp is configured to POST to, unless changed with [`FlowService::path`].
pub const DEFAULT_PATH: &str = "/flow";

/// A hyper `Service` serving an [`Endpoint`]. Cheap to clone (one per connection).
///
/// ```
/// use flows_router::hyper::FlowService;
/// # use flows_router::{Endpoint, Router};
/// # use whatsapp_flows_crypto::{KeySet, PrivateKey};
/// # let key = PrivateKey::from_pem(include_str!("../../whatsapp-flows-crypto/tests/fixtures/keys/openssl-genpkey-pkcs8.pem"), None)?;
/// # let endpoint = Endpoint::builder(KeySet::new(key), Router::<()>::new().with_state(())).build();
/// let service = FlowService::new(endpoint).path("/whatsapp/flow");
/// # let _ = service;
/// # Ok::<(), whatsapp_flows_crypto::KeyError>(())
/// ```
#[derive(Clone, Debug)]
pub struct FlowService {
    endpoint: Endpoint,
    path: Arc<str>,
}

impl FlowService {
    /// Serves `endpoint` at `POST /flow`.
    #[must_use]
    pub fn new(endpoint: Endpoint) -> Self {
        Self {
            endpoint,
            path: Arc::from(DEFAULT_PATH),
        }
    }

    /// Serves the endpoint at another path.
    #[must_use]
    pub fn path(mut self, path: &str) -> Self {
        self.path = Arc::from(path);
        self
    }

    /// The endpoint behind this service.
    #[must_use]
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// Answers one request.
    pub async fn call<B>(&self, request: Request<B>) -> Response<Full<Bytes>>
    where
        B: Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        match (request.method(), request.uri().path()) {
            (_, path) if path == &*self.path => self.endpoint.handle_http(request).await,
            (&Method::GET, "/health") => respond(
                StatusCode::OK,
                "application/json",
                Bytes::from_static(b"{\"status\":\"ok\"}"),
            ),
            (&Method::GET, "/metrics") => respond(
                StatusCode::OK,
                "text/plain; version=0.0.4",
                Bytes::from(self.endpoint.metrics().render_prometheus()),
            ),
            (_, "/health" | "/metrics") => {
                plain(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n")
            }
            _ => plain(StatusCode::NOT_FOUND, "not found\n"),
        }
    }
}

impl<B> hyper::service::Service<Request<B>> for FlowService
where
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Self::Response, Infallible>>;

    fn call(&self, request: Request<B>) -> Self::Future {
        let this = self.clone();
        Box::pin(async move { Ok(FlowService::call(&this, request).await) })
    }
}

fn plain(status: StatusCode, body: &'static str) -> Response<Full<Bytes>> {
    respond(
        status,
        "text/plain; charset=utf-8",
        Bytes::from_static(body.as_bytes()),
    )
}

fn respond(status: StatusCode, content_type: &'static str, body: Bytes) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static(content_type),
    );
    response
}

/// Serves HTTP/1.1 on `listener` until `shutdown` resolves, then stops accepting and waits for
/// in-flight requests to finish.
///
/// # Errors
/// Only if accepting connections fails persistently; per-connection errors are logged.
pub async fn serve(
    listener: tokio::net::TcpListener,
    service: FlowService,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let io = hyper_util::rt::TokioIo::new(stream);
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(hyper_util::rt::TokioTimer::new())
            .header_read_timeout(std::time::Duration::from_secs(10))
            .serve_connection(io, service.clone());
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, %peer, "connection ended with an error");
            }
        });
    }
    drop(listener);
    // In-flight requests finish; a client that never finishes its request cannot hold shutdown hostage.
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(grace = ?SHUTDOWN_GRACE, "connections still open after the grace period; closing");
    }
    Ok(())
}
