//! The hotline over HTTP: public and partner reports, triage, hashes on
//! cases, appeals, removal statistics and the signed blocklist. The
//! takedown loop (attribution, notices, re-checks) is [`takedowns`].

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use hashwatch_hotline::{canonical_url, notice_text, percentile, Notice};
use hashwatch_store::{
    hotline, unix_now, ApiKey, BlockChange, Case, CaseState, NewAudit, NewEntry, NewReport, Role,
    Verdict, DEFAULT_TENANT,
};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::{self, Caller};
use crate::error::{ApiError, ApiResult};
use crate::request::json_body;
use crate::signals;
use crate::state::{AppState, BankFilter};

/// Largest report or appeal body.
const MAX_REPORT_BYTES: usize = 16 << 10;

/// Prefixed to a blocklist body before signing.
pub const BLOCKLIST_CONTEXT: &[u8] = b"hashwatch-blocklist-v1\0";

fn case_json(c: &Case) -> Value {
    json!({
        "id": c.id, "url": c.url, "url_sha256": c.url_sha256, "host": c.host, "state": c.state.name(),
        "verdict": c.verdict, "category": c.category, "first_verdict": c.first_verdict,
        "confirmed_at": c.confirmed_at, "provider": c.provider, "abuse": c.abuse,
        "jurisdiction": c.jurisdiction, "ip": c.ip, "notices": c.notices,
        "first_notice_at": c.first_notice_at, "last_notice_at": c.last_notice_at,
        "last_check_at": c.last_check_at, "last_check": c.last_check,
        "removed_at": c.removed_at, "reports": c.reports, "created_at": c.created_at,
    })
}

/// A token bucket per client address for the routes open to the public:
/// `report_rate` a minute, in bursts of the same size.
fn public_rate_limit(state: &AppState, address: IpAddr) -> ApiResult<()> {
    let per_minute = f64::from(state.config.report_rate);
    if per_minute <= 0.0 {
        return Ok(());
    }
    if auth::take_token(
        &state.report_buckets,
        address,
        per_minute,
        per_minute / 60.0,
    ) {
        return Ok(());
    }
    state.metrics.rate_limited();
    let mut e = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        format!(
            "this address may send {} reports a minute; try again later",
            state.config.report_rate
        ),
    );
    e.retry_after = Some(60);
    Err(e)
}

/// A public body: small, JSON, rate-limited by address unless a key came.
async fn public_body<T: serde::de::DeserializeOwned>(
    state: &AppState,
    address: SocketAddr,
    headers: &HeaderMap,
    body: &Bytes,
) -> ApiResult<(Option<ApiKey>, T)> {
    let caller = auth::optional_caller(state, headers).await?;
    if caller.is_none() {
        public_rate_limit(state, address.ip())?;
    }
    if body.len() > MAX_REPORT_BYTES {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("a report is at most {MAX_REPORT_BYTES} bytes"),
        ));
    }
    let parsed = json_body(headers, body, StatusCode::UNSUPPORTED_MEDIA_TYPE)?;
    Ok((caller, parsed))
}

fn system_audit(action: &str, target: String, detail: Value) -> NewAudit {
    NewAudit {
        tenant: DEFAULT_TENANT.into(),
        key_id: None,
        actor: "hotline".into(),
        action: action.into(),
        bank: None,
        target: Some(target),
        detail: Some(detail.to_string()),
    }
}

#[derive(Deserialize)]
struct ReportBody {
    url: String,
    description: Option<String>,
    contact: Option<String>,
}

