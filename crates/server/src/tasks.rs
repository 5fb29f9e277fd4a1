//! Background work: loading and following the index, acting on matches
//! (records, audit, webhooks, reviews, flood flags), sending webhooks with
//! retries, and the retention purge.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use hashwatch_access::secrets::Purpose;
use hashwatch_feed::{PullError, Pulled};
use hashwatch_model::unix_now;
use hashwatch_operations::workers::Matched;
use hashwatch_operations::Caller;
use hashwatch_operations::OpResult;
use hashwatch_outbound::webhook;
use tokio::sync::mpsc;

use crate::state::{AppState, Event};

/// Matches waiting in the action worker's queue before lookups wait.
pub const EVENT_QUEUE: usize = 10_000;

/// Loads the index (retrying while the store is unreachable), then applies
/// the store's changes every `follow_interval`.
pub async fn follow(state: AppState) {
    loop {
        let s = state.clone();
        match tokio::task::spawn_blocking(move || s.load()).await {
            Ok(Ok(())) => break,
            Ok(Err(e)) => tracing::error!(error = %e, "cannot load the index; retrying"),
            Err(e) => tracing::error!(error = %e, "index load panicked; retrying"),
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    loop {
        tokio::time::sleep(state.config.follow_interval).await;
        let s = state.clone();
        match tokio::task::spawn_blocking(move || s.follow()).await {
            Ok(Ok(0)) => {}
            Ok(Ok(n)) => tracing::debug!(changes = n, "index followed the store"),
            Ok(Err(e)) => tracing::warn!(error = %e, "cannot follow the store"),
            Err(e) => tracing::error!(error = %e, "follow panicked"),
        }
    }
}

/// Flood counts: entry → (window start, matches in window, flagged).
#[derive(Default)]
pub struct Flood(Mutex<HashMap<u64, (Instant, u64, bool)>>);

impl Flood {
    /// Counts a match; true the first time the entry passes `limit` in the
    /// current window.
    pub fn count(&self, entry: u64, limit: u64, window: Duration) -> bool {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        if map.len() > 1_000_000 {
            map.retain(|_, (start, _, _)| now.duration_since(*start) < window);
        }
        let (start, count, flagged) = map.entry(entry).or_insert((now, 0, false));
        if now.duration_since(*start) >= window {
            *start = now;
            *count = 0;
            *flagged = false;
        }
        *count += 1;
        if *count > limit && !*flagged {
            *flagged = true;
            return true;
        }
        false
    }
}

/// Events being acted on (for a clean shutdown).
pub static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);

/// Records matches and runs each bank's actions, in batches.
pub async fn act(state: AppState, mut events: mpsc::Receiver<Event>) {
    let flood = std::sync::Arc::new(Flood::default());
    while let Some(first) = events.recv().await {
        let mut batch = vec![first];
        while batch.len() < 512 {
            match events.try_recv() {
                Ok(e) => batch.push(e),
                Err(_) => break,
            }
        }
        IN_FLIGHT.fetch_add(batch.len(), Ordering::SeqCst);
        let n = batch.len();
        let s = state.clone();
        let flood = flood.clone();
        let done = tokio::task::spawn_blocking(move || act_on(&s, &flood, batch)).await;
        match done {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "cannot record matches"),
            Err(e) => tracing::error!(error = %e, "match recording panicked"),
        }
        IN_FLIGHT.fetch_sub(n, Ordering::SeqCst);
    }
}

/// Records one batch of matches and runs each bank's actions for them, in
/// one transaction (see [`hashwatch_operations::Operations::record_matches`]).
pub fn act_on(state: &AppState, flood: &Flood, batch: Vec<Event>) -> OpResult<()> {
    let settings = state.view().settings.clone();
    let batch: Vec<Matched> = batch
        .into_iter()
        .map(
            |Event::Matched {
                 caller,
                 query,
                 hits,
             }| Matched {
                looker: caller,
                query,
                hits,
            },
        )
        .collect();
    let policy = state.config.flood;
    let window = Duration::from_secs(policy.window_seconds);
    let flooded = |entry: u64| {
        let flooded = flood.count(entry, policy.limit, window);
        if flooded {
            tracing::warn!(entry, "flood: a signal matched more than the limit");
        }
        flooded
    };
    state
        .ops
        .record_matches(&Caller::service(), &batch, &settings, &policy, &flooded)
}

/// Sends due webhook deliveries, retrying with doubling delays, then to
/// the dead letters.
pub async fn deliver(state: AppState) {
    loop {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let ops = state.ops.clone();
        let claimed =
            tokio::task::spawn_blocking(move || ops.claim_deliveries(&Caller::service(), 32, 60))
                .await;
        let due = match claimed {
            Ok(Ok(due)) => due,
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "cannot read webhook deliveries");
                continue;
            }
            Err(_) => continue,
        };
        for d in due {
            let error = if d.secret.is_empty() {
                Some("the bank has no webhook any more".to_string())
            } else {
                match crate::secrets::open(&state, Purpose::Webhook, &d.secret) {
                    Err(e) => {
                        tracing::error!(delivery = d.id, error = %e, "cannot open a webhook secret");
                        Some(
                            "the webhook secret does not open with this server's secrets key"
                                .into(),
                        )
                    }
                    Ok(secret) => webhook::send(&state.http, &d.url, &secret, d.id, &d.body).await,
                }
            };
            let retry_at = error
                .as_ref()
                .and_then(|_| state.config.webhooks.retry_at(d.attempts + 1, unix_now()));
            if let Some(e) = &error {
                let owner = state.view().settings.get(&d.bank).map(|s| s.tenant.clone());
                state.metrics.webhook_failed(owner.as_deref());
                tracing::warn!(delivery = d.id, url = %d.url, error = %e, dead = retry_at.is_none(), "webhook failed");
            }
            let ops = state.ops.clone();
            let _ = tokio::task::spawn_blocking(move || {
                ops.delivery_attempted(&Caller::service(), d.id, error.as_deref(), retry_at)
            })
            .await;
        }
    }
}

