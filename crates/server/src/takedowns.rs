//! The takedown worker: for each open case, attribute the URL, re-check
//! it, and send a notice when one is due, or give up past the expiry. The
//! decisions are hashwatch-hotline's ([`hashwatch_hotline::takedown`]); the
//! requests go through hashwatch-outbound; each step's change commits with
//! its audit row.

use hashwatch_hotline::notice_text;
use hashwatch_hotline::takedown::{self, Next};
use hashwatch_model::{unix_now, Case};
use hashwatch_operations::Caller;
use serde_json::json;

use crate::error::ApiResult;
use crate::state::AppState;

/// One takedown round for a case: attribute it, re-check the URL, and send
/// a notice when one is due. A failure is logged; the next round retries.
pub async fn round(state: &AppState, id: i64) {
    if let Err(e) = try_round(state, id).await {
        tracing::warn!(case = id, error = %e.message, "takedown round failed");
    }
}

/// Runs a takedown round for every open case each `--recheck-interval`.
pub async fn takedowns(state: AppState) {
    loop {
        tokio::time::sleep(state.config.takedown.recheck_interval).await;
        let ops = state.ops.clone();
        let open =
            tokio::task::spawn_blocking(move || ops.open_takedowns(&Caller::hotline())).await;
        let Ok(Ok(cases)) = open else {
            tracing::warn!("cannot read open takedowns");
            continue;
        };
        for case in cases {
            round(&state, case.id).await;
        }
    }
}

async fn try_round(state: &AppState, id: i64) -> ApiResult<()> {
    let case = state
        .op(move |ops| Ok(ops.case(&Caller::hotline(), id)?))
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
    let check = hashwatch_outbound::recheck(&state.checker, &case.url).await;
    let (result, gone) = (check.describe(), check.gone());
    let confirm_after = state.config.takedown.confirm_removal_seconds();
    let checked = state
        .op(move |ops| {
            Ok(ops.record_check(&Caller::hotline(), id, &result, gone, confirm_after)?)
        })
        .await?;
    if !hashwatch_hotline::case::takedown_open(checked.state) {
        return Ok(());
    }
    match state
        .config
        .takedown
        .next(&checked, unix_now(), &state.config.hotline_name)
    {
        Next::Wait => Ok(()),
        Next::Expire => {
            state
                .op(move |ops| Ok(ops.expire_case(&Caller::hotline(), id)?))
                .await
        }
        Next::Notify(notice) => send_notice(state, &checked, notice).await,
    }
}

async fn attribute(state: &AppState, case: Case) -> ApiResult<Case> {
    let resolver = state.resolver.clone();
    let host = case.host.clone();
    let addresses = tokio::task::spawn_blocking(move || resolver.resolve(&host))
        .await?
        .unwrap_or_default();
    let found = takedown::attribute(&addresses, state.config.providers.as_deref());
    let id = case.id;
    state
        .op(move |ops| Ok(ops.attribute_case(&Caller::hotline(), id, &found)?))
        .await
}

async fn send_notice(
    state: &AppState,
    case: &Case,
    notice: hashwatch_hotline::Notice,
) -> ApiResult<()> {
    let text = notice_text(&notice);
    let (id, attempt) = (case.id, notice.attempt);
    let claim_text = text.clone();
    let claimed = state
        .op(move |ops| Ok(ops.claim_notice(&Caller::hotline(), id, attempt, &claim_text)?))
        .await?;
    if claimed.is_none() {
        // Another round sends this one.
        return Ok(());
    }
    let delivery = match &case.webhook {
        Some(url) => {
            let body = json!({"notice": notice, "text": text});
            hashwatch_outbound::post_json(&state.http, url, &body).await
        }
        None => "email text ready; no webhook".to_string(),
    };
    state
        .op(move |ops| {
            Ok(ops.record_notice_delivery(&Caller::hotline(), id, attempt, &delivery)?)
        })
        .await
}
