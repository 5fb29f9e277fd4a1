//! The service's records beside the banks: bank settings and sharing, HMA
//! content (notes, metadata, disabling, grouped signals), API keys, the
//! audit log, match records, legal holds, the review queue and webhook
//! deliveries. Written once in portable SQL over [`Sql`], so SQLite and
//! PostgreSQL behave the same. One file per subject; this one holds
//! [`Records`] itself, its transactions and the bank-entry steps.

use std::cell::RefCell;
use std::collections::HashMap;
use std::time::SystemTime;

use crate::error::{Error, ErrorKind};
use crate::sql::{self, Param, Row, Sql, SqlTx};
use hashwatch_model::{
    random_hex, unix_now, valid_tenant, ApiKey, AuditEvent, BankSettings, ChangeKind, Content,
    ContentState, Delivery, DeliveryState, EntryRef, Hold, HoldKind, ImportSummary, KeySecret,
    MatchEvent, NewAudit, NewEntry, NewMatch, Purged, RecordQuery, Review, ReviewReason,
    ReviewState, Roles, UiSession, Webhook,
};

mod audit;
mod banks;
mod content;
mod deliveries;
mod holds;
mod keys;
mod reviews;
mod secrets;
mod sessions;

pub(crate) use audit::chain_legacy_cuts;
pub use secrets::{SecretColumn, StoredSecret};

/// A query's `WHERE … ORDER BY … LIMIT` and its parameters.
trait Clause {
    fn clause(&self) -> (String, Vec<Param>);
}

impl Clause for RecordQuery {
    fn clause(&self) -> (String, Vec<Param>) {
        let mut sql = String::from(" WHERE 1 = 1");
        let mut params = Vec::new();
        if let Some(t) = &self.tenant {
            // The service's own entries (`*`: retention purges, with
            // store-wide counts) are the operator's, not any tenant's.
            sql.push_str(" AND tenant = ?");
            params.push(Param::from(t.as_str()));
        }
        if let Some(v) = self.from {
            sql.push_str(" AND at >= ?");
            params.push(v.into());
        }
        if let Some(v) = self.to {
            sql.push_str(" AND at < ?");
            params.push(v.into());
        }
        if let Some(b) = &self.bank {
            sql.push_str(" AND bank = ?");
            params.push(Param::from(b.as_str()));
        }
        if let Some(v) = self.after {
            sql.push_str(" AND id > ?");
            params.push(v.into());
        }
        if let Some(v) = self.before {
            sql.push_str(" AND id < ?");
            params.push(v.into());
        }
        // Audit columns: the match records have none, and a query naming
        // them there fails rather than being silently widened.
        if let Some(t) = &self.target {
            sql.push_str(" AND target = ?");
            params.push(Param::from(t.as_str()));
        }
        if let Some(a) = &self.action {
            // An exact prefix (LIKE ignores case on SQLite only).
            sql.push_str(" AND substr(action, 1, length(CAST(? AS TEXT))) = CAST(? AS TEXT)");
            params.push(Param::from(a.as_str()));
            params.push(Param::from(a.as_str()));
        }
        if let Some(a) = &self.actor {
            sql.push_str(" AND actor = ?");
            params.push(Param::from(a.as_str()));
        }
        sql.push_str(if self.newest_first {
            " ORDER BY id DESC LIMIT ?"
        } else {
            " ORDER BY id LIMIT ?"
        });
        params.push(self.limit.unwrap_or(1000).clamp(1, 100_000).into());
        (sql, params)
    }
}

fn not_found(what: String) -> Error {
    Error::new(ErrorKind::NotFound(what))
}

fn bank_id(tx: &mut dyn SqlTx, bank: &str) -> Result<i64, Error> {
    tx.query("SELECT id FROM banks WHERE name = ?", &[bank.into()])?
        .first()
        .map(|r| r.int(0))
        .transpose()?
        .flatten()
        .ok_or_else(|| Error::new(ErrorKind::NoSuchBank(bank.to_string())))
}

/// The service's records in a store's database: each method its own
/// transaction, or, inside [`Records::write`], one step of the caller's.
pub struct Records<'a> {
    target: Target<'a>,
}

enum Target<'a> {
    Store(&'a dyn Sql),
    Within(RefCell<&'a mut dyn SqlTx>),
}

/// Records are SQL too, so the domains' records ([`crate::Hotline`],
/// [`crate::Feeds`]) made from a `Records` inside [`Records::write`] run as
/// steps of that one transaction.
impl Sql for Records<'_> {
    fn write(
        &self,
        work: &mut dyn FnMut(&mut dyn SqlTx) -> Result<(), Error>,
    ) -> Result<(), Error> {
        self.write_tx(work)
    }

    fn read(&self, work: &mut dyn FnMut(&mut dyn SqlTx) -> Result<(), Error>) -> Result<(), Error> {
        self.read_tx(work)
    }
}

