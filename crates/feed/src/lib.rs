//! Signed incremental feeds: how one instance publishes a bank and another
//! follows it exactly.
//!
//! A bank's feed is its additions and tombstones numbered 1, 2, 3… (kept by
//! the store, see hashwatch-store's `Feeds`). A publisher serves it in
//! pages; each page is JSON signed with the publisher's Ed25519 key
//! ([`FeedKey`]) and says which feed it belongs to, which events it holds
//! (`from..=to`) and how far the feed goes (`head`). A subscriber pins the
//! publisher's public key ([`PublicKey`]), checks every page with
//! [`verify_page`] before reading anything in it, and applies it with the
//! store, which moves the subscription's checkpoint in the same transaction.
//!
//! The signature covers the exact bytes of the `page` object as served,
//! after the domain tag [`SIGNING_CONTEXT`], so nothing has to be
//! re-serialised to check it.
//!
//! A hotline's shared assessments ([`AssessmentsPage`]) travel the same
//! way to partner hotlines, signed detached. [`pull()`] follows either kind
//! of subscription over a [`Transport`] into a [`Subscriber`], so the rules
//! of following (verify first, no gaps, no replays, no other feed, no lost
//! history) live here and the network and database stay outside.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod assessments;
mod key;
mod page;
pub mod pull;

pub use crate::assessments::{
    AssessmentEvent, AssessmentsPage, ASSESSMENTS_CONTEXT, ASSESSMENTS_FORMAT,
};
pub use crate::key::{FeedKey, PublicKey};
pub use crate::page::{
    sign_envelope, sign_page, verify_page, Page, PageEvent, VerifiedPage, FORMAT,
};
pub use crate::pull::{pull, Fetched, PullError, Pulled, Subscriber, SyncReport, Transport};

/// Prefixed to a page's bytes before signing, so a feed signature can
/// never be replayed as a signature over anything else.
pub const SIGNING_CONTEXT: &[u8] = b"hashwatch-feed-page-v1\0";

/// The domain tag of a blocklist answer's signature; see
/// [`blocklist_context`].
pub const BLOCKLIST_CONTEXT: &[u8] = b"hashwatch-blocklist-v2\0";

/// What a blocklist answer's `x-hashwatch-signature` covers before its
/// body: the tag, then which answer it is (the whole list, or the changes
/// since a sequence number) and the sequence number it reaches
/// (`x-hashwatch-seq`). A signature over the body alone would let an empty
/// delta stand in for an empty list, or an old list for the current one.
/// An ISP checks with [`PublicKey::verify_detached`] under this context.
pub fn blocklist_context(since: Option<i64>, seq: i64) -> Vec<u8> {
    let answer = match since {
        None => format!("full {seq}\n"),
        Some(since) => format!("delta {since} {seq}\n"),
    };
    [BLOCKLIST_CONTEXT, answer.as_bytes()].concat()
}

/// Why a key or a page was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedError(pub String);

impl std::fmt::Display for FeedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FeedError {}

fn fail<T>(message: impl Into<String>) -> Result<T, FeedError> {
    Err(FeedError(message.into()))
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn from_hex<const N: usize>(text: &str, what: &str) -> Result<[u8; N], FeedError> {
    let text = text.trim();
    if text.len() != N * 2 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return fail(format!("{what} must be {} hex digits", N * 2));
    }
    let mut out = [0u8; N];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16)
            .map_err(|_| FeedError(format!("{what} must be hex")))?;
    }
    Ok(out)
}
