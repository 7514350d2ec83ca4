//! Scale-out: two `flows-appointments` processes on one PostgreSQL database behind HAProxy
//! (round-robin, so consecutive requests of one walk land on different nodes). PostgreSQL is the
//! only coordination: the booking's UNIQUE constraints decide races, and every node reads a flow
//! token's state from the database.
//!
//! Needs `haproxy` (Debian's package; `.ci/run` installs it) and PostgreSQL; in CI (`CI` set) a
//! missing one fails the test instead of skipping it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr,
    clippy::indexing_slicing
)] // test helpers

mod common;

use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::{
    PgDb, TempDir, http_phone, key_file, postgres_available, public_key, test_day, walk_to_summary,
};
use flows_appointments::store::{SeedData, SeedSlot, Store, StoreOptions};
use flows_simulator::{FlowState, Open};
use serde_json::{Value, json};
use sqlx::Connection as _;
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::Barrier;

/// A simulated phone speaking HTTP to `addr` (a node or the balancer).
fn phone_at(addr: SocketAddr) -> common::HttpPhone {
    http_phone(&format!("http://{addr}/flow"), public_key())
}

/// One `flows-appointments` process.
struct Node {
    child: Child,
    addr: SocketAddr,
}

/// Starts a node on `database_url` with the test key and waits until it listens.
async fn start_node(database_url: &str, data_dir: &Path) -> Node {
    let mut command = common::appointments_binary(data_dir);
    command
        .env("DATABASE_URL", database_url)
        .env("FLOWS_PRIVATE_KEY_FILE", key_file())
        // A debug build decrypting 50 requests at once on two cores: these tests are about
        // bookings, not overload, so no request may be shed.
        .env("FLOWS_QUEUE_TIMEOUT", "60s")
        .arg("--no-seed")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = String::new();
    let addr = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = stderr.next_line().await.unwrap() {
            seen.push_str(&line);
            seen.push('\n');
            if let Some(rest) = line.split("listening on http://").nth(1) {
                return rest.trim_end_matches("/flow").trim().parse().unwrap();
            }
        }
        panic!("node exited before listening:\n{seen}");
    })
    .await
    .expect("node did not start within 60 s");
    // Keep draining stderr so the node never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = stderr.next_line().await {} });
    Node { child, addr }
}

/// A free TCP port on 127.0.0.1 (HAProxy cannot bind port 0 and say which port it got).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// HAProxy in front of the nodes: round-robin per request, health checks every 100 ms on
/// `/health`, and a connection that fails to a dead node is retried on the other one. A request
/// already sent to a node that dies is not retried (POSTs are not idempotent): the client sees the
/// error, as a phone would.
struct Balancer {
    child: Child,
    addr: SocketAddr,
    _dir: TempDir,
}

