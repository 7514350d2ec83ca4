//! Example WhatsApp Flows endpoint on actix-web: Meta's "book an appointment" sample flow at
//! `POST /flow`, with `GET /health` and `GET /metrics`. Configured by the `FLOWS_*` environment
//! variables (or the matching flags, see `--help`); SIGTERM or Ctrl-C stops it after in-flight
//! requests finish.

use std::process::ExitCode;

use actix_web::{App, HttpServer};
use clap::Parser;
use flows_router::config::{ServerConfig, init_tracing, shutdown_signal};

/// WhatsApp Flows endpoint (actix-web) serving Meta's "book an appointment" sample flow.
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
    actix_web::rt::System::new().block_on(async {
        let server = HttpServer::new(move || {
            App::new().configure(flows_router::actix::configure(endpoint.clone()))
        })
        // actix's own handler makes Ctrl-C a forced stop; ours makes SIGTERM and Ctrl-C graceful.
        .disable_signals()
        .bind(config.listen)
        .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
        for address in server.addrs() {
            tracing::info!(%address, "listening: POST /flow, GET /health, GET /metrics");
        }
        let server = server.run();
        let handle = server.handle();
        actix_web::rt::spawn(async move {
            shutdown_signal().await;
            handle.stop(true).await;
        });
        server.await?;
        tracing::info!("stopped");
        Ok(())
    })
}
