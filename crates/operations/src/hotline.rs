//! The hotline: reports from the public and partner hotlines, triage and
//! assessment, hashes on cases, appeals, the blocklist it publishes and
//! the assessments it shares. The rules of a case's states are
//! hashwatch-hotline's; each change commits with its audit rows.

use hashwatch_access::{HotlineAction, UrlForm};
use hashwatch_hotline::case::bankable_hash;
use hashwatch_model::text;
use hashwatch_model::{
    Actor, Appeal, AuditAction, AuditEvent, BlockChange, Case, CaseFilter, CaseHash, CaseOverview,
    CaseReport, CaseState, HashOrigin, ImportSummary, Intake, NewAudit, NewEntry, NewReport,
    RecordQuery, SharedAssessment, SignalType, Verdict,
};
use hashwatch_store::{hotline, ErrorKind};
use serde_json::{json, Value};

use crate::{Caller, OpError, OpResult, Operations, Principal};

impl Operations {
    /// Whether the caller may do `action` on the hotline's cases.
    pub fn may_hotline(&self, caller: &Caller, action: HotlineAction) -> OpResult<()> {
        match &caller.principal {
            Principal::Operator => Ok(()),
            Principal::Key(key) => Ok(self.policy.hotline(key, action)?),
        }
    }

    /// Cases, newest first, in one state or all.
    pub fn cases(
        &self,
        caller: &Caller,
        state: Option<CaseState>,
        limit: usize,
    ) -> OpResult<Vec<Case>> {
        self.may_hotline(caller, HotlineAction::Assess)?;
        Ok(hotline(self.store.as_ref()).cases(state.map(CaseState::name), limit)?)
    }

    /// How the caller may read the blocklist: plain URLs, or their
    /// SHA-256 only (the operator reads URLs).
    pub fn blocklist_form(&self, caller: &Caller) -> OpResult<UrlForm> {
        match &caller.principal {
            Principal::Operator => Ok(UrlForm::Plain),
            Principal::Key(key) => Ok(self.policy.blocklist(key)?),
        }
    }

    /// Every listed URL, and the sequence number of the newest change.
    pub fn blocklist(&self, caller: &Caller) -> OpResult<(i64, Vec<BlockChange>)> {
        self.blocklist_form(caller)?;
        Ok(hotline(self.store.as_ref()).blocklist()?)
    }

    /// The blocklist's changes after sequence number `since`.
    pub fn blocklist_changes(&self, caller: &Caller, since: i64) -> OpResult<Vec<BlockChange>> {
        self.blocklist_form(caller)?;
        Ok(hotline(self.store.as_ref()).blocklist_changes(since)?)
    }
}

/// A report of a URL to the hotline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HotlineReport {
    /// The report, its URL made canonical.
    pub report: NewReport,
    /// Hashes the reporter made of what they saw: (type, value as text).
    pub hashes: Vec<(SignalType, String)>,
}

/// An appeal against a listing decided: upheld (delisted) or rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppealDecision {
    /// The URL comes off the blocklist.
    Upheld,
    /// The listing stands.
    Rejected,
}

impl AppealDecision {
    /// `upheld` or `rejected`.
    pub fn parse(text: &str) -> Option<AppealDecision> {
        match text {
            "upheld" => Some(AppealDecision::Upheld),
            "rejected" => Some(AppealDecision::Rejected),
            _ => None,
        }
    }
}

impl Operations {
    /// An audit row of the hotline's own log (the hotline's tenant).
    fn in_hotline_log(
        &self,
        actor: &Actor,
        action: AuditAction,
        target: String,
        detail: Value,
    ) -> NewAudit {
        actor.audit(
            &self.policy.hotline_tenant,
            action,
            None,
            Some(target),
            Some(detail.to_string()),
        )
    }

