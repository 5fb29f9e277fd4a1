//! Legal holds: what retention must keep, placed and released by a bank
//! owner's admins (banks, content, matches) and by the hotline's
//! supervisors (cases).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use hashwatch_access::BankAction;
use hashwatch_store::HoldKind;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::request::json_body;
use crate::state::{audit_row, AppState};

/// A legal hold.
#[derive(Serialize, ToSchema)]
pub struct HoldView {
    id: i64,
    /// `bank`, `content`, `match` or `case`.
    kind: &'static str,
    target: String,
    reason: String,
    placed_by: String,
    placed_at: i64,
    released_at: Option<i64>,
}

impl From<&hashwatch_store::Hold> for HoldView {
    fn from(h: &hashwatch_store::Hold) -> HoldView {
        HoldView {
            id: h.id,
            kind: h.kind.name(),
            target: h.target.clone(),
            reason: h.reason.clone(),
            placed_by: h.placed_by.clone(),
            placed_at: h.placed_at,
            released_at: h.released_at,
        }
    }
}

/// The tenant's holds.
#[derive(Serialize, ToSchema)]
pub struct Holds {
    holds: Vec<HoldView>,
}

/// A hold as the audit log keeps it.
fn hold_detail(h: &hashwatch_store::Hold) -> Value {
    serde_json::to_value(HoldView::from(h)).unwrap_or(Value::Null)
}

#[derive(Deserialize, utoipa::ToSchema)]
struct HoldBody {
    kind: String,
    target: String,
    reason: String,
}

/// `POST /holds`: `{kind: bank|content|match, target, reason}`.
#[utoipa::path(
    post,
    path = "/holds",
    tag = "records",
    request_body = HoldBody,
    responses((status = 201, description = "success", body = HoldView), (status = "default", description = "an error", body = crate::openapi::ErrorBody))
)]
pub async fn place_hold(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<HoldView>)> {
    let body: HoldBody = json_body(&headers, &body, StatusCode::UNSUPPORTED_MEDIA_TYPE)?;
    let Some(kind) = HoldKind::parse(&body.kind) else {
        return Err(ApiError::bad_request(
            "bad_hold",
            "kind must be bank, content, match or case",
        ));
    };
    caller.may_hold(kind)?;
    if body.reason.trim().is_empty() {
        return Err(ApiError::bad_request(
            "bad_hold",
            "give a reason (a case reference)",
        ));
    }
    let hold = state
        .db(move |s| {
            // A hold keeps a bank's records from the purge: only the bank's
            // owner may place one, on its content and matches as on itself.
            let missing = || {
                ApiError::not_found("not_found", format!("no {} {:?}", kind.name(), body.target))
            };
            let id = match kind {
                HoldKind::Bank => None,
                _ => Some(body.target.trim().parse::<i64>().map_err(|_| missing())?),
            };
            // Ids are kept in one spelling: the purge compares text.
            let target = id.map_or_else(|| caller.bank_name(&body.target), |id| id.to_string());
            if let (HoldKind::Case, Some(case)) = (kind, id) {
                hashwatch_store::hotline(s.store.as_ref()).case(case)?;
            } else {
                let held = s.records().hold_bank(kind, &target)?.ok_or_else(missing)?;
                // The record's bank is named only to those who may see it.
                s.stored_bank_for(&caller, BankAction::Administer, &held)
                    .map_err(|e| {
                        if e.status == StatusCode::NOT_FOUND {
                            missing()
                        } else {
                            e
                        }
                    })?;
            }
            let bank = (kind == HoldKind::Bank).then_some(target.as_str());
            let hold = s.records().write(|r| {
                let hold = r.place_hold(
                    &caller.0.tenant,
                    kind,
                    &target,
                    &body.reason,
                    &caller.0.name,
                )?;
                r.audit(&[audit_row(
                    &caller.0,
                    "hold.place",
                    bank,
                    Some(hold.id.to_string()),
                    hold_detail(&hold),
                )])?;
                Ok(hold)
            })?;
            Ok(hold)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(HoldView::from(&hold))))
}

/// `GET /holds`.
#[utoipa::path(
    get,
    path = "/holds",
    tag = "records",
    responses((status = 200, description = "success", body = Holds), (status = "default", description = "an error", body = crate::openapi::ErrorBody))
)]
pub async fn list_holds(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Holds>> {
    caller.may_hold_any()?;
    let tenant = caller.0.tenant.clone();
    let holds = state
        .db(move |s| Ok(s.records().holds(Some(&tenant), false)?))
        .await?;
    Ok(Json(Holds {
        holds: holds
            .iter()
            .filter(|h| caller.may_hold(h.kind).is_ok())
            .map(HoldView::from)
            .collect(),
    }))
}

/// `DELETE /holds/<id>`: releases a hold.
#[utoipa::path(
    delete,
    path = "/holds/{id}",
    tag = "records",
    params(("id" = i64, Path, description = "the record's id")),
    responses((status = 200, description = "success", body = HoldView), (status = "default", description = "an error", body = crate::openapi::ErrorBody))
)]
pub async fn release_hold(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<HoldView>> {
    caller.may_hold_any()?;
    let hold = state
        .db(move |s| {
            let held = s
                .records()
                .holds(Some(&caller.0.tenant), false)?
                .into_iter()
                .find(|h| h.id == id)
                .ok_or_else(|| ApiError::not_found("not_found", format!("no hold {id}")))?;
            caller.may_hold(held.kind)?;
            let hold = s.records().write(|r| {
                let hold = r.release_hold(&caller.0.tenant, id)?;
                let bank = (hold.kind == HoldKind::Bank).then_some(hold.target.as_str());
                r.audit(&[audit_row(
                    &caller.0,
                    "hold.release",
                    bank,
                    Some(id.to_string()),
                    hold_detail(&hold),
                )])?;
                Ok(hold)
            })?;
            Ok(hold)
        })
        .await?;
    Ok(Json(HoldView::from(&hold)))
}
