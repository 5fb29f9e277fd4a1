//! The hashwatch HTTP service.
//!
//! `serve` opens the store (SQLite or PostgreSQL, migrating it), answers
//! HTTP at once, loads the index in the background (`/status` is 503 until
//! it is in) and then follows the store's change log, so a signal added,
//! disabled or revoked through any node matches (or stops matching) here
//! within `follow_interval`. Routes:
//!
//! - [`hma`]: Meta's HMA 2.0 API, same shapes and status codes, correct
//!   where HMA errs;
//! - hashwatch's own: [`lists`] (bulk upload, list import and export),
//!   [`settings`] (bank settings and sharing), [`records`] (audit log and
//!   match records), [`holds`], [`reviews`], [`dead_letters`], [`metrics`],
//!   [`feeds`], [`hotline`] and [`blocklist`].
//!
//! Every route but `/status/live` needs an API key ([`auth`]); a key sees
//! only its tenant's banks and those shared with it. Matches go to the
//! action worker ([`tasks`]), which records them, audits them and runs the
//! bank's actions. Background workers ([`tasks`], [`takedowns`]) call the
//! domain crates; every request to another machine goes through
//! hashwatch-outbound.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod auth;
pub mod blocklist;
pub mod dead_letters;
pub mod error;
pub mod feeds;
pub mod fetch;
pub mod hma;
pub mod holds;
pub mod hotline;
pub mod lists;
pub mod metrics;
pub mod openapi;
pub mod public;
pub mod records;
pub mod request;
pub mod reviews;
pub mod secrets;
pub mod series;
pub mod settings;
pub mod signals;
pub mod state;
pub mod takedowns;
pub mod tasks;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::{Json, Router};
use tokio::sync::mpsc;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use hashwatch_access::limits::Buckets;
use utoipa_axum::router::UtoipaMethodRouterExt;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::Inner;
pub use crate::state::{AppState, Config};

/// Any error that stops the service.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Every route with its description: each handler is registered with
/// its `#[utoipa::path]` annotation, from which [`openapi::document`] is
/// generated.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(hma::live))
        .routes(routes!(hma::status))
        .routes(routes!(hma::list_banks, hma::create_bank))
        .routes(routes!(hma::get_bank, hma::update_bank, hma::delete_bank))
        .routes(routes!(hma::add_signal))
        .routes(routes!(lists::bulk_add))
        .routes(routes!(lists::import_list))
        .routes(routes!(lists::export_list))
        .routes(routes!(hma::add_upload))
        .routes(routes!(
            hma::get_content,
            hma::update_content,
            hma::delete_content
        ))
        .routes(routes!(settings::get_settings, settings::put_settings))
        .routes(routes!(series::get_series))
        .routes(routes!(hma::signal_types))
        .routes(routes!(hma::signal_type_index))
        .routes(routes!(hma::content_types))
        .routes(routes!(hma::lookup, hma::lookup_upload))
        .routes(routes!(hma::raw_lookup))
        .routes(routes!(hma::compare))
        .routes(routes!(hma::index_status))
        .routes(routes!(hma::hash_url, hma::hash_upload))
        .routes(routes!(records::audit))
        .routes(routes!(records::matches))
        .routes(routes!(holds::list_holds, holds::place_hold))
        .routes(routes!(holds::release_hold))
        .routes(routes!(reviews::list_reviews))
        .routes(routes!(reviews::decide_review))
        .routes(routes!(dead_letters::dead_letters))
        .routes(routes!(dead_letters::replay))
        .routes(routes!(feeds::public_key))
        .routes(routes!(feeds::subscriptions))
        .routes(routes!(feeds::page))
        .routes(routes!(feeds::opinions, feeds::add_opinion))
        .routes(routes!(hotline::report).layer(DefaultBodyLimit::max(public::MAX_PUBLIC_BYTES)))
        .routes(routes!(hotline::delete_contact))
        .routes(routes!(hotline::queue))
        .routes(routes!(hotline::case))
        .routes(routes!(hotline::assess))
        .routes(routes!(hotline::attach_hashes))
        .routes(routes!(hotline::hashes_to_bank))
        .routes(
            routes!(hotline::appeals, hotline::appeal)
                .layer(DefaultBodyLimit::max(public::MAX_PUBLIC_BYTES)),
        )
        .routes(routes!(hotline::decide_appeal))
        .routes(routes!(hotline::stats))
        .routes(routes!(hotline::shared_feed))
        .routes(routes!(blocklist::blocklist))
        .routes(routes!(blocklist::blocklist_delta))
        .routes(routes!(metrics::metrics))
        .routes(routes!(openapi_json))
        .routes(routes!(openapi_json_as_hma))
}