/// Runs `work` on the transaction of the write this `Records` belongs to.
fn within<T>(
    tx: &RefCell<&mut dyn SqlTx>,
    mut work: impl FnMut(&mut dyn SqlTx) -> Result<T, Error>,
) -> Result<T, Error> {
    // Only reachable by using the outer `Records` inside a nested `write`:
    // an error, not a panic.
    let mut tx = tx
        .try_borrow_mut()
        .map_err(|_| Error::backend("a transaction's records used inside a nested write"))?;
    work(&mut **tx)
}

impl<'a> Records<'a> {
    /// Records over a backend.
    pub fn new(sql: &'a dyn Sql) -> Records<'a> {
        Records {
            target: Target::Store(sql),
        }
    }

    /// Runs `work` as one transaction: every record and bank change it
    /// makes commits together when it returns `Ok`, or none does.
    pub fn write<T>(
        &self,
        mut work: impl FnMut(&Records<'_>) -> Result<T, Error>,
    ) -> Result<T, Error> {
        self.write_tx(|tx| {
            let within = Records {
                target: Target::Within(RefCell::new(tx)),
            };
            work(&within)
        })
    }

    fn write_tx<T>(
        &self,
        work: impl FnMut(&mut dyn SqlTx) -> Result<T, Error>,
    ) -> Result<T, Error> {
        match &self.target {
            Target::Store(sql) => sql::write(*sql, work),
            Target::Within(tx) => within(tx, work),
        }
    }

    fn read_tx<T>(&self, work: impl FnMut(&mut dyn SqlTx) -> Result<T, Error>) -> Result<T, Error> {
        match &self.target {
            Target::Store(sql) => sql::read(*sql, work),
            Target::Within(tx) => within(tx, work),
        }
    }

    /// The hotline's records, as steps of this write when inside one.
    pub fn hotline(&self) -> crate::Hotline<'_> {
        crate::hotline(self)
    }

    /// The feeds' records (subscriptions, opinions), as steps of this
    /// write when inside one. Feed pages are read from the store itself
    /// ([`crate::feeds`]), never inside a write.
    pub fn feeds(&self) -> crate::Feeds<'_> {
        crate::Feeds::within(self)
    }

    // Entries, as steps of a transaction.

    /// [`crate::Store::import`] with the other changes of this write.
    pub fn import(
        &self,
        bank: &str,
        entries: &[NewEntry],
        origin: Option<&str>,
    ) -> Result<ImportSummary, Error> {
        self.write_tx(|tx| tx.import(bank, entries, origin, &mut |_| {}))
    }

    /// [`Records::import`], calling `progress` with the number of entries
    /// written so far (a long import from the command line shows it).
    pub fn import_with_progress(
        &self,
        bank: &str,
        entries: &[NewEntry],
        origin: Option<&str>,
        progress: &mut dyn FnMut(usize),
    ) -> Result<ImportSummary, Error> {
        let summary = self.write_tx(|tx| tx.import(bank, entries, origin, progress))?;
        progress(entries.len());
        Ok(summary)
    }

    /// [`crate::Store::revoke`] with the other changes of this write.
    pub fn revoke(&self, bank: &str, which: &EntryRef, reason: &str) -> Result<Vec<u64>, Error> {
        self.write_tx(|tx| tx.revoke(bank, which, reason))
    }

    /// [`crate::Store::delete_bank`] with the other changes of this write.
    pub fn delete_bank(&self, name: &str) -> Result<(), Error> {
        self.write_tx(|tx| tx.delete_bank(name))
    }

    /// Deletes a bank unless an active legal hold keeps it; the check and
    /// the deletion are one transaction, so a hold placed meanwhile wins.
    pub fn delete_bank_unless_held(&self, name: &str) -> Result<(), Error> {
        self.write_tx(|tx| {
            let held = tx.query(
                "SELECT h.id FROM holds h JOIN banks b ON b.id = h.bank_id
                 WHERE h.kind = 'bank' AND b.name = ? AND h.released_at IS NULL",
                &[name.into()],
            )?;
            if !held.is_empty() {
                return Err(Error::new(ErrorKind::Held(format!("bank {name:?}"))));
            }
            tx.delete_bank(name)
        })
    }
}
