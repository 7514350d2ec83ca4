//! The framework-free core: headers and raw body in, status, content type and body out.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use http::StatusCode;
use tracing::Instrument as _;
use whatsapp_flows_crypto::{
    KeySet, RequestError, ResponseContext, SignatureVerifier, TokenSignatureError,
};

use crate::metrics::Metrics;
use crate::request::{Action, FlowRequest};
use crate::response::FlowResponse;
use crate::router::{Flow, Outcome};
use crate::rsa_pool::{RsaPool, RunError};

/// Default request body limit: 1 MiB (a data_exchange with 30 media references is a few KiB).
pub const DEFAULT_MAX_BODY: usize = 1 << 20;
/// Default handler time limit: under Meta's 10 s timeout, so the reply is a logged 500, not silence.
pub const DEFAULT_HANDLER_TIMEOUT: Duration = Duration::from_secs(9);
/// Default RSA queue timeout: a request that cannot start its decryption within 250 ms is answered
/// `503` with `Retry-After: 1` at once instead.
///
/// Why 250 ms: Meta's first latency alert fires at p90 > 1 s. An admitted request waits at most this
/// long for an RSA thread, then spends about 1 ms in RSA and its handler's own time; 250 ms leaves
/// three quarters of the budget for the network between Meta and the endpoint (TLS set-up included),
/// the handler (a database call) and scheduling noise. A request is admitted while its estimated
/// wait is within three fifths of this (150 ms), which absorbs a burst of about 150 requests per
/// core at ~1 ms of RSA each (600 at the 0.25 ms of a CPU with AVX-512 IFMA) without shedding any;
/// the rest of the 250 ms is margin for the estimate, so an admitted request is not refused late.
pub const DEFAULT_QUEUE_TIMEOUT: Duration = Duration::from_millis(250);

const TEXT: &str = "text/plain; charset=utf-8";
const JSON: &str = "application/json";

/// Read access to request headers, so the core works with any HTTP stack's header map.
pub trait RequestHeaders {
    /// The value of the first header with this (case-insensitive) name.
    fn header(&self, name: &str) -> Option<&[u8]>;
}

impl RequestHeaders for http::HeaderMap {
    fn header(&self, name: &str) -> Option<&[u8]> {
        self.get(name).map(http::HeaderValue::as_bytes)
    }
}

impl RequestHeaders for () {
    fn header(&self, _: &str) -> Option<&[u8]> {
        None
    }
}

impl<const N: usize> RequestHeaders for [(&str, &str); N] {
    fn header(&self, name: &str) -> Option<&[u8]> {
        self.iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_bytes())
    }
}

/// What to send back: status, `Content-Type`, `Retry-After` and body.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Reply {
    /// HTTP status code.
    pub status: StatusCode,
    /// The `Content-Type` header value.
    pub content_type: &'static str,
    /// The `Retry-After` header value in seconds, if one is to be sent (with `503`).
    pub retry_after: Option<u32>,
    /// The body.
    pub body: Bytes,
}

impl Reply {
    pub(crate) fn new(status: StatusCode, content_type: &'static str, body: Bytes) -> Self {
        Self {
            status,
            content_type,
            retry_after: None,
            body,
        }
    }

    pub(crate) fn text(status: StatusCode, body: &'static str) -> Self {
        Self::new(status, TEXT, Bytes::from_static(body.as_bytes()))
    }

    /// The answer to a request shed before its RSA step: `503`, come back in a second.
    fn overloaded() -> Self {
        Self {
            retry_after: Some(1),
            ..Self::text(StatusCode::SERVICE_UNAVAILABLE, "overloaded, retry later\n")
        }
    }
}

