//! The typed content of a webhook delivery, parsed from Meta's JSON.
//!
//! A delivery is `{"object": ..., "entry": [{"id": WABA_ID, "time": ..., "changes": [{"field": ...,
//! "value": {...}}]}]}`. Two kinds of change are typed: `messages` changes carrying a flow completion
//! (`interactive.type = nfm_reply`), and `flows` changes (status changes and Meta's health alerts).
//! Everything else, and anything typed that does not have the documented shape, is kept as an
//! [`UntypedChange`]: never an error, because Meta adds fields and events without notice.

use std::fmt;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Map, Value};

/// Where an event came from: the envelope fields around it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Origin {
    /// `entry[].id`: the WhatsApp Business Account the change belongs to.
    pub waba_id: String,
    /// `entry[].time`: when Meta produced the entry (Unix seconds), when given.
    pub time: Option<u64>,
    /// `changes[].field`: `messages`, `flows`, ...
    pub field: String,
    /// `value.metadata.phone_number_id` of `messages` changes: the business number that received it.
    pub phone_number_id: Option<String>,
}

/// One event of a delivery.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum WebhookEvent {
    /// A user completed a flow.
    FlowCompletion(FlowCompletion),
    /// A `flows` field event: a status change or a health alert.
    Flow(FlowEvent),
    /// Anything else, as Meta sent it.
    Other(UntypedChange),
}

impl WebhookEvent {
    /// The `kind` label this event is counted under in the metrics.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Self::FlowCompletion(_) => "flow_completion",
            Self::Flow(event) => event.kind(),
            Self::Other(_) => "other",
        }
    }
}

/// A flow completion: the `nfm_reply` message WhatsApp sends when the user finishes a flow.
///
/// `Debug` shows neither the flow token nor the response's values (user data), only its keys.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct FlowCompletion {
    /// The user's WhatsApp number (`from`).
    pub from: String,
    /// The message id (`wamid....`): the key that makes handling idempotent.
    pub message_id: String,
    /// When the user sent it (`timestamp`, Unix seconds), when it parses.
    pub timestamp: Option<u64>,
    /// The flow message this replies to (`context.id`), when given.
    pub context_message_id: Option<String>,
    /// `response_json`'s `flow_token`: the token the flow was sent with. iOS clients have been seen
    /// to omit it.
    pub flow_token: Option<String>,
    /// `response_json`, parsed: the completion's params (the endpoint's final `params`, or the Flow
    /// JSON's `complete` payload), `flow_token` included.
    pub response: Map<String, Value>,
    /// `nfm_reply.name` (`flow`).
    pub name: Option<String>,
    /// `nfm_reply.body` (`Sent`).
    pub body: Option<String>,
}

impl fmt::Debug for FlowCompletion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FlowCompletion")
            .field("message_id", &self.message_id)
            .field("timestamp", &self.timestamp)
            .field(
                "flow_token",
                &self.flow_token.as_ref().map(|_| "<redacted>"),
            )
            .field("response_keys", &self.response.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// A flow's status (`FLOW_STATUS_CHANGE`, and the Flows API's `status`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum FlowStatus {
    /// Editable, not sendable to users.
    Draft,
    /// Live.
    Published,
    /// Retired: no longer sendable.
    Deprecated,
    /// Meta blocked it: neither sendable nor openable, until the endpoint recovers.
    Blocked,
    /// Meta throttled it: at most 10 messages an hour.
    Throttled,
    /// A status this version does not know, as Meta spelled it.
    Other(String),
}

impl FlowStatus {
    /// The statuses Meta documents, in the order the metrics list them.
    pub const KNOWN: [FlowStatus; 5] = [
        Self::Draft,
        Self::Published,
        Self::Deprecated,
        Self::Blocked,
        Self::Throttled,
    ];

