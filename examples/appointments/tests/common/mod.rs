//! Shared test set-up: databases (a fresh PostgreSQL database per test, dropped afterwards; SQLite
//! in a temp dir), the in-process server, the contract check on every step.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr,
    clippy::indexing_slicing,
    missing_docs
)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use flows_appointments::date::Date;
use flows_appointments::sim::Step;
use flows_appointments::store::{
    BookingOutcome, Choice, NewBooking, SeedData, SeedSlot, Store, StoreOptions,
};
use flows_appointments::{App, FLOW_JSON, flow};
use flows_json::Flow;
use flows_router::contract::FlowContract;
use flows_router::hyper::{FlowService, serve};
use flows_router::{Endpoint, FlowRequest, FlowResponse};
use flows_simulator::{Http, Open, Simulator};
use serde_json::Value;
use sqlx::Connection as _;
use whatsapp_flows_crypto::{KeySet, PrivateKey, PublicKey};

pub const ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";
pub const KEY_PEM: &str = include_str!(
    "../../../../crates/whatsapp-flows-crypto/tests/fixtures/keys/openssl-genpkey-pkcs8.pem"
);

pub fn key() -> PrivateKey {
    PrivateKey::from_pem(KEY_PEM, None).unwrap()
}

pub fn key_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../crates/whatsapp-flows-crypto/tests/fixtures/keys/openssl-genpkey-pkcs8.pem")
}

pub fn public_key() -> PublicKey {
    key().public_key().clone()
}

pub fn contract() -> FlowContract {
    FlowContract::from_json(FLOW_JSON).unwrap()
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn unique(prefix: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "{prefix}_{}_{}_{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// A temporary directory, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new() -> Self {
        let dir = std::env::temp_dir().join(unique("flows-appointments-test"));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Whether PostgreSQL tests run: always in CI (where `.ci/run` starts PostgreSQL), elsewhere only
/// when 127.0.0.1:5432 answers.
pub async fn postgres_available() -> bool {
    let up = tokio::time::timeout(
        Duration::from_secs(3),
        sqlx::PgConnection::connect(ADMIN_URL),
    )
    .await
    .is_ok_and(|c| c.is_ok());
    if !up {
        assert!(
            std::env::var_os("CI").is_none(),
            "PostgreSQL is not answering at {ADMIN_URL}"
        );
        eprintln!("SKIPPED: PostgreSQL is not answering at {ADMIN_URL}");
    }
    up
}

/// A PostgreSQL database of its own, dropped (connections and all) when this is dropped, also
/// when the test panics.
pub struct PgDb {
    pub name: String,
}

impl PgDb {
    pub async fn create() -> Self {
        let name = unique("flows_appt");
        let mut admin = sqlx::PgConnection::connect(ADMIN_URL).await.unwrap();
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .unwrap();
        admin.close().await.unwrap();
        Self { name }
    }

    pub fn url(&self) -> String {
        self.url_via(SocketAddr::from(([127, 0, 0, 1], 5432)))
    }

    pub fn url_via(&self, addr: SocketAddr) -> String {
        format!("postgres://postgres@{addr}/{}", self.name)
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop runs inside the test's runtime: do the async work on a thread of its own.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                if let Ok(mut admin) = sqlx::PgConnection::connect(ADMIN_URL).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut admin)
                        .await;
                }
            });
        })
        .join();
    }
}

/// Where a test's data lives; keeps the database or directory alive.
pub enum Db {
    Postgres(PgDb),
    Sqlite(TempDir),
}

impl Db {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Postgres(_) => "postgres",
            Self::Sqlite(_) => "sqlite",
        }
    }

    pub fn options(&self) -> StoreOptions {
        match self {
            Self::Postgres(db) => StoreOptions::new(Some(db.url()), std::env::temp_dir()),
            Self::Sqlite(dir) => StoreOptions::new(None, &dir.0),
        }
    }
}

/// The backends to run a test on: SQLite always, PostgreSQL when available (always in CI).
pub async fn databases() -> Vec<Db> {
    let mut dbs = vec![Db::Sqlite(TempDir::new())];
    if postgres_available().await {
        dbs.push(Db::Postgres(PgDb::create().await));
    }
    dbs
}

/// Test data: one department at one location, slots the day after tomorrow: 09:00 with three seats,
/// 10:00 with one seat, 11:00 with one seat already booked; and a second department.
pub fn test_data() -> SeedData {
    let day = Date::today().plus_days(2).to_string();
    let seats = |ids: &[&str]| -> Vec<(String, String)> {
        ids.iter()
            .map(|s| ((*s).to_owned(), format!("Seat {s}")))
            .collect()
    };
    let slot = |department: &str, time: &str, ids: &[&str]| SeedSlot {
        department: department.to_owned(),
        location: "lisbon".to_owned(),
        date: day.clone(),
        time: time.to_owned(),
        seats: seats(ids),
    };
    SeedData {
        departments: vec![
            ("cardio".to_owned(), "Cardiology".to_owned()),
            ("derma".to_owned(), "Dermatology".to_owned()),
        ],
        locations: vec![("lisbon".to_owned(), "Lisbon Centre".to_owned())],
        slots: vec![
            slot("cardio", "09:00", &["A1", "A2", "A3"]),
            slot("cardio", "10:00", &["S1"]),
            slot("cardio", "11:00", &["F1"]),
            slot("derma", "09:00", &["D1"]),
        ],
        booked: vec![(2, "F1".to_owned())],
    }
}

