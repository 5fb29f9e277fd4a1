//! What every request shares: the operations, the resident index with the
//! settings it is matched under, and the service's configuration.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, RwLockReadGuard};
use std::time::{Duration, Instant};

use hashwatch_access::limits::{Buckets, IpNet};
use hashwatch_access::secrets::SecretsKey;
use hashwatch_access::BankAction;
pub use hashwatch_matcher::live::{BankFilter, Hit, View};
use hashwatch_matcher::live::{LiveView, NotLoaded};
use hashwatch_matcher::Query;
use hashwatch_media::Cancel;
use hashwatch_model::{ApiKey, BankSettings};
use tokio::sync::mpsc;

use crate::auth::Caller;
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
    /// Largest image (in pixels) and longest, largest video decoded from
    /// an upload (a video's decode also stops when its request times out).
    pub hash_limits: crate::signals::HashLimits,
    /// Time allowed for one request.
    pub request_timeout: Duration,
    /// Requests per second allowed per key (0: no limit).
    pub rate_limit: u32,
    /// How often the index polls the store for changes.
    pub follow_interval: Duration,
    /// How long match records and audit entries are kept, and how often
    /// the purge runs.
    pub retention: hashwatch_operations::workers::RetentionPolicy,
    /// When one entry matching too often is a flood, and whether its
    /// content is quarantined.
    pub flood: hashwatch_operations::workers::FloodPolicy,
    /// How often a failed webhook delivery is tried again.
    pub webhooks: hashwatch_outbound::webhook::RetryPolicy,
    /// Hosts `?url=` may fetch from (empty: fetching is off).
    pub fetch_allow: Vec<String>,
    /// Default PDQ match threshold.
    pub threshold: u32,
    /// The key feeds are signed with (none: this instance publishes none).
    pub feed_key: Option<Arc<hashwatch_feed::FeedKey>>,
    /// How often subscriptions to other instances' feeds are pulled, and
    /// when one is stale.
    pub feeds: hashwatch_feed::pull::PullSchedule,
    /// The key stored secrets are sealed with; without one, the server
    /// refuses to store a secret.
    pub secrets_key: Option<Arc<SecretsKey>>,
    /// An illegal verdict needs a supervisor's second assessment before
    /// the URL is listed.
    pub four_eyes: bool,
    /// Public reports and appeals: a minute per client address, and at
    /// once.
    pub public: crate::public::PublicLimits,
    /// Failed authentications a minute per client address, after a burst
    /// of 20 (0: no limit, for fuzzing a server of one's own).
    pub auth_failure_rate: u32,
    /// When open takedowns are re-checked, when notices go again while
    /// the URL is still up, when a removal counts, and when a takedown is
    /// given up (the URL stays listed).
    pub takedown: hashwatch_hotline::takedown::Schedule,
    /// Hosting providers by address range and ASN.
    pub providers: Option<Arc<hashwatch_hotline::Registry>>,
    /// Names resolved from a hosts file instead of the system's resolver.
    pub hosts: Option<Arc<hashwatch_outbound::StaticHosts>>,
    /// Who notices come from.
    pub hotline_name: String,
    /// Who may do what (the hotline's tenant).
    pub access: hashwatch_access::Policy,
    /// Proxies whose `X-Forwarded-For` names the client (empty: the
    /// connection's address is the client).
    pub trusted_proxies: Vec<IpNet>,
    /// Address ranges outbound requests may reach although they are
    /// internal (loopback, private, …): for closed networks and tests.
    pub outbound_allow: Vec<IpNet>,
    /// How long a web interface session lasts, and when the interface
    /// suggests a break to someone looking at previews.
    pub sessions: hashwatch_operations::sessions::SessionPolicy,
    /// The operator's token for `/metrics` of the whole instance (every
    /// tenant's figures and the process's); `None`: tenants' admins see
    /// their own figures only, and nobody the instance's.
    pub metrics_token: Option<String>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            db: "hashwatch.db".into(),
            listen: SocketAddr::from(([127, 0, 0, 1], 5000)),
            max_upload_bytes: 32 << 20,
            hash_limits: crate::signals::HashLimits {
                max_pixels: 100_000_000,
                video: hashwatch_video::Limits::default(),
                memory: crate::signals::DEFAULT_DECODE_MEMORY,
            },
            request_timeout: Duration::from_secs(30),
            rate_limit: 2000,
            follow_interval: Duration::from_millis(200),
            retention: hashwatch_operations::workers::RetentionPolicy {
                keep: Duration::from_secs(365 * 24 * 3600),
                every: Duration::from_secs(3600),
            },
            flood: hashwatch_operations::workers::FloodPolicy {
                limit: 1000,
                window_seconds: 3600,
                quarantine: false,
            },
            webhooks: hashwatch_outbound::webhook::RetryPolicy {
                attempts: 8,
                backoff: Duration::from_secs(2),
            },
            fetch_allow: Vec::new(),
            threshold: hashwatch_matcher::DEFAULT_THRESHOLD,
            feed_key: None,
            feeds: hashwatch_feed::pull::PullSchedule {
                every: Duration::from_secs(60),
                max_lag: Duration::from_secs(24 * 3600),
            },
            secrets_key: None,
            four_eyes: true,
            public: crate::public::PublicLimits {
                reports_per_minute: 10,
                concurrency: 32,
                per_address: 4,
                body_timeout: Duration::from_secs(5),
            },
            auth_failure_rate: 30,
            takedown: hashwatch_hotline::takedown::Schedule {
                notice_interval: Duration::from_secs(24 * 3600),
                expiry: Duration::from_secs(90 * 24 * 3600),
                recheck_interval: Duration::from_secs(3600),
                confirm_removal_after: Duration::from_secs(3600),
            },
            providers: None,
            hosts: None,
            hotline_name: "hashwatch hotline".into(),
            access: hashwatch_access::Policy::default(),
            trusted_proxies: Vec::new(),
            outbound_allow: Vec::new(),
            sessions: hashwatch_operations::sessions::SessionPolicy {
                lifetime: Duration::from_secs(8 * 3600),
                break_after: 25,
            },
            metrics_token: None,
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

