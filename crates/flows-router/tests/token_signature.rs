//! The endpoint's Data API 4.0 check with PyJWT-made `flow_token_signature`s
//! (crates/whatsapp-flows-crypto/tests/fixtures/jwt): each gets its HTTP status.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

use flows_router::{Action, Context, Endpoint, FlowRequest, FlowResponse, Router};
use serde::Deserialize;
use whatsapp_flows_crypto::{KeySet, PrivateKey, SignatureVerifier};

#[derive(Deserialize)]
struct Fixtures {
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    jwt: String,
    secret: String,
    flow_token: String,
    status: u16,
}

fn key() -> PrivateKey {
    PrivateKey::from_pem(
        include_str!("../../whatsapp-flows-crypto/tests/fixtures/keys/openssl-genpkey-pkcs8.pem"),
        None,
    )
    .unwrap()
}

fn endpoint(key: &PrivateKey, secret: &str) -> Endpoint {
    let flow = Router::new()
        .on_init(|_cx: Context<()>| async { Ok(FlowResponse::next_screen("WELCOME")) })
        .with_state(());
    Endpoint::builder(KeySet::new(key.clone()), flow)
        .plain_json_427(true)
        .verify_flow_token_signature(SignatureVerifier::new(secret))
        .build()
}

async fn status(endpoint: &Endpoint, key: &PrivateKey, request: &FlowRequest) -> u16 {
    let sent = key.public_key().encrypt_request_json(request).unwrap();
    endpoint
        .handle(&(), sent.body().as_bytes().to_vec().into())
        .await
        .status
        .as_u16()
}

#[tokio::test]
async fn every_pyjwt_token_gets_its_status() {
    let key = key();
    let fixtures: Fixtures = serde_json::from_str(include_str!(
        "../../whatsapp-flows-crypto/tests/fixtures/jwt/tokens.json"
    ))
    .unwrap();
    assert!(fixtures.cases.len() >= 8);
    for case in &fixtures.cases {
        let request = FlowRequest::new(Action::Init)
            .with_version("4.0")
            .with_flow_token(case.flow_token.as_str())
            .with_flow_token_signature(case.jwt.as_str());
        let got = status(&endpoint(&key, &case.secret), &key, &request).await;
        assert_eq!(got, case.status, "{}", case.name);
    }
}

#[tokio::test]
async fn a_data_api_4_request_needs_a_signature_pings_and_older_versions_do_not() {
    let key = key();
    let endpoint = endpoint(&key, "3f1c9a0d5be24e7f8a61c0d2b9e47a15");
    let unsigned_v3 = FlowRequest::new(Action::Init).with_flow_token("t");
    let unsigned_v4 = unsigned_v3.clone().with_version("4.0");
    assert_eq!(status(&endpoint, &key, &unsigned_v4).await, 427);
    assert_eq!(status(&endpoint, &key, &unsigned_v3).await, 200);
    let ping = FlowRequest::new(Action::Ping).with_version("4.0");
    assert_eq!(status(&endpoint, &key, &ping).await, 200);
}
