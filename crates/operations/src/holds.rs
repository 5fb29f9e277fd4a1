//! Legal holds: what retention and deletion must keep, placed and released
//! by a bank owner's admins (banks, content, matches) and by the hotline's
//! supervisors (cases).

use hashwatch_access::BankAction;
use hashwatch_model::{AuditAction, Hold, HoldKind};
use hashwatch_store::hotline;
use serde_json::{json, Value};

use crate::{Caller, Kind, OpError, OpResult, Operations, Principal};

/// A hold to place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewHold {
    /// What it keeps.
    pub kind: HoldKind,
    /// A bank's name as the caller gives it, or a content, match or case id.
    pub target: String,
    /// Why: a case reference.
    pub reason: String,
}

/// A hold as the audit log keeps it.
fn hold_detail(h: &Hold) -> Value {
    json!({
        "id": h.id,
        "kind": h.kind.name(),
        "target": h.target,
        "reason": h.reason,
        "placed_by": h.placed_by,
        "placed_at": h.placed_at,
        "released_at": h.released_at,
    })
}

impl Operations {
    /// Whether the caller may place, see and release holds of `kind`.
    pub fn may_hold(&self, caller: &Caller, kind: HoldKind) -> OpResult<()> {
        match &caller.principal {
            Principal::Operator => Ok(()),
            Principal::Key(key) => Ok(self.policy.hold(key, kind)?),
        }
    }

    /// Whether the caller may handle holds of some kind (listing them;
    /// each hold is then checked by its own kind).
    pub fn may_hold_any(&self, caller: &Caller) -> OpResult<()> {
        self.may_hold(caller, HoldKind::Bank)
            .or_else(|_| self.may_hold(caller, HoldKind::Case))
    }

    /// Places a hold on what exists and the caller may hold: only a bank's
    /// owner holds it, its content and its matches. The hold is in the
    /// caller's tenant (the operator's: the tenant of what it keeps).
    pub fn place_hold(&self, caller: &Caller, new: &NewHold) -> OpResult<Hold> {
        self.may_hold(caller, new.kind)?;
        hashwatch_model::text::HOLD_REASON.check(&new.reason)?;
        if new.reason.trim().is_empty() {
            return Err(OpError::invalid(
                "bad_hold",
                "give a reason (a case reference)",
            ));
        }
        let kind = new.kind;
        let missing = || {
            OpError::new(
                Kind::NotFound,
                "not_found",
                format!("no {} {:?}", kind.name(), new.target),
            )
        };
        let id = match kind {
            HoldKind::Bank => None,
            _ => Some(new.target.trim().parse::<i64>().map_err(|_| missing())?),
        };
        // Ids are kept in one spelling: the purge compares text.
        let target = id.map_or_else(|| self.bank_name(caller, &new.target), |id| id.to_string());
        let tenant = if let (HoldKind::Case, Some(case)) = (kind, id) {
            hotline(self.store.as_ref()).case(case)?;
            self.policy.hotline_tenant.clone()
        } else {
            let held = self
                .records()
                .hold_bank(kind, &target)?
                .ok_or_else(missing)?;
            // The record's bank is named only to those who may see it.
            let settings = self
                .stored_bank_for(caller, BankAction::Administer, &held)
                .map_err(|e| {
                    if e.kind == Kind::NotFound {
                        missing()
                    } else {
                        e
                    }
                })?;
            settings.tenant
        };
        let tenant = match &caller.principal {
            Principal::Key(key) => key.tenant.clone(),
            Principal::Operator => tenant,
        };
        let bank = (kind == HoldKind::Bank).then_some(target.as_str());
        let by = caller.actor().name();
        Ok(self.records().write(|r| {
            let hold = r.place_hold(&tenant, kind, &target, &new.reason, &by)?;
            let mut row = self.audit_row(
                caller,
                AuditAction::HoldPlace,
                bank,
                Some(hold.id.to_string()),
                hold_detail(&hold),
            );
            row.tenant = tenant.clone();
            r.audit(&[row])?;
            Ok(hold)
        })?)
    }

    /// The holds the caller may see: its tenant's, of the kinds it may
    /// hold (the operator sees every tenant's).
    pub fn holds(&self, caller: &Caller) -> OpResult<Vec<Hold>> {
        self.may_hold_any(caller)?;
        Ok(self
            .tenant_holds(caller)?
            .into_iter()
            .filter(|h| self.may_hold(caller, h.kind).is_ok())
            .collect())
    }

    /// Every hold of the caller's tenant (the operator's: of every tenant).
    fn tenant_holds(&self, caller: &Caller) -> OpResult<Vec<Hold>> {
        let tenant = match &caller.principal {
            Principal::Key(key) => Some(key.tenant.as_str()),
            Principal::Operator => None,
        };
        Ok(self.records().holds(tenant, false)?)
    }

    /// Releases a hold the caller may see.
    pub fn release_hold(&self, caller: &Caller, id: i64) -> OpResult<Hold> {
        self.may_hold_any(caller)?;
        // Found among the tenant's holds, then checked by its kind: a hold
        // of another kind is refused, not hidden.
        let held = self
            .tenant_holds(caller)?
            .into_iter()
            .find(|h| h.id == id)
            .ok_or_else(|| OpError::new(Kind::NotFound, "not_found", format!("no hold {id}")))?;
        self.may_hold(caller, held.kind)?;
        // A hold is released in the tenant that placed it (a key sees
        // only its own tenant's).
        let tenant = held.tenant;
        Ok(self.records().write(|r| {
            let hold = r.release_hold(&tenant, id)?;
            let bank = (hold.kind == HoldKind::Bank).then_some(hold.target.as_str());
            let mut row = self.audit_row(
                caller,
                AuditAction::HoldRelease,
                bank,
                Some(id.to_string()),
                hold_detail(&hold),
            );
            row.tenant = tenant.clone();
            r.audit(&[row])?;
            Ok(hold)
        })?)
    }
}