/// A check on every reply a handler returns, before it is encrypted: a reply it refuses is logged at
/// error level with each reason and answered with HTTP 500 instead.
///
/// [`FlowContract`](crate::contract::FlowContract) implements it (feature `contract`); set it with
/// [`EndpointBuilder::contract`], or any other check with [`EndpointBuilder::reply_check`]. Built-in
/// replies (ping, error acknowledgements) and 427s are not checked.
///
/// ```
/// use flows_router::{Action, FlowResponse, ReplyCheck};
///
/// /// Refuses any reply that sends the user to a screen called `DEBUG`.
/// struct NoDebugScreen;
/// impl ReplyCheck for NoDebugScreen {
///     fn check(&self, _: &Action, _: Option<&str>, reply: &FlowResponse) -> Vec<String> {
///         match reply.screen() {
///             Some("DEBUG") => vec!["the DEBUG screen is not for users".to_owned()],
///             _ => Vec::new(),
///         }
///     }
/// }
/// assert!(NoDebugScreen.check(&Action::Init, None, &FlowResponse::next_screen("DEBUG")).len() == 1);
/// ```
pub trait ReplyCheck: Send + Sync + 'static {
    /// What is wrong with `reply` to a request with this `action`, sent from `screen`; empty if
    /// nothing is.
    fn check(&self, action: &Action, screen: Option<&str>, reply: &FlowResponse) -> Vec<String>;
}

#[cfg(feature = "contract")]
impl ReplyCheck for crate::contract::FlowContract {
    fn check(&self, action: &Action, screen: Option<&str>, reply: &FlowResponse) -> Vec<String> {
        self.check_reply(action, screen, reply)
            .iter()
            .map(ToString::to_string)
            .collect()
    }
}

/// A WhatsApp Flows endpoint: keys, optional app secrets, the business's [`Flow`], limits and metrics.
///
/// [`Endpoint::handle`] runs, in this order: body size limit (413); `X-Hub-Signature-256` check when
/// app secrets are configured (432, a missing header too); envelope parse (400); decryption on the RSA
/// threads (503 with `Retry-After: 1` if it cannot start within the queue timeout; 421, one uniform
/// reply); the flow-token check (427); the Data API 4.0 `flow_token_signature` check when
/// enabled (427); dispatch (500 on handler failure); response encryption (200, `text/plain`).
///
/// ```
/// use flows_router::{Endpoint, FlowResponse, Router, Context};
/// use whatsapp_flows_crypto::{KeySet, PrivateKey};
///
/// # let key = PrivateKey::from_pem(include_str!("../../whatsapp-flows-crypto/tests/fixtures/keys/openssl-genpkey-pkcs8.pem"), None)?;
/// let flow = Router::new()
///     .on_init(|_cx: Context<()>| async { Ok(FlowResponse::next_screen("WELCOME")) })
///     .with_state(());
/// let endpoint = Endpoint::builder(KeySet::new(key.clone()), flow).build();
///
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// let request = key.public_key().encrypt_request(br#"{"version":"3.0","action":"ping"}"#)?;
/// let reply = endpoint.handle(&(), request.body().as_bytes().to_vec().into()).await;
/// assert_eq!(reply.status, 200);
/// let answer = request.into_response().decrypt(&reply.body)?;
/// assert_eq!(&*answer, r#"{"data":{"status":"active"}}"#);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Endpoint {
    inner: Arc<Inner>,
}

struct Inner {
    keys: KeySet,
    flow: Flow,
    app_secrets: Option<SignatureVerifier>,
    max_body: usize,
    plain_427: bool,
    /// Set only together with the secrets, so "verify with no secret" cannot be configured.
    token_signatures: Option<SignatureVerifier>,
    handler_timeout: Duration,
    rsa: RsaPool,
    metrics: Metrics,
    reply_check: Option<Arc<dyn ReplyCheck>>,
}

/// Configures an [`Endpoint`].
#[must_use]
pub struct EndpointBuilder {
    inner: Inner,
}

impl Endpoint {
    /// Starts configuring an endpoint for these keys and this flow.
    pub fn builder(keys: KeySet, flow: Flow) -> EndpointBuilder {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let metrics = Metrics::default();
        EndpointBuilder {
            inner: Inner {
                keys,
                flow,
                app_secrets: None,
                max_body: DEFAULT_MAX_BODY,
                plain_427: false,
                token_signatures: None,
                handler_timeout: DEFAULT_HANDLER_TIMEOUT,
                rsa: RsaPool::new(cores, DEFAULT_QUEUE_TIMEOUT, Arc::clone(&metrics.rsa)),
                metrics,
                reply_check: None,
            },
        }
    }

    /// The body size limit in bytes; adapters stop reading past it.
    #[must_use]
    pub fn max_body_size(&self) -> usize {
        self.inner.max_body
    }

