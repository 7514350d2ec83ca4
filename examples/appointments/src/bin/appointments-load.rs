//! `appointments-load`: simulated users walking the whole booking flow against a running
//! `flows-appointments`, for the performance figures (feature `loadgen`).
//!
//! Before the clock starts it adds a load catalog to the database (distinct seats, so walks never
//! collide), issues one flow token per walk, and encrypts every request of every walk, as WhatsApp
//! would send them (one fresh AES key, so one RSA operation at the endpoint, per request). Then
//! `--users` tasks, each on its own keep-alive connection, take walks from a queue and send their
//! eight requests in order (INIT, department, location, date, submit, seat, details, book),
//! checking each reply's screen. Use a fresh database per run: the seats are the same each time.
//! `--mode sample` sends the sample flow's request to `flows-hyper-server` instead (the baseline the
//! issue names), and `--mode ping` health checks (the cheapest request of any endpoint).
//!
//! ```text
//! appointments-load --addr 127.0.0.1:3000 --public-key key.pem --database-url postgres://... --users 16 --walks 1200
//! appointments-load --addr 127.0.0.1:3001 --public-key key.pem --mode sample --users 16 --requests 9600
//! ```
#![allow(clippy::print_stdout, clippy::print_stderr)] // a command-line report

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use flows_appointments::date::Date;
use flows_appointments::sim::{Client, request};
use flows_appointments::store::{SeedData, SeedSlot, Store, StoreOptions};
use serde_json::{Value, json};
use whatsapp_flows_crypto::{PendingResponse, PrivateKey, PublicKey};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Mode {
    /// Whole booking walks (needs --database-url to seed seats and issue tokens).
    Walk,
    /// The sample flow's request (`data_exchange` from `APPOINTMENT`, a department chosen), as the
    /// hyper sample server's load test sends it: that server's rate is the baseline.
    Sample,
    /// Health checks only: the cheapest request any endpoint serves.
    Ping,
}

/// Simulated WhatsApp users against a running endpoint.
#[derive(Parser)]
struct Args {
    /// The endpoint's address (POST /flow).
    #[arg(long)]
    addr: SocketAddr,
    /// The endpoint's public key (or private key) PEM.
    #[arg(long)]
    public_key: PathBuf,
    /// The endpoint's database, to add the load catalog and issue tokens (walk mode).
    #[arg(long, env = "DATABASE_URL")]
    database_url: Option<String>,
    /// What to send.
    #[arg(long, value_enum, default_value = "walk")]
    mode: Mode,
    /// Concurrent users (connections).
    #[arg(long, default_value_t = 16)]
    users: usize,
    /// Walks in total (walk mode).
    #[arg(long, default_value_t = 800)]
    walks: usize,
    /// Requests in total (sample and ping modes).
    #[arg(long, default_value_t = 8000)]
    requests: usize,
}

/// One walk's requests, each with the screen its reply must show.
type Walk = Vec<(Value, Option<&'static str>)>;

/// One prepared request: encrypted body, reply key, and the screen the reply must show.
struct Prepared {
    body: String,
    pending: PendingResponse,
    expect: Option<&'static str>,
}

#[derive(Default)]
struct Totals {
    requests: usize,
    walks: usize,
    errors: Vec<String>,
    latencies: Vec<Duration>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("appointments-load: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("appointments-load: {error}");
            ExitCode::FAILURE
        }
    }
}

