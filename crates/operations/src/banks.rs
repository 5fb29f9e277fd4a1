//! Banks: making, changing, deleting, filling, revoking and reading them.

use hashwatch_access::BankAction;
use hashwatch_model::text;
use hashwatch_model::{
    AuditAction, Bank, BankKind, BankSettings, Entry, EntryRef, ImportSummary, NewEntry,
};
use hashwatch_store::Records;
use serde_json::{json, Value};

use crate::{Caller, OpError, OpResult, Operations, Principal};

/// A bank to make.
#[derive(Debug, Clone, PartialEq)]
pub struct NewBank {
    /// Its name, as the caller gives it.
    pub name: String,
    /// Positive (known material) or negative (known false positives).
    pub kind: BankKind,
    /// HMA's `matching_enabled_ratio` (1 unless given).
    pub enabled_ratio: Option<f64>,
    /// A label for people.
    pub description: Option<String>,
}

/// A bank made or changed: its stored name, as the caller calls it, and
/// its settings.
#[derive(Debug, Clone, PartialEq)]
pub struct BankView {
    /// The stored name.
    pub name: String,
    /// The name as the caller calls it.
    pub label: String,
    /// Its settings.
    pub settings: BankSettings,
}

/// A change to a bank's name or matching ratio.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BankUpdate {
    /// A new name, as the caller gives it.
    pub rename: Option<String>,
    /// A new `matching_enabled_ratio`.
    pub enabled_ratio: Option<f64>,
}

/// Which audit action an import is recorded as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportKind {
    /// A hash list (a file, or a list sent whole).
    List,
    /// Signals sent one by one in a request.
    Signals,
}

/// Entries to add to a bank, with where they came from.
pub struct Import<'a> {
    /// The bank, as the caller calls it.
    pub bank: &'a str,
    /// The entries, checked already.
    pub entries: &'a [NewEntry],
    /// Where they came from (a file's name, `api:<key>`).
    pub origin: &'a str,
    /// How the audit log records it.
    pub kind: ImportKind,
    /// The audit row's detail, given what the import did (the caller
    /// adds what it knows of the list: its format, rows skipped).
    pub detail: &'a dyn Fn(&ImportSummary) -> Value,
}

fn check_ratio(ratio: Option<f64>) -> OpResult<()> {
    match ratio {
        Some(r) if !(0.0..=1.0).contains(&r) => Err(OpError::invalid(
            "bad_ratio",
            "enabled_ratio must be between 0 and 1",
        )),
        _ => Ok(()),
    }
}

/// A bank's settings read inside a write, for changing them there: the
/// bank must still be `owner`'s, as was checked before the write.
pub fn owned_settings_in(
    records: &Records<'_>,
    owner: &str,
    name: &str,
) -> Result<BankSettings, hashwatch_store::Error> {
    let settings = records.settings_of(name)?;
    if settings.tenant != owner {
        return Err(hashwatch_store::Error::conflict(format!(
            "bank {name:?} changed owner meanwhile"
        )));
    }
    Ok(settings)
}

impl Operations {
    /// The banks the caller sees (its tenant's and those shared with it),
    /// with their counts, by name.
    pub fn banks(&self, caller: &Caller) -> OpResult<Vec<(Bank, BankView)>> {
        self.may(caller, BankAction::Match)?;
        let mut settings = self.records().bank_settings()?;
        let mut out = Vec::new();
        for bank in self.store.banks()? {
            let Some(s) = settings.remove(&bank.name) else {
                continue;
            };
            if self.sees(caller, &s) {
                let view = BankView {
                    label: self.bank_label(caller, &bank.name),
                    name: bank.name.clone(),
                    settings: s,
                };
                out.push((bank, view));
            }
        }
        out.sort_by(|a, b| a.1.label.cmp(&b.1.label));
        Ok(out)
    }

