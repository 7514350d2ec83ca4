//! The WhatsApp Flows endpoint conformance suite.
//!
//! [`run_conformance`] checks an endpoint that serves the sample flow (`flows-sample-flow`) with the
//! [`Fixture`]'s keys and app secrets, through any [`Target`]: the in-process adapters (hyper, actix-web)
//! implement it in this package's tests, [`HttpTarget`] speaks HTTP/1.1 to a running server (hyper's
//! client, as the CLI uses; raw sockets only for what no client sends, in one module), and
//! [`ServerProcess`] starts an example binary for the black-box runs. It covers ping, INIT, every
//! screen, BACK, both spellings of error notifications, 421 for any tampered field or an unknown key
//! with one uniform body, 400 for a broken envelope, 432 for a missing, wrong or prefix-less
//! signature, 413, 427, key and app-secret rotation, `/health`, `/metrics`, 404 and 405.
//!
//! Every request carries [`MARKER`] in its decrypted data and [`FLOW_TOKEN`] as its flow token, so
//! [`assert_no_secrets`] can check a server's logs for leaks.

// A test harness: a failed check is a panic with a message, which is the point.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod blackbox;
mod http;
mod process;
mod raw;
mod runtime;
pub mod tls;

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use flows_router::contract::FlowContract;
use flows_router::{Action, Endpoint, FlowRequest, FlowResponse};
use serde_json::{Value, json};
use whatsapp_flows_crypto::{
    EncryptedRequest, KeySet, PendingResponse, PrivateKey, PublicKey, SIGNATURE_HEADER,
    SignatureVerifier, sign,
};

pub use blackbox::{conformance_and_graceful_shutdown, start_up_failures};
pub use http::HttpTarget;
pub use process::{ServerProcess, run_to_exit};
pub use runtime::{
    configuration_failures, connections_beyond_the_limit_are_refused, idle_connections_are_closed,
    slow_clients_are_cut_off, tls_certificate_reload, tls_conformance,
    token_signatures_are_verified,
};

/// The folder of the crypto crate's key fixtures.
pub const KEY_DIR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../crates/whatsapp-flows-crypto/tests/fixtures/keys"
);
/// The current Meta app secret the endpoint is configured with.
pub const APP_SECRET: &str = "conformance-app-secret-current-6c1f0e";
/// The previous app secret, still accepted during a rotation.
pub const OLD_APP_SECRET: &str = "conformance-app-secret-previous-0b9d42";
/// The passphrase given to black-box servers (the rotation keys are unencrypted; it must not leak anyway).
pub const PASSPHRASE: &str = "conformance-passphrase-3e7a55";
/// Put in the decrypted data of every request: it must never appear in a server's logs.
pub const MARKER: &str = "decrypted-marker-7d41c9";
/// The flow token of every request: it must never appear in a server's logs.
pub const FLOW_TOKEN: &str = "flow-token-secret-2f8b13";

/// An HTTP answer as a [`Target`] reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpReply {
    /// Status code.
    pub status: u16,
    /// `Content-Type` header, empty if absent.
    pub content_type: String,
    /// Body.
    pub body: Vec<u8>,
}

impl HttpReply {
    /// The body as text (lossy).
    #[must_use]
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Something that answers HTTP requests: an adapter called in-process, or a server over TCP.
#[allow(async_fn_in_trait)] // Used with concrete types only; actix's test service is not `Send`.
pub trait Target {
    /// `POST path` with these headers and body.
    async fn post(&self, path: &str, headers: &[(&str, String)], body: Vec<u8>) -> HttpReply;
    /// `GET path`.
    async fn get(&self, path: &str) -> HttpReply;
}

/// The keys and secrets the endpoint under test is configured with, and the WhatsApp client's side.
#[derive(Debug)]
pub struct Fixture {
    current: PrivateKey,
    previous: PrivateKey,
    stranger: PublicKey,
}

impl Default for Fixture {
    fn default() -> Self {
        Self::new()
    }
}

impl Fixture {
    /// Loads the rotation fixture keys: `rotation-new.pem` (current) and `rotation-old.pem` (previous).
    #[must_use]
    pub fn new() -> Self {
        let load = |name: &str| {
            let pem = std::fs::read_to_string(format!("{KEY_DIR}/{name}")).unwrap();
            PrivateKey::from_pem(&pem, None).unwrap()
        };
        Self {
            current: load("rotation-new.pem"),
            previous: load("rotation-old.pem"),
            stranger: load("openssl-genpkey-pkcs8.pem").public_key().clone(),
        }
    }

