//! Meta's webhooks for flows: the subscription handshake, signed deliveries, typed events, handled
//! after a quick acknowledgement, once per message.
//!
//! Meta calls one URL (served as `GET /webhook` and `POST /webhook`) for two things:
//!
//! - **The subscription handshake** (`GET`, when you save the callback URL in the App Dashboard):
//!   `hub.mode=subscribe`, `hub.verify_token` (what you typed there; this crate reads it from
//!   [`VERIFY_TOKEN_ENV`] in the servers) and `hub.challenge`, which is echoed back with 200 when the
//!   token matches; 403 otherwise.
//! - **Deliveries** (`POST`), signed with `X-Hub-Signature-256` under the app secret, as requests to
//!   the flow endpoint are. Unsigned or wrongly signed deliveries are answered 401 and never parsed.
//!   A signed one is parsed into [`WebhookEvent`]s: flow completions ([`FlowCompletion`]), Meta's
//!   `flows` events ([`FlowEvent`]: status changes and the health alerts), and everything else
//!   untyped ([`UntypedChange`], never an error).
//!
//! A delivery is answered 200 as soon as it is verified and queued; your [`WebhookHandler`] runs
//! afterwards, on its own tasks, so a slow handler never makes Meta wait (Meta times deliveries out
//! and retries them). What that means:
//!
//! - **Idempotent by message id.** Meta retries a delivery it did not see acknowledged, so the same
//!   message can arrive again. Message ids are remembered (the last [`DEFAULT_DEDUP_CAPACITY`], a
//!   bounded LRU) and a message seen before is skipped and counted as a duplicate. The handler
//!   should still be idempotent itself (a database `UPDATE ... WHERE confirmed_at IS NULL`): after
//!   a restart the memory is gone.
//! - **Bounded.** At most [`DEFAULT_QUEUE_CAPACITY`] deliveries wait for the handler and
//!   [`DEFAULT_CONCURRENCY`] are handled at once. When the queue is full, a new delivery is answered
//!   503 and not remembered, so Meta delivers it again later (it retries with back-off); nothing is
//!   dropped silently and memory stays bounded.
//! - **After the 200, failures are yours.** A handler error (or a handler running past its time
//!   limit) is logged and counted (`flows_webhook_handler_failures_total`), and the message id is
//!   forgotten so a redelivery would be handled again; Meta itself does not redeliver what it saw
//!   acknowledged.
//!
//! Health events are logged as they arrive: alerts that start, and flows that become THROTTLED or
//! BLOCKED, at warn level; alerts that end at info. [`Webhook::metrics`] renders deliveries by kind
//! and Meta's alert states and flow statuses as gauges for Prometheus. Flow tokens and user data are
//! never logged.
//!
//! ```
//! use flows_router::HandlerError;
//! use flows_router::webhook::{FlowCompletion, FlowEvent, Origin, Webhook, WebhookHandler};
//! use whatsapp_flows_crypto::SignatureVerifier;
//!
//! struct Bookings;
//!
//! impl WebhookHandler for Bookings {
//!     async fn flow_completion(&self, _origin: Origin, done: FlowCompletion) -> Result<(), HandlerError> {
//!         // Confirm the booking made with this token (idempotently: Meta may deliver it twice).
//!         let _token = done.flow_token.as_deref();
//!         Ok(())
//!     }
//! }
//!
//! let webhook = Webhook::builder("my-verify-token", SignatureVerifier::new("app-secret"), Bookings).build()?;
//! # tokio::runtime::Runtime::new()?.block_on(async {
//! let reply = webhook
//!     .handle(&http::Method::GET, Some("hub.mode=subscribe&hub.verify_token=my-verify-token&hub.challenge=1158201444"), &(), Default::default())
//!     .await;
//! assert_eq!((reply.status.as_u16(), &reply.body[..]), (200, &b"1158201444"[..]));
//! # });
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod events;
mod metrics;

use std::fmt;
use std::future::Future;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::StatusCode;
use serde_json::Value;
use subtle::ConstantTimeEq as _;
use tokio::sync::{Notify, Semaphore, mpsc};
use whatsapp_flows_crypto::{SIGNATURE_HEADER, SignatureVerifier, Zeroizing};

pub use events::{
    AlertState, AvailabilityAlert, Delivery, ErrorRateAlert, ErrorTypeRate, FlowCompletion,
    FlowEvent, FlowStatus, FlowStatusChange, LatencyAlert, MalformedDelivery, Origin,
    UntypedChange, VersionExpiryWarning, WebhookEvent,
};
pub use metrics::WebhookMetrics;

