//! The webhook's tower service over real HTTP (hyper on 127.0.0.1), driven by curl, with the
//! delivery signed by `openssl dgst -sha256 -hmac` as Meta's documentation describes.

#![cfg(feature = "hyper")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use std::process::Command;
use std::sync::{Arc, Mutex};

use flows_router::HandlerError;
use flows_router::webhook::{FlowCompletion, Origin, Webhook, WebhookHandler};
use hyper::service::service_fn;
use whatsapp_flows_crypto::SignatureVerifier;

const SECRET: &str = "curl-test-app-secret";
const VERIFY: &str = "curl-verify-token";

#[derive(Clone, Default)]
struct Tokens(Arc<Mutex<Vec<Option<String>>>>);

impl WebhookHandler for Tokens {
    async fn flow_completion(&self, _: Origin, done: FlowCompletion) -> Result<(), HandlerError> {
        self.0.lock().unwrap().push(done.flow_token);
        Ok(())
    }
}

async fn serve(webhook: Webhook) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/webhook", listener.local_addr().unwrap());
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let webhook = webhook.clone();
            tokio::spawn(async move {
                let service = service_fn(move |request| {
                    let mut webhook = webhook.clone();
                    async move { tower_service::Service::call(&mut webhook, request).await }
                });
                hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await
                    .ok();
            });
        }
    });
    url
}

/// Runs curl; returns (HTTP status, body).
async fn curl(args: Vec<String>) -> (u16, String) {
    let out = tokio::task::spawn_blocking(move || {
        Command::new("curl")
            .args(["-s", "-S", "--max-time", "20", "-w", "\n%{http_code}"])
            .args(&args)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "curl failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let (body, status) = text.rsplit_once('\n').unwrap();
    (status.parse().unwrap(), body.to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_subscribes_and_delivers_a_signed_completion() {
    let tokens = Tokens::default();
    let webhook = Webhook::builder(VERIFY, SignatureVerifier::new(SECRET), tokens.clone())
        .build()
        .unwrap();
    let url = serve(webhook.clone()).await;

    let (status, body) = curl(vec![format!(
        "{url}?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token={VERIFY}"
    )])
    .await;
    assert_eq!((status, body.as_str()), (200, "1158201444"));
    let (status, _) = curl(vec![format!(
        "{url}?hub.mode=subscribe&hub.challenge=1&hub.verify_token=nope"
    )])
    .await;
    assert_eq!(status, 403);

    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/webhooks/flow_response_message.json");
    let digest = Command::new("openssl")
        .args(["dgst", "-sha256", "-hmac", SECRET, "-r"])
        .arg(&fixture)
        .output()
        .unwrap();
    assert!(digest.status.success());
    let hex = String::from_utf8(digest.stdout)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    let post = |signature: Option<String>| {
        let mut args = vec![
            "-X".to_owned(),
            "POST".to_owned(),
            "-H".to_owned(),
            "Content-Type: application/json".to_owned(),
            "--data-binary".to_owned(),
            format!("@{}", fixture.display()),
        ];
        if let Some(signature) = signature {
            args.push("-H".to_owned());
            args.push(format!("X-Hub-Signature-256: {signature}"));
        }
        args.push(url.clone());
        args
    };
    assert_eq!(curl(post(None)).await.0, 401);
    assert_eq!(
        curl(post(Some(format!("sha256={}", "0".repeat(64)))))
            .await
            .0,
        401
    );
    assert_eq!(
        curl(post(Some(format!("sha256={hex}")))).await,
        (200, "ok\n".to_owned())
    );
    webhook.drained().await;
    assert_eq!(
        *tokens.0.lock().unwrap(),
        [Some("AQAAAAACS5FpgQ_cAAAAAD0QI3s.".to_owned())]
    );
}
