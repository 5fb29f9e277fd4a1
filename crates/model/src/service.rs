//! The service's records: keys and roles, bank settings and sharing, HMA
//! content, the audit log, match records, legal holds, reviews and webhook
//! deliveries.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch.
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The tenant of banks and keys made without one.
pub const DEFAULT_TENANT: &str = "default";

/// PDQ's quality floor (HMA's and python-threatexchange's): hashes of
/// flatter pictures collide by accident, so they are neither matched nor
/// banked as views. The one place the number is written.
pub const QUALITY_FLOOR: u8 = 50;

/// One thing an API key may be granted. Bank roles (matcher, curator,
/// admin) and hotline roles (analyst, supervisor) are separate ladders;
/// the blocklist and partner roles stand alone. What each allows is
/// decided in one place, `hashwatch-access`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Hash and look up against the tenant's banks and those shared with it.
    Matcher,
    /// Also add and remove signals and content, manage banks, decide reviews.
    Curator,
    /// Also read the audit log, place and release holds, set actions,
    /// share banks and replay dead letters.
    Admin,
    /// Assess hotline reports and attach hashes to them (hotline tenant).
    Analyst,
    /// Also give the second assessment, decide appeals, delete reporter
    /// contacts and put a report's hashes into a bank (hotline tenant).
    Supervisor,
    /// Read the signed blocklist as SHA-256 of the listed URLs.
    Blocklist,
    /// Read the blocklist with the URLs in plain text.
    BlocklistUrls,
    /// Another instance: read this hotline's shared assessments, and the
    /// feeds of banks its tenant may read.
    Partner,
}

impl Role {
    /// Every role, in the order they are written.
    pub const ALL: [Role; 8] = [
        Role::Matcher,
        Role::Curator,
        Role::Admin,
        Role::Analyst,
        Role::Supervisor,
        Role::Blocklist,
        Role::BlocklistUrls,
        Role::Partner,
    ];

    /// The role's name.
    pub fn name(&self) -> &'static str {
        match self {
            Role::Matcher => "matcher",
            Role::Curator => "curator",
            Role::Admin => "admin",
            Role::Analyst => "analyst",
            Role::Supervisor => "supervisor",
            Role::Blocklist => "blocklist",
            Role::BlocklistUrls => "blocklist-urls",
            Role::Partner => "partner",
        }
    }

    /// Parses a role's name.
    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.name() == text)
    }

    fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

/// The roles a key holds: exactly those it was given.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Roles(u16);

impl Roles {
    /// No role at all.
    pub const NONE: Roles = Roles(0);

    /// These roles.
    pub fn of(roles: &[Role]) -> Roles {
        Roles(roles.iter().fold(0, |bits, r| bits | r.bit()))
    }

    /// Whether `role` is held.
    pub fn holds(self, role: Role) -> bool {
        self.0 & role.bit() != 0
    }

    /// Whether no role is held.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The roles held, in [`Role::ALL`]'s order.
    pub fn iter(self) -> impl Iterator<Item = Role> {
        Role::ALL.into_iter().filter(move |r| self.holds(*r))
    }

    /// Parses names separated by commas (`admin,analyst`); the error is
    /// the first name that is not a role.
    pub fn parse(text: &str) -> Result<Roles, String> {
        let mut roles = Vec::new();
        for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            roles.push(Role::parse(name).ok_or_else(|| name.to_string())?);
        }
        if roles.is_empty() {
            return Err(text.to_string());
        }
        Ok(Roles::of(&roles))
    }
}

impl From<Role> for Roles {
    fn from(role: Role) -> Roles {
        Roles::of(&[role])
    }
}

impl std::fmt::Display for Roles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.iter().map(|r| r.name()).collect();
        if names.is_empty() {
            f.write_str("none")
        } else {
            f.write_str(&names.join(","))
        }
    }
}