    /// The settings of the banks the caller sees, without reading their
    /// counts (HMA's bank list).
    pub fn bank_settings(&self, caller: &Caller) -> OpResult<Vec<BankView>> {
        self.may(caller, BankAction::Match)?;
        let mut out: Vec<BankView> = self
            .records()
            .bank_settings()?
            .into_iter()
            .filter(|(_, s)| self.sees(caller, s))
            .map(|(name, settings)| BankView {
                label: self.bank_label(caller, &name),
                name,
                settings,
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// One bank the caller may match against.
    pub fn bank(&self, caller: &Caller, given: &str) -> OpResult<(Bank, BankView)> {
        let (name, settings) = self.bank_for(caller, BankAction::Match, given)?;
        let bank = self.store.bank(&name)?;
        let view = BankView {
            label: self.bank_label(caller, &name),
            name,
            settings,
        };
        Ok((bank, view))
    }

    /// Makes a bank in the caller's tenant (the operator's: the tenant its
    /// name is in), with its settings and audit row in one transaction.
    pub fn create_bank(&self, caller: &Caller, new: &NewBank) -> OpResult<BankView> {
        self.may(caller, BankAction::Curate)?;
        check_ratio(new.enabled_ratio)?;
        text::BANK_DESCRIPTION.check_optional(new.description.as_deref())?;
        let name = self.bank_name(caller, &new.name);
        let tenant = match &caller.principal {
            Principal::Key(key) => key.tenant.clone(),
            Principal::Operator => Bank::namespace_of(&name).to_string(),
        };
        // Unlike HMA, `enabled: false` is honoured.
        let settings = BankSettings {
            tenant,
            enabled_ratio: new.enabled_ratio.unwrap_or(1.0),
            ..BankSettings::default()
        };
        self.records().write(|r| {
            r.create_bank(&name, new.kind, &settings, new.description.as_deref())?;
            r.audit(&[self.audit_row(
                caller,
                AuditAction::BankCreate,
                Some(&name),
                None,
                json!({"kind": new.kind.name(), "enabled_ratio": settings.enabled_ratio}),
            )])
        })?;
        Ok(BankView {
            label: self.bank_label(caller, &name),
            name,
            settings,
        })
    }

    /// Renames a bank or changes its matching ratio; read, changed and
    /// written in one transaction with the audit row.
    pub fn update_bank(
        &self,
        caller: &Caller,
        given: &str,
        update: &BankUpdate,
    ) -> OpResult<BankView> {
        self.may(caller, BankAction::Curate)?;
        check_ratio(update.enabled_ratio)?;
        let (name, owned) = self.bank_for(caller, BankAction::Curate, given)?;
        let renamed = update.rename.as_deref().map(|n| self.bank_name(caller, n));
        let rename = renamed.as_deref().filter(|n| *n != name);
        let new_name = rename.unwrap_or(&name).to_string();
        let settings = self.records().write(|r| {
            let mut settings = owned_settings_in(r, &owned.tenant, &name)?;
            if let Some(ratio) = update.enabled_ratio {
                settings.enabled_ratio = ratio;
            }
            r.update_bank(&name, &settings, rename)?;
            r.audit(&[self.audit_row(
                caller,
                AuditAction::BankUpdate,
                Some(&new_name),
                None,
                json!({"previous_name": name, "enabled_ratio": settings.enabled_ratio}),
            )])?;
            Ok(settings)
        })?;
        Ok(BankView {
            label: self.bank_label(caller, &new_name),
            name: new_name,
            settings,
        })
    }

    /// Deletes a bank with its entries and history, unless a legal hold
    /// keeps it. A refusal is audited too: an attempt to delete held
    /// records is itself a record.
    pub fn delete_bank(&self, caller: &Caller, given: &str) -> OpResult<Bank> {
        self.may(caller, BankAction::Curate)?;
        let (name, _) = self.bank_for(caller, BankAction::Curate, given)?;
        let bank = self.store.bank(&name)?;
        let deleted = self.records().write(|r| {
            r.delete_bank_unless_held(&name)?;
            r.audit(&[self.audit_row(
                caller,
                AuditAction::BankDelete,
                Some(&name),
                None,
                json!({}),
            )])
        });
        match deleted {
            Ok(()) => Ok(bank),
            Err(e) => {
                let error = OpError::from(e);
                if error.code == "legal_hold" {
                    self.records().audit(&[self.audit_row(
                        caller,
                        AuditAction::BankDeleteRefused,
                        Some(&name),
                        None,
                        json!({"reason": "legal_hold"}),
                    )])?;
                }
                Err(error)
            }
        }
    }

    /// Adds checked entries to a bank in one transaction with the audit
    /// row; `progress` is called with the number written so far.
    pub fn import(
        &self,
        caller: &Caller,
        import: Import<'_>,
        progress: &mut dyn FnMut(usize),
    ) -> OpResult<(String, ImportSummary)> {
        self.may(caller, BankAction::Curate)?;
        for entry in import.entries {
            text::CATEGORY.check_optional(entry.category.as_deref())?;
            text::SOURCE.check_optional(entry.source.as_deref())?;
        }
        let (name, _) = self.bank_for(caller, BankAction::Curate, import.bank)?;
        let action = match import.kind {
            ImportKind::List => AuditAction::BankImport,
            ImportKind::Signals => AuditAction::SignalsBulkAdd,
        };
        let summary = self.records().write(|r| {
            let summary =
                r.import_with_progress(&name, import.entries, Some(import.origin), progress)?;
            let detail = (import.detail)(&summary);
            r.audit(&[self.audit_row(caller, action, Some(&name), None, detail)])?;
            Ok(summary)
        })?;
        Ok((name, summary))
    }

    /// Revokes entries of a bank by id or value, with the reason, which
    /// stays in the history; returns the ids revoked.
    pub fn revoke(
        &self,
        caller: &Caller,
        given: &str,
        which: &EntryRef,
        reason: &str,
    ) -> OpResult<Vec<u64>> {
        self.may(caller, BankAction::Curate)?;
        if reason.trim().is_empty() {
            return Err(OpError::invalid(
                "reason_required",
                "give a reason for the revocation: it stays in the history",
            ));
        }
        let (name, _) = self.bank_for(caller, BankAction::Curate, given)?;
        Ok(self.records().write(|r| {
            let ids = r.revoke(&name, which, reason)?;
            r.audit(&[self.audit_row(
                caller,
                AuditAction::BankRevoke,
                Some(&name),
                Some(ids.iter().map(u64::to_string).collect::<Vec<_>>().join(",")),
                json!({"reason": reason, "entries": ids}),
            )])?;
            Ok(ids)
        })?)
    }

    /// Visits a bank's entries in id order (revoked ones too when asked),
    /// for a caller who may read it.
    pub fn entries(
        &self,
        caller: &Caller,
        given: &str,
        include_revoked: bool,
        visit: &mut dyn FnMut(Entry),
    ) -> OpResult<()> {
        // The bank's rule asks the tenant-wide one too, after telling a
        // bank the caller may not see from one that is not there.
        let (name, _) = self.bank_for(caller, BankAction::Read, given)?;
        Ok(self.store.entries(&name, include_revoked, visit)?)
    }

    /// The series of a bank's PDQ entries (near matches joined at
    /// `radius`), for a caller who may read it.
    pub fn bank_series(
        &self,
        caller: &Caller,
        given: &str,
        radius: u32,
    ) -> OpResult<hashwatch_matcher::Grouping> {
        let (name, _) = self.bank_for(caller, BankAction::Read, given)?;
        Ok(hashwatch_matcher::bank_series(
            self.store.as_ref(),
            &name,
            radius,
        )?)
    }
}
