//! Shared test set-up: databases (a fresh PostgreSQL database per test, dropped afterwards; SQLite
//! in a temp dir), the in-process endpoint, simulated phones (flows-simulator) and the walks they
//! take, raw requests for what no phone sends, the contract check on every step.
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

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use flows_appointments::date::Date;
use flows_appointments::store::{
    BookingOutcome, Choice, DepartmentId, LocationId, NewBooking, SeatId, SeedData, SeedSlot,
    Store, StoreOptions,
};
use flows_appointments::{App, FLOW_JSON, flow};
use flows_json::Flow;
use flows_router::contract::FlowContract;
use flows_router::{Action, Endpoint, FlowRequest, FlowResponse};
use flows_simulator::{
    ExchangeKind, FlowState, Http, InProcess, Open, Simulator, Transcript, Transport, WalkError,
};
use http_body_util::{BodyExt as _, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{Map, Value};
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
    let day = test_date();
    let seats = |ids: &[&str]| -> Vec<(SeatId, String)> {
        ids.iter()
            .map(|s| (SeatId::from(*s), format!("Seat {s}")))
            .collect()
    };
    let slot = |department: &str, time: &str, ids: &[&str]| SeedSlot {
        department: DepartmentId::from(department),
        location: LocationId::from("lisbon"),
        date: day,
        time: time.to_owned(),
        seats: seats(ids),
    };
    SeedData {
        departments: vec![
            (DepartmentId::from("cardio"), "Cardiology".to_owned()),
            (DepartmentId::from("derma"), "Dermatology".to_owned()),
        ],
        locations: vec![(LocationId::from("lisbon"), "Lisbon Centre".to_owned())],
        slots: vec![
            slot("cardio", "09:00", &["A1", "A2", "A3"]),
            slot("cardio", "10:00", &["S1"]),
            slot("cardio", "11:00", &["F1"]),
            slot("derma", "09:00", &["D1"]),
        ],
        booked: vec![(2, SeatId::from("F1"))],
    }
}

/// The day of [`test_data`]'s slots.
pub fn test_date() -> Date {
    Date::today().plus_days(2)
}

/// [`test_date`] as the phone spells it.
pub fn test_day() -> String {
    test_date().to_string()
}

/// The endpoint in this process, with the contract check on: phones reach it without a socket.
pub struct Server {
    pub store: Store,
    pub endpoint: Endpoint,
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
    Server { store, endpoint }
}

/// Checks one reply against flow.json, as the server's own check does (it would have answered 500).
fn assert_fits(contract: &FlowContract, request: &FlowRequest, reply: &Value) {
    let Some(screen) = reply.get("screen").and_then(Value::as_str) else {
        return;
    };
    let response = FlowResponse::next_screen(screen)
        .with_data(&reply["data"])
        .unwrap();
    let violations = contract.check(request, &response);
    assert!(
        violations.is_empty(),
        "reply to {request:?} breaks flow.json: {violations:?}"
    );
}

/// Checks every answered request of a phone's walk against flow.json with the endpoint's contract
/// (the phone checked each reply with its own, the client's, on the way).
pub fn assert_contract(contract: &FlowContract, transcript: &Transcript) {
    for exchange in transcript.exchanges() {
        if exchange.kind == ExchangeKind::ErrorNotification || exchange.status != Some(200) {
            continue;
        }
        let Some(reply) = &exchange.reply else {
            continue;
        };
        let request: FlowRequest = serde_json::from_value(exchange.request.clone()).unwrap();
        assert_fits(contract, &request, reply);
    }
}

/// Checks the answers to raw requests against flow.json.
pub fn assert_raw_contract(contract: &FlowContract, answers: &[RawAnswer]) {
    for answer in answers.iter().filter(|a| a.status == 200) {
        if let Some(reply) = &answer.reply {
            assert_fits(contract, &answer.request, reply);
        }
    }
}

/// The booking flow, as the phones hold it.
pub fn flow_json() -> Flow {
    Flow::from_json(FLOW_JSON).unwrap()
}

/// A simulated WhatsApp client (flows-simulator) on the in-process endpoint.
pub type Phone = Simulator<InProcess>;

/// A simulated phone on the in-process endpoint (no socket), holding the flow in `flow.json`.
pub fn new_phone(server: &Server) -> Phone {
    let transport = InProcess::new(server.endpoint.clone(), public_key());
    Simulator::new(flow_json(), transport).unwrap()
}

/// A simulated phone speaking HTTP (to a built binary, a node, a balancer).
pub type HttpPhone = Simulator<Http>;

/// A simulated phone speaking HTTP to a running server at `url` (its `/flow`), encrypting to `key`.
pub fn http_phone(url: &str, key: PublicKey) -> HttpPhone {
    Simulator::new(flow_json(), http_transport(url, key)).unwrap()
}

pub fn http_transport(url: &str, key: PublicKey) -> Http {
    Http::new(url, key, None).unwrap()
}

