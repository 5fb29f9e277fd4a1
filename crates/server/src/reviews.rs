//! The review queue: matches (and floods) waiting for a curator's decision.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use hashwatch_access::BankAction;
use hashwatch_model::ReviewState;
use hashwatch_operations::reviews::ReviewDecision;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::request::json_body;
use crate::state::AppState;

/// A match waiting for (or given) a person's decision.
#[derive(Serialize, ToSchema)]
pub struct ReviewView {
    id: i64,
    at: i64,
    reason: String,
    /// `open`, `confirmed` or `rejected`.
    state: String,
    bank: String,
    content_id: u64,
    entry_id: u64,
    signal_type: String,
    query: String,
    distance: u32,
    decided_by: Option<String>,
    decided_at: Option<i64>,
}

impl From<&hashwatch_model::Review> for ReviewView {
    fn from(r: &hashwatch_model::Review) -> ReviewView {
        ReviewView {
            id: r.id,
            at: r.at,
            reason: r.reason.to_string(),
            state: r.state.to_string(),
            bank: r.record.bank.clone(),
            content_id: r.record.content_id,
            entry_id: r.record.entry_id,
            signal_type: r.record.signal_type.clone(),
            query: r.record.query.clone(),
            distance: r.record.distance,
            decided_by: r.decided_by.clone(),
            decided_at: r.decided_at,
        }
    }
}

/// The review queue.
#[derive(Serialize, ToSchema)]
pub struct Reviews {
    reviews: Vec<ReviewView>,
}

/// Query parameters.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReviewParams {
    state: Option<String>,
}

/// `GET /reviews?state=open`.
#[utoipa::path(
    get,
    path = "/reviews",
    tag = "reviews",
    params(ReviewParams),
    responses((status = 200, description = "success", body = Reviews), (status = "default", description = "an error", body = crate::openapi::ErrorBody))
)]
pub async fn list_reviews(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<ReviewParams>,
) -> ApiResult<Json<Reviews>> {
    let caller = caller.op();
    let wanted = match params.state.as_deref() {
        None => None,
        Some(name) => Some(ReviewState::parse(name).ok_or_else(|| {
            ApiError::bad_request(
                "bad_state",
                format!("state {name:?} is not one of open, confirmed, rejected"),
            )
        })?),
    };
    let reviews = state
        .op(move |ops| Ok(ops.reviews(&caller, wanted)?))
        .await?;
    Ok(Json(Reviews {
        reviews: reviews.iter().map(ReviewView::from).collect(),
    }))
}

/// A reviewer's decision.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct Decision {
    /// `confirm` or `reject`.
    pub decision: String,
    /// On rejection: a negative bank to add the query's hash to.
    pub negative_bank: Option<String>,
}

/// `POST /reviews/<id>`: `{decision: confirm|reject, negative_bank?}`. A
/// confirmed flood review re-enables the quarantined content; a rejection
/// can add the query's hash to a negative bank, so it stops matching.
#[utoipa::path(
    post,
    path = "/reviews/{id}",
    tag = "reviews",
    params(("id" = i64, Path, description = "the record's id")),
    request_body = Decision,
    responses((status = 200, description = "success", body = ReviewView), (status = "default", description = "an error", body = crate::openapi::ErrorBody))
)]
pub async fn decide_review(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<ReviewView>> {
    let caller = caller.op();
    state.ops.may(&caller, BankAction::Curate)?;
    let body: Decision = json_body(&headers, &body, StatusCode::UNSUPPORTED_MEDIA_TYPE)?;
    decide(&state, caller, id, body)
        .await
        .map(|review| Json(ReviewView::from(&review)))
}

/// Decides review `id` through the operations: the JSON route and the web
/// interface both call this.
pub async fn decide(
    state: &AppState,
    caller: hashwatch_operations::Caller,
    id: i64,
    body: Decision,
) -> ApiResult<hashwatch_model::Review> {
    let Some(decision) = ReviewDecision::parse(&body.decision) else {
        return Err(ApiError::bad_request(
            "bad_decision",
            "decision must be confirm or reject",
        ));
    };
    state
        .op(move |ops| {
            Ok(ops.decide_review(&caller, id, decision, body.negative_bank.as_deref())?)
        })
        .await
}
