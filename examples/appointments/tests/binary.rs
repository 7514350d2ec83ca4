//! Black-box: the built `flows-appointments` binary over real HTTP. Zero set-up (no DATABASE_URL,
//! no key: it makes a development key, prints it and the `flows register` command, serves), the
//! `issue-token` subcommand, a whole booking walk with `--check-contract`, and PostgreSQL through
//! DATABASE_URL.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr,
    clippy::indexing_slicing
)] // test helpers

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use common::{
    PgDb, TempDir, Walked, contract, http_get, http_phone, key_file, postgres_available,
    public_key, random_walk, walk_seed,
};
use flows_simulator::{FlowState, Open};
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, BufReader};
use tokio::process::{Child, Command};
use whatsapp_flows_crypto::PublicKey;

/// The binary with a clean environment: no inherited FLOWS_* or DATABASE_URL.
fn binary(data_dir: &Path) -> Command {
    common::appointments_binary(data_dir)
}

struct Running {
    child: Child,
    addr: SocketAddr,
    stdout: String,
    stderr: String,
}

/// Starts the server and waits for its "listening on" line; collects what it printed before.
async fn start(mut command: Command) -> Running {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = String::new();
    let addr = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = stderr.next_line().await.unwrap() {
            seen.push_str(&line);
            seen.push('\n');
            if let Some(rest) = line.split("listening on http://").nth(1) {
                return rest
                    .trim_end_matches("/flow")
                    .trim()
                    .parse::<SocketAddr>()
                    .unwrap();
            }
        }
        panic!("server exited before listening:\n{seen}");
    })
    .await
    .expect("server did not start within 60 s");
    // Keep draining stderr so the server never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = stderr.next_line().await {} });
    let mut stdout = String::new();
    if let Some(mut out) = child.stdout.take() {
        // Everything the server prints on stdout comes before it listens.
        let mut buf = vec![0; 64 * 1024];
        if let Ok(Ok(n)) =
            tokio::time::timeout(Duration::from_millis(300), out.read(&mut buf)).await
        {
            stdout = String::from_utf8_lossy(&buf[..n]).into_owned();
        }
    }
    Running {
        child,
        addr,
        stdout,
        stderr: seen,
    }
}

