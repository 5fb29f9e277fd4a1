//! Webhook deliveries: queued, retried with backoff, dead-lettered, replayed.

use super::*;

// The secret is the bank's current one, never a copy kept per delivery.
const DELIVERY_COLUMNS: &str = "id,
    coalesce((SELECT b.name FROM banks b WHERE b.id = deliveries.bank_id), bank),
    url,
    coalesce((SELECT s.webhook_secret FROM bank_settings s WHERE s.bank_id = deliveries.bank_id), ''),
    body, attempts, state, last_error";

fn row_to_delivery(r: &Row) -> Result<Delivery, Error> {
    Ok(Delivery {
        id: r.req_int(0)?,
        bank: r.req_text(1)?,
        url: r.req_text(2)?,
        secret: r.req_text(3)?,
        body: r.req_text(4)?,
        attempts: r.req_int(5)?,
        state: r.req_named(6, DeliveryState::parse, "delivery state")?,
        last_error: r.text(7)?,
    })
}

impl Records<'_> {
    /// Queues a webhook delivery, due now.
    pub fn enqueue_delivery(&self, bank: &str, hook: &Webhook, body: &str) -> Result<i64, Error> {
        self.write_tx(|tx| {
            tx.query(
                "INSERT INTO deliveries
                     (at, bank, url, secret, body, attempts, next_at, state, bank_id)
                 VALUES (?, ?, ?, ?, ?, 0, ?, 'pending',
                         (SELECT id FROM banks WHERE name = CAST(? AS TEXT)))
                 RETURNING id",
                &[
                    unix_now().into(),
                    bank.into(),
                    hook.url.as_str().into(),
                    "".into(),
                    body.into(),
                    unix_now().into(),
                    bank.into(),
                ],
            )?
            .first()
            .map(|r| r.int(0))
            .transpose()?
            .flatten()
            .ok_or_else(|| Error::backend("delivery after insert"))
        })
    }

    /// Claims up to `limit` pending deliveries that are due, pushing their
    /// next attempt `lease` seconds ahead so that another node does not
    /// send them at the same time.
    pub fn claim_deliveries(&self, limit: i64, lease: i64) -> Result<Vec<Delivery>, Error> {
        let now = unix_now();
        self.write_tx(|tx| {
            let due = tx.query(
                &format!(
                    "SELECT {DELIVERY_COLUMNS} FROM deliveries
                     WHERE state = 'pending' AND next_at <= ? ORDER BY next_at, id LIMIT ?"
                ),
                &[now.into(), limit.into()],
            )?;
            for d in &due {
                tx.exec(
                    "UPDATE deliveries SET next_at = ? WHERE id = ?",
                    &[(now + lease).into(), d.int(0)?.into()],
                )?;
            }
            due.iter().map(row_to_delivery).collect::<Result<_, _>>()
        })
    }

    /// Records an attempt: delivered, or failed and due again at `retry_at`
    /// (`None`: out of attempts, to the dead-letter list).
    pub fn delivery_attempted(
        &self,
        id: i64,
        error: Option<&str>,
        retry_at: Option<i64>,
    ) -> Result<(), Error> {
        let state = match (error, retry_at) {
            (None, _) => DeliveryState::Delivered,
            (Some(_), Some(_)) => DeliveryState::Pending,
            (Some(_), None) => DeliveryState::Dead,
        };
        self.write_tx(|tx| {
            tx.exec(
                "UPDATE deliveries SET attempts = attempts + 1, state = ?, last_error = ?,
                        next_at = ? WHERE id = ?",
                &[
                    state.name().into(),
                    error.into(),
                    retry_at.unwrap_or(0).into(),
                    id.into(),
                ],
            )?;
            Ok(())
        })
    }

    /// Deliveries in a state, for banks in `banks` (by their names now;
    /// a deleted bank's deliveries belong to no bank).
    pub fn deliveries(
        &self,
        state: DeliveryState,
        banks: &[String],
    ) -> Result<Vec<Delivery>, Error> {
        let all = self.read_tx(|tx| {
            tx.query(
                &format!(
                    "SELECT {DELIVERY_COLUMNS} FROM deliveries
                         WHERE state = ? AND bank_id IN (SELECT id FROM banks)
                         ORDER BY id LIMIT 10000"
                ),
                &[state.name().into()],
            )?
            .iter()
            .map(row_to_delivery)
            .collect::<Result<Vec<_>, _>>()
        })?;
        Ok(all
            .into_iter()
            .filter(|d| banks.contains(&d.bank))
            .collect())
    }

    /// Puts a dead delivery back in the queue, due now, with fresh attempts.
    pub fn replay_delivery(&self, id: i64) -> Result<(), Error> {
        self.write_tx(|tx| {
            let n = tx.exec(
                "UPDATE deliveries SET state = 'pending', attempts = 0, next_at = ?
                 WHERE id = ? AND state = 'dead'",
                &[unix_now().into(), id.into()],
            )?;
            if n == 0 {
                return Err(not_found(format!("dead delivery with id {id}")));
            }
            Ok(())
        })
    }
}
