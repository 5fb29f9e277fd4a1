//! The hotline's pages: the triage queue, a case with its timeline and
//! assessment (four eyes), previews, and appeals.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use hashwatch_access::HotlineAction;
use hashwatch_model::{AuditEvent, CaseFilter, CaseState};
use hashwatch_operations::hotline::CasePage;
use hashwatch_operations::sessions::SessionPolicy;
use hashwatch_outbound::{read_capped, ReadError};
use maud::{html, Markup};
use serde::Deserialize;

use super::layout::{self, given, or_dash, when, Stored};
use super::{Page, Posted, Session, UiError, UiResult};
use hashwatch_server::state::AppState;

/// Cases the triage page lists at most.
const TRIAGE_ROWS: usize = 200;

/// Timeline entries shown (the oldest; the audit log has the rest).
const TIMELINE_ROWS: i64 = 500;

/// Largest preview fetched.
const MAX_PREVIEW_BYTES: usize = 10 << 20;

#[derive(Deserialize, Default)]
pub(super) struct TriageQuery {
    state: Option<String>,
    category: Option<String>,
    provider: Option<String>,
    jurisdiction: Option<String>,
    done: Option<String>,
}

/// `GET /ui/hotline`: the caller's queue (new cases; for supervisors also
/// those awaiting a second opinion), oldest first, or the cases in one
/// state, with counts and filters.
pub(super) async fn triage(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<TriageQuery>,
) -> UiResult<Page> {
    session.caller.hotline(HotlineAction::Assess)?;
    let wanted_state = match given(&q.state) {
        Some(name) => Some(CaseState::parse(&name).ok_or_else(|| {
            UiError::page(StatusCode::BAD_REQUEST, format!("no case state {name:?}"))
        })?),
        None => None,
    };
    let filter = CaseFilter {
        state: wanted_state,
        category: given(&q.category),
        provider: given(&q.provider),
        jurisdiction: given(&q.jurisdiction),
    };
    let caller = session.op();
    let shown = filter.clone();
    let (overview, cases) = state
        .op(move |ops| Ok(ops.triage(&caller, &shown, TRIAGE_ROWS)?))
        .await?;
    let now = hashwatch_model::unix_now();
    let body = html! {
        (layout::notice(q.done.as_deref()))
        ul.counts aria-label="Cases by state" {
            li { a href="/ui/hotline" { "My queue" } }
            @for (name, count) in &overview.by_state {
                li { a href={ "/ui/hotline?state=" (name) } { (name) ": " strong { (count) } } }
            }
        }
        form.filters method="get" action="/ui/hotline" {
            div {
                label for="state" { "State" }
                select #state name="state" {
                    option value="" { "my queue" }
                    @for (name, _) in &overview.by_state {
                        option value=(name) selected[filter.state.map(|s| s.name()) == Some(name.as_str())] { (name) }
                    }
                }
            }
            div { (layout::select("category", "Category", &overview.categories, filter.category.as_deref())) }
            div { (layout::select("provider", "Provider", &overview.providers, filter.provider.as_deref())) }
            div { (layout::select("jurisdiction", "Jurisdiction", &overview.jurisdictions, filter.jurisdiction.as_deref())) }
            div { button type="submit" { "Filter" } }
        }
        p.help { "Oldest first. " kbd { "j" } " / " kbd { "k" } " move through the list, " kbd { "Enter" } " opens a case." }
        @if cases.is_empty() {
            p { "Nothing to assess here." }
        } @else {
            table {
                caption.help { (cases.len()) " case(s)" @if cases.len() == TRIAGE_ROWS { ", the oldest " (TRIAGE_ROWS) " shown" } }
                thead { tr {
                    th scope="col" { "Case" } th scope="col" { "Host" } th scope="col" { "State" }
                    th scope="col" { "First opinion" } th scope="col" class="num" { "Reports" }
                    th scope="col" { "Provider" } th scope="col" { "Jurisdiction" } th scope="col" { "Waiting" }
                } }
                tbody {
                    @for c in &cases {
                        tr data-href={ "/ui/hotline/cases/" (c.id) } {
                            td { a href={ "/ui/hotline/cases/" (c.id) } { "#" (c.id) } }
                            td.url { (c.host) }
                            td { span.state { (c.state.name()) } }
                            td { (or_dash(c.first_verdict.as_deref())) }
                            td.num { (c.reports) }
                            td { (or_dash(c.provider.as_deref())) }
                            td { (or_dash(c.jurisdiction.as_deref())) }
                            td { (layout::duration(now - c.created_at)) }
                        }
                    }
                }
            }
        }
    };
    Ok(layout::page(&session, "/ui/hotline", "Triage", body))
}

