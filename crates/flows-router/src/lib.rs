//! A WhatsApp Flows data endpoint where the business writes only its screens.
//!
//! [`whatsapp_flows_crypto`] does the cryptography; this crate speaks the rest of the protocol: typed
//! requests ([`FlowRequest`], [`Action`]) and replies ([`FlowResponse`]), one [`Screen`] handler per
//! screen with typed data and shared state, built-in answers to Meta's health checks and error
//! notifications, and one framework-free core, [`Endpoint::handle`], that maps every failure to the
//! status code WhatsApp expects. `Endpoint` is a `tower::Service` (feature `tower`), so it mounts in
//! axum with one `route_service`; thin adapters put it on hyper (feature `hyper`) and actix-web
//! (feature `actix`).
//!
//! ```
//! use flows_router::{Context, Endpoint, FlowResponse, HandlerResult, Router, Screen};
//! use serde::Deserialize;
//! use whatsapp_flows_crypto::{KeySet, PrivateKey};
//!
//! #[derive(Clone)]
//! struct Clinic { name: &'static str }
//!
//! struct Details;
//! #[derive(Deserialize)]
//! struct DetailsData { name: String }
//!
//! impl Screen<Clinic> for Details {
//!     const NAME: &'static str = "DETAILS";
//!     type Data = DetailsData;
//!     async fn handle(&self, cx: Context<Clinic>, data: DetailsData) -> HandlerResult {
//!         Ok(FlowResponse::complete(cx.flow_token(), serde_json::json!({ "name": data.name })))
//!     }
//! }
//!
//! # let pem = include_str!("../../whatsapp-flows-crypto/tests/fixtures/keys/openssl-genpkey-pkcs8.pem");
//! let key = PrivateKey::from_pem(pem, None)?;
//! let flow = Router::new()
//!     .on_init(|cx: Context<Clinic>| async move {
//!         Ok(FlowResponse::next_screen("DETAILS").with("clinic", cx.state().name))
//!     })
//!     .screen(Details)
//!     .with_state(Clinic { name: "Lisbon" });
//! let endpoint = Endpoint::builder(KeySet::new(key), flow).build();
//! // Serve `endpoint` with the hyper or actix adapter, or call `endpoint.handle(&headers, body)`.
//! # let _ = endpoint;
//! # Ok::<(), whatsapp_flows_crypto::KeyError>(())
//! ```
//!
//! # Serving it
//!
//! The configuration, tracing set-up, signals, TLS, limits and `/health`, `/ready`, `/metrics` that
//! every server needs live in the crate `flows-server`, not here. Migrating from the former
//! `flows_router::config` (feature `config`): use `flows_server::ServerConfig`, `init_tracing` and
//! `shutdown_signal`; the flags `--private-key`, `--passphrase` and `--app-secret` are gone (secrets
//! are read from `FLOWS_PRIVATE_KEY`, `FLOWS_PASSPHRASE` and `FLOWS_APP_SECRET`, or from the files
//! `--passphrase-file` and `--app-secret-file` name); `signature_verifier` and `app_secrets` return a
//! `Result` since they may read a file.
//!
//! # Status codes
//!
//! | status | when |
//! |---|---|
//! | 200 | the encrypted reply (`text/plain`) |
//! | 400 | not a request envelope (not JSON, a field missing or not a string, bad base64) |
//! | 413 | body over the limit (default 1 MiB) |
//! | 421 | cannot be decrypted: one uniform reply, whatever the cause; WhatsApp re-fetches the public key and retries |
//! | 427 | the flow-token check rejected the token, or the `flow_token_signature` is invalid: `{"error_msg": ...}`, encrypted by default |
//! | 432 | `X-Hub-Signature-256` missing or wrong, when app secrets are configured |
//! | 500 | no handler, data that does not fit the screen's type, a handler error or timeout (logged with the cause) |
//! | 503 | overloaded: the request could not start its decryption within the queue timeout ([`DEFAULT_QUEUE_TIMEOUT`], [`EndpointBuilder::queue_timeout`]); answered at once, without RSA, with `Retry-After: 1` |
//!
//! # Logging
//!
//! Each request gets a `tracing` span `flow_request` with `action`, `screen`, `status` and `latency_ms`.
//! Decrypted data, flow tokens and secrets are never logged; the cause of a 421 is logged at debug level.

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "actix")]
pub mod actix;
#[cfg(feature = "contract")]
pub mod contract;
mod endpoint;
#[cfg(feature = "hyper")]
pub mod hyper;
mod metrics;
mod request;
mod response;
mod router;
mod rsa_pool;
#[cfg(feature = "tower")]
mod service;
pub mod webhook;

pub use endpoint::{
    DEFAULT_HANDLER_TIMEOUT, DEFAULT_MAX_BODY, DEFAULT_QUEUE_TIMEOUT, Endpoint, EndpointBuilder,
    Reply, ReplyCheck, RequestHeaders,
};
pub use metrics::Metrics;
pub use request::{Action, DATA_API_VERSION, ErrorNotification, FlowRequest};
pub use response::{FlowResponse, SUCCESS_SCREEN};
pub use router::{Context, Flow, HandlerError, HandlerResult, Router, Screen, TokenVerdict};
