//! The takedown worker's steps, each committed with its audit row: a
//! case's URL attributed to its host, a re-check's result, a notice sent,
//! a takedown given up. What is due when is hashwatch-hotline's
//! ([`hashwatch_hotline::takedown`]); the requests are the caller's.

use hashwatch_access::HotlineAction;
use hashwatch_hotline::takedown::Attribution;
use hashwatch_model::{AuditAction, Case, CaseState};
use hashwatch_store::hotline;
use serde_json::{json, Value};

use crate::{Caller, OpResult, Operations};

impl Operations {
    /// An audit row of the hotline's: in the hotline's tenant's log.
    fn hotline_audit(
        &self,
        caller: &Caller,
        action: AuditAction,
        id: i64,
        detail: Value,
    ) -> hashwatch_model::NewAudit {
        let mut row = self.audit_row(caller, action, None, Some(format!("case:{id}")), detail);
        row.tenant = self.policy.hotline_tenant.clone();
        row
    }

    /// Cases whose takedown is still open (confirmed, or noticed).
    pub fn open_takedowns(&self, caller: &Caller) -> OpResult<Vec<Case>> {
        self.may_hotline(caller, HotlineAction::Supervise)?;
        Ok(hotline(self.store.as_ref()).open_takedowns()?)
    }

    /// One case.
    pub fn case(&self, caller: &Caller, id: i64) -> OpResult<Case> {
        self.may_hotline(caller, HotlineAction::Assess)?;
        Ok(hotline(self.store.as_ref()).case(id)?)
    }

    /// Records where a case's URL is hosted (`hotline.attributed`).
    pub fn attribute_case(&self, caller: &Caller, id: i64, found: &Attribution) -> OpResult<Case> {
        self.may_hotline(caller, HotlineAction::Supervise)?;
        Ok(self.records().write(|r| {
            let h = r.hotline();
            h.attribute(
                id,
                &found.provider,
                &found.abuse,
                &found.jurisdiction,
                found.webhook.as_deref(),
                &found.ip,
            )?;
            r.audit(&[self.hotline_audit(
                caller,
                AuditAction::HotlineAttributed,
                id,
                json!({"provider": found.provider, "jurisdiction": found.jurisdiction, "ip": found.ip}),
            )])?;
            h.case(id)
        })?)
    }

    /// Records a re-check of a case's URL; when the material has stayed
    /// gone for `confirm_after` seconds the case is removed and delisted
    /// (`hotline.removed`, `blocklist.remove`).
    pub fn record_check(
        &self,
        caller: &Caller,
        id: i64,
        result: &str,
        gone: bool,
        confirm_after: i64,
    ) -> OpResult<Case> {
        self.may_hotline(caller, HotlineAction::Supervise)?;
        Ok(self.records().write(|r| {
            let case = r.hotline().checked(id, result, gone, confirm_after)?;
            if case.state == CaseState::Removed {
                r.audit(&[
                    self.hotline_audit(
                        caller,
                        AuditAction::HotlineRemoved,
                        id,
                        json!({"check": result}),
                    ),
                    self.hotline_audit(
                        caller,
                        AuditAction::BlocklistRemove,
                        id,
                        json!({"why": "removed"}),
                    ),
                ])?;
            }
            Ok(case)
        })?)
    }

    /// Gives a takedown up; the URL stays listed (`hotline.expired`).
    pub fn expire_case(&self, caller: &Caller, id: i64) -> OpResult<()> {
        self.may_hotline(caller, HotlineAction::Supervise)?;
        Ok(self.records().write(|r| {
            r.hotline().expire(id)?;
            r.audit(&[self.hotline_audit(caller, AuditAction::HotlineExpired, id, json!({}))])
        })?)
    }

    /// Claims notice `attempt` of a case before it is sent
    /// (`hotline.notice`), so that a notice goes out once however many
    /// rounds reach it. `None`: another round claimed it, or the case
    /// moved on; nothing is to be sent.
    pub fn claim_notice(
        &self,
        caller: &Caller,
        id: i64,
        attempt: i64,
        text: &str,
    ) -> OpResult<Option<Case>> {
        self.may_hotline(caller, HotlineAction::Supervise)?;
        Ok(self.records().write(|r| {
            let Some(case) = r.hotline().claim_notice(id, attempt, text)? else {
                return Ok(None);
            };
            r.audit(&[self.hotline_audit(
                caller,
                AuditAction::HotlineNotice,
                id,
                json!({"attempt": attempt, "provider": case.provider}),
            )])?;
            Ok(Some(case))
        })?)
    }

    /// Records how a claimed notice's delivery went
    /// (`hotline.notice_delivery`).
    pub fn record_notice_delivery(
        &self,
        caller: &Caller,
        id: i64,
        attempt: i64,
        delivery: &str,
    ) -> OpResult<()> {
        self.may_hotline(caller, HotlineAction::Supervise)?;
        Ok(self.records().write(|r| {
            r.hotline().notice_delivered(id, attempt, delivery)?;
            r.audit(&[self.hotline_audit(
                caller,
                AuditAction::HotlineNoticeDelivery,
                id,
                json!({"attempt": attempt, "delivery": delivery}),
            )])
        })?)
    }
}
