//! PostgreSQL outage and recovery: the store reaches PostgreSQL through a TCP proxy the test
//! controls, simulated phones reach the endpoint. Cut (connections reset, new ones refused) or
//! black-holed (connections hang): requests answer HTTP 500 within about a second, never hang (a
//! phone that waits 1.5 s gets the 500, not its timeout); restored: requests succeed again by
//! themselves, and a booking refused during the outage goes through when the user taps again.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::print_stderr,
    clippy::indexing_slicing
)] // test helpers

mod common;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{
    PgDb, Phone, new_phone, postgres_available, server, test_data, test_day, walk_to_summary,
};
use flows_appointments::store::{Store, StoreOptions};
use flows_simulator::{Open, WalkError};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Forward,
    /// Existing connections are reset, new ones closed at once.
    Cut,
    /// Existing connections stop moving bytes, new ones are accepted and never answered.
    Blackhole,
}

struct Proxy {
    addr: SocketAddr,
    mode: watch::Sender<Mode>,
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Proxy {
    async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (mode, watch) = watch::channel(Mode::Forward);
        let tasks = Arc::new(Mutex::new(Vec::new()));
        let accepted = tasks.clone();
        let acceptor = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let mut watch = watch.clone();
                let task = tokio::spawn(async move {
                    let mode = *watch.borrow_and_update();
                    match mode {
                        Mode::Cut => return,
                        Mode::Blackhole => {
                            let _ = watch.changed().await;
                            return;
                        }
                        Mode::Forward => {}
                    }
                    let Ok(mut server) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    let mut client = client;
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = watch.changed() => {
                            let mode = *watch.borrow_and_update();
                            if mode == Mode::Blackhole {
                                // Hold both ends silently until the next change, then drop them.
                                let _ = watch.changed().await;
                            }
                        }
                    }
                });
                accepted.lock().unwrap().push(task);
            }
        });
        tasks.lock().unwrap().push(acceptor);
        Self { addr, mode, tasks }
    }

    fn set(&self, mode: Mode) {
        self.mode.send_replace(mode);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        for task in self.tasks.lock().unwrap().drain(..) {
            task.abort();
        }
    }
}

/// Longer than an answer during an outage may take, shorter than a hang.
const PATIENCE: Duration = Duration::from_millis(1500);

/// A phone on APPOINTMENT with the whole slot chosen, waiting [`PATIENCE`] for each answer.
async fn probing_phone(server: &common::Server, token: &str) -> Phone {
    let mut phone = new_phone(server);
    phone.set_timeout(PATIENCE);
    phone.start(Open::data_exchange(token)).await.unwrap();
    for (field, value) in [
        ("department", "cardio"),
        ("location", "lisbon"),
        ("date", test_day().as_str()),
        ("time", "09:00"),
    ] {
        phone.set(field, value).await.unwrap();
    }
    phone
}

/// One request that must read the database: the slot's free seats. On APPOINTMENT the phone asks
/// for SEATS; on SEATS it goes back (`refresh_on_back`: availability read again). Tokens and lists
/// may come from the store's short caches; availability does not, with its cache off. Answers the
/// HTTP status, or the phone's error when there was none (a hang is a timeout).
async fn probe(phone: &mut Phone) -> Result<u16, WalkError> {
    let result = if phone.screen().id() == "SEATS" {
        phone.back().await
    } else {
        phone.tap("Choose a seat").await
    };
    match result {
        Ok(()) => Ok(phone.last_status().unwrap()),
        Err(error) => error.status().ok_or(error),
    }
}

async fn until_ok(phone: &mut Phone) -> Duration {
    let started = Instant::now();
    loop {
        if probe(phone).await == Ok(200) {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "no recovery after 15 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_outage_answers_500_fast_and_recovers() {
    if !postgres_available().await {
        return;
    }
    let db = PgDb::create().await;
    let proxy = Proxy::start(SocketAddr::from(([127, 0, 0, 1], 5432))).await;
    // Availability read on every request, so each probe below must reach the database.
    let mut options = StoreOptions::new(Some(db.url_via(proxy.addr)), std::env::temp_dir());
    options.availability_ttl = Duration::ZERO;
    let store = Store::open(&options).await.unwrap();
    store.add(&test_data()).await.unwrap();
    let mut tokens = Vec::new();
    for _ in 0..5 {
        tokens.push(store.issue_token(Duration::from_secs(600)).await.unwrap().0);
    }
    let server = server(store, false).await;

    tokio::time::timeout(Duration::from_secs(90), async {
        let mut phone = probing_phone(&server, &tokens[0]).await;
        assert_eq!(probe(&mut phone).await, Ok(200));
        // Warm the pool with a few parallel users, so broken pooled connections are exercised.
        let mut warm = Vec::new();
        for _ in 0..4 {
            let mut other = probing_phone(&server, &tokens[0]).await;
            warm.push(tokio::spawn(async move { probe(&mut other).await }));
        }
        for task in warm {
            assert_eq!(task.await.unwrap(), Ok(200));
        }
        // Users about to book, one per outage.
        let mut booking = Vec::new();
        for (token, seat) in [(&tokens[1], "A1"), (&tokens[2], "A2")] {
            let mut user = new_phone(&server);
            user.set_timeout(PATIENCE);
            walk_to_summary(&mut user, token.clone(), &test_day(), "09:00", seat, "Ana").await;
            booking.push(user);
        }

        for (n, mode) in [Mode::Cut, Mode::Blackhole].into_iter().enumerate() {
            eprintln!("--- {mode:?}");
            proxy.set(mode);
            for _ in 0..3 {
                assert_eq!(probe(&mut phone).await, Ok(500), "{mode:?}");
            }
            // A token not seen before: its check cannot reach the database, the handler fails
            // fast, and the phone shows its error screen.
            let mut fresh = new_phone(&server);
            fresh.set_timeout(PATIENCE);
            let error = fresh
                .start(Open::data_exchange(tokens[3 + n].clone()))
                .await
                .unwrap_err();
            assert_eq!(error.status(), Some(500), "{mode:?}: {error}");
            // A booking attempt during the outage fails cleanly too: a snackbar on SUMMARY.
            let user = &mut booking[n];
            let error = user.tap("Book").await.unwrap_err();
            assert_eq!(error.status(), Some(500), "{mode:?}: {error}");
            assert_eq!(user.screen().id(), "SUMMARY");
            assert!(user.snackbar().is_some());

            proxy.set(Mode::Forward);
            let took = until_ok(&mut phone).await;
            eprintln!("recovered after {took:?}");
            // And stays up.
            for _ in 0..5 {
                assert_eq!(probe(&mut phone).await, Ok(200), "{mode:?}");
            }
            // The user taps Book again: booked.
            user.tap("Book").await.unwrap();
            assert!(user.completion().is_some(), "{mode:?}: {:?}", user.state());
        }
        assert_eq!(server.store.booking_count().await.unwrap(), 1 + 2);
        // The metrics saw the 500s, as an operator would.
        assert!(
            server
                .endpoint
                .metrics()
                .render_prometheus()
                .contains("status=\"500\"")
        );
    })
    .await
    .unwrap();
}
