//! Meta's HMA 2.0 routes, with HMA's request and response shapes
//! (as Meta's HMA 2.0 answered when run beside it), answered correctly where HMA answers 500 or
//! acts across banks. Handlers parse, check the caller, call the state and
//! shape the answer.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use hashwatch_access::BankAction;
use hashwatch_model::QUALITY_FLOOR;
use hashwatch_model::{unix_now, Availability, BankKind, BankSettings, SignalType};
use hashwatch_operations::banks::{BankUpdate, NewBank};
use hashwatch_operations::content::{ContentRead, ContentSignal, NewContent};
use hashwatch_operations::Kind as OpKind;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::request::json_body;
use crate::signals::{self, Signal};
use crate::state::{AppState, BankFilter, Event, Hit};

/// A bank as HMA answers it.
#[derive(Serialize, ToSchema)]
pub struct HmaBank {
    name: String,
    matching_enabled_ratio: f64,
}

impl HmaBank {
    fn new(name: &str, settings: &BankSettings) -> HmaBank {
        HmaBank {
            name: name.to_string(),
            matching_enabled_ratio: settings.enabled_ratio,
        }
    }
}

/// HMA's acknowledgement.
#[derive(Serialize, ToSchema)]
pub struct Done {
    /// `Done`.
    message: &'static str,
}

/// A content item added: its id and the signals it holds, by type.
#[derive(Serialize, ToSchema)]
pub struct ContentAdded {
    id: u64,
    #[schema(value_type = Object)]
    signals: Map<String, Value>,
}

/// A content item as HMA answers `GET`.
#[derive(Serialize, ToSchema)]
pub struct ContentView {
    id: u64,
    bank: HmaBank,
    disable_until_ts: i64,
    /// Always null: media are never stored.
    original_media_uri: Option<String>,
    /// With `include_signals=true`: hex by signal type.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    signals: Option<Map<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    metadata: Option<ContentMetadataView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<String>,
}

/// HMA's content metadata, as given on upload.
#[derive(Serialize, ToSchema)]
pub struct ContentMetadataView {
    #[schema(value_type = Option<String>)]
    content_id: Option<Value>,
    #[schema(value_type = Option<String>)]
    content_uri: Option<Value>,
    #[schema(value_type = Option<Object>)]
    json: Option<Value>,
    /// Always null: collaboration metadata is not kept.
    #[schema(value_type = Option<Object>)]
    collab: Option<Value>,
}

/// A content item as HMA answers `PUT`.
#[derive(Serialize, ToSchema)]
pub struct ContentUpdated {
    id: u64,
    bank: HmaBank,
    disable_until_ts: i64,
    /// Always empty.
    #[schema(value_type = Object)]
    collab_metadata: Map<String, Value>,
    original_media_uri: Option<String>,
    #[schema(value_type = Option<Object>)]
    user_metadata: Option<Value>,
    note: Option<String>,
}

/// Whether a content item was deleted.
#[derive(Serialize, ToSchema)]
pub struct Deleted {
    /// 1 when it was, 0 when the bank had no such item.
    deleted: u8,
}

/// A match as HMA answers it: the distance is a string, `-` for exact
/// types. Video matches add python-threatexchange's percentages and the
/// frames that matched.
#[derive(Serialize, ToSchema)]
pub struct LookupMatch {
    bank_content_id: u64,
    distance: String,
    /// For a video matching a banked video: the percentage of the query's
    /// frames found in it.
    #[serde(skip_serializing_if = "Option::is_none")]
    query_match_percent: Option<f64>,
    /// … and of the banked video's frames found in the query.
    #[serde(skip_serializing_if = "Option::is_none")]
    compared_match_percent: Option<f64>,
    /// The query video's frame nearest the match, by timestamp (seconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    timestamp: Option<f64>,
    /// The banked video's frame nearest the match, by timestamp.
    #[serde(skip_serializing_if = "Option::is_none")]
    bank_timestamp: Option<f64>,
    /// For a robust match (a bank set to match uploads robustly), the
    /// view of the upload that matched: `trim`, `content`, `turn+4` …
    #[serde(skip_serializing_if = "Option::is_none")]
    view: Option<String>,
    /// For a match of a derived hash, the view of the banked picture
    /// that made it (`crop90`, `crop85tl` …); `distance` is then to it.
    #[serde(skip_serializing_if = "Option::is_none")]
    derived: Option<String>,
}

/// Matches by bank name.
#[derive(Serialize, ToSchema)]
#[serde(transparent)]
pub struct ByBank(BTreeMap<String, Vec<LookupMatch>>);

/// Matches by signal type, then by bank name.
#[derive(Serialize, ToSchema)]
#[serde(transparent)]
pub struct BySignal(BTreeMap<String, ByBank>);

/// A hash lookup's matches by bank; a fetched URL's by signal type too.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum LookupAnswer {
    /// For `signal_type` and `signal`.
    ByBank(ByBank),
    /// For `url`.
    BySignal(BySignal),
}

/// `raw_lookup`'s answer.
#[derive(Serialize, ToSchema)]
pub struct RawLookup {
    matches: Vec<RawMatch>,
}

/// A content id, or with `include_distance=true` a match.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum RawMatch {
    /// The content id.
    Id(u64),
    /// The content id and distance.
    Match(LookupMatch),
}

