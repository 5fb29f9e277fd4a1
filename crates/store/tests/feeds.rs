//! Feeds in the store, on a SQLite file and on a real PostgreSQL database:
//! the log's numbering across imports and revocations, pages that start
//! inside a batch, and a subscriber that applies pages exactly once.

use hashwatch_store::{
    feeds, BankKind, EntryRef, FeedOp, IncomingEvent, NewEntry, SignalType, SqliteStore, Store,
};
use hashwatch_testdata::{Rng, TestPostgres};

fn pdq(rng: &mut Rng) -> NewEntry {
    let hash = rng.hash().to_string();
    NewEntry::new(
        SignalType::Pdq,
        SignalType::Pdq.parse_value(&hash).expect("hex"),
    )
}

fn story(publisher: &dyn Store, subscriber: &dyn Store) {
    let mut rng = Rng::new(9);
    let first: Vec<NewEntry> = (0..3).map(|_| pdq(&mut rng)).collect();
    let second: Vec<NewEntry> = (0..2).map(|_| pdq(&mut rng)).collect();
    publisher
        .create_bank("known", BankKind::Positive, None)
        .expect("bank");
    publisher
        .import("known", &first, None, &mut |_| {})
        .expect("import");
    let gone = EntryRef::Value(SignalType::Pdq, first[1].value.clone());
    publisher.revoke("known", &gone, "wrong").expect("revoke");
    publisher
        .import("known", &second, None, &mut |_| {})
        .expect("import");

    // Numbered 1..=6 across two imports and a revocation, in order.
    let feed = feeds(publisher);
    let (info, events) = feed.events("known", 0, 100).expect("events");
    assert_eq!(info.head, 6);
    let ops: Vec<(u64, FeedOp)> = events.iter().map(|e| (e.seq, e.op)).collect();
    use FeedOp::{Add, Remove};
    assert_eq!(
        ops,
        [
            (1, Add),
            (2, Add),
            (3, Add),
            (4, Remove),
            (5, Add),
            (6, Add)
        ]
    );
    assert_eq!(events[3].entry.signal.value, first[1].value);
    assert_eq!(events[3].entry.revoke_reason.as_deref(), Some("wrong"));
    // A page may start and end inside a batch.
    let (_, middle) = feed.events("known", 1, 2).expect("events");
    assert_eq!(middle.iter().map(|e| e.seq).collect::<Vec<_>>(), [2, 3]);
    let (_, past) = feed.events("known", 6, 10).expect("events");
    assert!(past.is_empty());

    // A subscriber applies the pages exactly once.
    let incoming: Vec<IncomingEvent> = events
        .iter()
        .map(|e| IncomingEvent {
            seq: e.seq,
            op: e.op,
            signal: e.entry.signal.clone(),
            reason: e.entry.revoke_reason.clone(),
        })
        .collect();
    subscriber
        .create_bank("mirror", BankKind::Positive, None)
        .expect("bank");
    let sub = feeds(subscriber)
        .subscribe("http://publisher/feeds/known", "mirror", "00", None)
        .expect("subscribe");
    let apply = |from: u64, page: &[IncomingEvent], feed_id: &str| {
        feeds(subscriber).apply(sub.id, feed_id, from, page)
    };
    assert!(
        apply(2, &incoming[1..3], &info.feed_id).is_err(),
        "a gap is refused"
    );
    let applied = apply(1, &incoming[..3], &info.feed_id).expect("first page");
    assert_eq!((applied.added, applied.checkpoint), (3, 3));
    assert!(
        apply(1, &incoming[..3], &info.feed_id).is_err(),
        "a replay is refused"
    );
    assert!(
        apply(4, &incoming[3..], "9@elsewhere").is_err(),
        "another feed is refused"
    );
    let unchanged = apply(4, &[], &info.feed_id).expect("an empty page");
    assert_eq!(unchanged.checkpoint, 3);
    let applied = apply(4, &incoming[3..], &info.feed_id).expect("second page");
    assert_eq!(
        (applied.added, applied.removed, applied.checkpoint),
        (2, 1, 6)
    );
    assert_eq!(subscriber.bank("mirror").expect("bank").active, 4);
    assert_eq!(
        feeds(subscriber)
            .subscription(&sub.url)
            .expect("sub")
            .checkpoint,
        6
    );
    // The mirror is a feed of its own, with the same events.
    let (mirror, chained) = feeds(subscriber).events("mirror", 0, 100).expect("events");
    assert_eq!(mirror.head, 6);
    let chained: Vec<(FeedOp, &[u8])> = chained
        .iter()
        .map(|e| (e.op, e.entry.signal.value.as_slice()))
        .collect();
    let original: Vec<(FeedOp, &[u8])> = events
        .iter()
        .map(|e| (e.op, e.entry.signal.value.as_slice()))
        .collect();
    assert_eq!(chained, original);
}

