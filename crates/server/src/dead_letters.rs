//! Webhook deliveries that ran out of attempts, and replaying them.

use axum::extract::{Path, State};
use axum::Json;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::ApiResult;
use crate::state::AppState;

/// A webhook delivery that ran out of attempts.
#[derive(Serialize, ToSchema)]
pub struct DeadLetter {
    id: i64,
    bank: String,
    url: String,
    attempts: i64,
    state: String,
    last_error: Option<String>,
    /// The body that was to be delivered (null if it was not JSON).
    #[schema(value_type = Object)]
    body: Value,
}

impl From<&hashwatch_model::Delivery> for DeadLetter {
    fn from(d: &hashwatch_model::Delivery) -> DeadLetter {
        DeadLetter {
            id: d.id,
            bank: d.bank.clone(),
            url: d.url.clone(),
            attempts: d.attempts,
            state: d.state.to_string(),
            last_error: d.last_error.clone(),
            body: serde_json::from_str::<Value>(&d.body).unwrap_or(Value::Null),
        }
    }
}

/// Dead letters of the caller's tenant's banks.
#[derive(Serialize, ToSchema)]
pub struct DeadLetters {
    dead_letters: Vec<DeadLetter>,
}

/// A dead letter sent again.
#[derive(Serialize, ToSchema)]
pub struct Replayed {
    replayed: i64,
}

/// `GET /actions/dead-letters`: webhook deliveries that ran out of attempts.
#[utoipa::path(
    get,
    path = "/actions/dead-letters",
    tag = "actions",
    responses((status = 200, description = "success", body = DeadLetters), (status = "default", description = "an error", body = crate::openapi::ErrorBody))
)]
pub async fn dead_letters(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<DeadLetters>> {
    let caller = caller.op();
    let dead = state.op(move |ops| Ok(ops.dead_letters(&caller)?)).await?;
    Ok(Json(DeadLetters {
        dead_letters: dead.iter().map(DeadLetter::from).collect(),
    }))
}

/// `POST /actions/dead-letters/<id>/replay`.
#[utoipa::path(
    post,
    path = "/actions/dead-letters/{id}/replay",
    tag = "actions",
    params(("id" = i64, Path, description = "the record's id")),
    responses((status = 200, description = "success", body = Replayed), (status = "default", description = "an error", body = crate::openapi::ErrorBody))
)]
pub async fn replay(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Replayed>> {
    let caller = caller.op();
    state
        .op(move |ops| Ok(ops.replay_dead_letter(&caller, id)?))
        .await?;
    Ok(Json(Replayed { replayed: id }))
}
