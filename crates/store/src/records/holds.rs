//! Legal holds, and the retention purge they stop.

use super::*;
use hashwatch_model::audit::{cuts_after, PurgeRecord};

/// A bank hold names its bank as it is called now (the name it was placed
/// under once the bank is gone).
const HOLD_COLUMNS: &str = "id, tenant, kind,
    CASE WHEN kind = 'bank'
         THEN coalesce((SELECT b.name FROM banks b WHERE b.id = holds.bank_id), target)
         ELSE target END,
    reason, placed_by, placed_at, released_at";

fn row_to_hold(r: &Row) -> Result<Hold, Error> {
    Ok(Hold {
        id: r.req_int(0)?,
        tenant: r.req_text(1)?,
        kind: {
            let name = r.req_text(2)?;
            HoldKind::parse(&name)
                .ok_or_else(|| Error::backend(format!("hold of unknown kind {name:?}")))?
        },
        target: r.req_text(3)?,
        reason: r.req_text(4)?,
        placed_by: r.req_text(5)?,
        placed_at: r.req_int(6)?,
        released_at: r.int(7)?,
    })
}

impl Records<'_> {
    /// The bank a hold on `target` would keep records of: the bank itself,
    /// the bank of a content item (an entry id), or the bank of a match
    /// record; `None` when there is no such content or match.
    pub fn hold_bank(&self, kind: HoldKind, target: &str) -> Result<Option<String>, Error> {
        let query = match kind {
            HoldKind::Bank => return Ok(Some(target.to_string())),
            HoldKind::Case => return Ok(None),
            HoldKind::Content => {
                "SELECT b.name FROM entries e JOIN banks b ON b.id = e.bank_id WHERE e.id = ?"
            }
            HoldKind::Match => "SELECT bank FROM match_records WHERE id = ?",
        };
        let Ok(id) = target.parse::<i64>() else {
            return Ok(None);
        };
        self.read_tx(|tx| {
            tx.query(query, &[id.into()])?
                .first()
                .map(|r| r.req_text(0))
                .transpose()
        })
    }

    /// Places a legal hold.
    pub fn place_hold(
        &self,
        tenant: &str,
        kind: HoldKind,
        target: &str,
        reason: &str,
        by: &str,
    ) -> Result<Hold, Error> {
        self.write_tx(|tx| {
            // A bank hold follows the bank by id from now on; one on a name
            // no bank has (a deleted bank's records) keeps those by name.
            let bank_id = match kind {
                HoldKind::Bank => match bank_id(tx, target) {
                    Ok(id) => Some(id),
                    Err(e) if matches!(e.kind(), ErrorKind::NoSuchBank(_)) => None,
                    Err(e) => return Err(e),
                },
                HoldKind::Content | HoldKind::Match | HoldKind::Case => None,
            };
            tx.query(
                &format!(
                    "INSERT INTO holds (tenant, kind, target, reason, placed_by, placed_at, bank_id)
                     VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING {HOLD_COLUMNS}"
                ),
                &[
                    tenant.into(),
                    kind.name().into(),
                    target.into(),
                    reason.into(),
                    by.into(),
                    unix_now().into(),
                    bank_id.into(),
                ],
            )?
            .first()
            .map(row_to_hold)
            .transpose()?
            .ok_or_else(|| Error::backend("hold after insert"))
        })
    }

    /// Releases a hold of `tenant`'s.
    pub fn release_hold(&self, tenant: &str, id: i64) -> Result<Hold, Error> {
        self.write_tx(|tx| {
            tx.query(
                &format!(
                    "UPDATE holds SET released_at = ?
                     WHERE id = ? AND tenant = ? AND released_at IS NULL RETURNING {HOLD_COLUMNS}"
                ),
                &[unix_now().into(), id.into(), tenant.into()],
            )?
            .first()
            .map(row_to_hold)
            .transpose()?
            .ok_or_else(|| not_found(format!("active hold with id {id}")))
        })
    }

    /// Holds of a tenant (or all), active ones only when asked.
    pub fn holds(&self, tenant: Option<&str>, active_only: bool) -> Result<Vec<Hold>, Error> {
        self.read_tx(|tx| {
            tx
                .query(
                    &format!(
                        "SELECT {HOLD_COLUMNS} FROM holds
                         WHERE (CAST(? AS TEXT) IS NULL OR tenant = ?) AND (CAST(? AS BIGINT) = 0 OR released_at IS NULL)
                         ORDER BY id"
                    ),
                    &[tenant.into(), tenant.into(), i64::from(active_only).into()],
                )?
                .iter()
                .map(row_to_hold)
                .collect::<Result<_, _>>()
        })
    }

    /// Deletes match records, audit entries and closed reviews older than
    /// `cutoff` (Unix time), except those an active hold keeps, and web
    /// sessions ended before `sessions_before`; writes the purge's chained
    /// audit entry, which names the links of the chain it cut.
    pub fn purge(&self, cutoff: i64, sessions_before: i64) -> Result<Purged, Error> {
        // A held bank's records under the name it was held under, the
        // name it has now and every name it had before.
        const HELD_BANKS: &str =
            "SELECT target FROM holds WHERE kind = 'bank' AND released_at IS NULL
             UNION SELECT b.name FROM holds h JOIN banks b ON b.id = h.bank_id
             WHERE h.kind = 'bank' AND h.released_at IS NULL
             UNION SELECT f.name FROM holds h JOIN bank_former_names f ON f.bank_id = h.bank_id
             WHERE h.kind = 'bank' AND h.released_at IS NULL";
        const HELD_BANK_IDS: &str = "SELECT bank_id FROM holds
             WHERE kind = 'bank' AND released_at IS NULL AND bank_id IS NOT NULL";
        const HELD_CONTENT: &str =
            "SELECT target FROM holds WHERE kind = 'content' AND released_at IS NULL";
        const HELD_MATCHES: &str =
            "SELECT target FROM holds WHERE kind = 'match' AND released_at IS NULL";
        // Hotline audit rows name their case `case:ID`.
        const HELD_CASE_TARGETS: &str =
            "SELECT 'case:' || target FROM holds WHERE kind = 'case' AND released_at IS NULL";
        self.write_tx(|tx| {
            let matches = tx.exec(
                &format!(
                    "DELETE FROM match_records WHERE at < ?
                       AND bank NOT IN ({HELD_BANKS})
                       AND CAST(content_id AS TEXT) NOT IN ({HELD_CONTENT})
                       AND CAST(id AS TEXT) NOT IN ({HELD_MATCHES})"
                ),
                &[cutoff.into()],
            )?;
            let (before, _) = super::audit::chain_in(tx)?;
            // The ids removed tell the cuts: the log is not read again.
            let removed: std::collections::HashSet<i64> = tx
                .query(
                    &format!(
                        "DELETE FROM audit WHERE at < ?
                           AND (bank IS NULL OR bank NOT IN ({HELD_BANKS}))
                           AND (target IS NULL OR (target NOT IN ({HELD_CONTENT})
                                                 AND target NOT IN ({HELD_CASE_TARGETS})))
                         RETURNING id"
                    ),
                    &[cutoff.into()],
                )?
                .iter()
                .map(|r| r.req_int(0))
                .collect::<Result<_, _>>()?;
            let audit = removed.len() as u64;
            let cuts = if removed.is_empty() {
                Vec::new()
            } else {
                cuts_after(&before, |id| removed.contains(&id))
            };
            // Open reviews go too once past the period: a match nobody
            // looked at in that time is not kept forever.
            let reviews = tx.exec(
                &format!(
                    "DELETE FROM reviews WHERE at < ?
                       AND bank NOT IN ({HELD_BANKS})
                       AND CAST(content_id AS TEXT) NOT IN ({HELD_CONTENT})"
                ),
                &[cutoff.into()],
            )?;
            let deliveries = tx.exec(
                &format!(
                    "DELETE FROM deliveries WHERE at < ? AND state <> 'pending'
                       AND bank NOT IN ({HELD_BANKS})
                       AND coalesce(bank_id, -1) NOT IN ({HELD_BANK_IDS})"
                ),
                &[cutoff.into()],
            )?;
            let opinions = tx.exec(
                &format!("DELETE FROM feed_opinions WHERE at < ? AND bank NOT IN ({HELD_BANKS})"),
                &[cutoff.into()],
            )?;
            // Reporters' contacts and reports of cases that are over (the
            // hotline's rule) and not held.
            let closed: Vec<String> = hashwatch_model::CaseState::ALL
                .into_iter()
                .filter(|s| hashwatch_hotline::case::closed(*s))
                .map(|s| format!("'{}'", s.name()))
                .collect();
            let closed_reports = format!(
                "SELECT r.id FROM hotline_reports r
                 JOIN hotline_cases c ON c.id = r.case_id
                 WHERE r.at < ? AND c.state IN ({})
                   AND CAST(c.id AS TEXT) NOT IN
                       (SELECT target FROM holds WHERE kind = 'case' AND released_at IS NULL)",
                closed.join(", ")
            );
            tx.exec(
                &format!("DELETE FROM hotline_contacts WHERE report_id IN ({closed_reports})"),
                &[cutoff.into()],
            )?;
            let reports = tx.exec(
                &format!("DELETE FROM hotline_reports WHERE id IN ({closed_reports})"),
                &[cutoff.into()],
            )?;
            let sessions = super::sessions::ended(tx, sessions_before)?;
            let purged = Purged {
                sessions,
                audit,
                matches,
                reviews,
                deliveries,
                opinions,
                reports,
                cuts,
            };
            super::audit::record_purge(
                tx,
                &PurgeRecord {
                    cutoff,
                    purged: purged.clone(),
                },
            )?;
            Ok(purged)
        })
    }
}