    /// Takes a report from the public (`partner` is `None`) or a partner
    /// hotline's key, with its audit row in the hotline's log, in one
    /// transaction. A URL reported before is linked to its case. The
    /// reporter's hashes are marked as the reporter's, never banked.
    pub fn take_report(&self, partner: Option<&Caller>, new: &HotlineReport) -> OpResult<Intake> {
        text::DESCRIPTION.check_optional(new.report.description.as_deref())?;
        text::CONTACT.check_optional(new.report.contact.as_deref())?;
        let actor = partner.map_or(Actor::Public, Caller::actor);
        Ok(self.records().write(|r| {
            let intake = r.hotline().report(&new.report)?;
            for (signal_type, value) in &new.hashes {
                r.hotline().attach_hash(
                    intake.case.id,
                    signal_type.name(),
                    value,
                    &HashOrigin::Reporter,
                )?;
            }
            let detail = json!({
                "report": intake.report_id,
                "duplicate": intake.duplicate,
                "source": new.report.source,
                "hashes": new.hashes.len(),
            });
            // A report is the hotline's record, whoever sent it.
            r.audit(&[self.in_hotline_log(
                &actor,
                AuditAction::HotlineReport,
                format!("case:{}", intake.case.id),
                detail,
            )])?;
            Ok(intake)
        })?)
    }

    /// Whether the caller supervises the hotline (the four-eyes rule).
    fn supervises(&self, caller: &Caller) -> bool {
        self.may_hotline(caller, HotlineAction::Supervise).is_ok()
    }

    /// The id the four-eyes rule knows the caller by (the operator: 0).
    fn assessor(caller: &Caller) -> i64 {
        caller.actor().key_id().unwrap_or(0)
    }

    /// What the caller should assess next (at most `limit`): new cases,
    /// and for a supervisor those awaiting someone else's second
    /// assessment.
    pub fn queue(&self, caller: &Caller, limit: usize) -> OpResult<Vec<Case>> {
        self.may_hotline(caller, HotlineAction::Assess)?;
        Ok(hotline(self.store.as_ref()).queue(
            Self::assessor(caller),
            self.supervises(caller),
            limit,
        )?)
    }

    /// A case with its hashes.
    pub fn case_with_hashes(&self, caller: &Caller, id: i64) -> OpResult<(Case, Vec<CaseHash>)> {
        self.may_hotline(caller, HotlineAction::Assess)?;
        let h = hotline(self.store.as_ref());
        Ok((h.case(id)?, h.hashes(id)?))
    }

    /// Assesses a case, with its audit rows (`hotline.assess`, and
    /// `blocklist.add` when it lists the URL) in one transaction; answers
    /// the case and whether it was listed now.
    pub fn assess(
        &self,
        caller: &Caller,
        id: i64,
        verdict: Verdict,
        category: Option<&str>,
        four_eyes: bool,
    ) -> OpResult<(Case, bool)> {
        self.may_hotline(caller, HotlineAction::Assess)?;
        text::CATEGORY.check_optional(category)?;
        let category = category.filter(|c| !c.trim().is_empty());
        let supervisor = self.supervises(caller);
        Ok(self.records().write(|r| {
            let (case, listed) = r.hotline().assess(
                id,
                Self::assessor(caller),
                supervisor,
                verdict,
                category,
                four_eyes,
            )?;
            let target = Some(format!("case:{id}"));
            let mut rows = vec![self.audit_row(
                caller,
                AuditAction::HotlineAssess,
                None,
                target.clone(),
                json!({"verdict": verdict.name(), "category": category, "state": case.state.name()}),
            )];
            if listed {
                rows.push(self.audit_row(
                    caller,
                    AuditAction::BlocklistAdd,
                    None,
                    target,
                    json!({}),
                ));
            }
            r.audit(&rows)?;
            Ok((case, listed))
        })?)
    }

    /// Attaches hashes an analyst made to a case (`hotline.hashes`).
    pub fn attach_hashes(
        &self,
        caller: &Caller,
        id: i64,
        hashes: &[(SignalType, Vec<u8>)],
    ) -> OpResult<()> {
        self.may_hotline(caller, HotlineAction::Assess)?;
        let by = HashOrigin::Staff(caller.actor().name());
        Ok(self.records().write(|r| {
            let h = r.hotline();
            for (signal_type, value) in hashes {
                h.attach_hash(
                    id,
                    signal_type.name(),
                    &signal_type.format_value(value),
                    &by,
                )?;
            }
            r.audit(&[self.audit_row(
                caller,
                AuditAction::HotlineHashes,
                None,
                Some(format!("case:{id}")),
                json!({ "hashes": hashes.len() }),
            )])
        })?)
    }

