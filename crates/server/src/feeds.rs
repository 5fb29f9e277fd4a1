//! Feeds over HTTP: serving a bank's signed pages, taking opinions back,
//! and pulling other instances' feeds into local banks.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use hashwatch_feed::{sign_page, verify_page, PublicKey};
use hashwatch_store::{feeds, Role, Store, Subscription};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::request::json_body;
use crate::signals;
use crate::state::AppState;

/// Events per page unless the subscriber asks for fewer.
pub const DEFAULT_PAGE: usize = 5_000;
/// The most events a page holds.
pub const MAX_PAGE: usize = 20_000;
/// The largest page body a subscriber accepts.
const MAX_PAGE_BYTES: usize = 64 << 20;

/// `?since=&limit=`.
#[derive(Deserialize)]
pub struct PageQuery {
    since: Option<u64>,
    limit: Option<usize>,
}

/// `GET /feeds/<bank>?since=N&limit=L`: the signed page of events after N.
pub async fn page(
    State(state): State<AppState>,
    caller: Caller,
    Path(bank): Path<String>,
    Query(query): Query<PageQuery>,
) -> ApiResult<Response> {
    let Some(key) = state.config.feed_key.clone() else {
        return Err(ApiError::not_found(
            "no_feed_key",
            "this instance publishes no feeds: start it with --feed-key",
        ));
    };
    let since = query.since.unwrap_or(0);
    let limit = query.limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE);
    let body = state
        .db(move |s| {
            s.visible_bank(&caller.0, &bank)?;
            let (info, events) = feeds(s.store.as_ref()).events(&bank, since, limit)?;
            Ok(sign_page(&info, since, &events, &key))
        })
        .await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// `GET /feeds/key`: the public key subscribers pin (check it out of band).
pub async fn public_key(State(state): State<AppState>, _caller: Caller) -> ApiResult<Json<Value>> {
    match &state.config.feed_key {
        Some(key) => Ok(Json(json!({ "public_key": key.public_key().to_string() }))),
        None => Err(ApiError::not_found(
            "no_feed_key",
            "this instance publishes no feeds: start it with --feed-key",
        )),
    }
}

#[derive(Deserialize)]
struct OpinionBody {
    signal_type: String,
    value: String,
    opinion: String,
    note: Option<String>,
}

/// `POST /feeds/<bank>/opinions`: a subscriber says an entry is a false
/// (or true) positive; the publisher sees it in `GET` and the audit log.
pub async fn add_opinion(
    State(state): State<AppState>,
    caller: Caller,
    Path(bank): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let body: OpinionBody = json_body(&headers, &body, StatusCode::UNSUPPORTED_MEDIA_TYPE)?;
    if !matches!(body.opinion.as_str(), "false_positive" | "true_positive") {
        return Err(ApiError::bad_request(
            "invalid_opinion",
            "opinion must be false_positive or true_positive",
        ));
    }
    let signal = signals::parse(&body.signal_type, &body.value)?;
    let id = state
        .db(move |s| {
            s.visible_bank(&caller.0, &bank)?;
            let feeds = feeds(s.store.as_ref());
            if !feeds.knows(&bank, signal.signal_type, &signal.value)? {
                return Err(ApiError::not_found(
                    "no_such_entry",
                    format!("bank {bank:?} has no {} {}", body.signal_type, body.value),
                ));
            }
            let value = signal.signal_type.format_value(&signal.value);
            let id = feeds.add_opinion(
                &bank,
                &caller.0.tenant,
                Some(caller.0.id),
                &caller.0.name,
                signal.signal_type,
                &value,
                &body.opinion,
                body.note.as_deref(),
            )?;
            s.audit(
                &caller.0,
                "feed.opinion",
                Some(&bank),
                Some(format!("{}:{value}", signal.signal_type)),
                json!({ "opinion": body.opinion, "note": body.note }),
            )?;
            Ok(id)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))))
}

/// `GET /feeds/<bank>/opinions`: what subscribers said, for the bank's
/// curators.
pub async fn opinions(
    State(state): State<AppState>,
    caller: Caller,
    Path(bank): Path<String>,
) -> ApiResult<Json<Value>> {
    caller.require(Role::Curator)?;
    let list = state
        .db(move |s| {
            s.owned_bank(&caller.0, &bank)?;
            Ok(feeds(s.store.as_ref()).opinions(&bank)?)
        })
        .await?;
    let list: Vec<Value> = list
        .into_iter()
        .map(|o| {
            json!({
                "id": o.id, "at": o.at, "bank": o.bank, "tenant": o.tenant, "actor": o.actor,
                "signal_type": o.signal_type, "value": o.value, "opinion": o.opinion, "note": o.note,
            })
        })
        .collect();
    Ok(Json(json!({ "opinions": list })))
}

/// The JSON form of a subscription (never its API key).
pub fn subscription_json(s: &Subscription) -> Value {
    json!({
        "url": s.url, "bank": s.bank, "public_key": s.public_key, "feed": s.feed_id,
        "checkpoint": s.checkpoint, "synced_at": s.synced_at, "last_error": s.last_error,
        "kind": s.kind,
    })
}

/// `GET /feeds/subscriptions`: this instance's subscriptions and where
/// each one stands.
pub async fn subscriptions(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Value>> {
    caller.require(Role::Admin)?;
    let list = state
        .db(|s| Ok(feeds(s.store.as_ref()).subscriptions()?))
        .await?;
    Ok(Json(json!({
        "subscriptions": list.iter().map(subscription_json).collect::<Vec<_>>()
    })))
}

/// What one sync did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Pages applied.
    pub pages: u64,
    /// Entries added.
    pub added: u64,
    /// Entries revoked.
    pub removed: u64,
    /// The checkpoint now.
    pub checkpoint: u64,
    /// The publisher's head at the last page.
    pub head: u64,
}

