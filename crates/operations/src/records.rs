//! The audit log and the match records, read by a tenant's administrators;
//! the audit chain checked by the operator.

use hashwatch_access::BankAction;
use hashwatch_model::audit::{Broken, Verified};
use hashwatch_model::{AuditEvent, MatchEvent, RecordQuery};

use crate::{Caller, OpResult, Operations, Principal};

impl Operations {
    /// `query` as the caller may ask it: a key reads its own tenant's
    /// records, with bank names as it gives them; the operator reads any
    /// tenant's (or all) with stored names.
    fn records_query(&self, caller: &Caller, mut query: RecordQuery) -> OpResult<RecordQuery> {
        self.may(caller, BankAction::Administer)?;
        if let Principal::Key(key) = &caller.principal {
            query.tenant = Some(key.tenant.clone());
            query.bank = query.bank.map(|b| self.bank_name(caller, &b));
        }
        Ok(query)
    }

    /// Audit entries that `query` selects, in its order.
    pub fn audit_log(&self, caller: &Caller, query: RecordQuery) -> OpResult<Vec<AuditEvent>> {
        let query = self.records_query(caller, query)?;
        Ok(self.records().audit_events(&query)?)
    }

    /// Match records that `query` selects.
    pub fn match_records(&self, caller: &Caller, query: RecordQuery) -> OpResult<Vec<MatchEvent>> {
        let query = self.records_query(caller, query)?;
        Ok(self.records().matches(&query)?)
    }

    /// Checks the whole audit chain, every tenant's, and that a head an
    /// earlier check printed is still in it: the operator's check
    /// (`hashwatch audit verify`).
    pub fn verify_audit(
        &self,
        caller: &Caller,
        earlier_head: Option<&str>,
    ) -> OpResult<Result<Verified, Broken>> {
        caller.operator_only(
            "the whole audit chain is checked by the operator, with `hashwatch audit verify`",
        )?;
        Ok(self.records().verify_audit(earlier_head)?)
    }
}