    /// Request counters and latency histogram.
    #[must_use]
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// The 413 reply, counted in the metrics, for adapters that stop reading a body at
    /// [`max_body_size`](Self::max_body_size) rather than buffer it.
    #[must_use]
    pub fn reject_too_large(&self) -> Reply {
        let reply = Reply::text(StatusCode::PAYLOAD_TOO_LARGE, "request body too large\n");
        self.inner
            .metrics
            .record(None, reply.status, Duration::ZERO);
        tracing::warn!(limit = self.inner.max_body, "request body too large");
        reply
    }

    /// Answers one request. Never panics and never fails: every problem is a status code.
    pub async fn handle(&self, headers: &(impl RequestHeaders + ?Sized), body: Bytes) -> Reply {
        let started = Instant::now();
        let span = tracing::info_span!(
            "flow_request",
            action = tracing::field::Empty,
            screen = tracing::field::Empty,
            status = tracing::field::Empty,
            latency_ms = tracing::field::Empty,
        );
        let (reply, action) = self.process(headers, body).instrument(span.clone()).await;
        let latency = started.elapsed();
        span.record("status", reply.status.as_u16());
        span.record("latency_ms", latency.as_secs_f64() * 1e3);
        span.in_scope(|| {
            if reply.status == StatusCode::OK {
                tracing::info!("answered");
            } else {
                tracing::warn!("answered with an error status");
            }
        });
        self.inner.metrics.record(action, reply.status, latency);
        reply
    }

    async fn process(
        &self,
        headers: &(impl RequestHeaders + ?Sized),
        body: Bytes,
    ) -> (Reply, Option<&'static str>) {
        let inner = &self.inner;
        if body.len() > inner.max_body {
            tracing::warn!(limit = inner.max_body, "request body too large");
            return (
                Reply::text(StatusCode::PAYLOAD_TOO_LARGE, "request body too large\n"),
                None,
            );
        }
        if let Some(secrets) = &inner.app_secrets
            && let Err(error) = secrets.verify(
                headers.header(whatsapp_flows_crypto::SIGNATURE_HEADER),
                &body,
            )
        {
            tracing::warn!(%error, "request signature check failed");
            return (
                Reply::text(
                    meta_status(432),
                    "request signature authentication failed\n",
                ),
                None,
            );
        }

        let decrypted = match self.decrypt(body).await {
            Ok(decrypted) => decrypted,
            Err(reply) => return (reply, None),
        };
        let (plaintext, responder) = decrypted.into_parts();
        let request: FlowRequest = match serde_json::from_str(&plaintext) {
            Ok(request) => request,
            Err(error) => {
                tracing::warn!(%error, "decrypted request is not a Flows request");
                return (
                    Reply::text(StatusCode::BAD_REQUEST, "not a WhatsApp Flows request\n"),
                    None,
                );
            }
        };
        drop(plaintext);
        let action = action_label(&request);
        let span = tracing::Span::current();
        span.record("action", request.action.as_str());
        if let Some(screen) = &request.screen {
            span.record("screen", screen.as_str());
        }

        if let Some(secrets) = &inner.token_signatures
            && let Some(error_msg) = check_token_signature(secrets, &request)
        {
            return (self.invalid_token(responder, error_msg), Some(action));
        }
        // The check needs to know what the reply answers; the request itself goes to the handler.
        let origin = inner
            .reply_check
            .as_ref()
            .map(|_| (request.action.clone(), request.screen.clone()));
        let outcome =
            match tokio::time::timeout(inner.handler_timeout, inner.flow.dispatch(request)).await {
                Ok(outcome) => outcome,
                Err(_) => {
                    tracing::error!(timeout = ?inner.handler_timeout, "handler timed out");
                    return (
                        Reply::text(StatusCode::INTERNAL_SERVER_ERROR, "handler timed out\n"),
                        Some(action),
                    );
                }
            };
        if let (Some(check), Some((request_action, screen)), Outcome::Reply(response)) =
            (&inner.reply_check, &origin, &outcome)
        {
            let violations = check.check(request_action, screen.as_deref(), response);
            if !violations.is_empty() {
                for violation in &violations {
                    tracing::error!(%violation, "reply refused by the reply check");
                }
                return (
                    Reply::text(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "reply breaks the Flow JSON contract\n",
                    ),
                    Some(action),
                );
            }
        }
        let reply = match outcome {
            Outcome::Reply(response) => match responder.encrypt(&response) {
                Ok(body) => Reply::new(StatusCode::OK, TEXT, Bytes::from(body)),
                Err(error) => {
                    tracing::error!(%error, "response could not be serialized or encrypted");
                    Reply::text(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "response could not be encrypted\n",
                    )
                }
            },
            Outcome::InvalidToken(error_msg) => self.invalid_token(responder, error_msg),
            Outcome::Failed(failure) => {
                tracing::error!(error = %failure, "request failed");
                Reply::text(StatusCode::INTERNAL_SERVER_ERROR, "internal error\n")
            }
        };
        (reply, Some(action))
    }

