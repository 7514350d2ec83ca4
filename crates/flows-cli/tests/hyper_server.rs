//! `flows send` and `flows load` against the real example endpoint, `flows-hyper-server`
//! (examples/hyper-server: Meta's appointment sample flow on POST /flow).
//!
//! The server is started by [`common::hyper_server::Server`].

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::hyper_server::Server;
use common::{APP_SECRET, flows, key_file, run};
use serde_json::{Value, json};

fn send(server: &Server, extra: &[&str]) -> common::Run {
    run(flows()
        .args(["send", &server.url, "--public-key"])
        .arg(key_file("openssl-genrsa-des3.pub.pem"))
        .args(extra)
        .env("FLOWS_APP_SECRET", APP_SECRET))
}

fn reply_json(stdout: &str) -> Value {
    let (status, rest) = stdout.split_once('\n').unwrap();
    assert_eq!(status, "HTTP 200");
    serde_json::from_str(rest).unwrap()
}

#[test]
fn send_and_load_against_flows_hyper_server() {
    let server = Server::start();

    let ping = send(&server, &["--ping", "--app-secret-env", "FLOWS_APP_SECRET"]).expect_code(0);
    assert_eq!(
        reply_json(&ping.stdout),
        json!({"data": {"status": "active"}})
    );

    let init = send(&server, &["--init", "--app-secret-env", "FLOWS_APP_SECRET"]).expect_code(0);
    let first = reply_json(&init.stdout);
    assert!(
        first["screen"].is_string(),
        "INIT answers with a screen: {first}"
    );
    assert!(first["data"].is_object(), "{first}");

    // The server checks signatures when it has an app secret.
    let unsigned = send(&server, &["--ping"]).expect_code(1);
    assert!(
        unsigned.stdout.starts_with("HTTP 432"),
        "{}",
        unsigned.stdout
    );

    // A request encrypted to another key is a 421.
    let other = run(flows()
        .args([
            "send",
            &server.url,
            "--ping",
            "--app-secret-env",
            "FLOWS_APP_SECRET",
            "--public-key",
        ])
        .arg(key_file("rotation-old.pub.pem"))
        .env("FLOWS_APP_SECRET", APP_SECRET))
    .expect_code(1);
    assert!(other.stdout.starts_with("HTTP 421"), "{}", other.stdout);

    let load = run(flows()
        .args([
            "load",
            &server.url,
            "--json",
            "--requests",
            "300",
            "--concurrency",
            "8",
        ])
        .args(["--app-secret-env", "FLOWS_APP_SECRET", "--public-key"])
        .arg(key_file("openssl-genrsa-des3.pub.pem"))
        .env("FLOWS_APP_SECRET", APP_SECRET))
    .expect_code(0);
    let report: Value = serde_json::from_str(load.stdout.trim()).unwrap();
    assert_eq!(report["requests"], 300);
    assert_eq!(report["errors"], 0);
    assert_eq!(report["undecryptable_replies"], 0);
    assert_eq!(report["status"], json!({"200": 300}));
    drop(server);
}