/// `POST /hotline/reports`: a URL reported by the public (no key; limited
/// per address) or by a partner hotline (with a key). A URL reported before
/// is linked to its case and not queued again. The reporter's contact is
/// stored apart and never audited, exported or listed.
pub async fn report(
    State(state): State<AppState>,
    ConnectInfo(address): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let (caller, body): (_, ReportBody) = public_body(&state, address, &headers, &body).await?;
    let url = canonical_url(&body.url).map_err(|m| ApiError::bad_request("bad_url", m))?;
    let source = caller
        .as_ref()
        .map_or_else(|| "public".to_string(), |k| format!("partner:{}", k.name));
    let partner = caller.is_some();
    let intake = state
        .db(move |s| {
            let intake = hotline(s.store.as_ref()).report(&NewReport {
                url: url.url.clone(),
                url_sha256: url.sha256.clone(),
                host: url.host.clone(),
                source: source.clone(),
                description: body.description.clone(),
                contact: body.contact.clone(),
            })?;
            s.records().audit(&[NewAudit {
                tenant: caller.as_ref().map_or(DEFAULT_TENANT.into(), |k| k.tenant.clone()),
                key_id: caller.as_ref().map(|k| k.id),
                actor: caller.as_ref().map_or("public".into(), |k| k.name.clone()),
                action: "hotline.report".into(),
                bank: None,
                target: Some(format!("case:{}", intake.case.id)),
                detail: Some(
                    json!({"report": intake.report_id, "duplicate": intake.duplicate, "source": source})
                        .to_string(),
                ),
            }])?;
            Ok(intake)
        })
        .await?;
    let mut answer = json!({ "report_id": intake.report_id });
    if partner {
        answer["case_id"] = json!(intake.case.id);
        answer["duplicate"] = json!(intake.duplicate);
        answer["state"] = json!(intake.case.state.name());
    }
    Ok((StatusCode::CREATED, Json(answer)))
}

