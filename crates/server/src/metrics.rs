//! Prometheus metrics, kept in atomics and rendered as text on `/metrics`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::State;

use hashwatch_access::BankAction;

use crate::auth::Caller;
use crate::error::ApiResult;
use crate::state::AppState;
use std::sync::Mutex;
use std::time::Duration;

/// Latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    total: u64,
}

/// The service's counters.
#[derive(Default)]
pub struct Metrics {
    /// (route, status) → count and latencies.
    requests: Mutex<BTreeMap<(String, u16), Histogram>>,
    matches: AtomicU64,
    rate_limited: AtomicU64,
    webhook_failures: AtomicU64,
    stale_feeds: AtomicU64,
    decodes_cancelled: AtomicU64,
}

impl Metrics {
    /// Counts a finished request.
    pub fn request(&self, route: &str, status: u16, took: Duration) {
        let seconds = took.as_secs_f64();
        let mut requests = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        let h = requests.entry((route.to_string(), status)).or_default();
        for (count, bound) in h.counts.iter_mut().zip(BUCKETS) {
            if seconds <= bound {
                *count += 1;
            }
        }
        h.sum += seconds;
        h.total += 1;
    }

    /// Counts matches returned.
    pub fn matched(&self, n: usize) {
        self.matches.fetch_add(n as u64, Ordering::Relaxed);
    }

    /// Counts a request refused by the rate limit.
    pub fn rate_limited(&self) {
        self.rate_limited.fetch_add(1, Ordering::Relaxed);
    }

    /// Sets how many subscriptions are stale; answers how many were.
    pub fn stale_feeds(&self, n: u64) -> u64 {
        self.stale_feeds.swap(n, Ordering::Relaxed)
    }

    /// Counts a decode stopped because its request went away.
    pub fn decode_cancelled(&self) {
        self.decodes_cancelled.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a failed webhook attempt.
    pub fn webhook_failed(&self) {
        self.webhook_failures.fetch_add(1, Ordering::Relaxed);
    }

    /// The Prometheus text exposition, with the index's gauges.
    pub fn render(&self, index: &[(&str, usize)], index_bytes: usize, loaded: bool) -> String {
        let mut out = String::new();
        out.push_str("# HELP hashwatch_requests_total Requests answered.\n");
        out.push_str("# TYPE hashwatch_requests_total counter\n");
        let requests = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        for ((route, status), h) in requests.iter() {
            let _ = writeln!(
                out,
                "hashwatch_requests_total{{route=\"{route}\",status=\"{status}\"}} {}",
                h.total
            );
        }
        out.push_str("# HELP hashwatch_request_seconds Request latency.\n");
        out.push_str("# TYPE hashwatch_request_seconds histogram\n");
        let mut by_route: BTreeMap<&str, Histogram> = BTreeMap::new();
        for ((route, _), h) in requests.iter() {
            let sum = by_route.entry(route).or_default();
            for (a, b) in sum.counts.iter_mut().zip(h.counts) {
                *a += b;
            }
            sum.sum += h.sum;
            sum.total += h.total;
        }
        for (route, h) in &by_route {
            for (count, bound) in h.counts.iter().zip(BUCKETS) {
                let _ = writeln!(
                    out,
                    "hashwatch_request_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {count}"
                );
            }
            let _ = writeln!(
                out,
                "hashwatch_request_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                h.total
            );
            let _ = writeln!(
                out,
                "hashwatch_request_seconds_sum{{route=\"{route}\"}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "hashwatch_request_seconds_count{{route=\"{route}\"}} {}",
                h.total
            );
        }
        let counters = [
            (
                "hashwatch_matches_total",
                "Matches returned by lookups.",
                &self.matches,
            ),
            (
                "hashwatch_rate_limited_total",
                "Requests refused by the per-key rate limit.",
                &self.rate_limited,
            ),
            (
                "hashwatch_webhook_failures_total",
                "Webhook attempts that failed.",
                &self.webhook_failures,
            ),
            (
                "hashwatch_decodes_cancelled_total",
                "Decodes stopped because their request timed out or went away.",
                &self.decodes_cancelled,
            ),
        ];
        for (name, help, value) in counters {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
                value.load(Ordering::Relaxed)
            );
        }
        out.push_str("# HELP hashwatch_index_entries Active entries in the resident index.\n");
        out.push_str("# TYPE hashwatch_index_entries gauge\n");
        for (signal_type, n) in index {
            let _ = writeln!(
                out,
                "hashwatch_index_entries{{signal_type=\"{signal_type}\"}} {n}"
            );
        }
        let _ = writeln!(out, "# HELP hashwatch_index_bytes Heap bytes of the PDQ index.\n# TYPE hashwatch_index_bytes gauge\nhashwatch_index_bytes {index_bytes}");
        let _ = writeln!(out, "# HELP hashwatch_feeds_stale Subscriptions whose newest page is older than --feed-max-lag.\n# TYPE hashwatch_feeds_stale gauge\nhashwatch_feeds_stale {}", self.stale_feeds.load(Ordering::Relaxed));
        let _ = writeln!(out, "# HELP hashwatch_index_loaded 1 once the index is loaded.\n# TYPE hashwatch_index_loaded gauge\nhashwatch_index_loaded {}", u8::from(loaded));
        out
    }
}

/// `GET /metrics`: Prometheus text.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "status",
    responses((status = 200, description = "success", body = String, content_type = "text/plain"), (status = "default", description = "an error", body = crate::openapi::ErrorBody))
)]
pub async fn metrics(State(state): State<AppState>, caller: Caller) -> ApiResult<String> {
    // Counts across every tenant: for the instance's administrators.
    caller.may(BankAction::Administer)?;
    let view = state.view();
    let (sizes, bytes) = match view.matcher.as_ref() {
        Some(m) => (m.sizes(), m.heap_bytes()),
        None => Default::default(),
    };
    let mut index: Vec<(&str, usize)> = sizes.iter().map(|(t, n)| (t.name(), *n)).collect();
    index.sort();
    Ok(state.metrics.render(&index, bytes, view.matcher.is_some()))
}
