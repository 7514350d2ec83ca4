//! A flood on a one-thread RSA pool: the excess is answered 503 with `Retry-After: 1`, without RSA,
//! the rest as usual, and the metrics count what was shed.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

use std::time::Duration;

use flows_router::{Action, Context, Endpoint, FlowRequest, FlowResponse, Router};
use http::StatusCode;
use whatsapp_flows_crypto::{KeySet, PrivateKey};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_gets_503s_with_retry_after_and_the_rest_is_answered() {
    let key = PrivateKey::from_pem(
        include_str!("../../whatsapp-flows-crypto/tests/fixtures/keys/openssl-genpkey-pkcs8.pem"),
        None,
    )
    .unwrap();
    let flow = Router::new()
        .on_init(|_cx: Context<()>| async { Ok(FlowResponse::next_screen("WELCOME")) })
        .with_state(());
    // One RSA thread and a 50 ms queue: 300 decryptions at once (an RSA-2048 private-key operation
    // is well over 0.2 ms on any machine, optimized or not) cannot all start within it.
    let endpoint = Endpoint::builder(KeySet::new(key.clone()), flow)
        .rsa_concurrency(1)
        .queue_timeout(Duration::from_millis(50))
        .build();
    let ping = || -> bytes::Bytes {
        let sent = key
            .public_key()
            .encrypt_request_json(&FlowRequest::new(Action::Ping))
            .unwrap();
        sent.body().as_bytes().to_vec().into()
    };
    // The RSA thread starts on first use; start it before the flood.
    assert_eq!(endpoint.handle(&(), ping()).await.status, StatusCode::OK);
    let bodies: Vec<bytes::Bytes> = (0..300).map(|_| ping()).collect();
    let replies = futures_all(&endpoint, bodies).await;

    let ok = replies
        .iter()
        .filter(|r| r.status == StatusCode::OK)
        .count();
    let shed: Vec<_> = replies
        .iter()
        .filter(|r| r.status == StatusCode::SERVICE_UNAVAILABLE)
        .collect();
    assert_eq!(ok + shed.len(), replies.len(), "only 200s and 503s");
    assert!(ok >= 1, "the first request finds the thread free");
    assert_eq!(
        endpoint.metrics().total(),
        301,
        "the warm-up and every flood request"
    );
    assert!(!shed.is_empty(), "a flood on one thread sheds some");
    assert!(shed.iter().all(|r| r.retry_after == Some(1)));
    let metrics = endpoint.metrics();
    assert_eq!(metrics.shed(), shed.len() as u64);
    assert_eq!(metrics.requests("none", 503), shed.len() as u64);
    assert_eq!(metrics.rsa_queue_depth(), 0);
    let text = metrics.render_prometheus();
    assert!(text.contains(&format!("flows_requests_shed_total {}", shed.len())));

    // After the flood, the endpoint answers normally again.
    assert_eq!(endpoint.handle(&(), ping()).await.status, StatusCode::OK);
}

async fn futures_all(endpoint: &Endpoint, bodies: Vec<bytes::Bytes>) -> Vec<flows_router::Reply> {
    let tasks: Vec<_> = bodies
        .into_iter()
        .map(|body| {
            let endpoint = endpoint.clone();
            tokio::spawn(async move { endpoint.handle(&(), body).await })
        })
        .collect();
    let mut replies = Vec::with_capacity(tasks.len());
    for task in tasks {
        replies.push(task.await.unwrap());
    }
    replies
}
