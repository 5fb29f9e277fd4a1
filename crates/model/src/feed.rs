//! Feeds: a bank's publishable events, pages of another instance's feed,
//! subscriptions and the opinions subscribers send back.

use crate::bank::{Entry, NewEntry};

/// What a feed event does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedOp {
    /// The entry was added.
    Add,
    /// The entry was revoked (a tombstone).
    Remove,
}

impl FeedOp {
    /// `add` or `remove`.
    pub fn name(self) -> &'static str {
        match self {
            FeedOp::Add => "add",
            FeedOp::Remove => "remove",
        }
    }

    /// Parses `add` or `remove`.
    pub fn parse(name: &str) -> Option<FeedOp> {
        match name {
            "add" => Some(FeedOp::Add),
            "remove" => Some(FeedOp::Remove),
            _ => None,
        }
    }
}

/// A bank's feed as a publisher describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedInfo {
    /// The bank's name.
    pub bank: String,
    /// Names this bank for its whole life: a bank deleted and created again
    /// under the same name is a new feed, and subscribers notice.
    pub feed_id: String,
    /// The last event's sequence number (0 when there is none).
    pub head: u64,
}

/// One event of a published feed.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedEvent {
    /// Its sequence number in the bank's feed.
    pub seq: u64,
    /// Add or remove.
    pub op: FeedOp,
    /// The entry added or revoked.
    pub entry: Entry,
}

/// One event of a page a subscriber applies.
#[derive(Debug, Clone, PartialEq)]
pub struct IncomingEvent {
    /// Its sequence number in the publisher's feed.
    pub seq: u64,
    /// Add or remove.
    pub op: FeedOp,
    /// The signal (for a remove, only the type and value count).
    pub signal: NewEntry,
    /// Why the publisher revoked it.
    pub reason: Option<String>,
}

/// A subscription to another instance's feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    /// Its id.
    pub id: i64,
    /// The feed's URL (`…/feeds/BANK`).
    pub url: String,
    /// The local bank it fills.
    pub bank: String,
    /// The publisher's Ed25519 public key (hex), pinned.
    pub public_key: String,
    /// The API key the publisher issued to this instance.
    pub api_key: Option<String>,
    /// The publisher's feed id, pinned at the first page.
    pub feed_id: Option<String>,
    /// The last sequence number applied.
    pub checkpoint: u64,
    /// When a sync last succeeded (Unix seconds).
    pub synced_at: Option<i64>,
    /// Why the last sync failed, until one succeeds.
    pub last_error: Option<String>,
    /// What the feed fills.
    pub kind: SubscriptionKind,
    /// When the newest verified page was made (publisher's clock).
    pub fresh_at: Option<i64>,
}

/// What applying a page did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Applied {
    /// Entries added (values already active are not counted).
    pub added: u64,
    /// Entries revoked.
    pub removed: u64,
    /// The checkpoint after the page.
    pub checkpoint: u64,
}

/// An opinion a subscriber sent back about an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opinion {
    /// Its id.
    pub id: i64,
    /// When it arrived (Unix seconds).
    pub at: i64,
    /// The publisher's bank it is about.
    pub bank: String,
    /// The sender's tenant.
    pub tenant: String,
    /// The sender's API key id.
    pub key_id: Option<i64>,
    /// The sender's key name.
    pub actor: String,
    /// The entry's signal type.
    pub signal_type: String,
    /// The entry's value as text (hex).
    pub value: String,
    /// `false_positive` or `true_positive`.
    pub opinion: String,
    /// Free text.
    pub note: Option<String>,
}

// Pages over the wire: the interface the feed puller asks and the HTTP
// client (`hashwatch-outbound`) implements, so that neither depends on
// the other.

/// The largest page body a subscriber reads.
pub const MAX_PAGE_BYTES: usize = 64 << 20;

/// A page as it came over the wire.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fetched {
    /// The body, at most [`MAX_PAGE_BYTES`].
    pub body: Vec<u8>,
    /// The detached signature the publisher sent beside it, if any.
    pub signature: Option<String>,
}

/// Gets pages from a publisher.
pub trait Transport {
    /// GETs `url` with `query`, authenticated with `api_key` when there is
    /// one: the body of a successful answer (refusing one over
    /// [`MAX_PAGE_BYTES`]) and its signature header.
    fn get_page(
        &self,
        url: &str,
        api_key: Option<&str>,
        query: &[(&str, u64)],
    ) -> Result<Fetched, String>;
}

/// What a subscriber says about a feed's entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpinionKind {
    /// The entry matched something it should not have.
    FalsePositive,
    /// The entry is right.
    TruePositive,
}

impl OpinionKind {
    /// `false_positive` or `true_positive`, as stored and sent.
    pub fn name(self) -> &'static str {
        match self {
            OpinionKind::FalsePositive => "false_positive",
            OpinionKind::TruePositive => "true_positive",
        }
    }

    /// Parses a name.
    pub fn parse(text: &str) -> Option<OpinionKind> {
        [OpinionKind::FalsePositive, OpinionKind::TruePositive]
            .into_iter()
            .find(|k| k.name() == text)
    }
}

crate::named::named_enum! {
    /// What a subscription fills.
    pub enum SubscriptionKind {
        /// A bank's feed into a local bank.
        Bank = "bank",
        /// A partner hotline's shared assessments into the hotline.
        Hotline = "hotline",
    }
}
