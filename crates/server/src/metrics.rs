//! Prometheus metrics, kept in atomics and rendered as text on `/metrics`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::{FromRequestParts, Request, State};

use hashwatch_access::BankAction;

use crate::auth::{self, Caller};
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

/// Counters kept per tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Counter {
    Matches,
    RateLimited,
    WebhookFailures,
}

impl Counter {
    const ALL: [Counter; 3] = [
        Counter::Matches,
        Counter::RateLimited,
        Counter::WebhookFailures,
    ];

    fn name_and_help(self) -> (&'static str, &'static str) {
        match self {
            Counter::Matches => ("hashwatch_matches_total", "Matches returned by lookups."),
            Counter::RateLimited => (
                "hashwatch_rate_limited_total",
                "Requests refused by a rate limit.",
            ),
            Counter::WebhookFailures => (
                "hashwatch_webhook_failures_total",
                "Webhook attempts that failed.",
            ),
        }
    }
}

/// Whose figures `/metrics` shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope<'a> {
    /// One tenant's: requests its keys made, its lookups' matches, its
    /// keys' refusals, its banks' webhooks and the entries it sees.
    Tenant(&'a str),
    /// The whole instance's, for the operator: every tenant's and the
    /// keyless requests' (the public hotline routes), and the process's
    /// own (decodes, feeds, the index's memory).
    Instance,
}

impl Scope<'_> {
    /// Whether figures counted for `tenant` (`None`: no key) are shown.
    fn shows(&self, tenant: Option<&str>) -> bool {
        match self {
            Scope::Instance => true,
            Scope::Tenant(t) => tenant == Some(*t),
        }
    }
}

/// A request's tenant (`None`: no key), route and status.
type RequestKind = (Option<String>, String, u16);

/// The service's counters, by the tenant of the key that caused them.
#[derive(Default)]
pub struct Metrics {
    /// Count and latencies of each kind of request.
    requests: Mutex<BTreeMap<RequestKind, Histogram>>,
    /// (tenant, counter) → count.
    counters: Mutex<BTreeMap<(Option<String>, Counter), u64>>,
    stale_feeds: AtomicU64,
    decodes_cancelled: AtomicU64,
}

impl Metrics {
    /// Counts a finished request of a key of `tenant` (`None`: no key).
    pub fn request(&self, tenant: Option<String>, route: &str, status: u16, took: Duration) {
        let seconds = took.as_secs_f64();
        let mut requests = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        let h = requests
            .entry((tenant, route.to_string(), status))
            .or_default();
        for (count, bound) in h.counts.iter_mut().zip(BUCKETS) {
            if seconds <= bound {
                *count += 1;
            }
        }
        h.sum += seconds;
        h.total += 1;
    }

    fn count(&self, tenant: Option<&str>, counter: Counter, n: u64) {
        let mut counters = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        *counters
            .entry((tenant.map(str::to_string), counter))
            .or_default() += n;
    }

    /// Counts matches returned to a key of `tenant`.
    pub fn matched(&self, tenant: &str, n: usize) {
        self.count(Some(tenant), Counter::Matches, n as u64);
    }

    /// Counts a request refused by a rate limit (`tenant`: the key's,
    /// when one was known).
    pub fn rate_limited(&self, tenant: Option<&str>) {
        self.count(tenant, Counter::RateLimited, 1);
    }

    /// Sets how many subscriptions are stale; answers how many were.
    pub fn stale_feeds(&self, n: u64) -> u64 {
        self.stale_feeds.swap(n, Ordering::Relaxed)
    }

