//! Feeds: each bank's publishable log, subscriptions to other instances'
//! feeds, and the opinions subscribers send back.
//!
//! A bank's feed is the sequence of its additions and revocations, numbered
//! 1, 2, 3… per bank. It is kept as one `feed_log` row per import (a range
//! of entry ids) or revocation, appended in the transaction that made the
//! change, so a feed is exactly the bank's history and costs an import one
//! row, not one per entry. A subscription applies a page of another
//! instance's feed and moves its checkpoint in one transaction: a page is
//! applied whole or not at all, and applying it twice changes nothing.

use crate::error::{Error, ErrorKind};
use crate::sql::{self, Param, Row, Sql, SqlTx};
use crate::Store;
use hashwatch_model::{
    unix_now, Applied, ChangeKind, FeedEvent, FeedInfo, FeedOp, IncomingEvent, Opinion, SignalType,
    Subscription, SubscriptionKind,
};

/// Appends a change's feed events: count, op, first entry id, bank name.
pub(crate) const APPEND_SQL: &str =
    "INSERT INTO feed_log (bank_id, first_seq, count, op, first_entry)
     SELECT b.id,
            coalesce((SELECT f.first_seq + f.count FROM feed_log f WHERE f.bank_id = b.id
                      ORDER BY f.first_seq DESC LIMIT 1), 1),
            CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS BIGINT)
     FROM banks b WHERE b.name = CAST(? AS TEXT)";

/// Rows per `INSERT` when applying a page (11 placeholders each, well
/// under both databases' limits).
const APPLY_ROWS_PER_INSERT: usize = 256;

/// The feeds of any store.
pub struct Feeds<'a> {
    /// Where feed pages read entries from; none inside a write, where a
    /// page is never read.
    store: Option<&'a dyn Store>,
    /// Where everything else is read and written: the store itself, or the
    /// transaction of a [`crate::Records::write`].
    sql: &'a dyn Sql,
}

/// The feeds of `store`, each method its own transaction.
pub fn feeds(store: &dyn Store) -> Feeds<'_> {
    Feeds {
        store: Some(store),
        sql: store,
    }
}

impl<'a> Feeds<'a> {
    /// The feeds whose changes are steps of `records`' write.
    pub fn within(records: &'a dyn Sql) -> Feeds<'a> {
        Feeds {
            store: None,
            sql: records,
        }
    }
}

fn conflict(message: String) -> Error {
    Error::new(ErrorKind::Conflict(message))
}

pub(crate) fn subscription_from(r: &Row) -> Result<Subscription, Error> {
    Ok(Subscription {
        id: r.req_int(0)?,
        url: r.req_text(1)?,
        bank: r.req_text(2)?,
        public_key: r.req_text(3)?,
        api_key: r.text(4)?,
        feed_id: r.text(5)?,
        checkpoint: r.req_int(6)? as u64,
        synced_at: r.int(7)?,
        last_error: r.text(8)?,
        kind: r.req_named(9, SubscriptionKind::parse, "subscription kind")?,
        fresh_at: r.int(10)?,
    })
}

/// A bank subscription names its bank as it is called now, or nothing once
/// the bank is gone (a bank made later under that name does not inherit it).
pub(crate) const SUBSCRIPTION_COLUMNS: &str =
    "id, url, coalesce((SELECT b.name FROM banks b WHERE b.id = feed_subscriptions.bank_id), ''),
     public_key, api_key, feed_id, checkpoint, synced_at, last_error, kind, fresh_at";

impl Feeds<'_> {
    fn info_in(tx: &mut dyn SqlTx, bank: &str) -> Result<(i64, FeedInfo), Error> {
        let rows = tx.query(
            "SELECT id, created_at FROM banks WHERE name = CAST(? AS TEXT)",
            &[bank.into()],
        )?;
        let row = rows
            .first()
            .ok_or_else(|| Error::new(ErrorKind::NoSuchBank(bank.to_string())))?;
        let id = row.req_int(0)?;
        let head = tx
            .query(
                "SELECT first_seq + count - 1 FROM feed_log WHERE bank_id = ?
                 ORDER BY first_seq DESC LIMIT 1",
                &[id.into()],
            )?
            .first()
            .map(|r| r.int(0))
            .transpose()?
            .flatten()
            .unwrap_or(0);
        let info = FeedInfo {
            bank: bank.to_string(),
            feed_id: format!("{id}@{}", row.req_text(1)?),
            head: head as u64,
        };
        Ok((id, info))
    }

