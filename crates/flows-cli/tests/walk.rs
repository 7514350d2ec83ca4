//! `flows walk` (the built binary) against the built `flows-hyper-server` over real HTTP: Meta's
//! sample flow walked to completion with the committed script, a failing expectation (exit 1, one
//! line), a bad script (exit 2), and an INIT refused with 427 that the script expects.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::path::{Path, PathBuf};

use common::hyper_server::Server;
use common::{APP_SECRET, flows, key_file, run, temp_dir};
use serde_json::Value;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn sample(path: &str) -> PathBuf {
    workspace().join("examples/sample-flow").join(path)
}

fn walk(server: &Server, script: &Path, extra: &[&str]) -> common::Run {
    run(flows()
        .arg("walk")
        .arg(sample("flow.json"))
        .args([
            "--endpoint",
            &server.url,
            "--app-secret-env",
            "FLOWS_APP_SECRET",
        ])
        .arg("--public-key")
        .arg(key_file("openssl-genrsa-des3.pub.pem"))
        .arg("--script")
        .arg(script)
        .args(extra)
        .env("FLOWS_APP_SECRET", APP_SECRET))
}

#[test]
fn flows_walk_against_flows_hyper_server() {
    let server = Server::start();

    // The committed walk: one line per step, each request's status, exit 0.
    let ok = walk(
        &server,
        &sample("walks/book.json"),
        &["--flow-token", "walk-token-1"],
    )
    .expect_code(0);
    let lines: Vec<&str> = ok.stdout.lines().collect();
    assert!(
        lines[0].contains("open -> APPOINTMENT [INIT HTTP 200"),
        "{}",
        ok.stdout
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("tap \"Confirm Appointment\" -> SUMMARY [data_exchange HTTP 200")),
        "{}",
        ok.stdout
    );
    assert_eq!(*lines.last().unwrap(), "ok: 12 steps held");
    assert_eq!(lines.len(), 1 + 12 + 1, "{}", ok.stdout);

    // --json: the transcript holds every decrypted request and reply; the endpoint completed
    // the flow with the token it was opened with.
    let json = walk(
        &server,
        &sample("walks/book.json"),
        &["--flow-token", "walk-token-2", "--json"],
    )
    .expect_code(0);
    let report: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(report["state"]["state"], "completed");
    assert_eq!(report["state"]["by"], "endpoint");
    assert_eq!(report["state"]["params"]["flow_token"], "walk-token-2");
    let exchanges = report["transcript"].as_array().unwrap();
    assert_eq!(exchanges[0]["request"]["action"], "INIT");
    assert_eq!(exchanges[0]["request"]["flow_token"], "walk-token-2");
    let last = exchanges.last().unwrap();
    assert_eq!(last["request"]["screen"], "SUMMARY");
    assert_eq!(last["status"], 200);
    assert_eq!(last["reply"]["screen"], "SUCCESS");
    assert!(exchanges.iter().all(|e| e["latency_ms"].as_f64().is_some()));

    // The committed back walk.
    walk(&server, &sample("walks/back.json"), &[]).expect_code(0);

    // A failing expectation: exit 1, and the failure in one line naming what was there instead.
    let dir = temp_dir("walk-fail");
    let failing = dir.join("fail.json");
    std::fs::write(
        &failing,
        r#"[{"set": {"department": "shopping"}}, {"expect": {"screen": "DETAILS"}}, {"tap": "Continue"}]"#,
    )
    .unwrap();
    let failed = walk(&server, &failing, &[]).expect_code(1);
    assert!(
        failed
            .stdout
            .contains("FAILED: expected screen DETAILS, but the phone shows APPOINTMENT"),
        "{}",
        failed.stdout
    );
    let message: Vec<&str> = failed.stderr.lines().collect();
    assert_eq!(
        message,
        ["flows: step 2: expected screen DETAILS, but the phone shows APPOINTMENT"]
    );

    // The phone refuses a Footer with a required field empty: exit 1, the reason in one line.
    let refused_script = dir.join("refused.json");
    std::fs::write(&refused_script, r#"[{"tap": "Continue"}]"#).unwrap();
    let refused = walk(&server, &refused_script, &[]).expect_code(1);
    assert!(
        refused.stderr.contains(
            "step 1: the phone would not let you press \"Continue\": Department: required"
        ),
        "{}",
        refused.stderr
    );

    // An expired token: the sample endpoint answers 427, which this script expects.
    let expired = dir.join("expired.json");
    std::fs::write(&expired, r#"[{"expect": {"status": 427}}]"#).unwrap();
    let disabled = walk(&server, &expired, &["--flow-token", "expired-token"]).expect_code(0);
    assert!(
        disabled.stdout.contains("[INIT HTTP 427"),
        "{}",
        disabled.stdout
    );
    // Without the expectation the 427 fails the walk with the endpoint's message.
    let plain = dir.join("plain.json");
    std::fs::write(&plain, r#"[{"expect": {"screen": "APPOINTMENT"}}]"#).unwrap();
    let failed = walk(&server, &plain, &["--flow-token", "expired-token"]).expect_code(1);
    assert!(
        failed.stderr.contains(
            "open: the endpoint disabled the flow (HTTP 427): This booking link has expired"
        ),
        "{}",
        failed.stderr
    );

    // Opened with navigate: the given screen shows the payload, and no INIT is sent.
    let navigate = dir.join("navigate.json");
    std::fs::write(
        &navigate,
        r#"[{"expect": {"screen": "APPOINTMENT", "data": {"department": [{"id": "home", "title": "Home"}]}, "visible": ["department", "time"]}}]"#,
    )
    .unwrap();
    let opened = walk(
        &server,
        &navigate,
        &[
            "--flow-action",
            "navigate",
            "--screen",
            "APPOINTMENT",
            "--payload",
            r#"{"department": [{"id": "home", "title": "Home"}]}"#,
            "--json",
        ],
    )
    .expect_code(0);
    let report: Value = serde_json::from_str(&opened.stdout).unwrap();
    assert_eq!(report["transcript"], serde_json::json!([]));

    // Encrypted to a key the server does not have: 421, the key file read again, one retry, then
    // the walk fails with the status.
    let rotated = run(flows()
        .arg("walk")
        .arg(sample("flow.json"))
        .args([
            "--endpoint",
            &server.url,
            "--app-secret-env",
            "FLOWS_APP_SECRET",
        ])
        .arg("--public-key")
        .arg(key_file("rotation-old.pub.pem"))
        .arg("--script")
        .arg(&plain)
        .arg("--json")
        .env("FLOWS_APP_SECRET", APP_SECRET))
    .expect_code(1);
    let report: Value = serde_json::from_str(&rotated.stdout).unwrap();
    let tries: Vec<(&str, u64)> = report["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["kind"].as_str().unwrap(), e["status"].as_u64().unwrap()))
        .collect();
    assert_eq!(tries, [("request", 421), ("retry", 421)]);
    assert!(
        rotated.stderr.contains("open: the endpoint answered HTTP 421: the endpoint could not decrypt the request, also after fetching the key again"),
        "{}",
        rotated.stderr
    );

    // Input errors exit 2.
    let bad = dir.join("bad.json");
    std::fs::write(&bad, r#"[{"tap": "Continue", "back": true}]"#).unwrap();
    let usage = walk(&server, &bad, &[]).expect_code(2);
    assert!(
        usage.stderr.contains("step 1: a step is exactly one of"),
        "{}",
        usage.stderr
    );
    drop(server);
}
