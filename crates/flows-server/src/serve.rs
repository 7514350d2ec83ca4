//! [`Server`]: accepts connections (plain or TLS), applies the limits, serves `/health`, `/ready` and
//! `/metrics`, and hands every other request to the application's tower service.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, header};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt as _, Full};
use hyper::body::{Body, Incoming};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{Semaphore, watch};
use tokio::time::Instant;
use tower_service::Service;

use crate::body::RequestBody;
use crate::tls::{self, CertResolver};
use crate::{BoxError, BoxFuture, ConfigError, ServerConfig, shutdown_signal};

/// How long the server waits for in-flight requests at shutdown (Meta gives up after 10 s anyway).
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(15);

/// The body of every response the server sends.
pub type ResponseBody = UnsyncBoxBody<Bytes, BoxError>;

type ReadyCheck = Arc<dyn Fn() -> BoxFuture<'static, bool> + Send + Sync>;
type MetricsRender = Arc<dyn Fn() -> String + Send + Sync>;

/// A server built from a [`ServerConfig`]: see the [crate docs](crate) for what it does.
///
/// ```no_run
/// # async fn run(config: flows_server::ServerConfig, endpoint: flows_router::Endpoint) -> Result<(), flows_server::ServeError> {
/// let metrics = endpoint.clone();
/// flows_server::Server::new(&config)?
///     .metrics(move || metrics.metrics().render_prometheus())
///     .ready(|| async { true }) // e.g. ping the database
///     .serve(flows_server::flow_service(endpoint))
///     .await
/// # }
/// ```
#[must_use]
pub struct Server {
    listen: SocketAddr,
    tls: Option<Arc<CertResolver>>,
    limits: Limits,
    ready: Option<ReadyCheck>,
    metrics: Vec<MetricsRender>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("listen", &self.listen)
            .field("tls", &self.tls.is_some())
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Copy, Debug)]
struct Limits {
    max_connections: usize,
    header_timeout: Duration,
    body_timeout: Duration,
    idle_timeout: Duration,
}

/// Why [`Server::serve`] stopped with an error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// The configuration is unusable (TLS files).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The listen address cannot be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
}

impl Server {
    /// A server for `config`: its listen address, TLS files (loaded now) and limits.
    ///
    /// # Errors
    /// [`ConfigError::Tls`] if the certificate or key cannot be used.
    pub fn new(config: &ServerConfig) -> Result<Self, ConfigError> {
        let tls = match (&config.tls_cert, &config.tls_key) {
            (Some(cert), Some(key)) => Some(Arc::new(CertResolver::load(cert, key)?)),
            _ => None,
        };
        Ok(Self {
            listen: config.listen,
            tls,
            limits: Limits {
                max_connections: config.max_connections(),
                header_timeout: config.header_timeout,
                body_timeout: config.body_timeout,
                idle_timeout: config.idle_timeout,
            },
            ready: None,
            metrics: Vec::new(),
        })
    }

    /// The application's readiness check for `GET /ready` (e.g. a database ping); without one, a
    /// server is ready once it serves (its keys are loaded before).
    pub fn ready<F, Fut>(mut self, check: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = bool> + Send + 'static,
    {
        self.ready = Some(Arc::new(move || Box::pin(check())));
        self
    }

    /// Adds Prometheus text to `GET /metrics` (the endpoint's, a webhook's, the application's).
    pub fn metrics(mut self, render: impl Fn() -> String + Send + Sync + 'static) -> Self {
        self.metrics.push(Arc::new(render));
        self
    }

    /// Binds the configured address and serves `app` until SIGTERM or Ctrl-C, then finishes
    /// in-flight requests (at most [`SHUTDOWN_GRACE`]). With TLS, SIGHUP re-reads the certificate.
    ///
    /// # Errors
    /// [`ServeError::Bind`] if the address cannot be bound.
    pub async fn serve<S, B>(self, app: S) -> Result<(), ServeError>
    where
        S: Service<Request<RequestBody>, Response = Response<B>> + Clone + Send + 'static,
        S::Future: Send + 'static,
        S::Error: Into<BoxError>,
        B: Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        let listener = tokio::net::TcpListener::bind(self.listen)
            .await
            .map_err(|source| ServeError::Bind {
                addr: self.listen,
                source,
            })?;
        self.serve_on(listener, app, shutdown_signal()).await;
        Ok(())
    }

