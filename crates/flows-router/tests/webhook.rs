//! The webhook against Meta's documented deliveries (tests/fixtures/webhooks, sources in its README),
//! signed as Meta signs them.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use std::future::Future as _;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use flows_router::HandlerError;
use flows_router::webhook::{
    AlertState, FlowCompletion, FlowEvent, FlowStatus, Origin, UntypedChange, Webhook,
    WebhookEvent, WebhookHandler,
};
use http::{HeaderMap, HeaderValue, Method};
use tokio::sync::Semaphore;
use whatsapp_flows_crypto::{SignatureVerifier, sign};

const SECRET: &str = "test-app-secret-5f1c";
const OLD_SECRET: &str = "previous-app-secret-91aa";
const VERIFY: &str = "verify-me-7d3e";

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/webhooks")
            .join(name),
    )
    .unwrap()
}

fn signed(secret: &str, body: &[u8]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(
        "x-hub-signature-256",
        HeaderValue::from_str(&sign(secret.as_bytes(), body)).unwrap(),
    );
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    headers
}

/// Records every event; optionally waits for a permit before finishing each one.
#[derive(Clone, Default)]
struct Recorder {
    seen: Arc<Mutex<Vec<(Origin, WebhookEvent)>>>,
    gate: Option<Arc<Semaphore>>,
    fail: bool,
}

impl Recorder {
    fn events(&self) -> Vec<(Origin, WebhookEvent)> {
        self.seen.lock().unwrap().clone()
    }

    async fn record(&self, origin: Origin, event: WebhookEvent) -> Result<(), HandlerError> {
        if let Some(gate) = &self.gate {
            gate.acquire().await.unwrap().forget();
        }
        self.seen.lock().unwrap().push((origin, event));
        if self.fail {
            return Err(HandlerError::msg("the database is away"));
        }
        Ok(())
    }
}

impl WebhookHandler for Recorder {
    async fn flow_completion(
        &self,
        origin: Origin,
        done: FlowCompletion,
    ) -> Result<(), HandlerError> {
        self.record(origin, WebhookEvent::FlowCompletion(done))
            .await
    }
    async fn flow_event(&self, origin: Origin, event: FlowEvent) -> Result<(), HandlerError> {
        self.record(origin, WebhookEvent::Flow(event)).await
    }
    async fn other(&self, origin: Origin, change: UntypedChange) -> Result<(), HandlerError> {
        self.record(origin, WebhookEvent::Other(change)).await
    }
}

fn webhook(recorder: &Recorder) -> Webhook {
    Webhook::builder(
        VERIFY,
        SignatureVerifier::new(SECRET).with_previous(OLD_SECRET),
        recorder.clone(),
    )
    .build()
    .unwrap()
}

async fn deliver(webhook: &Webhook, body: &[u8]) -> u16 {
    webhook
        .handle(
            &Method::POST,
            None,
            &signed(SECRET, body),
            Bytes::copy_from_slice(body),
        )
        .await
        .status
        .as_u16()
}

/// Delivers one fixture, waits for the handler, and returns what it was given.
async fn one_event(name: &str) -> (Origin, WebhookEvent, Webhook) {
    let recorder = Recorder::default();
    let webhook = webhook(&recorder);
    assert_eq!(deliver(&webhook, &fixture(name)).await, 200);
    webhook.drained().await;
    let mut events = recorder.events();
    assert_eq!(events.len(), 1, "{events:?}");
    let (origin, event) = events.remove(0);
    (origin, event, webhook)
}

