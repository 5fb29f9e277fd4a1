//! A bank's service settings: thresholds, robust matching, webhook, review
//! and sharing, read by whoever may read the bank and changed by its
//! owner's administrators.

use hashwatch_access::BankAction;
use hashwatch_model::{AuditAction, BankKind, BankSettings, Webhook};
use serde_json::Value;

use crate::banks::owned_settings_in;
use crate::{Caller, OpError, OpResult, Operations, Principal};

/// A webhook as given: its secret in the clear, sealed before it is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWebhook {
    /// Where matches are posted.
    pub url: String,
    /// What they are signed with.
    pub secret: String,
}

/// A change to a bank's settings: `None` keeps a field, `Some(None)` clears
/// it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SettingsChange {
    /// PDQ threshold.
    pub threshold: Option<Option<u32>>,
    /// Least percentage of a query video's frames found in a banked one.
    pub video_query_percent: Option<Option<f64>>,
    /// Least percentage of a banked video's frames found in the query.
    pub video_compared_percent: Option<Option<f64>>,
    /// Where matches are posted.
    pub webhook: Option<Option<NewWebhook>>,
    /// Whether matches wait for a person's review.
    pub review: Option<bool>,
    /// Whether uploads are matched robustly.
    pub robust: Option<bool>,
    /// The largest distance of a robust match.
    pub view_threshold: Option<Option<u32>>,
    /// Tenants that may match against the bank.
    pub shared_with: Option<Vec<String>>,
    /// Tenants that may also read and export it.
    pub shared_read: Option<Vec<String>>,
}

impl SettingsChange {
    /// Refuses values out of range before anything is sealed or written.
    fn check(&self) -> OpResult<()> {
        let max = hashwatch_matcher::MAX_THRESHOLD;
        if [self.threshold, self.view_threshold]
            .into_iter()
            .flatten()
            .flatten()
            .any(|t| t > max)
        {
            return Err(OpError::invalid(
                "bad_threshold",
                format!("threshold and view_threshold must be 0-{max}"),
            ));
        }
        if [self.video_query_percent, self.video_compared_percent]
            .into_iter()
            .flatten()
            .flatten()
            .any(|p| !(0.0..=100.0).contains(&p))
        {
            return Err(OpError::invalid(
                "bad_percent",
                "video match percentages are 0-100",
            ));
        }
        for tenant in [&self.shared_with, &self.shared_read]
            .into_iter()
            .flatten()
            .flatten()
        {
            if !hashwatch_model::valid_tenant(tenant) {
                return Err(OpError::invalid(
                    "bad_tenant",
                    format!("{tenant:?} is not a tenant name: letters, digits, '_' and '-'"),
                ));
            }
        }
        if let Some(Some(w)) = &self.webhook {
            if !(w.url.starts_with("http://") || w.url.starts_with("https://"))
                || w.secret.len() < 16
            {
                return Err(OpError::invalid(
                    "bad_webhook",
                    "webhook needs an http(s) url and a secret of at least 16 characters",
                ));
            }
        }
        Ok(())
    }

    /// `settings` with the change made (the owner `owner` is never one of
    /// the tenants it shares with; readers also match).
    fn apply(&self, settings: &mut BankSettings, webhook: Option<Option<Webhook>>, owner: &str) {
        if let Some(t) = self.threshold {
            settings.threshold = t;
        }
        if let Some(p) = self.video_query_percent {
            settings.video_query_percent = p;
        }
        if let Some(p) = self.video_compared_percent {
            settings.video_compared_percent = p;
        }
        if let Some(w) = webhook {
            settings.webhook = w;
        }
        if let Some(r) = self.review {
            settings.review = r;
        }
        if let Some(r) = self.robust {
            settings.robust = r;
        }
        if let Some(t) = self.view_threshold {
            settings.view_threshold = t;
        }
        let others = |tenants: &Vec<String>| -> Vec<String> {
            tenants.iter().filter(|t| *t != owner).cloned().collect()
        };
        if let Some(shared) = &self.shared_with {
            settings.shared_with = others(shared);
        }
        match &self.shared_read {
            Some(read) => settings.shared_read = others(read),
            None => {
                let shared = settings.shared_with.clone();
                settings.shared_read.retain(|t| shared.contains(t));
            }
        }
        for tenant in settings.shared_read.clone() {
            if !settings.shared_with.contains(&tenant) {
                settings.shared_with.push(tenant);
            }
        }
    }
}

impl Operations {
    /// A bank's stored name, kind and settings, for a caller who may read
    /// it. Where the owner's matches go and whom else it shares with are
    /// the owner's business only: others see neither.
    pub fn settings(
        &self,
        caller: &Caller,
        given: &str,
    ) -> OpResult<(String, BankKind, BankSettings)> {
        let (name, mut settings) = self.bank_for(caller, BankAction::Read, given)?;
        let kind = self.store.bank(&name)?.kind;
        let owns = match &caller.principal {
            Principal::Operator => true,
            Principal::Key(key) => self.policy.owns(&key.tenant, &settings),
        };
        if !owns {
            settings.webhook = None;
            settings.shared_with.clear();
            settings.shared_read.clear();
        }
        Ok((name, kind, settings))
    }

    /// Changes a bank's settings, read, changed and written with the audit
    /// row (`bank.settings`, its detail made by `detail`) in one
    /// transaction, so a concurrent change to its other settings is not
    /// lost. A webhook's secret is sealed by `seal` before it is kept.
    pub fn change_settings(
        &self,
        caller: &Caller,
        given: &str,
        change: &SettingsChange,
        seal: &dyn Fn(&str) -> OpResult<String>,
        detail: &dyn Fn(&str, BankKind, &BankSettings) -> Value,
    ) -> OpResult<(String, BankKind, BankSettings)> {
        self.may(caller, BankAction::Administer)?;
        change.check()?;
        let webhook = match &change.webhook {
            Some(Some(w)) => Some(Some(Webhook {
                url: w.url.clone(),
                secret: seal(&w.secret)?,
            })),
            Some(None) => Some(None),
            None => None,
        };
        let (name, settings) = self.bank_for(caller, BankAction::Administer, given)?;
        let owner = settings.tenant;
        let kind = self.store.bank(&name)?.kind;
        Ok(self.records().write(|r| {
            let mut settings = owned_settings_in(r, &owner, &name)?;
            change.apply(&mut settings, webhook.clone(), &owner);
            r.update_bank(&name, &settings, None)?;
            r.audit(&[self.audit_row(
                caller,
                AuditAction::BankSettings,
                Some(&name),
                None,
                detail(&name, kind, &settings),
            )])?;
            Ok((name.clone(), kind, settings))
        })?)
    }
}