/// Opens the flow and walks it as a user would, to SUMMARY, for Cardiology in Lisbon on `day`.
pub async fn walk_to_summary<T: Transport>(
    phone: &mut Simulator<T>,
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

/// A small deterministic random source (xorshift64*): walks differ by seed, and a seed replays.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let x = self.0.wrapping_mul(0x2545_F491_4F6C_DD1D);
        match u64::try_from(n) {
            Ok(n) if n > 0 => usize::try_from(x % n).unwrap_or(0),
            _ => 0,
        }
    }

    /// One of `options`, if there is any.
    pub fn pick(&mut self, options: &[String]) -> Option<String> {
        options.get(self.below(options.len())).cloned()
    }
}

/// The environment variable that replays random walks: the seed a failing run printed.
pub const SEED_VAR: &str = "APPOINTMENTS_WALK_SEED";

/// The first seed of a test's random walks: `APPOINTMENTS_WALK_SEED` when set, else new each run.
/// Printed, so that a failure can be replayed.
pub fn walk_seed() -> u64 {
    let seed = std::env::var(SEED_VAR)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or_else(|| {
            let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
            now.as_secs() ^ u64::from(now.subsec_nanos())
        });
    eprintln!("random walks from seed {seed} (replay: {SEED_VAR}={seed})");
    seed
}

/// What the selection `name` on the current screen lets the user choose: the ids of its enabled
/// options, none when the control is hidden or disabled.
pub fn offered<T: Transport>(phone: &Simulator<T>, name: &str) -> Vec<String> {
    let Some(screen) = phone.screen_detail() else {
        return Vec::new();
    };
    screen
        .components
        .into_iter()
        .filter(|c| c.name.as_deref() == Some(name) && c.enabled)
        .flat_map(|c| c.options)
        .filter(|o| o.enabled)
        .map(|o| o.id)
        .collect()
}

/// How a random walk ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Walked {
    /// The flow closed with this booking id.
    Booked(String),
    /// Every choice the screens offered led to no free seat.
    NothingFree,
}

/// A random walk: the phones it took (one per opening of the flow) and how it ended.
pub struct RandomWalk<T> {
    pub seed: u64,
    pub outcome: Walked,
    pub phones: Vec<Simulator<T>>,
}

impl<T: Transport> RandomWalk<T> {
    /// Checks every reply of every phone of the walk against flow.json.
    pub fn assert_contract(&self, contract: &FlowContract) {
        for phone in &self.phones {
            assert_contract(contract, phone.transcript());
        }
    }
}

/// Walks the booking flow as a user choosing at random among what each screen offers (enabled
/// options only, as on the phone), from `seed`. A choice that leads to no free seat is not tried
/// again: the user closes the flow and opens it again (a fresh phone from `open`, same token), so
/// the walk books whenever anything is free. Panics, naming the seed, when the walk goes wrong.
pub async fn random_walk<T: Transport>(
    open: impl Fn() -> Simulator<T>,
    token: &str,
    seed: u64,
) -> RandomWalk<T> {
    let mut rng = Rng::new(seed);
    let mut dead: HashSet<Vec<String>> = HashSet::new();
    let mut phones = Vec::new();
    let outcome = loop {
        let mut phone = open();
        let result = one_opening(&mut phone, token, &mut rng, &mut dead).await;
        let transcript = format!("{:#?}", phone.transcript());
        phones.push(phone);
        match result {
            Ok(Some(outcome)) => break outcome,
            Ok(None) => {}
            Err(error) => panic!("random walk with seed {seed}: {error}\n{transcript}"),
        }
        // Each opening rules out at least one path, so this ends; a bound guards the test itself.
        assert!(
            phones.len() <= 64,
            "random walk with seed {seed}: no end after 64 openings"
        );
    };
    let seats: Vec<_> = phones
        .iter()
        .filter_map(|p| p.transcript().last())
        .filter_map(|e| e.request["data"].get("seat").cloned())
        .collect();
    eprintln!(
        "walk {seed}: {outcome:?} after {} opening(s), last seats tried {seats:?}",
        phones.len()
    );
    RandomWalk {
        seed,
        outcome,
        phones,
    }
}