    /// Puts a confirmed illegal case's hashes (the hotline staff's, not
    /// the reporter's) into a bank the hotline's tenant owns
    /// (`hotline.to_bank`).
    pub fn hashes_to_bank(&self, caller: &Caller, id: i64, given: &str) -> OpResult<ImportSummary> {
        self.may_hotline(caller, HotlineAction::Supervise)?;
        let h = hotline(self.store.as_ref());
        let case = h.case(id)?;
        if !hashwatch_hotline::case::bankable(case.verdict.as_deref()) {
            return Err(OpError::invalid(
                "not_confirmed",
                format!("case {id} is not confirmed illegal"),
            ));
        }
        let bank = self.bank_name(caller, given);
        let settings = match self.records().settings_of(&bank) {
            Ok(s) => s,
            Err(e) if matches!(e.kind(), ErrorKind::NoSuchBank(_)) => {
                return Err(OpError::no_bank(given))
            }
            Err(e) => return Err(e.into()),
        };
        if let Principal::Key(key) = &caller.principal {
            self.policy.hotline_bank(key, given, &settings)?;
        }
        let mut entries = Vec::new();
        for hash in h.hashes(id)? {
            if !bankable_hash(&hash.origin) {
                continue;
            }
            let signal_type: SignalType = hash.signal_type.parse().map_err(|e: String| {
                OpError::internal(format!("case {id} holds an unknown signal type: {e}"))
            })?;
            let value = signal_type.parse_value(&hash.value).map_err(|e| {
                OpError::internal(format!("case {id} holds a hash that does not decode: {e}"))
            })?;
            entries.push(NewEntry {
                category: case.category.clone(),
                source: Some(format!("hotline case {id}")),
                ..NewEntry::new(signal_type, value)
            });
        }
        if entries.is_empty() {
            return Err(OpError::invalid(
                "no_hashes",
                "the case has no hashes the hotline's staff attached (a reporter's are not banked)",
            ));
        }
        let origin = format!("hotline:{id}");
        Ok(self.records().write(|r| {
            let summary = r.import(&bank, &entries, Some(&origin))?;
            r.audit(&[self.audit_row(
                caller,
                AuditAction::HotlineToBank,
                Some(&bank),
                Some(format!("case:{id}")),
                json!({"added": summary.added}),
            )])?;
            Ok(summary)
        })?)
    }

    /// Records an appeal against the listing of a URL (made canonical),
    /// in the hotline's log as the hotline's (`hotline.appeal`).
    pub fn appeal(&self, url: &str, reason: &str) -> OpResult<Appeal> {
        text::APPEAL_REASON.check(reason)?;
        Ok(self.records().write(|r| {
            let appeal = r.hotline().appeal(url, reason)?;
            r.audit(&[self.in_hotline_log(
                &Actor::Hotline,
                AuditAction::HotlineAppeal,
                format!("case:{}", appeal.case_id),
                json!({"appeal": appeal.id}),
            )])?;
            Ok(appeal)
        })?)
    }

    /// Appeals, newest first.
    pub fn appeals(&self, caller: &Caller) -> OpResult<Vec<Appeal>> {
        self.may_hotline(caller, HotlineAction::Supervise)?;
        Ok(hotline(self.store.as_ref()).appeals()?)
    }

    /// Decides an appeal, with its audit rows (`hotline.appeal_decided`,
    /// and `blocklist.remove` when it delisted a URL still listed).
    pub fn decide_appeal(
        &self,
        caller: &Caller,
        id: i64,
        decision: AppealDecision,
    ) -> OpResult<Appeal> {
        self.may_hotline(caller, HotlineAction::Supervise)?;
        let upheld = decision == AppealDecision::Upheld;
        let by = caller.actor().name();
        Ok(self.records().write(|r| {
            let (appeal, delisted) = r.hotline().decide_appeal(id, upheld, &by)?;
            let target = Some(format!("case:{}", appeal.case_id));
            let mut rows = vec![self.audit_row(
                caller,
                AuditAction::HotlineAppealDecided,
                None,
                target.clone(),
                json!({"appeal": id, "decision": appeal.state.name()}),
            )];
            // Only a URL still listed comes off the list (one removed
            // meanwhile is off already).
            if delisted {
                rows.push(self.audit_row(
                    caller,
                    AuditAction::BlocklistRemove,
                    None,
                    target,
                    json!({"why": "appeal upheld"}),
                ));
            }
            r.audit(&rows)?;
            Ok(appeal)
        })?)
    }

