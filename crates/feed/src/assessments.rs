//! Shared assessments: the page a hotline serves to partner hotlines, with
//! its listings and delistings. Only canonical URLs, their hashes, hosts,
//! categories and the op travel: no report, no description, no contact.
//!
//! The page is plain JSON signed detached (the signature travels in a
//! header), over the body's exact bytes after [`ASSESSMENTS_CONTEXT`].

use hashwatch_model::SharedAssessment;
use serde::{Deserialize, Serialize};

use crate::{FeedError, PublicKey};

/// Prefixed to a shared-assessments page before signing.
pub const ASSESSMENTS_CONTEXT: &[u8] = b"hashwatch-hotline-feed-v1\0";

/// The shared-assessments page format.
pub const ASSESSMENTS_FORMAT: &str = "hashwatch-hotline-feed/1";

/// A page of shared assessments, as served.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssessmentsPage {
    /// [`ASSESSMENTS_FORMAT`].
    pub format: String,
    /// The sequence number the page follows.
    pub since: i64,
    /// The publisher's newest sequence number.
    pub head: i64,
    /// When the page was made (Unix seconds; 0 from publishers that did
    /// not say).
    #[serde(default)]
    pub made_at: i64,
    /// Listings and delistings after `since`, in order.
    pub events: Vec<AssessmentEvent>,
}

/// One listing or delisting on a page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssessmentEvent {
    /// The publisher's sequence number.
    pub seq: i64,
    /// `confirmed` or `withdrawn`.
    pub op: String,
    /// The URL as the publisher spells it.
    pub url: String,
    /// Its SHA-256, as the publisher computed it (informative: the
    /// subscriber computes its own from the canonical URL).
    #[serde(default)]
    pub url_sha256: String,
    /// Its host.
    #[serde(default)]
    pub host: String,
    /// The publisher's category.
    pub category: Option<String>,
}

impl AssessmentsPage {
    /// The page of `events` after `since`, up to `head`.
    pub fn new(
        since: i64,
        head: i64,
        events: &[SharedAssessment],
        made_at: i64,
    ) -> AssessmentsPage {
        AssessmentsPage {
            format: ASSESSMENTS_FORMAT.to_string(),
            since,
            head,
            made_at,
            events: events
                .iter()
                .map(|e| AssessmentEvent {
                    seq: e.seq,
                    op: e.op.clone(),
                    url: e.url.clone(),
                    url_sha256: e.url_sha256.clone(),
                    host: e.host.clone(),
                    category: e.category.clone(),
                })
                .collect(),
        }
    }

    /// Checks `signature` over `body` against the pinned key, then reads
    /// the page; nothing in an unverified body is read.
    pub fn verify(
        body: &[u8],
        signature: &str,
        key: &PublicKey,
    ) -> Result<AssessmentsPage, FeedError> {
        key.verify_detached(ASSESSMENTS_CONTEXT, body, signature)?;
        let page: AssessmentsPage = serde_json::from_slice(body)
            .map_err(|e| FeedError(format!("a signed page that is not shared assessments: {e}")))?;
        if page.format != ASSESSMENTS_FORMAT {
            return Err(FeedError(format!(
                "a page in format {:?}, not {ASSESSMENTS_FORMAT:?}",
                page.format
            )));
        }
        Ok(page)
    }

    /// The events as shared assessments, each URL made canonical here: a
    /// partner's spelling of a URL must not open a second case.
    pub fn assessments(&self) -> Result<Vec<SharedAssessment>, FeedError> {
        self.events
            .iter()
            .map(|e| {
                let url = hashwatch_hotline::canonical_url(&e.url)
                    .map_err(|m| FeedError(format!("event {}: {m}", e.seq)))?;
                Ok(SharedAssessment {
                    seq: e.seq,
                    op: e.op.clone(),
                    url: url.url,
                    url_sha256: url.sha256,
                    host: url.host,
                    category: e.category.clone(),
                })
            })
            .collect()
    }
}
