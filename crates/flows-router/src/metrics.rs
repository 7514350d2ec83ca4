//! Request counters and a latency histogram in Prometheus text format, so an operator sees Meta's alert
//! figures (error rate, p90 latency) before Meta does. Lock-free: one atomic add per counter per request.

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::rsa_pool::RsaGauges;

/// Action labels: the four the protocol defines, `other`, and `none` for requests never decrypted.
const ACTIONS: [&str; 6] = ["ping", "INIT", "BACK", "data_exchange", "other", "none"];
/// Status labels; anything else is counted as `other`.
const STATUSES: [u16; 8] = [200, 400, 413, 421, 427, 432, 500, 503];
/// Histogram bounds in seconds, with Meta's alert thresholds (1 s, 5 s, 7 s) among them.
const BUCKETS: [f64; 13] = [
    0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 7.0, 10.0,
];

/// Counters for one endpoint. Obtained from [`crate::Endpoint::metrics`].
#[derive(Debug)]
pub struct Metrics {
    requests: [[AtomicU64; STATUSES.len() + 1]; ACTIONS.len()],
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
    shed: AtomicU64,
    pub(crate) rsa: Arc<RsaGauges>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            requests: std::array::from_fn(|_| std::array::from_fn(|_| AtomicU64::new(0))),
            buckets: std::array::from_fn(|_| AtomicU64::new(0)),
            count: AtomicU64::new(0),
            sum_micros: AtomicU64::new(0),
            shed: AtomicU64::new(0),
            rsa: Arc::default(),
        }
    }
}

impl Metrics {
    pub(crate) fn record(&self, action: Option<&str>, status: http::StatusCode, latency: Duration) {
        let status = status.as_u16();
        let a = action_index(action);
        let s = STATUSES
            .iter()
            .position(|known| *known == status)
            .unwrap_or(STATUSES.len());
        if let Some(counter) = self.requests.get(a).and_then(|row| row.get(s)) {
            counter.fetch_add(1, Ordering::Relaxed);
        }
        let secs = latency.as_secs_f64();
        for (bound, bucket) in BUCKETS.iter().zip(&self.buckets) {
            if secs <= *bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.sum_micros.fetch_add(micros, Ordering::Relaxed);
    }

    /// How many requests with this action label (`ping`, `INIT`, `BACK`, `data_exchange`, `other`,
    /// `none`) were answered with this status.
    #[must_use]
    pub fn requests(&self, action: &str, status: u16) -> u64 {
        let s = STATUSES
            .iter()
            .position(|known| *known == status)
            .unwrap_or(STATUSES.len());
        self.requests
            .get(action_index(Some(action)))
            .and_then(|row| row.get(s))
            .map_or(0, |c| c.load(Ordering::Relaxed))
    }

    pub(crate) fn record_shed(&self) {
        self.shed.fetch_add(1, Ordering::Relaxed);
    }

    /// Requests answered `503` because they could not start their decryption within the queue
    /// timeout.
    #[must_use]
    pub fn shed(&self) -> u64 {
        self.shed.load(Ordering::Relaxed)
    }

    /// Decryptions waiting for an RSA thread now.
    #[must_use]
    pub fn rsa_queue_depth(&self) -> usize {
        self.rsa.queued.load(Ordering::Relaxed)
    }

    /// RSA threads running a decryption now.
    #[must_use]
    pub fn rsa_threads_busy(&self) -> usize {
        self.rsa.busy.load(Ordering::Relaxed)
    }

    /// All requests answered so far.
    #[must_use]
    pub fn total(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    /// The Prometheus text exposition (`text/plain; version=0.0.4`).
    #[must_use]
    pub fn render_prometheus(&self) -> String {
        let mut out = String::with_capacity(4096);
        out.push_str(
            "# HELP flows_requests_total Flows endpoint requests by action and HTTP status.\n",
        );
        out.push_str("# TYPE flows_requests_total counter\n");
        for (action, row) in ACTIONS.iter().zip(&self.requests) {
            for (i, counter) in row.iter().enumerate() {
                let n = counter.load(Ordering::Relaxed);
                if n == 0 {
                    continue;
                }
                let status = STATUSES
                    .get(i)
                    .map_or_else(|| "other".to_owned(), u16::to_string);
                let _ = writeln!(
                    out,
                    "flows_requests_total{{action=\"{action}\",status=\"{status}\"}} {n}"
                );
            }
        }
        out.push_str(
            "# HELP flows_request_duration_seconds Time from request received to reply ready.\n",
        );
        out.push_str("# TYPE flows_request_duration_seconds histogram\n");
        for (bound, bucket) in BUCKETS.iter().zip(&self.buckets) {
            let _ = writeln!(
                out,
                "flows_request_duration_seconds_bucket{{le=\"{bound}\"}} {}",
                bucket.load(Ordering::Relaxed)
            );
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "flows_request_duration_seconds_bucket{{le=\"+Inf\"}} {count}"
        );
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "flows_request_duration_seconds_sum {sum}");
        let _ = writeln!(out, "flows_request_duration_seconds_count {count}");
        out.push_str("# HELP flows_requests_shed_total Requests answered 503 because they could not start their decryption within the queue timeout.\n");
        out.push_str("# TYPE flows_requests_shed_total counter\n");
        let _ = writeln!(out, "flows_requests_shed_total {}", self.shed());
        out.push_str("# HELP flows_rsa_queue_depth Decryptions waiting for an RSA thread.\n");
        out.push_str("# TYPE flows_rsa_queue_depth gauge\n");
        let _ = writeln!(out, "flows_rsa_queue_depth {}", self.rsa_queue_depth());
        out.push_str("# HELP flows_rsa_threads_busy RSA threads running a decryption.\n");
        out.push_str("# TYPE flows_rsa_threads_busy gauge\n");
        let _ = writeln!(out, "flows_rsa_threads_busy {}", self.rsa_threads_busy());
        out
    }
}

fn action_index(action: Option<&str>) -> usize {
    match action {
        None | Some("none") => 5,
        Some(name) => ACTIONS.iter().position(|a| *a == name).unwrap_or(4),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_cumulative_buckets() {
        let m = Metrics::default();
        m.record(Some("ping"), http::StatusCode::OK, Duration::from_millis(3));
        m.record(
            None,
            http::StatusCode::MISDIRECTED_REQUEST,
            Duration::from_millis(30),
        );
        m.record(
            Some("navigate"),
            http::StatusCode::INTERNAL_SERVER_ERROR,
            Duration::from_secs(2),
        );
        assert_eq!(m.requests("ping", 200), 1);
        assert_eq!(m.requests("none", 421), 1);
        assert_eq!(m.requests("other", 500), 1);
        let text = m.render_prometheus();
        assert!(text.contains("flows_requests_total{action=\"ping\",status=\"200\"} 1"));
        assert!(text.contains("flows_request_duration_seconds_bucket{le=\"0.005\"} 1"));
        assert!(text.contains("flows_request_duration_seconds_bucket{le=\"0.05\"} 2"));
        assert!(text.contains("flows_request_duration_seconds_bucket{le=\"+Inf\"} 3"));
        m.record_shed();
        let text = m.render_prometheus();
        assert!(text.contains("\nflows_requests_shed_total 1\n"));
        assert!(text.contains("\nflows_rsa_queue_depth 0\n"));
        assert!(text.contains("\nflows_rsa_threads_busy 0\n"));
    }
}
