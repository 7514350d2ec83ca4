//! Example WhatsApp Flows endpoint on actix-web: Meta's "book an appointment" sample flow at
//! `POST /flow`, with `GET /health`, `GET /ready` and `GET /metrics`. Configured by the `FLOWS_*`
//! environment variables (or the matching flags, see `--help`) of `flows-server`; TLS (HTTP/2 and
//! HTTP/1.1 by ALPN) when `FLOWS_TLS_CERT`/`FLOWS_TLS_KEY` are set, the certificate re-read on
//! SIGHUP; SIGTERM or Ctrl-C stops it after in-flight requests finish.
//!
//! actix-web runs its own server, so the limits map onto its settings: `FLOWS_MAX_CONNECTIONS`
//! (shared out among its workers; at the limit actix stops accepting until a connection ends,
//! where flows-server closes the one beyond it), `FLOWS_HEADER_TIMEOUT` (its client request
//! timeout, which covers the head only) and `FLOWS_IDLE_TIMEOUT` (its keep-alive). actix has no body
//! read timeout: `FLOWS_BODY_TIMEOUT` applies to the hyper-based servers only.

use std::process::ExitCode;
use std::sync::Arc;

use actix_web::{App, HttpResponse, HttpServer, web};
use clap::Parser;
use flows_server::tls::{self, CertResolver};
use flows_server::{ServerConfig, init_tracing, shutdown_signal};

/// WhatsApp Flows endpoint (actix-web) serving Meta's "book an appointment" sample flow.
#[derive(Parser)]
#[command(version, about)]
struct Args {
    #[command(flatten)]
    server: ServerConfig,
}

fn main() -> ExitCode {
    let config = Args::parse().server;
    init_tracing();
    flows_server::exit_code(run(&config))
}

fn run(config: &ServerConfig) -> Result<(), Box<dyn std::error::Error>> {
    // Keys (and the TLS files) load before anything else: a bad one stops start-up here.
    let endpoint = config.endpoint(sample_flow::flow(), sample_flow::FLOW_JSON)?;
    let resolver = match (&config.tls_cert, &config.tls_key) {
        (Some(cert), Some(key)) => Some(Arc::new(CertResolver::load(cert, key)?)),
        _ => None,
    };
    let workers = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    actix_web::rt::System::new().block_on(async {
        let server = HttpServer::new(move || {
            App::new()
                .route("/ready", web::get().to(ready))
                .configure(flows_router::actix::configure(endpoint.clone()))
        })
        // actix's own handler makes Ctrl-C a forced stop; ours makes SIGTERM and Ctrl-C graceful.
        .disable_signals()
        .workers(workers)
        .max_connections(config.max_connections().div_ceil(workers))
        .client_request_timeout(config.header_timeout)
        .keep_alive(config.idle_timeout);
        let server = match resolver {
            Some(resolver) => {
                tls::reload_on_sighup(Arc::clone(&resolver));
                let mut tls = tls::server_config(resolver)?;
                // actix adds h2 and http/1.1 itself.
                tls.alpn_protocols.clear();
                server.bind_rustls_0_23(config.listen, tls)
            }
            None => server.bind(config.listen),
        }
        .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
        for address in server.addrs() {
            tracing::info!(%address, "listening: POST /flow, GET /health, GET /ready, GET /metrics");
        }
        let server = server.run();
        let handle = server.handle();
        actix_web::rt::spawn(async move {
            shutdown_signal().await;
            tracing::info!("shutting down: finishing in-flight requests");
            handle.stop(true).await;
        });
        server.await?;
        tracing::info!("stopped");
        Ok(())
    })
}

/// Keys are loaded before the server starts, and this example has no database to ask.
async fn ready() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body("{\"status\":\"ready\"}")
}
