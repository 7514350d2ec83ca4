//! `flows walk` (the built `flows` binary) against the built `flows-appointments` over real HTTP,
//! on the embedded SQLite and on PostgreSQL: the committed booking walk ends in a row in
//! `bookings`; a used token is answered 427; a failing expectation exits 1 with one line.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // test helpers

mod common;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use common::{PgDb, TempDir, appointments_binary, key_file, postgres_available};
use flows_appointments::date::Date;
use serde_json::{Value, json};
use sqlx::{Connection as _, Row as _};
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, Command};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The `flows` binary next to this test's executable, built with `$CARGO build -p flows-cli`
/// when missing.
fn flows_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().unwrap().parent().unwrap().to_path_buf();
    let binary = profile_dir.join(format!("flows{}", std::env::consts::EXE_SUFFIX));
    if !binary.exists() {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut build = std::process::Command::new(cargo);
        build
            .args(["build", "-p", "flows-cli"])
            .current_dir(workspace());
        if profile_dir.file_name().is_some_and(|n| n == "release") {
            build.arg("--release");
        }
        assert!(
            build.status().unwrap().success(),
            "cargo build -p flows-cli failed"
        );
    }
    assert!(binary.exists(), "{} was not built", binary.display());
    binary
}

/// The server (or its `issue-token`) with a clean environment and this test's database and key.
fn server(data_dir: &Path, database_url: Option<&str>) -> Command {
    let mut command = appointments_binary(data_dir);
    command.env("FLOWS_PRIVATE_KEY_FILE", key_file());
    if let Some(url) = database_url {
        command.env("DATABASE_URL", url);
    }
    command
}

/// Starts the server; answers it and its `/flow` URL once it listens.
async fn start(mut command: Command) -> (Child, String) {
    let mut child = command
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
    let url = tokio::time::timeout(Duration::from_secs(60), async {
        let mut seen = String::new();
        while let Some(line) = stderr.next_line().await.unwrap() {
            seen.push_str(&line);
            seen.push('\n');
            if let Some(rest) = line.split("listening on ").nth(1) {
                return rest.trim().to_owned();
            }
        }
        panic!("server exited before listening:\n{seen}");
    })
    .await
    .expect("server did not start within 60 s");
    tokio::spawn(async move { while let Ok(Some(_)) = stderr.next_line().await {} });
    let url = if url.ends_with("/flow") {
        url
    } else {
        format!("{url}/flow")
    };
    (child, url)
}

