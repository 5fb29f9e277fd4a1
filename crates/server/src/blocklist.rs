//! The signed blocklist for ISPs and filtering companies: every listed URL
//! (or its SHA-256), and the changes since a sequence number.

use axum::extract::{Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use hashwatch_store::{hotline, BlockChange, Role};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Prefixed to a blocklist body before signing.
pub const BLOCKLIST_CONTEXT: &[u8] = b"hashwatch-blocklist-v1\0";

/// `?format=`.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BlocklistQuery {
    /// `plain` (default), `json` or `sha256`.
    format: Option<String>,
}

/// `?since=&format=`.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeltaQuery {
    /// The sequence number to start after (0: from the beginning).
    since: Option<i64>,
    /// `plain` (default), `json` or `sha256`.
    format: Option<String>,
}

pub(crate) fn signed(
    state: &AppState,
    seq: i64,
    context: &[u8],
    content_type: &str,
    body: String,
) -> ApiResult<Response> {
    let Some(key) = state.config.feed_key.as_ref() else {
        return Err(ApiError::not_found(
            "no_signing_key",
            "this instance signs nothing: start it with --feed-key",
        ));
    };
    let signature = key.sign_detached(context, body.as_bytes());
    let mut response = ([(header::CONTENT_TYPE, content_type.to_string())], body).into_response();
    let headers = response.headers_mut();
    for (name, value) in [
        ("x-hashwatch-signature", signature),
        ("x-hashwatch-key", key.public_key().to_string()),
        ("x-hashwatch-seq", seq.to_string()),
    ] {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(name, v);
        }
    }
    Ok(response)
}

fn line_of(format: &str, c: &BlockChange) -> String {
    if format == "sha256" {
        c.url_sha256.clone()
    } else {
        c.url.clone()
    }
}

fn list_format(format: Option<&str>) -> ApiResult<String> {
    let format = format.unwrap_or("plain").to_string();
    if !matches!(format.as_str(), "plain" | "json" | "sha256") {
        return Err(ApiError::bad_request(
            "bad_format",
            "format must be plain, json or sha256",
        ));
    }
    Ok(format)
}

/// `GET /blocklist?format=plain|json|sha256`: every listed URL (or its
/// SHA-256), signed with the instance's key (`X-Hashwatch-Signature` over
/// the body; `X-Hashwatch-Seq` to ask for the delta from).
#[utoipa::path(
    get,
    path = "/blocklist",
    tag = "blocklist",
    params(BlocklistQuery),
    responses((status = 200, description = "success: plain text or JSON, by `format`", body = String), (status = "default", description = "an error", body = crate::openapi::ErrorBody))
)]
pub async fn blocklist(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<BlocklistQuery>,
) -> ApiResult<Response> {
    caller.require(Role::Matcher)?;
    let format = list_format(query.format.as_deref())?;
    let (seq, list) = state
        .db(|s| Ok(hotline(s.store.as_ref()).blocklist()?))
        .await?;
    if format == "json" {
        let urls: Vec<Value> = list
            .iter()
            .map(|c| json!({"url": c.url, "sha256": c.url_sha256}))
            .collect();
        return signed(
            &state,
            seq,
            BLOCKLIST_CONTEXT,
            "application/json",
            json!({"seq": seq, "urls": urls}).to_string(),
        );
    }
    let body: String = list.iter().map(|c| line_of(&format, c) + "\n").collect();
    signed(
        &state,
        seq,
        BLOCKLIST_CONTEXT,
        "text/plain; charset=utf-8",
        body,
    )
}

/// `GET /blocklist/delta?since=SEQ&format=`: additions and removals since
/// a sequence number (`+URL` / `-URL` lines, or JSON), signed.
#[utoipa::path(
    get,
    path = "/blocklist/delta",
    tag = "blocklist",
    params(DeltaQuery),
    responses((status = 200, description = "success: plain text or JSON, by `format`", body = String), (status = "default", description = "an error", body = crate::openapi::ErrorBody))
)]
pub async fn blocklist_delta(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<DeltaQuery>,
) -> ApiResult<Response> {
    caller.require(Role::Matcher)?;
    let format = list_format(query.format.as_deref())?;
    let since = query.since.unwrap_or(0);
    let changes = state
        .db(move |s| Ok(hotline(s.store.as_ref()).blocklist_changes(since)?))
        .await?;
    let seq = changes.last().map_or(since, |c| c.seq);
    if format == "json" {
        let pick = |op: &str| -> Vec<Value> {
            changes
                .iter()
                .filter(|c| c.op == op)
                .map(|c| json!({"url": c.url, "sha256": c.url_sha256, "seq": c.seq}))
                .collect()
        };
        let body =
            json!({"since": since, "seq": seq, "added": pick("add"), "removed": pick("remove")});
        return signed(
            &state,
            seq,
            BLOCKLIST_CONTEXT,
            "application/json",
            body.to_string(),
        );
    }
    let body: String = changes
        .iter()
        .map(|c| {
            format!(
                "{}{}\n",
                if c.op == "add" { '+' } else { '-' },
                line_of(&format, c)
            )
        })
        .collect();
    signed(
        &state,
        seq,
        BLOCKLIST_CONTEXT,
        "text/plain; charset=utf-8",
        body,
    )
}