#[tokio::test]
async fn the_subscription_handshake_echoes_the_challenge_only_for_the_right_token() {
    let recorder = Recorder::default();
    let webhook = webhook(&recorder);
    let get = |query: &'static str| {
        let webhook = webhook.clone();
        async move {
            webhook
                .handle(&Method::GET, Some(query), &(), Bytes::new())
                .await
        }
    };
    // Meta's example request: hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=...
    let ok =
        get("hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=verify-me-7d3e").await;
    assert_eq!(ok.status, 200);
    assert_eq!(&ok.body[..], b"1158201444");
    // Percent-encoded as a browser or Meta may send it.
    let encoded =
        get("hub.mode=subscribe&hub.verify_token=verify%2Dme%2D7d3e&hub.challenge=42").await;
    assert_eq!(
        (encoded.status.as_u16(), &encoded.body[..]),
        (200, &b"42"[..])
    );
    for query in [
        "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=wrong",
        "hub.mode=subscribe&hub.challenge=1158201444",
        "hub.mode=unsubscribe&hub.challenge=1158201444&hub.verify_token=verify-me-7d3e",
        "hub.mode=subscribe&hub.verify_token=verify-me-7d3e",
        "",
    ] {
        let refused = get(query).await;
        assert_eq!(refused.status, 403, "{query}");
        assert!(!refused.body.windows(10).any(|w| w == b"1158201444"));
    }
    assert!(
        webhook
            .metrics()
            .render_prometheus()
            .contains("flows_webhook_rejected_total{reason=\"handshake\"} 5")
    );
}

#[test]
fn an_empty_verify_token_is_refused_at_build_time() {
    let error = Webhook::builder("", SignatureVerifier::new(SECRET), Recorder::default())
        .build()
        .unwrap_err();
    assert!(
        error.to_string().contains("FLOWS_WEBHOOK_VERIFY_TOKEN"),
        "{error}"
    );
}

#[tokio::test]
async fn unsigned_or_wrongly_signed_deliveries_are_refused_and_never_handled() {
    let recorder = Recorder::default();
    let webhook = webhook(&recorder);
    let body = fixture("flow_response_message.json");
    let mut tampered = body.clone();
    let at = tampered.iter().position(|b| *b == b'S').unwrap();
    tampered[at] = b'T';
    let cases: Vec<(HeaderMap, Vec<u8>)> = vec![
        (HeaderMap::new(), body.clone()),
        (signed("another-apps-secret", &body), body.clone()),
        (signed(SECRET, &body), tampered),
        (
            {
                let mut h = HeaderMap::new();
                h.insert("x-hub-signature-256", HeaderValue::from_static("sha1=0123"));
                h
            },
            body.clone(),
        ),
    ];
    for (headers, body) in cases {
        let reply = webhook
            .handle(&Method::POST, None, &headers, Bytes::from(body))
            .await;
        assert_eq!(reply.status, 401);
    }
    webhook.drained().await;
    assert!(recorder.events().is_empty());
    assert_eq!(webhook.metrics().events("flow_completion"), 0);
    assert!(
        webhook
            .metrics()
            .render_prometheus()
            .contains("flows_webhook_rejected_total{reason=\"signature\"} 4")
    );

    // The previous secret of a rotation is still accepted.
    let reply = webhook
        .handle(
            &Method::POST,
            None,
            &signed(OLD_SECRET, &body),
            Bytes::from(body.clone()),
        )
        .await;
    assert_eq!(reply.status, 200);
}

