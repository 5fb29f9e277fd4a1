//! Matching against banks outside the service's live index: the command
//! line's `hashwatch match` loads the banks it may match against once and
//! matches under their own thresholds and content disabling.

use hashwatch_access::BankAction;
use hashwatch_matcher::live::{LiveView, Loaded, View};
use hashwatch_model::source::BankSource;

use crate::{Caller, Kind, OpError, OpResult, Operations, Principal};

impl Operations {
    /// The stored names of the banks the caller matches against: the
    /// `given` ones (each checked), or every bank it sees.
    fn match_banks(&self, caller: &Caller, given: &[String]) -> OpResult<Vec<String>> {
        if given.is_empty() {
            return Ok(self
                .bank_settings(caller)?
                .into_iter()
                .map(|b| b.name)
                .collect());
        }
        given
            .iter()
            .map(|b| Ok(self.bank_for(caller, BankAction::Match, b)?.0))
            .collect()
    }

    /// How many live entries the banks the caller would match against
    /// hold (a progress bar's total).
    pub fn match_entries(&self, caller: &Caller, given: &[String]) -> OpResult<u64> {
        let mut total = 0;
        for name in self.match_banks(caller, given)? {
            total += self.store.bank(&name)?.active;
        }
        Ok(total)
    }

    /// A view of the banks the caller matches against (`given`, or every
    /// bank it sees), read once, with their settings and the content
    /// disabled in them.
    pub fn load_view(
        &self,
        caller: &Caller,
        given: &[String],
        progress: &mut dyn FnMut(u64),
    ) -> OpResult<View> {
        let names = self.match_banks(caller, given)?;
        if names.is_empty() && !matches!(caller.principal, Principal::Operator) {
            // An empty list would load every bank.
            return Err(OpError::new(
                Kind::NotFound,
                "no_banks",
                "no bank is shared with this key",
            ));
        }
        Ok(View::load_from(self.store.as_ref(), &names, progress)?)
    }

    /// The content (item) that bank entry `entry` belongs to, when it has
    /// one. Entries are read by id across banks, so only the operator
    /// reads them this way.
    pub fn entry_content(&self, caller: &Caller, entry: u64) -> OpResult<Option<String>> {
        caller.operator_only("entries are read by id only at the command line")?;
        let mut found = None;
        BankSource::entries_in(self.store.as_ref(), entry, entry, true, &mut |e| {
            found = e.signal.content_id
        })?;
        Ok(found)
    }
}

impl Operations {
    /// Loads a service's resident index and settings from the store.
    pub fn load_index(&self, view: &LiveView) -> OpResult<Loaded> {
        Ok(view.load(self.store.as_ref())?)
    }

    /// Applies to a resident index the changes committed since it last
    /// followed, through any node; answers how many.
    pub fn follow_index(&self, view: &LiveView) -> OpResult<usize> {
        Ok(view.follow(self.store.as_ref())?)
    }
}
