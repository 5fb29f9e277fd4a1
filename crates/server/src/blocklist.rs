//! The signed blocklist for ISPs and filtering companies: every listed URL
//! (or its SHA-256), and the changes since a sequence number.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use hashwatch_access::UrlForm;
use hashwatch_model::BlockChange;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub use hashwatch_feed::{blocklist_context, BLOCKLIST_CONTEXT};

/// `?format=`.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BlocklistQuery {
    /// `sha256`, `plain` or `json`. `plain` needs the `blocklist-urls`
    /// role, and is its keys' default; `sha256` is everyone else's.
    format: Option<String>,
}

/// `?since=&format=`.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeltaQuery {
    /// The sequence number to start after (0: from the beginning).
    since: Option<i64>,
    /// `sha256`, `plain` or `json`, as for the whole list.
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

/// How the list is written, as the key may see it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ListFormat {
    /// One URL a line.
    Plain,
    /// One SHA-256 a line.
    Sha256,
    /// JSON, with URLs only for keys granted them.
    Json(UrlForm),
}

impl ListFormat {
    fn line_of(self, c: &BlockChange) -> String {
        match self {
            ListFormat::Plain => c.url.clone(),
            _ => c.url_sha256.clone(),
        }
    }

    fn json_of(self, c: &BlockChange) -> Value {
        match self {
            ListFormat::Json(UrlForm::Plain) => json!({"url": c.url, "sha256": c.url_sha256}),
            _ => json!({"sha256": c.url_sha256}),
        }
    }
}

/// The format asked for, if the key may see it: plain-text URLs only to
/// keys granted `blocklist-urls`.
fn list_format(state: &AppState, caller: &Caller, format: Option<&str>) -> ApiResult<ListFormat> {
    let form = state.ops.blocklist_form(&caller.op())?;
    let format = match (format, form) {
        (None, UrlForm::Plain) | (Some("plain"), _) => ListFormat::Plain,
        (None, UrlForm::Sha256) | (Some("sha256"), _) => ListFormat::Sha256,
        (Some("json"), form) => ListFormat::Json(form),
        _ => {
            return Err(ApiError::bad_request(
                "bad_format",
                "format must be plain, json or sha256",
            ))
        }
    };
    if format == ListFormat::Plain && form != UrlForm::Plain {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "plain-text URLs need a key with the blocklist-urls role; ask for format=sha256",
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
    let format = list_format(&state, &caller, query.format.as_deref())?;
    let caller = caller.op();
    let (seq, list) = state.op(move |ops| Ok(ops.blocklist(&caller)?)).await?;
    if let ListFormat::Json(_) = format {
        let urls: Vec<Value> = list.iter().map(|c| format.json_of(c)).collect();
        return signed(
            &state,
            seq,
            &blocklist_context(None, seq),
            "application/json",
            json!({"seq": seq, "urls": urls}).to_string(),
        );
    }
    let body: String = list.iter().map(|c| format.line_of(c) + "\n").collect();
    signed(
        &state,
        seq,
        &blocklist_context(None, seq),
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
    let format = list_format(&state, &caller, query.format.as_deref())?;
    let since = query.since.unwrap_or(0);
    let caller = caller.op();
    let changes = state
        .op(move |ops| Ok(ops.blocklist_changes(&caller, since)?))
        .await?;
    let seq = changes.last().map_or(since, |c| c.seq);
    if let ListFormat::Json(_) = format {
        let pick = |op: &str| -> Vec<Value> {
            changes
                .iter()
                .filter(|c| c.op == op)
                .map(|c| {
                    let mut entry = format.json_of(c);
                    entry["seq"] = json!(c.seq);
                    entry
                })
                .collect()
        };
        let body =
            json!({"since": since, "seq": seq, "added": pick("add"), "removed": pick("remove")});
        return signed(
            &state,
            seq,
            &blocklist_context(Some(since), seq),
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
                format.line_of(c)
            )
        })
        .collect();
    signed(
        &state,
        seq,
        &blocklist_context(Some(since), seq),
        "text/plain; charset=utf-8",
        body,
    )
}