    /// An in-process endpoint: both keys, both app secrets, the sample flow, and every reply checked
    /// against the sample's Flow JSON (a reply the WhatsApp client would reject fails with 500).
    #[must_use]
    pub fn endpoint(&self) -> Endpoint {
        let keys = KeySet::new(self.current.clone()).with_previous(self.previous.clone());
        let secrets = SignatureVerifier::new(APP_SECRET).with_previous(OLD_APP_SECRET);
        let contract = FlowContract::from_json(sample_flow::FLOW_JSON).unwrap();
        Endpoint::builder(keys, sample_flow::flow())
            .app_secrets(secrets)
            .contract(contract)
            .build()
    }

    /// A ping encrypted to the current key and signed with the current app secret: body, headers,
    /// and what decrypts the reply.
    #[must_use]
    pub fn signed_ping(&self) -> (Vec<u8>, Vec<(&'static str, String)>, PendingResponse) {
        let request = FlowRequest::new(Action::Ping).with("marker", MARKER);
        let (body, pending) = self
            .current
            .public_key()
            .encrypt_request_json(&request)
            .unwrap()
            .into_parts();
        let headers = vec![
            ("content-type", "application/json".to_owned()),
            (
                SIGNATURE_HEADER,
                sign(APP_SECRET.as_bytes(), body.as_bytes()),
            ),
        ];
        (body.into_bytes(), headers, pending)
    }

    /// `request` encrypted to the current key and its body signed with `app_secret`: body,
    /// headers, and what decrypts the reply.
    #[must_use]
    pub fn signed_request(
        &self,
        request: &FlowRequest,
        app_secret: &str,
    ) -> (Vec<u8>, Vec<(&'static str, String)>, PendingResponse) {
        let (body, pending) = self
            .current
            .public_key()
            .encrypt_request_json(request)
            .unwrap()
            .into_parts();
        let headers = vec![
            ("content-type", "application/json".to_owned()),
            (
                SIGNATURE_HEADER,
                sign(app_secret.as_bytes(), body.as_bytes()),
            ),
        ];
        (body.into_bytes(), headers, pending)
    }

    /// The `FLOWS_*` environment of an example server configured like [`Fixture::endpoint`].
    #[must_use]
    pub fn server_env() -> Vec<(&'static str, String)> {
        vec![
            (
                "FLOWS_PRIVATE_KEY_FILE",
                format!("{KEY_DIR}/rotation-new.pem,{KEY_DIR}/rotation-old.pem"),
            ),
            ("FLOWS_PASSPHRASE", PASSPHRASE.to_owned()),
            ("FLOWS_APP_SECRET", format!("{APP_SECRET},{OLD_APP_SECRET}")),
        ]
    }
}

/// Panics if `logs` contain the passphrase, an app secret, the decrypted-data marker or the flow token.
pub fn assert_no_secrets(logs: &str) {
    for secret in [PASSPHRASE, APP_SECRET, OLD_APP_SECRET, MARKER, FLOW_TOKEN] {
        assert!(
            !logs.contains(secret),
            "server output contains {secret:?}:\n{logs}"
        );
    }
}

/// Which key a request is encrypted to.
#[derive(Clone, Copy)]
enum To {
    Current,
    Previous,
    Stranger,
}

/// How a request is signed.
#[derive(Clone, Copy)]
enum Signed {
    Current,
    Previous,
    Wrong,
    NoPrefix,
    Missing,
}

struct Suite<'a, T> {
    target: &'a T,
    fixture: &'a Fixture,
    path: &'a str,
    /// Expected `flows_requests_total` by (action, status).
    counts: BTreeMap<(String, u16), u64>,
}

/// Runs the whole suite against a fresh endpoint (its metrics must start at zero) serving the sample
/// flow at `POST /flow`, configured as [`Fixture::endpoint`]. Panics on the first failed check.
pub async fn run_conformance(target: &impl Target, fixture: &Fixture) {
    let mut suite = Suite {
        target,
        fixture,
        path: "/flow",
        counts: BTreeMap::new(),
    };
    suite.ping().await;
    suite.screens().await;
    suite.back().await;
    suite.error_notifications().await;
    suite.undecryptable().await;
    suite.malformed().await;
    suite.signatures().await;
    suite.oversize().await;
    suite.invalid_token().await;
    suite.rotation().await;
    suite.ping().await;
    suite.routes().await;
    suite.metrics().await;
}

impl<T: Target> Suite<'_, T> {
    fn encrypt(&self, to: To, request: &FlowRequest) -> EncryptedRequest {
        let key = match to {
            To::Current => self.fixture.current.public_key(),
            To::Previous => self.fixture.previous.public_key(),
            To::Stranger => &self.fixture.stranger,
        };
        key.encrypt_request_json(request).unwrap()
    }

