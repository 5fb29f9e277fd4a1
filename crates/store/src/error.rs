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

impl Error {
    pub(crate) fn new(kind: ErrorKind) -> Error {
        Error { kind }
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
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
            ErrorKind::Invalid(why) => f.write_str(why),
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