/// By signal type: `[matched, {distance}]` (no distance for exact types).
#[derive(Serialize, ToSchema)]
#[serde(transparent)]
#[schema(value_type = Object)]
pub struct Compared(BTreeMap<String, (bool, Distance)>);

/// A comparison's distance, for PDQ.
#[derive(Serialize, ToSchema)]
pub struct Distance {
    #[serde(skip_serializing_if = "Option::is_none")]
    distance: Option<u32>,
}

/// The loaded index by signal type.
#[derive(Serialize, ToSchema)]
#[serde(transparent)]
pub struct IndexStatuses(BTreeMap<String, IndexStatus>);

/// One signal type's index on this node.
#[derive(Serialize, ToSchema)]
pub struct IndexStatus {
    present: bool,
    /// Unix time it follows the store to, -1 before it is loaded.
    built_to: i64,
    size: usize,
}

/// Index sizes by signal type.
#[derive(Serialize, ToSchema)]
#[serde(transparent)]
pub struct TypeIndexes(BTreeMap<String, TypeIndex>);

/// One signal type's index, as HMA describes it.
#[derive(Serialize, ToSchema)]
pub struct TypeIndex {
    db_size: usize,
    index_size: usize,
    index_out_of_date: bool,
    newest_db_item: i64,
    index_built_to: i64,
}

/// A signal type this service matches.
#[derive(Serialize, ToSchema)]
pub struct SignalTypeView {
    name: &'static str,
    enabled_ratio: f64,
}

/// A content type this service hashes.
#[derive(Serialize, ToSchema)]
pub struct ContentTypeView {
    name: &'static str,
    enabled: bool,
}

/// Hashes by signal type (empty for a PDQ hash too flat to match).
#[derive(Serialize, ToSchema)]
#[serde(transparent)]
pub struct Hashes(BTreeMap<String, String>);

/// HMA's dialect for a bank name that is taken: 403, where hashwatch's
/// own routes and pages answer the conflict 409.
fn hma_name_taken(e: ApiError) -> ApiError {
    if e.code == "bank_exists" {
        ApiError::new(StatusCode::FORBIDDEN, e.code, e.message)
    } else {
        e
    }
}

/// HMA's bank name rule.
fn hma_bank_name(name: &str) -> ApiResult<()> {
    let mut bytes = name.bytes();
    let ok = bytes
        .next()
        .is_some_and(|b| b.is_ascii_uppercase() || b == b'_')
        && bytes.all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
        && name.len() <= 64;
    if ok {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            "bad_bank_name",
            format!(
                "bank name {name:?} must be UPPER_WITH_UNDERSCORE ([A-Z_][A-Z0-9_]*, at most 64)"
            ),
        ))
    }
}

// Status.

/// `GET /status/live`: the process answers.
#[utoipa::path(
    get,
    path = "/status/live",
    tag = "status",
    responses((status = 200, description = "I-AM-ALIVE", body = String, content_type = "text/html"), (status = "default", description = "an error", body = crate::openapi::ErrorBody)),
    security(())
)]
pub async fn live() -> Html<&'static str> {
    Html("I-AM-ALIVE")
}

/// `GET /status`: 503 until the index is loaded or when it has not synced
/// for a while.
#[utoipa::path(
    get,
    path = "/status",
    tag = "status",
    responses((status = 200, description = "I-AM-ALIVE", body = String, content_type = "text/html"), (status = 503, description = "INDEX-NOT-LOADED or INDEX-STALE", body = String, content_type = "text/html"), (status = "default", description = "an error", body = crate::openapi::ErrorBody))
)]
pub async fn status(State(state): State<AppState>, _caller: Caller) -> Response {
    let view = state.view();
    if view.matcher.is_none() {
        return (StatusCode::SERVICE_UNAVAILABLE, Html("INDEX-NOT-LOADED")).into_response();
    }
    let stale_after = (state.config.follow_interval.as_secs() as i64).max(1) * 50 + 15;
    if unix_now() - view.synced_at > stale_after {
        return (StatusCode::SERVICE_UNAVAILABLE, Html("INDEX-STALE")).into_response();
    }
    Html("I-AM-ALIVE").into_response()
}

// Banks.