#[derive(Deserialize, Default)]
pub(super) struct CaseQuery {
    preview: Option<String>,
    done: Option<String>,
}

/// How an audit entry about a case reads on its timeline.
fn timeline_text(e: &AuditEvent) -> Markup {
    let detail: serde_json::Value = e
        .event
        .detail
        .as_deref()
        .and_then(|d| serde_json::from_str(d).ok())
        .unwrap_or(serde_json::Value::Null);
    let field = |name: &str| -> String {
        match detail.get(name) {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(serde_json::Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        }
    };
    let by = &e.event.actor;
    match e.event.action.as_str() {
        "hotline.report" => {
            html! { "Reported (" (field("source")) ")" @if field("duplicate") == "true" { ", linked to this case" } }
        }
        "hotline.assess" => html! {
            "Assessed " strong { (field("verdict")) }
            @let category = field("category");
            @if !category.is_empty() { " (" (category) ")" }
            " by " (by) " → " span.state { (field("state")) }
        },
        "blocklist.add" => html! { "Put on the blocklist" },
        "blocklist.remove" => {
            html! { "Taken off the blocklist" @let why = field("why"); @if !why.is_empty() { " (" (why) ")" } }
        }
        "hotline.attributed" => {
            html! { "Attributed: " (field("provider")) @let j = field("jurisdiction"); @if !j.is_empty() { ", " (j) } }
        }
        "hotline.notice" => {
            html! { "Notice " (field("attempt")) " sent to " (field("provider")) @let d = field("delivery"); @if !d.is_empty() { " (" (d) ")" } }
        }
        "hotline.notice_delivery" => {
            html! { "Notice " (field("attempt")) " delivery: " (field("delivery")) }
        }
        "hotline.removed" => html! { "Re-check: the material is gone; removal confirmed" },
        "hotline.expired" => html! { "Takedown given up (expired); the URL stays listed" },
        "hotline.appeal" => html! { "Appeal received" },
        "hotline.appeal_decided" => html! { "Appeal " strong { (field("decision")) } " by " (by) },
        "hotline.hashes" => html! { "Hashes attached by " (by) },
        "hotline.preview" => html! { "Preview loaded by " (by) },
        "hotline.to_bank" => html! { "Hashes put into bank " (field("bank")) " by " (by) },
        other => html! { (other) " by " (by) },
    }
}

/// `GET /ui/hotline/cases/<id>`: the case, its reports, hashes and
/// timeline, and the assessment form when the caller may assess it now.
pub(super) async fn case(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
    Query(q): Query<CaseQuery>,
) -> UiResult<Page> {
    session.caller.hotline(HotlineAction::Assess)?;
    let caller = session.op();
    let CasePage {
        case,
        hashes,
        reports,
        timeline,
    } = state
        .op(move |ops| Ok(ops.case_page(&caller, id, TIMELINE_ROWS)?))
        .await?;
    let me = session.caller.0.id;
    let supervisor = session.caller.supervises();
    let second_opinion = case.state == CaseState::Assessed;
    let may_assess =
        hashwatch_hotline::case::may_assess(case.state, case.first_assessor, me, supervisor);
    let categories = ["csam", "csem", "grooming", "other"];
    let reveal = session.session.reveal_previews;
    let body = html! {
        (layout::notice(q.done.as_deref()))
        div.grid {
            section.card aria-labelledby="facts" {
                h2 #facts { "Case" }
                dl.facts {
                    dt { "URL" }
                    // Never a link: opening it must be a choice, made
                    // outside this page.
                    dd.url { (case.url) }
                    dt { "State" } dd { span.state { (case.state.name()) } }
                    dt { "Verdict" } dd { (or_dash(case.verdict.as_deref())) @if let Some(c) = &case.category { " (" (c) ")" } }
                    dt { "Reports" } dd { (case.reports) }
                    dt { "Opened" } dd { (when(case.created_at)) }
                    dt { "Provider" } dd { (or_dash(case.provider.as_deref())) }
                    dt { "Abuse contact" } dd { (or_dash(case.abuse.as_deref())) }
                    dt { "Jurisdiction" } dd { (or_dash(case.jurisdiction.as_deref())) }
                    dt { "Address" } dd { (or_dash(case.ip.as_deref())) }
                    dt { "Notices" } dd { (case.notices) }
                    dt { "Last re-check" } dd { (or_dash(case.last_check.as_deref())) @if let Some(at) = case.last_check_at { " at " (when(at)) } }
                    dt { "Removed" } dd { @if let Some(at) = case.removed_at { (when(at)) } @else { (or_dash(None)) } }
                }
            }
            section.card aria-labelledby="assess" {
                h2 #assess { @if second_opinion { "Second opinion" } @else { "Assess" } }
                @if second_opinion {
                    p { "First opinion: " strong { (or_dash(case.first_verdict.as_deref())) } }
                }
                @if may_assess {
                    form method="post" action={ "/ui/hotline/cases/" (id) "/assess" } {
                        (layout::csrf(&session))
                        label for="category" { "Category (for illegal)" }
                        input #category type="text" name="category" list="categories" autocomplete="off";
                        datalist #categories { @for c in categories { option value=(c) {} } }
                        div.actions {
                            button type="submit" name="verdict" value="illegal" data-key="i" { "Illegal " kbd { "i" } }
                            button.secondary type="submit" name="verdict" value="not_illegal" data-key="n" { "Not illegal " kbd { "n" } }
                            button.secondary type="submit" name="verdict" value="unreachable" data-key="u" { "Unreachable " kbd { "u" } }
                        }
                    }
                } @else if case.state == CaseState::Assessed && case.first_assessor == Some(me) {
                    p { "You gave the first opinion; a supervisor gives the second." }
                } @else if case.state == CaseState::Assessed {
                    p { "Awaiting a supervisor's second opinion." }
                } @else {
                    p { "This case has been decided." }
                }
                h2 { "Preview" }
                @if q.preview.is_some() {
                    (preview_block(&session, id, reveal, &state.config.sessions))
                } @else {
                    p.help { "Nothing of the reported page is loaded until you ask. A preview is fetched through the service's guarded fetcher, never stored, and shown grey and blurred." }
                    a.button href={ "/ui/hotline/cases/" (id) "?preview=1" } data-key="p" { "Load preview " kbd { "p" } }
                }
            }
        }
        section aria-labelledby="timeline" {
            h2 #timeline { "Timeline" }
            @if timeline.is_empty() { p { "Nothing recorded yet." } }
            ol.timeline {
                @for e in &timeline {
                    li { time { (when(e.at)) } (timeline_text(e)) }
                }
            }
            @if timeline.len() as i64 == TIMELINE_ROWS {
                p.help { "The oldest " (TIMELINE_ROWS) " entries are shown; the audit log has them all." }
            }
        }
        section aria-labelledby="reports" {
            h2 #reports { "Reports" }
            table {
                thead { tr { th scope="col" { "Report" } th scope="col" { "Received" } th scope="col" { "From" } th scope="col" { "Description" } } }
                tbody {
                    @for r in &reports {
                        tr { td { (r.id) } td { (when(r.at)) } td { (Stored(&r.source)) } td { (or_dash(r.description.as_deref())) } }
                    }
                }
            }
        }
        section aria-labelledby="hashes" {
            h2 #hashes { "Hashes" }
            @if hashes.is_empty() {
                p { "No hashes attached yet." }
            } @else {
                table {
                    thead { tr { th scope="col" { "Type" } th scope="col" { "Value" } th scope="col" { "Added by" } } }
                    tbody {
                        @for h in &hashes {
                            tr {
                                td { (h.signal_type) } td.hash { (h.value) }
                                td {
                                    (h.origin.name())
                                    @if !hashwatch_hotline::case::bankable_hash(&h.origin) {
                                        " (unverified: not banked; attach it as your own once checked)"
                                    }
                                }
                            }
                        }
                    }
                }
            }
            div.grid {
                form.card method="post" action={ "/ui/hotline/cases/" (id) "/hashes" } {
                    (layout::csrf(&session))
                    label for="new-hashes" { "Attach hashes made on your own machine" }
                    textarea #new-hashes name="hashes" aria-describedby="new-hashes-help" {}
                    p #new-hashes-help.help {
                        "One per line: type and value, as " code { "hashwatch hash" } " writes them, e.g. "
                        code { "pdq f8f8…" } " or " code { "md5 d41d…" } "."
                    }
                    button type="submit" { "Attach" }
                }
                @if supervisor && !hashes.is_empty() && case.verdict.as_deref() == Some("illegal") {
                    form.card method="post" action={ "/ui/hotline/cases/" (id) "/bank" } {
                        (layout::csrf(&session))
                        label for="bank" { "Put this case's hashes into bank" }
                        input #bank type="text" name="bank" required autocomplete="off";
                        p.help { "The entries carry the case's category and name the case as their source." }
                        button type="submit" { "Add to bank" }
                    }
                }
            }
        }
    };
    Ok(layout::page(
        &session,
        "/ui/hotline",
        &format!("Case #{id}"),
        body,
    ))
}

