//! PostgreSQL outage and recovery: the store reaches PostgreSQL through a TCP proxy the test
//! controls. Cut (connections reset, new ones refused) or black-holed (connections hang): requests
//! answer HTTP 500 within about a second, never hang; restored: requests succeed again by themselves.
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

use common::{PgDb, postgres_available, public_key, server, test_data, test_day};
use flows_appointments::sim::{Client, request};
use flows_appointments::store::{Store, StoreOptions};
use serde_json::json;
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

/// A request that must read the database: the times of a day, with their free seats (departments,
/// locations and dates may come from the store's short cache; availability does not, with the
/// store's availability cache off).
async fn probe(client: &mut Client, token: &str) -> (u16, Duration) {
    let started = Instant::now();
    let data = json!({"department": "cardio", "location": "lisbon", "date": test_day()});
    let answer = client
        .send(&request(
            "data_exchange",
            Some("APPOINTMENT"),
            data,
            Some(token),
        ))
        .await
        .unwrap();
    (answer.status, started.elapsed())
}

async fn until_ok(client: &mut Client, token: &str) -> Duration {
    let started = Instant::now();
    loop {
        let (status, _) = probe(client, token).await;
        if status == 200 {
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
    let (token, _) = store.issue_token(Duration::from_secs(600)).await.unwrap();
    let mut fresh_tokens = Vec::new();
    for _ in 0..2 {
        fresh_tokens.push(store.issue_token(Duration::from_secs(600)).await.unwrap().0);
    }
    let server = server(store, false).await;
    let mut client = Client::new(server.addr, public_key());

    tokio::time::timeout(Duration::from_secs(90), async {
        // Warm the pool with a few parallel requests, so broken pooled connections are exercised.
        assert_eq!(probe(&mut client, &token).await.0, 200);
        let mut warm = Vec::new();
        for _ in 0..4 {
            let (addr, token) = (server.addr, token.clone());
            warm.push(tokio::spawn(async move {
                let mut client = Client::new(addr, public_key());
                probe(&mut client, &token).await.0
            }));
        }
        for task in warm {
            assert_eq!(task.await.unwrap(), 200);
        }

        for mode in [Mode::Cut, Mode::Blackhole] {
            eprintln!("--- {mode:?}");
            proxy.set(mode);
            for _ in 0..3 {
                let (status, took) = probe(&mut client, &token).await;
                assert_eq!(status, 500, "{mode:?}");
                assert!(took < Duration::from_millis(1500), "{mode:?}: 500 after {took:?}");
            }
            // A token not seen before: its check cannot reach the database, the handler fails fast.
            let fresh = &fresh_tokens[usize::from(mode == Mode::Blackhole)];
            let started = Instant::now();
            let answer = client
                .send(&request("INIT", None, json!({}), Some(fresh)))
                .await
                .unwrap();
            assert_eq!(answer.status, 500, "{mode:?}");
            assert!(started.elapsed() < Duration::from_millis(1500), "{mode:?}: {:?}", started.elapsed());
            // A booking attempt during the outage fails cleanly too.
            let day = test_day();
            let summary = request(
                "data_exchange",
                Some("SUMMARY"),
                json!({"department": "cardio", "location": "lisbon", "date": day, "time": "09:00", "seat": "A1",
                       "name": "Ana", "email": "ana@example.com", "phone": "+351 912 345 678", "more_details": ""}),
                Some(&token),
            );
            let started = Instant::now();
            assert_eq!(client.send(&summary).await.unwrap().status, 500);
            assert!(started.elapsed() < Duration::from_millis(1500));

            proxy.set(Mode::Forward);
            let took = until_ok(&mut client, &token).await;
            eprintln!("recovered after {took:?}");
            // And stays up.
            for _ in 0..5 {
                assert_eq!(probe(&mut client, &token).await.0, 200, "{mode:?}");
            }
        }
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
