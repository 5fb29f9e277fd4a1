//! The secrets the database keeps for others (banks' webhook secrets,
//! subscriptions' API keys), listed and replaced one by one, so that a
//! server given a secrets key seals the ones stored before it had one.
//! What sealing is belongs to hashwatch-access; here they are text.

use super::*;

/// Where a stored secret is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretColumn {
    /// `bank_settings.webhook_secret` (row: the bank's id).
    WebhookSecret,
    /// `feed_subscriptions.api_key` (row: the subscription's id).
    SubscriptionApiKey,
}

impl SecretColumn {
    fn select(self) -> &'static str {
        match self {
            SecretColumn::WebhookSecret => {
                "SELECT bank_id, webhook_secret FROM bank_settings
                 WHERE webhook_secret IS NOT NULL AND webhook_secret <> '' ORDER BY bank_id"
            }
            SecretColumn::SubscriptionApiKey => {
                "SELECT id, api_key FROM feed_subscriptions
                 WHERE api_key IS NOT NULL AND api_key <> '' ORDER BY id"
            }
        }
    }

    fn update(self) -> &'static str {
        match self {
            SecretColumn::WebhookSecret => {
                "UPDATE bank_settings SET webhook_secret = ? WHERE bank_id = ?"
            }
            SecretColumn::SubscriptionApiKey => {
                "UPDATE feed_subscriptions SET api_key = ? WHERE id = ?"
            }
        }
    }
}

/// One stored secret, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSecret {
    /// Its column.
    pub column: SecretColumn,
    /// Its row's id.
    pub row: i64,
    /// The stored text (sealed or not).
    pub value: String,
}

impl Records<'_> {
    /// Every non-empty stored secret.
    pub fn stored_secrets(&self) -> Result<Vec<StoredSecret>, Error> {
        self.read_tx(|tx| {
            let mut out = Vec::new();
            for column in [
                SecretColumn::WebhookSecret,
                SecretColumn::SubscriptionApiKey,
            ] {
                for r in tx.query(column.select(), &[])? {
                    out.push(StoredSecret {
                        column,
                        row: r.req_int(0)?,
                        value: r.req_text(1)?,
                    });
                }
            }
            Ok(out)
        })
    }

    /// Replaces a stored secret's text.
    pub fn replace_secret(&self, secret: &StoredSecret, value: &str) -> Result<(), Error> {
        self.write_tx(|tx| {
            tx.exec(secret.column.update(), &[value.into(), secret.row.into()])
                .map(|_| ())
        })
    }
}