/// Whether `name` may name a tenant: letters, digits, `_` and `-`.
pub fn valid_tenant(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// A new API key's secret: `hw_` and 48 hex digits of randomness. It is
/// shown once; only [`KeySecret::hash_of`] it is ever stored.
pub struct KeySecret(pub String);

impl KeySecret {
    /// A fresh secret from the system's randomness.
    pub fn generate() -> Result<KeySecret, getrandom::Error> {
        Ok(KeySecret(format!("hw_{}", random_hex(24)?)))
    }

    /// What is stored for a secret, and looked up when one is presented:
    /// its SHA-256 as hex.
    pub fn hash_of(secret: &str) -> String {
        use sha2::{Digest, Sha256};
        Sha256::digest(secret.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// `bytes` bytes of the system's randomness as lower-case hex.
pub fn random_hex(bytes: usize) -> Result<String, getrandom::Error> {
    let mut random = vec![0u8; bytes];
    getrandom::fill(&mut random)?;
    Ok(random.iter().map(|b| format!("{b:02x}")).collect())
}

/// An API key (its secret is never stored, only its SHA-256).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    /// Id, shown in the audit log.
    pub id: i64,
    /// The tenant whose banks the key sees.
    pub tenant: String,
    /// A label for people.
    pub name: String,
    /// What it may do.
    pub roles: Roles,
    /// Unix time.
    pub created_at: i64,
    /// Unix time, once revoked.
    pub revoked_at: Option<i64>,
}

/// Where a bank's matches are posted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    /// An `http://` or `https://` URL.
    pub url: String,
    /// The HMAC-SHA256 key for the `X-Hashwatch-Signature` header.
    pub secret: String,
}

/// A bank's service settings.
#[derive(Debug, Clone, PartialEq)]
pub struct BankSettings {
    /// The owning tenant.
    pub tenant: String,
    /// HMA's `matching_enabled_ratio`: the share of lookups the bank takes
    /// part in (0 disables matching, 1 always matches).
    pub enabled_ratio: f64,
    /// The PDQ threshold for this bank, when not the service's default.
    pub threshold: Option<u32>,
    /// Least percentage of a query video's frames found in a banked video
    /// for a match, when not python-threatexchange's 80.
    pub video_query_percent: Option<f64>,
    /// Least percentage of a banked video's frames found in the query,
    /// when not python-threatexchange's 0.
    pub video_compared_percent: Option<f64>,
    /// Whether uploads are matched robustly here: views of the upload
    /// (trimmed borders, content regions, crops, undone turns) and the
    /// bank's derived hashes also match. Lookups by hash never are.
    pub robust: bool,
    /// The largest distance of a robust match, when not hashwatch-robust's
    /// default.
    pub view_threshold: Option<u32>,
    /// Posted on every match.
    pub webhook: Option<Webhook>,
    /// Queue every match for a curator's review.
    pub review: bool,
    /// Tenants that may match against the bank.
    pub shared_with: Vec<String>,
    /// Of those, the tenants the owner also lets read its contents and
    /// export it.
    pub shared_read: Vec<String>,
}

impl Default for BankSettings {
    fn default() -> BankSettings {
        BankSettings {
            tenant: DEFAULT_TENANT.to_string(),
            enabled_ratio: 1.0,
            threshold: None,
            video_query_percent: None,
            video_compared_percent: None,
            robust: false,
            view_threshold: None,
            webhook: None,
            review: false,
            shared_with: Vec::new(),
            shared_read: Vec::new(),
        }
    }
}

impl BankSettings {
    /// Whether keys of `tenant` may match against the bank.
    pub fn visible_to(&self, tenant: &str) -> bool {
        self.tenant == tenant || self.shared_with.iter().any(|t| t == tenant)
    }

    /// Whether keys of `tenant` may read the bank's contents and export it.
    pub fn readable_by(&self, tenant: &str) -> bool {
        self.tenant == tenant || self.shared_read.iter().any(|t| t == tenant)
    }
}

/// HMA's content: one or more signals banked together, with a note,
/// metadata and a disable time. Its id is the id of its first entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Content {
    /// The content id (its first entry's id).
    pub id: u64,
    /// The bank.
    pub bank: String,
    /// Free text.
    pub note: Option<String>,
    /// A JSON object, as given.
    pub metadata: Option<String>,
    /// Whether it matches.
    pub availability: Availability,
    /// Entries banked with the first one.
    pub linked: Vec<u64>,
}

/// Whether content matches. HMA writes this as one integer,
/// `disable_until_ts` (0: disabled until a curator enables it, 1: enabled,
/// a Unix time: disabled until then); that integer is spoken only at HMA's
/// HTTP edge and stored as such, so that databases keep their values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Availability {
    /// Matches.
    Enabled,
    /// Does not match until a curator enables it.
    Disabled,
    /// Does not match before this Unix time.
    DisabledUntil(i64),
}

