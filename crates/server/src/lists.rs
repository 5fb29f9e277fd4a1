//! Hash lists through the API: many signals in one request, a whole
//! list in any format `hashwatch bank import` reads, and exports.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use hashwatch_access::BankAction;
use hashwatch_model::{ImportSummary, NewEntry};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::request::json_body;
use crate::signals;
use crate::state::AppState;
use hashwatch_operations::banks::{Import, ImportKind};

#[derive(Deserialize, utoipa::ToSchema)]
struct BulkSignal {
    signal_type: String,
    signal: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
struct BulkBody {
    signals: Vec<BulkSignal>,
    category: Option<String>,
    source: Option<String>,
}

/// What a bulk add did.
#[derive(Serialize, ToSchema)]
pub struct Added {
    added: u64,
    already_present: u64,
    /// The bank's version after the change.
    version: i64,
}

/// What a list import did.
#[derive(Serialize, ToSchema)]
pub struct Imported {
    /// The format the list was read as.
    pub format: String,
    /// Entries added.
    pub added: u64,
    /// Entries the bank had already.
    pub already_present: u64,
    /// Repeated rows skipped (with `skip_duplicates=true`).
    pub skipped_duplicates: usize,
    /// Rows whose hash an earlier row of another item had (each kept).
    pub shared_rows: usize,
    /// The bank's version after the import.
    pub version: i64,
}

/// `POST /c/bank/<name>/signals`: many signals in one transaction. Every
/// signal is checked first; one bad signal refuses the whole request, and
/// an answered request is durable.
#[utoipa::path(
    post,
    path = "/c/bank/{name}/signals",
    tag = "banks",
    params(("name" = String, Path, description = "the bank's name")),
    request_body = BulkBody,
    responses((status = 200, description = "success", body = Added), (status = "default", description = "an error", body = crate::openapi::ErrorBody))
)]
pub async fn bulk_add(
    State(state): State<AppState>,
    caller: Caller,
    Path(bank): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Added>> {
    caller.may(BankAction::Curate)?;
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
    let origin = format!("api:{}", caller.0.name);
    let caller = caller.op();
    let (_, summary) = state
        .op(move |ops| {
            let import = Import {
                bank: &bank,
                entries: &entries,
                origin: &origin,
                kind: ImportKind::Signals,
                detail: &|s| {
                    json!({"added": s.added, "already_present": s.already_present, "version": s.version})
                },
            };
            Ok(ops.import(&caller, import, &mut |_| {})?)
        })
        .await?;
    Ok(Json(Added {
        added: summary.added,
        already_present: summary.already_present,
        version: summary.version,
    }))
}

/// Query parameters of a list import.
#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// Skip repeated rows instead of refusing the list.
    pub skip_duplicates: Option<bool>,
    /// The category every entry gets.
    pub category: Option<String>,
    /// Where the list came from (default: the uploader).
    pub source: Option<String>,
    /// The signal type of a plain list.
    pub signal_type: Option<String>,
    /// The column of a TSV or CSV that holds the hashes.
    pub column: Option<String>,
}

/// `POST /c/bank/<name>/import`: a hash list as the body, in any format
/// `hashwatch bank import` reads (VICS, ICSE, pytx, plain, TSV). The whole
/// list is checked first; a bad record answers 400 with its line and
/// nothing is imported.
#[utoipa::path(
    post,
    path = "/c/bank/{name}/import",
    tag = "banks",
    params(("name" = String, Path, description = "the bank's name"), ImportParams),
    request_body(content = String, content_type = "text/plain", description = "a hash list in any format `bank import` reads"),
    responses((status = 200, description = "success", body = Imported), (status = "default", description = "an error", body = crate::openapi::ErrorBody))
)]
pub async fn import_list(
    State(state): State<AppState>,
    caller: Caller,
    Path(bank): Path<String>,
    Query(params): Query<ImportParams>,
    body: Bytes,
) -> ApiResult<Json<Imported>> {
    import_bytes(&state, caller, bank, params, body)
        .await
        .map(Json)
}

