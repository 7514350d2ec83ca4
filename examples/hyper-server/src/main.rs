//! Example WhatsApp Flows endpoint on hyper: Meta's "book an appointment" sample flow at `POST /flow`,
//! with `GET /health` and `GET /metrics`. Configured by the `FLOWS_*` environment variables (or the
//! matching flags, see `--help`); SIGTERM or Ctrl-C stops it after in-flight requests finish.

use std::process::ExitCode;

use clap::Parser;
use flows_router::config::{ServerConfig, init_tracing, shutdown_signal};
use flows_router::hyper::{FlowService, serve};

/// WhatsApp Flows endpoint (hyper) serving Meta's "book an appointment" sample flow.
#[derive(Parser)]
#[command(version, about)]
struct Args {
    #[command(flatten)]
    server: ServerConfig,
}

fn main() -> ExitCode {
    let args = Args::parse();
    init_tracing();
    match run(&args.server) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            #[allow(clippy::print_stderr)] // The one-line start-up error, for people and scripts.
            {
                eprintln!("error: {error}");
            }
            ExitCode::FAILURE
        }
    }
}

fn run(config: &ServerConfig) -> Result<(), Box<dyn std::error::Error>> {
    // Keys load before anything else: a bad key or passphrase stops start-up here.
    let endpoint = config.endpoint_builder(sample_flow::flow())?.build();
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
        tracing::info!(address = %listener.local_addr()?, "listening: POST /flow, GET /health, GET /metrics");
        serve(listener, FlowService::new(endpoint), shutdown_signal()).await?;
        tracing::info!("stopped");
        Ok(())
    })
}
