//! The review queue: matches (and floods) waiting for a curator's decision.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use hashwatch_access::BankAction;
use hashwatch_model::{BankKind, NewEntry};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::request::json_body;
use crate::signals;
use crate::state::{audit_row, AppState};

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
            reason: r.reason.clone(),
            state: r.state.clone(),
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
    caller.may(BankAction::Curate)?;
    let reviews = state
        .db(move |s| {
            Ok(s.records()
                .reviews(&caller.0.tenant, params.state.as_deref())?)
        })
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
    caller.may(BankAction::Curate)?;
    let body: Decision = json_body(&headers, &body, StatusCode::UNSUPPORTED_MEDIA_TYPE)?;
    decide(&state, caller, id, body)
        .await
        .map(|review| Json(ReviewView::from(&review)))
}

/// Decides review `id` and all it sets off (re-enabling flooded content,
/// the query's hash into a negative bank) with its audit row, in one
/// transaction. The JSON route and the web interface both call this.
pub async fn decide(
    state: &AppState,
    caller: Caller,
    id: i64,
    body: Decision,
) -> ApiResult<hashwatch_model::Review> {
    caller.may(BankAction::Curate)?;
    let body = Decision {
        negative_bank: body.negative_bank.filter(|b| !b.trim().is_empty()),
        ..body
    };
    let decided = match body.decision.as_str() {
        "confirm" => "confirmed",
        "reject" => "rejected",
        _ => {
            return Err(ApiError::bad_request(
                "bad_decision",
                "decision must be confirm or reject",
            ))
        }
    };
    let review = state
        .db(move |s| {
            let negative_bank = match &body.negative_bank {
                Some(given) => {
                    let (negative, _) = s.bank_for(&caller, BankAction::Curate, given)?;
                    if s.store.bank(&negative)?.kind != BankKind::Negative {
                        return Err(ApiError::bad_request(
                            "not_negative",
                            format!("bank {given:?} is not a negative bank"),
                        ));
                    }
                    Some(negative)
                }
                None => None,
            };
            // The decision and all it sets off commit together, or none of it.
            let review = s.records().write(|r| {
                let review = r.decide_review(&caller.0.tenant, id, decided, &caller.0.name)?;
                let record = &review.record;
                if review.reason == "flood" && decided == "confirmed" {
                    r.update_content(&record.bank, record.content_id, Some(1), None)?;
                }
                if let (Some(negative), "rejected") = (&negative_bank, decided) {
                    let signal =
                        signals::parse(&record.signal_type, &record.query).map_err(|e| {
                            hashwatch_store::Error::backend(format!(
                                "review {id} holds a signal that does not decode: {}",
                                e.message
                            ))
                        })?;
                    r.import(
                        negative,
                        &[NewEntry {
                            source: Some(format!("review {id}")),
                            ..NewEntry::new(signal.signal_type, signal.value)
                        }],
                        Some(&format!("api:{}", caller.0.name)),
                    )?;
                }
                r.audit(&[audit_row(
                    &caller.0,
                    &format!("review.{}", body.decision),
                    Some(&record.bank),
                    Some(record.content_id.to_string()),
                    json!({"review": id, "negative_bank": negative_bank}),
                )])?;
                Ok(review)
            })?;
            Ok(review)
        })
        .await?;
    Ok(review)
}