/// Shared state.
#[derive(Clone)]
pub struct AppState(pub Arc<Inner>);

/// Behind [`AppState`].
pub struct Inner {
    /// The use cases, over the same store and permission model.
    pub ops: hashwatch_operations::Operations,
    /// Settings.
    pub config: Config,
    /// The resident index and what lookups are matched under.
    pub view: LiveView,
    /// Keys by secret hash, with when they were read.
    pub keys: Mutex<HashMap<String, (Option<ApiKey>, Instant)>>,
    /// Per-key token buckets.
    pub buckets: Mutex<Buckets<i64>>,
    /// Metrics.
    pub metrics: Metrics,
    /// To the action worker.
    pub events: mpsc::Sender<Event>,
    /// Outgoing HTTP (webhooks, provider notices).
    pub http: hashwatch_outbound::Client,
    /// The guarded fetcher for `?url=`.
    pub fetcher: hashwatch_outbound::Client,
    /// The same guards, resolving through `resolver`: hotline re-checks.
    pub checker: hashwatch_outbound::Client,
    /// Which addresses outbound requests may reach (feed pulls too).
    pub guard: Arc<hashwatch_outbound::Guard>,
    /// Name resolution for hotline attribution and re-checks.
    pub resolver: Arc<dyn hashwatch_outbound::Resolver>,
    /// Per-client token buckets for public hotline routes.
    pub report_buckets: Mutex<Buckets<std::net::IpAddr>>,
    /// Per-client token buckets for failed authentications.
    pub auth_failures: Mutex<Buckets<std::net::IpAddr>>,
    /// Public requests being answered at once.
    pub public_permits: Arc<tokio::sync::Semaphore>,
    /// Public requests under way per client address.
    pub public_in_flight: Mutex<HashMap<std::net::IpAddr, usize>>,
    /// Uploads being decoded at once: one per core.
    pub decodes: Arc<tokio::sync::Semaphore>,
    /// The memory decodes hold, photos and video frames alike.
    pub decode_memory: hashwatch_media::MemoryBudget,
    /// Who may do what: `config.access`, shared with every [`crate::auth::Caller`].
    pub policy: Arc<hashwatch_access::Policy>,
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

/// Cancels a decode when the request waiting for it is dropped.
struct CancelOnDrop(Cancel);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

impl AppState {
    /// Runs an operation off the async threads.
    pub async fn op<T: Send + 'static>(
        &self,
        work: impl FnOnce(&hashwatch_operations::Operations) -> ApiResult<T> + Send + 'static,
    ) -> ApiResult<T> {
        let ops = self.ops.clone();
        tokio::task::spawn_blocking(move || work(&ops)).await?
    }

    /// Hashes an upload off the async threads, one per core at a time.
    /// Work waits for its turn here; a request that times out while
    /// waiting is dropped with its turn, and never decodes.
    /// The work charges what its decode will hold against the memory
    /// budget (`config.hash_limits.memory`) once the header says.
    pub async fn decode<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Cancel, &hashwatch_media::MemoryBudget) -> ApiResult<T> + Send + 'static,
    ) -> ApiResult<T> {
        let turn = self.decodes.clone().acquire_owned().await.map_err(|_| {
            ApiError::internal("the decode queue is closed: the service is stopping")
        })?;
        // A request that times out (or whose client goes away) drops this
        // future; the guard then stops the decode, which would otherwise
        // hold its turn to the end.
        let guard = CancelOnDrop(Cancel::new());
        let (cancel, state) = (guard.0.clone(), self.clone());
        tokio::task::spawn_blocking(move || {
            let _turn = turn;
            let answer = work(&cancel, &state.decode_memory);
            if cancel.is_cancelled() {
                state.metrics.decode_cancelled();
            }
            answer
        })
        .await?
    }

    /// A read view.
    pub fn view(&self) -> RwLockReadGuard<'_, View> {
        self.view.read()
    }

    /// Loads the index and settings from the store (blocking).
    pub fn load(&self) -> hashwatch_operations::OpResult<()> {
        let started = Instant::now();
        let loaded = self.ops.load_index(&self.view)?;
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
    pub fn follow(&self) -> hashwatch_operations::OpResult<usize> {
        self.ops.follow_index(&self.view)
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

    /// The stored name and settings of the bank the caller calls `given`,
    /// when the caller may do `action` on it.
    pub fn bank_for(
        &self,
        caller: &Caller,
        action: BankAction,
        given: &str,
    ) -> ApiResult<(String, BankSettings)> {
        Ok(self.ops.bank_for(&caller.op(), action, given)?)
    }

    /// The settings of the bank stored as `name` (a name read from a
    /// record, not given by the caller), when the caller may do `action`
    /// on it.
    pub fn stored_bank_for(
        &self,
        caller: &Caller,
        action: BankAction,
        name: &str,
    ) -> ApiResult<BankSettings> {
        Ok(self.ops.stored_bank_for(&caller.op(), action, name)?)
    }
}
