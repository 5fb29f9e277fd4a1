//! The audit log and match records.

use super::*;

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

impl Records<'_> {
    /// Appends entries to the audit log.
    pub fn audit(&self, events: &[NewAudit]) -> Result<(), Error> {
        if events.is_empty() {
            return Ok(());
        }
        let at = unix_now();
        self.write_tx(|tx| {
            for e in events {
                tx.exec(
                    "INSERT INTO audit (at, tenant, key_id, actor, action, bank, target, detail)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    &[
                        at.into(),
                        e.tenant.as_str().into(),
                        e.key_id.into(),
                        e.actor.as_str().into(),
                        e.action.as_str().into(),
                        e.bank.clone().into(),
                        e.target.clone().into(),
                        e.detail.clone().into(),
                    ],
                )?;
            }
            Ok(())
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
                    event: NewAudit {
                        tenant: r.req_text(2)?,
                        key_id: r.int(3)?,
                        actor: r.req_text(4)?,
                        action: r.req_text(5)?,
                        bank: r.text(6)?,
                        target: r.text(7)?,
                        detail: r.text(8)?,
                    },
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
}
