//! A bank's service settings: thresholds, robust matching, webhook, review
//! and sharing.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use hashwatch_access::secrets::Purpose;
use hashwatch_access::BankAction;
use hashwatch_model::{BankKind, Webhook};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::request::json_body;
use crate::state::{audit_row, AppState};
use hashwatch_operations::banks::owned_settings_in;

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
    fn new(name: &str, kind: BankKind, s: &hashwatch_model::BankSettings) -> SettingsView {
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
    let answer = state
        .db(move |s| {
            let (name, mut settings) = s.bank_for(&caller, BankAction::Read, &name)?;
            let bank = s.store.bank(&name)?;
            // Where the owner's matches go and whom else it shares with
            // are the owner's business only.
            if !caller.owns(&settings) {
                settings.webhook = None;
                settings.shared_with.clear();
                settings.shared_read.clear();
            }
            Ok(SettingsView::new(&name, bank.kind, &settings))
        })
        .await?;
    Ok(Json(answer))
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
    caller.may(BankAction::Administer)?;
    let body: SettingsBody = json_body(&headers, &body, StatusCode::UNSUPPORTED_MEDIA_TYPE)?;
    for t in [body.threshold, body.view_threshold]
        .into_iter()
        .flatten()
        .flatten()
    {
        if t > hashwatch_matcher::MAX_THRESHOLD {
            return Err(ApiError::bad_request(
                "bad_threshold",
                format!(
                    "threshold and view_threshold must be 0-{}",
                    hashwatch_matcher::MAX_THRESHOLD
                ),
            ));
        }
    }
    for percent in [body.video_query_percent, body.video_compared_percent]
        .into_iter()
        .flatten()
        .flatten()
    {
        if !(0.0..=100.0).contains(&percent) {
            return Err(ApiError::bad_request(
                "bad_percent",
                "video match percentages are 0-100",
            ));
        }
    }
    if let Some(Some(w)) = &body.webhook {
        if !(w.url.starts_with("http://") || w.url.starts_with("https://")) || w.secret.len() < 16 {
            return Err(ApiError::bad_request(
                "bad_webhook",
                "webhook needs an http(s) url and a secret of at least 16 characters",
            ));
        }
    }
    // Sealed before it is stored (and refused when there is no key).
    let webhook = match &body.webhook {
        Some(Some(w)) => Some(Some(Webhook {
            url: w.url.clone(),
            secret: crate::secrets::seal(&state, Purpose::Webhook, &w.secret)?,
        })),
        Some(None) => Some(None),
        None => None,
    };
    let answer = state
        .db(move |s| {
            let (name, _) = s.bank_for(&caller, BankAction::Administer, &name)?;
            let kind = s.store.bank(&name)?.kind;
            // Read, changed and written in one transaction: a concurrent
            // change to the bank's other settings is not lost.
            let answer = s.records().write(|r| {
                let mut settings = owned_settings_in(r, &caller.0.tenant, &name)?;
                if let Some(t) = body.threshold {
                    settings.threshold = t;
                }
                if let Some(p) = body.video_query_percent {
                    settings.video_query_percent = p;
                }
                if let Some(p) = body.video_compared_percent {
                    settings.video_compared_percent = p;
                }
                if let Some(w) = &webhook {
                    settings.webhook = w.clone();
                }
                if let Some(r) = body.review {
                    settings.review = r;
                }
                if let Some(r) = body.robust {
                    settings.robust = r;
                }
                if let Some(t) = body.view_threshold {
                    settings.view_threshold = t;
                }
                let others = |tenants: &Vec<String>| -> Vec<String> {
                    tenants
                        .iter()
                        .filter(|t| **t != caller.0.tenant)
                        .cloned()
                        .collect()
                };
                if let Some(shared) = &body.shared_with {
                    settings.shared_with = others(shared);
                }
                match &body.shared_read {
                    Some(read) => settings.shared_read = others(read),
                    None => {
                        let shared = settings.shared_with.clone();
                        settings.shared_read.retain(|t| shared.contains(t));
                    }
                }
                for tenant in settings.shared_read.clone() {
                    if !settings.shared_with.contains(&tenant) {
                        settings.shared_with.push(tenant);
                    }
                }
                let answer = SettingsView::new(&name, kind, &settings);
                r.update_bank(&name, &settings, None)?;
                r.audit(&[audit_row(
                    &caller.0,
                    "bank.settings",
                    Some(&name),
                    None,
                    serde_json::to_value(&answer).unwrap_or(Value::Null),
                )])?;
                Ok(answer)
            })?;
            Ok(answer)
        })
        .await?;
    Ok(Json(answer))
}
