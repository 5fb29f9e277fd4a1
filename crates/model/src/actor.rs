//! Who acted, and what they did, as the audit log writes it.
//!
//! The log stores both as text, and its hash chain covers that text, so
//! the strings written here are the ones entries have always carried:
//! a key's name, `cli`, `operator`, `public`, `partner:<name>`, `service`
//! or `hotline`. Because a key's name stands beside these, a key may not
//! be named like one of them ([`Actor::poses_as_other`]).

use crate::NewAudit;

/// Who made a change.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Actor {
    /// An API key (also behind a web interface session).
    Key {
        /// The key's id.
        id: i64,
        /// The key's name.
        name: String,
    },
    /// The local operator, through the `hashwatch` command line.
    Cli,
    /// The operator starting the service (sealing stored secrets).
    Operator,
    /// A member of the public, reporting or appealing without a key.
    Public,
    /// A partner hotline's key, reporting to this hotline.
    Partner(String),
    /// The service on its own (retention, flood control, webhooks).
    Service,
    /// The hotline's own workers (intake, takedowns, re-checks).
    Hotline,
}

/// Names that are not keys' names in the audit log: a key may not take
/// one. `reporter` marks the public's hashes on a hotline case.
const RESERVED: [&str; 7] = [
    "cli", "operator", "public", "service", "hotline", "reporter", "system",
];

impl Actor {
    /// The actor as the audit log's `actor` column writes it.
    pub fn name(&self) -> String {
        match self {
            Actor::Key { name, .. } => name.clone(),
            Actor::Cli => "cli".into(),
            Actor::Operator => "operator".into(),
            Actor::Public => "public".into(),
            Actor::Partner(name) => format!("partner:{name}"),
            Actor::Service => "service".into(),
            Actor::Hotline => "hotline".into(),
        }
    }

    /// The key's id, for the audit log's `key_id` column.
    pub fn key_id(&self) -> Option<i64> {
        match self {
            Actor::Key { id, .. } => Some(*id),
            _ => None,
        }
    }

    /// Whether a key named `name` would read, in the audit log or on a
    /// hotline case, as another kind of actor: such names are refused
    /// when a key is made.
    pub fn poses_as_other(name: &str) -> bool {
        let folded = name.trim().to_ascii_lowercase();
        RESERVED.contains(&folded.as_str()) || folded.starts_with("partner:")
    }

    /// The audit row of this actor's `action` in `tenant`'s log.
    pub fn audit(
        &self,
        tenant: &str,
        action: AuditAction,
        bank: Option<&str>,
        target: Option<String>,
        detail: Option<String>,
    ) -> NewAudit {
        NewAudit {
            tenant: tenant.to_string(),
            key_id: self.key_id(),
            actor: self.name(),
            action: action.name().to_string(),
            bank: bank.map(str::to_string),
            target,
            detail,
        }
    }
}