    /// Serves `app` on `listener` until `shutdown` resolves, then finishes in-flight requests.
    pub async fn serve_on<S, B>(
        self,
        listener: tokio::net::TcpListener,
        app: S,
        shutdown: impl Future<Output = ()>,
    ) where
        S: Service<Request<RequestBody>, Response = Response<B>> + Clone + Send + 'static,
        S::Future: Send + 'static,
        S::Error: Into<BoxError>,
        B: Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        if let Ok(addr) = listener.local_addr() {
            // The address ends the line: scripts and tests read the port chosen for `:0` from it.
            tracing::info!("listening on {scheme}://{addr}");
        }
        tracing::debug!(limits = ?self.limits, "connection limits");
        let acceptor = match &self.tls {
            Some(resolver) => {
                tls::reload_on_sighup(Arc::clone(resolver));
                match tls::server_config(Arc::clone(resolver)) {
                    Ok(config) => Some(tokio_rustls::TlsAcceptor::from(Arc::new(config))),
                    Err(error) => {
                        tracing::error!(%error, "TLS configuration refused");
                        return;
                    }
                }
            }
            None => None,
        };
        let limits = self.limits;
        let stats = Arc::new(Stats::default());
        let shared = Arc::new(Shared {
            ready: self.ready,
            metrics: self.metrics,
            stats: Arc::clone(&stats),
        });
        let builder = Arc::new(connection_builder(limits));
        let slots = Arc::new(Semaphore::new(limits.max_connections));
        let (stop, stopped) = watch::channel(false);
        let mut shutdown = pin!(shutdown);
        loop {
            let (stream, peer) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        // Out of file descriptors and the like: back off instead of spinning.
                        tracing::warn!(%error, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            // Beyond the limit the connection is closed at once: the client sees it and can retry
            // elsewhere, and the listener keeps accepting so a freed slot is used at once.
            let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
                stats.refused.fetch_add(1, Ordering::Relaxed);
                tracing::debug!(%peer, "connection refused: FLOWS_MAX_CONNECTIONS reached");
                drop(stream);
                continue;
            };
            let _ = stream.set_nodelay(true);
            let connection = Connection {
                builder: Arc::clone(&builder),
                routes: Routes {
                    app: app.clone(),
                    shared: Arc::clone(&shared),
                    activity: Arc::new(Activity::new()),
                    body_timeout: limits.body_timeout,
                },
                stopped: stopped.clone(),
                limits,
                stats: Arc::clone(&stats),
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let _slot = slot;
                match acceptor {
                    None => connection.drive(TokioIo::new(stream)).await,
                    Some(acceptor) => {
                        match tokio::time::timeout(limits.header_timeout, acceptor.accept(stream))
                            .await
                        {
                            Ok(Ok(stream)) => connection.drive(TokioIo::new(stream)).await,
                            Ok(Err(error)) => {
                                tracing::debug!(%error, %peer, "TLS handshake failed");
                            }
                            Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                        }
                    }
                }
            });
        }
        drop(listener);
        tracing::info!("shutting down: finishing in-flight requests");
        let _ = stop.send(true);
        let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
        // Every connection holds a slot until it ends: all slots back means all connections done.
        if tokio::time::timeout(SHUTDOWN_GRACE, slots.acquire_many(all))
            .await
            .is_err()
        {
            tracing::warn!(grace = ?SHUTDOWN_GRACE, "connections still open after the grace period; closing");
        }
    }
}

fn connection_builder(limits: Limits) -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    builder.http2().timer(TokioTimer::new());
    builder
}

#[derive(Default)]
struct Stats {
    open: AtomicUsize,
    accepted: AtomicU64,
    refused: AtomicU64,
}

impl Stats {
    fn render(&self) -> String {
        format!(
            "# HELP flows_connections_open Connections open now.\n\
             # TYPE flows_connections_open gauge\n\
             flows_connections_open {}\n\
             # HELP flows_connections_accepted_total Connections accepted.\n\
             # TYPE flows_connections_accepted_total counter\n\
             flows_connections_accepted_total {}\n\
             # HELP flows_connections_refused_total Connections closed at once because FLOWS_MAX_CONNECTIONS were open.\n\
             # TYPE flows_connections_refused_total counter\n\
             flows_connections_refused_total {}\n",
            self.open.load(Ordering::Relaxed),
            self.accepted.load(Ordering::Relaxed),
            self.refused.load(Ordering::Relaxed),
        )
    }
}

struct Shared {
    ready: Option<ReadyCheck>,
    metrics: Vec<MetricsRender>,
    stats: Arc<Stats>,
}

/// Requests in flight on one connection and when the last one ended, for the idle timeout.
struct Activity {
    in_flight: AtomicUsize,
    last: Mutex<Instant>,
}

impl Activity {
    fn new() -> Self {
        Self {
            in_flight: AtomicUsize::new(0),
            last: Mutex::new(Instant::now()),
        }
    }