async fn issue_token(data_dir: &Path, database_url: Option<&str>) -> String {
    let output = server(data_dir, database_url)
        .arg("issue-token")
        .output()
        .await
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// The committed booking walk, with its date set to the demo clinic's first day (the demo's days
/// follow today: tomorrow, or the day after when tomorrow is a Sunday).
fn booking_script(dir: &Path) -> PathBuf {
    let text =
        std::fs::read_to_string(workspace().join("examples/appointments/walks/book.json")).unwrap();
    let mut steps: Vec<Value> = serde_json::from_str(&text).unwrap();
    let mut day = Date::today().plus_days(1);
    if day.weekday() == 6 {
        day = day.plus_days(1);
    }
    let date_step = steps
        .iter_mut()
        .find(|s| s["set"].get("date").is_some())
        .expect("the walk sets a date");
    date_step["set"]["date"] = json!(day.to_string());
    let path = dir.join("book.json");
    std::fs::write(&path, serde_json::to_string(&steps).unwrap()).unwrap();
    path
}

struct Walked {
    code: i32,
    stdout: String,
    stderr: String,
}

async fn walk(url: &str, token: &str, script: &Path, extra: &[&str]) -> Walked {
    let output = tokio::time::timeout(
        Duration::from_secs(120),
        Command::new(flows_binary())
            .arg("walk")
            .arg(workspace().join("examples/appointments/flow.json"))
            .args([
                "--endpoint",
                url,
                &format!("--flow-token={token}"),
                "--public-key",
            ])
            .arg(workspace().join(
                "crates/whatsapp-flows-crypto/tests/fixtures/keys/openssl-genpkey-pkcs8.pub.pem",
            ))
            .arg("--script")
            .arg(script)
            .args(extra)
            .stdin(Stdio::null())
            .output(),
    )
    .await
    .expect("flows walk finished within 120 s")
    .unwrap();
    Walked {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// The booking row of a flow token: (booking_id, seat_id, name, email).
async fn booking(database_url: &str, token: &str) -> Vec<(String, String, String, String)> {
    if database_url.starts_with("sqlite:") {
        let mut db = sqlx::SqliteConnection::connect(database_url).await.unwrap();
        sqlx::query("SELECT booking_id, seat_id, name, email FROM bookings WHERE flow_token = ?")
            .bind(token)
            .fetch_all(&mut db)
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
            .collect()
    } else {
        let mut db = sqlx::PgConnection::connect(database_url).await.unwrap();
        sqlx::query("SELECT booking_id, seat_id, name, email FROM bookings WHERE flow_token = $1")
            .bind(token)
            .fetch_all(&mut db)
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
            .collect()
    }
}

async fn walk_and_book(data_dir: &Path, database_url: Option<&str>, query_url: &str) {
    let (mut child, url) = start(server(data_dir, database_url)).await;
    let script = booking_script(data_dir);

    let token = issue_token(data_dir, database_url).await;
    let done = walk(&url, &token, &script, &["--json"]).await;
    assert_eq!(done.code, 0, "{}\n{}", done.stdout, done.stderr);
    let report: Value = serde_json::from_str(&done.stdout).unwrap();
    let params = &report["state"]["params"];
    assert_eq!(params["flow_token"], token.as_str());
    let booking_id = params["booking_id"]
        .as_str()
        .expect("the completion names the booking")
        .to_owned();
    assert_eq!(
        booking(query_url, &token).await,
        [(
            booking_id,
            "A1".to_owned(),
            "Ana Silva".to_owned(),
            "ana@example.com".to_owned()
        )]
    );

    // The token is used up: the endpoint answers INIT with 427, which this script expects.
    let expect_427 = data_dir.join("used.json");
    std::fs::write(&expect_427, r#"[{"expect": {"status": 427}}]"#).unwrap();
    let used = walk(&url, &token, &expect_427, &[]).await;
    assert_eq!(used.code, 0, "{}\n{}", used.stdout, used.stderr);
    assert!(used.stdout.contains("[INIT HTTP 427"), "{}", used.stdout);

    // A failing expectation: exit 1, one line saying what was there instead.
    let wrong = data_dir.join("wrong.json");
    std::fs::write(
        &wrong,
        r#"[{"set": {"department": "cardiology"}}, {"expect": {"screen": "SEATS"}}]"#,
    )
    .unwrap();
    let token = issue_token(data_dir, database_url).await;
    let failed = walk(&url, &token, &wrong, &[]).await;
    assert_eq!(failed.code, 1, "{}\n{}", failed.stdout, failed.stderr);
    assert_eq!(
        failed.stderr.trim(),
        "flows: step 2: expected screen SEATS, but the phone shows APPOINTMENT"
    );
    assert!(booking(query_url, &token).await.is_empty());
    child.kill().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flows_walk_books_a_seat_on_sqlite() {
    let dir = TempDir::new();
    let query = format!(
        "sqlite://{}",
        dir.0.join(flows_appointments::store::SQLITE_FILE).display()
    );
    walk_and_book(&dir.0, None, &query).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flows_walk_books_a_seat_on_postgres() {
    if !postgres_available().await {
        return;
    }
    let db = PgDb::create().await;
    let dir = TempDir::new();
    walk_and_book(&dir.0, Some(&db.url()), &db.url()).await;
}
