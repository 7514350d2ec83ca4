//! `flows send`: one request, encrypted and signed exactly as WhatsApp does, and its reply decrypted.

use std::time::{Duration, Instant};

use flows_router::{Action, FlowRequest};
use hyper::body::Bytes;
use hyper::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use hyper::{Method, StatusCode};
use serde_json::Value;
use whatsapp_flows_crypto::{PendingResponse, SIGNATURE_HEADER, Zeroizing, sign};

use crate::cli::SendArgs;
use crate::error::{Exit, Failure};
use crate::http;
use crate::keys;

/// The flow token `--init` sends unless `--flow-token` says otherwise.
const DEFAULT_FLOW_TOKEN: &str = "flows-cli-test-token";

/// How long WhatsApp waits for an endpoint before it gives up.
const WHATSAPP_TIMEOUT: Duration = Duration::from_secs(10);

/// Encrypts, signs, sends, and prints `HTTP <status>` and the decrypted reply (or why there is none).
pub(crate) async fn run(args: &SendArgs, passphrase_env: &str) -> Result<Exit, Failure> {
    let uri = http::parse_url(&args.url)?;
    let payload = payload(args)?;
    let secret = app_secret(args.app_secret_env.as_deref())?;
    let public = keys::load_public(&args.public_key, passphrase_env)?;

    let request = public
        .encrypt_request_json(&payload)
        .map_err(|e| Failure::local(format!("cannot encrypt the request: {e}")))?;
    let (body, pending) = request.into_parts();
    let mut headers = vec![(CONTENT_TYPE, HeaderValue::from_static("application/json"))];
    if let Some(secret) = &secret {
        headers.push(signature_header(secret, body.as_bytes())?);
    }

    let client = http::client(http::connector(args.timeout)?, 1);
    let started = Instant::now();
    let reply = http::send(
        &client,
        Method::POST,
        &uri,
        &headers,
        Bytes::from(body),
        args.timeout,
    )
    .await
    .map_err(|e| e.into_failure(&uri, args.timeout))?;
    let took = started.elapsed();

    println!("HTTP {}", reply.status.as_u16());
    eprintln!("took {}", crate::duration::human(took));
    if took > WHATSAPP_TIMEOUT {
        eprintln!(
            "warning: WhatsApp gives up after {} s; this answer would have come too late",
            WHATSAPP_TIMEOUT.as_secs()
        );
    }
    let fingerprint = public.fingerprint();
    match reply.status.as_u16() {
        200 => match decrypt_json(pending, &reply.body) {
            Ok(pretty) => {
                println!("{pretty}");
                Ok(Exit::Success)
            }
            Err(why) => Err(Failure::remote(format!(
                "HTTP 200, but the reply is not a valid encrypted reply: {why}; the body was: {}",
                http::snippet(&reply.body, 200)
            ))),
        },
        421 => Err(Failure::remote(format!(
            "421: the endpoint could not decrypt the request: its private key is not the one this public key \
             ({fingerprint}) belongs to, or the envelope was corrupted on the way"
        ))),
        432 => Err(Failure::remote(if secret.is_some() {
            "432: the endpoint rejected the request signature (X-Hub-Signature-256): the secret in \
             --app-secret-env is not the app secret the endpoint verifies with"
                .to_owned()
        } else {
            "432: the endpoint rejected the request signature (X-Hub-Signature-256): the request was \
             unsigned; pass --app-secret-env NAME with the app secret in that variable"
                .to_owned()
        })),
        427 => Err(Failure::remote(format!(
            "427: the endpoint says the flow token is no longer valid (WhatsApp shows an error and disables \
             the flow's button){}",
            explain_427(pending, &reply.body)
        ))),
        400 => Err(Failure::remote(format!(
            "400: the endpoint says the request is malformed: {}",
            http::snippet(&reply.body, 200)
        ))),
        status => Err(Failure::remote(format!(
            "{status}: {} (WhatsApp counts this as an endpoint error){}",
            StatusCode::from_u16(status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("unexpected status"),
            if reply.body.is_empty() {
                String::new()
            } else {
                format!("; body: {}", http::snippet(&reply.body, 200))
            }
        ))),
    }
}

/// The plaintext request from the flags.
fn payload(args: &SendArgs) -> Result<FlowRequest, Failure> {
    if args.ping {
        return Ok(FlowRequest::new(Action::Ping));
    }
    if args.init {
        let token = args.flow_token.as_deref().unwrap_or(DEFAULT_FLOW_TOKEN);
        return Ok(FlowRequest::new(Action::Init).with_flow_token(token));
    }
    let Some(action) = &args.action else {
        return Err(Failure::local(
            "say what to send: --ping, --init, or --action ACTION",
        ));
    };
    let mut request = FlowRequest::new(Action::from(action.as_str()));
    if let Some(screen) = &args.screen {
        request = request.with_screen(screen);
    }
    if let Some(data) = &args.data {
        let data: Value = serde_json::from_str(data)
            .map_err(|e| Failure::local(format!("--data is not JSON: {e}")))?;
        let Value::Object(data) = data else {
            return Err(Failure::local(
                "--data must be a JSON object, like '{\"key\":\"value\"}'",
            ));
        };
        request = request.with_data(data);
    }
    if let Some(token) = &args.flow_token {
        request = request.with_flow_token(token);
    }
    Ok(request)
}

/// The app secret from the named environment variable (exit 2 if the variable is unset or empty).
pub(crate) fn app_secret(env: Option<&str>) -> Result<Option<Zeroizing<Vec<u8>>>, Failure> {
    let Some(env) = env else {
        return Ok(None);
    };
    match keys::from_env(env) {
        Some(secret) if !secret.is_empty() => Ok(Some(secret)),
        _ => Err(Failure::local(format!(
            "--app-secret-env {env}: the environment variable {env} is not set or empty (it should hold the \
             Meta app secret)"
        ))),
    }
}

/// `X-Hub-Signature-256: sha256=<hex>` over the exact body bytes.
pub(crate) fn signature_header(
    secret: &[u8],
    body: &[u8],
) -> Result<(HeaderName, HeaderValue), Failure> {
    let value = HeaderValue::try_from(sign(secret, body))
        .map_err(|e| Failure::local(format!("cannot build the signature header: {e}")))?;
    let name = HeaderName::from_bytes(SIGNATURE_HEADER.as_bytes())
        .map_err(|e| Failure::local(format!("cannot build the signature header: {e}")))?;
    Ok((name, value))
}

/// Decrypts a reply and pretty-prints its JSON.
fn decrypt_json(pending: PendingResponse, body: &[u8]) -> Result<String, String> {
    let plaintext = pending.decrypt(body).map_err(|e| e.to_string())?;
    let value: Value = serde_json::from_str(&plaintext)
        .map_err(|e| format!("the decrypted reply is not JSON ({e})"))?;
    serde_json::to_string_pretty(&value).map_err(|e| e.to_string())
}

/// The 427 body: Meta documents plain `{"error_msg": ...}`; some endpoints encrypt it like a reply.
fn explain_427(pending: PendingResponse, body: &[u8]) -> String {
    let message = |value: &Value| {
        value
            .get("error_msg")
            .and_then(Value::as_str)
            .map(|m| format!(": {m}"))
    };
    if let Ok(value) = serde_json::from_slice::<Value>(body) {
        return message(&value).unwrap_or_else(|| format!("; body: {value}"));
    }
    if let Ok(plaintext) = pending.decrypt(body) {
        return match serde_json::from_str::<Value>(&plaintext) {
            Ok(value) => message(&value).unwrap_or_else(|| format!("; decrypted body: {value}")),
            Err(_) => format!(
                "; decrypted body: {}",
                http::snippet(plaintext.as_bytes(), 200)
            ),
        };
    }
    if body.is_empty() {
        String::new()
    } else {
        format!("; body: {}", http::snippet(body, 200))
    }
}