/// `GET /c/banks`.
#[utoipa::path(
    get,
    path = "/c/banks",
    tag = "banks",
    responses((status = 200, description = "success", body = [HmaBank]), (status = "default", description = "an error", body = crate::openapi::ErrorBody))
)]
pub async fn list_banks(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<HmaBank>>> {
    let caller = caller.op();
    let banks = state.op(move |ops| Ok(ops.bank_settings(&caller)?)).await?;
    Ok(Json(
        banks
            .iter()
            .map(|b| HmaBank::new(&b.label, &b.settings))
            .collect(),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct BankBody {
    name: Option<String>,
    enabled_ratio: Option<f64>,
    enabled: Option<bool>,
    /// hashwatch: `negative` for a bank of known false positives.
    kind: Option<String>,
}

fn ratio_of(body: &BankBody) -> ApiResult<Option<f64>> {
    let ratio = match (body.enabled_ratio, body.enabled) {
        (Some(r), _) => Some(r),
        (None, Some(e)) => Some(if e { 1.0 } else { 0.0 }),
        (None, None) => None,
    };
    if let Some(r) = ratio {
        if !(0.0..=1.0).contains(&r) {
            return Err(ApiError::bad_request(
                "bad_ratio",
                "enabled_ratio must be between 0 and 1",
            ));
        }
    }
    Ok(ratio)
}

/// `POST /c/banks`.
#[utoipa::path(
    post,
    path = "/c/banks",
    tag = "banks",
    request_body = BankBody,
    responses((status = 201, description = "success", body = HmaBank), (status = "default", description = "an error", body = crate::openapi::ErrorBody))
)]
pub async fn create_bank(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<HmaBank>)> {
    caller.may(BankAction::Curate)?;
    let body: BankBody = json_body(&headers, &body, StatusCode::UNPROCESSABLE_ENTITY)?;
    let Some(name) = body.name.clone() else {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "missing_field",
            "field 'name' is required",
        ));
    };
    hma_bank_name(&name)?;
    let kind = match body.kind.as_deref() {
        None | Some("positive") => BankKind::Positive,
        Some("negative") => BankKind::Negative,
        Some(other) => {
            return Err(ApiError::bad_request(
                "bad_kind",
                format!("kind {other:?} is not 'positive' or 'negative'"),
            ))
        }
    };
    let new = NewBank {
        name,
        kind,
        enabled_ratio: ratio_of(&body)?,
        description: None,
    };
    let caller = caller.op();
    let bank = state
        .op(move |ops| Ok(ops.create_bank(&caller, &new)?))
        .await
        .map_err(hma_name_taken)?;
    Ok((
        StatusCode::CREATED,
        Json(HmaBank::new(&bank.name, &bank.settings)),
    ))
}

/// `GET /c/bank/<name>`.
#[utoipa::path(
    get,
    path = "/c/bank/{name}",
    tag = "banks",
    params(("name" = String, Path, description = "the bank's name")),
    responses((status = 200, description = "success", body = HmaBank), (status = "default", description = "an error", body = crate::openapi::ErrorBody))
)]
pub async fn get_bank(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<Json<HmaBank>> {
    let caller = caller.op();
    let answer = state
        .op(move |ops| {
            let (name, settings) = ops.bank_for(&caller, BankAction::Match, &name)?;
            Ok(HmaBank::new(&ops.bank_label(&caller, &name), &settings))
        })
        .await?;
    Ok(Json(answer))
}

/// `PUT /c/bank/<name>`: rename, enable or set the ratio.
#[utoipa::path(
    put,
    path = "/c/bank/{name}",
    tag = "banks",
    params(("name" = String, Path, description = "the bank's name")),
    request_body = BankBody,
    responses((status = 200, description = "success", body = HmaBank), (status = "default", description = "an error", body = crate::openapi::ErrorBody))
)]
pub async fn update_bank(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<HmaBank>> {
    caller.may(BankAction::Curate)?;
    let body: BankBody = json_body(&headers, &body, StatusCode::UNSUPPORTED_MEDIA_TYPE)?;
    if let Some(new) = &body.name {
        hma_bank_name(new)?;
    }
    let update = BankUpdate {
        rename: body.name.clone(),
        enabled_ratio: ratio_of(&body)?,
    };
    let caller = caller.op();
    let bank = state
        .op(move |ops| Ok(ops.update_bank(&caller, &name, &update)?))
        .await
        .map_err(hma_name_taken)?;
    Ok(Json(HmaBank::new(&bank.name, &bank.settings)))
}

/// `DELETE /c/bank/<name>`: answers `Done` for unknown banks, as HMA does;
/// refuses a bank under legal hold.
#[utoipa::path(
    delete,
    path = "/c/bank/{name}",
    tag = "banks",
    params(("name" = String, Path, description = "the bank's name")),
    responses((status = 200, description = "success", body = Done), (status = "default", description = "an error", body = crate::openapi::ErrorBody))
)]
pub async fn delete_bank(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<Json<Done>> {
    caller.may(BankAction::Curate)?;
    let caller = caller.op();
    state
        .op(move |ops| match ops.delete_bank(&caller, &name) {
            Ok(_) => Ok(()),
            Err(e) if e.kind == OpKind::NotFound && e.code == "bank_not_found" => Ok(()),
            Err(e) => Err(e.into()),
        })
        .await?;
    Ok(Json(Done { message: "Done" }))
}

// Content.

/// Banks a content item through the operations: the first signal's entry
/// is the content id, the others are linked to it.
async fn add_content(
    state: &AppState,
    caller: Caller,
    bank: String,
    signals: Vec<Signal>,
    note: Option<String>,
    metadata: Option<String>,
) -> ApiResult<ContentAdded> {
    let signals_json: Map<String, Value> = signals
        .iter()
        .map(|s| (s.name.clone(), Value::String(s.hex())))
        .collect();
    let new = NewContent {
        bank,
        signals: signals
            .into_iter()
            .map(|s| ContentSignal {
                name: s.name,
                signal_type: s.signal_type,
                value: s.value,
                quality: s.quality,
            })
            .collect(),
        note,
        metadata,
    };
    let caller = caller.op();
    let id = state
        .op(move |ops| Ok(ops.add_content(&caller, &new)?))
        .await?;
    Ok(ContentAdded {
        id,
        signals: signals_json,
    })
}

/// `POST /c/bank/<name>/signal`: JSON `{"<type>": "<hash>", …, "note"}`.
#[utoipa::path(
    post,
    path = "/c/bank/{name}/signal",
    tag = "content",
    params(("name" = String, Path, description = "the bank's name")),
    request_body(content = Object, content_type = "application/json"),
    responses((status = 200, description = "success", body = ContentAdded), (status = "default", description = "an error", body = crate::openapi::ErrorBody))
)]
pub async fn add_signal(
    State(state): State<AppState>,
    caller: Caller,
    Path(bank): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<ContentAdded>> {
    caller.may(BankAction::Curate)?;
    let body: Value = json_body(&headers, &body, StatusCode::UNSUPPORTED_MEDIA_TYPE)?;
    let Value::Object(fields) = body else {
        return Err(ApiError::bad_request(
            "bad_json",
            "send a JSON object: {\"pdq\": \"<hash>\", \"note\": \"…\"}",
        ));
    };
    let mut note = None;
    let mut signals = Vec::new();
    for (key, value) in &fields {
        if key == "note" {
            let text = value.as_str().unwrap_or_default();
            if text.len() > 255 {
                return Err(ApiError::bad_request(
                    "note_too_long",
                    "note is longer than 255 characters",
                ));
            }
            note = Some(text.to_string());
            continue;
        }
        let Some(text) = value.as_str() else {
            return Err(ApiError::bad_request(
                "invalid_signal",
                format!("signal {key:?} must be a string"),
            ));
        };
        signals.push(signals::parse(key, text)?);
    }
    if signals.is_empty() {
        return Err(ApiError::bad_request("no_signals", "no signals given"));
    }
    let answer = add_content(&state, caller, bank, signals, note, None).await?;
    Ok(Json(answer))
}

/// HMA's user metadata of a content item, as its upload form's
/// `metadata` field gives it: only these keys, with these types (`collab`,
/// provenance that only exchanges fill in, is dropped as HMA drops it).
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ContentMetadata {
    /// The uploader's own id for the content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    content_id: Option<String>,
    /// Where the content came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    content_uri: Option<String>,
    /// Anything else the uploader keeps, as a JSON object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    json: Option<Map<String, Value>>,
}

impl ContentMetadata {
    /// The stored form of a `metadata` field: `None` when it says nothing.
    fn parse(text: &str) -> ApiResult<Option<String>> {
        let bad = |why: String| ApiError::bad_request("bad_metadata", why);
        let mut value: Value =
            serde_json::from_str(text).map_err(|e| bad(format!("metadata is not JSON: {e}")))?;
        let Some(object) = value.as_object_mut() else {
            return Err(bad("metadata must be a JSON object".into()));
        };
        object.remove("collab");
        let metadata: ContentMetadata =
            serde_json::from_value(value).map_err(|e| bad(format!("invalid metadata: {e}")))?;
        if metadata.content_id.is_none()
            && metadata.content_uri.is_none()
            && metadata.json.is_none()
        {
            return Ok(None);
        }
        serde_json::to_string(&metadata)
            .map(Some)
            .map_err(ApiError::internal)
    }
}

/// Query parameters.
#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadParams {
    /// hashwatch: which signals to make (`pdq,md5,sha256`).
    types: Option<String>,
    banks: Option<String>,
    seed: Option<String>,
    bypass_coinflip: Option<String>,
}