    async fn send(&mut self, body: Vec<u8>, signed: Signed) -> HttpReply {
        let mut headers = vec![("content-type", "application/json".to_owned())];
        let signature = match signed {
            Signed::Current => Some(sign(APP_SECRET.as_bytes(), &body)),
            Signed::Previous => Some(sign(OLD_APP_SECRET.as_bytes(), &body)),
            Signed::Wrong => Some(sign(b"not-the-app-secret", &body)),
            Signed::NoPrefix => Some(sign(APP_SECRET.as_bytes(), &body).replace("sha256=", "")),
            Signed::Missing => None,
        };
        if let Some(signature) = signature {
            headers.push((SIGNATURE_HEADER, signature));
        }
        self.target.post(self.path, &headers, body).await
    }

    fn count(&mut self, action: &str, status: u16) {
        *self.counts.entry((action.to_owned(), status)).or_default() += 1;
    }

    /// Sends `request` encrypted to `to`, signed as `signed`; expects 200 and returns the decrypted reply.
    async fn exchange_with(
        &mut self,
        request: &FlowRequest,
        to: To,
        signed: Signed,
    ) -> FlowResponse {
        let (body, pending) = self.encrypt(to, request).into_parts();
        let reply = self.send(body.into_bytes(), signed).await;
        assert_eq!(reply.status, 200, "{request:?}: {}", reply.text());
        assert!(reply.content_type.starts_with("text/plain"), "{reply:?}");
        self.count(request.action.as_str(), 200);
        decrypt_reply(pending, &reply)
    }

    async fn exchange(&mut self, request: &FlowRequest) -> FlowResponse {
        self.exchange_with(request, To::Current, Signed::Current)
            .await
    }

    async fn ping(&mut self) {
        let reply = self.exchange(&FlowRequest::new(Action::Ping)).await;
        assert_eq!(reply, FlowResponse::ping());
    }

    async fn screens(&mut self) {
        let init = self.exchange(&request("INIT", None, json!({}))).await;
        assert_eq!(init.screen(), Some("APPOINTMENT"));
        assert_eq!(init.data()["department"].as_array().unwrap().len(), 5);
        for picker in ["is_location_enabled", "is_date_enabled", "is_time_enabled"] {
            assert_eq!(init.data()[picker], false, "{init:?}");
        }

        let picked = self
            .exchange(&request(
                "data_exchange",
                Some("APPOINTMENT"),
                json!({"trigger": "department_selected", "department": "beauty"}),
            ))
            .await;
        assert_eq!(picked.screen(), Some("APPOINTMENT"));
        assert_eq!(picked.data()["is_location_enabled"], true);
        assert_eq!(picked.data()["is_date_enabled"], false);

        let picked = self
            .exchange(&request(
                "data_exchange",
                Some("APPOINTMENT"),
                json!({"trigger": "date_selected", "department": "beauty", "location": "1", "date": "2024-01-01"}),
            ))
            .await;
        assert_eq!(picked.data()["is_time_enabled"], true);

        let choices =
            json!({"department": "beauty", "location": "1", "date": "2024-01-01", "time": "11:30"});
        let details = self
            .exchange(&request(
                "data_exchange",
                Some("APPOINTMENT"),
                choices.clone(),
            ))
            .await;
        assert_eq!(
            details,
            FlowResponse::next_screen("DETAILS")
                .with_data(&choices)
                .unwrap()
        );

        let summary = self
            .exchange(&request(
                "data_exchange",
                Some("DETAILS"),
                json!({"department": "beauty", "location": "1", "date": "2024-01-01", "time": "11:30",
                       "name": MARKER, "email": "john@example.com", "phone": "123456789",
                       "more_details": "A free skin care consultation, please"}),
            ))
            .await;
        assert_eq!(summary.screen(), Some("SUMMARY"));
        assert_eq!(
            summary.data()["appointment"],
            "Beauty & Personal Care at King\u{2019}s Cross, London\nMon Jan 01 2024 at 11:30"
        );
        assert!(
            summary.data()["details"]
                .as_str()
                .unwrap()
                .starts_with(&format!("Name: {MARKER}\n"))
        );
        assert_eq!(summary.data()["phone"], "123456789");

        let done = self
            .exchange(&request(
                "data_exchange",
                Some("SUMMARY"),
                json!({"name": MARKER}),
            ))
            .await;
        assert_eq!(done.screen(), Some(flows_router::SUCCESS_SCREEN));
        assert_eq!(
            done.data()["extension_message_response"]["params"]["flow_token"],
            FLOW_TOKEN
        );
    }

