//! The axum app of `flows-axum-server`: the WhatsApp Flows endpoint at `POST /flow`, mounted beside
//! the business's own routes (here `GET /hello`).
//!
//! ```
//! # let pem = include_str!("../../../crates/whatsapp-flows-crypto/tests/fixtures/keys/openssl-genpkey-pkcs8.pem");
//! # let key = whatsapp_flows_crypto::PrivateKey::from_pem(pem, None)?;
//! let endpoint = flows_router::Endpoint::builder(whatsapp_flows_crypto::KeySet::new(key), sample_flow::flow()).build();
//! let app: axum::Router = flows_axum_server::app(endpoint);
//! # let _ = app;
//! # Ok::<(), whatsapp_flows_crypto::KeyError>(())
//! ```

#![forbid(unsafe_code)]

use axum::Router;
use axum::routing::get;
use flows_router::Endpoint;

/// The app: `POST /flow` is the endpoint, `GET /hello` the app's own route.
pub fn app(endpoint: Endpoint) -> Router {
    Router::new()
        .route("/hello", get(hello))
        .route_service("/flow", endpoint)
}

async fn hello() -> &'static str {
    "hello from the app beside the flow\n"
}
