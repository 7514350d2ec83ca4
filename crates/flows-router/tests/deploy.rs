//! deploy/: the Prometheus alert rules pass `promtool test rules`, and every metric the rules and
//! the Grafana dashboard use is one this crate exports.
//!
//! promtool comes from Debian's `prometheus` package (.ci/run installs it). In CI (`CI` set) a
//! missing promtool fails the test; elsewhere the test says loudly that it skipped.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr,
    clippy::indexing_slicing,
    missing_docs
)]

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

use bytes::Bytes;
use flows_router::webhook::{Webhook, WebhookHandler};
use flows_router::{Action, Context, Endpoint, FlowRequest, FlowResponse, Router};
use whatsapp_flows_crypto::{KeySet, PrivateKey, SignatureVerifier, sign};

fn deploy(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../deploy")
        .join(path)
}

fn promtool() -> Option<Command> {
    let found = Command::new("promtool")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if found {
        return Some(Command::new("promtool"));
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "promtool is missing: CI must install Debian's `prometheus` package (see .ci/run)"
    );
    eprintln!(
        "SKIPPED: promtool not found (apt-get install prometheus); the alert rules were NOT tested"
    );
    None
}

#[test]
fn the_alert_rules_pass_promtool_test_rules() {
    let Some(_) = promtool() else { return };
    for args in [
        vec!["check", "rules", "flows-alerts.yml"],
        vec!["test", "rules", "flows-alerts.test.yml"],
        vec!["check", "config", "prometheus.yml"],
    ] {
        let out = promtool()
            .unwrap()
            .args(&args)
            .current_dir(deploy("prometheus"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "promtool {args:?} failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// `flows_...` names in a text (metric names; recording rules are `flows:...`).
fn metric_names(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(at) = text[i..].find("flows_") {
        let start = i + at;
        let boundary = start == 0
            || !(bytes[start - 1].is_ascii_alphanumeric()
                || bytes[start - 1] == b'_'
                || bytes[start - 1] == b':');
        let end = start
            + text[start..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(text.len() - start);
        if boundary {
            names.insert(text[start..end].to_owned());
        }
        i = end;
    }
    names
}

struct Quiet;
impl WebhookHandler for Quiet {}

/// What a server's `/metrics` shows after some traffic and webhook deliveries.
async fn exported() -> String {
    let pem =
        include_str!("../../whatsapp-flows-crypto/tests/fixtures/keys/openssl-genpkey-pkcs8.pem");
    let key = PrivateKey::from_pem(pem, None).unwrap();
    let flow = Router::new()
        .on_init(|_cx: Context<()>| async { Ok(FlowResponse::next_screen("WELCOME")) })
        .with_state(());
    let endpoint = Endpoint::builder(KeySet::new(key.clone()), flow).build();
    let ping = key
        .public_key()
        .encrypt_request_json(&FlowRequest::new(Action::Ping))
        .unwrap();
    let reply = endpoint
        .handle(&(), Bytes::from(ping.body().as_bytes().to_vec()))
        .await;
    assert_eq!(reply.status, 200);

    let webhook = Webhook::builder("verify", SignatureVerifier::new("secret"), Quiet)
        .build()
        .unwrap();
    for name in ["endpoint_latency.json", "flow_status_change.json"] {
        let body = std::fs::read(
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/webhooks")
                .join(name),
        )
        .unwrap();
        let mut headers = http::HeaderMap::new();
        headers.insert(
            "x-hub-signature-256",
            sign(b"secret", &body).parse().unwrap(),
        );
        let reply = webhook
            .handle(&http::Method::POST, None, &headers, Bytes::from(body))
            .await;
        assert_eq!(reply.status, 200);
    }
    webhook.drained().await;
    format!(
        "{}{}",
        endpoint.metrics().render_prometheus(),
        webhook.metrics().render_prometheus()
    )
}

#[tokio::test]
async fn the_rules_and_the_dashboard_use_only_exported_metrics() {
    let exported = exported().await;
    let series: BTreeSet<String> = exported
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| line.split(['{', ' ']).next())
        .map(str::to_owned)
        .collect();
    let rules = std::fs::read_to_string(deploy("prometheus/flows-alerts.yml")).unwrap();
    let dashboard_text = std::fs::read_to_string(deploy("grafana/flows-dashboard.json")).unwrap();
    let dashboard: serde_json::Value =
        serde_json::from_str(&dashboard_text).expect("the dashboard is valid JSON");
    let panels = dashboard["panels"]
        .as_array()
        .expect("the dashboard has panels");
    assert!(panels.len() >= 8);
    let mut exprs = String::new();
    for panel in panels {
        for target in panel["targets"].as_array().unwrap() {
            exprs.push_str(target["expr"].as_str().unwrap());
            exprs.push('\n');
        }
    }
    let rules: String = rules
        .lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n");
    let used_by_rules = metric_names(&rules);
    let used_by_dashboard = metric_names(&exprs);
    for name in [
        "flows_requests_total",
        "flows_request_duration_seconds_bucket",
        "flows_meta_alert_active",
        "flows_meta_flow_status",
    ] {
        assert!(used_by_rules.contains(name), "the rules do not use {name}");
    }
    for name in used_by_rules.iter().chain(&used_by_dashboard) {
        assert!(
            series.contains(name),
            "{name} is used in deploy/ but not exported:\n{exported}"
        );
    }
}