    /// Decrypts on the endpoint's RSA threads (RSA takes ~1 ms of CPU; one thread per core), so the
    /// I/O threads keep serving other connections.
    async fn decrypt(&self, body: Bytes) -> Result<whatsapp_flows_crypto::DecryptedRequest, Reply> {
        let this = self.clone();
        let result = match self
            .inner
            .rsa
            .run(move || this.inner.keys.decrypt_request(&body))
            .await
        {
            Ok(result) => result,
            Err(RunError::Overloaded) => {
                self.inner.metrics.record_shed();
                // Debug, not warn: a flood sheds thousands a second, and each is already logged
                // and counted as a 503 (flows_requests_shed_total).
                tracing::debug!(timeout = ?self.inner.rsa.timeout(), "overloaded: request shed before decryption");
                return Err(Reply::overloaded());
            }
            Err(RunError::Failed) => {
                tracing::error!("the RSA step failed (no thread, or a panic)");
                return Err(Reply::text(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal error\n",
                ));
            }
        };
        result.map_err(|error| {
            tracing::debug!(?error, "request rejected");
            match error {
                RequestError::Malformed(detail) => {
                    tracing::warn!(%detail, "malformed request envelope");
                    Reply::text(StatusCode::BAD_REQUEST, "malformed request envelope\n")
                }
                _ => {
                    tracing::warn!("request cannot be decrypted");
                    Reply::text(
                        StatusCode::MISDIRECTED_REQUEST,
                        "request cannot be decrypted\n",
                    )
                }
            }
        })
    }

    fn invalid_token(&self, responder: ResponseContext, error_msg: String) -> Reply {
        tracing::info!("flow token rejected");
        let body = serde_json::json!({ "error_msg": error_msg });
        if self.inner.plain_427 {
            return Reply::new(invalid_token_status(), JSON, Bytes::from(body.to_string()));
        }
        match responder.encrypt(&body) {
            Ok(encrypted) => Reply::new(invalid_token_status(), TEXT, Bytes::from(encrypted)),
            Err(_) => Reply::text(StatusCode::INTERNAL_SERVER_ERROR, "internal error\n"),
        }
    }
}

/// The Data API 4.0 check: `None` if the request may go on, else the message for its 427.
///
/// The WhatsApp client signs every request of version 4.0 and later; Meta's own health checks
/// (`ping`) and older versions carry no signature, and pass.
fn check_token_signature(secrets: &SignatureVerifier, request: &FlowRequest) -> Option<String> {
    let refused = |error: &dyn fmt::Display| {
        tracing::warn!(%error, "flow_token_signature refused");
        Some("This link is no longer valid.".to_owned())
    };
    match request.flow_token_signature.as_deref() {
        Some(jwt) => secrets
            .verify_flow_token_signature(jwt, request.flow_token.as_deref(), SystemTime::now())
            .err()
            .and_then(|error: TokenSignatureError| refused(&error)),
        None if request.action != Action::Ping && data_api_major(&request.version) >= 4 => {
            refused(&"a Data API 4.0 request without one")
        }
        None => None,
    }
}

/// The major number of a Data API version ("4.0" is 4); 0 if it does not start with one.
fn data_api_major(version: &str) -> u32 {
    version
        .split('.')
        .next()
        .and_then(|major| major.trim().parse().ok())
        .unwrap_or(0)
}

/// 427, the status WhatsApp reads as "flow token no longer valid".
fn invalid_token_status() -> StatusCode {
    meta_status(427)
}

/// The statuses Meta's protocol defines that HTTP does not register (427, 432), which `http` has no
/// constants for. `from_u16` refuses only numbers outside 100..=999, so the fallback is unreachable
/// for the literals passed here.
fn meta_status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

