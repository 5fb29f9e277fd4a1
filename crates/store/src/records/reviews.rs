//! The review queue: matches a person confirms or rejects.

use super::audit::{match_params, row_to_match, MATCH_COLUMNS};
use super::*;

const REVIEW_COLUMNS: &str = "id, at, reason, state, decided_by, decided_at";

fn row_to_review(r: &Row) -> Result<Review, Error> {
    Ok(Review {
        id: r.req_int(0)?,
        at: r.req_int(1)?,
        reason: r.req_named(2, ReviewReason::parse, "review reason")?,
        state: r.req_named(3, ReviewState::parse, "review state")?,
        decided_by: r.text(4)?,
        decided_at: r.int(5)?,
        record: row_to_match(r, 6)?,
    })
}

impl Records<'_> {
    /// Queues a match for review by `owner`, the tenant that owns the
    /// matched bank (not the tenant that looked up, which may only have
    /// been shared the bank).
    pub fn open_review(
        &self,
        record: &NewMatch,
        reason: ReviewReason,
        owner: &str,
    ) -> Result<i64, Error> {
        let owned = NewMatch {
            tenant: owner.to_string(),
            ..record.clone()
        };
        let mut params = vec![
            Param::from(unix_now()),
            reason.name().into(),
            ReviewState::Open.name().into(),
        ];
        params.extend(match_params(&owned));
        self.write_tx(|tx| {
            tx.query(
                &format!(
                    "INSERT INTO reviews (at, reason, state, {MATCH_COLUMNS})
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"
                ),
                &params,
            )?
            .first()
            .map(|r| r.int(0))
            .transpose()?
            .flatten()
            .ok_or_else(|| Error::backend("review after insert"))
        })
    }

    /// Reviews of a tenant in a state, or in all states.
    pub fn reviews(&self, tenant: &str, state: Option<ReviewState>) -> Result<Vec<Review>, Error> {
        let state = state.map(ReviewState::name);
        self.read_tx(|tx| {
            tx
                .query(
                    &format!(
                        "SELECT {REVIEW_COLUMNS}, {MATCH_COLUMNS} FROM reviews
                         WHERE tenant = ? AND (CAST(? AS TEXT) IS NULL OR state = ?) ORDER BY id LIMIT 1000"
                    ),
                    &[tenant.into(), state.into(), state.into()],
                )?
                .iter()
                .map(row_to_review)
                .collect::<Result<_, _>>()
        })
    }

    /// Decides an open review (`state`: confirmed or rejected).
    pub fn decide_review(
        &self,
        tenant: &str,
        id: i64,
        state: ReviewState,
        by: &str,
    ) -> Result<Review, Error> {
        self.write_tx(|tx| {
            tx.query(
                &format!(
                    "UPDATE reviews SET state = ?, decided_by = ?, decided_at = ?
                     WHERE id = ? AND tenant = ? AND state = ?
                     RETURNING {REVIEW_COLUMNS}, {MATCH_COLUMNS}"
                ),
                &[
                    state.name().into(),
                    by.into(),
                    unix_now().into(),
                    id.into(),
                    tenant.into(),
                    ReviewState::Open.name().into(),
                ],
            )?
            .first()
            .map(row_to_review)
            .transpose()?
            .ok_or_else(|| not_found(format!("open review with id {id}")))
        })
    }
}