/// `POST /c/bank/<name>/content`: an uploaded photo or video.
#[utoipa::path(
    post,
    path = "/c/bank/{name}/content",
    tag = "content",
    params(("name" = String, Path, description = "the bank's name"), UploadParams),
    request_body(content = crate::openapi::Upload, content_type = "multipart/form-data"),
    responses((status = 200, description = "success", body = ContentAdded), (status = "default", description = "an error", body = crate::openapi::ErrorBody))
)]
pub async fn add_upload(
    State(state): State<AppState>,
    caller: Caller,
    Path(bank): Path<String>,
    Query(params): Query<UploadParams>,
    multipart: Multipart,
) -> ApiResult<Json<ContentAdded>> {
    caller.may(BankAction::Curate)?;
    let upload = signals::read_upload(multipart).await?;
    let names = signals::wanted(&upload.content_type, params.types.as_deref())?;
    let mut note = None;
    let mut metadata = None;
    for (name, value) in &upload.fields {
        match name.as_str() {
            "note" => note = Some(value.clone()),
            "metadata" => metadata = ContentMetadata::parse(value)?,
            _ => {}
        }
    }
    let limits = state.config.hash_limits;
    let signals = state
        .decode(move |cancel, budget| {
            signals::hash_upload(&upload.bytes, &names, &limits, false, cancel, budget)
        })
        .await?;
    let answer = add_content(&state, caller, bank, signals, note, metadata).await?;
    Ok(Json(answer))
}

/// Query parameters.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ContentParams {
    include_signals: Option<String>,
    include_metadata: Option<String>,
}

fn truthy(v: Option<&str>, default: bool) -> bool {
    v.map_or(default, |v| matches!(v, "true" | "1" | "yes" | "True"))
}

/// HMA spells MD5 `video_md5`.
fn hma_name(t: SignalType) -> &'static str {
    match t {
        SignalType::Md5 => "video_md5",
        other => other.name(),
    }
}