/// The preview: grey and blurred until revealed (a checkbox, so it works
/// without script and by keyboard), with the prompt to take a break.
fn preview_block(session: &Session, id: i64, reveal: bool, policy: &SessionPolicy) -> Markup {
    let viewed = session.session.viewed + 1;
    html! {
        @if policy.suggests_break(viewed) {
            p.break role="status" {
                "You have viewed " (viewed) " previews in this session. This work is heavy: "
                "consider a break before the next one."
            }
        }
        div.preview {
            input.reveal #reveal type="checkbox" checked[reveal] data-key="r";
            label.reveal-label for="reveal" { " Show unblurred " kbd { "r" } }
            div.frame {
                img src={ "/ui/hotline/cases/" (id) "/preview" } alt="preview of the reported page's image (blurred until revealed)";
            }
        }
        form method="post" action="/ui/preferences" {
            (layout::csrf(session))
            input type="hidden" name="back" value={ "/ui/hotline/cases/" (id) };
            label.reveal-label {
                input type="checkbox" name="reveal_previews" checked[reveal];
                " Always show my previews unblurred "
            }
            button.secondary type="submit" { "Save" }
        }
    }
}

/// The raster image types a preview may be, by their first bytes (the
/// remote server's content type is not trusted).
fn raster_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// `GET /ui/hotline/cases/<id>/preview`: the case URL's image, fetched
/// now through the guarded client, passed through and never stored;
/// counted in the session.
pub(super) async fn preview(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
) -> UiResult<Response> {
    session.caller.hotline(HotlineAction::Assess)?;
    let session_id = session.session.id;
    let caller = session.op();
    // Who looked at what a case reported is the access most worth a
    // record: counted and audited together.
    let case = state
        .op(move |ops| Ok(ops.preview_case(&caller, session_id, id)?))
        .await?;
    let unavailable = |why: String| UiError::page(StatusCode::BAD_GATEWAY, why);
    let request = state
        .checker
        .get(&case.url)
        .map_err(|refused| unavailable(format!("the preview cannot be fetched: {refused}")))?;
    let response = request
        .send()
        .await
        .map_err(|_| unavailable("the reported page could not be reached".into()))?;
    if !response.status().is_success() {
        return Err(unavailable(format!(
            "the reported page answered {}",
            response.status()
        )));
    }
    let bytes = read_capped(response, MAX_PREVIEW_BYTES)
        .await
        .map_err(|e| match e {
            ReadError::TooLarge(_) => {
                unavailable("the reported file is too large to preview".into())
            }
            ReadError::Failed(why) => unavailable(format!("reading the reported file: {why}")),
        })?;
    let Some(content_type) = raster_type(&bytes) else {
        return Err(UiError::page(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "the reported URL is not an image this page previews (PNG, JPEG, GIF or WebP)",
        ));
    };
    let mut response = bytes.into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

#[derive(Deserialize)]
pub(super) struct HashesForm {
    hashes: String,
}

/// Hash lines (`TYPE VALUE`, blank lines skipped) as (type, value) pairs.
fn hash_lines(text: &str) -> UiResult<Vec<(String, String)>> {
    let mut hashes = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let mut words = line.split_whitespace();
        match (words.next(), words.next(), words.next()) {
            (Some(signal_type), Some(value), None) => {
                hashes.push((signal_type.to_string(), value.to_string()))
            }
            _ => {
                return Err(UiError::page(
                    StatusCode::BAD_REQUEST,
                    format!(
                        "line {}: expected a type and a value, like \"pdq f8f8…\"",
                        n + 1
                    ),
                ))
            }
        }
    }
    if hashes.is_empty() {
        return Err(UiError::page(StatusCode::BAD_REQUEST, "no hashes given"));
    }
    Ok(hashes)
}

