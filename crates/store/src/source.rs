//! The store as the matcher's [`BankSource`]: every store, and a store
//! behind `dyn`, answers it from the same methods.

use std::collections::HashMap;

use hashwatch_model::source::{BankSource, SourceError};
use hashwatch_model::{Bank, BankSettings, Change, ContentState, Entry};

use crate::{records, Error, ErrorKind, PostgresStore, SqliteStore, Store};

fn lost(e: Error) -> SourceError {
    SourceError::new(e)
}

/// The source methods over any store (written once, used by each impl).
fn bank_of(store: &dyn Store, name: &str) -> Result<Option<Bank>, SourceError> {
    match store.bank(name) {
        Ok(bank) => Ok(Some(bank)),
        Err(e) if matches!(e.kind(), ErrorKind::NoSuchBank(_)) => Ok(None),
        Err(e) => Err(lost(e)),
    }
}

macro_rules! bank_source {
    ($($ty:ty),*) => {$(
        impl BankSource for $ty {
            fn last_change(&self) -> Result<u64, SourceError> {
                Store::last_change(self).map_err(lost)
            }
            fn changes_since(&self, seq: u64, limit: usize) -> Result<Vec<Change>, SourceError> {
                Store::changes_since(self, seq, limit).map_err(lost)
            }
            fn banks(&self) -> Result<Vec<Bank>, SourceError> {
                Store::banks(self).map_err(lost)
            }
            fn bank(&self, name: &str) -> Result<Option<Bank>, SourceError> {
                bank_of(self, name)
            }
            fn entries(
                &self,
                bank: &str,
                include_revoked: bool,
                visit: &mut dyn FnMut(Entry),
            ) -> Result<(), SourceError> {
                Store::entries(self, bank, include_revoked, visit).map_err(lost)
            }
            fn entries_in(
                &self,
                first: u64,
                last: u64,
                include_revoked: bool,
                visit: &mut dyn FnMut(Entry),
            ) -> Result<(), SourceError> {
                Store::entries_in(self, first, last, include_revoked, visit).map_err(lost)
            }
            fn bank_settings(&self) -> Result<HashMap<String, BankSettings>, SourceError> {
                records(self).bank_settings().map_err(lost)
            }
            fn content_state(&self) -> Result<ContentState, SourceError> {
                records(self).content_state().map_err(lost)
            }
            fn content_links(
                &self,
                content: u64,
            ) -> Result<(hashwatch_model::Availability, Vec<u64>), SourceError> {
                records(self).content_links(content).map_err(lost)
            }
        }
    )*};
}

bank_source!(
    SqliteStore,
    PostgresStore,
    dyn Store + '_,
    dyn Store + Send + Sync + '_
);
