//! A bank's service settings: thresholds, robust matching, webhook, review
//! and sharing.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use hashwatch_access::secrets::Purpose;
use hashwatch_access::BankAction;
use hashwatch_model::{BankKind, BankSettings};
use hashwatch_operations::settings::{NewWebhook, SettingsChange};
use hashwatch_operations::{Kind, OpError, OpResult};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::ApiResult;
use crate::request::json_body;
use crate::state::AppState;

/// A bank's settings (a webhook's secret is never shown).
#[derive(Serialize, ToSchema)]
pub struct SettingsView {
    name: String,
    /// `positive` or `negative`.
    kind: &'static str,
    tenant: String,
    matching_enabled_ratio: f64,
    threshold: Option<u32>,
    /// Least percentage of a query video's frames found in a banked video
    /// (python-threatexchange's 80 when not set).
    video_query_percent: Option<f64>,
    /// Least percentage of a banked video's frames found in the query
    /// (0 when not set).
    video_compared_percent: Option<f64>,
    /// Whether uploads are also matched by their views (trimmed borders,
    /// the picture inside a screenshot or above a caption, an undone turn)
    /// and against the bank's derived hashes. Lookups by hash never are.
    robust: bool,
    /// The largest distance of a robust match (hashwatch-robust's default
    /// when not set).
    view_threshold: Option<u32>,
    webhook: Option<WebhookView>,
    review: bool,
    shared_with: Vec<String>,
    /// Of those, the tenants that may also read the bank's contents and
    /// export it.
    shared_read: Vec<String>,
}

/// Where a bank's matches are posted.
#[derive(Serialize, ToSchema)]
pub struct WebhookView {
    url: String,
}

impl SettingsView {
    /// The view of bank `name`'s settings.
    pub fn new(name: &str, kind: BankKind, s: &hashwatch_model::BankSettings) -> SettingsView {
        SettingsView {
            name: name.to_string(),
            kind: kind.name(),
            tenant: s.tenant.clone(),
            matching_enabled_ratio: s.enabled_ratio,
            threshold: s.threshold,
            video_query_percent: s.video_query_percent,
            video_compared_percent: s.video_compared_percent,
            robust: s.robust,
            view_threshold: s.view_threshold,
            webhook: s
                .webhook
                .as_ref()
                .map(|w| WebhookView { url: w.url.clone() }),
            review: s.review,
            shared_with: s.shared_with.clone(),
            shared_read: s.shared_read.clone(),
        }
    }
}

/// `GET /c/bank/<name>/settings`.
#[utoipa::path(
    get,
    path = "/c/bank/{name}/settings",
    tag = "banks",
    params(("name" = String, Path, description = "the bank's name")),
    responses((status = 200, description = "success", body = SettingsView), (status = "default", description = "an error", body = crate::openapi::ErrorBody))
)]
pub async fn get_settings(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<Json<SettingsView>> {
    let caller = caller.op();
    let (name, kind, settings) = state
        .op(move |ops| Ok(ops.settings(&caller, &name)?))
        .await?;
    Ok(Json(SettingsView::new(&name, kind, &settings)))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct SettingsBody {
    /// `null` clears it.
    #[serde(default, with = "double_option")]
    threshold: Option<Option<u32>>,
    /// `null` clears it.
    #[serde(default, with = "double_option")]
    video_query_percent: Option<Option<f64>>,
    /// `null` clears it.
    #[serde(default, with = "double_option")]
    video_compared_percent: Option<Option<f64>>,
    #[serde(default, with = "double_option")]
    webhook: Option<Option<WebhookBody>>,
    review: Option<bool>,
    /// Match uploads robustly.
    robust: Option<bool>,
    /// `null` clears it.
    #[serde(default, with = "double_option")]
    view_threshold: Option<Option<u32>>,
    /// Tenants that may match against the bank.
    shared_with: Option<Vec<String>>,
    /// Tenants that may also read its contents and export it (they are
    /// added to `shared_with`).
    shared_read: Option<Vec<String>>,
}

#[derive(Deserialize, utoipa::ToSchema)]
struct WebhookBody {
    url: String,
    secret: String,
}

/// Tells a missing field (`None`) from an explicit `null` (`Some(None)`).
mod double_option {
    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(d).map(Some)
    }
}

/// `PUT /c/bank/<name>/settings`: threshold, webhook, review, sharing.
#[utoipa::path(
    put,
    path = "/c/bank/{name}/settings",
    tag = "banks",
    params(("name" = String, Path, description = "the bank's name")),
    request_body = SettingsBody,
    responses((status = 200, description = "success", body = SettingsView), (status = "default", description = "an error", body = crate::openapi::ErrorBody))
)]
pub async fn put_settings(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<SettingsView>> {
    let caller = caller.op();
    state.ops.may(&caller, BankAction::Administer)?;
    let body: SettingsBody = json_body(&headers, &body, StatusCode::UNSUPPORTED_MEDIA_TYPE)?;
    let change = SettingsChange {
        threshold: body.threshold,
        video_query_percent: body.video_query_percent,
        video_compared_percent: body.video_compared_percent,
        webhook: body.webhook.map(|w| {
            w.map(|w| NewWebhook {
                url: w.url,
                secret: w.secret,
            })
        }),
        review: body.review,
        robust: body.robust,
        view_threshold: body.view_threshold,
        shared_with: body.shared_with,
        shared_read: body.shared_read,
    };
    change_settings(&state, caller, name, change)
        .await
        .map(Json)
}

/// Changes a bank's settings through the operations, sealing a webhook's
/// secret with the server's key: the API route and the web page call this.
pub async fn change_settings(
    state: &AppState,
    caller: hashwatch_operations::Caller,
    name: String,
    change: SettingsChange,
) -> ApiResult<SettingsView> {
    let sealer = state.clone();
    let (name, kind, settings) = state
        .op(move |ops| {
            // Sealed before it is stored (and refused when there is no key).
            let seal = |secret: &str| -> OpResult<String> {
                crate::secrets::seal(&sealer, Purpose::Webhook, secret).map_err(|e| {
                    let kind = match e.status {
                        StatusCode::BAD_REQUEST => Kind::Invalid,
                        _ => Kind::Internal,
                    };
                    OpError::new(kind, e.code, e.message)
                })
            };
            let detail = |name: &str, kind: BankKind, settings: &BankSettings| {
                serde_json::to_value(SettingsView::new(name, kind, settings)).unwrap_or(Value::Null)
            };
            Ok(ops.change_settings(&caller, &name, &change, &seal, &detail)?)
        })
        .await?;
    Ok(SettingsView::new(&name, kind, &settings))
}
