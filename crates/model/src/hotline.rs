//! The hotline's vocabulary: where a reported URL's case stands, and what
//! an assessment found.

/// Where a case stands. A case moves `new` → `assessed` (the first of two
/// assessments, when four eyes are required) → `confirmed` (listed) →
/// `notice_sent` → `removed` or `expired`; or `new` → `not_illegal` /
/// `unreachable`; an upheld appeal ends it as `appeal_upheld`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CaseState {
    /// Reported, not yet assessed.
    New,
    /// One assessment of two given.
    Assessed,
    /// Illegal: on the blocklist, the provider not yet told.
    Confirmed,
    /// The provider has been sent at least one notice.
    NoticeSent,
    /// A re-check found the material gone.
    Removed,
    /// The takedown was given up; the URL stays listed.
    Expired,
    /// Assessed as not illegal.
    NotIllegal,
    /// Could not be reached to assess.
    Unreachable,
    /// Taken off the blocklist on appeal.
    AppealUpheld,
}

impl CaseState {
    /// Every state.
    pub const ALL: [CaseState; 9] = [
        CaseState::New,
        CaseState::Assessed,
        CaseState::Confirmed,
        CaseState::NoticeSent,
        CaseState::Removed,
        CaseState::Expired,
        CaseState::NotIllegal,
        CaseState::Unreachable,
        CaseState::AppealUpheld,
    ];

    /// The state's name, as stored and answered.
    pub fn name(self) -> &'static str {
        match self {
            CaseState::New => "new",
            CaseState::Assessed => "assessed",
            CaseState::Confirmed => "confirmed",
            CaseState::NoticeSent => "notice_sent",
            CaseState::Removed => "removed",
            CaseState::Expired => "expired",
            CaseState::NotIllegal => "not_illegal",
            CaseState::Unreachable => "unreachable",
            CaseState::AppealUpheld => "appeal_upheld",
        }
    }

    /// Parses a state's name.
    pub fn parse(text: &str) -> Option<CaseState> {
        CaseState::ALL.into_iter().find(|s| s.name() == text)
    }
}

impl std::fmt::Display for CaseState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// An assessment's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Illegal, with a category.
    Illegal,
    /// Not illegal.
    NotIllegal,
    /// Could not be reached to assess.
    Unreachable,
}

impl Verdict {
    /// Parses `illegal`, `not_illegal` or `unreachable`.
    pub fn parse(text: &str) -> Option<Verdict> {
        match text {
            "illegal" => Some(Verdict::Illegal),
            "not_illegal" => Some(Verdict::NotIllegal),
            "unreachable" => Some(Verdict::Unreachable),
            _ => None,
        }
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Illegal => "illegal",
            Verdict::NotIllegal => "not_illegal",
            Verdict::Unreachable => "unreachable",
        }
    }
}
