//! A store that fails on purpose, for tests that prove a multi-step write
//! leaves nothing behind when one of its steps fails.
//!
//! [`FailingStore`] wraps a real store and counts the steps (statements,
//! imports, revocations, deletions, change-log appends) of every write
//! transaction; the step numbered `fail_at` fails, so the transaction
//! rolls back there. Reads and the bank methods the wrapper does not
//! re-route pass straight through.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::error::Error;
use crate::sql::{Param, Row, Sql, SqlTx};
use crate::Store;
use hashwatch_model::{
    Bank, BankKind, Change, ChangeKind, Entry, EntryRef, ImportSummary, NewEntry,
};

/// A store whose `fail_at`-th write step fails (0: none does).
pub struct FailingStore<S> {
    inner: S,
    fail_at: AtomicUsize,
    steps: AtomicUsize,
    /// Write transactions begun since the last arming.
    writes: AtomicUsize,
    /// Which of them the injected failure fired in.
    fired_in: Mutex<Option<usize>>,
}

impl<S: Store> FailingStore<S> {
    /// Wraps `inner`, failing nothing yet.
    pub fn new(inner: S) -> FailingStore<S> {
        FailingStore {
            inner,
            fail_at: AtomicUsize::new(0),
            steps: AtomicUsize::new(0),
            writes: AtomicUsize::new(0),
            fired_in: Mutex::new(None),
        }
    }

    /// From now, the `n`-th write step fails (counting from 1; 0: none).
    pub fn fail_at(&self, n: usize) {
        self.steps.store(0, Ordering::SeqCst);
        self.writes.store(0, Ordering::SeqCst);
        *self.fired_in.lock().unwrap_or_else(|p| p.into_inner()) = None;
        self.fail_at.store(n, Ordering::SeqCst);
    }

    /// The write transaction (1 for the first since the last
    /// [`FailingStore::fail_at`]) in which the injected failure fired, if
    /// it did. A change that succeeds although its own transaction's
    /// failure fired swallowed an error.
    pub fn fired_in(&self) -> Option<usize> {
        *self.fired_in.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Write steps taken since the last [`FailingStore::fail_at`].
    pub fn steps(&self) -> usize {
        self.steps.load(Ordering::SeqCst)
    }

    /// The wrapped store.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    fn step(&self) -> Result<(), Error> {
        let n = self.steps.fetch_add(1, Ordering::SeqCst) + 1;
        if n == self.fail_at.load(Ordering::SeqCst) {
            *self.fired_in.lock().unwrap_or_else(|p| p.into_inner()) =
                Some(self.writes.load(Ordering::SeqCst));
            return Err(Error::backend(format!(
                "injected failure at write step {n}"
            )));
        }
        Ok(())
    }
}

struct Counting<'a, S> {
    store: &'a FailingStore<S>,
    tx: &'a mut dyn SqlTx,
}

impl<S: Store> SqlTx for Counting<'_, S> {
    fn exec(&mut self, sql: &str, params: &[Param]) -> Result<u64, Error> {
        self.store.step()?;
        self.tx.exec(sql, params)
    }

    fn query(&mut self, sql: &str, params: &[Param]) -> Result<Vec<Row>, Error> {
        self.store.step()?;
        self.tx.query(sql, params)
    }

    fn change(&mut self, bank: &str, kind: &ChangeKind) -> Result<(), Error> {
        self.store.step()?;
        self.tx.change(bank, kind)
    }

    fn import(
        &mut self,
        bank: &str,
        entries: &[NewEntry],
        origin: Option<&str>,
        progress: &mut dyn FnMut(usize),
    ) -> Result<ImportSummary, Error> {
        self.store.step()?;
        self.tx.import(bank, entries, origin, progress)
    }

    fn revoke(&mut self, bank: &str, which: &EntryRef, reason: &str) -> Result<Vec<u64>, Error> {
        self.store.step()?;
        self.tx.revoke(bank, which, reason)
    }

    fn delete_bank(&mut self, name: &str) -> Result<(), Error> {
        self.store.step()?;
        self.tx.delete_bank(name)
    }
}

impl<S: Store> Sql for FailingStore<S> {
    fn write(
        &self,
        work: &mut dyn FnMut(&mut dyn SqlTx) -> Result<(), Error>,
    ) -> Result<(), Error> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        self.inner
            .write(&mut |tx| work(&mut Counting { store: self, tx }))
    }

    fn read(&self, work: &mut dyn FnMut(&mut dyn SqlTx) -> Result<(), Error>) -> Result<(), Error> {
        self.inner.read(work)
    }
}

impl<S: Store> Store for FailingStore<S> {
    fn create_bank(
        &self,
        name: &str,
        kind: BankKind,
        description: Option<&str>,
    ) -> Result<Bank, Error> {
        self.inner.create_bank(name, kind, description)
    }

    fn banks(&self) -> Result<Vec<Bank>, Error> {
        self.inner.banks()
    }

    fn bank(&self, name: &str) -> Result<Bank, Error> {
        self.inner.bank(name)
    }

    fn entries(
        &self,
        bank: &str,
        include_revoked: bool,
        visit: &mut dyn FnMut(Entry),
    ) -> Result<(), Error> {
        self.inner.entries(bank, include_revoked, visit)
    }

    fn entries_in(
        &self,
        first: u64,
        last: u64,
        include_revoked: bool,
        visit: &mut dyn FnMut(Entry),
    ) -> Result<(), Error> {
        self.inner.entries_in(first, last, include_revoked, visit)
    }

    fn last_change(&self) -> Result<u64, Error> {
        self.inner.last_change()
    }

    fn changes_since(&self, seq: u64, limit: usize) -> Result<Vec<Change>, Error> {
        self.inner.changes_since(seq, limit)
    }
}
