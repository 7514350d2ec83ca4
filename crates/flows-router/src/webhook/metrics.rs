//! The webhook's own metrics, in Prometheus text format: deliveries by kind, rejections by reason,
//! duplicates, handler failures, the handling queue, and Meta's alert states and flow statuses as
//! gauges (the last value Meta reported for each flow).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use super::events::{AlertState, FlowEvent, FlowStatus};

/// Event kinds, as [`WebhookEvent::kind`](super::WebhookEvent::kind) names them.
const KINDS: [&str; 8] = [
    "flow_completion",
    "flow_status_change",
    "endpoint_error_rate",
    "client_error_rate",
    "endpoint_latency",
    "endpoint_availability",
    "flow_version_expiry_warning",
    "other",
];

/// Why a delivery was not accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Rejection {
    /// `X-Hub-Signature-256` missing or wrong (401).
    Signature,
    /// Not a webhook delivery (400).
    Malformed,
    /// Over the body limit (413).
    TooLarge,
    /// The handling queue is full (503; Meta delivers it again later).
    Backlog,
    /// A `GET` whose verify token or mode is wrong (403).
    Handshake,
}

const REJECTIONS: [(Rejection, &str); 5] = [
    (Rejection::Signature, "signature"),
    (Rejection::Malformed, "malformed"),
    (Rejection::TooLarge, "too_large"),
    (Rejection::Backlog, "backlog"),
    (Rejection::Handshake, "handshake"),
];

/// How many flows the gauges keep: a business has a handful; this only bounds memory if a
/// misbehaving sender invents flow ids.
const MAX_FLOWS: usize = 1000;

/// Counters and gauges of one [`Webhook`](super::Webhook), from [`Webhook::metrics`](super::Webhook::metrics).
#[derive(Debug, Default)]
pub struct WebhookMetrics {
    events: [AtomicU64; KINDS.len()],
    rejected: [AtomicU64; REJECTIONS.len()],
    duplicates: AtomicU64,
    handled: AtomicU64,
    failures: AtomicU64,
    queue_depth: AtomicU64,
    gauges: Mutex<Gauges>,
}

