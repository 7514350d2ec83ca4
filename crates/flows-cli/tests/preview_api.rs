//! `flows preview`'s JSON API, over loopback: the built `flows` binary against Meta's sample flow
//! (crate flows-sample-flow) served by flows-router's hyper server on a real socket, driven with
//! hyper's HTTP/1.1 client as the page drives it. The state after set, tap, back and restart, the
//! refusals, and the reload when the flow file changes or stops parsing.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, SystemTime};

use common::{flows, key_file, temp_dir};
use flows_router::Endpoint;
use flows_router::hyper::{FlowService, serve};
use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};
use whatsapp_flows_crypto::{KeySet, PrivateKey};

/// Meta's sample flow endpoint on a loopback port, in a runtime of its own.
struct SampleEndpoint {
    url: String,
    _runtime: tokio::runtime::Runtime,
}

fn sample_endpoint() -> SampleEndpoint {
    let pem = std::fs::read_to_string(key_file("openssl-genpkey-pkcs8.pem")).unwrap();
    let key = PrivateKey::from_pem(&pem, None).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let endpoint = Endpoint::builder(KeySet::new(key), sample_flow::flow()).build();
    runtime.spawn(serve(
        listener,
        FlowService::new(endpoint),
        std::future::pending(),
    ));
    SampleEndpoint {
        url: format!("http://{addr}/flow"),
        _runtime: runtime,
    }
}

/// The running `flows preview`, and the client that talks to it; killed on drop.
struct Preview {
    child: Child,
    addr: SocketAddr,
    runtime: tokio::runtime::Runtime,
    client: Client<HttpConnector, Full<Bytes>>,
}

impl Drop for Preview {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

fn start_preview(flow: &Path, endpoint: &str) -> Preview {
    let mut child = flows()
        .arg("preview")
        .arg(flow)
        .args(["--endpoint", endpoint, "--public-key"])
        .arg(key_file("openssl-genpkey-pkcs8.pub.pem"))
        .args(["--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_else(|| panic!("no URL in {line:?}"))
        .parse()
        .unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = Client::builder(TokioExecutor::new()).build_http();
    Preview {
        child,
        addr,
        runtime,
        client,
    }
}

impl Preview {
    fn request(&self, method: &str, path: &str, content_type: &str, body: &str) -> (u16, Value) {
        self.request_to(&self.addr.to_string(), method, path, content_type, body)
    }

    fn request_to(
        &self,
        host: &str,
        method: &str,
        path: &str,
        content_type: &str,
        body: &str,
    ) -> (u16, Value) {
        // The Host header is set by hand: the preview refuses names other than loopback ones.
        let request = hyper::Request::builder()
            .method(method)
            .uri(format!("http://{}{path}", self.addr))
            .header(hyper::header::HOST, host)
            .header(hyper::header::CONTENT_TYPE, content_type)
            .body(Full::new(Bytes::from(body.to_owned())))
            .unwrap();
        let exchange = async {
            let response = self.client.request(request).await.unwrap();
            let status = response.status().as_u16();
            let body = response.into_body().collect().await.unwrap().to_bytes();
            (status, body)
        };
        let (status, body) = self
            .runtime
            .block_on(async { tokio::time::timeout(Duration::from_secs(60), exchange).await })
            .expect("the preview did not answer within 60 s");
        let body = String::from_utf8_lossy(&body);
        let value = serde_json::from_str(&body).unwrap_or(Value::String(body.into_owned()));
        (status, value)
    }

    fn state(&self) -> Value {
        let (status, state) = self.request("GET", "/api/state", "application/json", "");
        assert_eq!(status, 200, "{state}");
        state
    }

    fn post(&self, path: &str, body: &Value) -> Value {
        let (status, state) = self.request("POST", path, "application/json", &body.to_string());
        assert_eq!(status, 200, "{path} {body}: {state}");
        state
    }
}

fn component<'a>(state: &'a Value, name: &str) -> &'a Value {
    state["screen"]["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no component {name} in {}", state["screen"]))
}