    fn last(&self) -> Instant {
        *self
            .last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn touch(&self) {
        *self
            .last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Instant::now();
    }
}

/// Ends a request's activity when its future completes or is dropped.
struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.touch();
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

struct Connection<S> {
    builder: Arc<auto::Builder<TokioExecutor>>,
    routes: Routes<S>,
    stopped: watch::Receiver<bool>,
    limits: Limits,
    stats: Arc<Stats>,
}

impl<S, B> Connection<S>
where
    S: Service<Request<RequestBody>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    async fn drive<I>(mut self, io: TokioIo<I>)
    where
        I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        self.stats.open.fetch_add(1, Ordering::Relaxed);
        self.stats.accepted.fetch_add(1, Ordering::Relaxed);
        let activity = Arc::clone(&self.routes.activity);
        let service = TowerToHyperService::new(self.routes);
        let mut connection = pin!(self.builder.serve_connection(io, service));
        let mut closing = *self.stopped.borrow();
        if closing {
            connection.as_mut().graceful_shutdown();
        }
        loop {
            let idle_at = activity.last() + self.limits.idle_timeout;
            tokio::select! {
                result = connection.as_mut() => {
                    if let Err(error) = result {
                        tracing::debug!(%error, "connection ended with an error");
                    }
                    break;
                }
                _ = self.stopped.changed(), if !closing => {
                    closing = true;
                    connection.as_mut().graceful_shutdown();
                }
                () = tokio::time::sleep_until(idle_at), if !closing => {
                    let idle = activity.in_flight.load(Ordering::Acquire) == 0
                        && activity.last().elapsed() >= self.limits.idle_timeout;
                    if idle {
                        closing = true;
                        connection.as_mut().graceful_shutdown();
                    }
                }
            }
        }
        self.stats.open.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The server's own routes in front of the application's.
struct Routes<S> {
    app: S,
    shared: Arc<Shared>,
    activity: Arc<Activity>,
    body_timeout: Duration,
}

impl<S: Clone> Clone for Routes<S> {
    fn clone(&self) -> Self {
        Self {
            app: self.app.clone(),
            shared: Arc::clone(&self.shared),
            activity: Arc::clone(&self.activity),
            body_timeout: self.body_timeout,
        }
    }
}

impl<S, B> Service<Request<Incoming>> for Routes<S>
where
    S: Service<Request<RequestBody>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Response<ResponseBody>;
    type Error = BoxError;
    type Future = BoxFuture<'static, Result<Self::Response, BoxError>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Incoming>) -> Self::Future {
        self.activity.in_flight.fetch_add(1, Ordering::AcqRel);
        let guard = InFlight(Arc::clone(&self.activity));
        let request = request.map(|body| RequestBody::new(body, self.body_timeout));
        let shared = Arc::clone(&self.shared);
        let mut app = self.app.clone();
        Box::pin(async move {
            let _guard = guard;
            let own = |method: &Method, ok: Method| {
                if *method == ok { Ok(()) } else { Err(()) }
            };
            let path = request.uri().path();
            let method = request.method();
            let reply = match path {
                "/health" => own(method, Method::GET)
                    .map(|()| json(StatusCode::OK, "{\"status\":\"ok\"}".to_owned())),
                "/ready" => match own(method, Method::GET) {
                    Ok(()) => {
                        let ready = match &shared.ready {
                            Some(check) => check().await,
                            None => true,
                        };
                        Ok(if ready {
                            json(StatusCode::OK, "{\"status\":\"ready\"}".to_owned())
                        } else {
                            json(
                                StatusCode::SERVICE_UNAVAILABLE,
                                "{\"status\":\"not ready\"}".to_owned(),
                            )
                        })
                    }
                    Err(()) => Err(()),
                },
                "/metrics" => own(method, Method::GET).map(|()| {
                    let mut text = String::new();
                    for render in &shared.metrics {
                        text.push_str(&render());
                    }
                    text.push_str(&shared.stats.render());
                    respond(StatusCode::OK, "text/plain; version=0.0.4", text)
                }),
                _ => {
                    std::future::poll_fn(|cx| app.poll_ready(cx))
                        .await
                        .map_err(Into::into)?;
                    let response = app.call(request).await.map_err(Into::into)?;
                    return Ok(response.map(|body| body.map_err(Into::into).boxed_unsync()));
                }
            };
            Ok(reply.unwrap_or_else(|()| {
                respond(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "text/plain; charset=utf-8",
                    "method not allowed\n".to_owned(),
                )
            }))
        })
    }
}

fn json(status: StatusCode, body: String) -> Response<ResponseBody> {
    respond(status, "application/json", body)
}

fn respond(status: StatusCode, content_type: &'static str, body: String) -> Response<ResponseBody> {
    let mut response = Response::new(
        Full::new(Bytes::from(body))
            .map_err(|never: Infallible| match never {})
            .boxed_unsync(),
    );
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static(content_type),
    );
    response
}
