//! What every request shares: the store, the resident index with the
//! settings it is matched under, and the service's configuration.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard};
use std::time::{Duration, Instant};

use hashwatch_matcher::{MatchOptions, Matcher, Outcome, Query};
use hashwatch_store::{
    records, unix_now, ApiKey, BankKind, BankSettings, ChangeKind, Content, NewAudit, Records,
    Store,
};
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

/// What the matcher node holds in memory.
#[derive(Default)]
pub struct View {
    /// The index; `None` until the first load finishes.
    pub matcher: Option<Matcher>,
    /// Bank settings by bank name.
    pub settings: HashMap<String, BankSettings>,
    /// Content id → `disable_until`, for content not plainly enabled.
    pub disabled: HashMap<u64, i64>,
    /// Entry id → content id, for entries banked with another.
    pub links: HashMap<u64, u64>,
    /// Unix time of the last successful sync with the store.
    pub synced_at: i64,
}

impl View {
    /// The content an entry belongs to.
    pub fn content_of(&self, entry: u64) -> u64 {
        self.links.get(&entry).copied().unwrap_or(entry)
    }

    /// Whether a content item matches now.
    pub fn enabled(&self, content: u64, now: i64) -> bool {
        self.disabled
            .get(&content)
            .is_none_or(|until| Content::enabled_at(*until, now))
    }

    /// The banks a tenant sees, by name.
    pub fn visible(&self, tenant: &str) -> Vec<String> {
        let mut names: Vec<String> = self
            .settings
            .iter()
            .filter(|(_, s)| s.visible_to(tenant))
            .map(|(n, _)| n.clone())
            .collect();
        names.sort();
        names
    }
}

/// A match found for a caller, with HMA's content id.
#[derive(Debug, Clone)]
pub struct Hit {
    /// The bank.
    pub bank: String,
    /// HMA's `bank_content_id`.
    pub content_id: u64,
    /// The entry.
    pub entry_id: u64,
    /// The signal type matched.
    pub signal_type: hashwatch_store::SignalType,
    /// Distance (0 for exact).
    pub distance: u32,
}

/// Which banks take part in a lookup.
#[derive(Debug, Clone, Default)]
pub struct BankFilter {
    /// Only these banks (`?banks=A,B`).
    pub only: Option<Vec<String>>,
    /// HMA's coinflip: banks with a lower `matching_enabled_ratio` sit the
    /// lookup out. `None` ignores ratios (raw lookups).
    pub coinflip: Option<f64>,
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

/// Shared state.
#[derive(Clone)]
pub struct AppState(pub Arc<Inner>);

/// Behind [`AppState`].
pub struct Inner {
    /// The store.
    pub store: Arc<dyn Store + Send + Sync>,
    /// Settings.
    pub config: Config,
    /// The resident index and settings.
    pub view: RwLock<View>,
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
    /// Held while following the change log: the background follower and
    /// a request catching up after its own write take turns.
    pub following: Mutex<()>,
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
        self.view.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Writes audit entries for a caller, in a transaction of their own
    /// (for a change, write [`audit_row`] with the change instead).
    pub fn audit(
        &self,
        caller: &ApiKey,
        action: &str,
        bank: Option<&str>,
        target: Option<String>,
        detail: serde_json::Value,
    ) -> ApiResult<()> {
        self.records()
            .audit(&[audit_row(caller, action, bank, target, detail)])?;
        Ok(())
    }

    /// Loads the index and settings from the store (blocking).
    pub fn load(&self) -> Result<(), hashwatch_store::Error> {
        let started = Instant::now();
        let matcher = Matcher::load(self.store.as_ref(), &[], &mut |_| {})?;
        let settings = self.records().bank_settings()?;
        let content = self.records().content_state()?;
        let mut view = self.view.write().unwrap_or_else(|p| p.into_inner());
        view.settings = settings;
        view.disabled = content.disabled.into_iter().collect();
        view.links = content.links.into_iter().collect();
        view.matcher = Some(matcher);
        view.synced_at = unix_now();
        let sizes = view.matcher.as_ref().map(|m| m.sizes()).unwrap_or_default();
        tracing::info!(
            entries = sizes.values().sum::<usize>(),
            banks = view.settings.len(),
            seconds = started.elapsed().as_secs_f64(),
            "index loaded"
        );
        Ok(())
    }

