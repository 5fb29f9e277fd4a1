//! Records for administrators: the audit log (searched), legal holds and
//! feed subscriptions. Holds and subscriptions are the API's own answers,
//! shown as tables.

use axum::extract::{Path, Query, State};
use axum::response::Redirect;
use hashwatch_model::{HoldKind, RecordQuery};
use hashwatch_operations::holds::NewHold;
use maud::{html, Markup};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::layout::{self, given, value_text, when, Stored};
use super::{Empty, Page, Posted, Session, UiError, UiResult};
use hashwatch_server::error::ApiError;
use hashwatch_server::feeds::SubscriptionView;
use hashwatch_server::state::AppState;

/// Audit entries per page.
const AUDIT_PAGE: i64 = 100;

#[derive(Deserialize, Default)]
pub(super) struct AuditQuery {
    action: Option<String>,
    actor: Option<String>,
    target: Option<String>,
    bank: Option<String>,
    /// `YYYY-MM-DD`, inclusive.
    from: Option<String>,
    /// `YYYY-MM-DD`, inclusive.
    to: Option<String>,
    before: Option<i64>,
}

/// A date field as the Unix time its day starts.
fn day_start(field: &str, value: &Option<String>) -> UiResult<Option<i64>> {
    let Some(v) = given(value) else {
        return Ok(None);
    };
    let t = humantime::parse_rfc3339(&format!("{v}T00:00:00Z")).map_err(|_| {
        UiError::page(
            axum::http::StatusCode::BAD_REQUEST,
            format!("{field} must be a date like 2026-12-04, not {v:?}"),
        )
    })?;
    Ok(t.duration_since(std::time::UNIX_EPOCH)
        .ok()
        .map(|d| d.as_secs() as i64))
}

/// `GET /ui/audit`: the tenant's audit log, newest first, searched by
/// action (prefix), actor, target, bank and dates.
pub(super) async fn audit(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<AuditQuery>,
) -> UiResult<Page> {
    let query = RecordQuery {
        from: day_start("from", &q.from)?,
        to: day_start("to", &q.to)?.map(|t| t + 86_400),
        bank: given(&q.bank),
        before: q.before,
        newest_first: true,
        target: given(&q.target),
        action: given(&q.action),
        actor: given(&q.actor),
        limit: Some(AUDIT_PAGE),
        ..RecordQuery::default()
    };
    let caller = session.op();
    let events = state
        .op(move |ops| Ok(ops.audit_log(&caller, query)?))
        .await?;
    let older = (events.len() as i64 == AUDIT_PAGE)
        .then(|| events.last().map(|e| e.id))
        .flatten();
    let field = |name: &str, label: &str, value: &Option<String>, kind: &str| -> Markup {
        html! {
            div {
                label for=(name) { (label) }
                input #(name) type=(kind) name=(name) value=(value.clone().unwrap_or_default());
            }
        }
    };
    let body = html! {
        form.filters method="get" action="/ui/audit" role="search" {
            (field("action", "Action starts with", &q.action, "text"))
            (field("actor", "Actor", &q.actor, "text"))
            (field("target", "Target", &q.target, "text"))
            (field("bank", "Bank", &q.bank, "text"))
            (field("from", "From", &q.from, "date"))
            (field("to", "To", &q.to, "date"))
            div { button type="submit" { "Search" } }
        }
        @if events.is_empty() { p { "No entries." } }
        @else {
            table {
                thead { tr {
                    th scope="col" { "Id" } th scope="col" { "When" } th scope="col" { "Actor" } th scope="col" { "Action" }
                    th scope="col" { "Bank" } th scope="col" { "Target" } th scope="col" { "Detail" }
                } }
                tbody {
                    @for e in &events {
                        tr {
                            td.num { (e.id) }
                            td { (when(e.at)) }
                            td { (e.event.actor) }
                            td { code { (e.event.action) } }
                            td { (e.event.bank.as_deref().map(|b| session.caller.bank_label(b)).unwrap_or_default()) }
                            td { (e.event.target.clone().unwrap_or_default()) }
                            td.hash { (Stored(e.event.detail.as_deref().unwrap_or_default())) }
                        }
                    }
                }
            }
            @if let Some(before) = older {
                p { a href=(older_link(&q, before)) { "Older entries" } }
            }
        }
    };
    Ok(layout::page(&session, "/ui/audit", "Audit log", body))
}

/// The same search, one page older.
fn older_link(q: &AuditQuery, before: i64) -> String {
    let mut url = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in [
        ("action", &q.action),
        ("actor", &q.actor),
        ("target", &q.target),
        ("bank", &q.bank),
        ("from", &q.from),
        ("to", &q.to),
    ] {
        if let Some(v) = given(value) {
            url.append_pair(name, &v);
        }
    }
    url.append_pair("before", &before.to_string());
    format!("/ui/audit?{}", url.finish())
}