    /// Forgets a reporter's contact (`hotline.contact_deleted`).
    pub fn delete_contact(&self, caller: &Caller, report: i64) -> OpResult<()> {
        self.may_hotline(caller, HotlineAction::Supervise)?;
        Ok(self.records().write(|r| {
            if !r.hotline().delete_contact(report)? {
                return Err(hashwatch_store::Error::not_found(format!(
                    "report {report} with a contact"
                )));
            }
            r.audit(&[self.audit_row(
                caller,
                AuditAction::HotlineContactDeleted,
                None,
                Some(format!("report:{report}")),
                json!({}),
            )])
        })?)
    }

    /// This hotline's listings and delistings after `since` (at most
    /// `limit`), for partner hotlines and the hotline's own people; and
    /// the newest sequence number.
    pub fn shared_assessments(
        &self,
        caller: &Caller,
        since: i64,
        limit: usize,
    ) -> OpResult<(i64, Vec<SharedAssessment>)> {
        if let Principal::Key(key) = &caller.principal {
            self.policy.shared_assessments(key)?;
        }
        Ok(hotline(self.store.as_ref()).shared_since(since, limit)?)
    }
}

/// A case as its page shows it.
#[derive(Debug, Clone)]
pub struct CasePage {
    /// The case.
    pub case: Case,
    /// Its hashes.
    pub hashes: Vec<CaseHash>,
    /// The reports that named it (never the reporters' contacts).
    pub reports: Vec<CaseReport>,
    /// Its audit entries, oldest first (at most `timeline` asked).
    pub timeline: Vec<AuditEvent>,
}

impl Operations {
    /// The triage view: counts by state and filter values, and the cases
    /// `filter` selects (the caller's queue when it names no state),
    /// oldest first, at most `limit`.
    pub fn triage(
        &self,
        caller: &Caller,
        filter: &CaseFilter,
        limit: usize,
    ) -> OpResult<(CaseOverview, Vec<Case>)> {
        self.may_hotline(caller, HotlineAction::Assess)?;
        let h = hotline(self.store.as_ref());
        Ok((
            h.overview()?,
            h.triage(
                Self::assessor(caller),
                self.supervises(caller),
                filter,
                limit,
            )?,
        ))
    }

    /// A case with its hashes, reports and timeline (the hotline log's
    /// entries about it, at most `timeline`).
    pub fn case_page(&self, caller: &Caller, id: i64, timeline: i64) -> OpResult<CasePage> {
        self.may_hotline(caller, HotlineAction::Assess)?;
        let h = hotline(self.store.as_ref());
        let events = self.records().audit_events(&RecordQuery {
            tenant: Some(self.policy.hotline_tenant.clone()),
            target: Some(format!("case:{id}")),
            limit: Some(timeline),
            ..RecordQuery::default()
        })?;
        Ok(CasePage {
            case: h.case(id)?,
            hashes: h.hashes(id)?,
            reports: h.reports_of(id)?,
            timeline: events,
        })
    }

    /// A case whose reported page the caller is about to see in web
    /// session `session`: the view is counted in the session and audited
    /// (`hotline.preview`) together, before anything is fetched.
    pub fn preview_case(&self, caller: &Caller, session: i64, id: i64) -> OpResult<Case> {
        self.may_hotline(caller, HotlineAction::Assess)?;
        let case = hotline(self.store.as_ref()).case(id)?;
        self.records().write(|r| {
            r.count_view(session)?;
            r.audit(&[self.audit_row(
                caller,
                AuditAction::HotlinePreview,
                None,
                Some(format!("case:{id}")),
                json!({"session": session}),
            )])
        })?;
        Ok(case)
    }
}