/// `GET /c/bank/<name>/content/<id>`.
#[utoipa::path(
    get,
    path = "/c/bank/{name}/content/{id}",
    tag = "content",
    params(("name" = String, Path, description = "the bank's name"), ("id" = u64, Path, description = "the record's id"), ContentParams),
    responses((status = 200, description = "success", body = ContentView), (status = "default", description = "an error", body = crate::openapi::ErrorBody))
)]
pub async fn get_content(
    State(state): State<AppState>,
    caller: Caller,
    Path((bank, id)): Path<(String, u64)>,
    Query(params): Query<ContentParams>,
) -> ApiResult<Json<ContentView>> {
    let include_signals = truthy(params.include_signals.as_deref(), false);
    let include_metadata = truthy(params.include_metadata.as_deref(), true);
    let caller = caller.op();
    let answer = state
        .op(move |ops| {
            let ContentRead {
                bank,
                settings,
                content,
                entries,
            } = ops.content(&caller, &bank, id)?;
            let signals = include_signals.then(|| {
                entries
                    .iter()
                    .map(|e| {
                        (
                            hma_name(e.signal.signal_type).to_string(),
                            json!(e.value_hex()),
                        )
                    })
                    .collect()
            });
            let metadata = if include_metadata {
                content
                    .metadata
                    .as_deref()
                    .map(serde_json::from_str::<Value>)
                    .transpose()
                    .map_err(ApiError::internal)?
                    .map(|m| ContentMetadataView {
                        content_id: m.get("content_id").cloned(),
                        content_uri: m.get("content_uri").cloned(),
                        json: m.get("json").cloned(),
                        collab: None,
                    })
            } else {
                None
            };
            Ok(ContentView {
                id,
                bank: HmaBank::new(&ops.bank_label(&caller, &bank), &settings),
                disable_until_ts: content.availability.hma(),
                original_media_uri: None,
                signals,
                metadata,
                note: content.note,
            })
        })
        .await?;
    Ok(Json(answer))
}

/// HMA's `disable_until_ts`: an int or a numeric string; 0 disables, 1
/// enables, a Unix time disables until then (at most five years ahead).
fn availability(value: &Value) -> ApiResult<Availability> {
    let n = match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    };
    let Some(n) = n else {
        return Err(ApiError::bad_request(
            "bad_disable_until_ts",
            "disable_until_ts must be an integer: 0 disables, 1 enables, a Unix time disables until then",
        ));
    };
    if n < 0 {
        return Err(ApiError::bad_request(
            "bad_disable_until_ts",
            "disable_until_ts must not be negative",
        ));
    }
    if n > unix_now() + 5 * 365 * 24 * 3600 {
        return Err(ApiError::bad_request(
            "bad_disable_until_ts",
            "disable_until_ts is more than five years ahead",
        ));
    }
    Ok(Availability::from_hma(n))
}

/// `PUT /c/bank/<name>/content/<id>`: disable until a time, set the note.
#[utoipa::path(
    put,
    path = "/c/bank/{name}/content/{id}",
    tag = "content",
    params(("name" = String, Path, description = "the bank's name"), ("id" = u64, Path, description = "the record's id")),
    request_body(content = Object, content_type = "application/json"),
    responses((status = 200, description = "success", body = ContentUpdated), (status = "default", description = "an error", body = crate::openapi::ErrorBody))
)]
pub async fn update_content(
    State(state): State<AppState>,
    caller: Caller,
    Path((bank, id)): Path<(String, u64)>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<ContentUpdated>> {
    let caller = caller.op();
    state.ops.may(&caller, BankAction::Curate)?;
    let body: Value = json_body(&headers, &body, StatusCode::UNSUPPORTED_MEDIA_TYPE)?;
    let availability = body.get("disable_until_ts").map(availability).transpose()?;
    let note = body.get("note").and_then(Value::as_str).map(str::to_string);
    let answer = state
        .op(move |ops| {
            let (bank, settings, content) =
                ops.update_content(&caller, &bank, id, availability, note.as_deref())?;
            let metadata = content
                .metadata
                .as_deref()
                .map(serde_json::from_str::<Value>)
                .transpose()
                .map_err(ApiError::internal)?;
            Ok(ContentUpdated {
                id,
                bank: HmaBank::new(&ops.bank_label(&caller, &bank), &settings),
                disable_until_ts: content.availability.hma(),
                collab_metadata: Map::new(),
                original_media_uri: None,
                user_metadata: metadata,
                note: content.note,
            })
        })
        .await?;
    Ok(Json(answer))
}

/// `DELETE /c/bank/<name>/content/<id>`: only content of that bank.
#[utoipa::path(
    delete,
    path = "/c/bank/{name}/content/{id}",
    tag = "content",
    params(("name" = String, Path, description = "the bank's name"), ("id" = u64, Path, description = "the record's id")),
    responses((status = 200, description = "success", body = Deleted), (status = "default", description = "an error", body = crate::openapi::ErrorBody))
)]
pub async fn delete_content(
    State(state): State<AppState>,
    caller: Caller,
    Path((bank, id)): Path<(String, u64)>,
) -> ApiResult<Json<Deleted>> {
    let caller = caller.op();
    state.ops.may(&caller, BankAction::Curate)?;
    let deleted = state
        .op(move |ops| Ok(u8::from(ops.delete_content(&caller, &bank, id)?)))
        .await?;
    Ok(Json(Deleted { deleted }))
}

// Matching.

