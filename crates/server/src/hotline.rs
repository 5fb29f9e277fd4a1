//! The hotline over HTTP: public and partner reports, triage, hashes on
//! cases, appeals, removal statistics and the assessments shared with
//! partner hotlines. The blocklist is [`crate::blocklist`]; the takedown
//! worker (attribution, notices, re-checks) is [`crate::takedowns`].

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Extension;
use axum::Json;
use hashwatch_access::HotlineAction;
use hashwatch_feed::pull::{DEFAULT_PAGE, MAX_PAGE};
use hashwatch_feed::{AssessmentsPage, ASSESSMENTS_CONTEXT};
use hashwatch_hotline::canonical_url;
use hashwatch_model::{Case, NewReport, Verdict};
use hashwatch_operations::hotline::{AppealDecision, HotlineReport};
use hashwatch_operations::{Caller as OpCaller, Way};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::blocklist::signed;
use crate::error::{ApiError, ApiResult};
use crate::public::{public_body, PublicClient};
use crate::request::json_body;
use crate::signals;
use crate::state::{AppState, BankFilter};

/// A case as the hotline's staff see it (never the reporters' contacts).
#[derive(Serialize, ToSchema)]
pub struct CaseView {
    id: i64,
    url: String,
    url_sha256: String,
    host: String,
    /// `new`, `assessed`, `confirmed`, `notice_sent`, `removed`, `expired`,
    /// `not_illegal`, `unreachable` or `appeal_upheld`.
    pub state: &'static str,
    verdict: Option<String>,
    category: Option<String>,
    first_verdict: Option<String>,
    confirmed_at: Option<i64>,
    provider: Option<String>,
    abuse: Option<String>,
    jurisdiction: Option<String>,
    ip: Option<String>,
    notices: i64,
    first_notice_at: Option<i64>,
    last_notice_at: Option<i64>,
    last_check_at: Option<i64>,
    last_check: Option<String>,
    removed_at: Option<i64>,
    reports: i64,
    created_at: i64,
}

impl From<&Case> for CaseView {
    fn from(c: &Case) -> CaseView {
        CaseView {
            id: c.id,
            url: c.url.clone(),
            url_sha256: c.url_sha256.clone(),
            host: c.host.clone(),
            state: c.state.name(),
            verdict: c.verdict.clone(),
            category: c.category.clone(),
            first_verdict: c.first_verdict.clone(),
            confirmed_at: c.confirmed_at,
            provider: c.provider.clone(),
            abuse: c.abuse.clone(),
            jurisdiction: c.jurisdiction.clone(),
            ip: c.ip.clone(),
            notices: c.notices,
            first_notice_at: c.first_notice_at,
            last_notice_at: c.last_notice_at,
            last_check_at: c.last_check_at,
            last_check: c.last_check.clone(),
            removed_at: c.removed_at,
            reports: c.reports,
            created_at: c.created_at,
        }
    }
}

/// `POST /hotline/reports`'s answer; a partner also learns the case.
#[derive(Serialize, ToSchema)]
pub struct ReportTaken {
    report_id: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    case_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    duplicate: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    state: Option<&'static str>,
}

/// Cases to assess.
#[derive(Serialize, ToSchema)]
pub struct Queue {
    cases: Vec<CaseView>,
}

/// A case with the hashes attached to it.
#[derive(Serialize, ToSchema)]
pub struct CaseWithHashes {
    #[serde(flatten)]
    case: CaseView,
    hashes: Vec<CaseHashView>,
}

/// A hash attached to a case.
#[derive(Serialize, ToSchema)]
pub struct CaseHashView {
    signal_type: String,
    value: String,
    added_by: String,
}

/// What an assessment did.
#[derive(Serialize, ToSchema)]
pub struct Assessed {
    /// The case after the assessment.
    pub case: CaseView,
    /// Whether the URL went on the blocklist.
    pub listed: bool,
}

