//! Following another instance's feed: page by page from the subscription's
//! checkpoint to the publisher's head.
//!
//! The rules are here; the network and the database are not. A
//! [`Transport`] GETs a page (hashwatch-outbound has the HTTP one), a
//! [`Subscriber`] applies what was verified (hashwatch-store's `Feeds` is
//! the database one). Every page is verified against the pinned key before
//! anything in it is read, must start right after the checkpoint, must come
//! from the feed pinned at the first page, and must not say the publisher's
//! head is behind the checkpoint. A page is applied with its checkpoint in
//! one step of the subscriber; an empty, failed or refused page moves
//! nothing. A failed pull is noted on the subscription.

use hashwatch_model::{Applied, SharedAssessment, Subscription, SubscriptionKind};

use crate::{verify_page, AssessmentsPage, PublicKey, VerifiedPage};

/// Events per page unless the subscriber asks for fewer.
pub const DEFAULT_PAGE: usize = 5_000;

/// The most events a page holds.
pub const MAX_PAGE: usize = 20_000;

pub use hashwatch_model::feed::{Fetched, Transport, MAX_PAGE_BYTES};

/// Where verified pages go: the subscriber's records.
pub trait Subscriber {
    /// Applies a verified page of a bank feed to the subscription's bank
    /// and moves its checkpoint, as one transaction.
    fn apply_page(&self, subscription: i64, page: &VerifiedPage) -> Result<Applied, String>;

    /// Applies a verified page of a partner hotline's assessments (events
    /// after `from - 1`) and moves the checkpoint, as one transaction:
    /// the URLs taken in and the new checkpoint.
    fn apply_assessments(
        &self,
        subscription: i64,
        from: i64,
        events: &[SharedAssessment],
    ) -> Result<(u64, i64), String>;

    /// Notes why a pull failed (the checkpoint stays).
    fn pull_failed(&self, subscription: i64, error: &str) -> Result<(), String>;

    /// Notes the newest time a verified page was made at.
    fn seen_fresh(&self, subscription: i64, made_at: i64) -> Result<(), String>;
}

/// How far ahead of this machine's clock a publisher's may be.
const CLOCK_SKEW: i64 = 300;

/// Refuses a page made before one already seen (a replayed page, which
/// would freeze the subscriber at what it said then), or made in the
/// future (after which every honest page would look like a replay).
fn check_fresh(sub: &Subscription, newest: i64, made_at: i64) -> Result<(), PullError> {
    if made_at < newest {
        return Err(PullError::Refused(format!(
            "{} sent a page made at {made_at}, before the page seen made at {newest}: \
             an old page replayed?",
            sub.url
        )));
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    if made_at > now + CLOCK_SKEW {
        return Err(PullError::Refused(format!(
            "{} sent a page made at {made_at}, ahead of this clock ({now}): \
             check both clocks",
            sub.url
        )));
    }
    Ok(())
}

/// Notes a page that was checked and applied as the newest seen.
fn note_fresh(
    subscriber: &dyn Subscriber,
    sub: &Subscription,
    newest: &mut i64,
    made_at: i64,
) -> Result<(), PullError> {
    if made_at > *newest {
        subscriber
            .seen_fresh(sub.id, made_at)
            .map_err(PullError::Apply)?;
        *newest = made_at;
    }
    Ok(())
}

/// How often subscriptions are pulled, and when one has gone stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PullSchedule {
    /// Time between pulls of every subscription.
    pub every: std::time::Duration,
    /// A subscription whose newest page is older than this is stale.
    pub max_lag: std::time::Duration,
}

impl PullSchedule {
    /// Whether `sub` is stale at `now` (see [`stale`]).
    pub fn stale(&self, sub: &Subscription, now: i64) -> bool {
        stale(sub, now, self.max_lag_seconds())
    }

    /// [`PullSchedule::max_lag`] in seconds.
    pub fn max_lag_seconds(&self) -> i64 {
        i64::try_from(self.max_lag.as_secs()).unwrap_or(i64::MAX)
    }
}

/// Whether a subscription has gone `max_lag` seconds at `now` without a
/// page newer than that (or never had one).
pub fn stale(sub: &Subscription, now: i64, max_lag: i64) -> bool {
    sub.fresh_at.is_none_or(|at| now - at > max_lag)
}

/// What one pull of a bank feed did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Pages applied.
    pub pages: u64,
    /// Entries added.
    pub added: u64,
    /// Entries revoked.
    pub removed: u64,
    /// The checkpoint now.
    pub checkpoint: u64,
    /// The publisher's head at the last page.
    pub head: u64,
}

/// Why a pull stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PullError {
    /// The publisher could not be reached or answered with an error.
    Transport(String),
    /// A page was refused: bad signature, another feed, a gap, a replay,
    /// history lost.
    Refused(String),
    /// The subscriber could not apply a verified page.
    Apply(String),
}

impl std::fmt::Display for PullError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PullError::Transport(m) | PullError::Refused(m) | PullError::Apply(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for PullError {}

/// What a pull of either kind of subscription did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pulled {
    /// A bank feed.
    Bank(SyncReport),
    /// A partner hotline's assessments: the URLs taken in.
    Assessments(u64),
}

/// Pulls a subscription of either kind to the publisher's head, noting a
/// failure on the subscription. `progress` sees each applied bank page.
pub fn pull(
    transport: &dyn Transport,
    subscriber: &dyn Subscriber,
    subscription: &Subscription,
    page_size: usize,
    progress: &mut dyn FnMut(&SyncReport),
) -> Result<Pulled, PullError> {
    let result = if subscription.kind == SubscriptionKind::Hotline {
        pull_assessments(transport, subscriber, subscription).map(Pulled::Assessments)
    } else {
        pull_bank(transport, subscriber, subscription, page_size, progress).map(Pulled::Bank)
    };
    if let Err(error) = &result {
        // The failure is also the answer; a failure to note it must not
        // hide it.
        let _ = subscriber.pull_failed(subscription.id, &error.to_string());
    }
    result
}