/// Query parameters.
#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LookupParams {
    signal_type: Option<String>,
    signal: Option<String>,
    banks: Option<String>,
    seed: Option<String>,
    include_distance: Option<String>,
    url: Option<String>,
    content_type: Option<String>,
    types: Option<String>,
}

/// HMA's coinflip, drawn from `seed` when given (deterministic, though not
/// CPython's sequence), else at random.
fn coinflip(seed: Option<&str>, bypass: bool) -> f64 {
    if bypass {
        return 0.0;
    }
    let mut x: u64 = match seed {
        Some(seed) => seed.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        }),
        None => {
            let mut b = [0u8; 8];
            let _ = getrandom::fill(&mut b);
            u64::from_le_bytes(b)
        }
    };
    // splitmix64's finaliser.
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^= x >> 31;
    (x >> 11) as f64 / (1u64 << 53) as f64
}

/// The stored names of the banks a lookup is limited to.
fn bank_list(caller: &Caller, banks: Option<&str>) -> Option<Vec<String>> {
    banks
        .filter(|b| !b.is_empty())
        .map(|b| b.split(',').map(|n| caller.bank_name(n.trim())).collect())
}

/// Runs a lookup and hands its matches to the action worker.
async fn lookup_and_record(
    state: &AppState,
    caller: &Caller,
    signal: &Signal,
    filter: &BankFilter,
) -> ApiResult<Vec<Hit>> {
    if let Some(q) = signal.quality.filter(|q| *q < QUALITY_FLOOR) {
        return Err(ApiError::bad_request(
            "low_quality",
            format!("invalid PDQ hash: the image's quality is {q}, below {QUALITY_FLOOR}"),
        ));
    }
    let hits = state.lookup(&caller.0, &signal.query(), filter)?;
    // Disabled content (answered by raw lookups only) is never recorded
    // as a match and sets nothing off.
    let live: Vec<Hit> = hits.iter().filter(|h| !h.disabled).cloned().collect();
    if !live.is_empty() {
        state.metrics.matched(&caller.0.tenant, live.len());
        let event = Event::Matched {
            caller: caller.0.clone(),
            query: signal.hex(),
            hits: live,
        };
        // Waits when the worker is behind rather than dropping a record.
        if state.events.send(event).await.is_err() {
            return Err(ApiError::internal("the action worker has stopped"));
        }
    }
    Ok(hits)
}

/// HMA's match object: the distance is a string, `-` for exact types.
fn lookup_match(h: &Hit) -> LookupMatch {
    let distance = match h.signal_type {
        SignalType::Pdq | SignalType::Vpdq => h.distance.to_string(),
        _ => "-".to_string(),
    };
    LookupMatch {
        bank_content_id: h.content_id,
        distance,
        query_match_percent: h.video.map(|v| v.query_match_percent),
        compared_match_percent: h.video.map(|v| v.compared_match_percent),
        timestamp: h.frames.and_then(|f| f.query_timestamp),
        bank_timestamp: h.frames.and_then(|f| f.bank_timestamp),
        view: h.view.map(|v| v.name()),
        derived: h.derived.clone(),
    }
}

fn by_bank(caller: &Caller, hits: &[Hit]) -> ByBank {
    let mut out: BTreeMap<String, Vec<LookupMatch>> = BTreeMap::new();
    for h in hits {
        out.entry(caller.bank_label(&h.bank))
            .or_default()
            .push(lookup_match(h));
    }
    ByBank(out)
}

fn required(params: &LookupParams, status: StatusCode) -> ApiResult<Signal> {
    match (params.signal_type.as_deref(), params.signal.as_deref()) {
        (Some(t), Some(v)) => signals::parse(t, v),
        _ => Err(ApiError::new(
            status,
            "missing_parameter",
            "give signal_type and signal (or url, for a fetch from an allowed host)",
        )),
    }
}

/// `GET /m/lookup?signal_type=&signal=` (or `?url=` for allowed hosts).
#[utoipa::path(
    get,
    path = "/m/lookup",
    tag = "matching",
    params(LookupParams),
    responses((status = 200, description = "success", body = LookupAnswer), (status = "default", description = "an error", body = crate::openapi::ErrorBody))
)]
pub async fn lookup(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<LookupParams>,
) -> ApiResult<Json<LookupAnswer>> {
    // Every key may not match: a lookup records matches, fires webhooks
    // and can flag floods.
    caller.may(BankAction::Match)?;
    let filter = BankFilter {
        only: bank_list(&caller, params.banks.as_deref()),
        coinflip: Some(coinflip(params.seed.as_deref(), false)),
        include_disabled: false,
    };
    if let Some(url) = params.url.as_deref() {
        let content_type = params.content_type.as_deref().unwrap_or("photo");
        let robust = state.view().any_robust();
        let signals =
            crate::fetch::hash_url(&state, url, content_type, params.types.as_deref(), robust)
                .await?;
        let mut out = BTreeMap::new();
        for signal in &signals {
            let hits = lookup_and_record(&state, &caller, signal, &filter).await?;
            out.insert(signal.name.clone(), by_bank(&caller, &hits));
        }
        return Ok(Json(LookupAnswer::BySignal(BySignal(out))));
    }
    let signal = required(&params, StatusCode::BAD_REQUEST)?;
    let hits = lookup_and_record(&state, &caller, &signal, &filter).await?;
    Ok(Json(LookupAnswer::ByBank(by_bank(&caller, &hits))))
}

