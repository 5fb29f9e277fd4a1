//! Feeds: a bank's signed pages read by subscribers, opinions they send
//! back, and this instance's subscriptions to other instances' feeds,
//! made and pulled with their changes audited.

use hashwatch_access::BankAction;
use hashwatch_feed::{PullError, Pulled, Subscriber, SyncReport, Transport, VerifiedPage};
use hashwatch_model::{
    Applied, AuditAction, BankKind, FeedEvent, FeedInfo, Opinion, OpinionKind, SharedAssessment,
    SignalType, Subscription, SubscriptionKind,
};
use hashwatch_store::{feeds, ErrorKind};
use serde_json::json;

use crate::banks::NewBank;
use crate::{Caller, Kind, OpError, OpResult, Operations, Principal};

/// An opinion a subscriber sends about an entry of a bank's feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOpinion {
    /// The bank, as the caller calls it.
    pub bank: String,
    /// The entry's signal type.
    pub signal_type: SignalType,
    /// The entry's value.
    pub value: Vec<u8>,
    /// What the subscriber says.
    pub opinion: OpinionKind,
    /// Free text.
    pub note: Option<String>,
}

/// What a subscription fills.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fills {
    /// A local bank (made when missing) from another instance's bank feed.
    Bank(String),
    /// The hotline, from a partner hotline's shared assessments.
    Hotline,
}

/// A subscription to make (or, for a URL already subscribed, to change).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSubscription {
    /// The feed's URL.
    pub url: String,
    /// What it fills.
    pub fills: Fills,
    /// The publisher's public key, pinned.
    pub public_key: String,
    /// The API key the publisher issued, sealed with the operator's key.
    pub sealed_api_key: Option<String>,
}

impl Operations {
    /// A page of a bank's feed: events after `since`, at most `limit`.
    pub fn feed_page(
        &self,
        caller: &Caller,
        given: &str,
        since: u64,
        limit: usize,
    ) -> OpResult<(FeedInfo, Vec<FeedEvent>)> {
        let (bank, _) = self.bank_for(caller, BankAction::Read, given)?;
        Ok(feeds(self.store.as_ref()).events(&bank, since, limit)?)
    }

    /// Records a subscriber's opinion about an entry the bank has (or had).
    pub fn add_opinion(&self, caller: &Caller, new: &NewOpinion) -> OpResult<i64> {
        let (bank, _) = self.bank_for(caller, BankAction::Read, &new.bank)?;
        let value = new.signal_type.format_value(&new.value);
        if !feeds(self.store.as_ref()).knows(&bank, new.signal_type, &new.value)? {
            return Err(OpError::new(
                Kind::NotFound,
                "no_such_entry",
                format!("bank {bank:?} has no {} {value}", new.signal_type),
            ));
        }
        let actor = caller.actor();
        Ok(self.records().write(|r| {
            let id = r.feeds().add_opinion(
                &bank,
                caller.tenant(),
                actor.key_id(),
                &actor.name(),
                new.signal_type,
                &value,
                new.opinion.name(),
                new.note.as_deref(),
            )?;
            r.audit(&[self.audit_row(
                caller,
                AuditAction::FeedOpinion,
                Some(&bank),
                Some(format!("{}:{value}", new.signal_type)),
                json!({ "opinion": new.opinion.name(), "note": new.note }),
            )])?;
            Ok(id)
        })?)
    }

    /// What subscribers said about a bank's entries, for its curators.
    pub fn opinions(&self, caller: &Caller, given: &str) -> OpResult<Vec<Opinion>> {
        self.may(caller, BankAction::Curate)?;
        let (bank, _) = self.bank_for(caller, BankAction::Curate, given)?;
        Ok(feeds(self.store.as_ref()).opinions(&bank)?)
    }