    /// Meta's spelling (`DRAFT`, `PUBLISHED`, ...).
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Self::Draft => "DRAFT",
            Self::Published => "PUBLISHED",
            Self::Deprecated => "DEPRECATED",
            Self::Blocked => "BLOCKED",
            Self::Throttled => "THROTTLED",
            Self::Other(other) => other,
        }
    }

    fn from_meta(text: String) -> Self {
        match text.to_ascii_uppercase().as_str() {
            "DRAFT" => Self::Draft,
            "PUBLISHED" => Self::Published,
            "DEPRECATED" => Self::Deprecated,
            "BLOCKED" => Self::Blocked,
            "THROTTLED" => Self::Throttled,
            _ => Self::Other(text),
        }
    }
}

impl fmt::Display for FlowStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for FlowStatus {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self::from_meta)
    }
}

/// Whether an alert started or ended (`alert_state`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AlertState {
    /// The metric crossed the threshold.
    Activated,
    /// The metric is back on the good side of the threshold.
    Deactivated,
    /// A state this version does not know, as Meta spelled it.
    Other(String),
}

impl AlertState {
    /// Meta's spelling.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Self::Activated => "ACTIVATED",
            Self::Deactivated => "DEACTIVATED",
            Self::Other(other) => other,
        }
    }
}

impl<'de> Deserialize<'de> for AlertState {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Ok(match text.to_ascii_uppercase().as_str() {
            "ACTIVATED" => Self::Activated,
            "DEACTIVATED" => Self::Deactivated,
            _ => Self::Other(text),
        })
    }
}

/// A `flows` field event.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum FlowEvent {
    /// `FLOW_STATUS_CHANGE`.
    StatusChange(FlowStatusChange),
    /// `ENDPOINT_ERROR_RATE`: share of endpoint requests that failed, over 30 minutes (5/10/50%).
    EndpointErrorRate(ErrorRateAlert),
    /// `CLIENT_ERROR_RATE`: share of screen navigations that failed on the phone, over 60 minutes
    /// (5/10/50%).
    ClientErrorRate(ErrorRateAlert),
    /// `ENDPOINT_LATENCY`: p90 latency of endpoint requests over 30 minutes (1 s / 5 s / 7 s).
    EndpointLatency(LatencyAlert),
    /// `ENDPOINT_AVAILABILITY`: share of health checks answered, over 10 minutes (below 90%).
    EndpointAvailability(AvailabilityAlert),
    /// `FLOW_VERSION_EXPIRY_WARNING`: the flow's Flow JSON version is about to freeze or expire.
    VersionExpiryWarning(VersionExpiryWarning),
}

impl FlowEvent {
    /// Meta's `event` name.
    #[must_use]
    pub fn event_name(&self) -> &'static str {
        match self {
            Self::StatusChange(_) => "FLOW_STATUS_CHANGE",
            Self::EndpointErrorRate(_) => "ENDPOINT_ERROR_RATE",
            Self::ClientErrorRate(_) => "CLIENT_ERROR_RATE",
            Self::EndpointLatency(_) => "ENDPOINT_LATENCY",
            Self::EndpointAvailability(_) => "ENDPOINT_AVAILABILITY",
            Self::VersionExpiryWarning(_) => "FLOW_VERSION_EXPIRY_WARNING",
        }
    }

    /// The flow the event is about.
    #[must_use]
    pub fn flow_id(&self) -> &str {
        match self {
            Self::StatusChange(e) => &e.flow_id,
            Self::EndpointErrorRate(e) | Self::ClientErrorRate(e) => &e.flow_id,
            Self::EndpointLatency(e) => &e.flow_id,
            Self::EndpointAvailability(e) => &e.flow_id,
            Self::VersionExpiryWarning(e) => &e.flow_id,
        }
    }

    /// The metrics `kind` label: the event name in lower case.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Self::StatusChange(_) => "flow_status_change",
            Self::EndpointErrorRate(_) => "endpoint_error_rate",
            Self::ClientErrorRate(_) => "client_error_rate",
            Self::EndpointLatency(_) => "endpoint_latency",
            Self::EndpointAvailability(_) => "endpoint_availability",
            Self::VersionExpiryWarning(_) => "flow_version_expiry_warning",
        }
    }
}

