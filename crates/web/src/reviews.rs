//! The match review queue: confirm or reject, optionally into a negative
//! bank.

use axum::extract::{Path, Query, State};
use axum::response::Redirect;
use maud::html;
use serde::Deserialize;

use super::layout::{self, or_dash, when, Stored};
use super::{Page, Posted, Session, UiResult};
use hashwatch_server::state::AppState;

/// Open reviews shown at once.
const REVIEW_ROWS: usize = 100;

#[derive(Deserialize, Default)]
pub(super) struct ReviewQuery {
    done: Option<String>,
}

/// `GET /ui/reviews`: open reviews, oldest first, each with the banked
/// entry it hit (category, source, when added, whether revoked) and the
/// earlier decisions on that entry.
pub(super) async fn queue(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<ReviewQuery>,
) -> UiResult<Page> {
    let caller = session.op();
    let (rows, negative_banks) = state
        .op(move |ops| {
            let rows = ops.review_queue(&caller, REVIEW_ROWS)?;
            let negative = ops
                .negative_banks(&caller)?
                .into_iter()
                .map(|name| ops.bank_label(&caller, &name))
                .collect::<Vec<_>>();
            Ok((rows, negative))
        })
        .await?;
    let label = |name: &str| session.caller.bank_label(name);
    let body = html! {
        (layout::notice(q.done.as_deref()))
        @if rows.is_empty() {
            p { "The review queue is empty." }
        }
        @for (n, row) in rows.iter().enumerate() {
            @let r = &row.review;
            @let m = &r.record;
            section.card aria-labelledby={ "review-" (r.id) } {
                h2 #{ "review-" (r.id) } {
                    "Review " (r.id) ": " (r.reason) " in " (label(&m.bank))
                }
                dl.facts {
                    dt { "Matched" } dd { (when(r.at)) }
                    dt { "Distance" } dd { strong { (m.distance) } @if m.signal_type == "pdq" { " of 256 bits" } }
                    dt { "Signal" } dd { (m.signal_type) }
                    dt { "Query" } dd.hash { (m.query) }
                    dt { "Bank entry" } dd { (m.entry_id) " (item " (m.content_id) ")" }
                    @if let Some(e) = &row.entry {
                        dt { "Category" } dd { (or_dash(e.signal.category.as_deref())) }
                        dt { "Source" } dd { (or_dash(e.signal.source.as_deref())) }
                        dt { "Banked" } dd { (e.added_at) ", version " (e.added_version) }
                        @if let Some(at) = &e.revoked_at {
                            dt { "Revoked" } dd { (at) @if let Some(why) = &e.revoke_reason { ": " (Stored(why)) } }
                        }
                    }
                    dt { "Earlier decisions" }
                    dd {
                        @if row.earlier.is_empty() { "none" }
                        @for e in &row.earlier {
                            (e.state) " by " (or_dash(e.decided_by.as_deref())) " on " (e.decided_at.map(when).unwrap_or_default()) "; "
                        }
                    }
                }
                form.actions method="post" action={ "/ui/reviews/" (r.id) } {
                    (layout::csrf(&session))
                    @if n == 0 {
                        button type="submit" name="decision" value="confirm" data-key="c" { "Confirm " kbd { "c" } }
                    } @else {
                        button type="submit" name="decision" value="confirm" { "Confirm" }
                    }
                    div {
                        label for={ "negative-" (r.id) } { "On rejection, add to negative bank" }
                        select #{ "negative-" (r.id) } name="negative_bank" {
                            option value="" { "none" }
                            @for b in &negative_banks { option value=(b) { (b) } }
                        }
                    }
                    @if n == 0 {
                        button.secondary type="submit" name="decision" value="reject" data-key="x" { "Reject " kbd { "x" } }
                    } @else {
                        button.secondary type="submit" name="decision" value="reject" { "Reject" }
                    }
                }
            }
        }
    };
    Ok(layout::page(&session, "/ui/reviews", "Review queue", body))
}

/// `POST /ui/reviews/<id>`: the same call as the API's.
pub(super) async fn decide(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    posted: Posted<hashwatch_server::reviews::Decision>,
) -> UiResult<Redirect> {
    hashwatch_server::reviews::decide(&state, posted.session.op(), id, posted.form).await?;
    Ok(Redirect::to("/ui/reviews?done=decided"))
}
