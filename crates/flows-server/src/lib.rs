//! What every WhatsApp Flows server binary of this project shares, so that each one's `main` is a
//! few lines: [`ServerConfig`] (the `FLOWS_*` variables and flags), [`init_tracing`],
//! [`shutdown_signal`] (SIGTERM and Ctrl-C, graceful), and [`Server`]: HTTP/1.1 and HTTP/2 on
//! hyper-util's auto connection builder, TLS with rustls and the certificate re-read on SIGHUP,
//! connection limits and timeouts, and `GET /health`, `GET /ready`, `GET /metrics` in front of the
//! application's routes, any tower service: an axum `Router`, [`flow_service`], a
//! [`Webhook`].
//!
//! ```no_run
//! use clap::Parser;
//!
//! #[derive(Parser)]
//! struct Args {
//!     #[command(flatten)]
//!     server: flows_server::ServerConfig,
//! }
//!
//! # fn flow() -> flows_router::Flow { flows_router::Router::<()>::new().with_state(()) }
//! # const FLOW_JSON: &str = "{}";
//! #[tokio::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let config = Args::parse().server;
//!     flows_server::init_tracing();
//!     let endpoint = config.endpoint(flow(), FLOW_JSON)?;
//!     let metrics = endpoint.clone();
//!     flows_server::Server::new(&config)?
//!         .metrics(move || metrics.metrics().render_prometheus())
//!         .serve(flows_server::flow_service(endpoint))
//!         .await?;
//!     Ok(())
//! }
//! ```
//!
//! # Configuration
//!
//! Flags win over variables. Secrets are never flags (flags show in `ps`): they come from files
//! named by a flag or variable, or from environment variables only.
//!
//! | variable | flag | default | meaning |
//! |---|---|---|---|
//! | `FLOWS_PRIVATE_KEY_FILE` | `--private-key-file` | | key file(s), comma-separated; the first is current, the others still accepted (rotation) |
//! | `FLOWS_PRIVATE_KEY` | (none: secret) | | the key's PEM text instead of a file |
//! | `FLOWS_PASSPHRASE_FILE` | `--passphrase-file` | | file holding the passphrase of encrypted keys (a final newline is ignored) |
//! | `FLOWS_PASSPHRASE` | (none: secret) | | the passphrase itself |
//! | `FLOWS_APP_SECRET_FILE` | `--app-secret-file` | | file holding the Meta app secret(s), one per line or comma-separated, current first |
//! | `FLOWS_APP_SECRET` | (none: secret) | | the app secret(s), comma-separated; neither set: signatures are not checked (warned) |
//! | `FLOWS_WEBHOOK_VERIFY_TOKEN` | (none: secret) | | the webhook's verify token ([`ServerConfig::webhook_verify_token`]) |
//! | `FLOWS_LISTEN` | `--listen` | `127.0.0.1:3000` | address to listen on |
//! | `FLOWS_MAX_BODY_SIZE` | `--max-body-size` | 1 MiB | request body limit in bytes |
//! | `FLOWS_TLS_CERT` | `--tls-cert` | | PEM certificate chain; with `FLOWS_TLS_KEY`, serve HTTPS (h2 and http/1.1 by ALPN); re-read on SIGHUP |
//! | `FLOWS_TLS_KEY` | `--tls-key` | | PEM private key of the certificate |
//! | `FLOWS_MAX_CONNECTIONS` | `--max-connections` | 256 per CPU | open connections at most; one more is closed at once after `accept` |
//! | `FLOWS_IO_THREADS` | `--io-threads` | one per CPU | async runtime threads for HTTP, TLS and the application ([`ServerConfig::runtime`]); the RSA step has its own, one per CPU |
//! | `FLOWS_HEADER_TIMEOUT` | `--header-timeout` | `10s` | time to finish the TLS handshake, and (HTTP/1.1) to send each request's headers |
//! | `FLOWS_BODY_TIMEOUT` | `--body-timeout` | `5s` | time to send a request's body once its headers are in; then the body read fails (the flow endpoint answers 400) and the connection closes |
//! | `FLOWS_IDLE_TIMEOUT` | `--idle-timeout` | `60s` | a connection without a request in flight for this long is closed (gracefully: HTTP/2 GOAWAY) |
//! | `FLOWS_QUEUE_TIMEOUT` | `--queue-timeout` | `250ms` ([`flows_router::DEFAULT_QUEUE_TIMEOUT`]) | how long a request may wait for an RSA thread before it is answered 503 with `Retry-After` |
//! | `FLOWS_VERIFY_TOKEN_SIGNATURE` | `--verify-token-signature` | off | verify `flow_token_signature` (JWT signed with the app secret); without an app secret start-up fails |
//! | `FLOWS_CHECK_CONTRACT` | `--check-contract` | off | check every reply against the Flow JSON, answer 500 on a violation (development) |
//!
//! Durations are written as `humantime` reads them: `250ms`, `10s`, `2m`, `1h 30m`.
//!
//! # Routes
//!
//! [`Server`] answers `GET /health` (`{"status":"ok"}`: the process is alive), `GET /ready`
//! (`{"status":"ready"}`, or 503 `{"status":"not ready"}` when the application's
//! [`Server::ready`] check fails; keys are loaded before the server starts) and `GET /metrics`
//! (Prometheus text: what [`Server::metrics`] was given, then `flows_connections_open`,
//! `flows_connections_accepted_total` and `flows_connections_refused_total`); another method on
//! those paths is 405. Every other request goes to the application.
//!
//! # Limits
//!
//! A connection beyond `FLOWS_MAX_CONNECTIONS` is accepted and closed at once, so the client learns
//! at once and the listener goes on accepting; it is counted in `flows_connections_refused_total`.
//! The header timeout is hyper's HTTP/1.1 `header_read_timeout` and bounds the TLS handshake; the body
//! timeout runs from the request's arrival at the application ([`RequestBody`]); the idle timeout
//! closes a connection with no request in flight.