macro_rules! audit_actions {
    ($($(#[$doc:meta])* $variant:ident = $name:literal,)*) => {
        /// What an audit entry records. The names are the log's `action`
        /// column, unchanged since entries were first chained.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum AuditAction {
            $($(#[$doc])* $variant,)*
        }

        impl AuditAction {
            /// Every action.
            pub const ALL: &'static [AuditAction] = &[$(AuditAction::$variant,)*];

            /// The name the log writes.
            pub fn name(self) -> &'static str {
                match self {
                    $(AuditAction::$variant => $name,)*
                }
            }

            /// The action a logged name stands for.
            pub fn parse(name: &str) -> Option<AuditAction> {
                match name {
                    $($name => Some(AuditAction::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

audit_actions! {
    /// A bank made.
    BankCreate = "bank.create",
    /// A bank renamed or its ratio changed.
    BankUpdate = "bank.update",
    /// A bank's settings changed.
    BankSettings = "bank.settings",
    /// A bank deleted.
    BankDelete = "bank.delete",
    /// A bank's deletion refused (a legal hold keeps it).
    BankDeleteRefused = "bank.delete_refused",
    /// A hash list imported into a bank.
    BankImport = "bank.import",
    /// Entries of a bank revoked.
    BankRevoke = "bank.revoke",
    /// Signals added in bulk.
    SignalsBulkAdd = "signals.bulk_add",
    /// Content banked.
    ContentAdd = "content.add",
    /// Content's note, metadata or disabling changed.
    ContentUpdate = "content.update",
    /// Content removed.
    ContentDelete = "content.delete",
    /// An API key made.
    KeyCreate = "key.create",
    /// An API key revoked.
    KeyRevoke = "key.revoke",
    /// A legal hold placed.
    HoldPlace = "hold.place",
    /// A legal hold released.
    HoldRelease = "hold.release",
    /// Stored secrets sealed with the operator's key.
    SecretsSeal = "secrets.seal",
    /// A lookup matched a bank's entry.
    Match = "match",
    /// Records past retention purged.
    RetentionPurge = "retention.purge",
    /// The links older purges cut, recorded outside the chain, taken into
    /// it (once, when the database was upgraded).
    AuditCutsChained = "audit.cuts_chained",
    /// An entry matched too often.
    FloodFlag = "flood.flag",
    /// A flagged entry's content disabled until a curator looks.
    FloodQuarantine = "flood.quarantine",
    /// A review confirmed.
    ReviewConfirm = "review.confirm",
    /// A review rejected.
    ReviewReject = "review.reject",
    /// A dead letter sent again.
    WebhookReplay = "webhook.replay",
    /// An opinion on a feed's entry.
    FeedOpinion = "feed.opinion",
    /// A bank or the hotline subscribed to another instance's feed.
    FeedSubscribe = "feed.subscribe",
    /// A page of a subscribed feed applied.
    FeedSync = "feed.sync",
    /// A URL listed.
    BlocklistAdd = "blocklist.add",
    /// A URL delisted.
    BlocklistRemove = "blocklist.remove",
    /// A URL reported to the hotline.
    HotlineReport = "hotline.report",
    /// A case's URL attributed to its host.
    HotlineAttributed = "hotline.attributed",
    /// A case assessed.
    HotlineAssess = "hotline.assess",
    /// Hashes attached to a case.
    HotlineHashes = "hotline.hashes",
    /// A case's hashes put into a bank.
    HotlineToBank = "hotline.to_bank",
    /// A notice to a host claimed and on its way.
    HotlineNotice = "hotline.notice",
    /// How a notice's delivery went.
    HotlineNoticeDelivery = "hotline.notice_delivery",
    /// A case's material found removed.
    HotlineRemoved = "hotline.removed",
    /// A takedown given up.
    HotlineExpired = "hotline.expired",
    /// A listing appealed.
    HotlineAppeal = "hotline.appeal",
    /// An appeal decided.
    HotlineAppealDecided = "hotline.appeal_decided",
    /// A reporter's contact deleted.
    HotlineContactDeleted = "hotline.contact_deleted",
    /// A case's preview seen.
    HotlinePreview = "hotline.preview",
    /// A web interface session opened.
    UiSignIn = "ui.sign_in",
    /// A web interface session closed.
    UiSignOut = "ui.sign_out",
    /// A web interface user's preferences changed.
    UiPreferences = "ui.preferences",
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_distinct() {
        let mut seen = std::collections::HashSet::new();
        for a in AuditAction::ALL {
            assert_eq!(AuditAction::parse(a.name()), Some(*a));
            assert!(seen.insert(a.name()), "{} twice", a.name());
        }
        assert_eq!(AuditAction::parse("bank.nothing"), None);
    }

    #[test]
    fn actors_write_todays_strings() {
        let key = Actor::Key {
            id: 7,
            name: "ingest".into(),
        };
        assert_eq!((key.name(), key.key_id()), ("ingest".into(), Some(7)));
        assert_eq!(Actor::Cli.name(), "cli");
        assert_eq!(Actor::Operator.name(), "operator");
        assert_eq!(Actor::Public.name(), "public");
        assert_eq!(Actor::Partner("nl".into()).name(), "partner:nl");
        assert_eq!(Actor::Service.name(), "service");
        assert_eq!(Actor::Hotline.name(), "hotline");
        assert_eq!(Actor::Cli.key_id(), None);
    }

    #[test]
    fn key_names_may_not_pose_as_other_actors() {
        for name in [
            "cli",
            "operator",
            "Operator ",
            "public",
            "service",
            "hotline",
            "reporter",
            "partner:x",
            "PARTNER:nl",
        ] {
            assert!(Actor::poses_as_other(name), "{name:?}");
        }
        for name in ["ingest", "operators", "cli-bot", "partner", "the hotline"] {
            assert!(!Actor::poses_as_other(name), "{name:?}");
        }
    }
}
