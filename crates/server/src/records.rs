//! The audit log and match records, as a tenant's administrators read them.

use axum::extract::{Query, State};
use axum::Json;
use hashwatch_model::RecordQuery;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::ApiResult;
use crate::state::AppState;

/// Time range, bank and paging for records.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RecordParams {
    from: Option<i64>,
    to: Option<i64>,
    bank: Option<String>,
    after: Option<i64>,
    limit: Option<i64>,
}

impl RecordParams {
    /// The records asked for (the operations keep a key to its tenant).
    fn query(self) -> RecordQuery {
        RecordQuery {
            from: self.from,
            to: self.to,
            bank: self.bank,
            after: self.after,
            limit: self.limit,
            ..RecordQuery::default()
        }
    }
}

/// Audit entries, oldest first.
#[derive(Serialize, ToSchema)]
pub struct AuditLog {
    events: Vec<AuditView>,
}

/// One audit entry.
#[derive(Serialize, ToSchema)]
pub struct AuditView {
    id: i64,
    at: i64,
    key_id: Option<i64>,
    actor: String,
    action: String,
    bank: Option<String>,
    target: Option<String>,
    #[schema(value_type = Option<Object>)]
    detail: Option<Value>,
}

/// Match records.
#[derive(Serialize, ToSchema)]
pub struct MatchRecords {
    matches: Vec<MatchView>,
}

/// One recorded match.
#[derive(Serialize, ToSchema)]
pub struct MatchView {
    id: i64,
    at: i64,
    key_id: Option<i64>,
    bank: String,
    content_id: u64,
    entry_id: u64,
    signal_type: String,
    query: String,
    distance: u32,
}

/// `GET /audit?from=&to=&bank=&after=&limit=` (Unix times).
#[utoipa::path(
    get,
    path = "/audit",
    tag = "records",
    params(RecordParams),
    responses((status = 200, description = "success", body = AuditLog), (status = "default", description = "an error", body = crate::openapi::ErrorBody))
)]
pub async fn audit(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<RecordParams>,
) -> ApiResult<Json<AuditLog>> {
    let events = state
        .op(move |ops| Ok(ops.audit_log(&caller.op(), params.query())?))
        .await?;
    Ok(Json(AuditLog {
        events: events
            .into_iter()
            .map(|e| AuditView {
                id: e.id,
                at: e.at,
                key_id: e.event.key_id,
                actor: e.event.actor,
                action: e.event.action,
                bank: e.event.bank,
                target: e.event.target,
                detail: e
                    .event
                    .detail
                    .as_deref()
                    .and_then(|d| serde_json::from_str::<Value>(d).ok()),
            })
            .collect(),
    }))
}

/// `GET /matches?from=&to=&bank=`.
#[utoipa::path(
    get,
    path = "/matches",
    tag = "records",
    params(RecordParams),
    responses((status = 200, description = "success", body = MatchRecords), (status = "default", description = "an error", body = crate::openapi::ErrorBody))
)]
pub async fn matches(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<RecordParams>,
) -> ApiResult<Json<MatchRecords>> {
    let found = state
        .op(move |ops| Ok(ops.match_records(&caller.op(), params.query())?))
        .await?;
    Ok(Json(MatchRecords {
        matches: found
            .into_iter()
            .map(|m| MatchView {
                id: m.id,
                at: m.at,
                key_id: m.record.key_id,
                bank: m.record.bank,
                content_id: m.record.content_id,
                entry_id: m.record.entry_id,
                signal_type: m.record.signal_type,
                query: m.record.query,
                distance: m.record.distance,
            })
            .collect(),
    }))
}
