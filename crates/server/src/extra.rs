//! hashwatch's routes beyond HMA: bulk signal upload, bank settings and
//! sharing, the audit log, match records, legal holds, the review queue and
//! webhook dead letters.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use hashwatch_store::{BankKind, HoldKind, NewEntry, RecordQuery, Role, Webhook};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::hma::json_body;
use crate::signals;
use crate::state::{audit_row, AppState};

#[derive(Deserialize)]
struct BulkSignal {
    signal_type: String,
    signal: String,
}

#[derive(Deserialize)]
struct BulkBody {
    signals: Vec<BulkSignal>,
    category: Option<String>,
    source: Option<String>,
}

/// `POST /c/bank/<name>/signals`: many signals in one transaction. Every
/// signal is checked first; one bad signal refuses the whole request, and
/// an answered request is durable.
pub async fn bulk_add(
    State(state): State<AppState>,
    caller: Caller,
    Path(bank): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    caller.require(Role::Curator)?;
    let body: BulkBody = json_body(&headers, &body, StatusCode::UNSUPPORTED_MEDIA_TYPE)?;
    let mut entries = Vec::with_capacity(body.signals.len());
    for (i, s) in body.signals.iter().enumerate() {
        let signal = signals::parse(&s.signal_type, &s.signal).map_err(|mut e| {
            e.message = format!("signal {i}: {}", e.message);
            e
        })?;
        entries.push(NewEntry {
            category: body.category.clone(),
            source: body.source.clone(),
            ..NewEntry::new(signal.signal_type, signal.value)
        });
    }
    let summary = state
        .db(move |s| {
            s.owned_bank(&caller.0, &bank)?;
            let origin = format!("api:{}", caller.0.name);
            let summary = s.records().write(|r| {
                let summary = r.import(&bank, &entries, Some(&origin))?;
                r.audit(&[audit_row(
                    &caller.0,
                    "signals.bulk_add",
                    Some(&bank),
                    None,
                    json!({"added": summary.added, "already_present": summary.already_present, "version": summary.version}),
                )])?;
                Ok(summary)
            })?;
            Ok(summary)
        })
        .await?;
    Ok(Json(json!({
        "added": summary.added,
        "already_present": summary.already_present,
        "version": summary.version,
    })))
}

/// Query parameters of a list import.
#[derive(Deserialize, Default)]
pub struct ImportParams {
    skip_duplicates: Option<bool>,
    category: Option<String>,
    source: Option<String>,
    signal_type: Option<String>,
    column: Option<String>,
}

/// `POST /c/bank/<name>/import`: a hash list as the body, in any format
/// `hashwatch bank import` reads (VICS, ICSE, pytx, plain, TSV). The whole
/// list is checked first; a bad record answers 400 with its line and
/// nothing is imported.
pub async fn import_list(
    State(state): State<AppState>,
    caller: Caller,
    Path(bank): Path<String>,
    Query(params): Query<ImportParams>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    caller.require(Role::Curator)?;
    let signal_type = params
        .signal_type
        .as_deref()
        .map(signals::signal_type)
        .transpose()?;
    let options = hashwatch_exchange::ReadOptions {
        column: params.column,
        signal_type,
        category: params.category,
        source: params
            .source
            .or_else(|| Some(format!("upload by {}", caller.0.name))),
        skip_duplicates: params.skip_duplicates.unwrap_or(false),
    };
    let answer = state
        .db(move |s| {
            s.owned_bank(&caller.0, &bank)?;
            let list = hashwatch_exchange::read_bytes(
                std::path::Path::new("upload"),
                body.to_vec(),
                &options,
            )
            .map_err(|e| {
                let mut error = ApiError::bad_request("bad_list", e.to_string());
                if let Some(line) = e.line {
                    error.message = format!("line {line}: {}", e.message);
                }
                error
            })?;
            let origin = format!("api:{}", caller.0.name);
            let answer = s.records().write(|r| {
                let summary = r.import(&bank, &list.entries, Some(&origin))?;
                let answer = json!({
                    "format": format!("{:?}", list.format).to_ascii_lowercase(),
                    "added": summary.added,
                    "already_present": summary.already_present,
                    "skipped_duplicates": list.skipped_duplicates,
                    "shared_rows": list.shared_rows,
                    "version": summary.version,
                });
                r.audit(&[audit_row(
                    &caller.0,
                    "bank.import",
                    Some(&bank),
                    None,
                    answer.clone(),
                )])?;
                Ok(answer)
            })?;
            Ok(answer)
        })
        .await?;
    Ok(Json(answer))
}

/// Query parameters of an export.
#[derive(Deserialize, Default)]
pub struct ExportParams {
    format: Option<String>,
}