/// Hashes attached, and what they match in the banks the caller sees.
#[derive(Serialize, ToSchema)]
pub struct Attached {
    attached: usize,
    matches: Vec<HashMatch>,
}

/// An attached hash that matches a bank entry.
#[derive(Serialize, ToSchema)]
pub struct HashMatch {
    signal_type: &'static str,
    value: String,
    bank: String,
    entry_id: u64,
    distance: u32,
}

/// A case's hashes put into a bank.
#[derive(Serialize, ToSchema)]
pub struct AddedToBank {
    added: u64,
    already_present: u64,
}

/// `POST /hotline/appeals`'s answer. The public is told the same whether
/// or not the URL is listed (else anyone could ask whether a URL is on the
/// blocklist); a partner hotline learns the appeal's id, or gets 404.
#[derive(Serialize, ToSchema)]
pub struct AppealTaken {
    #[serde(skip_serializing_if = "Option::is_none")]
    appeal_id: Option<i64>,
    message: &'static str,
}

const APPEAL_RECEIVED: &str = "received: an appeal against a listed URL is reviewed by the hotline";

/// An appeal against a listing.
#[derive(Serialize, ToSchema)]
pub struct AppealView {
    id: i64,
    case_id: i64,
    at: i64,
    reason: String,
    /// `open`, `upheld` or `rejected`.
    state: String,
    decided_by: Option<String>,
}

/// Appeals, newest first.
#[derive(Serialize, ToSchema)]
pub struct Appeals {
    appeals: Vec<AppealView>,
}

/// An appeal decided.
#[derive(Serialize, ToSchema)]
pub struct AppealDecided {
    /// The appeal.
    pub id: i64,
    /// `upheld` or `rejected`.
    pub state: String,
}

/// Time from first notice to removal, per provider and per jurisdiction.
#[derive(Serialize, ToSchema)]
pub struct RemovalStats {
    /// Per hosting provider.
    pub by_provider: Vec<RemovalGroup>,
    /// Per jurisdiction.
    pub by_jurisdiction: Vec<RemovalGroup>,
}

/// Removal times of one provider or jurisdiction.
#[derive(Serialize, ToSchema)]
pub struct RemovalGroup {
    /// The provider's or jurisdiction's name.
    pub name: String,
    /// Removals counted.
    pub removed: usize,
    /// Median time from first notice to removal.
    pub median_seconds: Option<i64>,
    /// 90th percentile of the same.
    pub p90_seconds: Option<i64>,
}

impl From<hashwatch_hotline::RemovalGroup> for RemovalGroup {
    fn from(g: hashwatch_hotline::RemovalGroup) -> RemovalGroup {
        RemovalGroup {
            name: g.name,
            removed: g.removed,
            median_seconds: g.median_seconds,
            p90_seconds: g.p90_seconds,
        }
    }
}

/// A report of a URL.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct ReportBody {
    /// The URL where the material is.
    pub url: String,
    /// What the reporter saw.
    pub description: Option<String>,
    /// How to reach the reporter (stored apart; optional).
    pub contact: Option<String>,
    /// Hashes of the picture the reporter saw, made on their own machine
    /// (the report page hashes in the browser), attached to the case.
    #[serde(default)]
    pub hashes: Vec<ReportHash>,
}

/// A hash sent with a report.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct ReportHash {
    /// `pdq`, `md5` or `sha256`.
    pub signal_type: String,
    /// The hash in hex.
    pub value: String,
}

/// Hashes a report may carry: enough for one picture's signals.
const MAX_REPORT_HASHES: usize = 8;