use crate::endpoint::{Reply, RequestHeaders};
use crate::router::{BoxFuture, HandlerError};
use metrics::Rejection;

/// The environment variable the servers read the verify token from.
pub const VERIFY_TOKEN_ENV: &str = "FLOWS_WEBHOOK_VERIFY_TOKEN";
/// The path the servers serve the webhook at.
pub const DEFAULT_PATH: &str = "/webhook";
/// Deliveries that may wait for the handler before new ones are answered 503.
pub const DEFAULT_QUEUE_CAPACITY: usize = 1024;
/// Deliveries handled at once.
pub const DEFAULT_CONCURRENCY: usize = 4;
/// Message ids remembered for de-duplication.
pub const DEFAULT_DEDUP_CAPACITY: usize = 100_000;
/// How long the handler may take for one event before it counts as failed.
pub const DEFAULT_HANDLER_TIMEOUT: Duration = Duration::from_secs(30);
/// Body limit: deliveries batch at most a few hundred KiB.
pub const DEFAULT_MAX_BODY: usize = 4 << 20;
/// The longest `hub.challenge` echoed (Meta sends a number).
const MAX_CHALLENGE: usize = 256;

const TEXT: &str = "text/plain; charset=utf-8";

/// What the business does with webhook events. Every method has a default that does nothing, so
/// implement the ones you need. Runs after the delivery was acknowledged (see the [module
/// docs](self)); an error is logged and counted.
pub trait WebhookHandler: Send + Sync + 'static {
    /// A user completed a flow.
    fn flow_completion(
        &self,
        origin: Origin,
        completion: FlowCompletion,
    ) -> impl Future<Output = Result<(), HandlerError>> + Send {
        let _ = (origin, completion);
        async { Ok(()) }
    }

    /// A `flows` event: a status change or a health alert (already logged and in the metrics).
    fn flow_event(
        &self,
        origin: Origin,
        event: FlowEvent,
    ) -> impl Future<Output = Result<(), HandlerError>> + Send {
        let _ = (origin, event);
        async { Ok(()) }
    }

    /// Anything else Meta sent (other messages, statuses, other fields), as it came.
    fn other(
        &self,
        origin: Origin,
        change: UntypedChange,
    ) -> impl Future<Output = Result<(), HandlerError>> + Send {
        let _ = (origin, change);
        async { Ok(()) }
    }
}

trait ErasedHandler: Send + Sync {
    fn call(&self, origin: Origin, event: WebhookEvent) -> BoxFuture<'_, Result<(), HandlerError>>;
}

impl<H: WebhookHandler> ErasedHandler for H {
    fn call(&self, origin: Origin, event: WebhookEvent) -> BoxFuture<'_, Result<(), HandlerError>> {
        match event {
            WebhookEvent::FlowCompletion(done) => Box::pin(self.flow_completion(origin, done)),
            WebhookEvent::Flow(event) => Box::pin(self.flow_event(origin, event)),
            WebhookEvent::Other(change) => Box::pin(self.other(origin, change)),
        }
    }
}

/// Why a [`Webhook`] cannot be built.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum WebhookConfigError {
    /// The verify token is empty: anyone could then complete the handshake.
    #[error(
        "the webhook verify token is empty: set {VERIFY_TOKEN_ENV} to the token entered in the App Dashboard"
    )]
    EmptyVerifyToken,
    /// A capacity or the concurrency is zero.
    #[error("webhook {0} must be at least 1")]
    Zero(&'static str),
}

/// Meta's webhook for flows: the handshake and the deliveries, framework-free
/// ([`Webhook::handle`]: method, query, headers and body in, status and body out). Cheap to clone.
#[derive(Clone)]
pub struct Webhook {
    inner: Arc<Inner>,
}

struct Inner {
    verify_token: Zeroizing<String>,
    secrets: SignatureVerifier,
    max_body: usize,
    handler_timeout: Duration,
    concurrency: usize,
    queue: mpsc::Sender<Job>,
    /// Taken by the dispatcher when the first delivery arrives (inside the caller's runtime).
    receiver: Mutex<Option<mpsc::Receiver<Job>>>,
    seen: Mutex<lru::LruCache<String, ()>>,
    pending: AtomicUsize,
    idle: Notify,
    handler: Arc<dyn ErasedHandler>,
    metrics: WebhookMetrics,
}