fn action_label(request: &FlowRequest) -> &'static str {
    use crate::request::Action;
    match request.action {
        Action::Ping => "ping",
        Action::Init => "INIT",
        Action::Back => "BACK",
        Action::DataExchange => "data_exchange",
        _ => "other",
    }
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Endpoint")
            .field("keys", &self.inner.keys)
            .field("flow", &self.inner.flow)
            .field("signatures", &self.inner.app_secrets.is_some())
            .field("max_body", &self.inner.max_body)
            .finish_non_exhaustive()
    }
}

impl EndpointBuilder {
    /// Checks `X-Hub-Signature-256` against these app secrets (HTTP 432 on failure).
    pub fn app_secrets(mut self, secrets: SignatureVerifier) -> Self {
        self.inner.app_secrets = Some(secrets);
        self
    }

    /// The request body limit (default 1 MiB); larger bodies get HTTP 413.
    pub fn max_body_size(mut self, bytes: usize) -> Self {
        self.inner.max_body = bytes;
        self
    }

    /// Sends the 427 body `{"error_msg": ...}` as plain JSON, as Meta's documentation shows, instead of
    /// encrypting it like a normal reply (the default, as Meta's own example endpoint does).
    pub fn plain_json_427(mut self, plain: bool) -> Self {
        self.inner.plain_427 = plain;
        self
    }

    /// Verifies Data API 4.0 `flow_token_signature` JWTs with these app secrets (usually the same
    /// as [`app_secrets`](Self::app_secrets)): HS256 only, a `flow_token` claim equal to the
    /// request's, `exp` and `nbf` honoured with
    /// [`TOKEN_SIGNATURE_LEEWAY`](whatsapp_flows_crypto::TOKEN_SIGNATURE_LEEWAY). A request that
    /// fails is answered 427 (`"This link is no longer valid."`), as is a request of Data API 4.0 or
    /// later that carries none; `ping` and older versions need none.
    ///
    /// The secrets are this method's argument, so verification without a secret cannot be set up.
    pub fn verify_flow_token_signature(mut self, secrets: SignatureVerifier) -> Self {
        self.inner.token_signatures = Some(secrets);
        self
    }

    /// How long a handler may run before the request is answered with HTTP 500 (default 9 s, under
    /// Meta's 10 s timeout).
    pub fn handler_timeout(mut self, timeout: Duration) -> Self {
        self.inner.handler_timeout = timeout;
        self
    }

    /// How many threads run RSA decryptions, i.e. how many may run at once (default: the number of
    /// cores).
    pub fn rsa_concurrency(mut self, threads: usize) -> Self {
        self.inner.rsa = RsaPool::new(
            threads,
            self.inner.rsa.timeout(),
            Arc::clone(&self.inner.metrics.rsa),
        );
        self
    }

    /// Checks every reply against the Flow JSON before it is encrypted (feature `contract`): a reply
    /// that breaks the contract (a transition the `routing_model` does not allow, undeclared data keys,
    /// wrong types, `null`s; see [`FlowContract`](crate::contract::FlowContract)) is logged at error
    /// level with each violation and answered with HTTP 500 instead, so tests and a development
    /// server see what the WhatsApp client would reject on the phone.
    ///
    /// A development and test aid: it costs a walk over each reply, and in production the 500 is no
    /// better for the user than the client's own error.
    #[cfg(feature = "contract")]
    pub fn contract(self, contract: crate::contract::FlowContract) -> Self {
        self.reply_check(contract)
    }

    /// Checks every handler reply with `check` before it is encrypted; see [`ReplyCheck`]. Replaces
    /// a check set before (including [`contract`](Self::contract)'s).
    pub fn reply_check(mut self, check: impl ReplyCheck) -> Self {
        self.inner.reply_check = Some(Arc::new(check));
        self
    }

    /// How long a request may wait for an RSA thread before it is answered `503` with
    /// `Retry-After: 1` (default [`DEFAULT_QUEUE_TIMEOUT`]). Requests the queue cannot serve in time
    /// are refused on arrival, from the queue depth and the measured time of one decryption.
    pub fn queue_timeout(mut self, timeout: Duration) -> Self {
        self.inner.rsa.set_timeout(timeout);
        self
    }

    /// Finishes the endpoint.
    pub fn build(self) -> Endpoint {
        Endpoint {
            inner: Arc::new(self.inner),
        }
    }
}