async fn issue_token(mut command: Command, ttl: &str) -> String {
    let output = command
        .args(["issue-token", "--ttl", ttl])
        .output()
        .await
        .unwrap();
    assert!(
        output.status.success(),
        "issue-token failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let token = String::from_utf8(output.stdout).unwrap().trim().to_owned();
    assert!(
        token.len() >= 32 && !token.contains(char::is_whitespace),
        "{token:?}"
    );
    token
}

/// The server's flow URL.
fn flow_url(addr: SocketAddr) -> String {
    format!("http://{addr}/flow")
}

/// A user books on a simulated phone over HTTP, choosing at random; the token is then used up, and
/// one never issued is refused.
async fn walk(addr: SocketAddr, key: PublicKey, token: &str) {
    let url = flow_url(addr);
    let walk = random_walk(|| http_phone(&url, key.clone()), token, walk_seed()).await;
    assert!(
        matches!(walk.outcome, Walked::Booked(_)),
        "seed {}: {:?}",
        walk.seed,
        walk.outcome
    );
    walk.assert_contract(&contract());
    // The completed token opened again, and one never issued: the flow is disabled (427).
    for token in [token, "not-issued"] {
        let mut phone = http_phone(&url, key.clone());
        let error = phone.start(Open::data_exchange(token)).await.unwrap_err();
        assert_eq!(error.status(), Some(427), "{token}: {error}");
        assert!(matches!(phone.state(), FlowState::Disabled { .. }));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zero_setup_start_prints_the_key_and_register_command_and_books() {
    let dir = TempDir::new();
    let data = dir.0.join("data");
    tokio::time::timeout(Duration::from_secs(180), async {
        let mut command = binary(&data);
        command.arg("--check-contract");
        let mut server = start(command).await;
        assert!(
            server.stdout.contains("-----BEGIN PUBLIC KEY-----"),
            "{}",
            server.stdout
        );
        let register = format!(
            "flows register --phone-number-id <PHONE_NUMBER_ID> {}",
            data.join("dev-private.pem").display()
        );
        assert!(server.stdout.contains(&register), "{}", server.stdout);
        assert!(server.stderr.contains("demo clinic"), "{}", server.stderr);
        assert!(data.join("appointments.sqlite3").exists());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(data.join("dev-private.pem"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(http_get(server.addr, "/health").await.0, 200);
        // Ready: the database answers.
        assert_eq!(
            http_get(server.addr, "/ready").await,
            (200, "{\"status\":\"ready\"}".to_owned())
        );
        // No FLOWS_WEBHOOK_VERIFY_TOKEN: no webhook.
        assert_eq!(http_get(server.addr, "/webhook").await.0, 404);
        let (status, metrics) = http_get(server.addr, "/metrics").await;
        assert_eq!(status, 200);
        assert!(metrics.contains("flows_requests_total"));

        // The printed public key is the one the server decrypts with.
        let pem = std::fs::read_to_string(data.join("dev-public.pem")).unwrap();
        assert!(server.stdout.contains(pem.trim_end()));
        let key = PublicKey::from_pem(&pem).unwrap();

        let token = issue_token(binary(&data), "30m").await;
        walk(server.addr, key.clone(), &token).await;
        server.child.kill().await.unwrap();

        // Restarted: the same key, reused; the data kept, not seeded twice.
        let mut again = start(binary(&data)).await;
        assert!(again.stdout.contains("(reused)"), "{}", again.stdout);
        assert!(!again.stderr.contains("demo clinic"), "{}", again.stderr);
        let token = issue_token(binary(&data), "7d").await;
        walk(again.addr, key, &token).await;
        again.child.kill().await.unwrap();
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_is_served_with_the_verify_token_from_the_environment() {
    let dir = TempDir::new();
    let data = dir.0.join("data");
    tokio::time::timeout(Duration::from_secs(120), async {
        let mut command = binary(&data);
        command
            .env("FLOWS_WEBHOOK_VERIFY_TOKEN", "verify-token-5e1d")
            .env("FLOWS_APP_SECRET", "webhook-app-secret");
        let mut server = start(command).await;
        let subscribe = "/webhook?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=";
        let (status, body) = http_get(server.addr, &format!("{subscribe}verify-token-5e1d")).await;
        assert_eq!((status, body.as_str()), (200, "1158201444"));
        assert_eq!(
            http_get(server.addr, &format!("{subscribe}wrong")).await.0,
            403
        );
        server.child.kill().await.unwrap();

        // A verify token without an app secret: deliveries could not be verified, so no start.
        let mut command = binary(&data);
        command.env("FLOWS_WEBHOOK_VERIFY_TOKEN", "verify-token-5e1d");
        let output = command.output().await.unwrap();
        assert_eq!(output.status.code(), Some(1));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("FLOWS_APP_SECRET"), "{stderr}");
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_through_database_url_with_a_configured_key() {
    if !postgres_available().await {
        return;
    }
    let db = PgDb::create().await;
    let dir = TempDir::new();
    let configure = |mut command: Command| {
        command
            .env("DATABASE_URL", db.url())
            .env("FLOWS_PRIVATE_KEY_FILE", key_file());
        command
    };
    tokio::time::timeout(Duration::from_secs(120), async {
        let mut server_cmd = configure(binary(&dir.0));
        server_cmd.arg("--check-contract");
        let mut server = start(server_cmd).await;
        assert!(
            !server.stdout.contains("BEGIN PUBLIC KEY"),
            "{}",
            server.stdout
        );
        assert!(server.stderr.contains("PostgreSQL"), "{}", server.stderr);
        assert!(!server.stderr.contains(&db.url()), "the URL is not logged");
        let token = issue_token(configure(binary(&dir.0)), "24h").await;
        walk(server.addr, public_key(), &token).await;
        server.child.kill().await.unwrap();

        // FLOWS_ACCEPT_ANY_TOKEN=1 is said loudly and lets any token through.
        let mut open_cmd = configure(binary(&dir.0));
        open_cmd.env("FLOWS_ACCEPT_ANY_TOKEN", "1");
        let mut open = start(open_cmd).await;
        assert!(
            open.stderr.contains("FLOWS_ACCEPT_ANY_TOKEN is on"),
            "{}",
            open.stderr
        );
        let mut phone = http_phone(&flow_url(open.addr), public_key());
        phone.start(Open::data_exchange("anything")).await.unwrap();
        assert_eq!(phone.screen().id(), "APPOINTMENT");
        open.child.kill().await.unwrap();

        // With PostgreSQL and no key, start-up stops with a one-line error.
        let output = binary(&dir.0)
            .env("DATABASE_URL", db.url())
            .output()
            .await
            .unwrap();
        assert!(!output.status.success());
        assert!(String::from_utf8_lossy(&output.stderr).contains("no private key configured"));
    })
    .await
    .unwrap();
}
