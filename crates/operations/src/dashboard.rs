//! What the web interface's home page shows a caller: the figures of the
//! work its roles let it see.

use hashwatch_access::{BankAction, HotlineAction};
use hashwatch_model::ReviewState;
use hashwatch_store::hotline;

use crate::{Caller, OpResult, Operations, Principal};

/// The figures of a caller's home page; each is empty where its roles do
/// not reach.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dashboard {
    /// Matches per day and bank of the caller's tenant: (day, stored bank
    /// name, count), for its administrators.
    pub matches: Vec<(i64, String, i64)>,
    /// Hotline cases reported and confirmed per day: (day, reported,
    /// confirmed), for analysts.
    pub daily: Vec<(i64, i64, i64)>,
    /// Cases waiting in the caller's triage queue (at most 1,000 counted).
    pub queue: usize,
    /// Open reviews of the caller's tenant, for curators.
    pub open_reviews: usize,
}

impl Operations {
    /// The home page's figures since Unix time `since`.
    pub fn dashboard(&self, caller: &Caller, since: i64) -> OpResult<Dashboard> {
        let mut out = Dashboard::default();
        // Match records are the bank owner's, as on the API (`GET /matches`).
        if self.may(caller, BankAction::Administer).is_ok() {
            out.matches = self.records().match_days(caller.tenant(), since)?;
        }
        if self.may_hotline(caller, HotlineAction::Assess).is_ok() {
            let (key_id, supervisor) = match &caller.principal {
                Principal::Operator => (0, true),
                Principal::Key(key) => (
                    key.id,
                    self.policy.hotline(key, HotlineAction::Supervise).is_ok(),
                ),
            };
            let h = hotline(self.store.as_ref());
            out.daily = h.daily(since)?;
            out.queue = h
                .triage(key_id, supervisor, &Default::default(), 1000)?
                .len();
        }
        if self.may(caller, BankAction::Curate).is_ok() {
            out.open_reviews = self
                .records()
                .reviews(caller.tenant(), Some(ReviewState::Open))?
                .len();
        }
        Ok(out)
    }

    /// How long hosts took to remove what they were told of: (provider,
    /// jurisdiction, seconds) per removed case, for analysts.
    pub fn removals(&self, caller: &Caller) -> OpResult<Vec<(String, String, i64)>> {
        self.may_hotline(caller, HotlineAction::Assess)?;
        Ok(hotline(self.store.as_ref()).removals()?)
    }
}