    async fn back(&mut self) {
        let back = self
            .exchange(&request("BACK", Some("DETAILS"), json!({})))
            .await;
        assert_eq!(back.screen(), Some("APPOINTMENT"));
        assert_eq!(back.data()["is_time_enabled"], true);
    }

    async fn error_notifications(&mut self) {
        for key in ["error", "error_key"] {
            let reply = self
                .exchange(&request(
                    "data_exchange",
                    Some("DETAILS"),
                    json!({key: "payload-schema-error", "error_message": MARKER}),
                ))
                .await;
            assert_eq!(reply, FlowResponse::acknowledged(), "{key}");
        }
    }

    /// Every tampered field, and a request for another key: 421 with one uniform reply.
    async fn undecryptable(&mut self) {
        let ping = FlowRequest::new(Action::Ping).with("marker", MARKER);
        let mut replies = Vec::new();
        for field in ["encrypted_aes_key", "initial_vector", "encrypted_flow_data"] {
            for position in [Position::First, Position::Middle, Position::Last] {
                let body = self.encrypt(To::Current, &ping).into_parts().0;
                let body = flip_bit(&body, field, position);
                let reply = self.send(body.into_bytes(), Signed::Current).await;
                assert_eq!(reply.status, 421, "{field} {position:?}: {}", reply.text());
                self.count("none", 421);
                replies.push(reply);
            }
        }
        let body = self.encrypt(To::Stranger, &ping).into_parts().0;
        let reply = self.send(body.into_bytes(), Signed::Current).await;
        assert_eq!(reply.status, 421, "unknown key: {}", reply.text());
        self.count("none", 421);
        replies.push(reply);
        assert!(
            replies.windows(2).all(|pair| pair[0] == pair[1]),
            "421 replies differ: {replies:?}"
        );
    }

    async fn malformed(&mut self) {
        let good = self
            .encrypt(To::Current, &FlowRequest::new(Action::Ping))
            .into_parts()
            .0;
        let mut missing: Value = serde_json::from_str(&good).unwrap();
        missing.as_object_mut().unwrap().remove("initial_vector");
        let mut bad_base64: Value = serde_json::from_str(&good).unwrap();
        bad_base64["initial_vector"] = json!("not*base64!");
        for (what, body) in [
            ("not JSON", b"this is not json".to_vec()),
            ("missing field", missing.to_string().into_bytes()),
            ("bad base64", bad_base64.to_string().into_bytes()),
        ] {
            let reply = self.send(body, Signed::Current).await;
            assert_eq!(reply.status, 400, "{what}: {}", reply.text());
            self.count("none", 400);
        }
    }

    async fn signatures(&mut self) {
        for signed in [Signed::Missing, Signed::Wrong, Signed::NoPrefix] {
            let body = self
                .encrypt(To::Current, &FlowRequest::new(Action::Ping))
                .into_parts()
                .0;
            let reply = self.send(body.into_bytes(), signed).await;
            assert_eq!(reply.status, 432, "{}", reply.text());
            self.count("none", 432);
        }
    }

    async fn oversize(&mut self) {
        let reply = self.send(vec![b' '; (1 << 20) + 1], Signed::Current).await;
        assert_eq!(reply.status, 413, "{}", reply.text());
        self.count("none", 413);
    }

