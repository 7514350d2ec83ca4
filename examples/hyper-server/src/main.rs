//! Example WhatsApp Flows endpoint on hyper (through `flows-server`): Meta's "book an appointment"
//! sample flow at `POST /flow`, with `GET /health`, `GET /ready` and `GET /metrics`, HTTP/1.1 and
//! HTTP/2, TLS when `FLOWS_TLS_CERT`/`FLOWS_TLS_KEY` are set. Configured by the `FLOWS_*` environment
//! variables (or the matching flags, see `--help`); SIGTERM or Ctrl-C stops it after in-flight
//! requests finish, SIGHUP re-reads the TLS certificate.

use std::process::ExitCode;

use clap::Parser;
use flows_server::{Server, ServerConfig, flow_service, init_tracing};

/// WhatsApp Flows endpoint (hyper) serving Meta's "book an appointment" sample flow.
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
    let server = Server::new(config)?;
    let metrics = endpoint.clone();
    let server = server.metrics(move || metrics.metrics().render_prometheus());
    config
        .runtime()?
        .block_on(server.serve(flow_service(endpoint)))?;
    tracing::info!("stopped");
    Ok(())
}
