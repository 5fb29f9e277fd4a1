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

/// A listing or delisting shared between hotlines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedAssessment {
    /// Its sequence number (the publisher's blocklist sequence).
    pub seq: i64,
    /// `confirmed` (listed as illegal) or `withdrawn` (taken off the list).
    pub op: String,
    /// The canonical URL.
    pub url: String,
    /// Its SHA-256.
    pub url_sha256: String,
    /// Its host.
    pub host: String,
    /// The publisher's category.
    pub category: Option<String>,
}

/// A reported URL and what became of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    /// Case number.
    pub id: i64,
    /// The canonical URL.
    pub url: String,
    /// SHA-256 of the canonical URL.
    pub url_sha256: String,
    /// Its host.
    pub host: String,
    /// Where it stands.
    pub state: CaseState,
    /// `illegal`, `not_illegal` or `unreachable`, once final.
    pub verdict: Option<String>,
    /// The assessed category.
    pub category: Option<String>,
    /// The key that gave the first assessment.
    pub first_assessor: Option<i64>,
    /// The first assessment's verdict.
    pub first_verdict: Option<String>,
    /// When it was confirmed and listed (Unix seconds).
    pub confirmed_at: Option<i64>,
    /// The hosting provider.
    pub provider: Option<String>,
    /// The provider's abuse contact.
    pub abuse: Option<String>,
    /// The provider's jurisdiction.
    pub jurisdiction: Option<String>,
    /// The provider's notice webhook.
    pub webhook: Option<String>,
    /// The address the host resolved to.
    pub ip: Option<String>,
    /// Notices sent.
    pub notices: i64,
    /// The first notice (Unix seconds).
    pub first_notice_at: Option<i64>,
    /// The latest notice.
    pub last_notice_at: Option<i64>,
    /// The latest re-check.
    pub last_check_at: Option<i64>,
    /// What the latest re-check saw.
    pub last_check: Option<String>,
    /// When a re-check found it gone.
    pub removed_at: Option<i64>,
    /// When re-checks started finding it gone: it is removed once a later
    /// check, far enough apart, finds it gone too.
    pub gone_since: Option<i64>,
    /// Reports that named it.
    pub reports: i64,
    /// The first report (Unix seconds).
    pub created_at: i64,
}

/// A report as taken in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReport {
    /// The canonical URL.
    pub url: String,
    /// Its SHA-256.
    pub url_sha256: String,
    /// Its host.
    pub host: String,
    /// `public`, or the partner key's name.
    pub source: String,
    /// What the reporter said.
    pub description: Option<String>,
    /// How to reach the reporter (stored apart; never audited or exported).
    pub contact: Option<String>,
}

/// What taking a report did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Intake {
    /// The report's id.
    pub report_id: i64,
    /// Its case (new or existing).
    pub case: Case,
    /// The URL had been reported before: linked, not queued again.
    pub duplicate: bool,
}

/// A blocklist change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockChange {
    /// Its sequence number.
    pub seq: i64,
    /// `add` or `remove`.
    pub op: String,
    /// The canonical URL.
    pub url: String,
    /// Its SHA-256.
    pub url_sha256: String,
}

/// A site owner's appeal against a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appeal {
    /// Its id.
    pub id: i64,
    /// The case appealed.
    pub case_id: i64,
    /// When (Unix seconds).
    pub at: i64,
    /// The owner's reasons.
    pub reason: String,
    /// Where it stands.
    pub state: AppealState,
    /// Who decided.
    pub decided_by: Option<String>,
}

/// A hash attached to a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseHash {
    /// The signal type's name.
    pub signal_type: String,
    /// The value as text (hex).
    pub value: String,
    /// Who attached it.
    pub origin: HashOrigin,
}

/// Who attached a hash to a case: the public with a report, or one of the
/// hotline's staff (by key name). Stored and answered as `added_by`: the
/// name `reporter`, which no key may take (see [`crate::actor`]), or the
/// key's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HashOrigin {
    /// Sent with a public report.
    Reporter,
    /// Attached by a key of the hotline's staff.
    Staff(String),
}

impl HashOrigin {
    const REPORTER: &'static str = "reporter";

    /// The name stored and answered.
    pub fn name(&self) -> &str {
        match self {
            HashOrigin::Reporter => HashOrigin::REPORTER,
            HashOrigin::Staff(key) => key,
        }
    }

    /// The origin a stored name stands for.
    pub fn from_name(name: &str) -> HashOrigin {
        if name == HashOrigin::REPORTER {
            HashOrigin::Reporter
        } else {
            HashOrigin::Staff(name.to_string())
        }
    }
}

/// Which cases the triage view lists (the store's `Hotline::triage`).
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    /// Cases in this state instead of the caller's queue.
    pub state: Option<CaseState>,
    /// Only this category.
    pub category: Option<String>,
    /// Only this hosting provider.
    pub provider: Option<String>,
    /// Only this jurisdiction.
    pub jurisdiction: Option<String>,
}

/// Counts and filter values for the triage view.
#[derive(Debug, Clone, Default)]
pub struct CaseOverview {
    /// (state, cases in it).
    pub by_state: Vec<(String, i64)>,
    /// Categories given in assessments.
    pub categories: Vec<String>,
    /// Hosting providers attributed.
    pub providers: Vec<String>,
    /// Jurisdictions attributed.
    pub jurisdictions: Vec<String>,
}

/// A report that named a case.
#[derive(Debug, Clone)]
pub struct CaseReport {
    /// Id.
    pub id: i64,
    /// Unix time.
    pub at: i64,
    /// `public` or `partner:<key name>`.
    pub source: String,
    /// What the reporter wrote.
    pub description: Option<String>,
}

crate::named::named_enum! {
    /// Where an appeal against a listing stands.
    pub enum AppealState {
        /// Waiting for a supervisor.
        Open = "open",
        /// The URL came off the blocklist (or was off already).
        Upheld = "upheld",
        /// The listing stands.
        Rejected = "rejected",
    }
}