async fn start_haproxy(nodes: &[&Node]) -> Option<Balancer> {
    if Command::new("haproxy").arg("-v").output().await.is_err() {
        assert!(
            std::env::var_os("CI").is_none(),
            "haproxy is not installed (Debian package haproxy)"
        );
        eprintln!("SKIPPED: haproxy is not installed");
        return None;
    }
    let dir = TempDir::new();
    let addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let servers: String = nodes
        .iter()
        .enumerate()
        .map(|(n, node)| {
            format!(
                "    server node{n} {} check inter 100ms fall 1 rise 2\n",
                node.addr
            )
        })
        .collect();
    let config = format!(
        "global\n    maxconn 2000\n\
         defaults\n    mode http\n    timeout connect 1s\n    timeout client 60s\n    timeout server 60s\n\
         \x20   option redispatch\n    retries 3\n    retry-on conn-failure\n\
         frontend flows\n    bind {addr}\n    default_backend nodes\n\
         backend nodes\n    balance roundrobin\n    option httpchk GET /health\n{servers}"
    );
    let path = dir.0.join("haproxy.cfg");
    std::fs::write(&path, config).unwrap();
    let child = Command::new("haproxy")
        .arg("-db")
        .arg("-f")
        .arg(&path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    // Ready when it accepts connections and a health check has passed on every node.
    tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            if tokio::net::TcpStream::connect(addr).await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("haproxy did not listen within 20 s");
    tokio::time::sleep(Duration::from_millis(500)).await;
    Some(Balancer {
        child,
        addr,
        _dir: dir,
    })
}

/// The database, two nodes on it and HAProxy; `None` (test skipped) without PostgreSQL or HAProxy
/// outside CI.
struct Cluster {
    db: PgDb,
    store: Store,
    nodes: Vec<Node>,
    balancer: Balancer,
    _dirs: Vec<TempDir>,
}

async fn cluster(data: &SeedData) -> Option<Cluster> {
    if !postgres_available().await {
        return None;
    }
    let db = PgDb::create().await;
    let store = Store::open(&StoreOptions::new(Some(db.url()), std::env::temp_dir()))
        .await
        .unwrap();
    store.add(data).await.unwrap();
    let dirs = vec![TempDir::new(), TempDir::new()];
    let mut nodes = Vec::new();
    for dir in &dirs {
        nodes.push(start_node(&db.url(), &dir.0).await);
    }
    let balancer = start_haproxy(&nodes.iter().collect::<Vec<_>>()).await?;
    Some(Cluster {
        db,
        store,
        nodes,
        balancer,
        _dirs: dirs,
    })
}

/// Flows endpoint requests a node has answered, from its `/metrics`.
async fn requests_served(node: &Node) -> u64 {
    let (_, text) = common::http_get(node.addr, "/metrics").await;
    text.lines()
        .filter(|line| line.starts_with("flows_requests_total{"))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

/// Bookings per flow token and per (slot, seat), read from the database.
async fn bookings(db: &PgDb) -> Vec<(Option<String>, String, String)> {
    let mut connection = sqlx::PgConnection::connect(&db.url()).await.unwrap();
    sqlx::query_as("SELECT flow_token, slot_id, seat_id FROM bookings ORDER BY booking_id")
        .fetch_all(&mut connection)
        .await
        .unwrap()
}

/// 50 users race for one seat through the balancer: the database lets exactly one book it, and the
/// other 49 are sent back to SEATS, whichever node each request reached.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_users_race_for_one_seat_across_two_nodes() {
    const USERS: usize = 50;
    let Some(cluster) = cluster(&common::test_data()).await else {
        return;
    };
    let barrier = Arc::new(Barrier::new(USERS));
    let mut tasks = Vec::new();
    for n in 0..USERS {
        let (token, _) = cluster
            .store
            .issue_token(Duration::from_secs(600))
            .await
            .unwrap();
        let (addr, barrier) = (cluster.balancer.addr, barrier.clone());
        tasks.push(tokio::spawn(async move {
            let mut phone = phone_at(addr);
            walk_to_summary(
                &mut phone,
                token,
                &test_day(),
                "10:00",
                "S1",
                &format!("User{n}"),
            )
            .await;
            barrier.wait().await;
            phone.tap("Book").await.unwrap();
            phone
        }));
    }
    let (mut booked, mut sent_back) = (0, 0);
    for task in tasks {
        let phone = tokio::time::timeout(Duration::from_secs(180), task)
            .await
            .unwrap()
            .unwrap();
        match phone.state() {
            FlowState::Completed { .. } => booked += 1,
            FlowState::Open if phone.screen().id() == "SEATS" => {
                assert!(phone.snackbar().unwrap().contains("fully booked"));
                sent_back += 1;
            }
            other => panic!("unexpected end: {other:?} on {}", phone.screen().id()),
        }
    }
    assert_eq!((booked, sent_back), (1, USERS - 1));
    // The slot's one seat, plus the booking the test data starts with.
    assert_eq!(cluster.store.booking_count().await.unwrap(), 2);
    // Both nodes answered part of the walks (each walk is 8 requests, round-robin).
    for node in &cluster.nodes {
        let served = requests_served(node).await;
        assert!(
            served >= 100,
            "node {} served only {served} requests",
            node.addr
        );
    }
}

/// A flow token used for a completed booking is refused (427) by the next request, on either node,
/// at once: no node trusts an earlier verdict about it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_used_token_gets_427_on_both_nodes_at_once() {
    let Some(cluster) = cluster(&common::test_data()).await else {
        return;
    };
    let (token, _) = cluster
        .store
        .issue_token(Duration::from_secs(600))
        .await
        .unwrap();
    // The walk goes through the balancer, so both nodes have checked this token while it was valid.
    let mut phone = phone_at(cluster.balancer.addr);
    walk_to_summary(&mut phone, token.clone(), &test_day(), "09:00", "A1", "Ana").await;
    phone.tap("Book").await.unwrap();
    assert!(
        matches!(phone.state(), FlowState::Completed { .. }),
        "{:?}",
        phone.state()
    );
    for node in &cluster.nodes {
        let mut again = phone_at(node.addr);
        let result = again.start(Open::data_exchange(token.clone())).await;
        assert_eq!(
            again.last_status(),
            Some(427),
            "node {}: {result:?} {:?}",
            node.addr,
            again.state()
        );
    }
}