/// Hash lines as signals, each checked as the API checks them.
fn hash_signals(text: &str) -> UiResult<Vec<(hashwatch_model::SignalType, Vec<u8>)>> {
    hash_lines(text)?
        .iter()
        .map(|(signal_type, value)| {
            let signal = hashwatch_server::signals::parse(signal_type, value)?;
            Ok((signal.signal_type, signal.value))
        })
        .collect()
}

/// `POST /ui/hotline/cases/<id>/hashes`: the API's attach.
pub(super) async fn attach_hashes(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    posted: Posted<HashesForm>,
) -> UiResult<Redirect> {
    let hashes = hash_signals(&posted.form.hashes)?;
    let caller = posted.session.op();
    state
        .op(move |ops| Ok(ops.attach_hashes(&caller, id, &hashes)?))
        .await?;
    Ok(Redirect::to(&format!(
        "/ui/hotline/cases/{id}?done=attached"
    )))
}

#[derive(Deserialize)]
pub(super) struct ToBankForm {
    bank: String,
}

/// `POST /ui/hotline/cases/<id>/bank`: the API's hashes-into-a-bank.
pub(super) async fn hashes_to_bank(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    posted: Posted<ToBankForm>,
) -> UiResult<Redirect> {
    let bank = posted.form.bank.trim().to_string();
    let caller = posted.session.op();
    state
        .op(move |ops| Ok(ops.hashes_to_bank(&caller, id, &bank)?))
        .await?;
    Ok(Redirect::to(&format!("/ui/hotline/cases/{id}?done=banked")))
}

