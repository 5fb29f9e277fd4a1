//! Legal holds: what retention must keep, placed and released by a bank
//! owner's admins (banks, content, matches) and by the hotline's
//! supervisors (cases).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use hashwatch_model::HoldKind;
use hashwatch_operations::holds::NewHold;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::request::json_body;
use crate::state::AppState;

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

impl From<&hashwatch_model::Hold> for HoldView {
    fn from(h: &hashwatch_model::Hold) -> HoldView {
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
    let new = NewHold {
        kind,
        target: body.target,
        reason: body.reason,
    };
    let caller = caller.op();
    let hold = state
        .op(move |ops| Ok(ops.place_hold(&caller, &new)?))
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
    let caller = caller.op();
    let holds = state.op(move |ops| Ok(ops.holds(&caller)?)).await?;
    Ok(Json(Holds {
        holds: holds.iter().map(HoldView::from).collect(),
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
    let caller = caller.op();
    let hold = state
        .op(move |ops| Ok(ops.release_hold(&caller, id)?))
        .await?;
    Ok(Json(HoldView::from(&hold)))
}