/// Many seats for a load: Cardiology in Lisbon on the test day, 10 times with 12 seats each.
fn roomy_data() -> SeedData {
    let mut data = common::test_data();
    data.slots = (8..18)
        .map(|hour| SeedSlot {
            department: "cardio".into(),
            location: "lisbon".into(),
            date: common::test_date(),
            time: format!("{hour:02}:00"),
            seats: (1..=12)
                .map(|n| (format!("R{n}").into(), format!("Seat R{n}")))
                .collect(),
        })
        .collect();
    data.booked = Vec::new();
    data
}

/// How one user's walk ended.
#[derive(Debug)]
enum Walk {
    /// SUCCESS: the booking the phone was told about.
    Booked { token: String, seat: String },
    /// The walk failed where the user sees it (an HTTP error or a broken connection).
    Failed { token: String, why: String },
}

/// One walk through the balancer: picks the first time with a free seat and the first free seat,
/// and chooses again when another user took it first.
async fn one_walk(addr: SocketAddr, token: String, user: usize) -> Walk {
    let failed = |token: &str, why: String| Walk::Failed {
        token: token.to_owned(),
        why,
    };
    let mut phone = phone_at(addr);
    let mut step = async || -> Result<Walk, String> {
        phone
            .start(Open::data_exchange(token.clone()))
            .await
            .map_err(|e| e.to_string())?;
        for (field, value) in [
            ("department", "cardio"),
            ("location", "lisbon"),
            ("date", &test_day()),
        ] {
            phone
                .set(field, value.to_owned())
                .await
                .map_err(|e| e.to_string())?;
        }
        let times: Vec<String> = phone.screen().data()["time"]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(|t| t["id"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        let time = times
            .get(user % times.len().max(1))
            .cloned()
            .ok_or("no times offered")?;
        phone
            .set("time", time.clone())
            .await
            .map_err(|e| e.to_string())?;
        phone
            .tap("Choose a seat")
            .await
            .map_err(|e| e.to_string())?;
        for _attempt in 0..20 {
            let seat = phone.screen().data()["seats"][0]["id"]
                .as_str()
                .ok_or("no seat left")?
                .to_owned();
            phone
                .set("seat", seat.clone())
                .await
                .map_err(|e| e.to_string())?;
            phone.tap("Continue").await.map_err(|e| e.to_string())?;
            if phone.screen().id() == "DETAILS" {
                for (field, value) in [
                    ("name", format!("User{user}")),
                    ("email", format!("user{user}@example.com")),
                    ("phone", "+351 912 000 001".to_owned()),
                ] {
                    phone.set(field, value).await.map_err(|e| e.to_string())?;
                }
                phone.tap("Review").await.map_err(|e| e.to_string())?;
                phone.tap("Book").await.map_err(|e| e.to_string())?;
            }
            match phone.state() {
                FlowState::Completed { .. } => {
                    return Ok(Walk::Booked {
                        token: token.clone(),
                        seat,
                    });
                }
                FlowState::Open if phone.screen().id() == "SEATS" => {}
                other => return Err(format!("{other:?} on {}", phone.screen().id())),
            }
        }
        Err("still no seat after 20 tries".to_owned())
    };
    match step().await {
        Ok(walk) => walk,
        Err(why) => failed(&token, why),
    }
}

/// A node killed in the middle of a 16-user walk load: HAProxy sends the traffic to the other node;
/// every walk completes with exactly one booking or fails where the user sees it; afterwards the
/// database holds exactly one booking per completed walk and none twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_a_node_mid_load_loses_and_doubles_no_booking() {
    const USERS: usize = 16;
    const WALKS_PER_USER: usize = 6;
    let Some(mut cluster) = cluster(&roomy_data()).await else {
        return;
    };
    let mut tokens = Vec::new();
    for _ in 0..USERS * WALKS_PER_USER {
        tokens.push(
            cluster
                .store
                .issue_token(Duration::from_secs(600))
                .await
                .unwrap()
                .0,
        );
    }
    let addr = cluster.balancer.addr;
    let finished = Arc::new(AtomicUsize::new(0));
    let mut users = Vec::new();
    for (user, tokens) in tokens
        .chunks(WALKS_PER_USER)
        .map(<[String]>::to_vec)
        .enumerate()
    {
        let finished = finished.clone();
        users.push(tokio::spawn(async move {
            let mut walks = Vec::new();
            for token in tokens {
                walks.push(one_walk(addr, token, user).await);
                finished.fetch_add(1, Ordering::SeqCst);
            }
            walks
        }));
    }
    // When a quarter of the walks are done (so walks are in flight on both nodes), kill the
    // second node without warning.
    let killed = cluster.nodes[1].addr;
    while finished.load(Ordering::SeqCst) < USERS * WALKS_PER_USER / 4 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let served_before_kill = requests_served(&cluster.nodes[1]).await;
    cluster.nodes[1].child.start_kill().unwrap();
    let finished_at_kill = finished.load(Ordering::SeqCst);
    assert!(served_before_kill > 0, "the killed node served nothing");
    let mut walks = Vec::new();
    for user in users {
        walks.extend(
            tokio::time::timeout(Duration::from_secs(300), user)
                .await
                .unwrap()
                .unwrap(),
        );
    }
    let rows = bookings(&cluster.db).await;
    let mut by_token: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for (token, slot, seat) in &rows {
        if let Some(token) = token {
            by_token
                .entry(token.clone())
                .or_default()
                .push((slot.clone(), seat.clone()));
        }
    }
    let (mut completed, mut failed) = (0, 0);
    for walk in &walks {
        match walk {
            Walk::Booked { token, seat, .. } => {
                completed += 1;
                let booked = by_token.get(token).map(Vec::as_slice).unwrap_or_default();
                assert_eq!(booked.len(), 1, "completed walk {token}: {booked:?}");
                assert_eq!(&booked[0].1, seat, "completed walk {token}");
            }
            Walk::Failed { token, why } => {
                failed += 1;
                eprintln!("walk failed visibly: {why}");
                // A booking the user was not told about (the node died after committing) is at
                // most one: the token books once.
                assert!(by_token.get(token).map_or(0, Vec::len) <= 1);
            }
        }
    }
    eprintln!(
        "{completed} walks booked, {failed} failed visibly; node {killed} killed after \
         {finished_at_kill} walks and {served_before_kill} requests; {} bookings",
        rows.len()
    );
    assert!(
        finished_at_kill < walks.len(),
        "the load ended before the kill"
    );
    assert_eq!(walks.len(), USERS * WALKS_PER_USER);
    // Every booking belongs to one walk's token, and no seat is booked twice (the UNIQUE
    // constraint; counted again here).
    assert!(by_token.values().all(|b| b.len() == 1));
    let mut seats: Vec<_> = rows.iter().map(|(_, slot, seat)| (slot, seat)).collect();
    seats.sort();
    seats.dedup();
    assert_eq!(seats.len(), rows.len());
    // The load went on after the kill: most walks completed on the surviving node.
    assert!(
        completed >= USERS * WALKS_PER_USER / 2,
        "{completed} of {} walks completed",
        USERS * WALKS_PER_USER
    );
    let _ = cluster.balancer.child.start_kill();
}

/// A day's availability seen by one node reflects a booking made on the other within the store's
/// availability TTL (`FLOWS_AVAILABILITY_TTL_MS`, 1 s by default).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_nodes_bookings_show_on_the_other_within_the_ttl() {
    let Some(cluster) = cluster(&common::test_data()).await else {
        return;
    };
    let seats_on = async |node: &Node, token: String| -> Value {
        let mut phone = phone_at(node.addr);
        phone.start(Open::data_exchange(token)).await.unwrap();
        for (field, value) in [
            ("department", "cardio"),
            ("location", "lisbon"),
            ("date", &test_day()),
            ("time", "09:00"),
        ] {
            phone.set(field, value.to_owned()).await.unwrap();
        }
        phone.tap("Choose a seat").await.unwrap();
        phone.screen().data()["seats"].clone()
    };
    let token =
        |store: Store| async move { store.issue_token(Duration::from_secs(600)).await.unwrap().0 };
    let (a, b) = (&cluster.nodes[0], &cluster.nodes[1]);
    // Node B has read the 09:00 seats (A1, A2, A3) and may keep them for the TTL.
    let before = seats_on(b, token(cluster.store.clone()).await).await;
    assert!(before.to_string().contains("\"A1\""), "{before}");
    // A user books A1 on node A.
    let mut phone = phone_at(a.addr);
    walk_to_summary(
        &mut phone,
        token(cluster.store.clone()).await,
        &test_day(),
        "09:00",
        "A1",
        "Ana",
    )
    .await;
    phone.tap("Book").await.unwrap();
    assert!(matches!(phone.state(), FlowState::Completed { .. }));
    // After the TTL, node B no longer offers A1.
    tokio::time::sleep(
        flows_appointments::store::DEFAULT_AVAILABILITY_TTL + Duration::from_millis(200),
    )
    .await;
    let after = seats_on(b, token(cluster.store.clone()).await).await;
    assert!(!after.to_string().contains("\"A1\""), "{after}");
    assert_eq!(
        after,
        json!([{"id": "A2", "title": "Seat A2"}, {"id": "A3", "title": "Seat A3"}])
    );
}