fn load_key(path: &PathBuf) -> Result<PublicKey, String> {
    let pem = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    PublicKey::from_pem(&pem)
        .or_else(|_| PrivateKey::from_pem(&pem, None).map(|k| k.public_key().clone()))
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// The load catalog: 3 departments x 2 locations x 5 days x 8 times, 40 seats each (9600 seats),
/// and the (choice, seat) of every seat.
fn catalog() -> (SeedData, Vec<(Value, String)>) {
    let mut data = SeedData::default();
    let mut seats = Vec::new();
    for d in 0..3 {
        data.departments
            .push((format!("load-d{d}"), format!("Load department {d}")));
    }
    for l in 0..2 {
        data.locations
            .push((format!("load-l{l}"), format!("Load location {l}")));
    }
    let today = Date::today();
    for d in 0..3 {
        for l in 0..2 {
            for day in 1..=5 {
                for hour in 8..16 {
                    let slot = SeedSlot {
                        department: format!("load-d{d}"),
                        location: format!("load-l{l}"),
                        date: today.plus_days(day).to_string(),
                        time: format!("{hour:02}:00"),
                        seats: (1..=40)
                            .map(|s| (format!("L{s}"), format!("Seat L{s}")))
                            .collect(),
                    };
                    for (seat, _) in &slot.seats {
                        seats.push((
                            json!({"department": slot.department, "location": slot.location,
                                   "date": slot.date, "time": slot.time}),
                            seat.clone(),
                        ));
                    }
                    data.slots.push(slot);
                }
            }
        }
    }
    (data, seats)
}

fn with(base: &Value, extra: &[(&str, Value)]) -> Value {
    let mut value = base.clone();
    if let Some(map) = value.as_object_mut() {
        for (key, v) in extra {
            map.insert((*key).to_owned(), v.clone());
        }
    }
    value
}

/// The eight requests of one walk, and the screen each reply must show.
fn walk_requests(token: &str, choice: &Value, seat: &str) -> Vec<(Value, &'static str)> {
    let pick = |keys: &[&str]| -> Value {
        Value::Object(
            keys.iter()
                .filter_map(|k| Some(((*k).to_owned(), choice.get(*k)?.clone())))
                .collect(),
        )
    };
    let seat_data = with(choice, &[("seat", json!(seat))]);
    let person = with(
        &seat_data,
        &[
            ("name", json!("Load Test")),
            ("email", json!("load@example.com")),
            ("phone", json!("+351 912 345 678")),
            ("more_details", json!("")),
        ],
    );
    let t = Some(token);
    vec![
        (request("INIT", None, json!({}), t), "APPOINTMENT"),
        (
            request(
                "data_exchange",
                Some("APPOINTMENT"),
                pick(&["department"]),
                t,
            ),
            "APPOINTMENT",
        ),
        (
            request(
                "data_exchange",
                Some("APPOINTMENT"),
                pick(&["department", "location"]),
                t,
            ),
            "APPOINTMENT",
        ),
        (
            request(
                "data_exchange",
                Some("APPOINTMENT"),
                pick(&["department", "location", "date"]),
                t,
            ),
            "APPOINTMENT",
        ),
        (
            request(
                "data_exchange",
                Some("APPOINTMENT"),
                with(choice, &[("trigger", json!("submit"))]),
                t,
            ),
            "SEATS",
        ),
        (
            request("data_exchange", Some("SEATS"), seat_data, t),
            "DETAILS",
        ),
        (
            request("data_exchange", Some("DETAILS"), person.clone(), t),
            "SUMMARY",
        ),
        (
            request("data_exchange", Some("SUMMARY"), person, t),
            "SUCCESS",
        ),
    ]
}

/// Encrypts on every core.
fn encrypt_all(key: &PublicKey, walks: Vec<Walk>) -> Result<Vec<Vec<Prepared>>, String> {
    let threads = std::thread::available_parallelism().map_or(2, usize::from);
    let chunk = walks.len().div_ceil(threads).max(1);
    let mut chunks: Vec<Vec<Walk>> = Vec::new();
    let mut walks = walks.into_iter().peekable();
    while walks.peek().is_some() {
        chunks.push(walks.by_ref().take(chunk).collect());
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| {
                scope.spawn(move || {
                    chunk
                        .into_iter()
                        .map(|walk| {
                            walk.into_iter()
                                .map(|(req, expect)| {
                                    let (body, pending) = key
                                        .encrypt_request_json(&req)
                                        .map_err(|e| e.to_string())?
                                        .into_parts();
                                    Ok(Prepared {
                                        body,
                                        pending,
                                        expect,
                                    })
                                })
                                .collect::<Result<Vec<_>, String>>()
                        })
                        .collect::<Result<Vec<_>, String>>()
                })
            })
            .collect();
        let mut all = Vec::new();
        for handle in handles {
            all.extend(
                handle
                    .join()
                    .map_err(|_| "encryption thread panicked".to_owned())??,
            );
        }
        Ok(all)
    })
}

