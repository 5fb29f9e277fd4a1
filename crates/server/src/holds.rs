//! Legal holds: what retention must keep, placed and released by admins.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use hashwatch_store::{HoldKind, Role};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::request::json_body;
use crate::state::{audit_row, AppState};

fn hold_json(h: &hashwatch_store::Hold) -> Value {
    json!({
        "id": h.id,
        "kind": h.kind.name(),
        "target": h.target,
        "reason": h.reason,
        "placed_by": h.placed_by,
        "placed_at": h.placed_at,
        "released_at": h.released_at,
    })
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
    responses((status = 201, description = "success", body = Object), (status = "default", description = "an error", body = crate::openapi::ErrorBody))
)]
pub async fn place_hold(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    caller.require(Role::Admin)?;
    let body: HoldBody = json_body(&headers, &body, StatusCode::UNSUPPORTED_MEDIA_TYPE)?;
    let Some(kind) = HoldKind::parse(&body.kind) else {
        return Err(ApiError::bad_request(
            "bad_hold",
            "kind must be bank, content or match",
        ));
    };
    if body.reason.trim().is_empty() {
        return Err(ApiError::bad_request(
            "bad_hold",
            "give a reason (a case reference)",
        ));
    }
    let hold = state
        .db(move |s| {
            if kind == HoldKind::Bank {
                s.owned_bank(&caller.0, &body.target)?;
            }
            let bank = (kind == HoldKind::Bank).then_some(body.target.as_str());
            let hold = s.records().write(|r| {
                let hold = r.place_hold(
                    &caller.0.tenant,
                    kind,
                    &body.target,
                    &body.reason,
                    &caller.0.name,
                )?;
                r.audit(&[audit_row(
                    &caller.0,
                    "hold.place",
                    bank,
                    Some(hold.id.to_string()),
                    hold_json(&hold),
                )])?;
                Ok(hold)
            })?;
            Ok(hold)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(hold_json(&hold))))
}

/// `GET /holds`.
#[utoipa::path(
    get,
    path = "/holds",
    tag = "records",
    responses((status = 200, description = "success", body = Object), (status = "default", description = "an error", body = crate::openapi::ErrorBody))
)]
pub async fn list_holds(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Value>> {
    caller.require(Role::Admin)?;
    let holds = state
        .db(move |s| Ok(s.records().holds(Some(&caller.0.tenant), false)?))
        .await?;
    Ok(Json(
        json!({ "holds": holds.iter().map(hold_json).collect::<Vec<_>>() }),
    ))
}

/// `DELETE /holds/<id>`: releases a hold.
#[utoipa::path(
    delete,
    path = "/holds/{id}",
    tag = "records",
    params(("id" = i64, Path, description = "the record's id")),
    responses((status = 200, description = "success", body = Object), (status = "default", description = "an error", body = crate::openapi::ErrorBody))
)]
pub async fn release_hold(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    caller.require(Role::Admin)?;
    let hold = state
        .db(move |s| {
            let hold = s.records().write(|r| {
                let hold = r.release_hold(&caller.0.tenant, id)?;
                let bank = (hold.kind == HoldKind::Bank).then_some(hold.target.as_str());
                r.audit(&[audit_row(
                    &caller.0,
                    "hold.release",
                    bank,
                    Some(id.to_string()),
                    hold_json(&hold),
                )])?;
                Ok(hold)
            })?;
            Ok(hold)
        })
        .await?;
    Ok(Json(hold_json(&hold)))
}
