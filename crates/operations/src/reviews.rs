//! The review queue: matches (and floods) waiting for a curator's
//! decision, and what a decision sets off.

use hashwatch_access::BankAction;
use std::collections::HashMap;

use hashwatch_model::source::BankSource;
use hashwatch_model::{
    AuditAction, Availability, BankKind, Entry, NewEntry, Review, ReviewReason, ReviewState,
    SignalType,
};
use serde_json::json;

use crate::{Caller, OpError, OpResult, Operations};

/// A curator's decision on a review.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewDecision {
    /// The match is right (a flood review's content matches again).
    Confirm,
    /// The match is wrong (its query may go into a negative bank).
    Reject,
}

impl ReviewDecision {
    /// `confirm` or `reject`, as asked.
    pub fn name(self) -> &'static str {
        match self {
            ReviewDecision::Confirm => "confirm",
            ReviewDecision::Reject => "reject",
        }
    }

    /// Parses a name.
    pub fn parse(text: &str) -> Option<ReviewDecision> {
        [ReviewDecision::Confirm, ReviewDecision::Reject]
            .into_iter()
            .find(|d| d.name() == text)
    }

    /// The state a review is left in.
    pub fn state(self) -> ReviewState {
        match self {
            ReviewDecision::Confirm => ReviewState::Confirmed,
            ReviewDecision::Reject => ReviewState::Rejected,
        }
    }

    fn audit_action(self) -> AuditAction {
        match self {
            ReviewDecision::Confirm => AuditAction::ReviewConfirm,
            ReviewDecision::Reject => AuditAction::ReviewReject,
        }
    }
}

/// An open review with what a curator needs to decide it.
#[derive(Debug, Clone)]
pub struct ReviewCard {
    /// The review.
    pub review: Review,
    /// The banked entry it hit (its category, source, whether revoked).
    pub entry: Option<Entry>,
    /// Earlier decisions on that entry, oldest first.
    pub earlier: Vec<Review>,
}

impl Operations {
    /// The oldest `limit` open reviews of the caller's tenant, each with
    /// its entry and the earlier decisions on it (from the store's most
    /// recent reviews: it answers at most 1,000).
    pub fn review_queue(&self, caller: &Caller, limit: usize) -> OpResult<Vec<ReviewCard>> {
        self.may(caller, BankAction::Curate)?;
        let mut by_entry: HashMap<(String, u64), Vec<Review>> = HashMap::new();
        for r in self.records().reviews(caller.tenant(), None)? {
            if r.state != ReviewState::Open {
                by_entry
                    .entry((r.record.bank.clone(), r.record.entry_id))
                    .or_default()
                    .push(r);
            }
        }
        let mut open = self
            .records()
            .reviews(caller.tenant(), Some(ReviewState::Open))?;
        open.sort_by_key(|r| r.id);
        open.truncate(limit);
        let mut cards = Vec::with_capacity(open.len());
        for review in open {
            let id = review.record.entry_id;
            let mut entry = None;
            BankSource::entries_in(self.store.as_ref(), id, id, true, &mut |e| entry = Some(e))?;
            // Every card of an entry shows its earlier decisions.
            let earlier = by_entry
                .get(&(review.record.bank.clone(), id))
                .cloned()
                .unwrap_or_default();
            cards.push(ReviewCard {
                review,
                entry,
                earlier,
            });
        }
        Ok(cards)
    }

    /// The stored names of the negative banks the caller may put a
    /// rejected match's hash into.
    pub fn negative_banks(&self, caller: &Caller) -> OpResult<Vec<String>> {
        self.may(caller, BankAction::Curate)?;
        Ok(self
            .store
            .banks()?
            .into_iter()
            .filter(|b| b.kind == BankKind::Negative)
            .filter(|b| {
                self.stored_bank_for(caller, BankAction::Curate, &b.name)
                    .is_ok()
            })
            .map(|b| b.name)
            .collect())
    }

    /// The caller's tenant's reviews, in one state or all.
    pub fn reviews(&self, caller: &Caller, state: Option<ReviewState>) -> OpResult<Vec<Review>> {
        self.may(caller, BankAction::Curate)?;
        Ok(self.records().reviews(caller.tenant(), state)?)
    }

    /// Decides review `id` and all it sets off, with its audit row, in one
    /// transaction: a confirmed flood review re-enables the quarantined
    /// content; a rejection can put the query's hash into a negative bank
    /// (the caller calls it `negative_bank`), so it stops matching.
    pub fn decide_review(
        &self,
        caller: &Caller,
        id: i64,
        decision: ReviewDecision,
        negative_bank: Option<&str>,
    ) -> OpResult<Review> {
        self.may(caller, BankAction::Curate)?;
        let negative_bank = match negative_bank.filter(|b| !b.trim().is_empty()) {
            Some(given) => {
                let (negative, _) = self.bank_for(caller, BankAction::Curate, given)?;
                if self.store.bank(&negative)?.kind != BankKind::Negative {
                    return Err(OpError::invalid(
                        "not_negative",
                        format!("bank {given:?} is not a negative bank"),
                    ));
                }
                Some(negative)
            }
            None => None,
        };
        let actor = caller.actor();
        Ok(self.records().write(|r| {
            let review = r.decide_review(caller.tenant(), id, decision.state(), &actor.name())?;
            let record = &review.record;
            if review.reason == ReviewReason::Flood && decision == ReviewDecision::Confirm {
                r.update_content(
                    &record.bank,
                    record.content_id,
                    Some(Availability::Enabled),
                    None,
                )?;
            }
            if let (Some(negative), ReviewDecision::Reject) = (&negative_bank, decision) {
                let signal_type: SignalType = record.signal_type.parse().map_err(|e| {
                    hashwatch_store::Error::backend(format!(
                        "review {id} holds an unknown signal type: {e}"
                    ))
                })?;
                let value = signal_type.parse_value(&record.query).map_err(|e| {
                    hashwatch_store::Error::backend(format!(
                        "review {id} holds a signal that does not decode: {e}"
                    ))
                })?;
                r.import(
                    negative,
                    &[NewEntry {
                        source: Some(format!("review {id}")),
                        ..NewEntry::new(signal_type, value)
                    }],
                    Some(&format!("api:{}", actor.name())),
                )?;
            }
            r.audit(&[self.audit_row(
                caller,
                decision.audit_action(),
                Some(&record.bank),
                Some(record.content_id.to_string()),
                json!({"review": id, "negative_bank": negative_bank}),
            )])?;
            Ok(review)
        })?)
    }
}
