//! Portable SQL: the small surface both backends offer so that the
//! service's records (keys, audit, holds, reviews, deliveries) are written
//! once. Statements use `?` placeholders; PostgreSQL sees them as `$n`.

use crate::error::Error;
use hashwatch_model::{ChangeKind, EntryRef, ImportSummary, NewEntry};

/// A statement parameter. Nulls are typed because PostgreSQL checks a
/// parameter's type against its column.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    /// A 64-bit integer (also booleans, as 0 and 1).
    Int(Option<i64>),
    /// A float.
    Real(Option<f64>),
    /// Text.
    Text(Option<String>),
    /// Bytes.
    Blob(Option<Vec<u8>>),
}

impl From<&[u8]> for Param {
    fn from(v: &[u8]) -> Param {
        Param::Blob(Some(v.to_vec()))
    }
}

impl From<i64> for Param {
    fn from(v: i64) -> Param {
        Param::Int(Some(v))
    }
}

impl From<Option<i64>> for Param {
    fn from(v: Option<i64>) -> Param {
        Param::Int(v)
    }
}

impl From<f64> for Param {
    fn from(v: f64) -> Param {
        Param::Real(Some(v))
    }
}

impl From<Option<f64>> for Param {
    fn from(v: Option<f64>) -> Param {
        Param::Real(v)
    }
}

impl From<&str> for Param {
    fn from(v: &str) -> Param {
        Param::Text(Some(v.to_string()))
    }
}

impl From<String> for Param {
    fn from(v: String) -> Param {
        Param::Text(Some(v))
    }
}

impl From<Option<&str>> for Param {
    fn from(v: Option<&str>) -> Param {
        Param::Text(v.map(str::to_string))
    }
}

impl From<Option<String>> for Param {
    fn from(v: Option<String>) -> Param {
        Param::Text(v)
    }
}

/// A value read back.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// SQL NULL.
    Null,
    /// An integer.
    Int(i64),
    /// A float.
    Real(f64),
    /// Text.
    Text(String),
}

/// One row read back.
#[derive(Debug, Clone, PartialEq)]
pub struct Row(pub Vec<Cell>);

impl Row {
    fn cell(&self, i: usize) -> Result<&Cell, Error> {
        self.0
            .get(i)
            .ok_or_else(|| Error::backend(format!("a row has no column {i}")))
    }

    fn mismatch(&self, i: usize, wanted: &str) -> Error {
        Error::backend(format!(
            "column {i} holds {:?} where {wanted} belongs",
            self.0.get(i)
        ))
    }

    /// Column `i` as an integer, `None` for NULL; any other value is an
    /// error, never a default.
    pub fn int(&self, i: usize) -> Result<Option<i64>, Error> {
        match self.cell(i)? {
            Cell::Null => Ok(None),
            Cell::Int(v) => Ok(Some(*v)),
            _ => Err(self.mismatch(i, "an integer")),
        }
    }

    /// Column `i` as a number, `None` for NULL.
    pub fn real(&self, i: usize) -> Result<Option<f64>, Error> {
        match self.cell(i)? {
            Cell::Null => Ok(None),
            Cell::Real(v) => Ok(Some(*v)),
            Cell::Int(v) => Ok(Some(*v as f64)),
            Cell::Text(_) => Err(self.mismatch(i, "a number")),
        }
    }

    /// Column `i` as text, `None` for NULL.
    pub fn text(&self, i: usize) -> Result<Option<String>, Error> {
        match self.cell(i)? {
            Cell::Null => Ok(None),
            Cell::Text(v) => Ok(Some(v.clone())),
            _ => Err(self.mismatch(i, "text")),
        }
    }

    /// Column `i`, an integer that may not be NULL.
    pub fn req_int(&self, i: usize) -> Result<i64, Error> {
        self.int(i)?.ok_or_else(|| self.mismatch(i, "an integer"))
    }

    /// Column `i`, a number that may not be NULL.
    pub fn req_real(&self, i: usize) -> Result<f64, Error> {
        self.real(i)?.ok_or_else(|| self.mismatch(i, "a number"))
    }

    /// Column `i`, text that may not be NULL.
    pub fn req_text(&self, i: usize) -> Result<String, Error> {
        self.text(i)?.ok_or_else(|| self.mismatch(i, "text"))
    }

