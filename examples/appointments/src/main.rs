//! `flows-appointments`: the appointment-booking WhatsApp Flows endpoint.
//!
//! ```text
//! flows-appointments [OPTIONS]                       serve POST /flow, /webhook, GET /health, /ready, /metrics
//! flows-appointments issue-token [--ttl DURATION]    print a fresh flow token (default 24h)
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::builder::BoolishValueParser;
use clap::{Args, Parser, Subcommand};
use flows_appointments::devkey;
use flows_appointments::store::{Backend, Store, StoreOptions};
use flows_appointments::{App, FLOW_JSON, date::Date, flow, webhook};
use flows_router::EndpointBuilder;
use flows_server::{Server, ServerConfig, flow_service, init_tracing};
use whatsapp_flows_crypto::KeySet;

// Small allocations freed on other threads are the flow's commonest; see Cargo.toml.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Appointment booking with seat selection over WhatsApp Flows.
///
/// With no DATABASE_URL it keeps its data in an SQLite file in FLOWS_DATA_DIR, and with no key
/// configured it makes a development key there and prints how to register it with Meta.
#[derive(Parser)]
#[command(name = "flows-appointments", version)]
struct Cli {
    #[command(flatten)]
    server: ServerConfig,

    #[command(flatten)]
    db: DbArgs,

    /// Accept any flow token (demos only: anyone with the flow can book).
    #[arg(long, env = "FLOWS_ACCEPT_ANY_TOKEN", value_parser = BoolishValueParser::new())]
    accept_any_token: bool,

    #[command(subcommand)]
    command: Option<Command>,
}

/// Where the data lives.
#[derive(Args)]
struct DbArgs {
    /// PostgreSQL URL (postgres://user:password@host/db); unset: SQLite in the data directory.
    #[arg(
        long = "database-url",
        env = "DATABASE_URL",
        global = true,
        hide_env_values = true
    )]
    database_url: Option<String>,

    /// Directory for the embedded database and the development key.
    #[arg(
        long = "data-dir",
        env = "FLOWS_DATA_DIR",
        default_value = "./flows-data",
        global = true
    )]
    data_dir: PathBuf,

    /// Do not add the demo clinic to an empty database.
    #[arg(
        long = "no-seed",
        env = "FLOWS_NO_SEED",
        global = true,
        value_parser = BoolishValueParser::new()
    )]
    no_seed: bool,

    /// Database connections in the pool.
    #[arg(
        long = "db-max-connections",
        env = "FLOWS_DB_MAX_CONNECTIONS",
        default_value_t = 4,
        global = true
    )]
    db_max_connections: u32,

    /// How long availability (times and free seats) is served from memory, in milliseconds; this
    /// instance's own bookings show at once, other instances' within this time (0: read every time).
    #[arg(
        long = "availability-ttl-ms",
        env = "FLOWS_AVAILABILITY_TTL_MS",
        default_value_t = 1000,
        global = true
    )]
    availability_ttl_ms: u64,
}

#[derive(Subcommand)]
enum Command {
    /// Print a fresh flow token, stored in the database, to send with the flow message.
    IssueToken {
        /// How long the token stays valid: 30m, 24h, 7d (humantime, as flows-server's durations).
        #[arg(long, default_value = "24h", value_parser = parse_ttl)]
        ttl: Duration,
    },
}

/// A token lifetime: humantime's grammar (`90s`, `30m`, `24h`, `7d`, `1h 30m`), one second to a
/// year, so that a typo cannot issue a token that never expires.
fn parse_ttl(text: &str) -> Result<Duration, String> {
    const MAX: Duration = Duration::from_secs(366 * 86_400);
    let ttl = humantime::parse_duration(text)
        .map_err(|e| format!("`{text}`: {e} (examples: 30m, 24h, 7d)"))?;
    if ttl < Duration::from_secs(1) || ttl > MAX {
        return Err(format!("`{text}` is out of range (1s to 366d)"));
    }
    Ok(ttl)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    let runtime = match cli.server.runtime() {
        Ok(runtime) => runtime,
        Err(error) => return fail(&format!("cannot start the async runtime: {error}")),
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => fail(&message),
    }
}

#[allow(clippy::print_stderr)] // the one-line start-up error, whatever the log filter
fn fail(message: &str) -> ExitCode {
    eprintln!("flows-appointments: {message}");
    ExitCode::FAILURE
}