pub fn test_day() -> String {
    Date::today().plus_days(2).to_string()
}

/// An in-process server on 127.0.0.1 with the contract check on.
pub struct Server {
    pub addr: SocketAddr,
    pub store: Store,
    pub endpoint: Endpoint,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Books `seat` straight through the store (no endpoint), with made-up personal details.
pub async fn book(
    store: &Store,
    choice: &Choice,
    seat: &str,
    flow_token: Option<&str>,
    any_token: bool,
) -> BookingOutcome {
    let booking = NewBooking {
        choice,
        seat: &seat.into(),
        flow_token,
        name: "Test",
        email: "test@example.com",
        phone: "+351 912 345 678",
        more_details: "",
        any_token,
    };
    store.book(&booking).await.unwrap()
}

pub async fn open_store(db: &Db) -> Store {
    let store = Store::open(&db.options()).await.unwrap();
    store.add(&test_data()).await.unwrap();
    store
}

pub async fn server(store: Store, accept_any_token: bool) -> Server {
    let flow = flow(App::new(store.clone(), accept_any_token));
    // These tests are about bookings, not overload: 50 users decrypting at once in a debug build
    // wait longer than the default queue timeout and would be shed (503), so allow a long wait.
    let endpoint = Endpoint::builder(KeySet::new(key()), flow)
        .contract(contract())
        .queue_timeout(Duration::from_secs(60))
        .build();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let service = FlowService::new(endpoint.clone());
    let task = tokio::spawn(async move {
        let _ = serve(listener, service, std::future::pending()).await;
    });
    Server {
        addr,
        store,
        endpoint,
        task,
    }
}

/// Checks every step's reply against flow.json (the server checks too and would have answered 500).
pub fn assert_contract(contract: &FlowContract, steps: &[Step]) {
    for step in steps {
        let Some(reply) = &step.answer.reply else {
            continue;
        };
        let Some(screen) = reply.get("screen").and_then(Value::as_str) else {
            continue;
        };
        let request: FlowRequest = serde_json::from_value(step.request.clone()).unwrap();
        let response = FlowResponse::next_screen(screen)
            .with_data(&reply["data"])
            .unwrap();
        let violations = contract.check(&request, &response);
        assert!(
            violations.is_empty(),
            "reply to {} breaks flow.json: {violations:?}",
            step.request
        );
    }
}

/// A simulated WhatsApp client (flows-simulator) speaking HTTP to the in-process server.
pub type Phone = Simulator<Http>;

/// A simulated phone on the in-process server, over HTTP, holding the flow in `flow.json`.
pub fn new_phone(server: &Server) -> Phone {
    phone_at(server.addr)
}

/// A simulated phone for the server at `addr` (for phones on spawned tasks).
pub fn phone_at(addr: SocketAddr) -> Phone {
    let transport = Http::new(&format!("http://{addr}/flow"), public_key(), None).unwrap();
    Simulator::new(Flow::from_json(FLOW_JSON).unwrap(), transport).unwrap()
}

/// Opens the flow and walks it as a user would, to SUMMARY, for Cardiology in Lisbon on `day`.
pub async fn walk_to_summary(
    phone: &mut Phone,
    token: String,
    day: &str,
    time: &str,
    seat: &str,
    name: &str,
) {
    phone.start(Open::data_exchange(token)).await.unwrap();
    for (field, value) in [
        ("department", "cardio"),
        ("location", "lisbon"),
        ("date", day),
        ("time", time),
    ] {
        phone.set(field, value).await.unwrap();
    }
    phone.tap("Choose a seat").await.unwrap();
    phone.set("seat", seat).await.unwrap();
    phone.tap("Continue").await.unwrap();
    let email = format!("{}@example.com", name.to_lowercase());
    for (field, value) in [
        ("name", name),
        ("email", &email),
        ("phone", "+351 912 000 001"),
    ] {
        phone.set(field, value).await.unwrap();
    }
    phone.tap("Review").await.unwrap();
    assert_eq!(phone.screen().id(), "SUMMARY");
}

/// The built `flows-appointments` with a clean environment (no inherited `FLOWS_*`,
/// `DATABASE_URL` or `RUST_LOG`), its data in `data_dir`, on a free port, logging at info.
pub fn appointments_binary(data_dir: &Path) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_flows-appointments"));
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy().into_owned();
        if name.starts_with("FLOWS_") || name == "DATABASE_URL" || name == "RUST_LOG" {
            command.env_remove(name);
        }
    }
    command
        .env("FLOWS_DATA_DIR", data_dir)
        .env("FLOWS_LISTEN", "127.0.0.1:0")
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    command
}
