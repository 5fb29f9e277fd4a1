//! What an operation's refusal or failure is, whatever the way in. The
//! HTTP API maps [`Kind`] to a status in one place; the command line
//! prints the message.

use std::fmt;

use hashwatch_access::Denied;
use hashwatch_store::{ErrorClass, ErrorKind};

/// The kinds of answer a caller can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The record is not there, or the caller may not know it is.
    NotFound,
    /// The caller may not do this.
    Forbidden,
    /// The record's state does not allow it now (a legal hold, a decision
    /// already taken, a name taken).
    Conflict,
    /// The request is wrong as asked.
    Invalid,
    /// The service cannot answer now; trying later may work.
    Unavailable,
    /// The service failed; the detail is in its log, not in the answer.
    Internal,
}

/// An operation's refusal or failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpError {
    /// What kind.
    pub kind: Kind,
    /// A stable code for programs (`bank_not_found`, `legal_hold`, …).
    pub code: &'static str,
    /// What went wrong and what to do about it.
    pub message: String,
}

/// What operations return.
pub type OpResult<T> = Result<T, OpError>;

impl OpError {
    /// An error of `kind`.
    pub fn new(kind: Kind, code: &'static str, message: impl Into<String>) -> OpError {
        OpError {
            kind,
            code,
            message: message.into(),
        }
    }

    /// A request that is wrong as asked.
    pub fn invalid(code: &'static str, message: impl Into<String>) -> OpError {
        OpError::new(Kind::Invalid, code, message)
    }

    /// A bank the caller cannot see, or that does not exist: the two are
    /// not told apart, so that other tenants' banks stay invisible.
    pub fn no_bank(name: &str) -> OpError {
        OpError::new(
            Kind::NotFound,
            "bank_not_found",
            format!("bank {name:?} not found"),
        )
    }

    /// A failure of the service itself.
    pub fn internal(error: impl fmt::Display) -> OpError {
        OpError::new(Kind::Internal, "internal", error.to_string())
    }
}

impl fmt::Display for OpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for OpError {}

impl From<Denied> for OpError {
    fn from(denied: Denied) -> OpError {
        match denied {
            Denied::NoSuchBank(name) => OpError::no_bank(&name),
            shared @ Denied::SharedOnly(_) => {
                OpError::new(Kind::Forbidden, "read_only_bank", shared.to_string())
            }
            other => OpError::new(Kind::Forbidden, "forbidden", other.to_string()),
        }
    }
}

impl From<hashwatch_store::Error> for OpError {
    fn from(e: hashwatch_store::Error) -> OpError {
        match (e.kind(), e.class()) {
            (ErrorKind::NoSuchBank(name), _) => OpError::no_bank(name),
            (ErrorKind::BankExists(_), _) => {
                OpError::new(Kind::Conflict, "bank_exists", e.to_string())
            }
            (ErrorKind::BadBankName(_), _) => OpError::invalid("bad_bank_name", e.to_string()),
            (ErrorKind::Held(_), _) => OpError::new(Kind::Conflict, "legal_hold", e.to_string()),
            (_, ErrorClass::NotFound) => OpError::new(Kind::NotFound, "not_found", e.to_string()),
            (_, ErrorClass::Conflict) => OpError::new(Kind::Conflict, "conflict", e.to_string()),
            (_, ErrorClass::Invalid) => OpError::invalid("invalid", e.to_string()),
            (_, ErrorClass::Forbidden) => OpError::new(Kind::Forbidden, "forbidden", e.to_string()),
            (_, ErrorClass::Backend) => OpError::internal(e),
        }
    }
}

/// A source error is the store's underneath: answered as the store's
/// (a bank deleted meanwhile is not found, not a failure).
impl From<hashwatch_model::source::SourceError> for OpError {
    fn from(e: hashwatch_model::source::SourceError) -> OpError {
        match e.into_inner().downcast::<hashwatch_store::Error>() {
            Ok(store) => OpError::from(*store),
            Err(other) => OpError::internal(other),
        }
    }
}

impl From<hashwatch_model::text::TextError> for OpError {
    fn from(e: hashwatch_model::text::TextError) -> OpError {
        OpError::invalid(e.code(), e.to_string())
    }
}
