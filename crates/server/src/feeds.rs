//! Feeds over HTTP: serving a bank's signed pages and taking opinions
//! back. Pulling other instances' feeds is hashwatch-feed's puller, run by
//! the [`crate::tasks::subscriptions`] worker.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use hashwatch_feed::pull::PullSchedule;
use hashwatch_feed::pull::{DEFAULT_PAGE, MAX_PAGE};
use hashwatch_feed::sign_page;
use hashwatch_model::{unix_now, OpinionKind, Subscription};
use hashwatch_operations::feeds::NewOpinion;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::request::json_body;
use crate::signals;
use crate::state::AppState;

/// `?since=&limit=`.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    since: Option<u64>,
    limit: Option<usize>,
}

/// The key this instance signs feeds with, if it publishes any.
fn feed_key(state: &AppState) -> ApiResult<&std::sync::Arc<hashwatch_feed::FeedKey>> {
    state.config.feed_key.as_ref().ok_or_else(|| {
        ApiError::not_found(
            "no_feed_key",
            "this instance publishes no feeds: start it with --feed-key",
        )
    })
}

/// `GET /feeds/<bank>?since=N&limit=L`: the signed page of events after N.
#[utoipa::path(
    get,
    path = "/feeds/{bank}",
    tag = "feeds",
    params(("bank" = String, Path, description = "the bank's name"), PageQuery),
    responses((status = 200, description = "a signed feed page: {\"page\": {format, feed, from, to, head, events}, \"key\", \"signature\"}", body = Object), (status = "default", description = "an error", body = crate::openapi::ErrorBody))
)]
pub async fn page(
    State(state): State<AppState>,
    caller: Caller,
    Path(bank): Path<String>,
    Query(query): Query<PageQuery>,
) -> ApiResult<Response> {
    let key = feed_key(&state)?.clone();
    let since = query.since.unwrap_or(0);
    let limit = query.limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE);
    let caller = caller.op();
    let (info, events) = state
        .op(move |ops| Ok(ops.feed_page(&caller, &bank, since, limit)?))
        .await?;
    let body = sign_page(&info, since, &events, &key, unix_now());
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// `GET /feeds/key`: the public key subscribers pin (check it out of band).
#[utoipa::path(
    get,
    path = "/feeds/key",
    tag = "feeds",
    responses((status = 200, description = "success", body = FeedPublicKey), (status = "default", description = "an error", body = crate::openapi::ErrorBody))
)]
pub async fn public_key(
    State(state): State<AppState>,
    _caller: Caller,
) -> ApiResult<Json<FeedPublicKey>> {
    Ok(Json(FeedPublicKey {
        public_key: feed_key(&state)?.public_key().to_string(),
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct OpinionBody {
    signal_type: String,
    value: String,
    opinion: String,
    note: Option<String>,
}

/// `POST /feeds/<bank>/opinions`: a subscriber says an entry is a false
/// (or true) positive; the publisher sees it in `GET` and the audit log.
#[utoipa::path(
    post,
    path = "/feeds/{bank}/opinions",
    tag = "feeds",
    params(("bank" = String, Path, description = "the bank's name")),
    request_body = OpinionBody,
    responses((status = 201, description = "success", body = OpinionTaken), (status = "default", description = "an error", body = crate::openapi::ErrorBody))
)]
pub async fn add_opinion(
    State(state): State<AppState>,
    caller: Caller,
    Path(bank): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<OpinionTaken>)> {
    let body: OpinionBody = json_body(&headers, &body, StatusCode::UNSUPPORTED_MEDIA_TYPE)?;
    let Some(opinion) = OpinionKind::parse(&body.opinion) else {
        return Err(ApiError::bad_request(
            "invalid_opinion",
            "opinion must be false_positive or true_positive",
        ));
    };
    let signal = signals::parse(&body.signal_type, &body.value)?;
    let new = NewOpinion {
        bank,
        signal_type: signal.signal_type,
        value: signal.value,
        opinion,
        note: body.note,
    };
    let caller = caller.op();
    let id = state
        .op(move |ops| Ok(ops.add_opinion(&caller, &new)?))
        .await?;
    Ok((StatusCode::CREATED, Json(OpinionTaken { id })))
}

/// `GET /feeds/<bank>/opinions`: what subscribers said, for the bank's
/// curators.
#[utoipa::path(
    get,
    path = "/feeds/{bank}/opinions",
    tag = "feeds",
    params(("bank" = String, Path, description = "the bank's name")),
    responses((status = 200, description = "success", body = Opinions), (status = "default", description = "an error", body = crate::openapi::ErrorBody))
)]
pub async fn opinions(
    State(state): State<AppState>,
    caller: Caller,
    Path(bank): Path<String>,
) -> ApiResult<Json<Opinions>> {
    let caller = caller.op();
    let list = state
        .op(move |ops| Ok(ops.opinions(&caller, &bank)?))
        .await?;
    Ok(Json(Opinions {
        opinions: list
            .into_iter()
            .map(|o| OpinionView {
                id: o.id,
                at: o.at,
                bank: o.bank,
                tenant: o.tenant,
                actor: o.actor,
                signal_type: o.signal_type,
                value: o.value,
                opinion: o.opinion,
                note: o.note,
            })
            .collect(),
    }))
}

