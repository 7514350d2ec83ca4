//! tower adapter (feature `tower`): [`Endpoint`] as a `tower::Service<http::Request<B>>` for any
//! [`http_body::Body`], so it mounts in axum, hyper-util or behind tower-http layers.
//!
//! The service answers every request it is given: routing (the path, `/health`, `/metrics`) is the
//! server's. `POST` goes to [`Endpoint::handle`] after the body is read up to
//! [`Endpoint::max_body_size`] and no further (413); any other method is 405 with `Allow: POST`.

use std::convert::Infallible;
use std::error::Error as StdError;
use std::task::{Context, Poll};

use bytes::{Buf as _, Bytes};
use http::header::{self, HeaderValue};
use http::{HeaderMap, Method, Request, Response, StatusCode};
use http_body::Body;
use http_body_util::{BodyExt as _, Full, LengthLimitError, Limited};

use crate::endpoint::{Endpoint, Reply};
use crate::router::BoxFuture;

/// Why a body could not be read whole.
pub(crate) enum BodyError {
    /// Longer than the limit (by `Content-Length`, or once that many bytes came in).
    TooLarge,
    /// The connection failed or the body was malformed.
    Unreadable,
}

/// How much of a body announced over the limit is read and dropped before the 413, as a multiple
/// of the limit, and for how long at most.
const DRAIN_FACTOR: u64 = 4;
const DRAIN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(1);

/// Reads a body up to `limit` bytes, and not one frame past it: a `Content-Length` over the limit
/// is refused without keeping any of the body. A body of up to four times the limit is read and
/// dropped first (for at most a second), because an HTTP/1.1 client that is still sending when the
/// server answers and closes gets a broken pipe or a reset instead of the 413; a larger one is
/// refused at once.
pub(crate) async fn read_body<B>(
    headers: &HeaderMap,
    body: B,
    limit: usize,
) -> Result<Bytes, BodyError>
where
    B: Body,
    B::Error: Into<Box<dyn StdError + Send + Sync>>,
{
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(declared) = declared.filter(|&n| n > limit as u64) {
        if declared <= (limit as u64).saturating_mul(DRAIN_FACTOR) {
            let _ = tokio::time::timeout(DRAIN_TIMEOUT, drain(body, declared)).await;
        }
        return Err(BodyError::TooLarge);
    }
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) if error.is::<LengthLimitError>() => Err(BodyError::TooLarge),
        Err(_) => Err(BodyError::Unreadable),
    }
}

/// Reads and drops up to `at_most` bytes of `body`, frame by frame (nothing is kept).
async fn drain<B: Body>(body: B, at_most: u64) {
    let mut body = std::pin::pin!(body);
    let mut read = 0u64;
    while read < at_most {
        match body.frame().await {
            Some(Ok(frame)) => {
                read += frame.data_ref().map_or(0, |data| data.remaining() as u64);
            }
            _ => break,
        }
    }
}

impl Reply {
    /// This reply as an `http` response: status, `Content-Type`, `Retry-After` when set, body.
    #[must_use]
    pub fn into_response(self) -> Response<Full<Bytes>> {
        let mut response = Response::new(Full::new(self.body));
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(self.content_type),
        );
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl Endpoint {
    /// Answers one `http` request: reads the body up to the limit, then [`handle`](Self::handle).
    /// The path is not looked at; a method other than `POST` is 405.
    pub async fn handle_http<B>(&self, request: Request<B>) -> Response<Full<Bytes>>
    where
        B: Body,
        B::Error: Into<Box<dyn StdError + Send + Sync>>,
    {
        let (parts, body) = request.into_parts();
        if parts.method != Method::POST {
            let mut response =
                Reply::text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n").into_response();
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("POST"));
            return response;
        }
        let reply = match read_body(&parts.headers, body, self.max_body_size()).await {
            Ok(body) => self.handle(&parts.headers, body).await,
            Err(BodyError::TooLarge) => self.reject_too_large(),
            Err(BodyError::Unreadable) => {
                Reply::text(StatusCode::BAD_REQUEST, "could not read the request body\n")
            }
        };
        reply.into_response()
    }
}

/// `Endpoint` as a tower service. Mounting it in axum is one line beside the business's own routes:
///
/// ```
/// use axum::{Router, routing::get};
/// use flows_router::Endpoint;
/// # use whatsapp_flows_crypto::{KeySet, PrivateKey};
/// # let key = PrivateKey::from_pem(include_str!("../../whatsapp-flows-crypto/tests/fixtures/keys/openssl-genpkey-pkcs8.pem"), None)?;
/// # let endpoint = Endpoint::builder(KeySet::new(key), flows_router::Router::<()>::new().with_state(())).build();
///
/// let app: Router = Router::new()
///     .route("/orders", get(|| async { "the business's own route" }))
///     .route_service("/flow", endpoint);
/// # let _ = app;
/// # Ok::<(), whatsapp_flows_crypto::KeyError>(())
/// ```
///
/// Always ready (backpressure is the RSA queue's: see
/// [`EndpointBuilder::queue_timeout`](crate::EndpointBuilder::queue_timeout)); never fails, every
/// problem is a status code.
impl<B> tower_service::Service<Request<B>> for Endpoint
where
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn StdError + Send + Sync>>,
{
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let this = self.clone();
        Box::pin(async move { Ok(this.handle_http(request).await) })
    }
}
