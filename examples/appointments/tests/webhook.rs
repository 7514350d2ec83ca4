//! `POST /webhook`: a flow completion confirms its booking once, however often Meta delivers it, on
//! SQLite and PostgreSQL. Deliveries are Meta's documented flow response message
//! (crates/flows-router/tests/fixtures/webhooks, sources in its README), signed as Meta signs them.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::{Db, databases, open_store, test_day};
use flows_appointments::store::{BookingOutcome, Choice, Confirmation, Store};
use flows_appointments::webhook::Confirmations;
use flows_router::webhook::Webhook;
use http::{HeaderMap, HeaderValue, Method};
use whatsapp_flows_crypto::{SignatureVerifier, sign};

const SECRET: &str = "appointments-webhook-test-secret";

/// Meta's documented completion, with this message id and `response_json`.
fn completion(message_id: &str, response: &serde_json::Value) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../crates/flows-router/tests/fixtures/webhooks/flow_response_message.json");
    let mut body: serde_json::Value =
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let message = &mut body["entry"][0]["changes"][0]["value"]["messages"][0];
    message["id"] = message_id.into();
    message["interactive"]["nfm_reply"]["response_json"] = response.to_string().into();
    body.to_string().into_bytes()
}

fn webhook(store: &Store) -> Webhook {
    Webhook::builder(
        "verify",
        SignatureVerifier::new(SECRET),
        Confirmations::new(store.clone()),
    )
    .build()
    .unwrap()
}

async fn deliver(webhook: &Webhook, body: &[u8]) -> u16 {
    let mut headers = HeaderMap::new();
    headers.insert(
        "x-hub-signature-256",
        HeaderValue::from_str(&sign(SECRET.as_bytes(), body)).unwrap(),
    );
    let status = webhook
        .handle(&Method::POST, None, &headers, Bytes::copy_from_slice(body))
        .await
        .status;
    webhook.drained().await;
    status.as_u16()
}

async fn booking_with_token(store: &Store, seat: &str) -> (String, String) {
    let (token, _) = store.issue_token(Duration::from_secs(3600)).await.unwrap();
    let choice = Choice::of("cardio", "lisbon", &test_day(), "09:00");
    let BookingOutcome::Booked(booking_id) =
        common::book(store, &choice, seat, Some(&token), false).await
    else {
        panic!("the seat should be free");
    };
    (token, booking_id)
}

#[tokio::test(flavor = "current_thread")]
async fn a_retried_completion_confirms_its_booking_exactly_once() {
    for db in databases().await {
        let store = open_store(&db).await;
        let (token, booking_id) = booking_with_token(&store, "A1").await;
        let (_, other_booking) = booking_with_token(&store, "A2").await;
        let response = serde_json::json!({"flow_token": token, "booking_id": booking_id});
        let body = completion("wamid.completion-1", &response);

        let hook = webhook(&store);
        for _ in 0..4 {
            assert_eq!(deliver(&hook, &body).await, 200, "{}", db.name());
        }
        assert_eq!(hook.metrics().duplicates(), 3, "{}", db.name());
        assert_eq!(hook.metrics().failures(), 0, "{}", db.name());
        let first = store.confirmed_at(&booking_id).await.unwrap();
        assert!(first.is_some(), "{}: not confirmed", db.name());
        assert_eq!(
            store.confirmed_at(&other_booking).await.unwrap(),
            None,
            "{}",
            db.name()
        );

        // Another instance (or this one after a restart) has no memory of the message id: the
        // database keeps the first confirmation, even when asked later.
        let restarted = webhook(&store);
        assert_eq!(deliver(&restarted, &body).await, 200);
        assert_eq!(restarted.metrics().duplicates(), 0);
        let later = first.unwrap() + 3600;
        assert_eq!(
            store
                .confirm_booking(&token, Some(&booking_id), later)
                .await
                .unwrap(),
            Confirmation::AlreadyConfirmed {
                booking_id: booking_id.clone()
            }
        );
        assert_eq!(
            store.confirmed_at(&booking_id).await.unwrap(),
            first,
            "{}",
            db.name()
        );
        assert_eq!(
            store.confirmed_at(&other_booking).await.unwrap(),
            None,
            "{}",
            db.name()
        );
        store.close().await;
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_completion_for_an_unknown_token_or_without_one_is_acknowledged_and_changes_nothing() {
    for db in databases().await {
        let store = open_store(&db).await;
        let (token, booking_id) = booking_with_token(&store, "A3").await;
        let hook = webhook(&store);
        let unknown = completion(
            "wamid.unknown",
            &serde_json::json!({"flow_token": "never-issued", "booking_id": "B-1"}),
        );
        assert_eq!(deliver(&hook, &unknown).await, 200, "{}", db.name());
        // A booking id that is not the token's: nothing is confirmed.
        let mismatched = completion(
            "wamid.mismatched",
            &serde_json::json!({"flow_token": token, "booking_id": "someone-else"}),
        );
        assert_eq!(deliver(&hook, &mismatched).await, 200);
        // iOS may leave out the token.
        let tokenless = completion(
            "wamid.tokenless",
            &serde_json::json!({"booking_id": booking_id}),
        );
        assert_eq!(deliver(&hook, &tokenless).await, 200);
        assert_eq!(hook.metrics().failures(), 0);
        assert_eq!(
            store.confirmed_at(&booking_id).await.unwrap(),
            None,
            "{}",
            db.name()
        );

        // Without booking_id, the booking that keeps the token is the one.
        let by_token = completion("wamid.by-token", &serde_json::json!({"flow_token": token}));
        assert_eq!(deliver(&hook, &by_token).await, 200);
        assert!(
            store.confirmed_at(&booking_id).await.unwrap().is_some(),
            "{}",
            db.name()
        );
        store.close().await;
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_failing_database_is_a_counted_handler_failure_not_a_lost_200() {
    let db = Db::Sqlite(common::TempDir::new());
    let store = open_store(&db).await;
    let (token, booking_id) = booking_with_token(&store, "A1").await;
    let hook = webhook(&store);
    store.close().await;
    let body = completion(
        "wamid.db-down",
        &serde_json::json!({"flow_token": token, "booking_id": booking_id}),
    );
    assert_eq!(deliver(&hook, &body).await, 200);
    assert_eq!(hook.metrics().failures(), 1);
}

#[tokio::test(flavor = "current_thread")]
async fn the_webhook_is_configured_from_the_verify_token_and_the_app_secret() {
    let db = Db::Sqlite(common::TempDir::new());
    let store = open_store(&db).await;
    assert!(
        flows_appointments::webhook::from_config(&store, None, None)
            .unwrap()
            .is_none()
    );
    let error = flows_appointments::webhook::from_config(&store, Some("verify"), None).unwrap_err();
    assert!(error.contains("FLOWS_APP_SECRET"), "{error}");
    let hook = flows_appointments::webhook::from_config(
        &store,
        Some("verify"),
        Some(SignatureVerifier::new(SECRET)),
    )
    .unwrap()
    .unwrap();
    let answer = hook
        .handle(
            &Method::GET,
            Some("hub.mode=subscribe&hub.verify_token=verify&hub.challenge=9"),
            &(),
            Bytes::new(),
        )
        .await;
    assert_eq!((answer.status.as_u16(), &answer.body[..]), (200, &b"9"[..]));
}
