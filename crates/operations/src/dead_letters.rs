//! Webhook deliveries that ran out of attempts, read and sent again by the
//! administrators of the banks they came from.

use hashwatch_access::BankAction;
use hashwatch_model::{AuditAction, Delivery, DeliveryState};
use serde_json::json;

use crate::{Caller, Kind, OpError, OpResult, Operations, Principal};

impl Operations {
    /// The stored names of the banks the caller administers (the
    /// operator: every bank).
    pub fn administered_banks(&self, caller: &Caller) -> OpResult<Vec<String>> {
        self.may(caller, BankAction::Administer)?;
        let mut names: Vec<String> = self
            .records()
            .bank_settings()?
            .into_iter()
            .filter(|(_, s)| match &caller.principal {
                Principal::Operator => true,
                Principal::Key(key) => self.policy.owns(&key.tenant, s),
            })
            .map(|(name, _)| name)
            .collect();
        names.sort();
        Ok(names)
    }

    /// Deliveries of the caller's banks that ran out of attempts.
    pub fn dead_letters(&self, caller: &Caller) -> OpResult<Vec<Delivery>> {
        let mine = self.administered_banks(caller)?;
        Ok(self.records().deliveries(DeliveryState::Dead, &mine)?)
    }

    /// Sends dead letter `id` again (its attempts start over); audited as
    /// `webhook.replay`.
    pub fn replay_dead_letter(&self, caller: &Caller, id: i64) -> OpResult<()> {
        let Some(dead) = self.dead_letters(caller)?.into_iter().find(|d| d.id == id) else {
            return Err(OpError::new(
                Kind::NotFound,
                "not_found",
                format!("no dead letter {id}"),
            ));
        };
        Ok(self.records().write(|r| {
            r.replay_delivery(id)?;
            r.audit(&[self.audit_row(
                caller,
                AuditAction::WebhookReplay,
                Some(&dead.bank),
                Some(id.to_string()),
                json!({}),
            )])
        })?)
    }
}