/// The signature is the one `openssl dgst -sha256 -hmac` computes over the raw body, as Meta's
/// documentation describes it, not only what our own `sign` makes.
#[tokio::test]
async fn a_signature_made_by_openssl_is_accepted() {
    let body = fixture("endpoint_latency.json");
    let dir = std::env::temp_dir().join(format!("flows-webhook-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("body.json");
    std::fs::write(&path, &body).unwrap();
    let out = std::process::Command::new("openssl")
        .args(["dgst", "-sha256", "-hmac", SECRET, "-r"])
        .arg(&path)
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).ok();
    assert!(out.status.success());
    let hex = String::from_utf8(out.stdout).unwrap();
    let hex = hex.split_whitespace().next().unwrap();
    let mut headers = HeaderMap::new();
    headers.insert(
        "X-Hub-Signature-256",
        HeaderValue::from_str(&format!("sha256={hex}")).unwrap(),
    );
    let recorder = Recorder::default();
    let webhook = webhook(&recorder);
    let reply = webhook
        .handle(&Method::POST, None, &headers, Bytes::from(body))
        .await;
    assert_eq!(reply.status, 200);
    webhook.drained().await;
    assert_eq!(recorder.events().len(), 1);
}

#[tokio::test]
async fn a_flow_completion_is_typed_with_its_parsed_response_and_token() {
    let (origin, event, webhook) = one_event("flow_response_message.json").await;
    assert_eq!(origin.waba_id, "102290129340398");
    assert_eq!(origin.field, "messages");
    assert_eq!(origin.phone_number_id.as_deref(), Some("106540352242922"));
    let WebhookEvent::FlowCompletion(done) = event else {
        panic!("{event:?}")
    };
    assert_eq!(done.from, "16505551234");
    assert_eq!(
        done.message_id,
        "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA="
    );
    assert_eq!(done.timestamp, Some(1_744_322_402));
    assert_eq!(
        done.context_message_id.as_deref(),
        Some("gBGGEiRVVgBPAgm7FUgc73noXjo")
    );
    assert_eq!(
        done.flow_token.as_deref(),
        Some("AQAAAAACS5FpgQ_cAAAAAD0QI3s.")
    );
    assert_eq!(done.response["optional_param1"], "<value1>");
    assert_eq!(
        (done.name.as_deref(), done.body.as_deref()),
        (Some("flow"), Some("Sent"))
    );
    // Debug output carries neither the token nor the user's values.
    let debug = format!("{done:?}");
    assert!(
        !debug.contains("AQAAAAACS5Fpg") && !debug.contains("<value1>"),
        "{debug}"
    );
    assert!(
        webhook
            .metrics()
            .render_prometheus()
            .contains("flows_webhook_deliveries_total{kind=\"flow_completion\"} 1")
    );
}

#[tokio::test]
async fn a_completion_without_flow_token_is_still_a_completion() {
    // iOS clients have been seen to omit flow_token from response_json.
    let body = String::from_utf8(fixture("flow_response_message.json"))
        .unwrap()
        .replace(r#"\"flow_token\": \"AQAAAAACS5FpgQ_cAAAAAD0QI3s.\", "#, "");
    let recorder = Recorder::default();
    let webhook = webhook(&recorder);
    assert_eq!(deliver(&webhook, body.as_bytes()).await, 200);
    webhook.drained().await;
    let events = recorder.events();
    let WebhookEvent::FlowCompletion(done) = &events[0].1 else {
        panic!("{events:?}")
    };
    assert_eq!(done.flow_token, None);
    assert_eq!(done.response["optional_param2"], "<value2>");
}

#[tokio::test]
async fn status_changes_are_typed_with_old_and_new_status() {
    let (origin, event, webhook) = one_event("flow_status_change.json").await;
    assert_eq!(
        (origin.waba_id.as_str(), origin.time),
        ("644600416743275", Some(1_684_969_340))
    );
    let WebhookEvent::Flow(FlowEvent::StatusChange(change)) = event else {
        panic!("{event:?}")
    };
    assert_eq!(change.flow_id, "6627390910605886");
    assert_eq!(change.old_status, Some(FlowStatus::Draft));
    assert_eq!(change.new_status, FlowStatus::Published);
    assert_eq!(
        change.message.as_deref(),
        Some("Flow Webhook 3 changed status from DRAFT to PUBLISHED")
    );
    let metrics = webhook.metrics().render_prometheus();
    assert!(
        metrics.contains(
            "flows_meta_flow_status{flow_id=\"6627390910605886\",status=\"PUBLISHED\"} 1"
        ),
        "{metrics}"
    );
    assert!(
        metrics.contains("flows_meta_flow_status{flow_id=\"6627390910605886\",status=\"DRAFT\"} 0"),
        "{metrics}"
    );

    let (_, event, _) = one_event("flow_created_with_warning.json").await;
    let WebhookEvent::Flow(FlowEvent::StatusChange(created)) = event else {
        panic!("{event:?}")
    };
    assert_eq!(created.old_status, None);
    assert_eq!(created.new_status, FlowStatus::Draft);
    assert!(
        created
            .warning
            .unwrap()
            .starts_with("Your current Flow version will freeze in 21 days")
    );
}

#[tokio::test]
async fn error_rate_alerts_are_typed_with_rates_and_error_types() {
    for (file, endpoint) in [
        ("endpoint_error_rate.json", true),
        ("client_error_rate.json", false),
    ] {
        let (_, event, webhook) = one_event(file).await;
        let alert = match (event, endpoint) {
            (WebhookEvent::Flow(FlowEvent::EndpointErrorRate(alert)), true)
            | (WebhookEvent::Flow(FlowEvent::ClientErrorRate(alert)), false) => alert,
            (other, _) => panic!("{file}: {other:?}"),
        };
        assert_eq!(alert.flow_id, "691244242662581");
        assert_eq!(alert.alert_state, AlertState::Activated);
        assert_eq!(alert.threshold, Some(10.0));
        assert_eq!(alert.error_rate, Some(14.28));
        assert_eq!(alert.errors.len(), 2);
        let first = &alert.errors[0];
        let expected = if endpoint {
            "CAPABILITY_ERROR"
        } else {
            "INVALID_SCREEN_TRANSITION"
        };
        assert_eq!(
            (
                first.error_type.as_str(),
                first.error_rate,
                first.error_count
            ),
            (expected, Some(66.66), Some(2))
        );
        let kind = if endpoint {
            "endpoint_error_rate"
        } else {
            "client_error_rate"
        };
        let metrics = webhook.metrics().render_prometheus();
        assert!(metrics.contains(&format!("flows_meta_alert_active{{event=\"{kind}\",flow_id=\"691244242662581\",threshold=\"10\"}} 1")), "{metrics}");
        assert!(
            metrics.contains(&format!(
                "flows_meta_alert_value{{event=\"{kind}\",flow_id=\"691244242662581\"}} 14.28"
            )),
            "{metrics}"
        );
    }
}

#[tokio::test]
async fn latency_and_availability_alerts_are_typed() {
    let (_, event, webhook) = one_event("endpoint_latency.json").await;
    let WebhookEvent::Flow(FlowEvent::EndpointLatency(alert)) = event else {
        panic!("{event:?}")
    };
    assert_eq!(alert.p90(), Some(std::time::Duration::from_secs(8)));
    assert_eq!(alert.p50(), Some(std::time::Duration::from_millis(500)));
    assert_eq!(
        (alert.requests_count, alert.threshold),
        (Some(34), Some(7000.0))
    );
    assert_eq!(alert.alert_state, AlertState::Activated);
    assert!(webhook.metrics().render_prometheus().contains(
        "flows_meta_alert_active{event=\"endpoint_latency\",flow_id=\"691244242662581\",threshold=\"7000\"} 1"
    ));

    let (_, event, webhook) = one_event("endpoint_availability.json").await;
    let WebhookEvent::Flow(FlowEvent::EndpointAvailability(alert)) = event else {
        panic!("{event:?}")
    };
    assert_eq!(
        (alert.flow_id.as_str(), alert.availability, alert.threshold),
        ("12345678", Some(75.0), Some(90.0))
    );
    assert!(webhook.metrics().render_prometheus().contains(
        "flows_meta_alert_value{event=\"endpoint_availability\",flow_id=\"12345678\"} 75"
    ));

    let (_, event, _) = one_event("flow_version_expiry_warning.json").await;
    let WebhookEvent::Flow(FlowEvent::VersionExpiryWarning(warning)) = event else {
        panic!("{event:?}")
    };
    assert_eq!(warning.flow_id, "6627390910605886");
    assert!(warning.warning.unwrap().contains("will freeze in 21 days"));
}

#[tokio::test]
async fn a_deactivated_alert_sets_its_gauge_back_to_zero() {
    let recorder = Recorder::default();
    let webhook = webhook(&recorder);
    let raised = fixture("endpoint_latency.json");
    let cleared = String::from_utf8(raised.clone())
        .unwrap()
        .replace("\"ACTIVATED\"", "\"DEACTIVATED\"");
    assert_eq!(deliver(&webhook, &raised).await, 200);
    assert_eq!(deliver(&webhook, cleared.as_bytes()).await, 200);
    webhook.drained().await;
    assert!(webhook.metrics().render_prometheus().contains(
        "flows_meta_alert_active{event=\"endpoint_latency\",flow_id=\"691244242662581\",threshold=\"7000\"} 0"
    ));
    // Alerts carry no message id: both are handed on.
    assert_eq!(recorder.events().len(), 2);
}

#[tokio::test]
async fn everything_else_is_passed_on_untyped_never_an_error() {
    let text_message = serde_json::json!({"object": "whatsapp_business_account", "entry": [{"id": "102290129340398",
        "changes": [{"field": "messages", "value": {"messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"},
            "messages": [{"from": "16505551234", "id": "wamid.text-1", "timestamp": "1749416383", "type": "text",
                          "text": {"body": "Does it come in another color?"}}]}}]}]});
    let unknown_event = serde_json::json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "time": 1,
        "changes": [{"field": "flows", "value": {"event": "SOMETHING_NEW", "flow_id": "9"}},
                    {"field": "account_update", "value": {"event": "VERIFIED_ACCOUNT"}}]}]});
    // A documented event without a field it needs: kept, untyped.
    let odd_latency = serde_json::json!({"object": "whatsapp_business_account", "entry": [{"id": "1",
        "changes": [{"field": "flows", "value": {"event": "ENDPOINT_LATENCY", "flow_id": "9", "p90_latency": "fast"}}]}]});
    let recorder = Recorder::default();
    let webhook = webhook(&recorder);
    for body in [&text_message, &unknown_event, &odd_latency] {
        assert_eq!(deliver(&webhook, body.to_string().as_bytes()).await, 200);
    }
    webhook.drained().await;
    let events = recorder.events();
    assert_eq!(events.len(), 4, "{events:?}");
    assert!(
        events
            .iter()
            .all(|(_, e)| matches!(e, WebhookEvent::Other(_))),
        "{events:?}"
    );
    let WebhookEvent::Other(text) = &events[0].1 else {
        unreachable!()
    };
    assert_eq!(
        text.value["messages"][0]["text"]["body"],
        "Does it come in another color?"
    );
    assert_eq!(events[2].0.field, "account_update");
    assert_eq!(webhook.metrics().events("other"), 4);

    // Signed but not a delivery at all: 400, nothing handled.
    assert_eq!(deliver(&webhook, b"not json").await, 400);
    assert_eq!(deliver(&webhook, b"[1,2]").await, 400);
}