/// `FLOW_STATUS_CHANGE`: also sent when a flow is created (then without `old_status`).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct FlowStatusChange {
    /// The flow.
    pub flow_id: String,
    /// Meta's description (`Flow X changed status from DRAFT to PUBLISHED`).
    #[serde(default)]
    pub message: Option<String>,
    /// The status before; absent when the flow was just created.
    #[serde(default)]
    pub old_status: Option<FlowStatus>,
    /// The status now.
    pub new_status: FlowStatus,
    /// A version freeze warning Meta attaches on creation, when the flow's version is about to freeze.
    #[serde(default)]
    pub warning: Option<String>,
}

/// One error type inside an error-rate alert (`errors[]`).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct ErrorTypeRate {
    /// Meta's error type (`TIMEOUT`, `INVALID_SCREEN_TRANSITION`, `PUBLIC_KEY_MISSING`, ...).
    pub error_type: String,
    /// This error's share of the errors, in percent.
    #[serde(default)]
    pub error_rate: Option<f64>,
    /// How many times it happened in the window.
    #[serde(default)]
    pub error_count: Option<u64>,
}

/// `ENDPOINT_ERROR_RATE` or `CLIENT_ERROR_RATE`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct ErrorRateAlert {
    /// The flow.
    pub flow_id: String,
    /// Meta's description.
    #[serde(default)]
    pub message: Option<String>,
    /// Started or ended.
    pub alert_state: AlertState,
    /// The threshold crossed, in percent (5, 10 or 50).
    #[serde(default)]
    pub threshold: Option<f64>,
    /// The error rate over the window, in percent.
    #[serde(default)]
    pub error_rate: Option<f64>,
    /// Requests the rate was computed from.
    #[serde(default)]
    pub requests_count: Option<u64>,
    /// The rate per error type.
    #[serde(default)]
    pub errors: Vec<ErrorTypeRate>,
}

/// `ENDPOINT_LATENCY`. Latencies and threshold are in milliseconds, as Meta sends them.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct LatencyAlert {
    /// The flow.
    pub flow_id: String,
    /// Meta's description.
    #[serde(default)]
    pub message: Option<String>,
    /// Started or ended.
    pub alert_state: AlertState,
    /// The p90 threshold crossed, in ms (1000, 5000 or 7000).
    #[serde(default)]
    pub threshold: Option<f64>,
    /// p90 latency over the window, in ms.
    #[serde(default)]
    pub p90_latency: Option<f64>,
    /// p50 latency over the window, in ms.
    #[serde(default)]
    pub p50_latency: Option<f64>,
    /// Requests the latencies were computed from.
    #[serde(default)]
    pub requests_count: Option<u64>,
}

impl LatencyAlert {
    /// [`p90_latency`](Self::p90_latency) as a duration.
    #[must_use]
    pub fn p90(&self) -> Option<Duration> {
        millis(self.p90_latency)
    }

    /// [`p50_latency`](Self::p50_latency) as a duration.
    #[must_use]
    pub fn p50(&self) -> Option<Duration> {
        millis(self.p50_latency)
    }
}

fn millis(ms: Option<f64>) -> Option<Duration> {
    ms.filter(|ms| ms.is_finite() && *ms >= 0.0)
        .map(|ms| Duration::from_secs_f64(ms / 1000.0))
}

/// `ENDPOINT_AVAILABILITY`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct AvailabilityAlert {
    /// The flow.
    pub flow_id: String,
    /// Meta's description.
    #[serde(default)]
    pub message: Option<String>,
    /// Started or ended.
    pub alert_state: AlertState,
    /// The threshold, in percent (90).
    #[serde(default)]
    pub threshold: Option<f64>,
    /// Availability over the window, in percent.
    #[serde(default)]
    pub availability: Option<f64>,
}

/// `FLOW_VERSION_EXPIRY_WARNING`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct VersionExpiryWarning {
    /// The flow.
    pub flow_id: String,
    /// Meta's text: when the version freezes and where to read about migrating.
    #[serde(default)]
    pub warning: Option<String>,
}

/// A change this crate does not type, or typed content that did not have the documented shape.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct UntypedChange {
    /// `changes[].value` as Meta sent it (for `messages` changes, without the messages typed as
    /// completions).
    pub value: Value,
}