/// The service: [`routes`] and `pages` (the web interface, from
/// `hashwatch-web`, which is built over this crate) with the fallback,
/// limits and middleware.
pub fn router(state: AppState, pages: Router<AppState>) -> Router {
    let timeout = state.config.request_timeout;
    let limit = state.config.max_upload_bytes;
    let (routes, _) = routes().split_for_parts();
    routes
        .merge(pages)
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            read_your_writes,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), public::gate))
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .layer(DefaultBodyLimit::max(limit))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        .with_state(state)
}

/// `GET /openapi.json`: this document.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "status",
    responses((status = 200, description = "the OpenAPI 3.1 document", body = Object))
)]
async fn openapi_json(_caller: Caller) -> Json<&'static serde_json::Value> {
    Json(openapi::document())
}

/// `GET /openapi/openapi.json`: this document where HMA serves its own.
#[utoipa::path(
    get,
    path = "/openapi/openapi.json",
    tag = "status",
    responses((status = 200, description = "the OpenAPI 3.1 document", body = Object))
)]
async fn openapi_json_as_hma(_caller: Caller) -> Json<&'static serde_json::Value> {
    Json(openapi::document())
}

async fn not_found() -> ApiError {
    ApiError::not_found("no_route", "no such route; GET /openapi.json lists them")
}

/// Counts and times every request, and turns the body limit's bare 413
/// into a JSON error.
async fn observe(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    use axum::response::IntoResponse;
    let tenant = auth::RequestTenant::default();
    request.extensions_mut().insert(tenant.clone());
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let method = request.method().clone();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status();
    state.metrics.request(
        tenant.0.get().cloned(),
        &format!("{method} {route}"),
        status.as_u16(),
        started.elapsed(),
    );
    tracing::debug!(%method, %route, status = status.as_u16(), micros = started.elapsed().as_micros() as u64, "request");
    if status == axum::http::StatusCode::PAYLOAD_TOO_LARGE
        && response
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            != Some("application/json")
    {
        return ApiError::new(
            status,
            "too_large",
            format!(
                "the request is larger than this service's {}-byte limit",
                state.config.max_upload_bytes
            ),
        )
        .into_response();
    }
    response
}

/// A change this node answered is in its index before the answer leaves:
/// the caller's next lookup here sees it (other nodes follow within their
/// `follow_interval`).
async fn read_your_writes(State(state): State<AppState>, request: Request, next: Next) -> Response {
    // Lookups and hashing (`/m/…`, `/h/…`) change nothing, whatever their
    // method.
    let path = request.uri().path();
    let writes = !matches!(
        *request.method(),
        axum::http::Method::GET | axum::http::Method::HEAD | axum::http::Method::OPTIONS
    ) && !path.starts_with("/m/")
        && !path.starts_with("/h/");
    let response = next.run(request).await;
    if writes && response.status().is_success() {
        let follower = state.clone();
        match tokio::task::spawn_blocking(move || follower.follow()).await {
            Ok(Ok(_)) => {}
            // The write is committed; the background follower applies it.
            Ok(Err(e)) => tracing::warn!(error = %e, "cannot follow the store after a write"),
            Err(e) => tracing::error!(error = %e, "follow after a write panicked"),
        }
    }
    response
}