/// `GET /c/bank/<name>/export?format=tsv|vics|icse|pytx|plain`.
pub async fn export_list(
    State(state): State<AppState>,
    caller: Caller,
    Path(bank): Path<String>,
    Query(params): Query<ExportParams>,
) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse;
    use hashwatch_exchange::ExportFormat;
    let (format, content_type) = match params.format.as_deref().unwrap_or("tsv") {
        "tsv" => (ExportFormat::Tsv, "text/tab-separated-values"),
        "vics" => (ExportFormat::Vics, "application/json"),
        "icse" => (ExportFormat::Icse, "text/csv"),
        "pytx" => (ExportFormat::Pytx, "text/csv"),
        "plain" => (ExportFormat::Plain, "text/plain"),
        other => {
            return Err(ApiError::bad_request(
                "bad_format",
                format!("format {other:?} is not tsv, vics, icse, pytx or plain"),
            ))
        }
    };
    let body = state
        .db(move |s| {
            s.visible_bank(&caller.0, &bank)?;
            let mut entries = Vec::new();
            s.store.entries(&bank, false, &mut |e| entries.push(e))?;
            let mut out = Vec::new();
            hashwatch_exchange::write_list(&mut out, format, &entries)
                .map_err(ApiError::internal)?;
            Ok(out)
        })
        .await?;
    Ok(([(axum::http::header::CONTENT_TYPE, content_type)], body).into_response())
}

fn settings_json(name: &str, kind: BankKind, s: &hashwatch_store::BankSettings) -> Value {
    json!({
        "name": name,
        "kind": kind.name(),
        "tenant": s.tenant,
        "matching_enabled_ratio": s.enabled_ratio,
        "threshold": s.threshold,
        "webhook": s.webhook.as_ref().map(|w| json!({"url": w.url})),
        "review": s.review,
        "shared_with": s.shared_with,
    })
}