/// One acknowledged delivery's new events.
struct Job {
    events: Vec<(Origin, WebhookEvent, Vec<String>)>,
}

/// Configures a [`Webhook`].
#[must_use]
pub struct WebhookBuilder {
    verify_token: Zeroizing<String>,
    secrets: SignatureVerifier,
    handler: Arc<dyn ErasedHandler>,
    max_body: usize,
    queue_capacity: usize,
    concurrency: usize,
    dedup_capacity: usize,
    handler_timeout: Duration,
}

impl fmt::Debug for Webhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Webhook")
            .field("max_body", &self.inner.max_body)
            .field("concurrency", &self.inner.concurrency)
            .field("pending", &self.inner.pending.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl Webhook {
    /// Starts configuring a webhook. There is no way to build one without app secrets: deliveries
    /// are always verified.
    pub fn builder(
        verify_token: impl Into<String>,
        app_secrets: SignatureVerifier,
        handler: impl WebhookHandler,
    ) -> WebhookBuilder {
        WebhookBuilder {
            verify_token: Zeroizing::new(verify_token.into()),
            secrets: app_secrets,
            handler: Arc::new(handler),
            max_body: DEFAULT_MAX_BODY,
            queue_capacity: DEFAULT_QUEUE_CAPACITY,
            concurrency: DEFAULT_CONCURRENCY,
            dedup_capacity: DEFAULT_DEDUP_CAPACITY,
            handler_timeout: DEFAULT_HANDLER_TIMEOUT,
        }
    }

    /// Counters and gauges, for `/metrics`.
    #[must_use]
    pub fn metrics(&self) -> &WebhookMetrics {
        &self.inner.metrics
    }

    /// The body size limit in bytes; adapters should stop reading past it.
    #[must_use]
    pub fn max_body_size(&self) -> usize {
        self.inner.max_body
    }

    /// Answers one request: `GET` is the subscription handshake, `POST` a delivery, anything else 405.
    /// `query` is the URL's query string (without `?`). Never panics and never fails: every problem is
    /// a status code.
    pub async fn handle(
        &self,
        method: &http::Method,
        query: Option<&str>,
        headers: &(impl RequestHeaders + ?Sized),
        body: Bytes,
    ) -> Reply {
        if method == http::Method::GET {
            self.handshake(query.unwrap_or_default())
        } else if method == http::Method::POST {
            self.deliver(headers, &body)
        } else {
            reply(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n")
        }
    }

    /// Waits until every acknowledged delivery has been handled (for graceful shutdown and tests).
    pub async fn drained(&self) {
        loop {
            let idle = self.inner.idle.notified();
            let mut idle = std::pin::pin!(idle);
            idle.as_mut().enable();
            if self.inner.pending.load(Ordering::Acquire) == 0 {
                return;
            }
            idle.await;
        }
    }

    fn handshake(&self, query: &str) -> Reply {
        let (mut mode, mut token, mut challenge) = (None, None, None);
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            match &*key {
                "hub.mode" => mode = Some(value),
                "hub.verify_token" => token = Some(Zeroizing::new(value.into_owned())),
                "hub.challenge" => challenge = Some(value),
                _ => {}
            }
        }
        let token_ok = token.is_some_and(|token| {
            bool::from(token.as_bytes().ct_eq(self.inner.verify_token.as_bytes()))
        });
        match (mode.as_deref(), challenge) {
            (Some("subscribe"), Some(challenge))
                if token_ok && !challenge.is_empty() && challenge.len() <= MAX_CHALLENGE =>
            {
                tracing::info!("webhook subscription verified");
                reply_with(StatusCode::OK, Bytes::from(challenge.into_owned()))
            }
            _ => {
                tracing::warn!(
                    "webhook subscription check refused: wrong verify token, mode or challenge"
                );
                self.inner.metrics.reject(Rejection::Handshake);
                reply(StatusCode::FORBIDDEN, "forbidden\n")
            }
        }
    }

    fn deliver(&self, headers: &(impl RequestHeaders + ?Sized), body: &[u8]) -> Reply {
        let inner = &self.inner;
        if body.len() > inner.max_body {
            return self.reject_too_large();
        }
        if let Err(error) = inner.secrets.verify(headers.header(SIGNATURE_HEADER), body) {
            tracing::warn!(%error, "webhook delivery refused: signature check failed");
            inner.metrics.reject(Rejection::Signature);
            return reply(
                StatusCode::UNAUTHORIZED,
                "request signature authentication failed\n",
            );
        }
        let delivery = match Delivery::parse(body) {
            Ok(delivery) => delivery,
            Err(error) => {
                tracing::warn!(%error, "webhook delivery refused");
                inner.metrics.reject(Rejection::Malformed);
                return reply(StatusCode::BAD_REQUEST, "not a webhook delivery\n");
            }
        };
        let events = self.new_events(delivery);
        if events.is_empty() {
            return reply(StatusCode::OK, "ok\n");
        }
        if !self.start_dispatcher() {
            tracing::error!("webhook delivery cannot be handled: not running on a tokio runtime");
            self.forget(
                &events
                    .iter()
                    .flat_map(|(_, _, ids)| ids.clone())
                    .collect::<Vec<_>>(),
            );
            return reply(StatusCode::INTERNAL_SERVER_ERROR, "internal error\n");
        }
        let ids: Vec<String> = events.iter().flat_map(|(_, _, ids)| ids.clone()).collect();
        let kinds: Vec<&'static str> = events.iter().map(|(_, e, _)| e.kind()).collect();
        let flow_events: Vec<FlowEvent> = events
            .iter()
            .filter_map(|(_, e, _)| match e {
                WebhookEvent::Flow(event) => Some(event.clone()),
                _ => None,
            })
            .collect();
        inner.pending.fetch_add(1, Ordering::AcqRel);
        if inner.queue.try_send(Job { events }).is_err() {
            self.finish_job();
            self.forget(&ids);
            tracing::warn!(
                capacity = inner.queue.max_capacity(),
                "webhook handling is backed up: delivery answered 503 for Meta to retry later"
            );
            inner.metrics.reject(Rejection::Backlog);
            return reply(
                StatusCode::SERVICE_UNAVAILABLE,
                "busy, deliver again later\n",
            );
        }
        inner
            .metrics
            .set_queue_depth(inner.pending.load(Ordering::Acquire));
        for kind in kinds {
            inner.metrics.event(kind);
        }
        for event in &flow_events {
            log_flow_event(event);
            inner.metrics.flow_event(event);
        }
        reply(StatusCode::OK, "ok\n")
    }

    /// The 413 reply, counted, for adapters that stop reading at [`max_body_size`](Self::max_body_size).
    #[must_use]
    pub fn reject_too_large(&self) -> Reply {
        tracing::warn!(
            limit = self.inner.max_body,
            "webhook delivery over the body limit"
        );
        self.inner.metrics.reject(Rejection::TooLarge);
        reply(StatusCode::PAYLOAD_TOO_LARGE, "request body too large\n")
    }

    /// The delivery's events minus the messages seen before, each with the message ids it carries
    /// (now remembered).
    fn new_events(&self, delivery: Delivery) -> Vec<(Origin, WebhookEvent, Vec<String>)> {
        let Ok(mut seen) = self.inner.seen.lock() else {
            // A handler cannot poison this lock (it is never held across user code); if it happens
            // anyway, handling twice is better than not at all.
            return delivery
                .events
                .into_iter()
                .map(|(origin, event)| (origin, event, Vec::new()))
                .collect();
        };
        let mut out = Vec::with_capacity(delivery.events.len());
        for (origin, mut event) in delivery.events {
            let mut ids = Vec::new();
            match &mut event {
                WebhookEvent::FlowCompletion(done) => {
                    if seen.put(done.message_id.clone(), ()).is_some() {
                        self.inner.metrics.duplicate();
                        continue;
                    }
                    ids.push(done.message_id.clone());
                }
                WebhookEvent::Other(change) => {
                    if !retain_unseen(change, &mut seen, &mut ids, &self.inner.metrics) {
                        continue;
                    }
                }
                WebhookEvent::Flow(_) => {}
            }
            out.push((origin, event, ids));
        }
        out
    }

    fn forget(&self, ids: &[String]) {
        if let Ok(mut seen) = self.inner.seen.lock() {
            for id in ids {
                seen.pop(id);
            }
        }
    }

    fn finish_job(&self) {
        if self.inner.pending.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.inner.idle.notify_waiters();
        }
        self.inner
            .metrics
            .set_queue_depth(self.inner.pending.load(Ordering::Acquire));
    }

    /// Starts the task that takes deliveries off the queue, once, on the tokio runtime of the first
    /// caller. False when there is no dispatcher and none can be started (no tokio runtime).
    fn start_dispatcher(&self) -> bool {
        let Ok(mut slot) = self.inner.receiver.lock() else {
            return false;
        };
        if slot.is_none() {
            return true;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return false;
        };
        let Some(mut receiver) = slot.take() else {
            return true;
        };
        drop(slot);
        // The dispatcher holds only a weak reference, so dropping every `Webhook` ends it once the
        // queue is drained.
        let weak = Arc::downgrade(&self.inner);
        let permits = Arc::new(Semaphore::new(self.inner.concurrency));
        runtime.spawn(async move {
            while let Some(job) = receiver.recv().await {
                let Ok(permit) = Arc::clone(&permits).acquire_owned().await else {
                    break;
                };
                let Some(inner) = weak.upgrade() else { break };
                let webhook = Webhook { inner };
                tokio::spawn(async move {
                    webhook.run(job).await;
                    webhook.finish_job();
                    drop(permit);
                });
            }
        });
        true
    }

    async fn run(&self, job: Job) {
        let inner = &self.inner;
        for (origin, event, ids) in job.events {
            let kind = event.kind();
            let outcome =
                tokio::time::timeout(inner.handler_timeout, inner.handler.call(origin, event))
                    .await;
            let ok = match outcome {
                Ok(Ok(())) => true,
                Ok(Err(error)) => {
                    tracing::error!(kind, %error, "webhook handler failed");
                    false
                }
                Err(_) => {
                    tracing::error!(kind, timeout = ?inner.handler_timeout, "webhook handler timed out");
                    false
                }
            };
            if !ok {
                self.forget(&ids);
            }
            inner.metrics.record_handled(ok);
        }
    }
}

