//! hashwatch's use cases, one transport-free function each: the HTTP API,
//! the web pages, the command line and the background workers all call
//! these, so that no way in can skip a legal hold, an audit row or a
//! permission check.
//!
//! Every operation takes a [`Caller`] (whose authority, through which
//! way) and typed input; asks [`hashwatch_access::Policy`] (the local
//! operator at the command line may do anything a rule allows, in any
//! tenant); applies the domain rules; writes through the store in one
//! transaction together with its audit rows; and returns a typed result
//! or an [`OpError`] of one [`Kind`], which the HTTP API maps to a status
//! in one place.
//!
//! - [`banks`]: making, changing, deleting, filling, revoking and reading
//!   banks;
//! - [`content`]: content items of a bank;
//! - [`dashboard`]: the figures of a caller's home page;
//! - [`dead_letters`]: webhook deliveries that ran out of attempts;
//! - [`feeds`]: feed pages, opinions and subscriptions;
//! - [`holds`]: legal holds;
//! - [`hotline`]: the hotline's cases and blocklist;
//! - [`keys`]: API keys;
//! - [`lookups`]: matching outside the service's live index;
//! - [`records`]: the audit log and match records;
//! - [`reviews`]: the review queue and its decisions;
//! - [`secrets`]: stored secrets sealed at start;
//! - [`sessions`]: the web interface's sessions;
//! - [`settings`]: a bank's service settings;
//! - [`takedowns`]: the takedown worker's steps;
//! - [`workers`]: the service's background jobs.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod banks;
mod caller;
pub mod content;
pub mod dashboard;
pub mod dead_letters;
mod error;
pub mod feeds;
pub mod holds;
pub mod hotline;
pub mod keys;
pub mod lookups;
pub mod records;
pub mod reviews;
pub mod secrets;
pub mod sessions;
pub mod settings;
pub mod takedowns;
pub mod workers;

use std::sync::Arc;

use hashwatch_access::{BankAction, Policy};
use hashwatch_model::{AuditAction, Bank, BankSettings, NewAudit, DEFAULT_TENANT};
use hashwatch_store::{records, ErrorKind, Records, Store};

pub use crate::caller::{Caller, Job, Principal, Way};
pub use crate::error::{Kind, OpError, OpResult};

/// The use cases over one store, under one permission model.
#[derive(Clone)]
pub struct Operations {
    store: Arc<dyn Store + Send + Sync>,
    policy: Arc<Policy>,
}

impl Operations {
    /// Operations on `store` under `policy`.
    pub fn new(store: Arc<dyn Store + Send + Sync>, policy: Arc<Policy>) -> Operations {
        Operations { store, policy }
    }

    /// The permission model.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    fn records(&self) -> Records<'_> {
        records(self.store.as_ref())
    }

    /// Whether the caller may ask for `action` on the tenant's banks as a
    /// whole (see [`Policy::tenant`]).
    pub fn may(&self, caller: &Caller, action: BankAction) -> OpResult<()> {
        match &caller.principal {
            Principal::Operator => Ok(()),
            Principal::Key(key) => Ok(self.policy.tenant(key, action)?),
        }
    }

    /// The stored name of the bank the caller means by `given` (a key's
    /// bank names are in its tenant's namespace; the operator gives
    /// stored names).
    pub fn bank_name(&self, caller: &Caller, given: &str) -> String {
        match &caller.principal {
            Principal::Operator => given.to_string(),
            Principal::Key(key) => self.policy.bank_name(key, given),
        }
    }

    /// How the bank stored as `name` is called in answers to the caller.
    pub fn bank_label(&self, caller: &Caller, name: &str) -> String {
        match &caller.principal {
            Principal::Operator => name.to_string(),
            Principal::Key(key) => self.policy.bank_label(key, name),
        }
    }

    /// Whether the caller's tenant owns a bank with these settings (the
    /// operator owns every bank).
    pub fn owns(&self, caller: &Caller, settings: &BankSettings) -> bool {
        match &caller.principal {
            Principal::Operator => true,
            Principal::Key(key) => self.policy.owns(&key.tenant, settings),
        }
    }

    /// Whether the caller may see (and match against) a bank with these
    /// settings: the one rule of which banks a caller sees.
    pub fn sees(&self, caller: &Caller, settings: &BankSettings) -> bool {
        match &caller.principal {
            Principal::Operator => true,
            Principal::Key(key) => settings.visible_to(&key.tenant),
        }
    }

    /// The stored name and settings of the bank the caller calls `given`,
    /// when the caller may do `action` on it. Settings are read from the
    /// store, so a bank made a moment ago on another node is found.
    pub fn bank_for(
        &self,
        caller: &Caller,
        action: BankAction,
        given: &str,
    ) -> OpResult<(String, BankSettings)> {
        let name = self.bank_name(caller, given);
        let settings = self.allowed_on(caller, action, &name, given)?;
        Ok((name, settings))
    }

    /// The settings of the bank stored as `name` (a name read from a
    /// record, not given by the caller), when the caller may do `action`
    /// on it.
    pub fn stored_bank_for(
        &self,
        caller: &Caller,
        action: BankAction,
        name: &str,
    ) -> OpResult<BankSettings> {
        self.allowed_on(caller, action, name, name)
    }

    /// The settings of the bank stored as `name`, which the caller calls
    /// `given` (errors name it so), when the caller may do `action` on it.
    fn allowed_on(
        &self,
        caller: &Caller,
        action: BankAction,
        name: &str,
        given: &str,
    ) -> OpResult<BankSettings> {
        let settings = match self.records().settings_of(name) {
            Ok(s) => s,
            Err(e) if matches!(e.kind(), ErrorKind::NoSuchBank(_)) => {
                return Err(OpError::no_bank(given))
            }
            Err(e) => return Err(e.into()),
        };
        if let Principal::Key(key) = &caller.principal {
            self.policy.bank(key, action, given, &settings)?;
        }
        Ok(settings)
    }

    /// The audit row of the caller's `action`: in the caller's tenant's
    /// log, or for the operator in the log of the tenant that owns `bank`.
    pub fn audit_row(
        &self,
        caller: &Caller,
        action: AuditAction,
        bank: Option<&str>,
        target: Option<String>,
        detail: serde_json::Value,
    ) -> NewAudit {
        let tenant = match &caller.principal {
            Principal::Key(key) => key.tenant.as_str(),
            Principal::Operator => bank.map_or(DEFAULT_TENANT, Bank::namespace_of),
        };
        caller
            .actor()
            .audit(tenant, action, bank, target, Some(detail.to_string()))
    }
}
