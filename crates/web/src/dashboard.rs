//! The dashboard: what each role watches, drawn as charts with their
//! numbers beside them.

use std::collections::BTreeMap;

use axum::extract::State;
use hashwatch_access::{BankAction, HotlineAction};
use maud::{html, Markup};

use super::layout::{self, duration};
use super::svg;
use super::{Page, Session, UiResult};
use hashwatch_server::feeds::SubscriptionView;
use hashwatch_server::state::AppState;

/// Days the charts cover.
const DAYS: i64 = 30;

fn day_label(day: i64) -> String {
    layout::when(day * 86_400)[5..10].to_string()
}

/// A chart with its legend and its numbers in a table people can read
/// without seeing it.
fn chart(title: &str, days: &[i64], series: &[(String, Vec<f64>)]) -> Markup {
    let labels: Vec<String> = days.iter().map(|d| day_label(*d)).collect();
    let total: f64 = series.iter().flat_map(|(_, v)| v.iter()).sum();
    html! {
        figure.chart {
            (layout::trusted_svg(svg::stacked_bars(title, &labels, series)))
            figcaption {
                ul.legend {
                    @for (i, (name, values)) in series.iter().enumerate() {
                        li { span class={ "swatch sw" (i % svg::COLOURS.len()) } {} (name) ": " (values.iter().sum::<f64>()) }
                    }
                }
                (total) " in " (days.len()) " days"
            }
            details {
                summary { "Numbers" }
                table {
                    thead { tr { th scope="col" { "Day" } @for (name, _) in series { th scope="col" class="num" { (name) } } } }
                    tbody {
                        @for (j, label) in labels.iter().enumerate() {
                            tr { td { (label) } @for (_, v) in series { td.num { (v.get(j).copied().unwrap_or(0.0)) } } }
                        }
                    }
                }
            }
        }
    }
}

/// The last `DAYS` days, as day numbers.
fn last_days(today: i64) -> Vec<i64> {
    (today - DAYS + 1..=today).collect()
}