    /// The bank's feed id and head.
    pub fn info(&self, bank: &str) -> Result<FeedInfo, Error> {
        let mut info = None;
        sql::read(self.sql, |tx| {
            info = Some(Feeds::info_in(tx, bank)?.1);
            Ok(())
        })?;
        info.ok_or_else(|| Error::new(ErrorKind::NoSuchBank(bank.to_string())))
    }

    /// Up to `limit` events after `since`, in order, with the feed's id and
    /// head as of the read.
    pub fn events(
        &self,
        bank: &str,
        since: u64,
        limit: usize,
    ) -> Result<(FeedInfo, Vec<FeedEvent>), Error> {
        let mut found = None;
        sql::read(self.sql, |tx| {
            let (id, info) = Feeds::info_in(tx, bank)?;
            let next = since as i64 + 1;
            // The batch holding `since + 1`, and the batches after it.
            let start = tx
                .query(
                    "SELECT first_seq FROM feed_log WHERE bank_id = ? AND first_seq <= ?
                     ORDER BY first_seq DESC LIMIT 1",
                    &[id.into(), next.into()],
                )?
                .first()
                .map(|r| r.int(0))
                .transpose()?
                .flatten()
                .unwrap_or(1);
            let batches = tx.query(
                "SELECT first_seq, count, op, first_entry FROM feed_log
                 WHERE bank_id = ? AND first_seq >= ? ORDER BY first_seq LIMIT ?",
                &[id.into(), start.into(), (limit as i64).into()],
            )?;
            found = Some((info, batches));
            Ok(())
        })?;
        let Some((info, batches)) = found else {
            return Err(Error::new(ErrorKind::NoSuchBank(bank.to_string())));
        };
        let mut events = Vec::new();
        for batch in batches {
            let (Some(first_seq), Some(count), Some(op), Some(first_entry)) = (
                batch.int(0)?,
                batch.int(1)?,
                batch.text(2)?.as_deref().and_then(FeedOp::parse),
                batch.int(3)?,
            ) else {
                continue;
            };
            // Skip what the subscriber has; stop at the page's size.
            let skip = (since as i64 + 1 - first_seq).max(0);
            let want = (count - skip).min((limit - events.len()) as i64);
            if want <= 0 {
                continue;
            }
            let first = (first_entry + skip) as u64;
            let last = first + want as u64 - 1;
            let mut seq = (first_seq + skip) as u64;
            let store = self
                .store
                .ok_or_else(|| Error::backend("a feed page is read inside a write"))?;
            store.entries_in(first, last, true, &mut |entry| {
                events.push(FeedEvent { seq, op, entry });
                seq += 1;
            })?;
            if events.len() >= limit {
                break;
            }
        }
        Ok((info, events))
    }

    /// Adds a subscription, or updates the bank, key and API key of the one
    /// with this URL (keeping its checkpoint).
    pub fn subscribe(
        &self,
        url: &str,
        bank: &str,
        public_key: &str,
        api_key: Option<&str>,
    ) -> Result<Subscription, Error> {
        self.subscribe_as(SubscriptionKind::Bank, url, bank, public_key, api_key)
    }

    /// Adds (or updates) a subscription to a partner hotline's shared
    /// assessments (`…/hotline/feed`).
    pub fn subscribe_hotline(
        &self,
        url: &str,
        public_key: &str,
        api_key: Option<&str>,
    ) -> Result<Subscription, Error> {
        self.subscribe_as(SubscriptionKind::Hotline, url, "", public_key, api_key)
    }

    fn subscribe_as(
        &self,
        kind: SubscriptionKind,
        url: &str,
        bank: &str,
        public_key: &str,
        api_key: Option<&str>,
    ) -> Result<Subscription, Error> {
        sql::write(self.sql, |tx| {
            let existing = tx.query(
                "SELECT kind FROM feed_subscriptions WHERE url = ?",
                &[url.into()],
            )?;
            let existing = existing
                .first()
                .map(|r| r.req_named(0, SubscriptionKind::parse, "subscription kind"))
                .transpose()?;
            match existing {
                Some(k) if k != kind => {
                    return Err(conflict(format!("{url} is already a {k} subscription")))
                }
                Some(_) => {
                    tx.exec(
                        "UPDATE feed_subscriptions SET bank = ?, public_key = ?, api_key = ?,
                             bank_id = (SELECT id FROM banks WHERE name = CAST(? AS TEXT))
                         WHERE url = ?",
                        &[
                            bank.into(),
                            public_key.into(),
                            api_key.into(),
                            bank.into(),
                            url.into(),
                        ],
                    )?;
                }
                None => {
                    tx.exec(
                        "INSERT INTO feed_subscriptions
                             (url, bank, public_key, api_key, created_at, kind, bank_id)
                         VALUES (?, ?, ?, ?, ?, ?,
                                 (SELECT id FROM banks WHERE name = CAST(? AS TEXT)))",
                        &[
                            url.into(),
                            bank.into(),
                            public_key.into(),
                            api_key.into(),
                            unix_now().into(),
                            kind.name().into(),
                            bank.into(),
                        ],
                    )?;
                }
            }
            Ok(())
        })?;
        self.subscription(url)
    }