impl Availability {
    /// The availability HMA's integer stands for (any time not after 1,
    /// other than 1 itself, disables until enabled, as HMA reads it).
    pub fn from_hma(disable_until_ts: i64) -> Availability {
        match disable_until_ts {
            1 => Availability::Enabled,
            t if t > 1 => Availability::DisabledUntil(t),
            _ => Availability::Disabled,
        }
    }

    /// HMA's integer for it.
    pub fn hma(self) -> i64 {
        match self {
            Availability::Enabled => 1,
            Availability::Disabled => 0,
            Availability::DisabledUntil(t) => t,
        }
    }

    /// Whether the content matches at `now` (Unix seconds).
    pub fn enabled_at(self, now: i64) -> bool {
        match self {
            Availability::Enabled => true,
            Availability::Disabled => false,
            Availability::DisabledUntil(t) => t <= now,
        }
    }
}

/// An audit log entry to write.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewAudit {
    /// The tenant acted for.
    pub tenant: String,
    /// The key, when a key acted (`None` for the service itself).
    pub key_id: Option<i64>,
    /// The key's name or `service`.
    pub actor: String,
    /// What happened: `bank.create`, `content.disable`, `match`, …
    pub action: String,
    /// The bank concerned.
    pub bank: Option<String>,
    /// The record concerned (content id, key id, hold id, …).
    pub target: Option<String>,
    /// JSON with the rest.
    pub detail: Option<String>,
}

/// A stored audit entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    /// Increasing id.
    pub id: i64,
    /// Unix time.
    pub at: i64,
    /// What was written.
    pub event: NewAudit,
}

/// A match to record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewMatch {
    /// The tenant that looked up.
    pub tenant: String,
    /// The key that looked up.
    pub key_id: Option<i64>,
    /// The bank matched.
    pub bank: String,
    /// The content matched.
    pub content_id: u64,
    /// The entry matched.
    pub entry_id: u64,
    /// The signal type.
    pub signal_type: String,
    /// The query's value.
    pub query: String,
    /// Distance (0 for exact).
    pub distance: u32,
}

/// A stored match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchEvent {
    /// Id.
    pub id: i64,
    /// Unix time.
    pub at: i64,
    /// What matched.
    pub record: NewMatch,
}

/// What a legal hold keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldKind {
    /// A bank's audit entries and matches.
    Bank,
    /// One content item's matches and audit entries.
    Content,
    /// One match record.
    Match,
    /// One hotline case: its reports, reporters' contacts and audit
    /// entries (placed by the hotline's supervisors).
    Case,
}

impl HoldKind {
    /// Every kind.
    pub const ALL: [HoldKind; 4] = [
        HoldKind::Bank,
        HoldKind::Content,
        HoldKind::Match,
        HoldKind::Case,
    ];

    /// `bank`, `content`, `match` or `case`.
    pub fn name(&self) -> &'static str {
        match self {
            HoldKind::Bank => "bank",
            HoldKind::Content => "content",
            HoldKind::Match => "match",
            HoldKind::Case => "case",
        }
    }

    /// Parses a name.
    pub fn parse(text: &str) -> Option<HoldKind> {
        HoldKind::ALL.into_iter().find(|k| k.name() == text)
    }
}

/// A legal hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hold {
    /// Id.
    pub id: i64,
    /// The tenant that placed it.
    pub tenant: String,
    /// What it keeps.
    pub kind: HoldKind,
    /// The bank name, content id or match id.
    pub target: String,
    /// Why (a case reference).
    pub reason: String,
    /// Who placed it.
    pub placed_by: String,
    /// Unix time.
    pub placed_at: i64,
    /// Unix time, once released.
    pub released_at: Option<i64>,
}

/// A match waiting for, or given, a curator's decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Review {
    /// Id.
    pub id: i64,
    /// Unix time queued.
    pub at: i64,
    /// Why it was queued.
    pub reason: ReviewReason,
    /// The match.
    pub record: NewMatch,
    /// Whether it has been decided, and how.
    pub state: ReviewState,
    /// Who decided.
    pub decided_by: Option<String>,
    /// Unix time decided.
    pub decided_at: Option<i64>,
}

/// A webhook delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// Id.
    pub id: i64,
    /// The bank whose match it reports.
    pub bank: String,
    /// Where it goes.
    pub url: String,
    /// The HMAC key: the bank's webhook secret now (empty when the bank
    /// has no webhook any more).
    pub secret: String,
    /// The JSON body.
    pub body: String,
    /// Attempts made.
    pub attempts: i64,
    /// Where it stands.
    pub state: DeliveryState,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
}

