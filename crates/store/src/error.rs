//! The store's error type.

use std::fmt;

/// Why a store operation failed.
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
}

/// What went wrong.
#[derive(Debug)]
#[non_exhaustive]
pub enum ErrorKind {
    /// No bank has this name.
    NoSuchBank(String),
    /// A bank with this name exists already.
    BankExists(String),
    /// The bank name is not allowed.
    BadBankName(String),
    /// No active entry matches.
    NoSuchEntry(String),
    /// No record of this kind has this id or name.
    NotFound(String),
    /// A request that cannot be carried out as asked.
    Invalid(String),
    /// A request that clashes with the record's current state (already
    /// decided, already taken, out of sequence).
    Conflict(String),
    /// A legal hold keeps the record (its name or id).
    Held(String),
    /// A domain rule refuses this caller (the four-eyes rule: the second
    /// assessment needs another key, a supervisor's).
    Forbidden(String),
    /// The store broke one of its own promises (a row it just wrote is
    /// missing, a stored value does not decode): not the caller's fault.
    Backend(String),
    /// The database file is from a newer hashwatch.
    TooNew {
        /// The file's schema version.
        found: i64,
        /// The newest this build knows.
        known: i64,
    },
    /// The database failed.
    Database(rusqlite::Error),
    /// The PostgreSQL server failed or could not be reached.
    Postgres(postgres::Error),
    /// The database file could not be created.
    Io(std::io::Error),
}

/// The answers a caller can act on, whatever the detail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// The record is not there (HTTP 404).
    NotFound,
    /// The record's state does not allow it now (HTTP 409).
    Conflict,
    /// The request is wrong as asked (HTTP 400).
    Invalid,
    /// A rule refuses this caller (HTTP 403).
    Forbidden,
    /// The store or its database failed (HTTP 500).
    Backend,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind) -> Error {
        Error { kind }
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// Which of the answers a caller can act on this is.
    pub fn class(&self) -> ErrorClass {
        match &self.kind {
            ErrorKind::NoSuchBank(_) | ErrorKind::NoSuchEntry(_) | ErrorKind::NotFound(_) => {
                ErrorClass::NotFound
            }
            ErrorKind::BankExists(_) | ErrorKind::Conflict(_) | ErrorKind::Held(_) => {
                ErrorClass::Conflict
            }
            ErrorKind::BadBankName(_) | ErrorKind::Invalid(_) => ErrorClass::Invalid,
            ErrorKind::Forbidden(_) => ErrorClass::Forbidden,
            ErrorKind::Backend(_)
            | ErrorKind::TooNew { .. }
            | ErrorKind::Database(_)
            | ErrorKind::Postgres(_)
            | ErrorKind::Io(_) => ErrorClass::Backend,
        }
    }

    /// A record that is not there (see [`ErrorKind::NotFound`]).
    pub fn not_found(what: impl Into<String>) -> Error {
        Error::new(ErrorKind::NotFound(what.into()))
    }

    /// A clash with the record's current state (see [`ErrorKind::Conflict`]).
    pub fn conflict(why: impl Into<String>) -> Error {
        Error::new(ErrorKind::Conflict(why.into()))
    }

    /// A broken promise of the store's own (see [`ErrorKind::Backend`]).
    pub fn backend(why: impl Into<String>) -> Error {
        Error::new(ErrorKind::Backend(why.into()))
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Error {
        Error::new(ErrorKind::Database(e))
    }
}

impl From<postgres::Error> for Error {
    fn from(e: postgres::Error) -> Error {
        Error::new(ErrorKind::Postgres(e))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ErrorKind::NoSuchBank(name) => write!(f, "no bank named {name:?}"),
            ErrorKind::BankExists(name) => write!(f, "a bank named {name:?} exists already"),
            ErrorKind::BadBankName(name) => write!(
                f,
                "bank name {name:?} is not allowed: use 1-64 letters, digits, '_', '-' or '.'"
            ),
            ErrorKind::NoSuchEntry(what) => write!(f, "no active entry {what}"),
            ErrorKind::NotFound(what) => write!(f, "no {what}"),
            ErrorKind::Invalid(why) | ErrorKind::Conflict(why) | ErrorKind::Forbidden(why) => {
                f.write_str(why)
            }
            ErrorKind::Backend(why) => write!(f, "store failure: {why}"),
            ErrorKind::Held(what) => {
                write!(f, "{what} is under a legal hold; release the hold first")
            }
            ErrorKind::TooNew { found, known } => write!(
                f,
                "database schema version {found} is newer than this hashwatch knows ({known}); upgrade hashwatch"
            ),
            ErrorKind::Database(e) => write!(f, "database error: {e}"),
            ErrorKind::Postgres(e) => write!(f, "PostgreSQL error: {e}"),
            ErrorKind::Io(e) => write!(f, "cannot create the database: {e}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            ErrorKind::Database(e) => Some(e),
            ErrorKind::Postgres(e) => Some(e),
            ErrorKind::Io(e) => Some(e),
            _ => None,
        }
    }
}