/// Imports a hash list (any format `bank import` reads) into the bank the
/// caller calls `bank`: checked whole first, then one transaction with
/// its audit row. The JSON route and the web interface both call this.
pub async fn import_bytes(
    state: &AppState,
    caller: Caller,
    bank: String,
    params: ImportParams,
    body: Bytes,
) -> ApiResult<Imported> {
    caller.may(BankAction::Curate)?;
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
    let origin = format!("api:{}", caller.0.name);
    let caller = caller.op();
    let answer = state
        .op(move |ops| {
            // Who may change the bank is settled before the list is read.
            ops.bank_for(&caller, BankAction::Curate, &bank)?;
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
            let format = format!("{:?}", list.format).to_ascii_lowercase();
            let imported = |summary: &ImportSummary| Imported {
                format: format.clone(),
                added: summary.added,
                already_present: summary.already_present,
                skipped_duplicates: list.skipped_duplicates,
                shared_rows: list.shared_rows,
                version: summary.version,
            };
            let import = Import {
                bank: &bank,
                entries: &list.entries,
                origin: &origin,
                kind: ImportKind::List,
                detail: &|s| serde_json::to_value(imported(s)).unwrap_or(Value::Null),
            };
            let (_, summary) = ops.import(&caller, import, &mut |_| {})?;
            Ok(imported(&summary))
        })
        .await?;
    Ok(answer)
}

/// Query parameters of an export.
#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    format: Option<String>,
}

/// `GET /c/bank/<name>/export?format=tsv|vics|icse|pytx|plain`.
#[utoipa::path(
    get,
    path = "/c/bank/{name}/export",
    tag = "banks",
    params(("name" = String, Path, description = "the bank's name"), ExportParams),
    responses((status = 200, description = "success", body = String, content_type = "text/plain"), (status = "default", description = "an error", body = crate::openapi::ErrorBody))
)]
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
    // Who may read the bank is settled before the first byte goes out.
    let caller = caller.op();
    let given = bank.clone();
    let asker = caller.clone();
    state
        .op(move |ops| Ok(ops.bank_for(&asker, BankAction::Read, &given)?))
        .await?;
    // The export is written as it is read and sent as it is written: a
    // TSV export never holds the bank in memory (the item formats group
    // entries, so they read the bank first), and a client that goes away
    // stops it.
    let (sender, receiver) = tokio::sync::mpsc::channel(8);
    let ops = state.ops.clone();
    tokio::task::spawn_blocking(move || {
        let mut out = ChunkWriter::new(sender);
        let written = match format {
            ExportFormat::Tsv => {
                let mut result = hashwatch_exchange::write_export_header(&mut out);
                ops.entries(&caller, &bank, false, &mut |e| {
                    if result.is_ok() {
                        result = hashwatch_exchange::write_export_row(&mut out, &e);
                    }
                })
                .map_err(std::io::Error::other)
                .and(result)
            }
            _ => {
                let mut entries = Vec::new();
                ops.entries(&caller, &bank, false, &mut |e| entries.push(e))
                    .map_err(std::io::Error::other)
                    .and_then(|()| hashwatch_exchange::write_list(&mut out, format, &entries))
            }
        };
        match written.and_then(|()| std::io::Write::flush(&mut out)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
            Err(e) => {
                tracing::error!(bank = %bank, error = %e, "export failed part way");
                // The client sees the body end in an error, not a short list.
                let _ = out.sender.blocking_send(Err(e));
            }
        }
    });
    let mut receiver = receiver;
    let body = axum::body::Body::from_stream(futures_util::stream::poll_fn(move |cx| {
        receiver.poll_recv(cx)
    }));
    Ok(([(axum::http::header::CONTENT_TYPE, content_type)], body).into_response())
}

/// Writes into the response body a chunk at a time.
struct ChunkWriter {
    sender: tokio::sync::mpsc::Sender<std::io::Result<axum::body::Bytes>>,
    buffer: Vec<u8>,
}

const EXPORT_CHUNK: usize = 64 << 10;

impl ChunkWriter {
    fn new(sender: tokio::sync::mpsc::Sender<std::io::Result<axum::body::Bytes>>) -> ChunkWriter {
        ChunkWriter {
            sender,
            buffer: Vec::with_capacity(EXPORT_CHUNK),
        }
    }

    fn send(&mut self) -> std::io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buffer, Vec::with_capacity(EXPORT_CHUNK));
        self.sender
            .blocking_send(Ok(chunk.into()))
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::BrokenPipe))
    }
}

impl std::io::Write for ChunkWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() >= EXPORT_CHUNK {
            self.send()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send()
    }
}