/// Purges records past the retention period, except held ones; audited.
pub async fn retain(state: AppState) {
    loop {
        let ops = state.ops.clone();
        let cutoff = state.config.retention.cutoff(unix_now());
        let purged =
            tokio::task::spawn_blocking(move || ops.purge(&Caller::service(), cutoff)).await;
        match purged {
            Ok(Ok(p)) => tracing::info!(
                audit = p.audit,
                matches = p.matches,
                reviews = p.reviews,
                "retention purge"
            ),
            Ok(Err(e)) => tracing::error!(error = %e, "retention purge failed"),
            Err(e) => tracing::error!(error = %e, "retention purge panicked"),
        }
        tokio::time::sleep(state.config.retention.every).await;
    }
}

/// Pulls every subscription's feed each `--feed-interval`, with
/// hashwatch-feed's puller over HTTP into the store.
pub async fn subscriptions(state: AppState) {
    let client = hashwatch_outbound::feed_client(state.guard.clone());
    loop {
        tokio::time::sleep(state.config.feeds.every).await;
        let ops = state.ops.clone();
        let listed =
            tokio::task::spawn_blocking(move || ops.subscriptions(&Caller::service())).await;
        let Ok(Ok(subscriptions)) = listed else {
            tracing::warn!("cannot read feed subscriptions");
            continue;
        };
        let ids: Vec<i64> = subscriptions.iter().map(|s| s.id).collect();
        for mut sub in subscriptions {
            if let Some(stored) = &sub.api_key {
                match crate::secrets::open(&state, Purpose::Subscription, stored) {
                    Ok(key) => sub.api_key = Some(key),
                    Err(e) => {
                        tracing::error!(url = %sub.url, error = %e, "cannot open a subscription's API key");
                        let ops = state.ops.clone();
                        let note = format!("not pulled: {e}");
                        let _ = tokio::task::spawn_blocking(move || {
                            ops.pull_failed(&Caller::service(), &sub, &note)
                        })
                        .await;
                        continue;
                    }
                }
            }
            let (ops, client) = (state.ops.clone(), client.clone());
            let runtime = tokio::runtime::Handle::current();
            let stopping = state.stopping.clone();
            let (url, kind) = (sub.url.clone(), sub.kind);
            let pulled = tokio::task::spawn_blocking(move || {
                let transport =
                    hashwatch_outbound::FeedTransport::new(client, runtime).stopping(stopping);
                ops.pull(
                    &Caller::service(),
                    &transport,
                    &sub,
                    hashwatch_feed::pull::DEFAULT_PAGE,
                    &mut |_| {},
                )
                .map_err(|e| PullError::Refused(e.to_string()))
                .and_then(|pulled| pulled)
            })
            .await;
            match pulled {
                Ok(Ok(Pulled::Bank(r))) if r.pages > 0 => tracing::info!(
                    %url, added = r.added, removed = r.removed,
                    checkpoint = r.checkpoint, "feed synced"
                ),
                Ok(Ok(Pulled::Assessments(n))) if n > 0 => {
                    tracing::info!(%url, taken = n, "shared assessments synced")
                }
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::warn!(%url, %kind, error = %e, "feed sync failed"),
                Err(e) => tracing::error!(%url, %kind, error = %e, "feed sync panicked"),
            }
        }
        alert_stale(&state, ids).await;
    }
}

/// Counts (metric) and logs subscriptions whose newest page is older than
/// `--feed-max-lag`: a publisher gone quiet, or someone replaying its
/// old pages, both stop revocations from arriving.
async fn alert_stale(state: &AppState, ids: Vec<i64>) {
    let ops = state.ops.clone();
    let listed = tokio::task::spawn_blocking(move || ops.subscriptions(&Caller::service())).await;
    let Ok(Ok(subscriptions)) = listed else {
        return;
    };
    let now = unix_now();
    let stale: Vec<&hashwatch_model::Subscription> = subscriptions
        .iter()
        .filter(|s| ids.contains(&s.id) && state.config.feeds.stale(s, now))
        .collect();
    // Said when the number changes, not on every round.
    if state.metrics.stale_feeds(stale.len() as u64) != stale.len() as u64 {
        for sub in stale {
            tracing::warn!(url = %sub.url, fresh_at = ?sub.fresh_at, "feed stale: no page newer than --feed-max-lag");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flood_flags_once_per_window() {
        let flood = Flood::default();
        let window = Duration::from_secs(60);
        let flags: Vec<bool> = (0..5).map(|_| flood.count(7, 3, window)).collect();
        assert_eq!(flags, [false, false, false, true, false]);
        assert!(!flood.count(8, 3, window));
    }
}
