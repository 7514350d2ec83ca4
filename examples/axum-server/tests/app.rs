//! The axum app called in-process with `oneshot`: the endpoint answers beside the app's own route.

#![allow(clippy::unwrap_used)]

use http_body_util::BodyExt as _;
use tower::ServiceExt as _;

async fn call(request: http::Request<axum::body::Body>) -> (u16, Vec<u8>) {
    let fixture = flows_tests::Fixture::new();
    let response = flows_axum_server::app(fixture.endpoint())
        .oneshot(request)
        .await
        .unwrap();
    let status = response.status().as_u16();
    (
        status,
        response
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
    )
}

#[tokio::test]
async fn own_route_answers_beside_the_flow() {
    let (status, body) = call(
        http::Request::get("/hello")
            .body(axum::body::Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    assert!(String::from_utf8(body).unwrap().starts_with("hello"));
}

#[tokio::test]
async fn flow_answers_an_encrypted_ping() {
    let fixture = flows_tests::Fixture::new();
    let (body, headers, pending) = fixture.signed_ping();
    let mut request = http::Request::post("/flow");
    for (name, value) in headers {
        request = request.header(name, value);
    }
    let response = flows_axum_server::app(fixture.endpoint())
        .oneshot(request.body(axum::body::Body::from(body)).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let answer = pending.decrypt(&body).unwrap();
    assert_eq!(
        serde_json::from_str::<flows_router::FlowResponse>(&answer).unwrap(),
        flows_router::FlowResponse::ping()
    );
}

#[tokio::test]
async fn unsigned_request_is_refused_and_unknown_routes_are_404() {
    let (status, _) = call(
        http::Request::post("/flow")
            .body(axum::body::Body::from("{}"))
            .unwrap(),
    )
    .await;
    // Not an envelope or not signed: either way the endpoint, not axum, refuses it.
    assert!(status == 400 || status == 432, "{status}");
    let (status, _) = call(
        http::Request::get("/nope")
            .body(axum::body::Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, 404);
}