    /// Whether the caller administers what `sub` fills: its bank, or the
    /// hotline.
    fn administers(&self, caller: &Caller, sub: &Subscription) -> OpResult<bool> {
        let Principal::Key(key) = &caller.principal else {
            return Ok(true);
        };
        if sub.kind == SubscriptionKind::Hotline {
            return Ok(self.policy.owns_hotline(&key.tenant));
        }
        match self.records().settings_of(&sub.bank) {
            Ok(settings) => Ok(self.policy.owns(&key.tenant, &settings)),
            Err(e) if matches!(e.kind(), ErrorKind::NoSuchBank(_)) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// The subscriptions filling what the caller administers, oldest
    /// first (each with its sealed API key, which answers never show).
    pub fn subscriptions(&self, caller: &Caller) -> OpResult<Vec<Subscription>> {
        self.may(caller, BankAction::Administer)?;
        let mut out = Vec::new();
        for sub in feeds(self.store.as_ref()).subscriptions()? {
            if self.administers(caller, &sub)? {
                out.push(sub);
            }
        }
        Ok(out)
    }

    /// The subscription to `url`, when the caller administers what it
    /// fills.
    pub fn subscription(&self, caller: &Caller, url: &str) -> OpResult<Subscription> {
        self.may(caller, BankAction::Administer)?;
        let sub = feeds(self.store.as_ref()).subscription(url)?;
        if !self.administers(caller, &sub)? {
            return Err(OpError::new(
                Kind::NotFound,
                "not_found",
                format!("no subscription to {url}"),
            ));
        }
        Ok(sub)
    }

    /// Subscribes a bank (made when missing, audited as made) or the
    /// hotline to a feed; audited as `feed.subscribe`.
    pub fn subscribe(&self, caller: &Caller, new: &NewSubscription) -> OpResult<Subscription> {
        self.may(caller, BankAction::Administer)?;
        let (bank, kind) = match &new.fills {
            Fills::Bank(given) => {
                let name = self.bank_name(caller, given);
                match self.bank_for(caller, BankAction::Administer, given) {
                    Ok(_) => {}
                    Err(e) if e.kind == Kind::NotFound => {
                        self.create_bank(
                            caller,
                            &NewBank {
                                name: given.clone(),
                                kind: BankKind::Positive,
                                enabled_ratio: None,
                                description: Some(format!("feed {}", new.url)),
                            },
                        )?;
                    }
                    Err(e) => return Err(e),
                }
                (Some(name), "bank")
            }
            Fills::Hotline => {
                if let Principal::Key(key) = &caller.principal {
                    self.policy.shared_assessments(key)?;
                }
                (None, "hotline")
            }
        };
        Ok(self.records().write(|r| {
            let f = r.feeds();
            let sub = match &bank {
                Some(bank) => f.subscribe(
                    &new.url,
                    bank,
                    &new.public_key,
                    new.sealed_api_key.as_deref(),
                )?,
                None => {
                    f.subscribe_hotline(&new.url, &new.public_key, new.sealed_api_key.as_deref())?
                }
            };
            r.audit(&[self.subscription_audit(
                caller,
                &sub,
                AuditAction::FeedSubscribe,
                json!({"kind": kind, "public_key": new.public_key}),
            )])?;
            Ok(sub)
        })?)
    }

    /// The audit row of a change to a subscription or what it filled: in
    /// the log of the bank's tenant, or the hotline's.
    fn subscription_audit(
        &self,
        caller: &Caller,
        sub: &Subscription,
        action: AuditAction,
        detail: serde_json::Value,
    ) -> hashwatch_model::NewAudit {
        let bank = (sub.kind != SubscriptionKind::Hotline).then_some(sub.bank.as_str());
        let mut row = self.audit_row(caller, action, bank, Some(sub.url.clone()), detail);
        if bank.is_none() && matches!(caller.principal, Principal::Operator) {
            row.tenant = self.policy.hotline_tenant.clone();
        }
        row
    }

    /// Pulls one subscription to its publisher's head over `transport`;
    /// each page is applied with its audit row (`feed.sync`, when it
    /// changed something) in one transaction. `sub` carries its API key
    /// opened.
    pub fn pull(
        &self,
        caller: &Caller,
        transport: &dyn Transport,
        sub: &Subscription,
        page_size: usize,
        progress: &mut dyn FnMut(&SyncReport),
    ) -> OpResult<Result<Pulled, PullError>> {
        self.subscription(caller, &sub.url)?;
        let audited = AuditedSubscriber {
            ops: self,
            caller,
            sub,
        };
        Ok(hashwatch_feed::pull(
            transport, &audited, sub, page_size, progress,
        ))
    }

    /// Notes on a subscription why it was not pulled.
    pub fn pull_failed(&self, caller: &Caller, sub: &Subscription, why: &str) -> OpResult<()> {
        self.subscription(caller, &sub.url)?;
        Ok(feeds(self.store.as_ref()).sync_failed(sub.id, why)?)
    }
}

/// The store's subscriber, with an audit row in each page's transaction.
struct AuditedSubscriber<'a> {
    ops: &'a Operations,
    caller: &'a Caller,
    sub: &'a Subscription,
}

impl Subscriber for AuditedSubscriber<'_> {
    fn apply_page(&self, subscription: i64, page: &VerifiedPage) -> Result<Applied, String> {
        self.ops
            .records()
            .write(|r| {
                let applied = r
                    .feeds()
                    .apply(subscription, &page.feed, page.from, &page.events)?;
                if applied.added + applied.removed > 0 {
                    r.audit(&[self.ops.subscription_audit(
                        self.caller,
                        self.sub,
                        AuditAction::FeedSync,
                        json!({
                            "from": page.from, "checkpoint": applied.checkpoint,
                            "added": applied.added, "removed": applied.removed,
                        }),
                    )])?;
                }
                Ok(applied)
            })
            .map_err(|e| e.to_string())
    }

    fn apply_assessments(
        &self,
        subscription: i64,
        from: i64,
        events: &[SharedAssessment],
    ) -> Result<(u64, i64), String> {
        self.ops
            .records()
            .write(|r| {
                let (taken, checkpoint) = r.feeds().apply_shared(subscription, from, events)?;
                if taken > 0 {
                    r.audit(&[self.ops.subscription_audit(
                        self.caller,
                        self.sub,
                        AuditAction::FeedSync,
                        json!({"from": from, "checkpoint": checkpoint, "taken": taken}),
                    )])?;
                }
                Ok((taken, checkpoint))
            })
            .map_err(|e| e.to_string())
    }

    fn pull_failed(&self, subscription: i64, error: &str) -> Result<(), String> {
        feeds(self.ops.store.as_ref()).pull_failed(subscription, error)
    }

    fn seen_fresh(&self, subscription: i64, made_at: i64) -> Result<(), String> {
        feeds(self.ops.store.as_ref()).seen_fresh(subscription, made_at)
    }
}