    /// Column `i`, the name of one of `what`'s variants. A name this
    /// build does not know is the store's fault, never a default.
    pub fn req_named<T>(
        &self,
        i: usize,
        parse: fn(&str) -> Option<T>,
        what: &str,
    ) -> Result<T, Error> {
        let name = self.req_text(i)?;
        parse(&name).ok_or_else(|| Error::backend(format!("{what} {name:?} is not known")))
    }
}

/// Statements inside one transaction.
pub trait SqlTx {
    /// Runs a statement; returns the rows it changed.
    fn exec(&mut self, sql: &str, params: &[Param]) -> Result<u64, Error>;
    /// Runs a query (or a statement with `RETURNING`).
    fn query(&mut self, sql: &str, params: &[Param]) -> Result<Vec<Row>, Error>;
    /// Appends to the change log, so that followers on every node see the
    /// write in commit order.
    fn change(&mut self, bank: &str, kind: &ChangeKind) -> Result<(), Error>;
    /// [`crate::Store::import`], as one step of this transaction.
    fn import(
        &mut self,
        bank: &str,
        entries: &[NewEntry],
        origin: Option<&str>,
        progress: &mut dyn FnMut(usize),
    ) -> Result<ImportSummary, Error>;
    /// [`crate::Store::revoke`], as one step of this transaction.
    fn revoke(&mut self, bank: &str, which: &EntryRef, reason: &str) -> Result<Vec<u64>, Error>;
    /// [`crate::Store::delete_bank`], as one step of this transaction.
    fn delete_bank(&mut self, name: &str) -> Result<(), Error>;
}

/// A backend that runs portable statements in transactions.
pub trait Sql {
    /// Runs `work` in a write transaction (writers take turns, as imports
    /// do); commits when it returns `Ok`.
    fn write(&self, work: &mut dyn FnMut(&mut dyn SqlTx) -> Result<(), Error>)
        -> Result<(), Error>;
    /// Runs `work` in a read transaction.
    fn read(&self, work: &mut dyn FnMut(&mut dyn SqlTx) -> Result<(), Error>) -> Result<(), Error>;
}

/// `?` placeholders as PostgreSQL's `$1`, `$2`, ….
/// The steps of the schema's migrations that SQL alone cannot take, run
/// in the migration's transaction just before the SQL migration numbered
/// `number` (from 1).
pub(crate) fn before_migration(number: usize, tx: &mut dyn SqlTx) -> Result<(), Error> {
    match number {
        // 0020 drops `audit_cuts`: its rows go into the chain first.
        20 => crate::records::chain_legacy_cuts(tx),
        _ => Ok(()),
    }
}

pub(crate) fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push('$');
            out.push_str(&n.to_string());
        } else {
            out.push(c);
        }
    }
    out
}

/// Runs a write and hands back what it produced.
pub fn write<T, S: Sql + ?Sized>(
    sql: &S,
    mut work: impl FnMut(&mut dyn SqlTx) -> Result<T, Error>,
) -> Result<T, Error> {
    let mut out = None;
    sql.write(&mut |tx| {
        out = Some(work(tx)?);
        Ok(())
    })?;
    out.ok_or_else(|| Error::backend("write produced nothing"))
}

/// Runs a read and hands back what it produced.
pub fn read<T, S: Sql + ?Sized>(
    sql: &S,
    mut work: impl FnMut(&mut dyn SqlTx) -> Result<T, Error>,
) -> Result<T, Error> {
    let mut out = None;
    sql.read(&mut |tx| {
        out = Some(work(tx)?);
        Ok(())
    })?;
    out.ok_or_else(|| Error::backend("read produced nothing"))
}

/// The active derived hashes of the picture whose own PDQ entry is `$2`,
/// in the bank `$1`: entries of its item marked derived, revoked with it.
/// (SQLite numbers `$n` parameters in order of appearance, which is
/// their order here, so one statement serves both backends.)
pub(crate) const DERIVED_OF: &str = "SELECT d.id FROM entries d
     WHERE d.bank_id = $1 AND d.derived IS NOT NULL AND d.revoked_at IS NULL
       AND d.content_id = (SELECT o.content_id FROM entries o
                           WHERE o.id = $2 AND o.derived IS NULL AND o.signal_type = 'pdq')";

#[cfg(test)]
mod tests {
    #[test]
    fn placeholders_are_numbered_in_order() {
        assert_eq!(
            super::numbered("SELECT a FROM t WHERE b = ? AND c > ?"),
            "SELECT a FROM t WHERE b = $1 AND c > $2"
        );
    }
}