/// Pulls a subscription's feed from its checkpoint to the publisher's
/// head, page by page. Each page is verified against the pinned key before
/// anything in it is read, and applied with its checkpoint in one
/// transaction; an empty, failed or unverifiable page moves nothing. A
/// failure is recorded on the subscription and returned.
pub async fn sync(
    http: &reqwest::Client,
    store: Arc<dyn Store + Send + Sync>,
    subscription: &Subscription,
    page_size: usize,
    progress: &mut (dyn FnMut(&SyncReport) + Send),
) -> Result<SyncReport, String> {
    let result = pull(http, store.clone(), subscription, page_size, progress).await;
    note_failure(store, subscription.id, &result).await;
    result
}

/// Records a failed sync on its subscription (the checkpoint stays).
pub async fn note_failure<T>(
    store: Arc<dyn Store + Send + Sync>,
    subscription: i64,
    result: &Result<T, String>,
) {
    if let Err(error) = result {
        let error = error.clone();
        let _ = tokio::task::spawn_blocking(move || {
            feeds(store.as_ref()).sync_failed(subscription, &error)
        })
        .await;
    }
}

async fn pull(
    http: &reqwest::Client,
    store: Arc<dyn Store + Send + Sync>,
    sub: &Subscription,
    page_size: usize,
    progress: &mut (dyn FnMut(&SyncReport) + Send),
) -> Result<SyncReport, String> {
    let key = PublicKey::parse(&sub.public_key).map_err(|e| e.to_string())?;
    let mut report = SyncReport {
        checkpoint: sub.checkpoint,
        ..SyncReport::default()
    };
    loop {
        let (body, _) = get_page(
            http,
            sub,
            &[("since", report.checkpoint), ("limit", page_size as u64)],
        )
        .await?;
        let page = verify_page(&body, &key)
            .map_err(|e| format!("refused a page from {}: {e}", sub.url))?;
        if let Some(pinned) = sub.feed_id.as_deref().filter(|p| *p != page.feed) {
            return Err(format!(
                "{} now serves feed {:?}, not {pinned:?}: the publisher's bank was replaced",
                sub.url, page.feed
            ));
        }
        if page.from != report.checkpoint + 1 {
            return Err(format!(
                "{} sent a page from {}, but the checkpoint is {}",
                sub.url, page.from, report.checkpoint
            ));
        }
        if page.head < report.checkpoint {
            return Err(format!(
                "{} says its feed ends at {}, before this subscription's checkpoint {}: \
                 the publisher lost history (restored from a backup?)",
                sub.url, page.head, report.checkpoint
            ));
        }
        report.head = page.head;
        if page.events.is_empty() {
            return Ok(report);
        }
        let (store, id) = (store.clone(), sub.id);
        let applied = tokio::task::spawn_blocking(move || {
            feeds(store.as_ref()).apply(id, &page.feed, page.from, &page.events)
        })
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("cannot apply a page from {}: {e}", sub.url))?;
        report.pages += 1;
        report.added += applied.added;
        report.removed += applied.removed;
        report.checkpoint = applied.checkpoint;
        progress(&report);
        if report.checkpoint >= report.head {
            return Ok(report);
        }
    }
}

/// The HTTP client feeds are pulled with: no redirects (a feed moved
/// elsewhere is an error to look at, not to follow), bounded time.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .unwrap_or_default()
}

/// Sends an opinion about one of a feed's entries to its publisher
/// (`POST <feed url>/opinions`); returns the publisher's answer.
pub async fn send_opinion(
    http: &reqwest::Client,
    feed_url: &str,
    api_key: Option<&str>,
    opinion: &Value,
) -> Result<Value, String> {
    let url = format!("{}/opinions", feed_url.trim_end_matches('/'));
    let mut request = http.post(&url).json(opinion);
    if let Some(key) = api_key {
        request = request.bearer_auth(key);
    }
    let response = request
        .send()
        .await
        .map_err(|e| format!("cannot reach {url}: {e}"))?;
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    if status.is_success() {
        Ok(body)
    } else {
        Err(format!("{url} answered {status}: {body}"))
    }
}

/// GETs one page of a feed a subscription follows, with its API key: the
/// body and the detached signature header, if any. Refuses oversized pages
/// and error answers.
pub async fn get_page(
    http: &reqwest::Client,
    sub: &Subscription,
    query: &[(&str, u64)],
) -> Result<(Bytes, Option<String>), String> {
    let mut request = http.get(&sub.url).query(query);
    if let Some(api_key) = &sub.api_key {
        request = request.bearer_auth(api_key);
    }
    let response = request
        .send()
        .await
        .map_err(|e| format!("cannot fetch {}: {e}", sub.url))?;
    let status = response.status();
    if response
        .content_length()
        .is_some_and(|n| n > MAX_PAGE_BYTES as u64)
    {
        return Err(format!(
            "{} sent a page over {MAX_PAGE_BYTES} bytes",
            sub.url
        ));
    }
    let signature = response
        .headers()
        .get("x-hashwatch-signature")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = response
        .bytes()
        .await
        .map_err(|e| format!("cannot read a page from {}: {e}", sub.url))?;
    if !status.is_success() {
        let text = String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned();
        return Err(format!("{} answered {status}: {text}", sub.url));
    }
    Ok((body, signature))
}