#[test]
fn feeds_on_sqlite() {
    let dir = tempfile::tempdir().expect("dir");
    let publisher = SqliteStore::open(&dir.path().join("p.db")).expect("open");
    let subscriber = SqliteStore::open(&dir.path().join("s.db")).expect("open");
    story(&publisher, &subscriber);
}

#[test]
fn feeds_on_postgres() {
    let (a, b) = (TestPostgres::new(), TestPostgres::new());
    let publisher = hashwatch_store::PostgresStore::connect(&a.url).expect("connect");
    let subscriber = hashwatch_store::PostgresStore::connect(&b.url).expect("connect");
    story(&publisher, &subscriber);
}

/// Pages as a publisher signed them, served in turn (what travels is
/// tested over HTTP in hashwatch-outbound).
struct Served(std::cell::RefCell<std::collections::VecDeque<String>>);

impl hashwatch_feed::Transport for Served {
    fn get_page(
        &self,
        _url: &str,
        _api_key: Option<&str>,
        _query: &[(&str, u64)],
    ) -> Result<hashwatch_feed::Fetched, String> {
        let body = self.0.borrow_mut().pop_front().ok_or("no more pages")?;
        Ok(hashwatch_feed::Fetched {
            body: body.into_bytes(),
            signature: None,
        })
    }
}

/// Before: pages carried no time, so an old page replayed (an empty one,
/// say) was taken as news, and a subscriber stuck on it never knew.
fn old_pages_are_refused_and_a_quiet_feed_is_stale(publisher: &dyn Store, subscriber: &dyn Store) {
    let mut rng = Rng::new(10);
    publisher
        .create_bank("known", BankKind::Positive, None)
        .expect("bank");
    let entries: Vec<NewEntry> = (0..2).map(|_| pdq(&mut rng)).collect();
    publisher
        .import("known", &entries, None, &mut |_| {})
        .expect("import");
    let (info, events) = feeds(publisher).events("known", 0, 100).expect("events");
    let key = hashwatch_feed::FeedKey::generate().expect("key");
    let page = |since: u64, events: &[hashwatch_store::FeedEvent], made_at: i64| {
        hashwatch_feed::sign_page(&info, since, events, &key, made_at)
    };
    subscriber
        .create_bank("mirror", BankKind::Positive, None)
        .expect("bank");
    let url = "http://publisher/feeds/known";
    let sub = feeds(subscriber)
        .subscribe(url, "mirror", &key.public_key().to_string(), None)
        .expect("subscribe");
    let pull = |pages: Vec<String>| {
        let sub = feeds(subscriber).subscription(url).expect("sub");
        hashwatch_feed::pull(
            &Served(std::cell::RefCell::new(pages.into())),
            &feeds(subscriber),
            &sub,
            100,
            &mut |_| {},
        )
    };
    pull(vec![page(0, &events, 2_000)]).expect("pulls");
    let fresh = feeds(subscriber).subscription(url).expect("sub");
    assert_eq!((fresh.checkpoint, fresh.fresh_at), (2, Some(2_000)));
    // The empty page of an hour later: nothing new, but news of it.
    pull(vec![page(2, &[], 5_600)]).expect("pulls");
    // An empty page made before that one: refused as a replay.
    let replayed = pull(vec![page(2, &[], 3_000)]);
    assert!(
        matches!(&replayed, Err(hashwatch_feed::PullError::Refused(m)) if m.contains("replayed")),
        "{replayed:?}"
    );
    // A page from the future would make every honest page after it look
    // like a replay: refused.
    let future = hashwatch_store::unix_now() + 86_400;
    assert!(pull(vec![page(2, &[], future)]).is_err());
    let now = feeds(subscriber).subscription(url).expect("sub");
    assert_eq!(now.fresh_at, Some(5_600));
    use hashwatch_feed::pull::stale;
    assert!(!stale(&now, 5_600 + 60, 3_600));
    assert!(
        stale(&now, 5_600 + 7_200, 3_600),
        "no newer page in two hours"
    );
    assert!(stale(&sub, 0, 3_600), "never a page: stale");
}

#[test]
fn freshness_on_sqlite() {
    let dir = tempfile::tempdir().expect("dir");
    let publisher = SqliteStore::open(&dir.path().join("p.db")).expect("open");
    let subscriber = SqliteStore::open(&dir.path().join("s.db")).expect("open");
    old_pages_are_refused_and_a_quiet_feed_is_stale(&publisher, &subscriber);
}

#[test]
fn freshness_on_postgres() {
    let (a, b) = (TestPostgres::new(), TestPostgres::new());
    let publisher = hashwatch_store::PostgresStore::connect(&a.url).expect("connect");
    let subscriber = hashwatch_store::PostgresStore::connect(&b.url).expect("connect");
    old_pages_are_refused_and_a_quiet_feed_is_stale(&publisher, &subscriber);
}
