//! Banks: named sets of known hashes with provenance and history.
//!
//! A [`Bank`] holds entries ([`Entry`]): a signal ([`SignalType`] and value)
//! with its content id, category, source and the time it was added. Entries
//! are never deleted one by one: revoking one stamps it with the time and
//! reason, it stops matching at once and stays in the history. Every change
//! bumps the bank's version, and entries record the versions they were added
//! and revoked in, so a copy can be brought up to date from a version.
//! Negative banks ([`BankKind::Negative`]) list known false positives that
//! suppress matches.
//!
//! [`Store`] is the interface; [`SqliteStore`] keeps everything in one SQLite
//! file, [`PostgresStore`] in a PostgreSQL database that several nodes can
//! share, with the same behaviour; [`open`] picks one from a `--db` value.
//! Imports are all or nothing: a crash mid-import leaves the bank as it was.
//! [`Records::write`] makes several changes (bank entries, the service's
//! records, their audit rows) one transaction. The vocabulary these speak
//! is `hashwatch-model`'s; the rules that decide them are the domain
//! crates' (`hashwatch-hotline`'s case transitions, for one).
//!
//! ```
//! use hashwatch_store::{BankKind, NewEntry, SignalType, SqliteStore, Store};
//!
//! let store = SqliteStore::open_in_memory()?;
//! store.create_bank("known", BankKind::Positive, None)?;
//! let value = SignalType::Md5.parse_value("900150983cd24fb0d6963f7d28e17f72")?;
//! let summary = store.import("known", &[NewEntry::new(SignalType::Md5, value)], None, &mut |_| {})?;
//! assert_eq!(summary.added, 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod changes;
mod error;
#[cfg(feature = "faults")]
pub mod faults;
mod feed;
mod hotline;
mod postgres;
mod records;
mod source;
pub mod sql;
mod sqlite;

pub use crate::error::{Error, ErrorClass, ErrorKind};
pub use crate::feed::{feeds, Feeds};
pub use crate::hotline::{hotline, Hotline};
pub use crate::postgres::PostgresStore;
pub use crate::records::{Records, SecretColumn, StoredSecret};
pub use hashwatch_model::audit;
pub use hashwatch_model::{CaseFilter, CaseOverview, CaseReport};
// The vocabulary, re-exported so that code written against the store keeps
// its paths; new code names `hashwatch_model`.
pub use crate::sqlite::SqliteStore;
pub use hashwatch_model::{
    unix_now, valid_tenant, value_order, ApiKey, Appeal, Applied, AuditEvent, Bank, BankKind,
    BankSettings, BlockChange, Case, CaseHash, CaseState, Change, ChangeKind, Content,
    ContentState, Delivery, Entry, EntryRef, FeedEvent, FeedInfo, FeedOp, Hold, HoldKind,
    ImportSummary, IncomingEvent, Intake, MatchEvent, NewAudit, NewEntry, NewMatch, NewReport,
    Opinion, Ordered, Purged, RecordQuery, Review, Role, Roles, SharedAssessment, SignalType,
    Subscription, UiSession, ValueError, Verdict, Webhook, DEFAULT_TENANT,
};

/// Opens the store a `--db` value names: a `postgres://` or
/// `postgresql://` URL, or else a SQLite file path.
pub fn open(spec: &str) -> Result<Box<dyn Store + Send + Sync>, Error> {
    if spec.starts_with("postgres://") || spec.starts_with("postgresql://") {
        Ok(Box::new(PostgresStore::connect(spec)?))
    } else {
        Ok(Box::new(SqliteStore::open(std::path::Path::new(spec))?))
    }
}

/// Storage for banks and their entries. Implementations keep every method
/// atomic: it completes, or changes nothing.
pub trait Store: sql::Sql {
    /// Creates an empty bank. Names are 1-64 characters of letters, digits,
    /// `_`, `-` and `.`.
    fn create_bank(
        &self,
        name: &str,
        kind: BankKind,
        description: Option<&str>,
    ) -> Result<Bank, Error>;

    /// Every bank, by name.
    fn banks(&self) -> Result<Vec<Bank>, Error>;

    /// One bank.
    fn bank(&self, name: &str) -> Result<Bank, Error>;

    /// Deletes a bank with all its entries and history.
    fn delete_bank(&self, name: &str) -> Result<(), Error> {
        sql::write(self, |tx| tx.delete_bank(name))
    }

    /// Adds entries in one transaction. A value already active in the bank
    /// for the same item (`content_id`) is skipped and counted; the same
    /// value for another item is that item's own entry. `progress` is called with the number of
    /// entries written so far.
    fn import(
        &self,
        bank: &str,
        entries: &[NewEntry],
        origin: Option<&str>,
        progress: &mut dyn FnMut(usize),
    ) -> Result<ImportSummary, Error> {
        let summary = sql::write(self, |tx| tx.import(bank, entries, origin, progress))?;
        progress(entries.len());
        Ok(summary)
    }

    /// Revokes active entries by id or by value; returns the ids revoked.
    fn revoke(&self, bank: &str, which: &EntryRef, reason: &str) -> Result<Vec<u64>, Error> {
        sql::write(self, |tx| tx.revoke(bank, which, reason))
    }

    /// Visits a bank's entries in id order, revoked ones too when asked.
    fn entries(
        &self,
        bank: &str,
        include_revoked: bool,
        visit: &mut dyn FnMut(Entry),
    ) -> Result<(), Error>;

    /// Visits the entries with ids `first..=last`, in id order, revoked ones
    /// too when asked (to follow an [`ChangeKind::Imported`] change).
    fn entries_in(
        &self,
        first: u64,
        last: u64,
        include_revoked: bool,
        visit: &mut dyn FnMut(Entry),
    ) -> Result<(), Error>;

    /// The newest change's `seq` (0 when there is none).
    fn last_change(&self) -> Result<u64, Error>;

    /// Up to `limit` changes after `seq`, oldest first. Every write is one
    /// change, committed with it, and writers take turns, so a reader that
    /// has applied everything up to `seq` misses nothing by asking for what
    /// follows.
    fn changes_since(&self, seq: u64, limit: usize) -> Result<Vec<Change>, Error>;
}

/// The service's records of any store.
pub fn records(store: &dyn Store) -> Records<'_> {
    Records::new(store)
}
