//! The audit log and match records.

use super::*;
use hashwatch_model::audit::{
    chain_hash, verify, Broken, ChainedEntry, CutsChained, LegacyCut, PurgeRecord, Verified,
};
use hashwatch_model::{Actor, AuditAction};

pub(super) const MATCH_COLUMNS: &str =
    "tenant, key_id, bank, content_id, entry_id, signal_type, query, distance";

pub(super) fn match_params(m: &NewMatch) -> Vec<Param> {
    vec![
        m.tenant.as_str().into(),
        m.key_id.into(),
        m.bank.as_str().into(),
        (m.content_id as i64).into(),
        (m.entry_id as i64).into(),
        m.signal_type.as_str().into(),
        m.query.as_str().into(),
        i64::from(m.distance).into(),
    ]
}

/// Reads [`MATCH_COLUMNS`] starting at column `at`.
pub(super) fn row_to_match(r: &Row, at: usize) -> Result<NewMatch, Error> {
    Ok(NewMatch {
        tenant: r.req_text(at)?,
        key_id: r.int(at + 1)?,
        bank: r.req_text(at + 2)?,
        content_id: r.req_int(at + 3)? as u64,
        entry_id: r.req_int(at + 4)? as u64,
        signal_type: r.req_text(at + 5)?,
        query: r.req_text(at + 6)?,
        distance: r.req_int(at + 7)? as u32,
    })
}

/// An audit entry's fields, from columns 2 to 8 (`tenant` … `detail`).
fn audit_of(r: &Row) -> Result<NewAudit, Error> {
    Ok(NewAudit {
        tenant: r.req_text(2)?,
        key_id: r.int(3)?,
        actor: r.req_text(4)?,
        action: r.req_text(5)?,
        bank: r.text(6)?,
        target: r.text(7)?,
        detail: r.text(8)?,
    })
}

