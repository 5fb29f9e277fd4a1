//! The page format: what a publisher signs and a subscriber verifies.

use hashwatch_model::{FeedEvent, FeedInfo, FeedOp, IncomingEvent, NewEntry, SignalType};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::{fail, FeedError, FeedKey, PublicKey, SIGNING_CONTEXT};

/// The `format` every page names.
pub const FORMAT: &str = "hashwatch-feed/1";

/// One page of a feed, as signed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page {
    /// Always [`FORMAT`].
    pub format: String,
    /// The publisher's feed id (changes if the bank is replaced).
    pub feed: String,
    /// The publisher's bank name.
    pub bank: String,
    /// The first event's sequence number (for an empty page, one past the
    /// feed's head).
    pub from: u64,
    /// The last event's sequence number (`from - 1` for an empty page).
    pub to: u64,
    /// The feed's last sequence number when the page was made.
    pub head: u64,
    /// When the page was made (Unix seconds; 0 from publishers that did
    /// not say). A subscriber refuses pages older than one it has seen,
    /// and alerts when the pages it gets stop getting newer.
    #[serde(default)]
    pub made_at: i64,
    /// The events, `from..=to` in order.
    pub events: Vec<PageEvent>,
}

/// One event in a page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageEvent {
    /// Its sequence number.
    pub seq: u64,
    /// `add` or `remove`.
    pub op: String,
    /// `pdq`, `md5`, `sha1`, `sha256` or `photodna`.
    pub signal_type: String,
    /// The value as hashwatch writes it (hex; PhotoDNA as given).
    pub value: String,
    /// PDQ quality.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quality: Option<u8>,
    /// The publisher's content id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_id: Option<String>,
    /// Category.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Where the publisher got it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The entry's metadata object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<serde_json::Value>,
    /// Why it was revoked (tombstones).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// For a derived hash, the view of the item's picture that made it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub derived: Option<String>,
}

/// What travels: the page's exact bytes and a signature over them.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow)]
    page: &'a RawValue,
    signature: String,
}

/// A page whose signature checked out, ready to apply.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedPage {
    /// The publisher's feed id.
    pub feed: String,
    /// The first sequence number.
    pub from: u64,
    /// The last sequence number (`from - 1` when empty).
    pub to: u64,
    /// The feed's head when the page was made.
    pub head: u64,
    /// When it was made (Unix seconds, 0 when the publisher did not say).
    pub made_at: i64,
    /// The events.
    pub events: Vec<IncomingEvent>,
}

fn page_event(event: &FeedEvent) -> PageEvent {
    let e = &event.entry;
    let removed = event.op == FeedOp::Remove;
    PageEvent {
        seq: event.seq,
        op: event.op.name().to_string(),
        signal_type: e.signal.signal_type.name().to_string(),
        value: e.signal.signal_type.format_value(&e.signal.value),
        quality: e.signal.quality.filter(|_| !removed),
        content_id: e.signal.content_id.clone().filter(|_| !removed),
        category: e.signal.category.clone().filter(|_| !removed),
        source: e.signal.source.clone().filter(|_| !removed),
        metadata: e
            .signal
            .metadata
            .as_deref()
            .filter(|_| !removed)
            .and_then(|m| serde_json::from_str(m).ok()),
        reason: e.revoke_reason.clone().filter(|_| removed),
        derived: e.signal.derived.clone(),
    }
}

/// The signed page of `events` (those after `since`) of a feed, made at
/// `made_at`, as the JSON body a publisher serves.
pub fn sign_page(
    info: &FeedInfo,
    since: u64,
    events: &[FeedEvent],
    key: &FeedKey,
    made_at: i64,
) -> String {
    let page = Page {
        format: FORMAT.to_string(),
        feed: info.feed_id.clone(),
        bank: info.bank.clone(),
        from: since + 1,
        to: since + events.len() as u64,
        head: info.head,
        made_at,
        events: events.iter().map(page_event).collect(),
    };
    // A page of plain data always serialises.
    sign_envelope(&serde_json::to_string(&page).unwrap_or_default(), key)
}

/// The served envelope of a page's exact JSON `bytes`, signed: what
/// [`verify_page`] checks before it reads the page.
pub fn sign_envelope(bytes: &str, key: &FeedKey) -> String {
    let mut message = SIGNING_CONTEXT.to_vec();
    message.extend_from_slice(bytes.as_bytes());
    let signature = key.sign(&message);
    format!(
        "{{\"page\":{bytes},\"key\":\"{}\",\"signature\":\"{signature}\"}}",
        key.public_key()
    )
}