/// Why a delivery body is not a webhook delivery at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MalformedDelivery {
    /// Not JSON, or not an object with an `entry` array.
    #[error("not a webhook delivery: {0}")]
    NotADelivery(String),
}

/// A delivery, parsed: every event with where it came from, in Meta's order.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Delivery {
    /// `object` (`whatsapp_business_account`).
    pub object: Option<String>,
    /// The events.
    pub events: Vec<(Origin, WebhookEvent)>,
}

impl Delivery {
    /// Parses a delivery body. Only a body that is not a JSON object with an `entry` array is an
    /// error; content of unknown or unexpected shape becomes [`WebhookEvent::Other`].
    ///
    /// ```
    /// use flows_router::webhook::{Delivery, FlowEvent, WebhookEvent};
    ///
    /// let body = br#"{"object":"whatsapp_business_account","entry":[{"id":"644600416743275","time":1684969340,
    ///   "changes":[{"field":"flows","value":{"event":"FLOW_STATUS_CHANGE","flow_id":"6627390910605886",
    ///   "old_status":"DRAFT","new_status":"PUBLISHED"}}]}]}"#;
    /// let delivery = Delivery::parse(body)?;
    /// let (origin, event) = &delivery.events[0];
    /// assert_eq!(origin.waba_id, "644600416743275");
    /// assert!(matches!(event, WebhookEvent::Flow(FlowEvent::StatusChange(change)) if change.new_status.as_str() == "PUBLISHED"));
    /// # Ok::<(), flows_router::webhook::MalformedDelivery>(())
    /// ```
    ///
    /// # Errors
    /// [`MalformedDelivery`] when the body is not a delivery.
    pub fn parse(body: &[u8]) -> Result<Self, MalformedDelivery> {
        let root: Value = serde_json::from_slice(body)
            .map_err(|e| MalformedDelivery::NotADelivery(e.to_string()))?;
        let Value::Object(mut root) = root else {
            return Err(MalformedDelivery::NotADelivery(
                "the body is not a JSON object".to_owned(),
            ));
        };
        let Some(Value::Array(entries)) = root.remove("entry") else {
            return Err(MalformedDelivery::NotADelivery(
                "the body has no `entry` array".to_owned(),
            ));
        };
        let object = root
            .get("object")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let mut events = Vec::new();
        for entry in entries {
            let Value::Object(mut entry) = entry else {
                events.push((
                    unknown_origin(),
                    WebhookEvent::Other(UntypedChange { value: entry }),
                ));
                continue;
            };
            let waba_id = match entry.get("id") {
                Some(Value::String(id)) => id.clone(),
                Some(Value::Number(id)) => id.to_string(),
                _ => String::new(),
            };
            let time = entry.get("time").and_then(as_unix);
            let changes = match entry.remove("changes") {
                Some(Value::Array(changes)) => changes,
                _ => {
                    let origin = Origin {
                        waba_id,
                        time,
                        field: String::new(),
                        phone_number_id: None,
                    };
                    events.push((
                        origin,
                        WebhookEvent::Other(UntypedChange {
                            value: Value::Object(entry),
                        }),
                    ));
                    continue;
                }
            };
            for change in changes {
                let (field, value) = match change {
                    Value::Object(mut change) => (
                        change
                            .get("field")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_owned(),
                        change.remove("value").unwrap_or(Value::Null),
                    ),
                    other => (String::new(), other),
                };
                let phone_number_id = value
                    .pointer("/metadata/phone_number_id")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                let origin = Origin {
                    waba_id: waba_id.clone(),
                    time,
                    field: field.clone(),
                    phone_number_id,
                };
                match field.as_str() {
                    "flows" => events.push((origin, flow_event(value))),
                    "messages" => messages_change(&origin, value, &mut events),
                    _ => events.push((origin, WebhookEvent::Other(UntypedChange { value }))),
                }
            }
        }
        Ok(Self { object, events })
    }
}