#[tokio::test]
async fn a_completion_and_other_messages_in_one_change_are_split() {
    let mut body: serde_json::Value =
        serde_json::from_slice(&fixture("flow_response_message.json")).unwrap();
    let messages = body["entry"][0]["changes"][0]["value"]["messages"]
        .as_array_mut()
        .unwrap();
    messages.push(serde_json::json!({"from": "16505551234", "id": "wamid.text-2", "timestamp": "1", "type": "text", "text": {"body": "hi"}}));
    let recorder = Recorder::default();
    let webhook = webhook(&recorder);
    assert_eq!(deliver(&webhook, body.to_string().as_bytes()).await, 200);
    webhook.drained().await;
    let events = recorder.events();
    assert_eq!(events.len(), 2);
    assert!(matches!(events[0].1, WebhookEvent::FlowCompletion(_)));
    let WebhookEvent::Other(rest) = &events[1].1 else {
        panic!("{events:?}")
    };
    assert_eq!(rest.value["messages"].as_array().unwrap().len(), 1);
    assert_eq!(rest.value["messages"][0]["id"], "wamid.text-2");
}

#[tokio::test]
async fn meta_retries_are_handled_once_by_message_id() {
    let recorder = Recorder::default();
    let webhook = webhook(&recorder);
    let body = fixture("flow_response_message.json");
    for _ in 0..5 {
        assert_eq!(deliver(&webhook, &body).await, 200);
    }
    webhook.drained().await;
    assert_eq!(recorder.events().len(), 1);
    assert_eq!(webhook.metrics().duplicates(), 4);
    assert!(
        webhook
            .metrics()
            .render_prometheus()
            .contains("flows_webhook_duplicates_total 4")
    );
}