fn pinned_key(sub: &Subscription) -> Result<PublicKey, PullError> {
    PublicKey::parse(&sub.public_key).map_err(|e| PullError::Refused(e.to_string()))
}

/// Pulls a bank feed from the checkpoint to the publisher's head.
pub fn pull_bank(
    transport: &dyn Transport,
    subscriber: &dyn Subscriber,
    sub: &Subscription,
    page_size: usize,
    progress: &mut dyn FnMut(&SyncReport),
) -> Result<SyncReport, PullError> {
    let key = pinned_key(sub)?;
    let page_size = page_size.clamp(1, MAX_PAGE) as u64;
    let mut report = SyncReport {
        checkpoint: sub.checkpoint,
        ..SyncReport::default()
    };
    let mut newest = sub.fresh_at.unwrap_or(0);
    loop {
        let fetched = transport
            .get_page(
                &sub.url,
                sub.api_key.as_deref(),
                &[("since", report.checkpoint), ("limit", page_size)],
            )
            .map_err(PullError::Transport)?;
        let page = verify_page(&fetched.body, &key)
            .map_err(|e| PullError::Refused(format!("refused a page from {}: {e}", sub.url)))?;
        check_bank_page(sub, report.checkpoint, &page)?;
        check_fresh(sub, newest, page.made_at)?;
        report.head = page.head;
        if page.events.is_empty() {
            note_fresh(subscriber, sub, &mut newest, page.made_at)?;
            return Ok(report);
        }
        let applied = subscriber
            .apply_page(sub.id, &page)
            .map_err(|e| PullError::Apply(format!("cannot apply a page from {}: {e}", sub.url)))?;
        if applied.checkpoint <= report.checkpoint {
            return Err(PullError::Apply(format!(
                "a page from {} did not move the checkpoint {}",
                sub.url, report.checkpoint
            )));
        }
        note_fresh(subscriber, sub, &mut newest, page.made_at)?;
        report.pages += 1;
        report.added += applied.added;
        report.removed += applied.removed;
        report.checkpoint = applied.checkpoint;
        progress(&report);
        if report.checkpoint >= report.head {
            return Ok(report);
        }
    }
}

/// Whether a verified page may be applied after `checkpoint`.
fn check_bank_page(
    sub: &Subscription,
    checkpoint: u64,
    page: &VerifiedPage,
) -> Result<(), PullError> {
    if let Some(pinned) = sub.feed_id.as_deref().filter(|p| *p != page.feed) {
        return Err(PullError::Refused(format!(
            "{} now serves feed {:?}, not {pinned:?}: the publisher's bank was replaced",
            sub.url, page.feed
        )));
    }
    if page.from != checkpoint + 1 {
        return Err(PullError::Refused(format!(
            "{} sent a page from {}, but the checkpoint is {checkpoint}",
            sub.url, page.from
        )));
    }
    if page.head < checkpoint {
        return Err(PullError::Refused(format!(
            "{} says its feed ends at {}, before this subscription's checkpoint {checkpoint}: \
             the publisher lost history (restored from a backup?)",
            sub.url, page.head
        )));
    }
    Ok(())
}

/// Pulls a partner hotline's shared assessments from the checkpoint to the
/// partner's head; answers the URLs taken in.
pub fn pull_assessments(
    transport: &dyn Transport,
    subscriber: &dyn Subscriber,
    sub: &Subscription,
) -> Result<u64, PullError> {
    let key = pinned_key(sub)?;
    let mut checkpoint = i64::try_from(sub.checkpoint).map_err(|_| {
        PullError::Refused(format!("checkpoint {} is out of range", sub.checkpoint))
    })?;
    let mut taken = 0;
    let mut newest = sub.fresh_at.unwrap_or(0);
    loop {
        let fetched = transport
            .get_page(
                &sub.url,
                sub.api_key.as_deref(),
                &[("since", checkpoint as u64)],
            )
            .map_err(PullError::Transport)?;
        let signature = fetched
            .signature
            .ok_or_else(|| PullError::Refused(format!("{} sent an unsigned page", sub.url)))?;
        let page = AssessmentsPage::verify(&fetched.body, &signature, &key)
            .map_err(|e| PullError::Refused(format!("refused a page from {}: {e}", sub.url)))?;
        if page.since != checkpoint {
            return Err(PullError::Refused(format!(
                "{} sent a page for since={}, not {checkpoint}",
                sub.url, page.since
            )));
        }
        if page.head < checkpoint {
            return Err(PullError::Refused(format!(
                "{} says its assessments end at {}, before this subscription's checkpoint \
                 {checkpoint}",
                sub.url, page.head
            )));
        }
        check_fresh(sub, newest, page.made_at)?;
        if page.events.is_empty() {
            note_fresh(subscriber, sub, &mut newest, page.made_at)?;
            return Ok(taken);
        }
        let events = page
            .assessments()
            .map_err(|e| PullError::Refused(format!("{}: {e}", sub.url)))?;
        let (n, next) = subscriber
            .apply_assessments(sub.id, checkpoint + 1, &events)
            .map_err(|e| PullError::Apply(format!("cannot apply a page from {}: {e}", sub.url)))?;
        if next <= checkpoint {
            return Err(PullError::Apply(format!(
                "a page from {} did not move the checkpoint {checkpoint}",
                sub.url
            )));
        }
        note_fresh(subscriber, sub, &mut newest, page.made_at)?;
        taken += n;
        checkpoint = next;
        if checkpoint >= page.head {
            return Ok(taken);
        }
    }
}