fn unknown_origin() -> Origin {
    Origin {
        waba_id: String::new(),
        time: None,
        field: String::new(),
        phone_number_id: None,
    }
}

/// `time` and `timestamp` come as numbers or as strings of digits.
fn as_unix(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn flow_event(value: Value) -> WebhookEvent {
    fn typed<T: serde::de::DeserializeOwned>(
        value: &Value,
        wrap: fn(T) -> FlowEvent,
    ) -> Option<FlowEvent> {
        match T::deserialize(value) {
            Ok(event) => Some(wrap(event)),
            Err(error) => {
                tracing::warn!(%error, "a `flows` webhook event does not have the documented shape; passed on untyped");
                None
            }
        }
    }
    let event = match value.get("event").and_then(Value::as_str) {
        Some("FLOW_STATUS_CHANGE") => typed(&value, FlowEvent::StatusChange),
        Some("ENDPOINT_ERROR_RATE") => typed(&value, FlowEvent::EndpointErrorRate),
        Some("CLIENT_ERROR_RATE") => typed(&value, FlowEvent::ClientErrorRate),
        Some("ENDPOINT_LATENCY") => typed(&value, FlowEvent::EndpointLatency),
        Some("ENDPOINT_AVAILABILITY") => typed(&value, FlowEvent::EndpointAvailability),
        Some("FLOW_VERSION_EXPIRY_WARNING") => typed(&value, FlowEvent::VersionExpiryWarning),
        _ => None,
    };
    event.map_or(
        WebhookEvent::Other(UntypedChange { value }),
        WebhookEvent::Flow,
    )
}

/// Splits a `messages` change into its flow completions and, if anything else is left (other
/// messages, statuses, errors, fields this crate does not know), one untyped change with the rest.
fn messages_change(origin: &Origin, value: Value, events: &mut Vec<(Origin, WebhookEvent)>) {
    let Value::Object(mut value) = value else {
        events.push((origin.clone(), WebhookEvent::Other(UntypedChange { value })));
        return;
    };
    let mut rest = Vec::new();
    if let Some(Value::Array(messages)) = value.remove("messages") {
        for message in messages {
            match completion(&message) {
                Some(done) => events.push((origin.clone(), WebhookEvent::FlowCompletion(done))),
                None => rest.push(message),
            }
        }
    }
    if !rest.is_empty() {
        value.insert("messages".to_owned(), Value::Array(rest));
    }
    let only_envelope = value
        .keys()
        .all(|key| matches!(key.as_str(), "messaging_product" | "metadata" | "contacts"));
    if !only_envelope {
        events.push((
            origin.clone(),
            WebhookEvent::Other(UntypedChange {
                value: Value::Object(value),
            }),
        ));
    }
}

/// The completion in a message, or `None` if it is not an `nfm_reply` of the documented shape (with
/// `id`, `from` and a `response_json` object); such a message is handed on untyped.
fn completion(message: &Value) -> Option<FlowCompletion> {
    let interactive = message.get("interactive")?;
    if interactive.get("type").and_then(Value::as_str) != Some("nfm_reply") {
        return None;
    }
    let reply = interactive.get("nfm_reply")?;
    let text = |value: &Value, key: &str| value.get(key).and_then(Value::as_str).map(str::to_owned);
    let message_id = text(message, "id")?;
    // `response_json` is a JSON string; accept an object too (Meta's media-upload page shows one).
    let response = match reply.get("response_json")? {
        Value::String(json) => match serde_json::from_str::<Value>(json) {
            Ok(Value::Object(map)) => map,
            _ => {
                tracing::warn!(%message_id, "an nfm_reply's response_json is not a JSON object; passed on untyped");
                return None;
            }
        },
        Value::Object(map) => map.clone(),
        _ => return None,
    };
    let flow_token = response
        .get("flow_token")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let from = text(message, "from")?;
    Some(FlowCompletion {
        from,
        message_id,
        timestamp: message.get("timestamp").and_then(as_unix),
        context_message_id: message.get("context").and_then(|c| text(c, "id")),
        flow_token,
        response,
        name: text(reply, "name"),
        body: text(reply, "body"),
    })
}
