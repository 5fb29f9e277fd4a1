//! Secrets the service stores for others (webhook secrets, subscriptions'
//! API keys), sealed with the operator's secrets key when the service
//! starts.

use hashwatch_access::secrets::{is_sealed, Purpose, SecretError, SecretsKey};
use hashwatch_model::{Actor, AuditAction, DEFAULT_TENANT};
use hashwatch_store::{records, SecretColumn, Store};

/// The purpose a stored secret was sealed for.
pub fn purpose_of(column: SecretColumn) -> Purpose {
    match column {
        SecretColumn::WebhookSecret => Purpose::Webhook,
        SecretColumn::SubscriptionApiKey => Purpose::Subscription,
    }
}

/// What [`seal_stored`] found.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Sealing {
    /// Secrets sealed now.
    pub sealed: usize,
    /// Secrets left unsealed (there is no key).
    pub unsealed: usize,
}

/// At start, as the operator starting the service: every stored secret
/// must open with the key (a wrong key file is refused before anything is
/// sent with it), and those stored before the server had a key are
/// sealed, in one transaction with its audit row (`secrets.seal`).
pub fn seal_stored(
    store: &dyn Store,
    key: Option<&SecretsKey>,
) -> Result<Sealing, Box<dyn std::error::Error + Send + Sync>> {
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
            r.audit(&[Actor::Operator.audit(
                DEFAULT_TENANT,
                AuditAction::SecretsSeal,
                None,
                None,
                Some(serde_json::json!({"sealed": plain.len()}).to_string()),
            )])
        })?;
    }
    Ok(Sealing {
        sealed: plain.len(),
        unsealed: 0,
    })
}