#![forbid(unsafe_code)]

mod body;
mod config;
mod serve;
pub mod tls;

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use flows_router::Endpoint;
use flows_router::hyper::FlowService;
use flows_router::webhook::Webhook;

pub use body::{BodyTimeout, RequestBody};
pub use config::{
    APP_SECRET_ENV, ConfigError, PASSPHRASE_ENV, PRIVATE_KEY_ENV, ServerConfig,
    WEBHOOK_VERIFY_TOKEN_ENV,
};
pub use serve::{ResponseBody, SHUTDOWN_GRACE, ServeError, Server};

/// The error type of bodies and services.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
/// A boxed, `Send` future.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A server binary's exit: `Ok` is success; an error is the one-line start-up message on stderr
/// (`error: ...`, for people and scripts) and exit status 1.
///
/// ```
/// let code = flows_server::exit_code(Err("cannot listen on 127.0.0.1:80".into()));
/// assert_eq!(code, std::process::ExitCode::FAILURE);
/// ```
#[must_use]
pub fn exit_code(result: Result<(), Box<dyn std::error::Error>>) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            #[allow(clippy::print_stderr)] // The one-line start-up error, for people and scripts.
            {
                eprintln!("error: {error}");
            }
            std::process::ExitCode::FAILURE
        }
    }
}

/// Installs a `tracing` subscriber writing to stderr, filtered by `RUST_LOG` (default `info`).
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Resolves on Ctrl-C or SIGTERM, for graceful shutdown.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

/// The endpoint at `POST /flow` as a tower service (404 elsewhere), to hand to [`Server::serve`] or
/// to mount in an axum `Router` with `route_service("/flow", ...)`.
#[must_use]
pub fn flow_service(endpoint: Endpoint) -> FlowTower {
    FlowTower {
        flow: FlowService::new(endpoint),
        webhook: None,
    }
}

/// See [`flow_service`].
#[derive(Clone, Debug)]
pub struct FlowTower {
    flow: FlowService,
    webhook: Option<Webhook>,
}

impl FlowTower {
    /// Also serves Meta's webhook at `GET /webhook` (subscription handshake) and `POST /webhook`
    /// (deliveries), e.g. built with [`ServerConfig::webhook_verify_token`].
    #[must_use]
    pub fn webhook(mut self, webhook: Webhook) -> Self {
        self.webhook = Some(webhook);
        self
    }
}

impl<B> tower_service::Service<http::Request<B>> for FlowTower
where
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    type Response = http::Response<http_body_util::Full<bytes::Bytes>>;
    type Error = std::convert::Infallible;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        if let Some(webhook) = &mut self.webhook
            && request.uri().path() == flows_router::webhook::DEFAULT_PATH
        {
            return webhook.call(request);
        }
        let service = self.flow.clone();
        Box::pin(async move { Ok(service.call(request).await) })
    }
}
