//! Errors as HTTP answers: JSON `{"message", "code"}`, the shape HMA's
//! blueprints use, with a stable code added for programs.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use hashwatch_store::{ErrorClass, ErrorKind};

/// An error answer.
#[derive(Debug)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// A stable code, e.g. `bank_not_found`.
    pub code: &'static str,
    /// What went wrong and what to do about it.
    pub message: String,
    /// Seconds to wait, for 429 answers.
    pub retry_after: Option<u64>,
}

/// What handlers return.
pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    /// An error with a status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// 400.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 404.
    pub fn not_found(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, code, message)
    }

    /// 404 for a bank the caller cannot see (or that does not exist: the
    /// two are not told apart, so other tenants' banks stay invisible).
    pub fn no_bank(name: &str) -> ApiError {
        ApiError::not_found("bank_not_found", format!("bank {name:?} not found"))
    }

    /// 500, logged; the caller gets no internals.
    pub fn internal(error: impl std::fmt::Display) -> ApiError {
        tracing::error!(%error, "internal error");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the server failed; the error is in its log",
        )
    }
}

impl From<hashwatch_store::Error> for ApiError {
    fn from(e: hashwatch_store::Error) -> ApiError {
        match (e.kind(), e.class()) {
            (ErrorKind::NoSuchBank(name), _) => ApiError::no_bank(name),
            // HMA answers a taken bank name with 403.
            (ErrorKind::BankExists(_), _) => {
                ApiError::new(StatusCode::FORBIDDEN, "bank_exists", e.to_string())
            }
            (ErrorKind::BadBankName(_), _) => ApiError::bad_request("bad_bank_name", e.to_string()),
            (ErrorKind::Held(_), _) => {
                ApiError::new(StatusCode::CONFLICT, "legal_hold", e.to_string())
            }
            (_, ErrorClass::NotFound) => ApiError::not_found("not_found", e.to_string()),
            (_, ErrorClass::Conflict) => {
                ApiError::new(StatusCode::CONFLICT, "conflict", e.to_string())
            }
            (_, ErrorClass::Invalid) => ApiError::bad_request("invalid", e.to_string()),
            (_, ErrorClass::Backend) => ApiError::internal(e),
        }
    }
}

impl From<tokio::task::JoinError> for ApiError {
    fn from(e: tokio::task::JoinError) -> ApiError {
        ApiError::internal(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = crate::openapi::ErrorBody {
            message: self.message,
            code: self.code,
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            if let Ok(v) = HeaderValue::from_str(&seconds.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        response
    }
}