    /// Counts a decode stopped because its request went away.
    pub fn decode_cancelled(&self) {
        self.decodes_cancelled.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a failed webhook attempt of a bank of `tenant` (`None`: the
    /// bank is gone).
    pub fn webhook_failed(&self, tenant: Option<&str>) {
        self.count(tenant, Counter::WebhookFailures, 1);
    }

    /// The Prometheus text exposition of `scope`'s figures, with the
    /// index's gauges (`index`: the entries `scope` sees; `index_bytes`,
    /// the whole index's, shown to the operator only).
    pub fn render(
        &self,
        scope: Scope<'_>,
        index: &[(&str, usize)],
        index_bytes: usize,
        loaded: bool,
    ) -> String {
        let mut out = String::new();
        out.push_str("# HELP hashwatch_requests_total Requests answered.\n");
        out.push_str("# TYPE hashwatch_requests_total counter\n");
        let requests = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        let mut by_status: BTreeMap<(&str, u16), u64> = BTreeMap::new();
        let mut by_route: BTreeMap<&str, Histogram> = BTreeMap::new();
        for ((tenant, route, status), h) in requests.iter() {
            if !scope.shows(tenant.as_deref()) {
                continue;
            }
            *by_status.entry((route, *status)).or_default() += h.total;
            let sum = by_route.entry(route).or_default();
            for (a, b) in sum.counts.iter_mut().zip(h.counts) {
                *a += b;
            }
            sum.sum += h.sum;
            sum.total += h.total;
        }
        for ((route, status), total) in &by_status {
            let _ = writeln!(
                out,
                "hashwatch_requests_total{{route=\"{route}\",status=\"{status}\"}} {total}"
            );
        }
        out.push_str("# HELP hashwatch_request_seconds Request latency.\n");
        out.push_str("# TYPE hashwatch_request_seconds histogram\n");
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
        drop(requests);
        let counters = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        for counter in Counter::ALL {
            let (name, help) = counter.name_and_help();
            let value: u64 = counters
                .iter()
                .filter(|((tenant, c), _)| *c == counter && scope.shows(tenant.as_deref()))
                .map(|(_, n)| n)
                .sum();
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}"
            );
        }
        drop(counters);
        if scope == Scope::Instance {
            let name = "hashwatch_decodes_cancelled_total";
            let _ = writeln!(
                out,
                "# HELP {name} Decodes stopped because their request timed out or went away.\n# TYPE {name} counter\n{name} {}",
                self.decodes_cancelled.load(Ordering::Relaxed)
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
        if scope == Scope::Instance {
            let _ = writeln!(out, "# HELP hashwatch_index_bytes Heap bytes of the PDQ index.\n# TYPE hashwatch_index_bytes gauge\nhashwatch_index_bytes {index_bytes}");
            let _ = writeln!(out, "# HELP hashwatch_feeds_stale Subscriptions whose newest page is older than --feed-max-lag.\n# TYPE hashwatch_feeds_stale gauge\nhashwatch_feeds_stale {}", self.stale_feeds.load(Ordering::Relaxed));
        }
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
pub async fn metrics(State(state): State<AppState>, request: Request) -> ApiResult<String> {
    let (mut parts, _) = request.into_parts();
    // The operator's scraper, with the metrics token, sees the instance;
    // a tenant's administrators see their tenant's figures only.
    let caller;
    let scope = if auth::presents_metrics_token(&state, &parts.headers) {
        Scope::Instance
    } else {
        caller = Caller::from_request_parts(&mut parts, &state).await?;
        caller.may(BankAction::Administer)?;
        Scope::Tenant(&caller.0.tenant)
    };
    let view = state.view();
    let (sizes, bytes) = match (scope, view.matcher.as_ref()) {
        (Scope::Instance, Some(m)) => (m.sizes(), m.heap_bytes()),
        (Scope::Tenant(tenant), Some(_)) => (view.sizes_for(tenant).unwrap_or_default(), 0),
        (_, None) => Default::default(),
    };
    let mut index: Vec<(&str, usize)> = sizes.iter().map(|(t, n)| (t.name(), *n)).collect();
    index.sort();
    Ok(state
        .metrics
        .render(scope, &index, bytes, view.matcher.is_some()))
}
