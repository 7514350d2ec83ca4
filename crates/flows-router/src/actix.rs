//! actix-web 4 adapter (feature `actix`): the same routes and answers as the hyper adapter.
//!
//! Routes: `POST /flow` (configurable) to [`Endpoint::handle`], `GET /health` (`{"status":"ok"}`),
//! `GET /metrics` (Prometheus text); a wrong method on those paths is 405, anything else 404.
//! The request body is read up to [`Endpoint::max_body_size`] and no further (413 past it).
//!
//! ```no_run
//! use actix_web::{App, HttpServer};
//! # use flows_router::{Endpoint, Router};
//! # use whatsapp_flows_crypto::{KeySet, PrivateKey};
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! # let key = PrivateKey::from_pem(include_str!("../../whatsapp-flows-crypto/tests/fixtures/keys/openssl-genpkey-pkcs8.pem"), None)?;
//! # let endpoint = Endpoint::builder(KeySet::new(key), Router::<()>::new().with_state(())).build();
//! HttpServer::new(move || App::new().configure(flows_router::actix::configure(endpoint.clone())))
//!     .bind("127.0.0.1:3000")?
//!     .run()
//!     .await?;
//! # Ok(())
//! # }
//! ```

use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_TYPE, HeaderMap, HeaderValue, RETRY_AFTER};
use actix_web::{HttpRequest, HttpResponse, web};
use bytes::Bytes;

use crate::endpoint::{Endpoint, Reply, RequestHeaders};

/// The path WhatsApp is configured to POST to, unless [`configure_at`] says otherwise.
pub const DEFAULT_PATH: &str = "/flow";

impl RequestHeaders for HeaderMap {
    fn header(&self, name: &str) -> Option<&[u8]> {
        self.get(name).map(HeaderValue::as_bytes)
    }
}

/// Routes for `App::configure`: `POST /flow`, `GET /health`, `GET /metrics`.
pub fn configure(endpoint: Endpoint) -> impl FnOnce(&mut web::ServiceConfig) {
    configure_at(endpoint, DEFAULT_PATH)
}

/// As [`configure`], with the flow endpoint at `path`.
pub fn configure_at(
    endpoint: Endpoint,
    path: &str,
) -> impl FnOnce(&mut web::ServiceConfig) + use<> {
    let path = path.to_owned();
    move |cfg| {
        cfg.app_data(web::Data::new(endpoint))
            .service(
                web::resource(path)
                    .route(web::post().to(flow))
                    .default_service(web::to(method_not_allowed)),
            )
            .service(
                web::resource("/health")
                    .route(web::get().to(health))
                    .default_service(web::to(method_not_allowed)),
            )
            .service(
                web::resource("/metrics")
                    .route(web::get().to(metrics))
                    .default_service(web::to(method_not_allowed)),
            )
            .default_service(web::to(not_found));
    }
}

async fn flow(
    request: HttpRequest,
    payload: web::Payload,
    endpoint: web::Data<Endpoint>,
) -> HttpResponse {
    let body = match payload.to_bytes_limited(endpoint.max_body_size()).await {
        Ok(Ok(body)) => body,
        Ok(Err(_)) => return plain(StatusCode::BAD_REQUEST, "could not read the request body\n"),
        Err(_) => return respond(endpoint.reject_too_large()),
    };
    respond(endpoint.handle(request.headers(), body).await)
}

async fn health() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(Bytes::from_static(b"{\"status\":\"ok\"}"))
}

async fn metrics(endpoint: web::Data<Endpoint>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(endpoint.metrics().render_prometheus())
}

async fn method_not_allowed() -> HttpResponse {
    plain(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n")
}

async fn not_found() -> HttpResponse {
    plain(StatusCode::NOT_FOUND, "not found\n")
}

fn respond(reply: Reply) -> HttpResponse {
    // actix-web 4 is on `http` 0.2, whose StatusCode is another type; every code `Reply` holds is
    // in 100..=999, which both accept.
    let status =
        StatusCode::from_u16(reply.status.as_u16()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = HttpResponse::build(status);
    response.insert_header((CONTENT_TYPE, reply.content_type));
    if let Some(seconds) = reply.retry_after {
        response.insert_header((RETRY_AFTER, seconds));
    }
    response.body(reply.body)
}

fn plain(status: StatusCode, body: &'static str) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((CONTENT_TYPE, "text/plain; charset=utf-8"))
        .body(body)
}
