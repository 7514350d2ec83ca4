//! `Endpoint` as a tower service, driven in-process with `oneshot`: alone, and mounted in a real axum
//! `Router` beside a route of the business's own.

#![cfg(feature = "tower")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use bytes::Bytes;
use flows_router::{Action, Context, Endpoint, FlowRequest, FlowResponse, Router};
use http::{Request, StatusCode, header};
use http_body_util::BodyExt as _;
use tower::ServiceExt as _;
use whatsapp_flows_crypto::{KeySet, PrivateKey};

fn key() -> PrivateKey {
    PrivateKey::from_pem(
        include_str!("../../whatsapp-flows-crypto/tests/fixtures/keys/openssl-genpkey-pkcs8.pem"),
        None,
    )
    .unwrap()
}

fn endpoint(key: &PrivateKey) -> Endpoint {
    let flow = Router::new()
        .on_init(|_cx: Context<()>| async { Ok(FlowResponse::next_screen("WELCOME")) })
        .with_state(());
    Endpoint::builder(KeySet::new(key.clone()), flow)
        .max_body_size(4096)
        .build()
}

/// A body that never yields a byte: reading it would hang the test.
struct Stalled;

impl http_body::Body for Stalled {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _: &mut TaskContext<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        Poll::Pending
    }
}

#[tokio::test]
async fn answers_an_encrypted_init_through_oneshot() {
    let key = key();
    let sent = key
        .public_key()
        .encrypt_request_json(&FlowRequest::new(Action::Init).with_flow_token("t"))
        .unwrap();
    let request = Request::post("/anything")
        .body(http_body_util::Full::new(Bytes::from(
            sent.body().as_bytes().to_vec(),
        )))
        .unwrap();
    let response = endpoint(&key).oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "text/plain; charset=utf-8"
    );
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let answer = sent.into_response().decrypt(&body).unwrap();
    assert_eq!(&*answer, r#"{"screen":"WELCOME","data":{}}"#);
}

#[tokio::test]
async fn refuses_a_declared_oversized_body_without_reading_it() {
    let key = key();
    let request = Request::post("/flow")
        .header(header::CONTENT_LENGTH, "1000000")
        .body(Stalled)
        .unwrap();
    let endpoint = endpoint(&key);
    let response = endpoint.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(endpoint.metrics().requests("none", 413), 1);
}

#[tokio::test]
async fn refuses_a_body_that_grows_past_the_limit() {
    let key = key();
    let request = Request::post("/flow")
        .body(http_body_util::Full::new(Bytes::from(vec![b'{'; 5000])))
        .unwrap();
    let response = endpoint(&key).oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn mounts_in_axum_beside_the_business_routes() {
    let key = key();
    let app = axum::Router::new()
        .route("/orders", axum::routing::get(|| async { "orders" }))
        .route_service("/flow", endpoint(&key));

    let own = app
        .clone()
        .oneshot(
            Request::get("/orders")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(own.status(), StatusCode::OK);
    assert_eq!(
        &own.into_body().collect().await.unwrap().to_bytes()[..],
        b"orders"
    );

    let sent = key
        .public_key()
        .encrypt_request_json(&FlowRequest::new(Action::Ping))
        .unwrap();
    let flow = app
        .clone()
        .oneshot(
            Request::post("/flow")
                .body(axum::body::Body::from(sent.body().as_bytes().to_vec()))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(flow.status(), StatusCode::OK);
    let body = flow.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(
        &*sent.into_response().decrypt(&body).unwrap(),
        r#"{"data":{"status":"active"}}"#
    );

    let garbage = app
        .clone()
        .oneshot(
            Request::post("/flow")
                .body(axum::body::Body::from("{}"))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(garbage.status(), StatusCode::BAD_REQUEST);

    let get = app
        .oneshot(
            Request::get("/flow")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(get.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(get.headers()[header::ALLOW], "POST");
}