#[tokio::test]
async fn the_dedup_memory_is_bounded() {
    let recorder = Recorder::default();
    let webhook = Webhook::builder(VERIFY, SignatureVerifier::new(SECRET), recorder.clone())
        .dedup_capacity(2)
        .build()
        .unwrap();
    let base = String::from_utf8(fixture("flow_response_message.json")).unwrap();
    let with_id = |id: &str| {
        base.replace(
            "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=",
            id,
        )
    };
    for id in ["wamid.a", "wamid.b", "wamid.c", "wamid.a"] {
        assert_eq!(deliver(&webhook, with_id(id).as_bytes()).await, 200);
    }
    webhook.drained().await;
    // wamid.a was forgotten when wamid.c came (capacity 2): its second delivery is handled again.
    assert_eq!(recorder.events().len(), 4);
    assert_eq!(webhook.metrics().duplicates(), 0);
}

#[tokio::test]
async fn a_failed_completion_is_forgotten_so_a_redelivery_is_handled() {
    let recorder = Recorder {
        fail: true,
        ..Recorder::default()
    };
    let webhook = webhook(&recorder);
    let body = fixture("flow_response_message.json");
    assert_eq!(deliver(&webhook, &body).await, 200);
    webhook.drained().await;
    assert_eq!(deliver(&webhook, &body).await, 200);
    webhook.drained().await;
    assert_eq!(recorder.events().len(), 2);
    assert_eq!(webhook.metrics().failures(), 2);
}

