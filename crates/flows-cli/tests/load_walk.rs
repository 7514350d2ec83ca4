//! `flows load --walk` (the built binary) against the built `flows-hyper-server` over real HTTP:
//! simulated users walking Meta's sample flow with its committed script, counted walk by walk and
//! request by request; failing walks counted by reason; bad inputs exit 2. No timings asserted.

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
use serde_json::{Value, json};

/// Requests one walk of `walks/book.json` makes: INIT, department, location/date/time (two of
/// the three fire on-select), Continue on DETAILS (APPOINTMENT's navigates), Confirm.
const REQUESTS_PER_WALK: u64 = 6;

fn sample(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/sample-flow")
        .join(path)
}

fn load(server: &Server, script: &Path, extra: &[&str]) -> common::Run {
    run(flows()
        .args(["load", &server.url, "--app-secret-env", "FLOWS_APP_SECRET"])
        .arg("--public-key")
        .arg(key_file("openssl-genrsa-des3.pub.pem"))
        .arg("--flow")
        .arg(sample("flow.json"))
        .arg("--walk")
        .arg(script)
        .args(extra)
        .env("FLOWS_APP_SECRET", APP_SECRET))
}

fn json_of(done: &common::Run) -> Value {
    serde_json::from_str(done.stdout.trim())
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", done.stdout, done.stderr))
}