/// `GET /c/bank/<name>/settings`.
pub async fn get_settings(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<Json<Value>> {
    let answer = state
        .db(move |s| {
            let settings = s.visible_bank(&caller.0, &name)?;
            let bank = s.store.bank(&name)?;
            Ok(settings_json(&name, bank.kind, &settings))
        })
        .await?;
    Ok(Json(answer))
}

#[derive(Deserialize)]
struct SettingsBody {
    /// `null` clears it.
    #[serde(default, with = "double_option")]
    threshold: Option<Option<u32>>,
    #[serde(default, with = "double_option")]
    webhook: Option<Option<WebhookBody>>,
    review: Option<bool>,
    shared_with: Option<Vec<String>>,
}

#[derive(Deserialize)]
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
pub async fn put_settings(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    caller.require(Role::Admin)?;
    let body: SettingsBody = json_body(&headers, &body, StatusCode::UNSUPPORTED_MEDIA_TYPE)?;
    if let Some(Some(t)) = body.threshold {
        if t > 256 {
            return Err(ApiError::bad_request(
                "bad_threshold",
                "threshold must be 0-256",
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
    let answer = state
        .db(move |s| {
            let mut settings = s.owned_bank(&caller.0, &name)?;
            if let Some(t) = body.threshold {
                settings.threshold = t;
            }
            if let Some(w) = &body.webhook {
                settings.webhook = w.as_ref().map(|w| Webhook {
                    url: w.url.clone(),
                    secret: w.secret.clone(),
                });
            }
            if let Some(r) = body.review {
                settings.review = r;
            }
            if let Some(shared) = &body.shared_with {
                settings.shared_with = shared
                    .iter()
                    .filter(|t| **t != caller.0.tenant)
                    .cloned()
                    .collect();
            }
            let bank = s.store.bank(&name)?;
            let answer = settings_json(&name, bank.kind, &settings);
            s.records().write(|r| {
                r.update_bank(&name, &settings, None)?;
                r.audit(&[audit_row(
                    &caller.0,
                    "bank.settings",
                    Some(&name),
                    None,
                    answer.clone(),
                )])
            })?;
            Ok(answer)
        })
        .await?;
    Ok(Json(answer))
}

/// Time range, bank and paging for records.
#[derive(Deserialize)]
pub struct RecordParams {
    from: Option<i64>,
    to: Option<i64>,
    bank: Option<String>,
    after: Option<i64>,
    limit: Option<i64>,
}

impl RecordParams {
    fn query(&self, tenant: &str) -> RecordQuery {
        RecordQuery {
            tenant: Some(tenant.to_string()),
            from: self.from,
            to: self.to,
            bank: self.bank.clone(),
            after: self.after,
            limit: self.limit,
        }
    }
}

/// `GET /audit?from=&to=&bank=&after=&limit=` (Unix times).
pub async fn audit(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<RecordParams>,
) -> ApiResult<Json<Value>> {
    caller.require(Role::Admin)?;
    let events = state
        .db(move |s| Ok(s.records().audit_events(&params.query(&caller.0.tenant))?))
        .await?;
    let events: Vec<Value> = events
        .iter()
        .map(|e| {
            json!({
                "id": e.id,
                "at": e.at,
                "key_id": e.event.key_id,
                "actor": e.event.actor,
                "action": e.event.action,
                "bank": e.event.bank,
                "target": e.event.target,
                "detail": e.event.detail.as_deref().and_then(|d| serde_json::from_str::<Value>(d).ok()),
            })
        })
        .collect();
    Ok(Json(json!({ "events": events })))
}

/// `GET /matches?from=&to=&bank=`.
pub async fn matches(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<RecordParams>,
) -> ApiResult<Json<Value>> {
    caller.require(Role::Admin)?;
    let found = state
        .db(move |s| Ok(s.records().matches(&params.query(&caller.0.tenant))?))
        .await?;
    let found: Vec<Value> = found
        .iter()
        .map(|m| {
            json!({
                "id": m.id,
                "at": m.at,
                "key_id": m.record.key_id,
                "bank": m.record.bank,
                "content_id": m.record.content_id,
                "entry_id": m.record.entry_id,
                "signal_type": m.record.signal_type,
                "query": m.record.query,
                "distance": m.record.distance,
            })
        })
        .collect();
    Ok(Json(json!({ "matches": found })))
}

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

#[derive(Deserialize)]
struct HoldBody {
    kind: String,
    target: String,
    reason: String,
}

/// `POST /holds`: `{kind: bank|content|match, target, reason}`.
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

fn review_json(r: &hashwatch_store::Review) -> Value {
    json!({
        "id": r.id,
        "at": r.at,
        "reason": r.reason,
        "state": r.state,
        "bank": r.record.bank,
        "content_id": r.record.content_id,
        "entry_id": r.record.entry_id,
        "signal_type": r.record.signal_type,
        "query": r.record.query,
        "distance": r.record.distance,
        "decided_by": r.decided_by,
        "decided_at": r.decided_at,
    })
}

/// Query parameters.
#[derive(Deserialize)]
pub struct ReviewParams {
    state: Option<String>,
}

/// `GET /reviews?state=open`.
pub async fn list_reviews(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<ReviewParams>,
) -> ApiResult<Json<Value>> {
    caller.require(Role::Curator)?;
    let reviews = state
        .db(move |s| {
            Ok(s.records()
                .reviews(&caller.0.tenant, params.state.as_deref())?)
        })
        .await?;
    Ok(Json(
        json!({ "reviews": reviews.iter().map(review_json).collect::<Vec<_>>() }),
    ))
}

#[derive(Deserialize)]
struct Decision {
    decision: String,
    /// On rejection: a negative bank to add the query's hash to.
    negative_bank: Option<String>,
}

/// `POST /reviews/<id>`: `{decision: confirm|reject, negative_bank?}`. A
/// confirmed flood review re-enables the quarantined content; a rejection
/// can add the query's hash to a negative bank, so it stops matching.
pub async fn decide_review(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    caller.require(Role::Curator)?;
    let body: Decision = json_body(&headers, &body, StatusCode::UNSUPPORTED_MEDIA_TYPE)?;
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
            if let Some(negative) = &body.negative_bank {
                s.owned_bank(&caller.0, negative)?;
                if s.store.bank(negative)?.kind != BankKind::Negative {
                    return Err(ApiError::bad_request(
                        "not_negative",
                        format!("bank {negative:?} is not a negative bank"),
                    ));
                }
            }
            // The decision and all it sets off commit together, or none of it.
            let review = s.records().write(|r| {
                let review = r.decide_review(&caller.0.tenant, id, decided, &caller.0.name)?;
                let record = &review.record;
                if review.reason == "flood" && decided == "confirmed" {
                    r.update_content(&record.bank, record.content_id, Some(1), None)?;
                }
                if let (Some(negative), "rejected") = (&body.negative_bank, decided) {
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
                    json!({"review": id, "negative_bank": body.negative_bank}),
                )])?;
                Ok(review)
            })?;
            Ok(review)
        })
        .await?;
    Ok(Json(review_json(&review)))
}

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

/// `GET /metrics`: Prometheus text.
pub async fn metrics(State(state): State<AppState>, _caller: Caller) -> String {
    let view = state.view();
    let (sizes, bytes) = match view.matcher.as_ref() {
        Some(m) => (m.sizes(), m.heap_bytes()),
        None => Default::default(),
    };
    let mut index: Vec<(&str, usize)> = sizes.iter().map(|(t, n)| (t.name(), *n)).collect();
    index.sort();
    state.metrics.render(&index, bytes, view.matcher.is_some())
}
