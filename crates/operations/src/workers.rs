//! The service's background jobs, each a way in of its own: what a match
//! sets off (records, audit, webhook deliveries, reviews, flood flags),
//! webhook deliveries and their retries, and the retention purge.

use std::collections::HashMap;
use std::time::Duration;

use hashwatch_matcher::live::Hit;
use hashwatch_model::{
    unix_now, ApiKey, AuditAction, Availability, BankSettings, Delivery, NewAudit, NewMatch,
    Purged, ReviewReason,
};
use hashwatch_store::Records;
use serde_json::json;

use crate::{Caller, OpError, OpResult, Operations};

/// A lookup that matched, for the action worker.
#[derive(Debug, Clone)]
pub struct Matched {
    /// Who looked up.
    pub looker: ApiKey,
    /// The query's signal as hex.
    pub query: String,
    /// What matched.
    pub hits: Vec<Hit>,
}

/// When matching one entry too often is a flood, and what it sets off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FloodPolicy {
    /// Matches of one entry within the window that make a flood (0: never).
    pub limit: u64,
    /// The window, in seconds.
    pub window_seconds: u64,
    /// Whether a flooded entry's content is disabled until a curator looks.
    pub quarantine: bool,
}

/// How long match records, audit entries, reviews, deliveries, opinions
/// and closed reports are kept (legal holds aside), and how often the
/// purge runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionPolicy {
    /// How long records are kept.
    pub keep: Duration,
    /// Time between purges.
    pub every: Duration,
}

impl RetentionPolicy {
    /// The shortest time records may be kept: they must outlive the
    /// reports and appeals about them.
    pub const MIN_KEEP: Duration =
        Duration::from_secs(hashwatch_model::audit::MIN_RETENTION_SECS as u64);

    /// Whether records are kept long enough.
    pub fn check(&self) -> Result<(), String> {
        if self.keep < Self::MIN_KEEP {
            return Err("retention must be at least 90 days (records must outlive \
                 reports about them)"
                .into());
        }
        Ok(())
    }

    /// What a purge at `now` (Unix seconds) removes: records older than
    /// this.
    pub fn cutoff(&self, now: i64) -> i64 {
        now.saturating_sub(i64::try_from(self.keep.as_secs()).unwrap_or(i64::MAX))
    }
}

/// Background jobs are the service's own.
fn service_only(caller: &Caller) -> OpResult<()> {
    caller.operator_only("background jobs are the service's own")
}

impl Operations {
    /// Records a batch of matches and runs each bank's actions for them,
    /// in one transaction: match records (in the bank owner's tenant,
    /// whoever looked up), their audit rows, webhook deliveries, reviews
    /// and flood flags commit together or not at all. `flooded` counts a
    /// match of an entry and says whether it makes a flood.
    pub fn record_matches(
        &self,
        caller: &Caller,
        batch: &[Matched],
        settings: &HashMap<String, BankSettings>,
        flood: &FloodPolicy,
        flooded: &dyn Fn(u64) -> bool,
    ) -> OpResult<()> {
        service_only(caller)?;
        let mut matches = Vec::new();
        let mut lookers = Vec::new();
        for event in batch {
            for h in &event.hits {
                // A match is a record of the bank's owner, wherever the
                // lookup came from (the looker's tenant is in the detail).
                let owner = settings
                    .get(&h.bank)
                    .map_or_else(|| event.looker.tenant.clone(), |s| s.tenant.clone());
                matches.push(NewMatch {
                    tenant: owner,
                    key_id: Some(event.looker.id),
                    bank: h.bank.clone(),
                    content_id: h.content_id,
                    entry_id: h.entry_id,
                    signal_type: h.signal_type.name().to_string(),
                    query: event.query.clone(),
                    distance: h.distance,
                });
                lookers.push(&event.looker);
            }
        }
        Ok(self.records().write(|records| {
            let ids = records.record_matches(&matches)?;
            let audit: Vec<NewAudit> = matches
                .iter()
                .zip(&ids)
                .zip(&lookers)
                .map(|((m, id), looker)| NewAudit {
                    tenant: m.tenant.clone(),
                    key_id: m.key_id,
                    actor: looker.name.clone(),
                    action: AuditAction::Match.name().into(),
                    bank: Some(m.bank.clone()),
                    target: Some(m.content_id.to_string()),
                    detail: Some(
                        json!({"match": id, "entry": m.entry_id, "signal_type": m.signal_type, "query": m.query, "distance": m.distance, "looked_up_by": looker.tenant})
                            .to_string(),
                    ),
                })
                .collect();
            records.audit(&audit)?;
            for ((m, id), looker) in matches.iter().zip(&ids).zip(&lookers) {
                let Some(bank) = settings.get(&m.bank) else {
                    continue;
                };
                if let Some(hook) = &bank.webhook {
                    let body = json!({
                        "event": "match",
                        "match_id": id,
                        "bank": m.bank,
                        "bank_content_id": m.content_id,
                        "entry_id": m.entry_id,
                        "signal_type": m.signal_type,
                        "signal": m.query,
                        "distance": m.distance,
                        "tenant": looker.tenant,
                        "at": unix_now(),
                    });
                    records.enqueue_delivery(&m.bank, hook, &body.to_string())?;
                }
                if bank.review {
                    records.open_review(m, ReviewReason::Match, &bank.tenant)?;
                }
                if flood.limit > 0 && flooded(m.entry_id) {
                    flag_flood(records, flood, &bank.tenant, m)?;
                }
            }
            Ok(())
        })?)
    }