/// Drops the messages of an untyped `messages` change that were seen before; remembers the others'
/// ids in `ids`. Returns whether anything is left to hand on.
fn retain_unseen(
    change: &mut UntypedChange,
    seen: &mut lru::LruCache<String, ()>,
    ids: &mut Vec<String>,
    metrics: &WebhookMetrics,
) -> bool {
    let Some(object) = change.value.as_object_mut() else {
        return true;
    };
    let Some(Value::Array(messages)) = object.get_mut("messages") else {
        return true;
    };
    let before = messages.len();
    messages.retain(|message| match message.get("id").and_then(Value::as_str) {
        Some(id) if seen.put(id.to_owned(), ()).is_some() => {
            metrics.duplicate();
            false
        }
        Some(id) => {
            ids.push(id.to_owned());
            true
        }
        None => true,
    });
    if messages.is_empty() && before > 0 {
        object.remove("messages");
        return !object
            .keys()
            .all(|key| matches!(key.as_str(), "messaging_product" | "metadata" | "contacts"));
    }
    true
}

fn log_flow_event(event: &FlowEvent) {
    let flow_id = event.flow_id();
    let name = event.event_name();
    match event {
        FlowEvent::StatusChange(change) => {
            let old = change
                .old_status
                .as_ref()
                .map_or("(new)", FlowStatus::as_str);
            let new = change.new_status.as_str();
            if matches!(
                change.new_status,
                FlowStatus::Blocked | FlowStatus::Throttled
            ) {
                tracing::warn!(flow_id, old, new, "Meta changed the flow's status");
            } else {
                tracing::info!(flow_id, old, new, "Meta changed the flow's status");
            }
            if let Some(warning) = &change.warning {
                tracing::warn!(flow_id, warning = %warning, "Meta warns about the flow's version");
            }
        }
        FlowEvent::VersionExpiryWarning(warning) => {
            tracing::warn!(
                flow_id,
                warning = warning.warning.as_deref().unwrap_or(""),
                "Meta warns that the flow's version expires"
            );
        }
        FlowEvent::EndpointErrorRate(a) | FlowEvent::ClientErrorRate(a) => {
            alert_log(
                name,
                flow_id,
                &a.alert_state,
                a.threshold,
                a.error_rate,
                a.message.as_deref(),
            );
        }
        FlowEvent::EndpointLatency(a) => {
            alert_log(
                name,
                flow_id,
                &a.alert_state,
                a.threshold,
                a.p90_latency,
                a.message.as_deref(),
            );
        }
        FlowEvent::EndpointAvailability(a) => {
            alert_log(
                name,
                flow_id,
                &a.alert_state,
                a.threshold,
                a.availability,
                a.message.as_deref(),
            );
        }
    }
}

