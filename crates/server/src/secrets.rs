//! Secrets the service stores for others are sealed with the operator's
//! secrets key (see `hashwatch_access::secrets`): sealed when written,
//! opened only where they are used, and sealed at start when they were
//! stored before the server had a key.

use hashwatch_access::secrets::{is_sealed, open_stored, Purpose, SecretError, SecretsKey};
use hashwatch_model::{NewAudit, DEFAULT_TENANT};
use hashwatch_store::{records, SecretColumn, Store};

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::BoxError;

fn purpose_of(column: SecretColumn) -> Purpose {
    match column {
        SecretColumn::WebhookSecret => Purpose::Webhook,
        SecretColumn::SubscriptionApiKey => Purpose::Subscription,
    }
}

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

/// What [`seal_stored`] found.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Sealing {
    /// Secrets sealed now.
    pub sealed: usize,
    /// Secrets left unsealed (there is no key).
    pub unsealed: usize,
}

/// At start: every stored secret must open with the key (a wrong key file
/// is refused before anything is sent with it), and those stored before
/// the server had a key are sealed, in one transaction with its audit row.
pub fn seal_stored(store: &dyn Store, key: Option<&SecretsKey>) -> Result<Sealing, BoxError> {
    let records = records(store);
    let stored = records.stored_secrets()?;
    let Some(key) = key else {
        if stored.iter().any(|s| is_sealed(&s.value)) {
            return Err(SecretError::NoKey.into());
        }
        return Ok(Sealing {
            sealed: 0,
            unsealed: stored.len(),
        });
    };
    let mut plain = Vec::new();
    for s in &stored {
        if is_sealed(&s.value) {
            key.open(purpose_of(s.column), &s.value)?;
        } else {
            plain.push((s, key.seal(purpose_of(s.column), &s.value)?));
        }
    }
    if !plain.is_empty() {
        records.write(|r| {
            for (s, sealed) in &plain {
                r.replace_secret(s, sealed)?;
            }
            r.audit(&[NewAudit {
                tenant: DEFAULT_TENANT.into(),
                key_id: None,
                actor: "operator".into(),
                action: "secrets.seal".into(),
                bank: None,
                target: None,
                detail: Some(serde_json::json!({"sealed": plain.len()}).to_string()),
            }])
        })?;
    }
    Ok(Sealing {
        sealed: plain.len(),
        unsealed: 0,
    })
}
