//! What the matcher reads banks and their changes through: an interface
//! that `hashwatch-store` implements, so that matching depends on the
//! vocabulary alone and never on a database.

use std::collections::HashMap;

use crate::{Availability, Bank, BankSettings, Change, ContentState, Entry};

/// A failure of the source underneath (a database error, a lost
/// connection), carried as it was.
#[derive(Debug)]
pub struct SourceError(Box<dyn std::error::Error + Send + Sync>);

impl SourceError {
    /// Wraps the source's own error.
    pub fn new(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> SourceError {
        SourceError(error.into())
    }

    /// The source's own error.
    pub fn into_inner(self) -> Box<dyn std::error::Error + Send + Sync> {
        self.0
    }
}

impl std::fmt::Display for SourceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for SourceError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self.0.as_ref())
    }
}

/// Banks, their entries and settings, HMA content's state, and the change
/// log that keeps a resident index in step with every writer.
pub trait BankSource {
    /// The newest change's `seq` (0 when there is none).
    fn last_change(&self) -> Result<u64, SourceError>;
    /// Up to `limit` changes after `seq`, oldest first.
    fn changes_since(&self, seq: u64, limit: usize) -> Result<Vec<Change>, SourceError>;
    /// Every bank, by name.
    fn banks(&self) -> Result<Vec<Bank>, SourceError>;
    /// One bank, `None` when no bank has this name.
    fn bank(&self, name: &str) -> Result<Option<Bank>, SourceError>;
    /// Visits a bank's entries in id order, revoked ones too when asked.
    fn entries(
        &self,
        bank: &str,
        include_revoked: bool,
        visit: &mut dyn FnMut(Entry),
    ) -> Result<(), SourceError>;
    /// Visits the entries with ids `first..=last`, in id order.
    fn entries_in(
        &self,
        first: u64,
        last: u64,
        include_revoked: bool,
        visit: &mut dyn FnMut(Entry),
    ) -> Result<(), SourceError>;
    /// Every bank's settings, by bank name.
    fn bank_settings(&self) -> Result<HashMap<String, BankSettings>, SourceError>;
    /// Which content is disabled, and which entries belong to content.
    fn content_state(&self) -> Result<ContentState, SourceError>;
    /// One content item's availability and the entries banked with it.
    fn content_links(&self, content: u64) -> Result<(Availability, Vec<u64>), SourceError>;
}
