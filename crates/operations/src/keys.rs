//! API keys: made, listed and revoked by the local operator.

use hashwatch_model::{Actor, ApiKey, AuditAction, NewAudit, Roles};
use serde_json::json;

use crate::{Caller, OpError, OpResult, Operations};

fn operator_only(caller: &Caller) -> OpResult<()> {
    caller.operator_only("keys are made and revoked by the operator, with `hashwatch key`")
}

impl Operations {
    fn key_audit(&self, caller: &Caller, key: &ApiKey, action: AuditAction) -> NewAudit {
        caller.actor().audit(
            &key.tenant,
            action,
            None,
            Some(key.id.to_string()),
            Some(json!({"name": key.name, "role": key.roles.to_string()}).to_string()),
        )
    }

    /// Makes a key; returns it with its secret, which is shown once and
    /// never stored. A key may not be named like another kind of actor
    /// (`cli`, `public`, `partner:…`, …): its audit rows would read as
    /// theirs.
    pub fn create_key(
        &self,
        caller: &Caller,
        tenant: &str,
        name: &str,
        roles: Roles,
    ) -> OpResult<(ApiKey, String)> {
        operator_only(caller)?;
        if Actor::poses_as_other(name) {
            return Err(OpError::invalid(
                "reserved_key_name",
                format!(
                    "a key may not be named {name:?}: the audit log uses that name for another kind of actor"
                ),
            ));
        }
        if name.trim().is_empty() {
            return Err(OpError::invalid("bad_key_name", "give the key a name"));
        }
        Ok(self.records().write(|r| {
            let (key, secret) = r.create_key(tenant, name, roles)?;
            r.audit(&[self.key_audit(caller, &key, AuditAction::KeyCreate)])?;
            Ok((key, secret))
        })?)
    }

    /// The active key with this secret: who is calling (asked before
    /// there is a caller).
    pub fn key_for_secret(&self, secret: &str) -> OpResult<Option<ApiKey>> {
        Ok(self.records().key_for_secret(secret)?)
    }

    /// The keys, of one tenant or of all.
    pub fn keys(&self, caller: &Caller, tenant: Option<&str>) -> OpResult<Vec<ApiKey>> {
        operator_only(caller)?;
        Ok(self.records().keys(tenant)?)
    }

    /// Revokes a key; it stops working on every node within a second.
    pub fn revoke_key(&self, caller: &Caller, id: i64) -> OpResult<ApiKey> {
        operator_only(caller)?;
        Ok(self.records().write(|r| {
            let key = r.revoke_key(id)?;
            r.audit(&[self.key_audit(caller, &key, AuditAction::KeyRevoke)])?;
            Ok(key)
        })?)
    }
}