/// `GET /ui/`.
pub(super) async fn home(State(state): State<AppState>, session: Session) -> UiResult<Page> {
    let now = hashwatch_model::unix_now();
    let today = now / 86_400;
    let days = last_days(today);
    let since = days[0] * 86_400;
    let caller = session.caller.clone();
    // Match records are the bank owner's, as on the API (`GET /matches`).
    let banks_role = caller.may(BankAction::Administer).is_ok();
    let hotline_role = caller.hotline(HotlineAction::Assess).is_ok();
    let curator = caller.may(BankAction::Curate).is_ok();
    let admin = caller.may(BankAction::Administer).is_ok();
    let asker = session.op();
    let figures = state
        .op(move |ops| Ok(ops.dashboard(&asker, since)?))
        .await?;
    let (matches, daily, queue, open_reviews) = (
        figures.matches,
        figures.daily,
        figures.queue,
        figures.open_reviews,
    );
    let removals = if hotline_role {
        Some(hashwatch_server::hotline::removal_stats(&state, session.op()).await?)
    } else {
        None
    };
    let subscriptions = if admin {
        let asker = session.op();
        let subs = state.op(move |ops| Ok(ops.subscriptions(&asker)?)).await?;
        subs.into_iter()
            .map(|s| SubscriptionView::new(s, now, &state.config.feeds))
            .collect()
    } else {
        Vec::new()
    };

    // Matches per day, one series per bank (the six busiest; the rest
    // together).
    let position = |day: i64| (day - days[0]) as usize;
    let mut per_bank: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    // A node whose clock runs ahead may have recorded "tomorrow".
    for (day, bank, n) in matches
        .iter()
        .filter(|(d, _, _)| (days[0]..=today).contains(d))
    {
        let label = caller.bank_label(bank);
        per_bank
            .entry(label)
            .or_insert_with(|| vec![0.0; days.len()])[position(*day)] += *n as f64;
    }
    let mut series: Vec<(String, Vec<f64>)> = per_bank.into_iter().collect();
    series.sort_by(|a, b| b.1.iter().sum::<f64>().total_cmp(&a.1.iter().sum::<f64>()));
    if series.len() > svg::COLOURS.len() {
        let rest = series.split_off(svg::COLOURS.len() - 1);
        let mut other = vec![0.0; days.len()];
        for (_, v) in rest {
            for (o, x) in other.iter_mut().zip(v) {
                *o += x;
            }
        }
        series.push(("other banks".into(), other));
    }
    let mut reports = vec![0.0; days.len()];
    let mut confirmed = vec![0.0; days.len()];
    for (day, r, c) in &daily {
        if *day >= days[0] && *day <= today {
            reports[position(*day)] = *r as f64;
            confirmed[position(*day)] = *c as f64;
        }
    }
    let hours = |s: Option<i64>| s.unwrap_or(0) as f64 / 3600.0;
    let body = html! {
        ul.counts {
            @if hotline_role { li { a href="/ui/hotline" { "Cases in my queue: " strong { (queue) } } } }
            @if curator { li { a href="/ui/reviews" { "Open reviews: " strong { (open_reviews) } } } }
        }
        div.grid {
            @if banks_role {
                section.card.wide aria-labelledby="matches" {
                    h2 #matches { "Matches per day, by bank" }
                    @if series.is_empty() { p { "No matches in the last " (DAYS) " days." } }
                    @else { (chart("Matches per day, by bank, last 30 days", &days, &series)) }
                }
            }
            @if hotline_role {
                section.card.wide aria-labelledby="reports" {
                    h2 #reports { "Reports and confirmations per day" }
                    (chart("Reports received and cases confirmed per day, last 30 days", &days,
                        &[("reports".to_string(), reports.clone()), ("confirmed".to_string(), confirmed.clone())]))
                }
            }
            @if let Some(r) = &removals {
                @for (title, groups) in [("Time from first notice to removal, by provider", &r.by_provider), ("Time from first notice to removal, by jurisdiction", &r.by_jurisdiction)] {
                    section.card {
                        h2 { (title) }
                        @if groups.is_empty() { p { "No removals yet." } }
                        @else {
                            figure.chart {
                                (layout::trusted_svg(svg::paired_bars(title,
                                    &groups.iter().map(|g| (g.name.clone(), hours(g.median_seconds), hours(g.p90_seconds))).collect::<Vec<_>>(), "h")))
                                figcaption {
                                    ul.legend {
                                        li { span.swatch.sw0 {} "median" }
                                        li { span.swatch.sw1 {} "90th percentile" }
                                    }
                                }
                            }
                            table {
                                thead { tr { th scope="col" { "Name" } th scope="col" class="num" { "Removed" } th scope="col" class="num" { "Median" } th scope="col" class="num" { "90th percentile" } } }
                                tbody {
                                    @for g in groups.iter() {
                                        tr {
                                            td { (g.name) } td.num { (g.removed) }
                                            td.num { (g.median_seconds.map(duration).unwrap_or_default()) }
                                            td.num { (g.p90_seconds.map(duration).unwrap_or_default()) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if admin {
                section.card aria-labelledby="lag" {
                    h2 #lag { "Feed lag" }
                    @if subscriptions.is_empty() { p { "No subscriptions." } }
                    @else {
                        table {
                            thead { tr { th scope="col" { "Feed" } th scope="col" { "Into" } th scope="col" class="num" { "Lag" } th scope="col" { "State" } } }
                            tbody {
                                @for sub in &subscriptions {
                                    tr {
                                        td.url { (sub.url) }
                                        td { (sub.bank) }
                                        td.num { (sub.fresh_at.map(|f| duration(now - f)).unwrap_or_else(|| "never synced".into())) }
                                        td { @if sub.stale { strong { "stale" } } @else { "fresh" } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(layout::page(&session, "/ui/", "Dashboard", body))
}
