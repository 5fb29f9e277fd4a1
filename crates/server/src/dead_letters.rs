//! Webhook deliveries that ran out of attempts, and replaying them.

use axum::extract::{Path, State};
use axum::Json;
use hashwatch_store::Role;
use serde_json::{json, Value};

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::{audit_row, AppState};

fn delivery_json(d: &hashwatch_store::Delivery) -> Value {
    json!({
        "id": d.id,
        "bank": d.bank,
        "url": d.url,
        "attempts": d.attempts,
        "state": d.state,
        "last_error": d.last_error,
        "body": serde_json::from_str::<Value>(&d.body).unwrap_or(Value::Null),
    })
}

/// `GET /actions/dead-letters`: webhook deliveries that ran out of attempts.
#[utoipa::path(
    get,
    path = "/actions/dead-letters",
    tag = "actions",
    responses((status = 200, description = "success", body = Object), (status = "default", description = "an error", body = crate::openapi::ErrorBody))
)]
pub async fn dead_letters(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Value>> {
    caller.require(Role::Admin)?;
    let dead = state
        .db(move |s| {
            let mine = s.view().visible(&caller.0.tenant);
            Ok(s.records().deliveries("dead", &mine)?)
        })
        .await?;
    Ok(Json(
        json!({ "dead_letters": dead.iter().map(delivery_json).collect::<Vec<_>>() }),
    ))
}

/// `POST /actions/dead-letters/<id>/replay`.
#[utoipa::path(
    post,
    path = "/actions/dead-letters/{id}/replay",
    tag = "actions",
    params(("id" = i64, Path, description = "the record's id")),
    responses((status = 200, description = "success", body = Object), (status = "default", description = "an error", body = crate::openapi::ErrorBody))
)]
pub async fn replay(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    caller.require(Role::Admin)?;
    state
        .db(move |s| {
            let mine = s.view().visible(&caller.0.tenant);
            let dead = s.records().deliveries("dead", &mine)?;
            let Some(d) = dead.iter().find(|d| d.id == id) else {
                return Err(ApiError::not_found(
                    "not_found",
                    format!("no dead letter {id}"),
                ));
            };
            s.records().write(|r| {
                r.replay_delivery(id)?;
                r.audit(&[audit_row(
                    &caller.0,
                    "webhook.replay",
                    Some(&d.bank),
                    Some(id.to_string()),
                    json!({}),
                )])
            })?;
            Ok(())
        })
        .await?;
    Ok(Json(json!({ "replayed": id })))
}