async fn run(cli: Cli) -> Result<(), String> {
    let mut options = StoreOptions::new(cli.db.database_url.clone(), &cli.db.data_dir);
    options.max_connections = cli.db.db_max_connections;
    options.availability_ttl = Duration::from_millis(cli.db.availability_ttl_ms);
    let store = Store::open(&options).await.map_err(|e| format!("{e}"))?;
    tracing::info!(database = store.description(), "database ready");
    if !cli.db.no_seed
        && store
            .seed_if_empty(Date::today())
            .await
            .map_err(|e| e.to_string())?
    {
        tracing::info!("empty database: added the demo clinic (use --no-seed to skip)");
    }

    if let Some(Command::IssueToken { ttl }) = cli.command {
        let (token, expires) = store.issue_token(ttl).await.map_err(|e| e.to_string())?;
        print_token(&token, expires);
        store.close().await;
        return Ok(());
    }

    if cli.accept_any_token {
        tracing::warn!(
            "FLOWS_ACCEPT_ANY_TOKEN is on: flow tokens are NOT checked and anyone who has the flow can \
             book; issue tokens with `flows-appointments issue-token` and turn it off in production"
        );
    }
    let flow = flow(App::new(store.clone(), cli.accept_any_token));
    let builder = endpoint_builder(&cli, &store, flow)?;
    let endpoint = cli
        .server
        .with_contract(builder, FLOW_JSON)
        .map_err(|e| e.to_string())?
        .build();
    let secrets = cli.server.signature_verifier().map_err(|e| e.to_string())?;
    let hook = webhook::from_config(&store, cli.server.webhook_verify_token(), secrets)?;

    let server = Server::new(&cli.server).map_err(|e| e.to_string())?;
    let metrics = endpoint.clone();
    let mut server = server.metrics(move || metrics.metrics().render_prometheus());
    let mut app = flow_service(endpoint);
    if let Some(hook) = hook {
        let metrics = hook.clone();
        server = server.metrics(move || metrics.metrics().render_prometheus());
        app = app.webhook(hook);
        tracing::info!("serving POST /webhook and GET /webhook (FLOWS_WEBHOOK_VERIFY_TOKEN)");
    }
    // Ready when the database answers a query.
    let db = store.clone();
    let server = server.ready(move || {
        let db = db.clone();
        async move { db.is_empty().await.is_ok() }
    });
    server.serve(app).await.map_err(|e| e.to_string())?;
    store.close().await;
    Ok(())
}

/// The configured keys, or (embedded database only) the development key.
fn endpoint_builder(
    cli: &Cli,
    store: &Store,
    flow: flows_router::Flow,
) -> Result<EndpointBuilder, String> {
    if cli.server.has_key() || store.backend() == Backend::Postgres {
        // With PostgreSQL this is a real deployment: a missing key is an error, not a dev key.
        return cli.server.endpoint_builder(flow).map_err(|e| e.to_string());
    }
    let dev = devkey::load_or_create(&cli.db.data_dir).map_err(|e| e.to_string())?;
    tracing::warn!(
        path = %dev.path.display(),
        fingerprint = %dev.key.fingerprint(),
        "no private key configured: using the development key (set FLOWS_PRIVATE_KEY_FILE in production)"
    );
    print_dev_key(&dev);
    cli.server
        .endpoint_builder_with(KeySet::new(dev.key), flow)
        .map_err(|e| e.to_string())
}

#[allow(clippy::print_stdout)] // the token is the command's output
fn print_token(token: &str, expires: i64) {
    println!("{token}");
    tracing::info!(expires_at_unix = expires, "flow token issued");
}

#[allow(clippy::print_stdout)] // what the user needs to do next, whatever the log filter
fn print_dev_key(dev: &devkey::DevKey) {
    let state = if dev.created { "created" } else { "reused" };
    println!(
        "No private key configured: using the development key {} ({state}).\n\
         Its public key ({}):\n\n{}\n\
         Register it with Meta for your WhatsApp Business phone number:\n\n  \
         WHATSAPP_ACCESS_TOKEN=<token> flows register --phone-number-id <PHONE_NUMBER_ID> {}\n",
        dev.path.display(),
        dev.public_path.display(),
        dev.key.public_key().to_pem().trim_end(),
        dev.path.display(),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_lifetimes() {
        assert_eq!(parse_ttl("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_ttl("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_ttl("24h"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_ttl("7d"), Ok(Duration::from_secs(604_800)));
        assert_eq!(parse_ttl("1h 30m"), Ok(Duration::from_secs(5400)));
        for bad in ["", "0s", "h", "-1h", "soon", "1000d", "500ms"] {
            assert!(parse_ttl(bad).is_err(), "{bad}");
        }
    }
}
