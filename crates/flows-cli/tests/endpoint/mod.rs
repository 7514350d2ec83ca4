//! A small Flows endpoint for tests: hyper on 127.0.0.1, the crypto crate for the envelope.
//!
//! `Mode::Flows` checks the optional signature (432), decrypts (421/400), and answers ping with
//! `{"data":{"status":"active"}}`, INIT with a first screen, `flow_token` `expired` with a plain-JSON 427,
//! `expired-encrypted` with an encrypted 427, and anything else by echoing `data`.
//! `Mode::Trivial` answers every request 200 without decrypting (for measuring the load generator).

#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::convert::Infallible;
use std::sync::Arc;

use http_body_util::{BodyExt as _, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use whatsapp_flows_crypto::{KeySet, SIGNATURE_HEADER, SignatureVerifier};

/// How the endpoint behaves.
pub enum Mode {
    /// A real Flows endpoint with this key (and, if given, this app secret).
    Flows {
        keys: KeySet,
        secret: Option<&'static str>,
    },
    /// 200 `ok` for everything, no crypto.
    Trivial,
}

/// Starts the endpoint on its own runtime thread; returns its `/flow` URL. Lives until the test process
/// exits.
pub fn start(mode: Mode, worker_threads: usize) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/flow", listener.local_addr().unwrap());
    listener.set_nonblocking(true).unwrap();
    let mode = Arc::new(mode);
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(worker_threads)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                stream.set_nodelay(true).ok();
                let mode = Arc::clone(&mode);
                tokio::spawn(async move {
                    let service = service_fn(move |request| {
                        let mode = Arc::clone(&mode);
                        async move { Ok::<_, Infallible>(handle(&mode, request).await) }
                    });
                    http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await
                        .ok();
                });
            }
        });
    });
    url
}

fn reply(status: u16, content_type: &'static str, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    Response::builder()
        .status(StatusCode::from_u16(status).unwrap())
        .header("content-type", content_type)
        .body(Full::new(body.into()))
        .unwrap()
}

async fn handle(mode: &Mode, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let signature = request
        .headers()
        .get(SIGNATURE_HEADER)
        .map(|v| v.as_bytes().to_vec());
    let Ok(body) = request.into_body().collect().await else {
        return reply(400, "text/plain", "unreadable body");
    };
    let body = body.to_bytes();
    let (keys, secret) = match mode {
        Mode::Trivial => return reply(200, "text/plain", "ok"),
        Mode::Flows { keys, secret } => (keys, secret),
    };
    if let Some(secret) = secret
        && SignatureVerifier::new(secret)
            .verify(signature.as_deref(), &body)
            .is_err()
    {
        return reply(432, "text/plain", "");
    }
    let request = match keys.decrypt_request(&body) {
        Ok(request) => request,
        Err(err) => return reply(err.http_status(), "text/plain", ""),
    };
    let (plaintext, context) = request.into_parts();
    let value: Value = serde_json::from_str(&plaintext).unwrap();
    let token = value.get("flow_token").and_then(Value::as_str);
    let answer = match (value["action"].as_str(), token) {
        (_, Some("expired")) => {
            return reply(
                427,
                "application/json",
                json!({"error_msg": "This flow has expired"}).to_string(),
            );
        }
        (_, Some("expired-encrypted")) => {
            let body = context
                .encrypt(&json!({"error_msg": "Flow closed by the business"}))
                .unwrap();
            return reply(427, "text/plain", body);
        }
        (Some("ping"), _) => json!({"data": {"status": "active"}}),
        (Some("INIT"), _) => json!({"screen": "WELCOME", "data": {"flow_token_seen": token}}),
        _ => json!({"screen": "NEXT", "data": {"echo": value.get("data")}}),
    };
    reply(200, "text/plain", context.encrypt(&answer).unwrap())
}