#[tokio::test]
async fn the_200_comes_before_slow_handling_finishes() {
    let gate = Arc::new(Semaphore::new(0));
    let recorder = Recorder {
        gate: Some(Arc::clone(&gate)),
        ..Recorder::default()
    };
    let webhook = webhook(&recorder);
    // The handler cannot finish until the gate opens, so the 200 cannot be waiting for it.
    assert_eq!(
        deliver(&webhook, &fixture("flow_response_message.json")).await,
        200
    );
    assert_eq!(webhook.metrics().handled(), 0);
    assert!(recorder.events().is_empty());
    gate.add_permits(1);
    webhook.drained().await;
    assert_eq!(recorder.events().len(), 1);
    assert_eq!(webhook.metrics().handled(), 1);
}

/// On a current-thread runtime the dispatcher cannot run between two deliveries, so the queue's
/// state is exact: one delivery fits, the next is refused with 503 (Meta delivers it again later)
/// and is not remembered as seen.
#[tokio::test(flavor = "current_thread")]
async fn when_handling_backs_up_new_deliveries_get_503_and_are_not_lost() {
    let gate = Arc::new(Semaphore::new(0));
    let recorder = Recorder {
        gate: Some(Arc::clone(&gate)),
        ..Recorder::default()
    };
    let webhook = Webhook::builder(VERIFY, SignatureVerifier::new(SECRET), recorder.clone())
        .queue_capacity(1)
        .concurrency(1)
        .build()
        .unwrap();
    let base = String::from_utf8(fixture("flow_response_message.json")).unwrap();
    let first = base.replace(
        "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=",
        "wamid.first",
    );
    let second = base.replace(
        "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=",
        "wamid.second",
    );
    assert_eq!(deliver(&webhook, first.as_bytes()).await, 200);
    assert_eq!(deliver(&webhook, second.as_bytes()).await, 503);
    assert!(
        webhook
            .metrics()
            .render_prometheus()
            .contains("flows_webhook_rejected_total{reason=\"backlog\"} 1")
    );
    assert!(
        webhook
            .metrics()
            .render_prometheus()
            .contains("flows_webhook_queue_depth 1")
    );
    gate.add_permits(10);
    webhook.drained().await;
    // Meta's redelivery of the refused one is accepted and handled.
    assert_eq!(deliver(&webhook, second.as_bytes()).await, 200);
    webhook.drained().await;
    let ids: Vec<String> = recorder
        .events()
        .into_iter()
        .map(|(_, e)| match e {
            WebhookEvent::FlowCompletion(done) => done.message_id,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(ids, ["wamid.first", "wamid.second"]);
}

#[tokio::test]
async fn oversized_bodies_and_other_methods_are_refused() {
    let recorder = Recorder::default();
    let webhook = Webhook::builder(VERIFY, SignatureVerifier::new(SECRET), recorder.clone())
        .max_body_size(64)
        .build()
        .unwrap();
    let body = fixture("endpoint_latency.json");
    assert_eq!(deliver(&webhook, &body).await, 413);
    let put = webhook
        .handle(
            &Method::PUT,
            None,
            &signed(SECRET, &body),
            Bytes::from(body),
        )
        .await;
    assert_eq!(put.status, 405);
    webhook.drained().await;
    assert!(recorder.events().is_empty());
}

#[cfg(feature = "hyper")]
#[tokio::test]
async fn the_tower_service_answers_like_handle() {
    use http_body_util::{BodyExt as _, Full};
    use tower_service::Service as _;

    let recorder = Recorder::default();
    let mut service = webhook(&recorder);
    let challenge = http::Request::get(
        "/webhook?hub.mode=subscribe&hub.verify_token=verify-me-7d3e&hub.challenge=77",
    )
    .body(Full::new(Bytes::new()))
    .unwrap();
    let answer = service.call(challenge).await.unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(
        &answer.into_body().collect().await.unwrap().to_bytes()[..],
        b"77"
    );

    let body = fixture("endpoint_availability.json");
    let mut request = http::Request::post("/webhook")
        .body(Full::new(Bytes::from(body.clone())))
        .unwrap();
    *request.headers_mut() = signed(SECRET, &body);
    assert_eq!(service.call(request).await.unwrap().status(), 200);
    let unsigned = http::Request::post("/webhook")
        .body(Full::new(Bytes::from(body)))
        .unwrap();
    assert_eq!(service.call(unsigned).await.unwrap().status(), 401);
    service.drained().await;
    assert_eq!(recorder.events().len(), 1);
}

/// Outside a tokio runtime handling cannot start: the delivery is answered 500 (Meta retries it)
/// instead of a panic.
#[test]
fn a_delivery_outside_a_tokio_runtime_is_an_error_not_a_panic() {
    let recorder = Recorder::default();
    let webhook = webhook(&recorder);
    let body = fixture("flow_response_message.json");
    let headers = signed(SECRET, &body);
    let future = webhook.handle(&Method::POST, None, &headers, Bytes::from(body));
    let mut future = std::pin::pin!(future);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    let std::task::Poll::Ready(reply) = future.as_mut().poll(&mut cx) else {
        panic!("handle waits for nothing");
    };
    assert_eq!(reply.status, 500);
}