/// Reads a one-file multipart upload and hashes it off the async threads.
async fn hash_uploaded(
    state: &AppState,
    multipart: Multipart,
    types: Option<&str>,
    frame_views: bool,
) -> ApiResult<Vec<Signal>> {
    let upload = signals::read_upload(multipart).await?;
    let names = signals::wanted(&upload.content_type, types)?;
    let limits = state.config.hash_limits;
    state
        .decode(move |cancel, budget| {
            signals::hash_upload(&upload.bytes, &names, &limits, frame_views, cancel, budget)
        })
        .await
}

/// `POST /m/lookup`: an uploaded photo or video.
#[utoipa::path(
    post,
    path = "/m/lookup",
    tag = "matching",
    params(UploadParams),
    request_body(content = crate::openapi::Upload, content_type = "multipart/form-data"),
    responses((status = 200, description = "success", body = BySignal), (status = "default", description = "an error", body = crate::openapi::ErrorBody))
)]
pub async fn lookup_upload(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<UploadParams>,
    multipart: Multipart,
) -> ApiResult<Json<BySignal>> {
    caller.may(BankAction::Match)?;
    let robust = state.view().any_robust();
    let signals = hash_uploaded(&state, multipart, params.types.as_deref(), robust).await?;
    let filter = BankFilter {
        only: bank_list(&caller, params.banks.as_deref()),
        coinflip: Some(coinflip(
            params.seed.as_deref(),
            truthy(params.bypass_coinflip.as_deref(), false),
        )),
        include_disabled: false,
    };
    let mut out = BTreeMap::new();
    for signal in &signals {
        let hits = lookup_and_record(&state, &caller, signal, &filter).await?;
        out.insert(signal.name.clone(), by_bank(&caller, &hits));
    }
    Ok(Json(BySignal(out)))
}

/// `GET /m/raw_lookup`: content ids, ignoring bank ratios; disabled
/// content is answered as HMA answers it (the index as it is), but no
/// match is recorded and no action runs for it.
#[utoipa::path(
    get,
    path = "/m/raw_lookup",
    tag = "matching",
    params(LookupParams),
    responses((status = 200, description = "success", body = RawLookup), (status = "default", description = "an error", body = crate::openapi::ErrorBody))
)]
pub async fn raw_lookup(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<LookupParams>,
) -> ApiResult<Json<RawLookup>> {
    caller.may(BankAction::Match)?;
    let signal = required(&params, StatusCode::UNPROCESSABLE_ENTITY)?;
    let filter = BankFilter {
        only: bank_list(&caller, params.banks.as_deref()),
        coinflip: None,
        include_disabled: true,
    };
    let hits = lookup_and_record(&state, &caller, &signal, &filter).await?;
    let with_distance = truthy(params.include_distance.as_deref(), false);
    let matches = hits
        .iter()
        .map(|h| {
            if with_distance {
                RawMatch::Match(lookup_match(h))
            } else {
                RawMatch::Id(h.content_id)
            }
        })
        .collect();
    Ok(Json(RawLookup { matches }))
}

/// `POST /m/compare`: `{"<type>": [a, b]}` → `{"<type>": [match, {distance}]}`.
#[utoipa::path(
    post,
    path = "/m/compare",
    tag = "matching",
    request_body(content = Object, content_type = "application/json"),
    responses((status = 200, description = "success", body = Compared), (status = "default", description = "an error", body = crate::openapi::ErrorBody))
)]
pub async fn compare(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Compared>> {
    caller.may(BankAction::Match)?;
    let body: Value = json_body(&headers, &body, StatusCode::UNSUPPORTED_MEDIA_TYPE)?;
    let Value::Object(fields) = body else {
        return Err(ApiError::bad_request(
            "bad_json",
            "send a JSON object: {\"pdq\": [a, b]}",
        ));
    };
    let mut out = BTreeMap::new();
    for (name, pair) in &fields {
        let Some([a, b]) = pair.as_array().map(Vec::as_slice) else {
            return Err(ApiError::bad_request(
                "bad_compare",
                format!("{name} must be a list of exactly two hashes"),
            ));
        };
        let parse = |v: &Value| {
            v.as_str()
                .ok_or_else(|| ApiError::bad_request("invalid_signal", "hashes must be strings"))
                .and_then(|t| signals::parse(name, t))
        };
        let (a, b) = (parse(a)?, parse(b)?);
        let answer = match (a.pdq(), b.pdq()) {
            (Some(x), Some(y)) => {
                let d = x.distance(&y);
                (d <= state.config.threshold, Distance { distance: Some(d) })
            }
            // Exact types have no distance; HMA answers 500 here.
            _ => (a.value == b.value, Distance { distance: None }),
        };
        out.insert(name.clone(), answer);
    }
    Ok(Json(Compared(out)))
}

/// Query parameters.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TypeParam {
    signal_type: Option<String>,
}

fn types_asked(param: Option<&str>) -> ApiResult<Vec<&'static str>> {
    match param {
        Some(t) => {
            signals::signal_type(t)?;
            Ok(signals::TYPE_NAMES
                .into_iter()
                .filter(|n| *n == t)
                .collect())
        }
        None => Ok(signals::TYPE_NAMES.to_vec()),
    }
}