#[derive(Deserialize)]
pub(super) struct AssessForm {
    verdict: String,
    category: Option<String>,
}

/// `POST /ui/hotline/cases/<id>/assess`: the same call as the API's.
pub(super) async fn assess(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    posted: Posted<AssessForm>,
) -> UiResult<Redirect> {
    let caller = posted.session.op();
    let form = posted.form;
    let assessed =
        hashwatch_server::hotline::assess_case(&state, caller, id, &form.verdict, form.category)
            .await?;
    let done = if assessed.listed {
        "listed"
    } else if assessed.case.state == CaseState::Assessed.name() {
        "second"
    } else {
        "assessed"
    };
    // Back to the queue: the next case is what the analyst wants.
    Ok(Redirect::to(&format!("/ui/hotline?done={done}")))
}

/// `GET /ui/hotline/appeals`.
pub(super) async fn appeals(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<CaseQuery>,
) -> UiResult<Page> {
    let caller = session.op();
    let list = state.op(move |ops| Ok(ops.appeals(&caller)?)).await?;
    let body = html! {
        (layout::notice(q.done.as_deref()))
        @if list.is_empty() { p { "No appeals." } }
        @else {
            table {
                thead { tr { th scope="col" { "Appeal" } th scope="col" { "Case" } th scope="col" { "Received" } th scope="col" { "Reason" } th scope="col" { "State" } th scope="col" { "Decision" } } }
                tbody {
                    @for a in &list {
                        tr {
                            td { (a.id) }
                            td { a href={ "/ui/hotline/cases/" (a.case_id) } { "#" (a.case_id) } }
                            td { (when(a.at)) }
                            td { (Stored(&a.reason)) }
                            td { span.state { (a.state) } }
                            td {
                                @if a.state == hashwatch_model::AppealState::Open {
                                    form.actions method="post" action={ "/ui/hotline/appeals/" (a.id) } {
                                        (layout::csrf(&session))
                                        button type="submit" name="decision" value="upheld" { "Uphold (delist)" }
                                        button.secondary type="submit" name="decision" value="rejected" { "Reject" }
                                    }
                                } @else {
                                    (or_dash(a.decided_by.as_deref()))
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(layout::page(
        &session,
        "/ui/hotline/appeals",
        "Appeals",
        body,
    ))
}

#[derive(Deserialize)]
pub(super) struct AppealForm {
    decision: String,
}

/// `POST /ui/hotline/appeals/<id>`.
pub(super) async fn decide_appeal(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    posted: Posted<AppealForm>,
) -> UiResult<Redirect> {
    hashwatch_server::hotline::decide_appeal_as(
        &state,
        posted.session.op(),
        id,
        &posted.form.decision,
    )
    .await?;
    Ok(Redirect::to("/ui/hotline/appeals?done=decided"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn previews_are_raster_images_by_their_bytes() {
        assert_eq!(raster_type(b"\x89PNG\r\n\x1a\nrest"), Some("image/png"));
        assert_eq!(raster_type(&[0xff, 0xd8, 0xff, 0xe0]), Some("image/jpeg"));
        assert_eq!(raster_type(b"GIF89a..."), Some("image/gif"));
        assert_eq!(raster_type(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(raster_type(b"<svg onload=alert(1)>"), None);
        assert_eq!(raster_type(b"<html>"), None);
        assert_eq!(raster_type(b""), None);
    }

    #[test]
    fn hash_lines_become_pairs() {
        let pairs = hash_lines("pdq abc\n\n  md5   def  \n").ok();
        let pair = |t: &str, v: &str| (t.to_string(), v.to_string());
        assert_eq!(pairs, Some(vec![pair("pdq", "abc"), pair("md5", "def")]));
        assert!(hash_signals("md5 nothex").is_err());
        assert!(hash_lines("pdq").is_err());
        assert!(hash_lines("pdq a b").is_err());
        assert!(hash_lines("  \n").is_err());
    }
}