/// An API answer's list of objects as a table: one column per field.
fn table_of(rows: &[Value]) -> Markup {
    let columns: Vec<String> = rows
        .first()
        .and_then(Value::as_object)
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    let cell = |v: Option<&Value>| -> String {
        Some(value_text(v))
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| "–".into())
    };
    html! {
        table {
            thead { tr { @for c in &columns { th scope="col" { (c.replace('_', " ")) } } } }
            tbody {
                @for row in rows {
                    tr {
                        @for c in &columns {
                            @let v = row.get(c);
                            @if c.ends_with("_at") && v.and_then(Value::as_i64).is_some() {
                                td { (when(v.and_then(Value::as_i64).unwrap_or_default())) }
                            } @else {
                                td { (cell(v)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The list under `field` of an API answer.
fn listed<T: Serialize>(rows: &[T]) -> UiResult<Vec<Value>> {
    rows.iter()
        .map(|row| Ok(serde_json::to_value(row).map_err(ApiError::internal)?))
        .collect()
}

#[derive(Deserialize, Default)]
pub(super) struct Done {
    done: Option<String>,
}

/// `GET /ui/holds`: legal holds the key may see, placed and released here.
pub(super) async fn holds(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<Done>,
) -> UiResult<Page> {
    let caller = session.op();
    let holds = state.op(move |ops| Ok(ops.holds(&caller)?)).await?;
    let body = html! {
        (layout::notice(q.done.as_deref()))
        @if holds.is_empty() { p { "No legal holds." } }
        @else {
            table {
                thead { tr {
                    th scope="col" { "Hold" } th scope="col" { "Kind" } th scope="col" { "Target" } th scope="col" { "Reason" }
                    th scope="col" { "Placed" } th scope="col" { "Released" }
                } }
                tbody {
                    @for hold in &holds {
                        tr {
                            td { (hold.id) }
                            td { (hold.kind.name()) }
                            td { (hold.target) }
                            td { (Stored(&hold.reason)) }
                            td { (hold.placed_by) ", " (when(hold.placed_at)) }
                            td {
                                @match hold.released_at {
                                    Some(at) => { (when(at)) }
                                    None => {
                                        form method="post" action={ "/ui/holds/" (hold.id) "/release" } {
                                            (layout::csrf(&session))
                                            button.secondary type="submit" { "Release" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        h2 { "Place a hold" }
        form.filters method="post" action="/ui/holds" {
            (layout::csrf(&session))
            div {
                label for="kind" { "Kind" }
                select #kind name="kind" {
                    @for kind in HoldKind::ALL { option value=(kind.name()) { (kind.name()) } }
                }
            }
            div {
                label for="target" { "Bank name, or the item, match or case id" }
                input #target type="text" name="target" required;
            }
            div {
                label for="reason" { "Reason (a case reference)" }
                input #reason type="text" name="reason" required;
            }
            div { button type="submit" { "Place hold" } }
        }
        p.help { "Held records are kept past retention until released." }
    };
    Ok(layout::page(&session, "/ui/holds", "Legal holds", body))
}

#[derive(Deserialize)]
pub(super) struct HoldForm {
    kind: String,
    target: String,
    reason: String,
}

/// `POST /ui/holds`: the API's hold.
pub(super) async fn place_hold(
    State(state): State<AppState>,
    posted: Posted<HoldForm>,
) -> UiResult<Redirect> {
    let f = posted.form;
    let Some(kind) = HoldKind::parse(&f.kind) else {
        return Err(UiError::page(
            axum::http::StatusCode::BAD_REQUEST,
            "kind must be bank, content, match or case",
        ));
    };
    let new = NewHold {
        kind,
        target: f.target.trim().to_string(),
        reason: f.reason,
    };
    let caller = posted.session.op();
    state
        .op(move |ops| Ok(ops.place_hold(&caller, &new)?))
        .await?;
    Ok(Redirect::to("/ui/holds?done=held"))
}

/// `POST /ui/holds/<id>/release`: the API's release.
pub(super) async fn release_hold(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    posted: Posted<Empty>,
) -> UiResult<Redirect> {
    let caller = posted.session.op();
    state
        .op(move |ops| Ok(ops.release_hold(&caller, id)?))
        .await?;
    Ok(Redirect::to("/ui/holds?done=released"))
}

/// `GET /ui/feeds`: subscriptions to other instances' feeds and how fresh
/// each is.
pub(super) async fn feeds(State(state): State<AppState>, session: Session) -> UiResult<Page> {
    let caller = session.op();
    let subs = state.op(move |ops| Ok(ops.subscriptions(&caller)?)).await?;
    let now = hashwatch_model::unix_now();
    let views: Vec<_> = subs
        .into_iter()
        .map(|s| SubscriptionView::new(s, now, &state.config.feeds))
        .collect();
    let stale = views.iter().filter(|v| v.stale).count();
    let rows = listed(&views)?;
    let body = html! {
        @if stale > 0 {
            p.warning role="status" { (stale) " subscription(s) have no page newer than the service's allowed lag." }
        }
        @if rows.is_empty() { p { "No subscriptions." } } @else { (table_of(&rows)) }
    };
    Ok(layout::page(
        &session,
        "/ui/feeds",
        "Feed subscriptions",
        body,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_days() {
        assert_eq!(
            day_start("from", &Some("2026-12-04".into())).ok().flatten(),
            Some(1_796_342_400)
        );
        assert!(day_start("from", &Some("yesterday".into())).is_err());
        assert_eq!(day_start("from", &Some(" ".into())).ok().flatten(), None);
    }

    #[test]
    fn older_pages_keep_the_search() {
        let q = AuditQuery {
            action: Some("hotline.".into()),
            actor: Some(" ".into()),
            ..AuditQuery::default()
        };
        assert_eq!(older_link(&q, 42), "/ui/audit?action=hotline.&before=42");
    }
}