/// `GET /m/index/status`: the index this node has loaded (HMA describes
/// its stored checkpoint instead).
#[utoipa::path(
    get,
    path = "/m/index/status",
    tag = "matching",
    params(TypeParam),
    responses((status = 200, description = "success", body = IndexStatuses), (status = "default", description = "an error", body = crate::openapi::ErrorBody))
)]
pub async fn index_status(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<TypeParam>,
) -> ApiResult<Json<IndexStatuses>> {
    caller.may(BankAction::Match)?;
    let names = types_asked(params.signal_type.as_deref())?;
    let view = state.view();
    // The caller's own figures: of the banks its tenant sees.
    let sizes = view.sizes_for(&caller.0.tenant);
    let mut out = BTreeMap::new();
    for name in names {
        let t = signals::signal_type(name)?;
        let size = sizes.as_ref().and_then(|s| s.get(&t)).copied().unwrap_or(0);
        out.insert(
            name.into(),
            IndexStatus {
                present: sizes.is_some(),
                built_to: if sizes.is_some() { view.synced_at } else { -1 },
                size,
            },
        );
    }
    Ok(Json(IndexStatuses(out)))
}

/// `GET /c/signal_type/index`.
#[utoipa::path(
    get,
    path = "/c/signal_type/index",
    tag = "matching",
    params(TypeParam),
    responses((status = 200, description = "success", body = TypeIndexes), (status = "default", description = "an error", body = crate::openapi::ErrorBody))
)]
pub async fn signal_type_index(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<TypeParam>,
) -> ApiResult<Json<TypeIndexes>> {
    caller.may(BankAction::Match)?;
    let names = types_asked(params.signal_type.as_deref())?;
    let view = state.view();
    // The caller's own figures: of the banks its tenant sees.
    let sizes = view.sizes_for(&caller.0.tenant).unwrap_or_default();
    let mut out = BTreeMap::new();
    for name in names {
        let t = signals::signal_type(name)?;
        let size = sizes.get(&t).copied().unwrap_or(0);
        out.insert(
            name.into(),
            TypeIndex {
                db_size: size,
                index_size: size,
                index_out_of_date: false,
                newest_db_item: view.synced_at,
                index_built_to: view.synced_at,
            },
        );
    }
    Ok(Json(TypeIndexes(out)))
}

/// `GET /c/signal_type`.
#[utoipa::path(
    get,
    path = "/c/signal_type",
    tag = "matching",
    responses((status = 200, description = "success", body = [SignalTypeView]), (status = "default", description = "an error", body = crate::openapi::ErrorBody))
)]
pub async fn signal_types(_caller: Caller) -> Json<Vec<SignalTypeView>> {
    Json(
        signals::TYPE_NAMES
            .iter()
            .map(|name| SignalTypeView {
                name,
                enabled_ratio: 1.0,
            })
            .collect(),
    )
}

/// `GET /c/content_type`.
#[utoipa::path(
    get,
    path = "/c/content_type",
    tag = "matching",
    responses((status = 200, description = "success", body = [ContentTypeView]), (status = "default", description = "an error", body = crate::openapi::ErrorBody))
)]
pub async fn content_types(_caller: Caller) -> Json<Vec<ContentTypeView>> {
    Json(
        ["photo", "video"]
            .into_iter()
            .map(|name| ContentTypeView {
                name,
                enabled: true,
            })
            .collect(),
    )
}

// Hashing.

/// `POST /h/hash`: `{"pdq": hex}` (empty when quality < 50) or
/// `{"video_md5": hex}`.
#[utoipa::path(
    post,
    path = "/h/hash",
    tag = "hashing",
    params(UploadParams),
    request_body(content = crate::openapi::Upload, content_type = "multipart/form-data"),
    responses((status = 200, description = "success", body = Hashes), (status = "default", description = "an error", body = crate::openapi::ErrorBody))
)]
pub async fn hash_upload(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<UploadParams>,
    multipart: Multipart,
) -> ApiResult<Json<Hashes>> {
    caller.may(BankAction::Match)?;
    let signals = hash_uploaded(&state, multipart, params.types.as_deref(), false).await?;
    Ok(Json(hash_answer(&signals)))
}

/// HMA's hash answer.
pub fn hash_answer(signals: &[Signal]) -> Hashes {
    Hashes(
        signals
            .iter()
            .map(|s| {
                let hex = match s.quality {
                    Some(q) if q < QUALITY_FLOOR => String::new(),
                    _ => s.hex(),
                };
                (s.name.clone(), hex)
            })
            .collect(),
    )
}

/// `GET /h/hash?url=`: fetches from an allowed host, then hashes.
#[utoipa::path(
    get,
    path = "/h/hash",
    tag = "hashing",
    params(LookupParams),
    responses((status = 200, description = "success", body = Hashes), (status = "default", description = "an error", body = crate::openapi::ErrorBody))
)]
pub async fn hash_url(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<LookupParams>,
) -> ApiResult<Json<Hashes>> {
    caller.may(BankAction::Match)?;
    let Some(url) = params.url.as_deref() else {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "missing_parameter",
            "give url (and content_type photo or video)",
        ));
    };
    let content_type = params.content_type.as_deref().unwrap_or("photo");
    let signals =
        crate::fetch::hash_url(&state, url, content_type, params.types.as_deref(), false).await?;
    Ok(Json(hash_answer(&signals)))
}
