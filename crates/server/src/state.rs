//! What every request shares: the store, the resident index with the
//! settings it is matched under, and the service's configuration.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, RwLockReadGuard};
use std::time::{Duration, Instant};

pub use hashwatch_matcher::live::{BankFilter, Hit, View};
use hashwatch_matcher::live::{LiveView, NotLoaded};
use hashwatch_matcher::Query;
use hashwatch_store::{records, ApiKey, BankSettings, NewAudit, Records, Store, DEFAULT_TENANT};
use tokio::sync::mpsc;

use crate::error::{ApiError, ApiResult};
use crate::metrics::Metrics;

/// How the service runs.
#[derive(Debug, Clone)]
pub struct Config {
    /// A SQLite path or a `postgres://` URL.
    pub db: String,
    /// Where to listen.
    pub listen: SocketAddr,
    /// Largest request body (uploads included).
    pub max_upload_bytes: usize,
    /// Largest image, in pixels, decoded from an upload.
    pub max_pixels: u64,
    /// Time allowed for one request.
    pub request_timeout: Duration,
    /// Requests per second allowed per key (0: no limit).
    pub rate_limit: u32,
    /// How often the index polls the store for changes.
    pub follow_interval: Duration,
    /// How long match records and audit entries are kept.
    pub retention: Duration,
    /// How often the retention purge runs.
    pub purge_interval: Duration,
    /// Matches of one entry within `flood_window` that flag it (0: off).
    pub flood_limit: u64,
    /// The flood window.
    pub flood_window: Duration,
    /// Disable a flagged entry's content until a curator looks.
    pub flood_quarantine: bool,
    /// Attempts per webhook delivery before it goes to the dead letters.
    pub webhook_attempts: u32,
    /// The first retry's delay; each retry doubles it.
    pub webhook_backoff: Duration,
    /// Hosts `?url=` may fetch from (empty: fetching is off).
    pub fetch_allow: Vec<String>,
    /// Default PDQ match threshold.
    pub threshold: u32,
    /// The key feeds are signed with (none: this instance publishes none).
    pub feed_key: Option<Arc<hashwatch_feed::FeedKey>>,
    /// How often subscriptions to other instances' feeds are pulled.
    pub feed_interval: Duration,
    /// An illegal verdict needs a supervisor's second assessment before
    /// the URL is listed.
    pub four_eyes: bool,
    /// Public reports and appeals a minute per client address (0: no limit).
    pub report_rate: u32,
    /// How often a notice is sent again while the URL is still up.
    pub notice_interval: Duration,
    /// How often open takedowns are re-checked.
    pub recheck_interval: Duration,
    /// After how long a takedown is given up (the URL stays listed).
    pub takedown_expiry: Duration,
    /// Hosting providers by address range and ASN.
    pub providers: Option<Arc<hashwatch_hotline::Registry>>,
    /// Names resolved from a hosts file instead of the system's resolver.
    pub hosts: Option<Arc<hashwatch_hotline::StaticHosts>>,
    /// Who notices come from.
    pub hotline_name: String,
}

/// The shortest retention allowed.
pub const MIN_RETENTION: Duration = Duration::from_secs(90 * 24 * 3600);

impl Default for Config {
    fn default() -> Config {
        Config {
            db: "hashwatch.db".into(),
            listen: SocketAddr::from(([127, 0, 0, 1], 5000)),
            max_upload_bytes: 32 << 20,
            max_pixels: 100_000_000,
            request_timeout: Duration::from_secs(30),
            rate_limit: 2000,
            follow_interval: Duration::from_millis(200),
            retention: Duration::from_secs(365 * 24 * 3600),
            purge_interval: Duration::from_secs(3600),
            flood_limit: 1000,
            flood_window: Duration::from_secs(3600),
            flood_quarantine: false,
            webhook_attempts: 8,
            webhook_backoff: Duration::from_secs(2),
            fetch_allow: Vec::new(),
            threshold: hashwatch_matcher::DEFAULT_THRESHOLD,
            feed_key: None,
            feed_interval: Duration::from_secs(60),
            four_eyes: true,
            report_rate: 10,
            notice_interval: Duration::from_secs(24 * 3600),
            recheck_interval: Duration::from_secs(3600),
            takedown_expiry: Duration::from_secs(90 * 24 * 3600),
            providers: None,
            hosts: None,
            hotline_name: "hashwatch hotline".into(),
        }
    }
}

/// Something that happened on a lookup, for the action worker.
#[derive(Debug)]
pub enum Event {
    /// A lookup matched.
    Matched {
        /// Who looked up.
        caller: ApiKey,
        /// The query's signal as hex.
        query: String,
        /// What matched.
        hits: Vec<Hit>,
    },
}

/// The audit row of a caller's change, to write in the change's own
/// transaction.
pub fn audit_row(
    caller: &ApiKey,
    action: &str,
    bank: Option<&str>,
    target: Option<String>,
    detail: serde_json::Value,
) -> NewAudit {
    NewAudit {
        tenant: caller.tenant.clone(),
        key_id: Some(caller.id),
        actor: caller.name.clone(),
        action: action.to_string(),
        bank: bank.map(str::to_string),
        target,
        detail: Some(detail.to_string()),
    }
}