    async fn invalid_token(&mut self) {
        let init = request("INIT", None, json!({}))
            .with_flow_token(format!("{}-{FLOW_TOKEN}", sample_flow::EXPIRED_MARKER));
        let (body, pending) = self.encrypt(To::Current, &init).into_parts();
        let reply = self.send(body.into_bytes(), Signed::Current).await;
        assert_eq!(reply.status, 427, "{}", reply.text());
        self.count("INIT", 427);
        // A 427 is not a screen reply: its one field is read as JSON.
        let plaintext = pending.decrypt(&reply.body).unwrap();
        assert_eq!(
            serde_json::from_str::<Value>(&plaintext).unwrap(),
            json!({"error_msg": sample_flow::EXPIRED_MESSAGE})
        );
    }

    async fn rotation(&mut self) {
        let ping = FlowRequest::new(Action::Ping);
        for (to, signed) in [
            (To::Previous, Signed::Current),
            (To::Current, Signed::Previous),
            (To::Previous, Signed::Previous),
        ] {
            let reply = self.exchange_with(&ping, to, signed).await;
            assert_eq!(reply, FlowResponse::ping());
        }
    }

    async fn routes(&mut self) {
        let health = self.target.get("/health").await;
        assert_eq!(health.status, 200);
        assert_eq!(
            serde_json::from_slice::<Value>(&health.body).unwrap(),
            json!({"status": "ok"})
        );
        assert_eq!(self.target.get(self.path).await.status, 405);
        assert_eq!(
            self.target.post("/health", &[], Vec::new()).await.status,
            405
        );
        assert_eq!(self.target.get("/no-such-route").await.status, 404);
    }

    async fn metrics(&mut self) {
        let reply = self.target.get("/metrics").await;
        assert_eq!(reply.status, 200);
        let text = reply.text();
        let mut seen = BTreeMap::new();
        for line in text
            .lines()
            .filter(|l| l.starts_with("flows_requests_total{"))
        {
            let (labels, value) = line.rsplit_once(' ').unwrap();
            let action = between(labels, "action=\"", "\"");
            let status = between(labels, "status=\"", "\"").parse::<u16>().unwrap();
            seen.insert((action.to_owned(), status), value.parse::<u64>().unwrap());
        }
        assert_eq!(seen, self.counts, "metrics:\n{text}");
        let total: u64 = self.counts.values().sum();
        assert!(
            text.contains(&format!("flows_request_duration_seconds_count {total}")),
            "{text}"
        );
    }
}

/// A request of the sample flow with the suite's flow token; `data` is a JSON object.
fn request(action: &str, screen: Option<&str>, data: Value) -> FlowRequest {
    let Value::Object(data) = data else {
        panic!("request data must be an object: {data}");
    };
    let request = FlowRequest::new(Action::from(action))
        .with_data(data)
        .with_flow_token(FLOW_TOKEN);
    match screen {
        Some(screen) => request.with_screen(screen),
        None => request,
    }
}

/// Decrypts a 200 into the shared reply type, and checks the reply is exactly that shape: what
/// `FlowResponse` would drop (a misspelt key, a stray field) fails here instead of passing unseen.
fn decrypt_reply(pending: PendingResponse, reply: &HttpReply) -> FlowResponse {
    let plaintext = pending.decrypt(&reply.body).unwrap();
    let value: Value = serde_json::from_str(&plaintext).unwrap();
    let response = serde_json::from_value::<FlowResponse>(value.clone())
        .unwrap_or_else(|e| panic!("not a Flows reply ({e}): {value}"));
    assert_eq!(
        serde_json::to_value(&response).unwrap(),
        value,
        "the reply has more than a screen and data"
    );
    response
}

#[derive(Clone, Copy, Debug)]
enum Position {
    First,
    Middle,
    Last,
}

/// Decodes `field`, flips one bit at `position`, encodes it again.
fn flip_bit(body: &str, field: &str, position: Position) -> String {
    let mut envelope: Value = serde_json::from_str(body).unwrap();
    let mut bytes = STANDARD.decode(envelope[field].as_str().unwrap()).unwrap();
    let index = match position {
        Position::First => 0,
        Position::Middle => bytes.len() / 2,
        Position::Last => bytes.len() - 1,
    };
    bytes[index] ^= 0x10;
    envelope[field] = json!(STANDARD.encode(&bytes));
    envelope.to_string()
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let from = text.find(start).unwrap() + start.len();
    let len = text[from..].find(end).unwrap();
    &text[from..from + len]
}