/// The public key feeds are signed with.
#[derive(Serialize, ToSchema)]
pub struct FeedPublicKey {
    /// Ed25519, 64 hex digits.
    public_key: String,
}

/// An opinion recorded.
#[derive(Serialize, ToSchema)]
pub struct OpinionTaken {
    id: i64,
}

/// What subscribers said about a bank's entries, oldest first.
#[derive(Serialize, ToSchema)]
pub struct Opinions {
    opinions: Vec<OpinionView>,
}

/// A subscriber's opinion about an entry.
#[derive(Serialize, ToSchema)]
pub struct OpinionView {
    id: i64,
    at: i64,
    bank: String,
    tenant: String,
    actor: String,
    signal_type: String,
    value: String,
    /// `false_positive` or `true_positive`.
    opinion: String,
    note: Option<String>,
}

/// This instance's subscriptions.
#[derive(Serialize, ToSchema)]
pub struct Subscriptions {
    subscriptions: Vec<SubscriptionView>,
}

/// A subscription and where it stands (never its API key).
#[derive(Serialize, ToSchema)]
pub struct SubscriptionView {
    /// The publisher's feed.
    pub url: String,
    /// The bank (or, for a hotline feed, the tenant) it fills.
    pub bank: String,
    /// The publisher's key, which every page must be signed with.
    pub public_key: String,
    /// The feed's id, once a page named it.
    pub feed: Option<String>,
    /// The last page applied.
    pub checkpoint: u64,
    /// When the last pull succeeded.
    pub synced_at: Option<i64>,
    /// Why the last pull failed.
    pub last_error: Option<String>,
    /// `bank` or `hotline`.
    pub kind: String,
    /// When the newest verified page was made (publisher's clock).
    pub fresh_at: Option<i64>,
    /// No page newer than the service's `--feed-max-lag`.
    pub stale: bool,
}

impl SubscriptionView {
    /// The view of `s` at `now` under the service's pull schedule.
    pub fn new(s: Subscription, now: i64, schedule: &PullSchedule) -> SubscriptionView {
        let stale = schedule.stale(&s, now);
        SubscriptionView {
            fresh_at: s.fresh_at,
            stale,
            url: s.url,
            bank: s.bank,
            public_key: s.public_key,
            feed: s.feed_id,
            checkpoint: s.checkpoint,
            synced_at: s.synced_at,
            last_error: s.last_error,
            kind: s.kind.to_string(),
        }
    }
}

/// `GET /feeds/subscriptions`: this instance's subscriptions and where
/// each one stands.
#[utoipa::path(
    get,
    path = "/feeds/subscriptions",
    tag = "feeds",
    responses((status = 200, description = "success", body = Subscriptions), (status = "default", description = "an error", body = crate::openapi::ErrorBody))
)]
pub async fn subscriptions(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Subscriptions>> {
    let caller = caller.op();
    let list = state.op(move |ops| Ok(ops.subscriptions(&caller)?)).await?;
    Ok(Json(Subscriptions {
        subscriptions: list
            .into_iter()
            .map(|s| SubscriptionView::new(s, unix_now(), &state.config.feeds))
            .collect(),
    }))
}
