//! Secrets the service stores for others are sealed with the operator's
//! secrets key (see `hashwatch_access::secrets`): sealed when written,
//! opened only where they are used, and sealed at start when they were
//! stored before the server had a key.

use hashwatch_access::secrets::{open_stored, Purpose, SecretError};
pub use hashwatch_operations::secrets::{seal_stored, Sealing};

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// `plain` sealed for storing; refused when the server has no key.
pub fn seal(state: &AppState, purpose: Purpose, plain: &str) -> ApiResult<String> {
    let Some(key) = &state.config.secrets_key else {
        return Err(ApiError::bad_request(
            "no_secrets_key",
            "this server stores secrets only sealed, and its operator gave it no secrets key \
             (hashwatch serve --secrets-key-file)",
        ));
    };
    key.seal(purpose, plain).map_err(ApiError::internal)
}

/// The secret a stored value holds.
pub fn open(state: &AppState, purpose: Purpose, stored: &str) -> Result<String, SecretError> {
    open_stored(state.config.secrets_key.as_deref(), purpose, stored)
}