/// `GET /hotline/queue`: what the caller should assess next. Assessed
/// cases never come back; ones awaiting a second assessment go to other
/// supervisors.
pub async fn queue(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Value>> {
    caller.require(Role::Analyst)?;
    let supervisor = caller.0.role >= Role::Supervisor;
    let cases = state
        .db(move |s| Ok(hotline(s.store.as_ref()).queue(caller.0.id, supervisor, 100)?))
        .await?;
    Ok(Json(
        json!({ "cases": cases.iter().map(case_json).collect::<Vec<_>>() }),
    ))
}

/// `GET /hotline/cases/<id>`: a case with its hashes.
pub async fn case(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    caller.require(Role::Analyst)?;
    let (case, hashes) = state
        .db(move |s| {
            let h = hotline(s.store.as_ref());
            Ok((h.case(id)?, h.hashes(id)?))
        })
        .await?;
    let mut answer = case_json(&case);
    answer["hashes"] = hashes
        .iter()
        .map(|h| json!({"signal_type": h.signal_type, "value": h.value, "added_by": h.added_by}))
        .collect();
    Ok(Json(answer))
}

#[derive(Deserialize)]
struct AssessBody {
    verdict: String,
    category: Option<String>,
}

/// `POST /hotline/cases/<id>/assess`: `{verdict: illegal|not_illegal|
/// unreachable, category?}`. With four eyes (the default), an illegal
/// verdict is listed only after a supervisor's second assessment.
pub async fn assess(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    caller.require(Role::Analyst)?;
    let body: AssessBody = json_body(&headers, &body, StatusCode::UNSUPPORTED_MEDIA_TYPE)?;
    let verdict = Verdict::parse(&body.verdict).ok_or_else(|| {
        ApiError::bad_request(
            "bad_verdict",
            "verdict must be illegal, not_illegal or unreachable",
        )
    })?;
    let four_eyes = state.config.four_eyes;
    let (case, listed) = state
        .db(move |s| {
            let key = &caller.0;
            let (case, listed) = hotline(s.store.as_ref()).assess(
                id,
                key.id,
                key.role >= Role::Supervisor,
                verdict,
                body.category.as_deref(),
                four_eyes,
            )?;
            s.audit(
                key,
                "hotline.assess",
                None,
                Some(format!("case:{id}")),
                json!({"verdict": verdict.name(), "category": body.category, "state": case.state.name()}),
            )?;
            if listed {
                s.audit(
                    key,
                    "blocklist.add",
                    None,
                    Some(format!("case:{id}")),
                    json!({}),
                )?;
            }
            Ok((case, listed))
        })
        .await?;
    if listed {
        // The first notice goes now, not at the next round.
        let s = state.clone();
        tokio::spawn(async move { takedown(&s, case.id).await });
    }
    Ok(Json(json!({ "case": case_json(&case), "listed": listed })))
}

#[derive(Deserialize)]
struct HashesBody {
    hashes: Vec<HashBody>,
}

#[derive(Deserialize)]
struct HashBody {
    signal_type: String,
    value: String,
}

/// `POST /hotline/cases/<id>/hashes`: hashes an analyst made on their own
/// machine (`hashwatch hash`), attached to the case; answers with what
/// they match in the banks the caller sees.
pub async fn attach_hashes(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    caller.require(Role::Analyst)?;
    let body: HashesBody = json_body(&headers, &body, StatusCode::UNSUPPORTED_MEDIA_TYPE)?;
    let mut parsed = Vec::with_capacity(body.hashes.len());
    for h in &body.hashes {
        parsed.push(signals::parse(&h.signal_type, &h.value)?);
    }
    let mut matches = Vec::new();
    for signal in &parsed {
        let hits = state.lookup(&caller.0, &signal.query(), &BankFilter::default())?;
        for hit in hits {
            matches.push(json!({
                "signal_type": signal.signal_type.name(),
                "value": signal.signal_type.format_value(&signal.value),
                "bank": hit.bank, "entry_id": hit.entry_id, "distance": hit.distance,
            }));
        }
    }
    let count = parsed.len();
    state
        .db(move |s| {
            let h = hotline(s.store.as_ref());
            for signal in &parsed {
                let value = signal.signal_type.format_value(&signal.value);
                h.attach_hash(id, signal.signal_type.name(), &value, &caller.0.name)?;
            }
            s.audit(
                &caller.0,
                "hotline.hashes",
                None,
                Some(format!("case:{id}")),
                json!({ "hashes": count }),
            )
        })
        .await?;
    Ok(Json(json!({ "attached": count, "matches": matches })))
}

#[derive(Deserialize)]
struct ToBankBody {
    bank: String,
}

/// `POST /hotline/cases/<id>/bank`: puts a confirmed illegal case's hashes
/// into a bank in one step.
pub async fn hashes_to_bank(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    caller.require(Role::Supervisor)?;
    let body: ToBankBody = json_body(&headers, &body, StatusCode::UNSUPPORTED_MEDIA_TYPE)?;
    let summary = state
        .db(move |s| {
            let h = hotline(s.store.as_ref());
            let case = h.case(id)?;
            if case.verdict.as_deref() != Some("illegal") {
                return Err(ApiError::bad_request(
                    "not_confirmed",
                    format!("case {id} is not confirmed illegal"),
                ));
            }
            s.owned_bank(&caller.0, &body.bank)?;
            let mut entries = Vec::new();
            for hash in h.hashes(id)? {
                let signal = signals::parse(&hash.signal_type, &hash.value)?;
                entries.push(NewEntry {
                    category: case.category.clone(),
                    source: Some(format!("hotline case {id}")),
                    ..NewEntry::new(signal.signal_type, signal.value)
                });
            }
            if entries.is_empty() {
                return Err(ApiError::bad_request("no_hashes", "the case has no hashes"));
            }
            let origin = format!("hotline:{id}");
            let summary = s
                .store
                .import(&body.bank, &entries, Some(&origin), &mut |_| {})?;
            s.audit(
                &caller.0,
                "hotline.to_bank",
                Some(&body.bank),
                Some(format!("case:{id}")),
                json!({"added": summary.added}),
            )?;
            Ok(summary)
        })
        .await?;
    Ok(Json(
        json!({ "added": summary.added, "already_present": summary.already_present }),
    ))
}

#[derive(Deserialize)]
struct AppealBody {
    url: String,
    reason: String,
}

/// `POST /hotline/appeals`: a site owner appeals a listed URL (public,
/// limited per address).
pub async fn appeal(
    State(state): State<AppState>,
    ConnectInfo(address): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let (_, body): (_, AppealBody) = public_body(&state, address, &headers, &body).await?;
    let url = canonical_url(&body.url).map_err(|m| ApiError::bad_request("bad_url", m))?;
    let appeal = state
        .db(move |s| {
            let appeal = hotline(s.store.as_ref()).appeal(&url.url, &body.reason)?;
            s.records().audit(&[system_audit(
                "hotline.appeal",
                format!("case:{}", appeal.case_id),
                json!({"appeal": appeal.id}),
            )])?;
            Ok(appeal)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(json!({ "appeal_id": appeal.id }))))
}

/// `GET /hotline/appeals`: appeals, newest first.
pub async fn appeals(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Value>> {
    caller.require(Role::Supervisor)?;
    let list = state
        .db(|s| Ok(hotline(s.store.as_ref()).appeals()?))
        .await?;
    let list: Vec<Value> = list
        .iter()
        .map(|a| {
            json!({"id": a.id, "case_id": a.case_id, "at": a.at, "reason": a.reason,
                        "state": a.state, "decided_by": a.decided_by})
        })
        .collect();
    Ok(Json(json!({ "appeals": list })))
}

#[derive(Deserialize)]
struct DecisionBody {
    decision: String,
}

/// `POST /hotline/appeals/<id>`: `{decision: upheld|rejected}`; upheld
/// takes the URL off the blocklist.
pub async fn decide_appeal(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    caller.require(Role::Supervisor)?;
    let body: DecisionBody = json_body(&headers, &body, StatusCode::UNSUPPORTED_MEDIA_TYPE)?;
    let upheld = match body.decision.as_str() {
        "upheld" => true,
        "rejected" => false,
        _ => {
            return Err(ApiError::bad_request(
                "bad_decision",
                "decision must be upheld or rejected",
            ))
        }
    };
    let appeal = state
        .db(move |s| {
            let appeal = hotline(s.store.as_ref()).decide_appeal(id, upheld, &caller.0.name)?;
            let target = Some(format!("case:{}", appeal.case_id));
            s.audit(
                &caller.0,
                "hotline.appeal_decided",
                None,
                target.clone(),
                json!({"appeal": id, "decision": appeal.state}),
            )?;
            if upheld {
                s.audit(
                    &caller.0,
                    "blocklist.remove",
                    None,
                    target,
                    json!({"why": "appeal upheld"}),
                )?;
            }
            Ok(appeal)
        })
        .await?;
    Ok(Json(json!({ "id": appeal.id, "state": appeal.state })))
}

/// `DELETE /hotline/reports/<id>/contact`: forgets a reporter's contact.
pub async fn delete_contact(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    caller.require(Role::Supervisor)?;
    let deleted = state
        .db(move |s| {
            let deleted = hotline(s.store.as_ref()).delete_contact(id)?;
            s.audit(
                &caller.0,
                "hotline.contact_deleted",
                None,
                Some(format!("report:{id}")),
                json!({}),
            )?;
            Ok(deleted)
        })
        .await?;
    Ok(if deleted {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::NOT_FOUND
    })
}

/// `GET /hotline/stats`: time from first notice to removal, median and
/// 90th percentile, by provider and by jurisdiction.
pub async fn stats(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Value>> {
    caller.require(Role::Analyst)?;
    let removals = state
        .db(|s| Ok(hotline(s.store.as_ref()).removals()?))
        .await?;
    let group = |key: &dyn Fn(&(String, String, i64)) -> String| -> Vec<Value> {
        let mut groups: BTreeMap<String, Vec<i64>> = BTreeMap::new();
        for r in &removals {
            groups.entry(key(r)).or_default().push(r.2);
        }
        groups
            .into_iter()
            .map(|(name, seconds)| {
                json!({
                    "name": name, "removed": seconds.len(),
                    "median_seconds": percentile(&seconds, 50.0),
                    "p90_seconds": percentile(&seconds, 90.0),
                })
            })
            .collect()
    };
    Ok(Json(json!({
        "by_provider": group(&|r| r.0.clone()),
        "by_jurisdiction": group(&|r| r.1.clone()),
    })))
}

/// `?format=&since=`.
#[derive(Deserialize)]
pub struct BlocklistQuery {
    format: Option<String>,
    since: Option<i64>,
}

fn signed(
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

fn list_format(query: &BlocklistQuery) -> ApiResult<String> {
    let format = query.format.clone().unwrap_or_else(|| "plain".into());
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
pub async fn blocklist(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<BlocklistQuery>,
) -> ApiResult<Response> {
    caller.require(Role::Matcher)?;
    let format = list_format(&query)?;
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
pub async fn blocklist_delta(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<BlocklistQuery>,
) -> ApiResult<Response> {
    caller.require(Role::Matcher)?;
    let format = list_format(&query)?;
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

/// Prefixed to a shared-assessments page before signing.
pub const SHARED_CONTEXT: &[u8] = b"hashwatch-hotline-feed-v1\0";

/// The shared-assessments page format.
pub const SHARED_FORMAT: &str = "hashwatch-hotline-feed/1";

/// `GET /hotline/feed?since=SEQ&limit=`: this hotline's listings and
/// delistings for partner hotlines, signed like the blocklist. Only URLs
/// and verdicts travel: no report, no description, no contact.
pub async fn shared_feed(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<PageQuery>,
) -> ApiResult<Response> {
    caller.require(Role::Matcher)?;
    let since = query.since.unwrap_or(0);
    let limit = query.limit.unwrap_or(5_000).clamp(1, 20_000);
    let (head, events) = state
        .db(move |s| Ok(hotline(s.store.as_ref()).shared_since(since, limit)?))
        .await?;
    let events: Vec<Value> = events
        .iter()
        .map(|e| {
            json!({"seq": e.seq, "op": e.op, "url": e.url, "url_sha256": e.url_sha256,
                   "host": e.host, "category": e.category})
        })
        .collect();
    let body = json!({"format": SHARED_FORMAT, "since": since, "head": head, "events": events});
    signed(
        &state,
        head,
        SHARED_CONTEXT,
        "application/json",
        body.to_string(),
    )
}

/// `?since=&limit=`.
#[derive(Deserialize)]
pub struct PageQuery {
    since: Option<i64>,
    limit: Option<usize>,
}

#[derive(Deserialize)]
struct SharedPage {
    format: String,
    since: i64,
    head: i64,
    events: Vec<SharedEvent>,
}

#[derive(Deserialize)]
struct SharedEvent {
    seq: i64,
    op: String,
    url: String,
    category: Option<String>,
}

/// Pulls a partner hotline's shared assessments from the subscription's
/// checkpoint to the partner's head. Every page's signature is checked
/// against the pinned key before it is read; each page is applied with its
/// checkpoint in one transaction. Returns the URLs taken in.
pub async fn sync_shared(
    http: &reqwest::Client,
    store: std::sync::Arc<dyn hashwatch_store::Store + Send + Sync>,
    sub: &hashwatch_store::Subscription,
) -> Result<u64, String> {
    let result = pull_shared(http, store.clone(), sub).await;
    crate::feeds::note_failure(store, sub.id, &result).await;
    result
}

async fn pull_shared(
    http: &reqwest::Client,
    store: std::sync::Arc<dyn hashwatch_store::Store + Send + Sync>,
    sub: &hashwatch_store::Subscription,
) -> Result<u64, String> {
    let key = hashwatch_feed::PublicKey::parse(&sub.public_key).map_err(|e| e.to_string())?;
    let mut checkpoint = sub.checkpoint as i64;
    let mut taken = 0;
    loop {
        let since = u64::try_from(checkpoint).unwrap_or(0);
        let (body, signature) = crate::feeds::get_page(http, sub, &[("since", since)]).await?;
        let signature = signature.ok_or_else(|| format!("{} sent an unsigned page", sub.url))?;
        key.verify_detached(SHARED_CONTEXT, &body, &signature)
            .map_err(|e| format!("refused a page from {}: {e}", sub.url))?;
        let page: SharedPage = serde_json::from_slice(&body).map_err(|e| {
            format!(
                "{} sent a signed page that is not shared assessments: {e}",
                sub.url
            )
        })?;
        if page.format != SHARED_FORMAT || page.since != checkpoint {
            return Err(format!(
                "{} sent a page for since={}, not {checkpoint}",
                sub.url, page.since
            ));
        }
        if page.head < checkpoint {
            return Err(format!(
                "{} is behind this subscription's checkpoint",
                sub.url
            ));
        }
        if page.events.is_empty() {
            return Ok(taken);
        }
        let mut events = Vec::with_capacity(page.events.len());
        for e in page.events {
            // Canonical again here: a partner's spelling must not make a
            // second case.
            let url = canonical_url(&e.url).map_err(|m| format!("event {}: {m}", e.seq))?;
            events.push(hashwatch_store::SharedAssessment {
                seq: e.seq,
                op: e.op,
                url: url.url,
                url_sha256: url.sha256,
                host: url.host,
                category: e.category,
            });
        }
        let (store, id, from) = (store.clone(), sub.id, checkpoint + 1);
        let (n, next) = tokio::task::spawn_blocking(move || {
            hotline(store.as_ref()).apply_shared(id, from, &events)
        })
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("cannot apply a page from {}: {e}", sub.url))?;
        taken += n;
        checkpoint = next;
        if checkpoint >= page.head {
            return Ok(taken);
        }
    }
}

/// One takedown round for a case: attribute it, re-check the URL, and send
/// a notice when one is due.
pub async fn takedown(state: &AppState, id: i64) {
    if let Err(e) = takedown_round(state, id).await {
        tracing::warn!(case = id, error = %e.message, "takedown round failed");
    }
}

async fn takedown_round(state: &AppState, id: i64) -> ApiResult<()> {
    let case = state
        .db(move |s| Ok(hotline(s.store.as_ref()).case(id)?))
        .await?;
    if !hashwatch_hotline::case::takedown_open(case.state) {
        return Ok(());
    }
    let case = if case.provider.is_none() {
        attribute(state, case).await?
    } else {
        case
    };
    // Re-check first: a URL already gone needs no notice.
    let (result, gone) = match state.checker.get(&case.url).send().await {
        Ok(r) if matches!(r.status().as_u16(), 404 | 410) => {
            (format!("answered {}", r.status()), true)
        }
        Ok(r) => (format!("answered {}", r.status()), false),
        // A name that no longer resolves is gone; a refused or timed-out
        // connection may be passing, so the notices go on.
        Err(e) if error_chain(&e).contains("dns") => {
            (format!("does not resolve: {}", error_chain(&e)), true)
        }
        Err(e) => (format!("failed: {}", error_chain(&e)), false),
    };
    let checked = state
        .db(move |s| {
            let case = hotline(s.store.as_ref()).checked(id, &result, gone)?;
            if case.state == CaseState::Removed {
                s.records().audit(&[
                    system_audit(
                        "hotline.removed",
                        format!("case:{id}"),
                        json!({"check": result}),
                    ),
                    system_audit(
                        "blocklist.remove",
                        format!("case:{id}"),
                        json!({"why": "removed"}),
                    ),
                ])?;
            }
            Ok(case)
        })
        .await?;
    if !hashwatch_hotline::case::takedown_open(checked.state) {
        return Ok(());
    }
    let now = unix_now();
    let confirmed = checked.confirmed_at.unwrap_or(now);
    if now - confirmed > state.config.takedown_expiry.as_secs() as i64 {
        state
            .db(move |s| {
                hotline(s.store.as_ref()).expire(id)?;
                s.records().audit(&[system_audit(
                    "hotline.expired",
                    format!("case:{id}"),
                    json!({}),
                )])?;
                Ok(())
            })
            .await?;
        return Ok(());
    }
    let due = checked
        .last_notice_at
        .is_none_or(|at| now - at >= state.config.notice_interval.as_secs() as i64);
    if due {
        send_notice(state, checked).await?;
    }
    Ok(())
}

/// An error with its causes, which is where reqwest says what happened.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

async fn attribute(state: &AppState, case: Case) -> ApiResult<Case> {
    let resolver = state.resolver.clone();
    let host = case.host.clone();
    let ips = tokio::task::spawn_blocking(move || resolver.resolve(&host)).await?;
    let (provider, abuse, jurisdiction, webhook, ip) = match ips {
        Ok(ips) => {
            let found = ips.iter().find_map(|ip| {
                state
                    .config
                    .providers
                    .as_ref()?
                    .provider_for(*ip)
                    .map(|p| (p.clone(), *ip))
            });
            match found {
                Some((p, ip)) => (p.name, p.abuse, p.jurisdiction, p.webhook, ip.to_string()),
                None => unknown(ips.first().map(ToString::to_string).unwrap_or_default()),
            }
        }
        Err(_) => unknown(String::new()),
    };
    let id = case.id;
    state
        .db(move |s| {
            let h = hotline(s.store.as_ref());
            h.attribute(
                id,
                &provider,
                &abuse,
                &jurisdiction,
                webhook.as_deref(),
                &ip,
            )?;
            s.records().audit(&[system_audit(
                "hotline.attributed",
                format!("case:{id}"),
                json!({"provider": provider, "jurisdiction": jurisdiction, "ip": ip}),
            )])?;
            Ok(h.case(id)?)
        })
        .await
}

fn unknown(ip: String) -> (String, String, String, Option<String>, String) {
    ("unknown".into(), String::new(), "unknown".into(), None, ip)
}

async fn send_notice(state: &AppState, case: Case) -> ApiResult<()> {
    let notice = Notice {
        case: case.id,
        url: case.url.clone(),
        category: case.category.clone(),
        provider: case.provider.clone().unwrap_or_default(),
        abuse: case.abuse.clone().unwrap_or_default(),
        jurisdiction: case.jurisdiction.clone().unwrap_or_default(),
        attempt: case.notices + 1,
        confirmed_at: case.confirmed_at.unwrap_or_default(),
        hotline: state.config.hotline_name.clone(),
    };
    let text = notice_text(&notice);
    let delivery = match &case.webhook {
        Some(url) => {
            let body = json!({"notice": notice, "text": text});
            match state.http.post(url).json(&body).send().await {
                Ok(r) if r.status().is_success() => format!("webhook {url}: {}", r.status()),
                Ok(r) => format!("webhook {url} answered {}", r.status()),
                Err(e) => format!("webhook {url} failed: {e}"),
            }
        }
        None => "email text ready; no webhook".to_string(),
    };
    let id = case.id;
    state
        .db(move |s| {
            let case = hotline(s.store.as_ref()).notice_sent(id, &text, &delivery)?;
            s.records().audit(&[system_audit(
                "hotline.notice",
                format!("case:{id}"),
                json!({"attempt": case.notices, "provider": case.provider, "delivery": delivery}),
            )])?;
            Ok(())
        })
        .await
}

/// Runs a takedown round for every open case each `--recheck-interval`.
pub async fn takedowns(state: AppState) {
    loop {
        tokio::time::sleep(state.config.recheck_interval).await;
        let s = state.clone();
        let open =
            tokio::task::spawn_blocking(move || hotline(s.store.as_ref()).open_takedowns()).await;
        let Ok(Ok(cases)) = open else {
            tracing::warn!("cannot read open takedowns");
            continue;
        };
        for case in cases {
            takedown(&state, case.id).await;
        }
    }
}