/// `POST /hotline/reports`: a URL reported by the public (no key; limited
/// per address) or by a partner hotline (with a key). A URL reported before
/// is linked to its case and not queued again. The reporter's contact is
/// stored apart and never audited, exported or listed.
#[utoipa::path(
    post,
    path = "/hotline/reports",
    tag = "hotline",
    request_body = ReportBody,
    responses((status = 201, description = "created", body = ReportTaken), (status = "default", description = "an error", body = crate::openapi::ErrorBody)),
    security((), ("api_key" = []), ("bearer" = []))
)]
pub async fn report(
    State(state): State<AppState>,
    Extension(client): Extension<PublicClient>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<ReportTaken>)> {
    let (caller, body): (_, ReportBody) = public_body(client, &headers, &body)?;
    let answer = take_report(&state, caller, body).await?;
    Ok((StatusCode::CREATED, Json(answer)))
}

/// Takes a report of a URL from the public (`caller` is `None`) or a
/// partner hotline, with its audit row in one transaction. The JSON
/// route and the public report page both call this.
pub async fn take_report(
    state: &AppState,
    caller: Option<hashwatch_model::ApiKey>,
    body: ReportBody,
) -> ApiResult<ReportTaken> {
    let url = canonical_url(&body.url).map_err(|m| ApiError::bad_request("bad_url", m))?;
    if body.hashes.len() > MAX_REPORT_HASHES {
        return Err(ApiError::bad_request(
            "too_many_hashes",
            format!("a report carries at most {MAX_REPORT_HASHES} hashes"),
        ));
    }
    let hashes = body
        .hashes
        .iter()
        .map(|h| {
            let signal = signals::parse(&h.signal_type, &h.value)?;
            Ok((
                signal.signal_type,
                signal.signal_type.format_value(&signal.value),
            ))
        })
        .collect::<ApiResult<Vec<_>>>()?;
    let source = caller
        .as_ref()
        .map_or_else(|| "public".to_string(), |k| format!("partner:{}", k.name));
    let partner = caller.is_some();
    let new = HotlineReport {
        report: NewReport {
            url: url.url,
            url_sha256: url.sha256,
            host: url.host,
            source,
            description: body.description,
            contact: body.contact,
        },
        hashes,
    };
    let partner_caller = caller.map(|k| OpCaller::key(k, Way::Api));
    let intake = state
        .op(move |ops| Ok(ops.take_report(partner_caller.as_ref(), &new)?))
        .await?;
    let answer = ReportTaken {
        report_id: intake.report_id,
        case_id: partner.then_some(intake.case.id),
        duplicate: partner.then_some(intake.duplicate),
        state: partner.then_some(intake.case.state.name()),
    };
    Ok(answer)
}