/// One opening of the flow: `Some` when the walk ended (booked, or nothing left to try), `None`
/// when it reached a dead end (recorded in `dead`) and the flow should be opened again.
async fn one_opening<T: Transport>(
    phone: &mut Simulator<T>,
    token: &str,
    rng: &mut Rng,
    dead: &mut HashSet<Vec<String>>,
) -> Result<Option<Walked>, String> {
    // Failures come back as text, so that the caller can name the seed.
    macro_rules! ensure {
        ($ok:expr, $($why:tt)+) => {
            if !$ok {
                return Err(format!($($why)+));
            }
        };
    }
    let text = |e: WalkError| e.to_string();
    phone
        .start(Open::data_exchange(token))
        .await
        .map_err(text)?;
    ensure!(
        phone.screen().id() == "APPOINTMENT",
        "opened on {}",
        phone.screen().id()
    );
    let mut path = Vec::new();
    for field in ["department", "location", "date", "time"] {
        let live: Vec<String> = offered(phone, field)
            .into_iter()
            .filter(|id| !dead.contains(&extended(&path, id)))
            .collect();
        let Some(choice) = rng.pick(&live) else {
            if path.is_empty() {
                return Ok(Some(Walked::NothingFree));
            }
            dead.insert(path);
            return Ok(None);
        };
        phone.set(field, choice.as_str()).await.map_err(text)?;
        path.push(choice);
    }
    phone.tap("Choose a seat").await.map_err(text)?;
    // Full meanwhile: the snackbar on APPOINTMENT.
    if phone.screen().id() != "SEATS" {
        dead.insert(path);
        return Ok(None);
    }
    let more_details = rng.below(2) == 0;
    // A seat can be taken by someone else between the list and the booking: choose again.
    for _ in 0..8 {
        let Some(seat) = rng.pick(&offered(phone, "seat")) else {
            break;
        };
        phone.set("seat", seat.as_str()).await.map_err(text)?;
        phone.tap("Continue").await.map_err(text)?;
        if phone.screen().id() == "SEATS" {
            continue;
        }
        ensure!(
            phone.screen().id() == "DETAILS",
            "Continue led to {} ({:?})",
            phone.screen().id(),
            phone.snackbar()
        );
        for (field, value) in [
            ("name", "Ana Silva"),
            ("email", "ana@example.com"),
            ("phone", "+351 912 345 678"),
        ] {
            phone.set(field, value).await.map_err(text)?;
        }
        if more_details {
            phone
                .set("more_details", "Window seat, please")
                .await
                .map_err(text)?;
        }
        phone.tap("Review").await.map_err(text)?;
        if phone.screen().id() == "SEATS" {
            continue;
        }
        ensure!(
            phone.screen().id() == "SUMMARY",
            "Review led to {} ({:?})",
            phone.screen().id(),
            phone.snackbar()
        );
        phone.tap("Book").await.map_err(text)?;
        if let FlowState::Completed { params, .. } = phone.state() {
            let params = params.clone().unwrap_or_default();
            let id = params
                .get("booking_id")
                .and_then(Value::as_str)
                .unwrap_or_default();
            ensure!(
                params.get("flow_token").and_then(Value::as_str) == Some(token)
                    && id.starts_with("BK-"),
                "completion params {params:?}"
            );
            return Ok(Some(Walked::Booked(id.to_owned())));
        }
        ensure!(
            phone.screen().id() == "SEATS",
            "Book led to {:?} on {}",
            phone.state(),
            phone.screen().id()
        );
    }
    dead.insert(path);
    Ok(None)
}

fn extended(path: &[String], id: &str) -> Vec<String> {
    let mut longer = path.to_vec();
    longer.push(id.to_owned());
    longer
}

/// A request as no phone would send it (malformed data, no flow token, a replay), built with
/// flows-router's [`FlowRequest`].
pub fn raw_request(
    action: Action,
    screen: Option<&str>,
    data: Value,
    flow_token: Option<&str>,
) -> FlowRequest {
    let mut request = FlowRequest::new(action);
    request.screen = screen.map(str::to_owned);
    request.data = match data {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    request.flow_token = flow_token.map(str::to_owned);
    request
}

/// What the endpoint answered to a raw request: the status and, when the body is an encrypted
/// reply (200, and 427 unless plain JSON was asked for), the decrypted JSON.
#[derive(Clone, Debug)]
pub struct RawAnswer {
    pub request: FlowRequest,
    pub status: u16,
    pub reply: Option<Value>,
}

impl RawAnswer {
    pub fn screen(&self) -> Option<&str> {
        self.reply.as_ref()?.get("screen")?.as_str()
    }

    pub fn data(&self) -> &Value {
        self.reply
            .as_ref()
            .and_then(|r| r.get("data"))
            .unwrap_or(&Value::Null)
    }
}

/// Sends a [`FlowRequest`] encrypted with the crypto crate's client through a simulator transport
/// (the phone's own way to the endpoint), and decrypts the answer.
pub async fn send_raw<T: Transport>(transport: &T, request: FlowRequest) -> RawAnswer {
    let (body, pending) = transport
        .public_key()
        .encrypt_request_json(&request)
        .unwrap()
        .into_parts();
    let mut headers = http::HeaderMap::new();
    headers.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    let answer = transport.post(headers, Bytes::from(body)).await.unwrap();
    let encrypted = !answer.body.starts_with(b"{");
    let reply = match answer.status {
        200 | 427 if encrypted => {
            Some(serde_json::from_str(&pending.decrypt(&answer.body).unwrap()).unwrap())
        }
        427 => Some(serde_json::from_slice(&answer.body).unwrap()),
        _ => None,
    };
    RawAnswer {
        request,
        status: answer.status,
        reply,
    }
}

/// The in-process transport to `server`, for raw requests.
pub fn in_process(server: &Server) -> InProcess {
    InProcess::new(server.endpoint.clone(), public_key())
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

/// A GET with hyper's client, as the operator's probes send it: the status and the body.
pub async fn http_get(addr: SocketAddr, path: &str) -> (u16, String) {
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    let uri = format!("http://{addr}{path}").parse().unwrap();
    let response = client.get(uri).await.unwrap();
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(body.to_vec()).unwrap())
}