    /// The subscription to `url`.
    pub fn subscription(&self, url: &str) -> Result<Subscription, Error> {
        let mut rows = Vec::new();
        sql::read(self.sql, |tx| {
            rows = tx.query(
                &format!("SELECT {SUBSCRIPTION_COLUMNS} FROM feed_subscriptions WHERE url = ?"),
                &[url.into()],
            )?;
            Ok(())
        })?;
        rows.first()
            .map(subscription_from)
            .transpose()?
            .ok_or_else(|| Error::new(ErrorKind::NotFound(format!("no subscription to {url}"))))
    }

    /// Every subscription, oldest first.
    pub fn subscriptions(&self) -> Result<Vec<Subscription>, Error> {
        let mut rows = Vec::new();
        sql::read(self.sql, |tx| {
            rows = tx.query(
                &format!("SELECT {SUBSCRIPTION_COLUMNS} FROM feed_subscriptions ORDER BY id"),
                &[],
            )?;
            Ok(())
        })?;
        rows.iter().map(subscription_from).collect::<Result<_, _>>()
    }

    /// Notes why a sync failed; the checkpoint stays where it was.
    pub fn sync_failed(&self, id: i64, error: &str) -> Result<(), Error> {
        sql::write(self.sql, |tx| {
            tx.exec(
                "UPDATE feed_subscriptions SET last_error = ? WHERE id = ?",
                &[error.into(), id.into()],
            )?;
            Ok(())
        })
    }

    /// Applies a verified page (events `from..=to` of feed `feed_id`) to a
    /// subscription's bank and moves its checkpoint to `to`, in one
    /// transaction. Refuses a page that does not start right after the
    /// checkpoint or comes from another feed than the one pinned; an empty
    /// page changes nothing.
    pub fn apply(
        &self,
        subscription: i64,
        feed_id: &str,
        from: u64,
        events: &[IncomingEvent],
    ) -> Result<Applied, Error> {
        let mut applied = Applied::default();
        sql::write(self.sql, |tx| {
            let rows = tx.query(
                &format!("SELECT {SUBSCRIPTION_COLUMNS} FROM feed_subscriptions WHERE id = ?"),
                &[subscription.into()],
            )?;
            let sub = rows
                .first()
                .map(subscription_from)
                .transpose()?
                .ok_or_else(|| {
                    Error::new(ErrorKind::NotFound(format!(
                        "no subscription {subscription}"
                    )))
                })?;
            applied = apply_in(tx, &sub, feed_id, from, events)?;
            Ok(())
        })?;
        Ok(applied)
    }

    /// Applies a verified page of a partner hotline's shared assessments
    /// (events after `from - 1`) and moves the checkpoint, in one
    /// transaction: the URLs taken in and the new checkpoint.
    pub fn apply_shared(
        &self,
        subscription: i64,
        from: i64,
        events: &[hashwatch_model::SharedAssessment],
    ) -> Result<(u64, i64), Error> {
        crate::hotline(self.sql).apply_shared(subscription, from, events)
    }

    /// Whether `bank` has (or had) an entry with this signal.
    pub fn knows(&self, bank: &str, signal_type: SignalType, value: &[u8]) -> Result<bool, Error> {
        let mut found = false;
        sql::read(self.sql, |tx| {
            found = !tx
                .query(
                    "SELECT 1 FROM entries e JOIN banks b ON b.id = e.bank_id
                     WHERE b.name = CAST(? AS TEXT) AND e.signal_type = ? AND e.value = ? LIMIT 1",
                    &[bank.into(), signal_type.name().into(), value.into()],
                )?
                .is_empty();
            Ok(())
        })?;
        Ok(found)
    }