/// The audit row of a change the service made on its own (the hotline's
/// intake and takedown worker), to write in the change's transaction.
pub fn system_audit(action: &str, target: String, detail: serde_json::Value) -> NewAudit {
    NewAudit {
        tenant: DEFAULT_TENANT.into(),
        key_id: None,
        actor: "hotline".into(),
        action: action.into(),
        bank: None,
        target: Some(target),
        detail: Some(detail.to_string()),
    }
}

/// A bank's settings read inside a write, for changing them there: the
/// bank must still be the caller's tenant's (ownership was checked before
/// the write; this catches a change of owner in between).
pub fn owned_settings_in(
    records: &Records<'_>,
    caller: &ApiKey,
    name: &str,
) -> Result<BankSettings, hashwatch_store::Error> {
    let settings = records.settings_of(name)?;
    if settings.tenant != caller.tenant {
        return Err(hashwatch_store::Error::conflict(format!(
            "bank {name:?} changed owner meanwhile"
        )));
    }
    Ok(settings)
}

/// Shared state.
#[derive(Clone)]
pub struct AppState(pub Arc<Inner>);

/// Behind [`AppState`].
pub struct Inner {
    /// The store.
    pub store: Arc<dyn Store + Send + Sync>,
    /// Settings.
    pub config: Config,
    /// The resident index and what lookups are matched under.
    pub view: LiveView,
    /// Keys by secret hash, with when they were read.
    pub keys: Mutex<HashMap<String, (Option<ApiKey>, Instant)>>,
    /// Per-key token buckets: (tokens, last refill).
    pub buckets: Mutex<HashMap<i64, (f64, Instant)>>,
    /// Metrics.
    pub metrics: Metrics,
    /// To the action worker.
    pub events: mpsc::Sender<Event>,
    /// Outgoing HTTP (webhooks).
    pub http: reqwest::Client,
    /// The guarded fetcher for `?url=`.
    pub fetcher: reqwest::Client,
    /// The same guards, resolving through `resolver`: hotline re-checks.
    pub checker: reqwest::Client,
    /// Name resolution for hotline attribution and re-checks.
    pub resolver: Arc<dyn hashwatch_hotline::Resolver>,
    /// Per-address token buckets for public hotline routes.
    pub report_buckets: Mutex<HashMap<std::net::IpAddr, (f64, Instant)>>,
    /// Set when the service stops: work on blocking threads (feed pulls)
    /// ends at its next step.
    pub stopping: Arc<std::sync::atomic::AtomicBool>,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    /// The service's records.
    pub fn records(&self) -> Records<'_> {
        records(self.store.as_ref())
    }

    /// Runs blocking store work off the async threads.
    pub async fn db<T: Send + 'static>(
        &self,
        work: impl FnOnce(&AppState) -> ApiResult<T> + Send + 'static,
    ) -> ApiResult<T> {
        let state = self.clone();
        tokio::task::spawn_blocking(move || work(&state)).await?
    }

    /// A read view.
    pub fn view(&self) -> RwLockReadGuard<'_, View> {
        self.view.read()
    }

    /// Loads the index and settings from the store (blocking).
    pub fn load(&self) -> Result<(), hashwatch_store::Error> {
        let started = Instant::now();
        let loaded = self.view.load(self.store.as_ref())?;
        tracing::info!(
            entries = loaded.entries,
            banks = loaded.banks,
            seconds = started.elapsed().as_secs_f64(),
            "index loaded"
        );
        Ok(())
    }

    /// Applies changes committed since the last sync, through any node
    /// (blocking); returns how many were applied.
    pub fn follow(&self) -> Result<usize, hashwatch_store::Error> {
        self.view.follow(self.store.as_ref())
    }

    /// Matches a query for a caller (see [`View::lookup`]).
    pub fn lookup(
        &self,
        caller: &ApiKey,
        query: &Query,
        filter: &BankFilter,
    ) -> ApiResult<Vec<Hit>> {
        self.view()
            .lookup(&caller.tenant, query, filter, self.config.threshold)
            .map_err(|NotLoaded| {
                ApiError::new(
                    axum::http::StatusCode::SERVICE_UNAVAILABLE,
                    "index_not_loaded",
                    "the index is still loading; try again shortly",
                )
            })
    }

    /// A bank's settings if the caller's tenant may see it.
    pub fn visible_bank(&self, caller: &ApiKey, name: &str) -> ApiResult<BankSettings> {
        // Read from the store, not the view: a bank made a moment ago on
        // another node is visible before this node follows.
        match self.records().settings_of(name) {
            Ok(s) if s.visible_to(&caller.tenant) => Ok(s),
            Ok(_) => Err(ApiError::no_bank(name)),
            Err(e) => Err(e.into()),
        }
    }

    /// A bank's settings if the caller's tenant owns it (shared banks are
    /// read-only to other tenants).
    pub fn owned_bank(&self, caller: &ApiKey, name: &str) -> ApiResult<BankSettings> {
        let settings = self.visible_bank(caller, name)?;
        if settings.tenant != caller.tenant {
            return Err(ApiError::new(
                axum::http::StatusCode::FORBIDDEN,
                "read_only_bank",
                format!("bank {name:?} is shared with your tenant read-only"),
            ));
        }
        Ok(settings)
    }
}