    /// Applies changes committed since the last sync, through any node
    /// (blocking). The store is read under the shared lock, so lookups go on
    /// meanwhile; only applying the changes in memory takes the exclusive
    /// lock. Returns how many changes were applied.
    pub fn follow(&self) -> Result<usize, hashwatch_store::Error> {
        let _turn = self.following.lock().unwrap_or_else(|p| p.into_inner());
        let mut applied = 0;
        loop {
            let pending = {
                let view = self.view();
                let Some(matcher) = view.matcher.as_ref() else {
                    return Ok(0);
                };
                if self.store.last_change()? <= matcher.cursor() {
                    drop(view);
                    self.view
                        .write()
                        .unwrap_or_else(|p| p.into_inner())
                        .synced_at = unix_now();
                    return Ok(applied);
                }
                matcher.read_changes(self.store.as_ref())?
            };
            let mut settings_changed = false;
            let mut contents = Vec::new();
            let mut note = |change: &hashwatch_store::Change| match &change.kind {
                ChangeKind::ContentUpdated { content } => contents.push(*content),
                ChangeKind::BankCreated(_)
                | ChangeKind::BankDeleted
                | ChangeKind::BankUpdated { .. } => settings_changed = true,
                _ => {}
            };
            // Settings and content state are read after the index changes
            // are in, outside the lock; until they are, a new bank is left
            // out of lookups (it has no settings yet), never misread.
            let mut count = 0;
            {
                let mut view = self.view.write().unwrap_or_else(|p| p.into_inner());
                if let Some(matcher) = view.matcher.as_mut() {
                    count = matcher.apply_changes(pending, &mut note);
                }
            }
            applied += count;
            let settings = if settings_changed {
                Some(self.records().bank_settings()?)
            } else {
                None
            };
            let mut content_states = Vec::with_capacity(contents.len());
            for content in contents {
                content_states.push((content, self.records().content_links(content)?));
            }
            let mut view = self.view.write().unwrap_or_else(|p| p.into_inner());
            if let Some(settings) = settings {
                view.settings = settings;
            }
            for (content, (until, links)) in content_states {
                if until == 1 {
                    view.disabled.remove(&content);
                } else {
                    view.disabled.insert(content, until);
                }
                for entry in links {
                    view.links.insert(entry, content);
                }
            }
            view.synced_at = unix_now();
        }
    }

    /// Matches a query for a caller: only banks the caller's tenant sees,
    /// each at its own threshold, skipping disabled content.
    pub fn lookup(
        &self,
        caller: &ApiKey,
        query: &Query,
        filter: &BankFilter,
    ) -> ApiResult<Vec<Hit>> {
        let view = self.view();
        let Some(matcher) = view.matcher.as_ref() else {
            return Err(ApiError::new(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "index_not_loaded",
                "the index is still loading; try again shortly",
            ));
        };
        let options = MatchOptions {
            threshold: self.config.threshold,
            ..MatchOptions::default()
        };
        let outcome: Outcome = matcher.lookup_with(query, &options, &|bank| {
            let settings = view.settings.get(&bank.name)?;
            if !settings.visible_to(&caller.tenant) {
                return None;
            }
            if let Some(only) = &filter.only {
                if !only.iter().any(|n| n == &bank.name) {
                    return None;
                }
            }
            if let Some(coinflip) = filter.coinflip {
                // A negative bank always takes part: a known false positive
                // stays known whatever the draw.
                if bank.kind == BankKind::Positive && settings.enabled_ratio < coinflip {
                    return None;
                }
            }
            Some(settings.threshold.unwrap_or(self.config.threshold))
        });
        let now = unix_now();
        let hits = outcome
            .matches
            .into_iter()
            .map(|m| Hit {
                content_id: view.content_of(m.entry_id),
                bank: m.bank,
                entry_id: m.entry_id,
                signal_type: m.signal_type,
                distance: m.distance,
            })
            .filter(|h| view.enabled(h.content_id, now))
            .collect();
        Ok(hits)
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