/// Checks a served page against the pinned key, then reads it. Nothing in
/// the page is looked at before its signature checks out.
pub fn verify_page(body: &[u8], key: &PublicKey) -> Result<VerifiedPage, FeedError> {
    let envelope: Envelope<'_> =
        serde_json::from_slice(body).map_err(|e| FeedError(format!("not a feed page: {e}")))?;
    let mut message = SIGNING_CONTEXT.to_vec();
    message.extend_from_slice(envelope.page.get().as_bytes());
    key.verify(&message, &envelope.signature)?;
    let page: Page = serde_json::from_str(envelope.page.get())
        .map_err(|e| FeedError(format!("a signed page that is not a feed page: {e}")))?;
    if page.format != FORMAT {
        return fail(format!("unknown page format {:?}", page.format));
    }
    if page.from == 0 || page.to + 1 != page.from + page.events.len() as u64 {
        return fail(format!(
            "page {}..={} does not hold {} events",
            page.from,
            page.to,
            page.events.len()
        ));
    }
    let mut events = Vec::with_capacity(page.events.len());
    for (i, e) in page.events.into_iter().enumerate() {
        let seq = page.from + i as u64;
        if e.seq != seq {
            return fail(format!(
                "event {} has sequence {}, expected {seq}",
                i + 1,
                e.seq
            ));
        }
        events.push(incoming(e)?);
    }
    Ok(VerifiedPage {
        feed: page.feed,
        from: page.from,
        to: page.to,
        head: page.head,
        made_at: page.made_at,
        events,
    })
}

fn incoming(e: PageEvent) -> Result<IncomingEvent, FeedError> {
    let op = match e.op.as_str() {
        "add" => FeedOp::Add,
        "remove" => FeedOp::Remove,
        other => return fail(format!("event {}: unknown op {other:?}", e.seq)),
    };
    let signal_type: SignalType = e.signal_type.parse().map_err(|_| {
        FeedError(format!(
            "event {}: unknown signal type {:?}",
            e.seq, e.signal_type
        ))
    })?;
    let value = signal_type
        .parse_value(&e.value)
        .map_err(|err| FeedError(format!("event {}: {err}", e.seq)))?;
    let mut signal = NewEntry::new(signal_type, value);
    signal.quality = e.quality;
    signal.content_id = e.content_id;
    signal.category = e.category;
    signal.source = e.source;
    signal.metadata = e.metadata.map(|m| m.to_string());
    // A derived hash is a PDQ hash made by a view this build knows; any
    // other would be matched as something it is not.
    if let Some(view) = &e.derived {
        if signal_type != SignalType::Pdq || view.parse::<hashwatch_model::view::View>().is_err() {
            return Err(FeedError(format!(
                "event {}: {signal_type} value derived by {view:?}: only PDQ hashes are derived, by known views",
                e.seq
            )));
        }
    }
    signal.derived = e.derived;
    Ok(IncomingEvent {
        seq: e.seq,
        op,
        signal,
        reason: e.reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use hashwatch_model::Entry;

    fn event(seq: u64, op: FeedOp, hex: &str) -> FeedEvent {
        let value = SignalType::Pdq.parse_value(hex).expect("hex");
        FeedEvent {
            seq,
            op,
            entry: Entry {
                id: seq,
                signal: NewEntry::new(SignalType::Pdq, value),
                added_at: String::new(),
                added_version: 1,
                revoked_at: None,
                revoke_reason: (op == FeedOp::Remove).then(|| "wrong".to_string()),
            },
        }
    }

    fn info() -> FeedInfo {
        FeedInfo {
            bank: "known".to_string(),
            feed_id: "1@now".to_string(),
            head: 2,
        }
    }

    #[test]
    fn a_signed_page_verifies_and_reads_back() {
        let key = FeedKey::generate().expect("key");
        let a = "f".repeat(64);
        let events = [event(1, FeedOp::Add, &a), event(2, FeedOp::Remove, &a)];
        let body = sign_page(&info(), 0, &events, &key, 1_700_000_000);
        let page = verify_page(body.as_bytes(), &key.public_key()).expect("verifies");
        assert_eq!((page.from, page.to, page.head), (1, 2, 2));
        assert_eq!(page.events.len(), 2);
        assert_eq!(page.events[1].op, FeedOp::Remove);
        assert_eq!(page.events[1].reason.as_deref(), Some("wrong"));
        assert_eq!(page.events[0].signal.value, vec![0xff; 32]);
    }

    #[test]
    fn tampering_or_another_key_is_refused() {
        let key = FeedKey::generate().expect("key");
        let a = "f".repeat(64);
        let body = sign_page(
            &info(),
            0,
            &[event(1, FeedOp::Add, &a)],
            &key,
            1_700_000_000,
        );
        let tampered = body.replace(&a, &"e".repeat(64));
        assert_ne!(tampered, body);
        let err = verify_page(tampered.as_bytes(), &key.public_key()).expect_err("tampered");
        assert!(err.0.contains("does not verify"), "{err}");
        let other = FeedKey::generate().expect("key");
        assert!(verify_page(body.as_bytes(), &other.public_key()).is_err());
        assert!(verify_page(b"{}", &key.public_key()).is_err());
        assert!(verify_page(b"not json", &key.public_key()).is_err());
    }

    #[test]
    fn an_empty_page_starts_after_the_checkpoint() {
        let key = FeedKey::generate().expect("key");
        let body = sign_page(&info(), 2, &[], &key, 1_700_000_000);
        let page = verify_page(body.as_bytes(), &key.public_key()).expect("verifies");
        assert_eq!((page.from, page.to), (3, 2));
        assert!(page.events.is_empty());
    }
}