async fn run(args: Args) -> Result<bool, String> {
    let key = load_key(&args.public_key)?;
    let walks: Vec<Walk> = match args.mode {
        Mode::Ping => (0..args.requests)
            .map(|_| vec![(json!({"version": "3.0", "action": "ping"}), None)])
            .collect(),
        Mode::Sample => (0..args.requests)
            .map(|i| {
                let data = json!({"trigger": "department_selected", "department": "beauty"});
                let token = format!("load-{i}");
                vec![(
                    request("data_exchange", Some("APPOINTMENT"), data, Some(&token)),
                    Some("APPOINTMENT"),
                )]
            })
            .collect(),
        Mode::Walk => {
            let url = args
                .database_url
                .clone()
                .ok_or("walk mode needs --database-url (or DATABASE_URL)")?;
            let store = Store::open(&StoreOptions::new(Some(url), std::env::temp_dir()))
                .await
                .map_err(|e| e.to_string())?;
            let (data, seats) = catalog();
            store.add(&data).await.map_err(|e| e.to_string())?;
            if args.walks > seats.len() {
                return Err(format!("at most {} walks per catalog", seats.len()));
            }
            let mut walks = Vec::with_capacity(args.walks);
            for i in 0..args.walks {
                let (choice, seat) = seats.get((i * 7919) % seats.len()).ok_or("no seat")?;
                let (token, _) = store
                    .issue_token(Duration::from_secs(3600))
                    .await
                    .map_err(|e| e.to_string())?;
                walks.push(
                    walk_requests(&token, choice, seat)
                        .into_iter()
                        .map(|(r, e)| (r, Some(e)))
                        .collect(),
                );
            }
            store.close().await;
            walks
        }
    };
    let total_walks = walks.len();
    eprintln!(
        "encrypting {} requests ...",
        walks.iter().map(Vec::len).sum::<usize>()
    );
    let prepared = encrypt_all(&key, walks)?;
    let queue = Arc::new(Mutex::new(prepared.into_iter()));
    let totals = Arc::new(Mutex::new(Totals::default()));
    let in_flight = Arc::new(AtomicUsize::new(0));
    eprintln!("sending with {} users ...", args.users);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..args.users.max(1) {
        let (queue, totals, in_flight) = (queue.clone(), totals.clone(), in_flight.clone());
        let mut client = Client::new(args.addr, key.clone());
        tasks.push(tokio::spawn(async move {
            let mut local = Totals::default();
            loop {
                let next = queue.lock().ok().and_then(|mut q| q.next());
                let Some(walk) = next else { break };
                in_flight.fetch_add(1, Ordering::Relaxed);
                let mut ok = true;
                for prepared in walk {
                    let sent = Instant::now();
                    let answer = client
                        .send_encrypted(&prepared.body, prepared.pending)
                        .await;
                    local.latencies.push(sent.elapsed());
                    local.requests += 1;
                    let screen = match &answer {
                        Ok(a) if a.status == 200 => a.screen().map(str::to_owned),
                        Ok(a) => {
                            local.errors.push(format!("HTTP {}", a.status));
                            ok = false;
                            break;
                        }
                        Err(e) => {
                            local.errors.push(e.to_string());
                            ok = false;
                            break;
                        }
                    };
                    if screen.as_deref() != prepared.expect {
                        let message = answer
                            .ok()
                            .and_then(|a| a.data().get("error_message").cloned())
                            .unwrap_or_default();
                        local.errors.push(format!(
                            "expected {:?}, got {screen:?} {message}",
                            prepared.expect
                        ));
                        ok = false;
                        break;
                    }
                }
                if ok {
                    local.walks += 1;
                }
            }
            if let Ok(mut totals) = totals.lock() {
                totals.requests += local.requests;
                totals.walks += local.walks;
                totals.errors.append(&mut local.errors);
                totals.latencies.append(&mut local.latencies);
            }
        }));
    }
    for task in tasks {
        task.await.map_err(|e| e.to_string())?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let mut totals = std::mem::take(&mut *totals.lock().map_err(|e| e.to_string())?);
    totals.latencies.sort_unstable();
    let pct = |p: f64| -> f64 {
        let n = totals.latencies.len();
        if n == 0 {
            return 0.0;
        }
        // p in 0..=1; index within bounds.
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss
        )]
        let i = ((n as f64 - 1.0) * p).round() as usize;
        totals
            .latencies
            .get(i.min(n - 1))
            .map_or(0.0, |d| d.as_secs_f64() * 1e3)
    };
    #[allow(clippy::cast_precision_loss)]
    let (requests, walks) = (totals.requests as f64, totals.walks as f64);
    println!("mode: {:?}, users: {}", args.mode, args.users);
    println!("elapsed: {elapsed:.2} s");
    println!(
        "requests: {} ({:.1}/s)",
        totals.requests,
        requests / elapsed
    );
    if args.mode == Mode::Walk {
        println!(
            "completed bookings: {} of {total_walks} ({:.1}/s)",
            totals.walks,
            walks / elapsed
        );
    }
    println!(
        "latency: p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms",
        pct(0.5),
        pct(0.9),
        pct(0.99)
    );
    println!("errors: {}", totals.errors.len());
    for error in totals.errors.iter().take(5) {
        println!("  {error}");
    }
    Ok(totals.errors.is_empty())
}