fn alert_log(
    event: &str,
    flow_id: &str,
    state: &AlertState,
    threshold: Option<f64>,
    value: Option<f64>,
    message: Option<&str>,
) {
    let state_text = state.as_str();
    let message = message.unwrap_or("");
    if matches!(state, AlertState::Deactivated) {
        tracing::info!(
            event,
            flow_id,
            state = state_text,
            ?threshold,
            ?value,
            message,
            "Meta health alert ended"
        );
    } else {
        tracing::warn!(
            event,
            flow_id,
            state = state_text,
            ?threshold,
            ?value,
            message,
            "Meta health alert"
        );
    }
}

fn reply(status: StatusCode, body: &'static str) -> Reply {
    reply_with(status, Bytes::from_static(body.as_bytes()))
}

/// The one place a webhook `Reply` is made.
fn reply_with(status: StatusCode, body: Bytes) -> Reply {
    Reply::new(status, TEXT, body)
}

impl WebhookBuilder {
    /// The delivery body limit (default 4 MiB); larger bodies get HTTP 413.
    pub fn max_body_size(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }

    /// How many acknowledged deliveries may wait for the handler (default
    /// [`DEFAULT_QUEUE_CAPACITY`]); when full, new deliveries get 503 and Meta retries them.
    pub fn queue_capacity(mut self, deliveries: usize) -> Self {
        self.queue_capacity = deliveries;
        self
    }