/// Builds the shared state over an open store, with the action queue's
/// receiver for [`tasks::act`].
pub fn state(
    store: Arc<dyn hashwatch_store::Store + Send + Sync>,
    config: Config,
) -> (AppState, mpsc::Receiver<state::Event>) {
    let (events, receiver) = mpsc::channel(tasks::EVENT_QUEUE);
    let guard = Arc::new(hashwatch_outbound::Guard::allowing(
        config.outbound_allow.clone(),
    ));
    let http = hashwatch_outbound::webhook_client(guard.clone());
    let fetcher = hashwatch_outbound::fetch_client(Duration::from_secs(10), None, guard.clone());
    let resolver: Arc<dyn hashwatch_outbound::Resolver> = match &config.hosts {
        Some(hosts) => hosts.clone(),
        None => Arc::new(hashwatch_outbound::SystemResolver),
    };
    // Re-checks resolve through the hotline's resolver, so a name that is
    // gone is told apart by type.
    let checker = hashwatch_outbound::fetch_client(
        Duration::from_secs(10),
        Some(resolver.clone()),
        guard.clone(),
    );
    let policy = Arc::new(config.access.clone());
    let public_concurrency = config.public.concurrency.max(1);
    let decode_memory = hashwatch_media::MemoryBudget::new(config.hash_limits.memory);
    let ops = hashwatch_operations::Operations::new(store, policy.clone());
    let inner = Inner {
        ops,
        config,
        view: hashwatch_matcher::live::LiveView::new(),
        keys: Mutex::new(HashMap::new()),
        buckets: Mutex::new(Buckets::new(BUCKETS)),
        metrics: metrics::Metrics::default(),
        events,
        http,
        fetcher,
        checker,
        guard,
        resolver,
        report_buckets: Mutex::new(Buckets::new(BUCKETS)),
        auth_failures: Mutex::new(Buckets::new(BUCKETS)),
        public_permits: Arc::new(tokio::sync::Semaphore::new(public_concurrency)),
        public_in_flight: Mutex::new(HashMap::new()),
        decodes: Arc::new(tokio::sync::Semaphore::new(
            std::thread::available_parallelism().map_or(2, |n| n.get()),
        )),
        decode_memory,
        policy,
        stopping: Arc::default(),
    };
    (AppState(Arc::new(inner)), receiver)
}

/// Clients tracked per limit; past that the least recently seen go.
const BUCKETS: usize = 100_000;

/// Runs the service, with `pages` beside the API (see [`router`]), until
/// SIGINT or SIGTERM, then finishes in-flight requests and recorded
/// matches. `ready` gets the bound address.
pub async fn serve(
    config: Config,
    pages: Router<AppState>,
    ready: impl FnOnce(SocketAddr),
) -> Result<(), BoxError> {
    serve_until(config, pages, ready, shutdown()).await
}

/// [`serve`] until `stop` completes instead of a signal.
pub async fn serve_until(
    config: Config,
    pages: Router<AppState>,
    ready: impl FnOnce(SocketAddr),
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), BoxError> {
    config.retention.check()?;
    let db = config.db.clone();
    let store = tokio::task::spawn_blocking(move || hashwatch_store::open(&db)).await??;
    let store: Arc<dyn hashwatch_store::Store + Send + Sync> = Arc::from(store);
    let sealing = {
        let (store, key) = (store.clone(), config.secrets_key.clone());
        tokio::task::spawn_blocking(move || secrets::seal_stored(store.as_ref(), key.as_deref()))
            .await??
    };
    if sealing.sealed > 0 {
        tracing::info!(sealed = sealing.sealed, "sealed the secrets stored before");
    }
    if sealing.unsealed > 0 {
        tracing::warn!(
            unsealed = sealing.unsealed,
            "secrets are stored unsealed; give --secrets-key-file to seal them"
        );
    }
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    let address = listener.local_addr()?;
    let (state, receiver) = state(store, config);
    let tasks = [
        tokio::spawn(tasks::follow(state.clone())),
        tokio::spawn(tasks::deliver(state.clone())),
        tokio::spawn(tasks::retain(state.clone())),
        tokio::spawn(tasks::subscriptions(state.clone())),
        tokio::spawn(takedowns::takedowns(state.clone())),
    ];
    let actions = tokio::spawn(tasks::act(state.clone(), receiver));
    tracing::info!(%address, "listening");
    ready(address);
    // Client addresses, for the per-address limit on public hotline routes.
    let app = router(state.clone(), pages).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(stop)
        .await?;
    // Requests are done; let the action worker record what they matched.
    let deadline = Instant::now() + Duration::from_secs(10);
    while (state.events.capacity() < tasks::EVENT_QUEUE
        || tasks::IN_FLIGHT.load(Ordering::SeqCst) > 0)
        && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    state.stopping.store(true, Ordering::SeqCst);
    for t in tasks.into_iter().chain([actions]) {
        t.abort();
        let _ = t.await;
    }
    // The PostgreSQL client blocks on its own runtime when it closes, which
    // must not happen on one of this runtime's threads.
    tokio::task::spawn_blocking(move || drop(state)).await?;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
    tracing::info!("shutting down: finishing in-flight requests");
}
