//! Every exchange with the endpoint, decrypted, for assertions and for `flows walk --json`.

use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

/// Why a request was sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExchangeKind {
    /// A request the flow made (INIT, data_exchange, BACK).
    Request,
    /// The one retry after an HTTP 421.
    Retry,
    /// The error notification the client sends after rejecting a reply.
    ErrorNotification,
}

/// One request and what came back.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Exchange {
    /// Why it was sent.
    pub kind: ExchangeKind,
    /// The decrypted request, as encrypted and sent.
    pub request: Value,
    /// The HTTP status (none after a timeout or a transport failure).
    pub status: Option<u16>,
    /// The decrypted reply (JSON; a text body for non-200 answers that carry one).
    pub reply: Option<Value>,
    /// From sending to the whole answer, in milliseconds.
    pub latency_ms: f64,
    /// What went wrong, if anything.
    pub error: Option<String>,
}

impl Exchange {
    pub(crate) fn new(kind: ExchangeKind, request: Value) -> Self {
        Self {
            kind,
            request,
            status: None,
            reply: None,
            latency_ms: 0.0,
            error: None,
        }
    }

    /// The request's `action`.
    #[must_use]
    pub fn action(&self) -> &str {
        self.request
            .get("action")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }
}

/// The exchanges of a walk, in order.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Transcript {
    exchanges: Vec<Exchange>,
}

impl Transcript {
    /// The exchanges, oldest first.
    #[must_use]
    pub fn exchanges(&self) -> &[Exchange] {
        &self.exchanges
    }

    /// The most recent exchange.
    #[must_use]
    pub fn last(&self) -> Option<&Exchange> {
        self.exchanges.last()
    }

    /// How many exchanges there were.
    #[must_use]
    pub fn len(&self) -> usize {
        self.exchanges.len()
    }

    /// Whether nothing was sent yet.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.exchanges.is_empty()
    }

    pub(crate) fn push(&mut self, exchange: Exchange) {
        self.exchanges.push(exchange);
    }

    pub(crate) fn note_latency(&mut self, latency: Duration) {
        if let Some(last) = self.exchanges.last_mut() {
            last.latency_ms = (latency.as_secs_f64() * 1e6).round() / 1e3;
        }
    }

    pub(crate) fn note_status(&mut self, status: u16) {
        if let Some(last) = self.exchanges.last_mut() {
            last.status = Some(status);
        }
    }

    pub(crate) fn note_reply(&mut self, reply: Value) {
        if let Some(last) = self.exchanges.last_mut() {
            last.reply = Some(reply);
        }
    }

    pub(crate) fn note_error(&mut self, error: &str) {
        if let Some(last) = self.exchanges.last_mut() {
            last.error = Some(error.to_owned());
        }
    }
}
