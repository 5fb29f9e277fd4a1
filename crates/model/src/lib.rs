//! hashwatch's shared vocabulary: the types every other crate speaks, with
//! the rules that belong to the types themselves and nothing heavier (no
//! database, no HTTP, no media decoding).
//!
//! - [`bank`]: signal types and how their values are written, banks,
//!   entries, the change log that followers replay;
//! - [`service`]: API keys and the roles they carry, tenants, bank settings
//!   and sharing, HMA content, audit and match records, legal holds,
//!   reviews and webhook deliveries;
//! - [`feed`]: the events of a bank's feed, subscriptions and opinions;
//! - [`hotline`]: where a reported URL's case stands, and verdicts.
//!
//! Storage of all of these is `hashwatch-store`'s; what a lookup sees is
//! `hashwatch-matcher`'s.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod actor;
pub mod audit;
pub mod bank;
pub mod feed;
pub mod hotline;
mod named;
pub mod service;
pub mod source;
pub mod text;
pub mod view;

pub use crate::actor::{Actor, AuditAction};
pub use crate::bank::{
    value_order, Bank, BankKind, Change, ChangeKind, Entry, EntryRef, ImportSummary, NewEntry,
    Ordered, SignalType, ValueError,
};
pub use crate::feed::{
    Applied, FeedEvent, FeedInfo, FeedOp, IncomingEvent, Opinion, OpinionKind, Subscription,
    SubscriptionKind,
};
pub use crate::hotline::{
    Appeal, AppealState, BlockChange, Case, CaseFilter, CaseHash, CaseOverview, CaseReport,
    CaseState, HashOrigin, Intake, NewReport, SharedAssessment, Verdict,
};
pub use crate::service::{
    random_hex, unix_now, valid_tenant, ApiKey, AuditEvent, Availability, BankSettings, Content,
    ContentState, Delivery, DeliveryState, Hold, HoldKind, KeySecret, MatchEvent, NewAudit,
    NewMatch, Purged, RecordQuery, Review, ReviewReason, ReviewState, Role, Roles, UiSession,
    Webhook, DEFAULT_TENANT, QUALITY_FLOOR,
};