/// Every entry with its links, and the head.
pub(super) fn chain_in(tx: &mut dyn SqlTx) -> Result<(Vec<ChainedEntry>, String), Error> {
    let entries = tx
        .query(
            "SELECT id, at, tenant, key_id, actor, action, bank, target, detail, prev_hash, hash
             FROM audit ORDER BY id",
            &[],
        )?
        .iter()
        .map(|r| -> Result<_, Error> {
            Ok(ChainedEntry {
                id: r.req_int(0)?,
                at: r.req_int(1)?,
                event: audit_of(r)?,
                prev_hash: r.text(9)?,
                hash: r.text(10)?,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((entries, head_in(tx)?))
}

fn head_in(tx: &mut dyn SqlTx) -> Result<String, Error> {
    tx.query("SELECT head FROM audit_chain WHERE id = 1", &[])?
        .first()
        .map(|r| r.req_text(0))
        .transpose()?
        .ok_or_else(|| Error::backend("the audit chain has no head row"))
}

/// Appends entries to the chain, inside the caller's transaction.
pub(super) fn append(tx: &mut dyn SqlTx, events: &[NewAudit]) -> Result<(), Error> {
    let at = unix_now();
    // Taking the head row's lock first makes writers on other nodes wait
    // here, so that each entry follows the one before.
    tx.exec("UPDATE audit_chain SET head = head WHERE id = 1", &[])?;
    let mut head = head_in(tx)?;
    for e in events {
        let hash = chain_hash(&head, at, e);
        tx.exec(
            "INSERT INTO audit
                (at, tenant, key_id, actor, action, bank, target, detail, prev_hash, hash)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            &[
                at.into(),
                e.tenant.as_str().into(),
                e.key_id.into(),
                e.actor.as_str().into(),
                e.action.as_str().into(),
                e.bank.clone().into(),
                e.target.clone().into(),
                e.detail.clone().into(),
                head.as_str().into(),
                hash.as_str().into(),
            ],
        )?;
        head = hash;
    }
    tx.exec(
        "UPDATE audit_chain SET head = ? WHERE id = 1",
        &[head.as_str().into()],
    )?;
    Ok(())
}

/// Appends the service's own entry about the chain itself (tenant `*`,
/// the operator's): the only entries that may account for cuts.
fn append_chain_entry(
    tx: &mut dyn SqlTx,
    action: AuditAction,
    detail: String,
) -> Result<(), Error> {
    append(
        tx,
        &[Actor::Service.audit("*", action, None, None, Some(detail))],
    )
}

/// The retention purge's own entry, in its transaction: the chain accepts
/// the links the purge cut only because this entry names them.
pub(super) fn record_purge(tx: &mut dyn SqlTx, record: &PurgeRecord) -> Result<(), Error> {
    append_chain_entry(tx, AuditAction::RetentionPurge, record.detail())
}

/// The upgrade that took the cuts older purges recorded outside the chain
/// (`audit_cuts`) into it: one chained entry names them all, and the table
/// goes, so that a row added there later is no longer believed. Runs once,
/// in the migration's transaction.
pub(crate) fn chain_legacy_cuts(tx: &mut dyn SqlTx) -> Result<(), Error> {
    let legacy_cuts = tx
        .query(
            "SELECT entry_id, after FROM audit_cuts ORDER BY entry_id",
            &[],
        )?
        .iter()
        .map(|r| -> Result<_, Error> {
            let entry = r.req_int(0)?;
            Ok(LegacyCut {
                // 0 was the entry not yet written: this one.
                entry: (entry != 0).then_some(entry),
                after: r.req_text(1)?,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    if legacy_cuts.is_empty() {
        return Ok(());
    }
    append_chain_entry(
        tx,
        AuditAction::AuditCutsChained,
        CutsChained { legacy_cuts }.detail(),
    )
}

impl Records<'_> {
    /// Appends entries to the audit log.
    pub fn audit(&self, events: &[NewAudit]) -> Result<(), Error> {
        if events.is_empty() {
            return Ok(());
        }
        self.write_tx(|tx| append(tx, events))
    }

    /// Checks the audit log's hash chain from the oldest entry to the
    /// head (and that `earlier_head`, printed by an earlier check, is still
    /// in it): the first entry changed, removed or moved underneath, or
    /// what was checked.
    pub fn verify_audit(
        &self,
        earlier_head: Option<&str>,
    ) -> Result<Result<Verified, Broken>, Error> {
        self.read_tx(|tx| {
            let (entries, head) = chain_in(tx)?;
            Ok(verify(&entries, &head, earlier_head, unix_now()))
        })
    }

    /// Reads the audit log.
    pub fn audit_events(&self, query: &RecordQuery) -> Result<Vec<AuditEvent>, Error> {
        let (clause, params) = query.clause();
        self.read_tx(|tx| {
            tx.query(
                &format!(
                    "SELECT id, at, tenant, key_id, actor, action, bank, target, detail
                         FROM audit{clause}"
                ),
                &params,
            )?
            .iter()
            .map(|r| -> Result<_, Error> {
                Ok(AuditEvent {
                    id: r.req_int(0)?,
                    at: r.req_int(1)?,
                    event: audit_of(r)?,
                })
            })
            .collect::<Result<_, _>>()
        })
    }

    /// Records matches; returns their ids.
    pub fn record_matches(&self, matches: &[NewMatch]) -> Result<Vec<i64>, Error> {
        let at = unix_now();
        self.write_tx(|tx| {
            let mut ids = Vec::with_capacity(matches.len());
            for m in matches {
                let mut params = vec![Param::from(at)];
                params.extend(match_params(m));
                let rows = tx.query(
                    &format!(
                        "INSERT INTO match_records (at, {MATCH_COLUMNS})
                         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"
                    ),
                    &params,
                )?;
                ids.push(
                    rows.first()
                        .ok_or_else(|| Error::backend("a match record returned no id"))?
                        .req_int(0)?,
                );
            }
            Ok(ids)
        })
    }

    /// Reads match records.
    pub fn matches(&self, query: &RecordQuery) -> Result<Vec<MatchEvent>, Error> {
        let (clause, params) = query.clause();
        self.read_tx(|tx| {
            tx.query(
                &format!("SELECT id, at, {MATCH_COLUMNS} FROM match_records{clause}"),
                &params,
            )?
            .iter()
            .map(|r| -> Result<_, Error> {
                Ok(MatchEvent {
                    id: r.req_int(0)?,
                    at: r.req_int(1)?,
                    record: row_to_match(r, 2)?,
                })
            })
            .collect::<Result<_, _>>()
        })
    }

    /// Matches per day and bank of one tenant from `since` on: (day as
    /// Unix time divided by 86,400, bank as stored, matches).
    pub fn match_days(&self, tenant: &str, since: i64) -> Result<Vec<(i64, String, i64)>, Error> {
        self.read_tx(|tx| {
            tx.query(
                "SELECT at / 86400, bank, COUNT(*) FROM match_records
                 WHERE tenant = ? AND at >= ? GROUP BY at / 86400, bank
                 ORDER BY at / 86400, bank",
                &[tenant.into(), since.into()],
            )?
            .iter()
            .map(|r| Ok((r.req_int(0)?, r.req_text(1)?, r.req_int(2)?)))
            .collect()
        })
    }
}