    /// Up to `limit` webhook deliveries that are due, leased for `lease`
    /// seconds to this worker.
    pub fn claim_deliveries(
        &self,
        caller: &Caller,
        limit: i64,
        lease: i64,
    ) -> OpResult<Vec<Delivery>> {
        service_only(caller)?;
        Ok(self.records().claim_deliveries(limit, lease)?)
    }

    /// Records an attempt at a delivery: done, to be retried at
    /// `retry_at`, or dead.
    pub fn delivery_attempted(
        &self,
        caller: &Caller,
        id: i64,
        error: Option<&str>,
        retry_at: Option<i64>,
    ) -> OpResult<()> {
        service_only(caller)?;
        Ok(self.records().delivery_attempted(id, error, retry_at)?)
    }

    /// Purges records older than `cutoff`, except held ones, and ended web
    /// sessions a day old, with its chained audit row (`retention.purge`)
    /// naming what it cut. A cutoff inside the retention minimum is
    /// refused: the audit chain would not accept what it cut.
    pub fn purge(&self, caller: &Caller, cutoff: i64) -> OpResult<Purged> {
        service_only(caller)?;
        let now = unix_now();
        if cutoff > now - hashwatch_model::audit::MIN_RETENTION_SECS {
            return Err(OpError::invalid(
                "bad_cutoff",
                "a purge keeps at least 90 days of records: the cutoff is too recent",
            ));
        }
        // Ended sessions are kept a day (for the audit's sake), then go:
        // they are useless and hold nothing else.
        Ok(self.records().purge(cutoff, now - 86_400)?)
    }
}

/// Opens a flood review of a match (and disables its content, when the
/// policy quarantines), audited as the service's.
fn flag_flood(
    records: &Records<'_>,
    flood: &FloodPolicy,
    tenant: &str,
    m: &NewMatch,
) -> Result<(), hashwatch_store::Error> {
    records.open_review(m, ReviewReason::Flood, tenant)?;
    if flood.quarantine {
        records.update_content(&m.bank, m.content_id, Some(Availability::Disabled), None)?;
    }
    let action = if flood.quarantine {
        AuditAction::FloodQuarantine
    } else {
        AuditAction::FloodFlag
    };
    records.audit(&[hashwatch_model::Actor::Service.audit(
        tenant,
        action,
        Some(&m.bank),
        Some(m.content_id.to_string()),
        Some(json!({"limit": flood.limit, "window_seconds": flood.window_seconds}).to_string()),
    )])
}