/// `GET /hotline/queue`: what the caller should assess next. Assessed
/// cases never come back; ones awaiting a second assessment go to other
/// supervisors.
#[utoipa::path(
    get,
    path = "/hotline/queue",
    tag = "hotline",
    responses((status = 200, description = "success", body = Queue), (status = "default", description = "an error", body = crate::openapi::ErrorBody))
)]
pub async fn queue(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Queue>> {
    let caller = caller.op();
    let cases = state.op(move |ops| Ok(ops.queue(&caller, 100)?)).await?;
    Ok(Json(Queue {
        cases: cases.iter().map(CaseView::from).collect(),
    }))
}

/// `GET /hotline/cases/<id>`: a case with its hashes.
#[utoipa::path(
    get,
    path = "/hotline/cases/{id}",
    tag = "hotline",
    params(("id" = i64, Path, description = "the record's id")),
    responses((status = 200, description = "success", body = CaseWithHashes), (status = "default", description = "an error", body = crate::openapi::ErrorBody))
)]
pub async fn case(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<CaseWithHashes>> {
    let caller = caller.op();
    let (case, hashes) = state
        .op(move |ops| Ok(ops.case_with_hashes(&caller, id)?))
        .await?;
    Ok(Json(CaseWithHashes {
        case: CaseView::from(&case),
        hashes: hashes
            .into_iter()
            .map(|h| CaseHashView {
                signal_type: h.signal_type,
                value: h.value,
                added_by: h.origin.name().to_string(),
            })
            .collect(),
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct AssessBody {
    verdict: String,
    category: Option<String>,
}

/// `POST /hotline/cases/<id>/assess`: `{verdict: illegal|not_illegal|
/// unreachable, category?}`. With four eyes (the default), an illegal
/// verdict is listed only after a supervisor's second assessment.
#[utoipa::path(
    post,
    path = "/hotline/cases/{id}/assess",
    tag = "hotline",
    params(("id" = i64, Path, description = "the record's id")),
    request_body = AssessBody,
    responses((status = 200, description = "success", body = Assessed), (status = "default", description = "an error", body = crate::openapi::ErrorBody))
)]
pub async fn assess(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Assessed>> {
    caller.hotline(HotlineAction::Assess)?;
    let body: AssessBody = json_body(&headers, &body, StatusCode::UNSUPPORTED_MEDIA_TYPE)?;
    assess_case(&state, caller.op(), id, &body.verdict, body.category)
        .await
        .map(Json)
}

/// Assesses case `id` (`verdict`: illegal, not_illegal or unreachable) in
/// one transaction with its audit rows; sends the first notice of a URL
/// it lists. The JSON route and the web interface both call this.
pub async fn assess_case(
    state: &AppState,
    caller: OpCaller,
    id: i64,
    verdict: &str,
    category: Option<String>,
) -> ApiResult<Assessed> {
    let verdict = Verdict::parse(verdict).ok_or_else(|| {
        ApiError::bad_request(
            "bad_verdict",
            "verdict must be illegal, not_illegal or unreachable",
        )
    })?;
    let four_eyes = state.config.four_eyes;
    let (case, listed) = state
        .op(move |ops| Ok(ops.assess(&caller, id, verdict, category.as_deref(), four_eyes)?))
        .await?;
    if listed {
        // The first notice goes now, not at the next round.
        let s = state.clone();
        tokio::spawn(async move { crate::takedowns::round(&s, case.id).await });
    }
    Ok(Assessed {
        case: CaseView::from(&case),
        listed,
    })
}

#[derive(Deserialize, utoipa::ToSchema)]
struct HashesBody {
    hashes: Vec<HashBody>,
}

#[derive(Deserialize, utoipa::ToSchema)]
struct HashBody {
    signal_type: String,
    value: String,
}

/// `POST /hotline/cases/<id>/hashes`: hashes an analyst made on their own
/// machine (`hashwatch hash`), attached to the case; answers with what
/// they match in the banks the caller sees.
#[utoipa::path(
    post,
    path = "/hotline/cases/{id}/hashes",
    tag = "hotline",
    params(("id" = i64, Path, description = "the record's id")),
    request_body = HashesBody,
    responses((status = 200, description = "success", body = Attached), (status = "default", description = "an error", body = crate::openapi::ErrorBody))
)]
pub async fn attach_hashes(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Attached>> {
    caller.hotline(HotlineAction::Assess)?;
    let body: HashesBody = json_body(&headers, &body, StatusCode::UNSUPPORTED_MEDIA_TYPE)?;
    let mut parsed = Vec::with_capacity(body.hashes.len());
    for h in &body.hashes {
        parsed.push(signals::parse(&h.signal_type, &h.value)?);
    }
    let mut matches = Vec::new();
    // What a case's hashes match in the banks the hotline's tenant sees is
    // the analyst's to know; this lookup records nothing and acts on
    // nothing (no match record, webhook or flood count).
    for signal in &parsed {
        let hits = state.lookup(&caller.0, &signal.query(), &BankFilter::default())?;
        for hit in hits {
            matches.push(HashMatch {
                signal_type: signal.signal_type.name(),
                value: signal.signal_type.format_value(&signal.value),
                bank: hit.bank,
                entry_id: hit.entry_id,
                distance: hit.distance,
            });
        }
    }
    let count = parsed.len();
    let hashes: Vec<_> = parsed
        .into_iter()
        .map(|s| (s.signal_type, s.value))
        .collect();
    let caller = caller.op();
    state
        .op(move |ops| Ok(ops.attach_hashes(&caller, id, &hashes)?))
        .await?;
    Ok(Json(Attached {
        attached: count,
        matches,
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct ToBankBody {
    bank: String,
}

/// `POST /hotline/cases/<id>/bank`: puts a confirmed illegal case's hashes
/// into a bank in one step.
#[utoipa::path(
    post,
    path = "/hotline/cases/{id}/bank",
    tag = "hotline",
    params(("id" = i64, Path, description = "the record's id")),
    request_body = ToBankBody,
    responses((status = 200, description = "success", body = AddedToBank), (status = "default", description = "an error", body = crate::openapi::ErrorBody))
)]
pub async fn hashes_to_bank(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<AddedToBank>> {
    caller.hotline(HotlineAction::Supervise)?;
    let body: ToBankBody = json_body(&headers, &body, StatusCode::UNSUPPORTED_MEDIA_TYPE)?;
    let caller = caller.op();
    let summary = state
        .op(move |ops| Ok(ops.hashes_to_bank(&caller, id, &body.bank)?))
        .await?;
    Ok(Json(AddedToBank {
        added: summary.added,
        already_present: summary.already_present,
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct AppealBody {
    url: String,
    reason: String,
}

/// `POST /hotline/appeals`: a site owner appeals a listed URL (public,
/// limited per address).
#[utoipa::path(
    post,
    path = "/hotline/appeals",
    tag = "hotline",
    request_body = AppealBody,
    responses((status = 201, description = "recorded (partner)", body = AppealTaken), (status = 202, description = "received (public)", body = AppealTaken), (status = "default", description = "an error", body = crate::openapi::ErrorBody)),
    security((), ("api_key" = []), ("bearer" = []))
)]
pub async fn appeal(
    State(state): State<AppState>,
    Extension(client): Extension<PublicClient>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<AppealTaken>)> {
    let (caller, body): (_, AppealBody) = public_body(client, &headers, &body)?;
    let partner = caller.is_some();
    let url = canonical_url(&body.url).map_err(|m| ApiError::bad_request("bad_url", m))?;
    let appeal = state
        .op(move |ops| Ok(ops.appeal(&url.url, &body.reason)?))
        .await;
    match appeal {
        Ok(appeal) if partner => Ok((
            StatusCode::CREATED,
            Json(AppealTaken {
                appeal_id: Some(appeal.id),
                message: "recorded",
            }),
        )),
        Err(e) if partner => Err(e),
        Err(e) if e.status != StatusCode::NOT_FOUND => Err(e),
        // Listed or not, the public hears the same.
        Ok(_) | Err(_) => Ok((
            StatusCode::ACCEPTED,
            Json(AppealTaken {
                appeal_id: None,
                message: APPEAL_RECEIVED,
            }),
        )),
    }
}

/// `GET /hotline/appeals`: appeals, newest first.
#[utoipa::path(
    get,
    path = "/hotline/appeals",
    tag = "hotline",
    responses((status = 200, description = "success", body = Appeals), (status = "default", description = "an error", body = crate::openapi::ErrorBody))
)]
pub async fn appeals(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Appeals>> {
    let caller = caller.op();
    let list = state.op(move |ops| Ok(ops.appeals(&caller)?)).await?;
    Ok(Json(Appeals {
        appeals: list
            .into_iter()
            .map(|a| AppealView {
                id: a.id,
                case_id: a.case_id,
                at: a.at,
                reason: a.reason,
                state: a.state.to_string(),
                decided_by: a.decided_by,
            })
            .collect(),
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct DecisionBody {
    decision: String,
}

/// `POST /hotline/appeals/<id>`: `{decision: upheld|rejected}`; upheld
/// takes the URL off the blocklist.
#[utoipa::path(
    post,
    path = "/hotline/appeals/{id}",
    tag = "hotline",
    params(("id" = i64, Path, description = "the record's id")),
    request_body = DecisionBody,
    responses((status = 200, description = "success", body = AppealDecided), (status = "default", description = "an error", body = crate::openapi::ErrorBody))
)]
pub async fn decide_appeal(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<AppealDecided>> {
    caller.hotline(HotlineAction::Supervise)?;
    let body: DecisionBody = json_body(&headers, &body, StatusCode::UNSUPPORTED_MEDIA_TYPE)?;
    decide_appeal_as(&state, caller.op(), id, &body.decision)
        .await
        .map(Json)
}

/// Decides appeal `id` (`upheld` takes the URL off the blocklist, or
/// `rejected`) with its audit rows in one transaction.
pub async fn decide_appeal_as(
    state: &AppState,
    caller: OpCaller,
    id: i64,
    decision: &str,
) -> ApiResult<AppealDecided> {
    let Some(decision) = AppealDecision::parse(decision) else {
        return Err(ApiError::bad_request(
            "bad_decision",
            "decision must be upheld or rejected",
        ));
    };
    let appeal = state
        .op(move |ops| Ok(ops.decide_appeal(&caller, id, decision)?))
        .await?;
    Ok(AppealDecided {
        id: appeal.id,
        state: appeal.state.to_string(),
    })
}

/// `DELETE /hotline/reports/<id>/contact`: forgets a reporter's contact.
#[utoipa::path(
    delete,
    path = "/hotline/reports/{id}/contact",
    tag = "hotline",
    params(("id" = i64, Path, description = "the record's id")),
    responses((status = 204, description = "done"), (status = "default", description = "an error", body = crate::openapi::ErrorBody))
)]
pub async fn delete_contact(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    let caller = caller.op();
    state
        .op(move |ops| Ok(ops.delete_contact(&caller, id)?))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /hotline/stats`: time from first notice to removal, median and
/// 90th percentile, by provider and by jurisdiction.
#[utoipa::path(
    get,
    path = "/hotline/stats",
    tag = "hotline",
    responses((status = 200, description = "success", body = RemovalStats), (status = "default", description = "an error", body = crate::openapi::ErrorBody))
)]
pub async fn stats(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<RemovalStats>> {
    removal_stats(&state, caller.op()).await.map(Json)
}

/// Time from first notice to removal by provider and by jurisdiction.
pub async fn removal_stats(
    state: &AppState,
    caller: hashwatch_operations::Caller,
) -> ApiResult<RemovalStats> {
    let removals = state.op(move |ops| Ok(ops.removals(&caller)?)).await?;
    let times = hashwatch_hotline::removal_times(&removals);
    Ok(RemovalStats {
        by_provider: times.by_provider.into_iter().map(Into::into).collect(),
        by_jurisdiction: times.by_jurisdiction.into_iter().map(Into::into).collect(),
    })
}

/// `GET /hotline/feed?since=SEQ&limit=`: this hotline's listings and
/// delistings for partner hotlines, signed like the blocklist. Only URLs
/// and verdicts travel: no report, no description, no contact.
#[utoipa::path(
    get,
    path = "/hotline/feed",
    tag = "hotline",
    params(PageQuery),
    responses((status = 200, description = "a shared-assessments page {format, since, head, events}, signed in X-Hashwatch-Signature", body = Object), (status = "default", description = "an error", body = crate::openapi::ErrorBody))
)]
pub async fn shared_feed(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<PageQuery>,
) -> ApiResult<Response> {
    let caller = caller.op();
    let since = query.since.unwrap_or(0);
    let limit = query.limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE);
    let (head, events) = state
        .op(move |ops| Ok(ops.shared_assessments(&caller, since, limit)?))
        .await?;
    let page = AssessmentsPage::new(since, head, &events, hashwatch_model::unix_now());
    let body = serde_json::to_string(&page)
        .map_err(|e| ApiError::internal(format!("cannot write a page: {e}")))?;
    signed(&state, head, ASSESSMENTS_CONTEXT, "application/json", body)
}

/// `?since=&limit=`.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    since: Option<i64>,
    limit: Option<usize>,
}