#[derive(Debug, Default)]
struct Gauges {
    /// (event kind, flow id, threshold) -> active; the threshold is part of the key because Meta
    /// raises and clears each threshold (5/10/50%) on its own.
    alerts: BTreeMap<(&'static str, String, String), bool>,
    /// (event kind, flow id) -> the last value Meta reported (error rate %, p90 ms, availability %).
    values: BTreeMap<(&'static str, String), f64>,
    statuses: BTreeMap<String, FlowStatus>,
}

impl Gauges {
    fn knows(&self, flow_id: &str) -> bool {
        self.statuses.contains_key(flow_id) || self.values.keys().any(|(_, id)| id == flow_id)
    }

    fn flows(&self) -> usize {
        let mut ids: Vec<&str> = self.statuses.keys().map(String::as_str).collect();
        ids.extend(self.values.keys().map(|(_, id)| id.as_str()));
        ids.sort_unstable();
        ids.dedup();
        ids.len()
    }
}

impl WebhookMetrics {
    pub(crate) fn event(&self, kind: &str) {
        let i = KINDS
            .iter()
            .position(|k| *k == kind)
            .unwrap_or(KINDS.len() - 1);
        if let Some(counter) = self.events.get(i) {
            counter.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub(crate) fn reject(&self, why: Rejection) {
        if let Some(i) = REJECTIONS.iter().position(|(r, _)| *r == why)
            && let Some(counter) = self.rejected.get(i)
        {
            counter.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub(crate) fn duplicate(&self) {
        self.duplicates.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn record_handled(&self, ok: bool) {
        self.handled.fetch_add(1, Ordering::Relaxed);
        if !ok {
            self.failures.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub(crate) fn set_queue_depth(&self, depth: usize) {
        self.queue_depth
            .store(u64::try_from(depth).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    /// Records what a `flows` event says about its flow.
    pub(crate) fn flow_event(&self, event: &FlowEvent) {
        let Ok(mut gauges) = self.gauges.lock() else {
            return;
        };
        let flow_id = event.flow_id().to_owned();
        if !gauges.knows(&flow_id) && gauges.flows() >= MAX_FLOWS {
            tracing::warn!(
                limit = MAX_FLOWS,
                "too many flows to keep gauges for; this one is not tracked"
            );
            return;
        }
        let kind = event.kind();
        let (state, threshold, value) = match event {
            FlowEvent::StatusChange(change) => {
                gauges.statuses.insert(flow_id, change.new_status.clone());
                return;
            }
            FlowEvent::EndpointErrorRate(a) | FlowEvent::ClientErrorRate(a) => {
                (&a.alert_state, a.threshold, a.error_rate)
            }
            FlowEvent::EndpointLatency(a) => (&a.alert_state, a.threshold, a.p90_latency),
            FlowEvent::EndpointAvailability(a) => (&a.alert_state, a.threshold, a.availability),
            FlowEvent::VersionExpiryWarning(_) => return,
        };
        if let Some(value) = value.filter(|v| v.is_finite()) {
            gauges.values.insert((kind, flow_id.clone()), value);
        }
        let active = match state {
            AlertState::Activated => true,
            AlertState::Deactivated => false,
            AlertState::Other(_) => return,
        };
        let threshold = threshold.map_or_else(String::new, |t| t.to_string());
        gauges.alerts.insert((kind, flow_id, threshold), active);
    }

    /// How many events of this kind were accepted for handling (`flow_completion`, `flow_status_change`,
    /// `endpoint_error_rate`, `client_error_rate`, `endpoint_latency`, `endpoint_availability`,
    /// `flow_version_expiry_warning`, `other`).
    #[must_use]
    pub fn events(&self, kind: &str) -> u64 {
        KINDS
            .iter()
            .position(|k| *k == kind)
            .and_then(|i| self.events.get(i))
            .map_or(0, |c| c.load(Ordering::Relaxed))
    }

    /// Events skipped because their message id was seen before (Meta's retries).
    #[must_use]
    pub fn duplicates(&self) -> u64 {
        self.duplicates.load(Ordering::Relaxed)
    }

    /// Events the handler has finished with, successfully or not.
    #[must_use]
    pub fn handled(&self) -> u64 {
        self.handled.load(Ordering::Relaxed)
    }

    /// Events whose handler returned an error.
    #[must_use]
    pub fn failures(&self) -> u64 {
        self.failures.load(Ordering::Relaxed)
    }

    /// The Prometheus text exposition, to append to a server's `/metrics`.
    #[must_use]
    pub fn render_prometheus(&self) -> String {
        let mut out = String::with_capacity(2048);
        out.push_str(
            "# HELP flows_webhook_deliveries_total Webhook deliveries accepted for handling, by kind of event (a delivery of several events counts once per event).\n",
        );
        out.push_str("# TYPE flows_webhook_deliveries_total counter\n");
        for (kind, counter) in KINDS.iter().zip(&self.events) {
            let _ = writeln!(
                out,
                "flows_webhook_deliveries_total{{kind=\"{kind}\"}} {}",
                counter.load(Ordering::Relaxed)
            );
        }
        out.push_str("# HELP flows_webhook_rejected_total Webhook requests refused, by reason.\n");
        out.push_str("# TYPE flows_webhook_rejected_total counter\n");
        for ((_, reason), counter) in REJECTIONS.iter().zip(&self.rejected) {
            let _ = writeln!(
                out,
                "flows_webhook_rejected_total{{reason=\"{reason}\"}} {}",
                counter.load(Ordering::Relaxed)
            );
        }
        for (name, help, kind, value) in [
            (
                "flows_webhook_duplicates_total",
                "Webhook events skipped because their message id was already handled (Meta's retries).",
                "counter",
                self.duplicates.load(Ordering::Relaxed),
            ),
            (
                "flows_webhook_handled_total",
                "Webhook events the handler finished with.",
                "counter",
                self.handled.load(Ordering::Relaxed),
            ),
            (
                "flows_webhook_handler_failures_total",
                "Webhook events whose handler returned an error (logged).",
                "counter",
                self.failures.load(Ordering::Relaxed),
            ),
            (
                "flows_webhook_queue_depth",
                "Deliveries acknowledged and waiting for their handler.",
                "gauge",
                self.queue_depth.load(Ordering::Relaxed),
            ),
        ] {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
            );
        }
        let Ok(gauges) = self.gauges.lock() else {
            return out;
        };
        out.push_str(
            "# HELP flows_meta_alert_active Meta's health alerts per flow and threshold: 1 activated, 0 deactivated.\n",
        );
        out.push_str("# TYPE flows_meta_alert_active gauge\n");
        for ((kind, flow_id, threshold), active) in &gauges.alerts {
            let _ = writeln!(
                out,
                "flows_meta_alert_active{{event=\"{kind}\",flow_id=\"{}\",threshold=\"{}\"}} {}",
                escape(flow_id),
                escape(threshold),
                u8::from(*active)
            );
        }
        out.push_str(
            "# HELP flows_meta_alert_value The last figure Meta reported per flow: error rate (%), p90 latency (ms), availability (%).\n",
        );
        out.push_str("# TYPE flows_meta_alert_value gauge\n");
        for ((kind, flow_id), value) in &gauges.values {
            let _ = writeln!(
                out,
                "flows_meta_alert_value{{event=\"{kind}\",flow_id=\"{}\"}} {value}",
                escape(flow_id)
            );
        }
        out.push_str("# HELP flows_meta_flow_status The flow's status from Meta's last FLOW_STATUS_CHANGE: 1 for the current one.\n");
        out.push_str("# TYPE flows_meta_flow_status gauge\n");
        for (flow_id, current) in &gauges.statuses {
            let mut statuses: Vec<FlowStatus> = FlowStatus::KNOWN.to_vec();
            if !statuses.contains(current) {
                statuses.push(current.clone());
            }
            for status in statuses {
                let _ = writeln!(
                    out,
                    "flows_meta_flow_status{{flow_id=\"{}\",status=\"{}\"}} {}",
                    escape(flow_id),
                    escape(status.as_str()),
                    u8::from(status == *current)
                );
            }
        }
        out
    }
}

/// Prometheus label-value escaping.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