fn option_ids(c: &Value) -> Vec<String> {
    c["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_owned())
        .collect()
}

fn flow_file(dir: &Path) -> PathBuf {
    let path = dir.join("flow.json");
    std::fs::write(&path, sample_flow::FLOW_JSON).unwrap();
    path
}

/// Writes the file and moves its mtime on, so the change is seen whatever the clock's resolution.
fn rewrite(path: &Path, text: &str, seconds_later: u64) {
    std::fs::write(path, text).unwrap();
    let file = std::fs::File::options().write(true).open(path).unwrap();
    file.set_modified(SystemTime::now() + Duration::from_secs(seconds_later))
        .unwrap();
}

#[test]
fn set_tap_back_and_restart_answer_the_new_state() {
    let endpoint = sample_endpoint();
    let dir = temp_dir("preview-api-walk");
    let preview = start_preview(&flow_file(&dir), &endpoint.url);

    // Opened with INIT (the sample flow has an endpoint): the endpoint's departments are offered.
    let state = preview.state();
    assert_eq!(state["status"], "ready", "{state}");
    assert_eq!(state["flow"]["screens"][0], "APPOINTMENT");
    assert_eq!(state["options"]["flow_action"], "data_exchange");
    let token = state["flow_token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("flows-preview-"), "{token}");
    assert_eq!(state["screen"]["id"], "APPOINTMENT");
    assert_eq!(state["screen"]["first"], true);
    let exchanges = state["exchanges"].as_array().unwrap();
    assert_eq!(exchanges.len(), 1);
    assert_eq!(exchanges[0]["action"], "INIT");
    assert_eq!(exchanges[0]["status"], 200);
    assert_eq!(exchanges[0]["request"]["flow_token"], token.as_str());
    let department = component(&state, "department");
    assert_eq!(department["type"], "Dropdown");
    assert_eq!(department["label"], "Department");
    assert_eq!(department["required"], true);
    assert_eq!(
        option_ids(department),
        ["shopping", "clothing", "home", "electronics", "beauty"]
    );
    assert_eq!(component(&state, "location")["enabled"], false);
    // Nothing chosen yet: the phone would not let the Footer be pressed, and says why.
    let footer = &state["screen"]["footer"];
    assert_eq!(footer["label"], "Continue");
    assert_eq!(footer["enabled"], false);
    assert!(
        footer["refusal"]
            .as_str()
            .unwrap()
            .contains("Department: required"),
        "{footer}"
    );

    // Choosing a department fires its data_exchange: the locations arrive and are enabled.
    // (Meta's sample narrows each list to its first three in place of filtering: "home" stays.)
    let state = preview.post("/api/set", &json!({"name": "department", "value": "home"}));
    assert_eq!(state["form"]["department"], "home");
    assert_eq!(component(&state, "department")["value"], "home");
    let last = state["exchanges"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["action"], "data_exchange");
    assert_eq!(last["request"]["data"]["department"], "home");
    assert_eq!(last["status"], 200);
    assert!(last["latency_ms"].as_f64().unwrap() > 0.0);
    let location = component(&state, "location");
    assert_eq!(location["enabled"], true);
    let first_location = option_ids(location)[0].clone();

    for (name, trigger_next) in [("location", "date"), ("date", "time")] {
        let state = preview.state();
        let id = if name == "location" {
            first_location.clone()
        } else {
            option_ids(component(&state, name))[0].clone()
        };
        let state = preview.post("/api/set", &json!({"name": name, "value": id}));
        assert_eq!(component(&state, trigger_next)["enabled"], true, "{state}");
    }
    let state = preview.state();
    let time = component(&state, "time");
    let free = time["options"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["enabled"] == true)
        .unwrap()["id"]
        .clone();
    // A slot the endpoint marked unavailable is refused, as the phone greys it out.
    let taken = time["options"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["enabled"] == false)
        .unwrap()["id"]
        .clone();
    let state = preview.post("/api/set", &json!({"name": "time", "value": taken}));
    assert!(
        state["notice"].as_str().unwrap().contains("disabled"),
        "{}",
        state["notice"]
    );
    let state = preview.post("/api/set", &json!({"name": "time", "value": free}));
    assert_eq!(state["notice"], Value::Null);
    assert_eq!(state["screen"]["footer"]["enabled"], true, "{state}");

    // Continue is a navigate: DETAILS with the payload as its data, no request.
    let sent = state["exchanges"].as_array().unwrap().len();
    let state = preview.post("/api/tap", &json!({"label": "Continue"}));
    assert_eq!(state["screen"]["id"], "DETAILS", "{state}");
    assert_eq!(state["screen"]["first"], false);
    assert_eq!(state["data"]["time"], free);
    assert_eq!(state["exchanges"].as_array().unwrap().len(), sent);
    let email = component(&state, "email");
    assert_eq!(email["input_type"], "email");

    // A value the client rejects shows under the field and keeps the Footer refused.
    let state = preview.post(
        "/api/set",
        &json!({"name": "email", "value": "not an address"}),
    );
    assert_eq!(
        component(&state, "email")["error"],
        "enter a valid email address"
    );
    assert_eq!(state["screen"]["footer"]["enabled"], false);
    let state = preview.post("/api/tap", &json!({"label": "Continue"}));
    assert!(
        state["notice"].as_str().unwrap().contains("Email"),
        "{}",
        state["notice"]
    );
    assert_eq!(state["screen"]["id"], "DETAILS");

    // Back: APPOINTMENT as it was left.
    let state = preview.post("/api/back", &json!({}));
    assert_eq!(state["screen"]["id"], "APPOINTMENT");
    assert_eq!(state["screen"]["first"], true);
    assert_eq!(state["form"]["time"], free);

    // Restart: a new flow token and INIT again, nothing of the old walk kept.
    let state = preview.post("/api/restart", &json!({"flow_action": "data_exchange"}));
    assert_eq!(state["screen"]["id"], "APPOINTMENT");
    assert_ne!(state["flow_token"], token.as_str());
    assert!(
        state["flow_token"]
            .as_str()
            .unwrap()
            .starts_with("flows-preview-")
    );
    assert_eq!(state["exchanges"].as_array().unwrap().len(), 1);
    assert_eq!(state["form"], json!({}));

    // navigate to a screen other screens route to: the error is shown, the server keeps serving.
    let state = preview.post(
        "/api/restart",
        &json!({"flow_action": "navigate", "screen": "TERMS"}),
    );
    assert_eq!(state["status"], "error");
    assert!(
        state["error"].as_str().unwrap().contains("TERMS"),
        "{}",
        state["error"]
    );
    assert_eq!(state["options"]["flow_action"], "navigate");
    assert_eq!(preview.state()["status"], "error");
}

#[test]
fn bad_requests_get_statuses_not_a_changed_state() {
    let endpoint = sample_endpoint();
    let dir = temp_dir("preview-api-bad");
    let preview = start_preview(&flow_file(&dir), &endpoint.url);
    let before = preview.state();

    let (status, body) = preview.request("POST", "/api/set", "application/json", "{not json");
    assert_eq!(status, 400);
    assert!(
        body["error"].as_str().unwrap().contains("not JSON"),
        "{body}"
    );
    let (status, body) = preview.request("POST", "/api/tap", "application/json", "{}");
    assert_eq!(status, 400);
    assert!(body["error"].as_str().unwrap().contains("label"), "{body}");
    // A form post from another site is not JSON.
    let (status, _) = preview.request(
        "POST",
        "/api/restart",
        "application/x-www-form-urlencoded",
        "flow_action=navigate",
    );
    assert_eq!(status, 415);
    let (status, _) = preview.request("GET", "/api/tap", "application/json", "");
    assert_eq!(status, 405);
    let (status, _) = preview.request("GET", "/nothing-here", "text/plain", "");
    assert_eq!(status, 404);
    assert_eq!(preview.state()["generation"], before["generation"]);

    // Asked for by a domain name (a page that rebinds its name to this machine): refused.
    let port = preview.addr.port();
    let (status, _) = preview.request_to(
        &format!("evil.example:{port}"),
        "GET",
        "/api/state",
        "application/json",
        "",
    );
    assert_eq!(status, 403);
    let (status, _) = preview.request_to(
        &format!("localhost:{port}"),
        "GET",
        "/api/state",
        "application/json",
        "",
    );
    assert_eq!(status, 200);

    // The page itself is served from the binary.
    let (status, page) = preview.request("GET", "/", "text/html", "");
    assert_eq!(status, 200);
    assert!(page.as_str().unwrap().contains("/preview.js"));
    let (status, script) = preview.request("GET", "/preview.js", "text/javascript", "");
    assert_eq!(status, 200);
    assert!(script.as_str().unwrap().contains("/api/state"));
}

#[test]
fn an_edited_flow_file_restarts_the_flow_and_a_broken_one_shows_its_error() {
    let endpoint = sample_endpoint();
    let dir = temp_dir("preview-api-reload");
    let path = flow_file(&dir);
    let preview = start_preview(&path, &endpoint.url);
    let state = preview.state();
    assert_eq!(state["screen"]["title"], "Appointment");
    assert_eq!(state["reloaded"], false);
    let token = state["flow_token"].clone();
    preview.post("/api/set", &json!({"name": "department", "value": "home"}));

    let mut flow: Value = serde_json::from_str(sample_flow::FLOW_JSON).unwrap();
    flow["screens"][0]["title"] = json!("Book with us");
    rewrite(&path, &flow.to_string(), 5);
    let state = preview.state();
    assert_eq!(state["reloaded"], true, "{state}");
    assert_eq!(state["screen"]["title"], "Book with us");
    assert_ne!(state["flow_token"], token);
    assert_eq!(state["form"], json!({}));
    assert_eq!(state["exchanges"].as_array().unwrap().len(), 1);
    // Reported once: the next poll is news no more.
    assert_eq!(preview.state()["reloaded"], true);
    let state = preview.post("/api/set", &json!({"name": "department", "value": "home"}));
    assert_eq!(state["reloaded"], false);

    rewrite(&path, "{\"version\": \"7.2\", \"screens\": [", 10);
    let state = preview.state();
    assert_eq!(state["status"], "error");
    assert!(
        state["error"]
            .as_str()
            .unwrap()
            .contains("not a Flow JSON document"),
        "{}",
        state["error"]
    );
    assert_eq!(state["screen"], Value::Null);
    let (status, _) = preview.request(
        "POST",
        "/api/tap",
        "application/json",
        r#"{"label":"Continue"}"#,
    );
    assert_eq!(status, 400);

    rewrite(&path, sample_flow::FLOW_JSON, 15);
    let state = preview.state();
    assert_eq!(state["status"], "ready", "{state}");
    assert_eq!(state["reloaded"], true);
    assert_eq!(state["screen"]["title"], "Appointment");
}

#[test]
fn a_reply_that_breaks_the_contract_is_shown_with_its_violations() {
    let endpoint = sample_endpoint();
    let dir = temp_dir("preview-api-contract");
    // The flow now says `department` is a string: the endpoint's INIT sends a list.
    let mut flow: Value = serde_json::from_str(sample_flow::FLOW_JSON).unwrap();
    flow["screens"][0]["data"]["department"] = json!({"type": "string", "__example__": "shopping"});
    let path = dir.join("flow.json");
    std::fs::write(&path, flow.to_string()).unwrap();
    let preview = start_preview(&path, &endpoint.url);

    let state = preview.state();
    assert_eq!(state["status"], "error", "{state}");
    assert_eq!(state["screen"], Value::Null);
    assert!(
        state["error"].as_str().unwrap().contains("department"),
        "{}",
        state["error"]
    );
    let exchanges = state["exchanges"].as_array().unwrap();
    assert_eq!(exchanges[0]["action"], "INIT");
    assert_eq!(exchanges[0]["status"], 200);
    let violations = exchanges[0]["violations"].as_array().unwrap();
    assert!(
        violations
            .iter()
            .any(|v| v.as_str().unwrap().contains("department")),
        "{violations:?}"
    );
    // And the client told the endpoint, as WhatsApp does.
    assert_eq!(exchanges[1]["kind"], "error_notification", "{exchanges:?}");
    assert!(
        exchanges[1]["request"]["data"]["error"].is_string(),
        "{}",
        exchanges[1]["request"]
    );
}