#[test]
fn walks_complete_and_every_request_is_counted() {
    let server = Server::start();
    let book = sample("walks/book.json");

    let done = load(&server, &book, &["--users", "3", "--walks", "12", "--json"]).expect_code(0);
    let report = json_of(&done);
    assert_eq!(report["mode"], "walk");
    assert_eq!(report["walks"], 12);
    assert_eq!(report["completed_walks"], 12);
    assert_eq!(report["failed_walks"], 0);
    assert_eq!(report["requests"], 12 * REQUESTS_PER_WALK);
    assert_eq!(report["status"], json!({"200": 12 * REQUESTS_PER_WALK}));
    assert_eq!(report["failures"], json!({}));
    assert_eq!(report["first_failure"], Value::Null);
    assert_eq!(report["users"], 3);
    assert!(report["requests_per_second"].as_f64().unwrap() > 0.0);
    assert!(report["completed_walks_per_second"].as_f64().unwrap() > 0.0);
    // Per step: the steps that send, their request counts adding up to the total, and ordered
    // percentiles from the one histogram.
    let steps = report["steps"].as_array().unwrap();
    let sent: Vec<(u64, &str, u64)> = steps
        .iter()
        .map(|s| {
            (
                s["step"].as_u64().unwrap(),
                s["did"].as_str().unwrap(),
                s["requests"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        sent,
        [
            (0, "open", 12),
            (2, "set department", 12),
            (4, "set location, date, time", 24),
            (8, "tap \"Continue\"", 12),
            (11, "tap \"Confirm Appointment\"", 12),
        ]
    );
    for latency in steps
        .iter()
        .map(|s| &s["latency_ms"])
        .chain([&report["latency_ms"], &report["walk_latency_ms"]])
    {
        let p = |k: &str| latency[k].as_f64().unwrap();
        assert!(p("p50") > 0.0 && p("p50") <= p("p90"), "{latency}");
        assert!(p("p90") <= p("p99") && p("p99") <= p("max"), "{latency}");
    }

    // The human report, and the open loop: the same counts.
    let human = load(
        &server,
        &book,
        &["--users", "2", "--walks", "5", "--rate", "50"],
    )
    .expect_code(0);
    let text = &human.stdout;
    assert!(text.contains("walked 5 walks in "), "{text}");
    assert!(text.contains("open loop at 50 walks/s"), "{text}");
    assert!(
        text.contains("completed walks: 5 (") && text.contains("failed walks: 0"),
        "{text}"
    );
    assert!(
        text.contains("walk latency (from intended start): p50 "),
        "{text}"
    );
    assert!(text.contains("step  0 open (5 requests): p50 "), "{text}");
    assert!(
        text.contains(&format!("status: 200: {}", 5 * REQUESTS_PER_WALK)),
        "{text}"
    );
}

#[test]
fn failing_walks_are_counted_by_reason_and_exit_1() {
    let server = Server::start();
    let dir = temp_dir("load-walk-fail");
    // The department comes from the walk data: one row offers no such option (the phone refuses,
    // nothing is sent), one carries the flow token the sample endpoint answers 427 to.
    let script = dir.join("script.json");
    std::fs::write(
        &script,
        r#"[{"set": {"department": "{{department}}"}}, {"expect": {"data": {"is_location_enabled": true}}}]"#,
    )
    .unwrap();
    let data = dir.join("data.json");
    std::fs::write(
        &data,
        r#"[{"department": "shopping"}, {"department": "nope"}, {"department": "shopping", "flow_token": "expired-token"}]"#,
    )
    .unwrap();
    let walk_data = data.to_str().unwrap();
    let done = load(
        &server,
        &script,
        &[
            "--walk-data",
            walk_data,
            "--users",
            "2",
            "--walks",
            "6",
            "--json",
        ],
    )
    .expect_code(1);
    let report = json_of(&done);
    assert_eq!(report["walks"], 6);
    assert_eq!(report["completed_walks"], 2);
    assert_eq!(report["failed_walks"], 4);
    // Walks 0 and 3 send INIT and the department; 1 and 4 only INIT; 2 and 5 get 427 at INIT.
    assert_eq!(report["requests"], 2 * 2 + 2 + 2);
    assert_eq!(report["status"], json!({"200": 6, "427": 2}));
    let failures = report["failures"].as_object().unwrap();
    assert_eq!(failures.len(), 2, "{failures:?}");
    let count = |needle: &str| {
        failures
            .iter()
            .find(|(reason, _)| reason.contains(needle))
            .map(|(_, n)| n.as_u64().unwrap())
    };
    assert_eq!(count("step 1: cannot set `department`"), Some(2));
    assert_eq!(
        count("open: the endpoint disabled the flow (HTTP 427)"),
        Some(2)
    );
    let first = report["first_failure"].as_str().unwrap();
    assert!(
        first.starts_with("step 1: cannot set `department`"),
        "{first}"
    );

    // The human report names the reasons with their counts and the first failure in one line.
    let human = load(
        &server,
        &script,
        &["--walk-data", walk_data, "--users", "1", "--walks", "3"],
    )
    .expect_code(1);
    let text = &human.stdout;
    assert!(text.contains("failed walks: 2"), "{text}");
    assert!(
        text.contains("  1 failed: step 1: cannot set `department`"),
        "{text}"
    );
    assert!(text.contains("first failure (walk 1): step 1: "), "{text}");
    assert!(text.contains("status: 200: 3, 427: 1"), "{text}");
}

#[test]
fn bad_inputs_exit_2_with_a_clear_message() {
    let server = Server::start();
    let dir = temp_dir("load-walk-bad");
    let bad_script = dir.join("bad.json");
    std::fs::write(&bad_script, r#"[{"tap": "Continue"}, {"jump": 1}]"#).unwrap();
    let done = load(&server, &bad_script, &[]).expect_code(2);
    assert!(
        done.stderr.contains("bad.json: bad script: step 2"),
        "{}",
        done.stderr
    );
    assert!(done.stdout.is_empty(), "{}", done.stdout);

    // A placeholder without --walk-data, and one the data does not have.
    let templated = dir.join("templated.json");
    std::fs::write(&templated, r#"[{"set": {"department": "{{dept}}"}}]"#).unwrap();
    let done = load(&server, &templated, &[]).expect_code(2);
    assert!(done.stderr.contains("uses {{dept}}"), "{}", done.stderr);
    let data = dir.join("data.json");
    std::fs::write(&data, r#"[{"department": "shopping"}]"#).unwrap();
    let walk_data = data.to_str().unwrap();
    let done = load(&server, &templated, &["--walk-data", walk_data]).expect_code(2);
    assert!(
        done.stderr.contains("object 1 has no `dept`"),
        "{}",
        done.stderr
    );

    std::fs::write(&data, r#"[{"dept": "shopping", "flow_token": 7}]"#).unwrap();
    let done = load(&server, &templated, &["--walk-data", walk_data]).expect_code(2);
    assert!(
        done.stderr
            .contains("object 1: `flow_token` is not a string"),
        "{}",
        done.stderr
    );

    // An unreadable flow.
    let done = run(flows()
        .args(["load", &server.url, "--public-key"])
        .arg(key_file("openssl-genrsa-des3.pub.pem"))
        .arg("--flow")
        .arg(dir.join("missing-flow.json"))
        .arg("--walk")
        .arg(sample("walks/book.json")))
    .expect_code(2);
    assert!(
        done.stderr.contains("cannot read the Flow JSON"),
        "{}",
        done.stderr
    );

    // --walk without --flow, and with the plain mode's --requests: usage errors.
    let done = run(flows()
        .args(["load", &server.url, "--public-key"])
        .arg(key_file("openssl-genrsa-des3.pub.pem"))
        .arg("--walk")
        .arg(sample("walks/book.json")))
    .expect_code(2);
    assert!(done.stderr.contains("--flow"), "{}", done.stderr);
    let done = load(&server, &sample("walks/book.json"), &["--requests", "5"]).expect_code(2);
    assert!(done.stderr.contains("--requests"), "{}", done.stderr);
}