    /// Records an opinion about an entry of `bank`.
    #[allow(clippy::too_many_arguments)]
    pub fn add_opinion(
        &self,
        bank: &str,
        tenant: &str,
        key_id: Option<i64>,
        actor: &str,
        signal_type: SignalType,
        value: &str,
        opinion: &str,
        note: Option<&str>,
    ) -> Result<i64, Error> {
        let mut id = 0;
        sql::write(self.sql, |tx| {
            id = crate::hotline::insert_returning_id(
                tx,
                "INSERT INTO feed_opinions
                    (at, bank, tenant, key_id, actor, signal_type, value, opinion, note, bank_id)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?,
                         (SELECT id FROM banks WHERE name = CAST(? AS TEXT)))
                 RETURNING id",
                &[
                    unix_now().into(),
                    bank.into(),
                    tenant.into(),
                    key_id.into(),
                    actor.into(),
                    signal_type.name().into(),
                    value.into(),
                    opinion.into(),
                    note.into(),
                    bank.into(),
                ],
            )?;
            Ok(())
        })?;
        Ok(id)
    }

    /// The opinions about `bank`'s entries, oldest first.
    pub fn opinions(&self, bank: &str) -> Result<Vec<Opinion>, Error> {
        let mut rows = Vec::new();
        sql::read(self.sql, |tx| {
            rows = tx.query(
                "SELECT o.id, o.at, b.name, o.tenant, o.key_id, o.actor, o.signal_type, o.value,
                        o.opinion, o.note
                 FROM feed_opinions o JOIN banks b ON b.id = o.bank_id
                 WHERE b.name = ? ORDER BY o.id",
                &[bank.into()],
            )?;
            Ok(())
        })?;
        rows.iter()
            .map(|r| -> Result<_, Error> {
                Ok(Opinion {
                    id: r.req_int(0)?,
                    at: r.req_int(1)?,
                    bank: r.req_text(2)?,
                    tenant: r.req_text(3)?,
                    key_id: r.int(4)?,
                    actor: r.req_text(5)?,
                    signal_type: r.req_text(6)?,
                    value: r.req_text(7)?,
                    opinion: r.req_text(8)?,
                    note: r.text(9)?,
                })
            })
            .collect::<Result<_, _>>()
    }
}

fn apply_in(
    tx: &mut dyn SqlTx,
    sub: &Subscription,
    feed_id: &str,
    from: u64,
    events: &[IncomingEvent],
) -> Result<Applied, Error> {
    if sub.kind != SubscriptionKind::Bank {
        return Err(conflict(format!(
            "{} is not a bank feed subscription",
            sub.url
        )));
    }
    if let Some(pinned) = sub.feed_id.as_deref().filter(|p| *p != feed_id) {
        return Err(conflict(format!(
            "{} now serves feed {feed_id:?}, not {pinned:?}: the publisher's bank was replaced",
            sub.url
        )));
    }
    if from != sub.checkpoint + 1 {
        return Err(conflict(format!(
            "page starts at {from}, but the checkpoint is {}",
            sub.checkpoint
        )));
    }
    for (i, e) in events.iter().enumerate() {
        if e.seq != from + i as u64 {
            return Err(conflict(format!(
                "event {} of the page has sequence {}, expected {}",
                i + 1,
                e.seq,
                from + i as u64
            )));
        }
    }
    let mut applied = Applied {
        checkpoint: sub.checkpoint,
        ..Applied::default()
    };
    let Some(last) = events.last() else {
        return Ok(applied);
    };
    let bank = tx.query(
        "SELECT id, version FROM banks WHERE name = CAST(? AS TEXT)",
        &[sub.bank.as_str().into()],
    )?;
    let (bank_id, mut version) = bank
        .first()
        .map(|r| Ok::<_, Error>((r.req_int(0)?, r.req_int(1)?)))
        .transpose()?
        .ok_or_else(|| {
            if sub.bank.is_empty() {
                Error::new(ErrorKind::NotFound(format!(
                    "bank for subscription {}: it was deleted; subscribe again",
                    sub.url
                )))
            } else {
                Error::new(ErrorKind::NoSuchBank(sub.bank.clone()))
            }
        })?;
    let at = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    // Runs of adds and of removes, in feed order: each run is one bank
    // version, as an import or a revocation would be.
    for run in events.chunk_by(|a, b| a.op == b.op) {
        version += 1;
        match run[0].op {
            FeedOp::Add => {
                let before = tx
                    .query("SELECT coalesce(max(id), 0) FROM entries", &[])?
                    .first()
                    .map(|r| r.int(0))
                    .transpose()?
                    .flatten()
                    .unwrap_or(0);
                for rows in run.chunks(APPLY_ROWS_PER_INSERT) {
                    insert_rows(tx, bank_id, &sub.url, &at, version, rows)?;
                }
                let range = tx.query(
                    "SELECT min(id), max(id), count(*) FROM entries WHERE id > ? AND bank_id = ?",
                    &[before.into(), bank_id.into()],
                )?;
                // Every add of the run already here: min and max are NULL.
                let row = range
                    .first()
                    .ok_or_else(|| Error::backend("an aggregate returned no row"))?;
                if let (Some(first), Some(last), added) =
                    (row.int(0)?, row.int(1)?, row.req_int(2)?)
                {
                    applied.added += added as u64;
                    tx.change(
                        &sub.bank,
                        &ChangeKind::Imported {
                            first: first as u64,
                            last: last as u64,
                        },
                    )?;
                }
            }
            FeedOp::Remove => {
                for e in run {
                    let reason = e.reason.as_deref().unwrap_or("revoked by the publisher");
                    let revoked = tx.query(
                        "UPDATE entries SET revoked_at = ?, revoke_reason = ?, revoked_version = ?
                         WHERE bank_id = ? AND signal_type = ? AND value = ? AND revoked_at IS NULL
                         RETURNING id",
                        &[
                            at.as_str().into(),
                            format!("{reason} (feed {})", sub.url).into(),
                            version.into(),
                            bank_id.into(),
                            e.signal.signal_type.name().into(),
                            e.signal.value.as_slice().into(),
                        ],
                    )?;
                    for row in revoked {
                        if let Some(id) = row.int(0)? {
                            applied.removed += 1;
                            tx.change(&sub.bank, &ChangeKind::Revoked { entry: id as u64 })?;
                        }
                    }
                }
            }
        }
    }
    tx.exec(
        "UPDATE banks SET version = ? WHERE id = ?",
        &[version.into(), bank_id.into()],
    )?;
    tx.exec(
        "UPDATE feed_subscriptions
         SET checkpoint = ?, feed_id = ?, synced_at = ?, last_error = NULL WHERE id = ?",
        &[
            (last.seq as i64).into(),
            feed_id.into(),
            unix_now().into(),
            sub.id.into(),
        ],
    )?;
    applied.checkpoint = last.seq;
    Ok(applied)
}