    /// How many deliveries are handled at once (default [`DEFAULT_CONCURRENCY`]); the events of one
    /// delivery are handled in order.
    pub fn concurrency(mut self, deliveries: usize) -> Self {
        self.concurrency = deliveries;
        self
    }

    /// How many message ids are remembered to skip Meta's retries (default [`DEFAULT_DEDUP_CAPACITY`],
    /// least recently seen forgotten first).
    pub fn dedup_capacity(mut self, ids: usize) -> Self {
        self.dedup_capacity = ids;
        self
    }

    /// How long the handler may take for one event (default 30 s).
    pub fn handler_timeout(mut self, timeout: Duration) -> Self {
        self.handler_timeout = timeout;
        self
    }

    /// Finishes the webhook. Handling starts on the tokio runtime that serves the first delivery.
    ///
    /// # Errors
    /// [`WebhookConfigError`] for an empty verify token or a zero capacity.
    pub fn build(self) -> Result<Webhook, WebhookConfigError> {
        if self.verify_token.is_empty() {
            return Err(WebhookConfigError::EmptyVerifyToken);
        }
        let dedup = NonZeroUsize::new(self.dedup_capacity)
            .ok_or(WebhookConfigError::Zero("dedup capacity"))?;
        if self.queue_capacity == 0 {
            return Err(WebhookConfigError::Zero("queue capacity"));
        }
        if self.concurrency == 0 {
            return Err(WebhookConfigError::Zero("concurrency"));
        }
        let (queue, receiver) = mpsc::channel(self.queue_capacity);
        Ok(Webhook {
            inner: Arc::new(Inner {
                verify_token: self.verify_token,
                secrets: self.secrets,
                max_body: self.max_body,
                handler_timeout: self.handler_timeout,
                concurrency: self.concurrency,
                queue,
                receiver: Mutex::new(Some(receiver)),
                seen: Mutex::new(lru::LruCache::new(dedup)),
                pending: AtomicUsize::new(0),
                idle: Notify::new(),
                handler: self.handler,
                metrics: WebhookMetrics::default(),
            }),
        })
    }
}

/// `Webhook` as a tower service (feature `tower`), to mount where the server routes: in axum,
/// `Router::new().route_service("/webhook", webhook)`. The path is not looked at; `GET` and `POST`
/// are answered as by [`Webhook::handle`], the body read up to the limit (413 past it).
#[cfg(feature = "tower")]
impl<B> tower_service::Service<http::Request<B>> for Webhook
where
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Response = http::Response<http_body_util::Full<Bytes>>;
    type Error = std::convert::Infallible;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        use crate::service::{BodyError, read_body};
        let this = self.clone();
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let reply = match read_body(&parts.headers, body, this.max_body_size()).await {
                Ok(body) => {
                    this.handle(&parts.method, parts.uri.query(), &parts.headers, body)
                        .await
                }
                Err(BodyError::TooLarge) => this.reject_too_large(),
                Err(BodyError::Unreadable) => {
                    reply(StatusCode::BAD_REQUEST, "could not read the request body\n")
                }
            };
            Ok(reply.into_response())
        })
    }
}