/// What a retention purge removed.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Purged {
    /// Web interface sessions ended a day before.
    #[serde(default)]
    pub sessions: u64,
    /// Audit entries.
    pub audit: u64,
    /// Match records.
    pub matches: u64,
    /// Reviews, open or decided.
    pub reviews: u64,
    /// Webhook deliveries sent or given up (their bodies carry queries).
    pub deliveries: u64,
    /// Subscribers' opinions on feed entries.
    pub opinions: u64,
    /// Hotline reports (with their reporters' contacts) of closed cases.
    pub reports: u64,
    /// The links of the audit chain the removed entries cut.
    #[serde(default)]
    pub cuts: Vec<crate::audit::Cut>,
}

/// Filters for reading the audit log and match records.
#[derive(Debug, Clone, Default)]
pub struct RecordQuery {
    /// Only this tenant's records.
    pub tenant: Option<String>,
    /// From this Unix time (inclusive).
    pub from: Option<i64>,
    /// Before this Unix time.
    pub to: Option<i64>,
    /// Only this bank.
    pub bank: Option<String>,
    /// Only ids above this (paging).
    pub after: Option<i64>,
    /// Only ids below this (paging newest first).
    pub before: Option<i64>,
    /// Newest first instead of oldest first.
    pub newest_first: bool,
    /// Audit log only: entries about this target (`case:7`, a content id).
    pub target: Option<String>,
    /// Audit log only: actions starting with this (`hotline.`).
    pub action: Option<String>,
    /// Audit log only: entries by this actor (a key's name).
    pub actor: Option<String>,
    /// At most this many (default 1000).
    pub limit: Option<i64>,
}

/// What matcher nodes keep about content.
#[derive(Debug, Clone, Default)]
pub struct ContentState {
    /// Content ids and their availability, for those not plainly enabled.
    pub disabled: Vec<(u64, Availability)>,
    /// Entry id → content id, for entries banked with another.
    pub links: Vec<(u64, u64)>,
}

/// A signed-in browser's session on the web interface. Its secret (the
/// cookie) is shown once; only its SHA-256 is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UiSession {
    /// Id, for revocation.
    pub id: i64,
    /// The key the browser signed in with; its roles and tenant apply.
    pub key: ApiKey,
    /// The token every form of the session must carry.
    pub csrf: String,
    /// Unix time.
    pub created_at: i64,
    /// Unix time after which the session no longer works.
    pub expires_at: i64,
    /// Whether the key's user chose to see previews unblurred.
    pub reveal_previews: bool,
    /// Previews loaded in this session (for the prompt to take a break).
    pub viewed: i64,
}

crate::named::named_enum! {
    /// Why a match waits for a curator.
    pub enum ReviewReason {
        /// The bank's settings send its matches to review.
        Match = "match",
        /// The entry matched too often (flood protection).
        Flood = "flood",
    }
}

crate::named::named_enum! {
    /// Where a review stands.
    pub enum ReviewState {
        /// Waiting for a curator.
        Open = "open",
        /// The match stands.
        Confirmed = "confirmed",
        /// The match was wrong.
        Rejected = "rejected",
    }
}

crate::named::named_enum! {
    /// Where a webhook delivery stands.
    pub enum DeliveryState {
        /// Waiting for its next attempt.
        Pending = "pending",
        /// The receiver answered 2xx.
        Delivered = "delivered",
        /// Out of attempts: a dead letter, until replayed.
        Dead = "dead",
    }
}

#[cfg(test)]
mod tests {
    use super::Availability;

    /// HMA's integers round-trip, and mean what HMA means.
    #[test]
    fn availability_speaks_hmas_integers() {
        for ts in [0, 1, 2, 1_700_000_000] {
            assert_eq!(Availability::from_hma(ts).hma(), ts);
        }
        assert_eq!(Availability::from_hma(-5), Availability::Disabled);
        let now = 1_700_000_000;
        assert!(Availability::Enabled.enabled_at(now));
        assert!(!Availability::Disabled.enabled_at(now));
        assert!(!Availability::DisabledUntil(now + 1).enabled_at(now));
        assert!(Availability::DisabledUntil(now).enabled_at(now));
    }
}