/// Inserts a run of added entries; values already active for the same
/// item are skipped.
fn insert_rows(
    tx: &mut dyn SqlTx,
    bank_id: i64,
    origin: &str,
    at: &str,
    version: i64,
    rows: &[IncomingEvent],
) -> Result<(), Error> {
    let mut sql = String::from(
        "INSERT INTO entries (bank_id, origin, added_at, added_version, signal_type, value,
                              quality, content_id, category, source, metadata, derived) VALUES ",
    );
    let mut params: Vec<Param> = Vec::with_capacity(rows.len() * 12);
    for (i, e) in rows.iter().enumerate() {
        if i > 0 {
            sql.push(',');
        }
        sql.push_str(
            "(CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS BIGINT), ?, ?, \
             CAST(CAST(? AS BIGINT) AS SMALLINT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), \
             CAST(? AS TEXT))",
        );
        let s = &e.signal;
        params.extend([
            bank_id.into(),
            origin.into(),
            at.into(),
            version.into(),
            s.signal_type.name().into(),
            s.value.as_slice().into(),
            Param::Int(s.quality.map(i64::from)),
            s.content_id.clone().into(),
            s.category.clone().into(),
            s.source.clone().into(),
            s.metadata.clone().into(),
            s.derived.clone().into(),
        ]);
    }
    sql.push_str(" ON CONFLICT DO NOTHING");
    tx.exec(&sql, &params)?;
    Ok(())
}

/// The store's side of hashwatch-feed's puller: verified pages go into the
/// subscription's bank (or, for a partner hotline, its cases) with their
/// checkpoint in one transaction.
impl hashwatch_feed::Subscriber for Feeds<'_> {
    fn apply_page(
        &self,
        subscription: i64,
        page: &hashwatch_feed::VerifiedPage,
    ) -> Result<Applied, String> {
        self.apply(subscription, &page.feed, page.from, &page.events)
            .map_err(|e| e.to_string())
    }

    fn apply_assessments(
        &self,
        subscription: i64,
        from: i64,
        events: &[hashwatch_model::SharedAssessment],
    ) -> Result<(u64, i64), String> {
        self.apply_shared(subscription, from, events)
            .map_err(|e| e.to_string())
    }

    fn pull_failed(&self, subscription: i64, error: &str) -> Result<(), String> {
        self.sync_failed(subscription, error)
            .map_err(|e| e.to_string())
    }

    fn seen_fresh(&self, subscription: i64, made_at: i64) -> Result<(), String> {
        sql::write(self.sql, |tx| {
            tx.exec(
                "UPDATE feed_subscriptions SET fresh_at = ?
                 WHERE id = ? AND (fresh_at IS NULL OR fresh_at < ?)",
                &[made_at.into(), subscription.into(), made_at.into()],
            )?;
            Ok(())
        })
        .map_err(|e| e.to_string())
    }
}
